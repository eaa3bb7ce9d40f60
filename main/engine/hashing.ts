// State hashing for the host: exactly H(state) (CONTRACT §1), computed faster.
// Effects replace only the regions they change, so each region's canonical text is
// cached by object identity and only changed regions are re-encoded; sha256 runs in
// node:crypto. The cost per transition follows the size of what changed, never the
// length of history.

import { createHash } from 'node:crypto';
import { canonicalize } from '../../core/canonical';
import type { State } from '../../core/state';
import type { Hash } from '../../core/types';

const regionText = new WeakMap<object, string>();

/** canonicalize, cached by object identity (for state regions, which are replaced, never mutated). */
export function canonicalPart(value: unknown): string {
  if (typeof value !== 'object' || value === null) return canonicalize(value);
  let text = regionText.get(value);
  if (text === undefined) {
    text = canonicalize(value);
    regionText.set(value, text);
  }
  return text;
}

/** JCS of the state, top-level keys sorted as JCS sorts them, regions from the cache. */
export function canonicalState(s: State): string {
  const keys = Object.keys(s).sort();
  const parts = keys.map((k) => `${JSON.stringify(k)}:${canonicalPart((s as unknown as Record<string, unknown>)[k])}`);
  return `{${parts.join(',')}}`;
}

export function hashStateNative(s: State): Hash {
  return `sha256-${createHash('sha256').update(canonicalState(s), 'utf8').digest('hex')}`;
}
