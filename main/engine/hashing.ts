// State hashing for the host: exactly H(state) (docs/protocol.md §1), computed faster.
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

/**
 * The state's top-level keys in JCS order, each as its `"key":` text. Every state of a
 * host has the same keys in the same insertion order, so the sorted list is kept for the
 * last key list seen and rebuilt only when that changes.
 */
let lastKeys: string[] = [];
let lastMembers: Array<{ key: string; prefix: string }> = [];

function membersOf(s: State): Array<{ key: string; prefix: string }> {
  const keys = Object.keys(s);
  let same = keys.length === lastKeys.length;
  for (let i = 0; same && i < keys.length; i += 1) same = keys[i] === lastKeys[i];
  if (!same) {
    lastKeys = keys;
    lastMembers = [...keys].sort().map((key) => ({ key, prefix: `${JSON.stringify(key)}:` }));
  }
  return lastMembers;
}

/** JCS of the state, top-level keys sorted as JCS sorts them, regions from the cache. */
export function canonicalState(s: State): string {
  const parts = membersOf(s).map((m) => m.prefix + canonicalPart((s as unknown as Record<string, unknown>)[m.key]));
  return `{${parts.join(',')}}`;
}

/**
 * sha256 of canonicalState(s), fed member by member: the state's whole text (≈ 4 kB and
 * more) is never built as one string, which was a fifth of the engine's allocation.
 */
export function hashStateNative(s: State): Hash {
  const h = createHash('sha256');
  const members = membersOf(s);
  for (let i = 0; i < members.length; i += 1) {
    const m = members[i] as { key: string; prefix: string };
    h.update(i === 0 ? `{${m.prefix}` : `,${m.prefix}`, 'utf8');
    h.update(canonicalPart((s as unknown as Record<string, unknown>)[m.key]), 'utf8');
  }
  h.update('}', 'utf8');
  return `sha256-${h.digest('hex')}`;
}
