// Repro files: a slice of the WAL that re-runs anywhere (docs/repro-files.md).
//
// A file names the state at the slice start (its hash, and the state document itself so
// nothing else is needed), the WAL records of the slice with their signed proposals, and
// the state hash expected after each one. Replaying is the host's own replay path: the
// pure reducer over each record's proposal, every hash compared, stopping at the first
// difference. Both functions are pure and total (a bad file is an answer, not a throw).

import { H } from './hash';
import { reduce, type ReduceDeps } from './reduce';
import type { State } from './state';
import type { Hash, WalRecord } from './types';

export const REPRO_FORMAT = 'swoosh-repro/1';
/** A slice larger than this is refused: a repro is for a person to read and a test to run. */
export const REPRO_RECORDS_MAX = 5000;

export interface ReproFile {
  format: typeof REPRO_FORMAT;
  project: string;
  /** The statechart the records were judged by (state.meta.spec_hash). */
  spec_hash: Hash;
  /** The slice covers records first..last; `start` is the state after record first-1. */
  slice: { first: number; last: number };
  start: { index: number; state_hash: Hash; hlc: string | null; state: State };
  records: WalRecord[];
  expected: Array<{ index: number; state_post_hash: Hash }>;
  end: { index: number; state_hash: Hash };
}

export type Built = { ok: true; file: ReproFile } | { ok: false; error: string };

export interface StartState {
  index: number;
  hash: Hash;
  hlc: string | null;
  state: State;
}

/** Checks that the records form an unbroken chain from `start`, and builds the file. */
export function buildRepro(start: StartState, records: readonly WalRecord[]): Built {
  if (records.length === 0) return { ok: false, error: 'the slice is empty' };
  if (records.length > REPRO_RECORDS_MAX)
    return { ok: false, error: `a slice holds at most ${REPRO_RECORDS_MAX} records (got ${records.length})` };
  if (H(start.state) !== start.hash) return { ok: false, error: `the start state does not hash to ${start.hash}` };
  let prevHash = start.hash;
  for (let i = 0; i < records.length; i += 1) {
    const r = records[i] as WalRecord;
    if (r.index !== start.index + 1 + i)
      return { ok: false, error: `records are not contiguous: expected #${start.index + 1 + i}, got #${r.index}` };
    if (r.state_pre_hash !== prevHash) return { ok: false, error: `#${r.index} does not follow the previous state (state_pre_hash)` };
    prevHash = r.state_post_hash;
  }
  const last = records[records.length - 1] as WalRecord;
  return {
    ok: true,
    file: {
      format: REPRO_FORMAT,
      project: start.state.meta.project,
      spec_hash: start.state.meta.spec_hash,
      slice: { first: start.index + 1, last: last.index },
      start: { index: start.index, state_hash: start.hash, hlc: start.hlc, state: start.state },
      records: [...records],
      expected: records.map((r) => ({ index: r.index, state_post_hash: r.state_post_hash })),
      end: { index: last.index, state_hash: last.state_post_hash },
    },
  };
}

export function reproFileName(f: ReproFile): string {
  const safe = f.project.replace(/[^A-Za-z0-9_.-]+/g, '-').slice(0, 40) || 'project';
  return `swoosh-repro-${safe}-${f.slice.first}-${f.slice.last}.json`;
}

export type Replayed =
  | { ok: true; replayed: number; end: { index: number; state_hash: Hash } }
  | { ok: false; index: number | null; code: 'bad_file' | 'spec_mismatch' | 'start_hash' | 'rejected' | 'hash_mismatch'; reason: string };

function isObj(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function shapeError(x: unknown): string | null {
  if (!isObj(x)) return 'not a JSON object';
  if (x.format !== REPRO_FORMAT) return `format must be ${REPRO_FORMAT}`;
  const start = x.start;
  if (!isObj(start) || !Number.isInteger(start.index) || typeof start.state_hash !== 'string' || !isObj(start.state))
    return 'start must be {index, state_hash, state}';
  if (!Array.isArray(x.records) || !Array.isArray(x.expected)) return 'records and expected must be arrays';
  if (x.records.length !== x.expected.length) return 'records and expected differ in length';
  if (x.records.length > REPRO_RECORDS_MAX) return `more than ${REPRO_RECORDS_MAX} records`;
  for (const r of x.records)
    if (!isObj(r) || !Number.isInteger(r.index) || !isObj(r.proposal)) return 'every record needs index and proposal';
  for (const e of x.expected)
    if (!isObj(e) || !Number.isInteger(e.index) || typeof e.state_post_hash !== 'string')
      return 'every expected entry needs index and state_post_hash';
  return null;
}

/**
 * Re-runs a repro file through the pure reducer. `deps.verifier` decides signatures: pass
 * a real verifier (nobleVerifier) to re-check every proposal signature as the host did.
 */
export function replayRepro(file: unknown, deps: ReduceDeps): Replayed {
  const bad = shapeError(file);
  if (bad) return { ok: false, index: null, code: 'bad_file', reason: bad };
  const f = file as ReproFile;
  if (f.spec_hash !== deps.spec.hash)
    return {
      ok: false,
      index: null,
      code: 'spec_mismatch',
      reason: `file was judged by statechart ${f.spec_hash}; this one is ${deps.spec.hash}`,
    };
  let hash: Hash;
  try {
    hash = H(f.start.state);
  } catch (err) {
    return { ok: false, index: f.start.index, code: 'bad_file', reason: `start state is not canonical JSON: ${(err as Error).message}` };
  }
  if (hash !== f.start.state_hash)
    return {
      ok: false,
      index: f.start.index,
      code: 'start_hash',
      reason: `start state hashes to ${hash}, the file names ${f.start.state_hash}`,
    };
  let head = { state: f.start.state, hash };
  for (let i = 0; i < f.records.length; i += 1) {
    const r = f.records[i] as WalRecord;
    const expected = f.expected[i] as { index: number; state_post_hash: Hash };
    const index = f.start.index + 1 + i;
    if (r.index !== index || expected.index !== index)
      return { ok: false, index, code: 'bad_file', reason: `record ${i} is #${r.index}, expected #${index}` };
    const out = reduce(head, r.proposal, deps);
    if (!out.ok) return { ok: false, index, code: 'rejected', reason: `${out.rejection.code}: ${out.rejection.reason}` };
    if (out.hash !== expected.state_post_hash)
      return { ok: false, index, code: 'hash_mismatch', reason: `replay gives ${out.hash}, the file expects ${expected.state_post_hash}` };
    head = { state: out.state, hash: out.hash };
  }
  return { ok: true, replayed: f.records.length, end: { index: f.start.index + f.records.length, state_hash: head.hash } };
}
