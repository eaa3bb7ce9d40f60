// protocol/ is held to core's purity (docs/console-protocol.md): no clock, no randomness, no
// process, no fetch, no node:*, DOM or electron, and no import from main/ or renderer/ —
// it is where those two meet, so it may depend on neither. It may import core/.

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IMPURE_NAMES, importsOf, stripComments } from '../scripts/purity';

const PROTOCOL = fileURLToPath(new URL('.', import.meta.url));
const REPO = join(PROTOCOL, '..');

/** The same list core/tidy.test.ts bans, plus the browser's globals (protocol/ runs in main too). */
const BANNED: ReadonlyArray<readonly [RegExp, string]> = [
  ...IMPURE_NAMES,
  [/\bBuffer\b/, 'Buffer'],
  [/\b(window|document|localStorage|EventSource|XMLHttpRequest)\b/, 'DOM globals'],
];

function sources(): string[] {
  return readdirSync(PROTOCOL)
    .filter((n) => n.endsWith('.ts') && !n.endsWith('.test.ts'))
    .map((n) => join(PROTOCOL, n));
}

/** Why `spec`, imported from `file`, is not allowed, or null: only protocol/ and core/ files. */
function importProblem(file: string, spec: string): string | null {
  if (!spec.startsWith('.')) return `imports the package ${spec}`;
  const target = relative(REPO, join(file, '..', spec))
    .split('\\')
    .join('/');
  if (target.startsWith('protocol/') || target.startsWith('core/')) return null;
  return `imports ${spec} (outside protocol/ and core/)`;
}

describe('protocol purity', () => {
  const files = sources();

  it('finds the protocol sources', () => {
    expect(files.map((f) => relative(PROTOCOL, f))).toContain('methods.ts');
  });

  it('uses no banned name', () => {
    const found: string[] = [];
    for (const file of files) {
      const src = stripComments(readFileSync(file, 'utf8'));
      for (const [re, what] of BANNED) if (re.test(src)) found.push(`${relative(PROTOCOL, file)}: ${what}`);
    }
    expect(found).toEqual([]);
  });

  it('imports only protocol/ and core/ files', () => {
    const found: string[] = [];
    for (const file of files) {
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        const problem = importProblem(file, spec);
        if (problem) found.push(`${relative(PROTOCOL, file)} ${problem}`);
      }
    }
    expect(found).toEqual([]);
  });

  it('would catch a violation (self-check of the patterns)', () => {
    const file = join(PROTOCOL, 'x.ts');
    expect(importProblem(file, '../main/electron/channels')).toMatch(/outside/);
    expect(importProblem(file, '../renderer/api/ConsoleApi')).toMatch(/outside/);
    expect(importProblem(file, 'node:fs')).toMatch(/package/);
    expect(importProblem(file, 'electron')).toMatch(/package/);
    expect(importProblem(file, '../core/types')).toBeNull();
    expect(importProblem(file, './api')).toBeNull();
    const sample = stripComments("const t = Date.now(); new EventSource('/events'); // window");
    expect(BANNED.filter(([re]) => re.test(sample)).map(([, w]) => w)).toEqual(['Date.now()', 'DOM globals']);
  });
});
