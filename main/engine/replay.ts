// Replay: a starting HEAD plus stored WAL records through the same `reduce` (DESIGN §2
// rule 5). Every record is checked before it is trusted: its own hash, its link to the
// previous record, its pre-state, and that the reducer reproduces its post-state. The
// first record that fails stops the replay and is reported by index; nothing past it is
// ever applied.

import { initialState, type State } from '../../core/state';
import { canonicalize } from '../../core/canonical';
import { reduce } from '../../core/reduce';
import type { Spec } from '../../core/spec';
import type { Genesis, Hash, RecordBody, WalRecord } from '../../core/types';
import type { Verifier } from '../../core/crypto';
import { hashStateNative } from './hashing';
import { parseRecord, recordHashOf } from '../store/store';
import { chainTrustingVerifier } from './verifier';

export interface ReplayHead {
  state: State;
  hash: Hash;
  index: number;
  record_hash: Hash;
}

export class CorruptionError extends Error {
  readonly code = 'wal_corrupt';
  constructor(readonly index: number, readonly problem: string) {
    super(`WAL record ${index} is corrupt: ${problem}`);
  }
}

export function genesisHead(genesis: Genesis, spec: Spec): ReplayHead {
  const state = initialState(genesis, spec.hash);
  const hash = hashStateNative(state);
  // Record 1's prev_record_hash is the hash of state 0 (CONTRACT §9).
  return { state, hash, index: 0, record_hash: hash };
}

export interface ReplayOptions {
  spec: Spec;
  /** Real verifier to re-check every signature (verify); default trusts the hash chain. */
  verifier?: Verifier;
  /** Also require the recomputed record body (guard outcomes, etc.) to equal the stored one. */
  strict?: boolean;
  /** Stop after this index (time travel). */
  to?: number;
  onProgress?: (index: number) => void;
}

/** Applies stored rows after `start`; throws CorruptionError at the first bad one. */
export function replayRows(start: ReplayHead, rows: Iterable<{ index: number; body: string; record_hash: string }>, opts: ReplayOptions): ReplayHead {
  let head = start;
  const verifier = opts.verifier ?? chainTrustingVerifier;
  for (const row of rows) {
    if (opts.to !== undefined && row.index > opts.to) break;
    head = applyRow(head, row, verifier, opts);
    if (opts.onProgress && row.index % 1000 === 0) opts.onProgress(row.index);
  }
  return head;
}

function applyRow(head: ReplayHead, row: { index: number; body: string; record_hash: string }, verifier: Verifier, opts: ReplayOptions): ReplayHead {
  const fail = (problem: string): never => {
    throw new CorruptionError(row.index, problem);
  };
  if (row.index > head.index + 1) {
    throw new CorruptionError(head.index + 1, `missing record (gap in the WAL; the next stored record is ${row.index})`);
  }
  if (row.index !== head.index + 1) fail(`expected index ${head.index + 1}`);
  if (recordHashOf(row.body) !== row.record_hash) fail('record_hash does not match the stored record');
  let record: WalRecord;
  try {
    record = parseRecord(row.body, row.record_hash);
  } catch (err) {
    return fail(`unreadable: ${(err as Error).message}`);
  }
  if (record.index !== row.index) fail(`record says index ${record.index}`);
  if (record.prev_record_hash !== head.record_hash) fail('prev_record_hash does not link to the previous record');
  if (record.state_pre_hash !== head.hash) fail('state_pre_hash is not the previous state_post_hash');
  const result = reduce(head, record.proposal, { spec: opts.spec, verifier, hashState: hashStateNative });
  if (!result.ok) return fail(`the reducer rejects it on replay: ${result.rejection.code}: ${result.rejection.reason}`);
  if (result.hash !== record.state_post_hash) fail(`replay gives state ${result.hash}, record says ${record.state_post_hash}`);
  if (opts.strict && canonicalize(bodyOf(record)) !== canonicalize(result.body)) fail('recorded guard outcomes or fields differ from the reducer\'s');
  return { state: result.state, hash: result.hash, index: row.index, record_hash: row.record_hash };
}

function bodyOf(r: WalRecord): RecordBody {
  return {
    state_pre_hash: r.state_pre_hash, transition: r.transition, proposal: r.proposal, inputs_hash: r.inputs_hash, signer: r.signer,
    idem_key: r.idem_key, hlc: r.hlc, window_id: r.window_id, guard_outcomes: r.guard_outcomes, evidence: r.evidence,
    state_post_hash: r.state_post_hash,
  };
}
