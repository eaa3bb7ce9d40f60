// Replay: a starting HEAD plus stored WAL records through the same `reduce` (docs/architecture.md §2
// rule 5). Every record is checked before it is trusted: its own hash, its link to the
// previous record, its pre-state, and that the reducer reproduces its post-state. The
// first record that fails stops the replay and is reported by index; nothing past it is
// ever applied.
//
// Two paths, one verdict:
// - checked (a real verifier, or `strict`: `swoosh verify`, followers, chaos): every
//   record through `reduce`, every state hashed;
// - chain-trusting (recovery, time travel, `swoosh replay --to`): each record's hash,
//   index, link and pre-state are checked as above, then its proposal goes through
//   `replayStored`, which skips what the hash chain already authenticates (schema,
//   signature, inputs_hash) and the state hash. The state is hashed at the end of every
//   range of CHECK_EVERY records and at the end of the replay; on any failure the range is
//   replayed again on the checked path from its verified start, which names the first
//   bad record exactly as the checked path alone would. The head returned always carries
//   a computed hash. What only the checked path sees: a record whose stored post-state
//   is wrong although its hash and link are right (the chain was recomputed after an
//   edit: forgery, not disk damage) and whose divergence heals before the range ends.
//   A forger can as well write a consistent chain, which no chain-trusting replay can
//   tell from a real one; `swoosh verify` re-checks every record and signature.

import { initialState, type State } from '../../core/state';
import { canonicalize } from '../../core/canonical';
import { reduce, replayStored } from '../../core/reduce';
import type { Spec } from '../../core/spec';
import type { Genesis, Hash, RecordBody, WalRecord } from '../../core/types';
import type { Verifier } from '../../core/crypto';
import { canonicalPart, hashStateNative } from './hashing';
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
  constructor(
    readonly index: number,
    readonly problem: string,
  ) {
    super(`WAL record ${index} is corrupt: ${problem}`);
  }
}

export function genesisHead(genesis: Genesis, spec: Spec): ReplayHead {
  const state = initialState(genesis, spec.hash);
  const hash = hashStateNative(state);
  // Record 1's prev_record_hash is the hash of state 0 (docs/protocol.md §9).
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
  /** Chain-trusting path only: records between two state hash checks (default CHECK_EVERY). */
  check_every?: number;
}

export interface StoredRow {
  index: number;
  body: string;
  record_hash: string;
}

/** Records replayed on the chain-trusting path between two state hash checks. */
export const CHECK_EVERY = 256;

/** Applies stored rows after `start`; throws CorruptionError at the first bad one. */
export function replayRows(start: ReplayHead, rows: Iterable<StoredRow>, opts: ReplayOptions): ReplayHead {
  if (opts.verifier !== undefined || opts.strict) return replayChecked(start, rows, opts.verifier ?? chainTrustingVerifier, opts);
  return replayTrusted(start, rows, opts);
}

function replayChecked(start: ReplayHead, rows: Iterable<StoredRow>, verifier: Verifier, opts: ReplayOptions): ReplayHead {
  let head = start;
  for (const row of rows) {
    if (opts.to !== undefined && row.index > opts.to) break;
    head = applyRow(head, row, verifier, opts);
    if (opts.onProgress && row.index % 1000 === 0) opts.onProgress(row.index);
  }
  return head;
}

function replayTrusted(start: ReplayHead, rows: Iterable<StoredRow>, opts: ReplayOptions): ReplayHead {
  /** The last head whose state hash was computed and matched. */
  let anchor = start;
  /** Rows applied since `anchor`, kept to replay them again on the checked path. */
  let range: StoredRow[] = [];
  let head = start;
  const checkEvery = Math.max(1, opts.check_every ?? CHECK_EVERY);
  const recheck = (upTo: StoredRow[]): ReplayHead => replayChecked(anchor, upTo, chainTrustingVerifier, { spec: opts.spec });
  const checkpoint = (): void => {
    if (range.length === 0) return;
    const hash = hashStateNative(head.state);
    // A mismatch: the checked path throws at the first record that does not reproduce.
    anchor = hash === head.hash ? { ...head, hash } : recheck(range);
    head = anchor;
    range = [];
  };
  for (const row of rows) {
    if (opts.to !== undefined && row.index > opts.to) break;
    range.push(row);
    try {
      head = applyTrusted(head, row, opts);
    } catch (err) {
      if (!(err instanceof CorruptionError)) throw err;
      // Throws at the first bad record of the range (this one, or an earlier one whose
      // post-state only the checked path could see was wrong).
      head = recheck(range);
      anchor = head;
      range = [];
    }
    if (range.length >= checkEvery) checkpoint();
    if (opts.onProgress && row.index % 1000 === 0) opts.onProgress(row.index);
  }
  checkpoint();
  return head;
}

/** The checks of applyRow that need no state hash, then replayStored. `head.hash` may be a record's claim. */
function applyTrusted(head: ReplayHead, row: StoredRow, opts: ReplayOptions): ReplayHead {
  const fail = (problem: string): never => {
    throw new CorruptionError(row.index, problem);
  };
  if (row.index !== head.index + 1) fail(`expected index ${head.index + 1}`);
  if (recordHashOf(row.body) !== row.record_hash) fail('record_hash does not match the stored record');
  let record: Omit<WalRecord, 'record_hash'>;
  try {
    record = JSON.parse(row.body) as Omit<WalRecord, 'record_hash'>;
  } catch (err) {
    return fail(`unreadable: ${(err as Error).message}`);
  }
  if (typeof record !== 'object' || record === null) fail('unreadable: not an object');
  if (record.index !== row.index) fail(`record says index ${record.index}`);
  if (record.prev_record_hash !== head.record_hash) fail('prev_record_hash does not link to the previous record');
  if (record.state_pre_hash !== head.hash) fail('state_pre_hash is not the previous state_post_hash');
  const result = replayStored(head, record.proposal, { spec: opts.spec, verifier: chainTrustingVerifier, canonicalRegion: canonicalPart });
  if (!result.ok) return fail(`the reducer rejects it on replay: ${result.rejection.code}: ${result.rejection.reason}`);
  if (typeof record.state_post_hash !== 'string') fail('state_post_hash is missing');
  return { state: result.state, hash: record.state_post_hash, index: row.index, record_hash: row.record_hash };
}

function applyRow(head: ReplayHead, row: StoredRow, verifier: Verifier, opts: ReplayOptions): ReplayHead {
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
  const result = reduce(head, record.proposal, { spec: opts.spec, verifier, hashState: hashStateNative, canonicalRegion: canonicalPart });
  if (!result.ok) return fail(`the reducer rejects it on replay: ${result.rejection.code}: ${result.rejection.reason}`);
  if (result.hash !== record.state_post_hash) fail(`replay gives state ${result.hash}, record says ${record.state_post_hash}`);
  if (opts.strict && canonicalize(bodyOf(record)) !== canonicalize(result.body))
    fail("recorded guard outcomes or fields differ from the reducer's");
  return { state: result.state, hash: result.hash, index: row.index, record_hash: row.record_hash };
}

function bodyOf(r: WalRecord): RecordBody {
  return {
    state_pre_hash: r.state_pre_hash,
    transition: r.transition,
    proposal: r.proposal,
    inputs_hash: r.inputs_hash,
    signer: r.signer,
    idem_key: r.idem_key,
    hlc: r.hlc,
    window_id: r.window_id,
    guard_outcomes: r.guard_outcomes,
    evidence: r.evidence,
    state_post_hash: r.state_post_hash,
  };
}
