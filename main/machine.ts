// Reads the statechart YAML from the package and loads it once per process.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { GUARD_NAMES } from '../core/guards';
import { loadSpecOrThrow, type Spec } from '../core/spec';

export const STATECHART_PATH = fileURLToPath(new URL('../statechart/swoosh.statechart.yaml', import.meta.url));

let cached: Spec | null = null;

export function statechartText(): string {
  return readFileSync(STATECHART_PATH, 'utf8');
}

export function loadMachine(): Spec {
  cached ??= loadSpecOrThrow(statechartText(), GUARD_NAMES);
  return cached;
}
