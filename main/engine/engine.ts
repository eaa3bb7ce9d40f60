// The single writer: admit → verify → reduce → append → publish.
//
// Proposals that arrive together are judged in arrival order against a working HEAD and
// written in one SQLite transaction (group commit); each caller is answered only after
// that commit, so a 202 always names a durable record. better-sqlite3 commits
// synchronously, so while one batch is being fsync'd the next one queues up and is taken
// whole by the next drain.
//
// Work done once per proposal, when it is queued: the schema check, the canonical texts
// (encode.ts: the idem hash, the signed text, later the record's text) and, with a
// VerifyPool, the signature check on a worker thread. The drain takes the longest prefix
// of the queue whose verdicts are in, so order is never changed; reduce gets the verdict
// explicitly (Prechecked) and still runs every check in docs/protocol.md §5 order.

import { decisionRecord } from '../../core/decision';
import { hlcReceive, parseHlc, type Clock, type Hlc } from '../../core/hlc';
import { checkInvariants, type Violation } from '../../core/invariants';
import { reduce, type Head } from '../../core/reduce';
import type { Spec } from '../../core/spec';
import type { State } from '../../core/state';
import type { DecisionRecord, Hash, Proposal, RecordBody, Rejection, WalRecord } from '../../core/types';
import { validateProposal } from '../../core/wire';
import { b64uDecode } from '../../core/b64u';
import { isValidPublicKey, publicKeyFromSigner, type Verifier } from '../../core/crypto';
import { utf8 } from '../../core/canonical';
import { canonicalPart, hashStateNative } from './hashing';
import { encodeProposal, recordText, type EncodedProposal } from './encode';
import type { VerifyItem, VerifyPool } from './verify-pool';
import { proposalHashOf, recordHashOf, type NewRejection, type RecordEncoding, type StoredSnapshot, type Store } from '../store/store';
import { CorruptionError, replayRows, type ReplayHead } from './replay';
import { DEFAULT_REJECTION_RATE, PeerTokenBuckets, type PeerRateOptions } from './peer-rate';

export interface EngineHead extends Head {
  index: number;
  record_hash: Hash;
  /** The server's own HLC (Kulkarni receive rule over every applied proposal). */
  server_hlc: Hlc;
}

export interface EngineOptions {
  spec: Spec;
  store: Store;
  clock: Clock;
  verifier: Verifier;
  head: EngineHead;
  project: string;
  /** Snapshot every N records (also after transitions the YAML marks `snapshot`). */
  snapshot_every: number;
  /** Pending proposals beyond this are refused with 429. */
  queue_max: number;
  /** At most this many proposals per transaction. */
  batch_max: number;
  /** Check core invariants after every accepted transition (tests, chaos). */
  check_invariants: boolean;
  /** Verifies signatures off this thread while proposals queue; null: verify inline in reduce. */
  verify_pool?: VerifyPool | null;
  /** Rejection rows stored per peer (token bucket on `clock`); default DEFAULT_REJECTION_RATE. */
  rejection_rate?: PeerRateOptions;
}

/** Where a proposal came from, as the API saw it. */
export interface SubmitOrigin {
  /** The peer's key (main/engine/peer-rate.ts peerKey); null: in-process, not rate-limited. */
  peer: string | null;
}

/**
 * Cluster mode (main/cluster): every judged batch is replicated (one fenced etcd
 * transaction) before its SQLite commit, and a node that is not the leader refuses writes.
 */
export interface Replicator {
  /** null: this node may write now; otherwise the answer for every proposal (503 not_writer / no_leader). */
  refusal(): Refusal | null;
  /** Resolves once the records are committed in the replicated log, or with the refusal if they are not. */
  replicate(records: WalRecord[], texts: string[], snapshots: StoredSnapshot[]): Promise<{ ok: true } | { ok: false; refusal: Refusal }>;
  /** The records are replicated but this node could not store them: it must stop writing and re-sync. */
  lost(reason: string): void;
}

export interface Refusal {
  status: 503;
  error: ApiError;
  retry_after_s?: number;
}

/**
 * A cluster node before its control loop runs (main/app/server.ts `writes_closed`): every
 * write is refused, so nothing reaches SQLite alone between listening and joining.
 */
export const WRITES_CLOSED: Replicator = {
  refusal: () => ({
    status: 503,
    error: { code: 'no_leader', reason: 'this cluster node is still joining; retry shortly' },
    retry_after_s: 1,
  }),
  replicate: async () => ({
    ok: false,
    refusal: { status: 503, error: { code: 'no_leader', reason: 'this cluster node is still joining; retry shortly' }, retry_after_s: 1 },
  }),
  lost: () => {},
};

/** Replicated batches stay within etcd's request limits: 128 operations (3 kept free), 1.5 MiB. */
const REPLICATED_BATCH_MAX = 125;
const REPLICATED_BATCH_BYTES_MAX = 1_300_000;
/** Bytes a record adds to its proposal's text (hashes, guard outcomes, evidence), counted generously. */
const RECORD_OVERHEAD_BYTES = 4096;

/** A record replicated from the leader, as the log holds it: its index and stored text. */
export interface ReplicatedRow {
  index: number;
  text: string;
}

/** At most this many signatures per message to a verify worker (keeps the pipeline moving). */
const VERIFY_CHUNK_MAX = 64;

export interface AcceptedBody {
  index: number;
  state_post_hash: Hash;
  decision_id: string;
  duplicate?: true;
}

export interface ApiError {
  code: string;
  reason: string;
  guard?: string;
  reasons?: string[];
  head_hash?: Hash;
  /** not_writer: the leader's URL (also sent as the Location header). */
  leader?: string;
}

export type SubmitResult =
  | { status: 200 | 202; body: AcceptedBody }
  | { status: 400 | 409 | 429 | 500 | 503; error: ApiError; retry_after_s?: number };

export type EngineEvent =
  | { type: 'accepted'; record: WalRecord; decision: DecisionRecord; state: State; latency_ms: number; branch: string | null }
  /** `stored` false: the peer was past its rate (peer-rate.ts), the row was answered but not kept. */
  | { type: 'rejected'; rejection: NewRejection; status: number; stored: boolean }
  | { type: 'duplicate'; transition: string; index: number }
  | { type: 'violation'; index: number; violations: Violation[] }
  | { type: 'snapshot'; index: number; hlc: string | null }
  /** The judge failed on one proposal (a bug, never the caller's fault); the writer went on. */
  | { type: 'internal'; transition: string | null; idem_key: string | null; reason: string }
  /** A batch could not be committed (disk full, I/O error); every proposal in it was answered 500. */
  | { type: 'store_failed'; reason: string };

type Prepared = { ok: true; proposal: Proposal; encoded: EncodedProposal } | { ok: false; reason: string };

interface Pending {
  raw: unknown;
  received_ms: number;
  /** null: in-process (tests, the replicated path); its rejections are always stored. */
  peer: string | null;
  resolve: (r: SubmitResult) => void;
  prepared: Prepared;
  /** Worker verdict over encoded.signing_text; undefined: none (reduce verifies inline). */
  verdict: boolean | undefined;
  /** Queued or sent to a verify worker and not answered yet: the drain waits for it. */
  verifying: boolean;
}

/** Schema check and canonical texts, once, at submit. */
function prepare(raw: unknown): Prepared {
  const parsed = validateProposal(raw);
  if (!parsed.ok) return { ok: false, reason: `${parsed.error.path}: ${parsed.error.reason}` };
  try {
    return { ok: true, proposal: parsed.proposal, encoded: encodeProposal(parsed.proposal) };
  } catch (err) {
    // Unreachable: validateProposal admits plain JSON only.
    return { ok: false, reason: `$: ${(err as Error).message}` };
  }
}

export class Engine {
  private head: EngineHead;
  private queue: Pending[] = [];
  private draining = false;
  private drainScheduled = false;
  /** Proposals waiting to be sent to the verify pool (flushed once per tick, in chunks). */
  private toVerify: Pending[] = [];
  private flushScheduled = false;
  private readonly listeners = new Set<(e: EngineEvent) => void>();
  private stopped = false;
  /** Cluster mode only (setReplicator); null: the single writer of one machine. */
  private replicator: Replicator | null = null;
  /** The batch being replicated (cluster mode); the next one waits for it. */
  private inflight: Promise<void> | null = null;
  lastSnapshotHlc: string | null = null;
  /** Set by a failed commit, cleared by the next one that succeeds. */
  storeFailure: { reason: string; since_ms: number; failures: number } | null = null;

  /** How many rejection rows each peer may have stored. */
  private readonly rejectionBuckets: PeerTokenBuckets;

  constructor(private readonly opts: EngineOptions) {
    this.head = opts.head;
    this.rejectionBuckets = new PeerTokenBuckets(opts.clock, opts.rejection_rate ?? DEFAULT_REJECTION_RATE);
  }

  get current(): Readonly<EngineHead> {
    return this.head;
  }

  get queueDepth(): number {
    return this.queue.length;
  }

  subscribe(listener: (e: EngineEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit(e: EngineEvent): void {
    for (const l of this.listeners) {
      try {
        l(e);
      } catch {
        // A faulty subscriber (metrics, SSE) must never break the writer.
      }
    }
  }

  /** Turns cluster mode on (main/cluster/node.ts). Set once, before the API takes proposals. */
  setReplicator(r: Replicator | null): void {
    this.replicator = r;
  }

  /** Resolves once no batch is being replicated (a node waits for it before applying as a follower). */
  async settled(): Promise<void> {
    for (let i = 0; i < 1000 && this.inflight !== null; i += 1) await this.inflight;
  }

  /** Queues a parsed JSON body; resolves after the batch holding it is durable. */
  submit(raw: unknown, origin: SubmitOrigin = { peer: null }): Promise<SubmitResult> {
    if (this.stopped) return Promise.resolve({ status: 503, error: { code: 'shutting_down', reason: 'the orchestrator is stopping' } });
    const refusal = this.replicator?.refusal() ?? null;
    if (refusal) return Promise.resolve(refusal);
    if (this.queue.length >= this.opts.queue_max) {
      return Promise.resolve({
        status: 429,
        error: { code: 'overloaded', reason: `${this.queue.length} proposals pending (bound ${this.opts.queue_max}); retry later` },
        retry_after_s: 1,
      });
    }
    return new Promise((resolve) => {
      const prepared = prepare(raw);
      const pending: Pending = {
        raw,
        received_ms: this.opts.clock.now_ms(),
        peer: origin.peer,
        resolve,
        prepared,
        verdict: undefined,
        verifying: false,
      };
      this.queue.push(pending);
      if (prepared.ok && this.opts.verify_pool?.alive) {
        pending.verifying = true;
        this.toVerify.push(pending);
        if (!this.flushScheduled) {
          this.flushScheduled = true;
          queueMicrotask(() => this.flushVerify());
        }
      }
      this.scheduleDrain();
    });
  }

  /**
   * Stops taking and running proposals. Queued ones were never written, so each caller is
   * told so now; a drain or verify answer scheduled earlier finds the engine stopped and
   * does nothing (the store may already be closed under it).
   */
  stop(): void {
    this.stopped = true;
    const error: ApiError = { code: 'shutting_down', reason: 'the orchestrator stopped before this proposal was written' };
    for (const p of this.queue.splice(0)) p.resolve({ status: 503, error });
    this.toVerify = [];
  }

  private scheduleDrain(): void {
    if (this.drainScheduled || this.draining) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      this.drain();
    });
  }

  /** Sends the queued signature checks to the pool, in chunks. */
  private flushVerify(): void {
    this.flushScheduled = false;
    const pending = this.toVerify;
    this.toVerify = [];
    for (let i = 0; i < pending.length; i += VERIFY_CHUNK_MAX) this.sendChunk(pending.slice(i, i + VERIFY_CHUNK_MAX));
  }

  private sendChunk(chunk: Pending[]): void {
    const sent: Pending[] = [];
    const items: VerifyItem[] = [];
    for (const p of chunk) {
      const item = p.prepared.ok ? verifyItem(p.prepared.proposal, p.prepared.encoded) : null;
      // No item: the key or signature cannot verify at all; reduce says bad_signature itself.
      if (item === null) p.verifying = false;
      else {
        sent.push(p);
        items.push(item);
      }
    }
    if (items.length === 0) {
      this.scheduleDrain();
      return;
    }
    const done = (verdicts: Uint8Array | null): void => {
      for (let i = 0; i < sent.length; i += 1) {
        const p = sent[i] as Pending;
        p.verdict = verdicts === null ? undefined : verdicts[i] === 1;
        p.verifying = false;
      }
      this.scheduleDrain();
    };
    (this.opts.verify_pool as VerifyPool).verify(items).then(done, () => done(null));
  }

  private drain(): void {
    if (this.stopped) return;
    this.draining = true;
    let replicating = false;
    try {
      while (this.queue.length > 0) {
        // The longest ready prefix: order is never changed, and a proposal still being
        // verified holds back those behind it (its answer schedules the next drain).
        const n = this.readyPrefix();
        if (n === 0) return;
        const batch = this.queue.splice(0, n);
        if (this.replicator) {
          // Asynchronous from here: `draining` stays set until this batch is answered.
          replicating = true;
          this.inflight = this.runReplicated(batch, this.replicator).finally(() => {
            this.inflight = null;
            this.draining = false;
            if (this.queue.length > 0) this.scheduleDrain();
          });
          return;
        }
        this.runBatch(batch);
      }
    } finally {
      if (!replicating) this.draining = false;
    }
  }

  /** How many queued proposals the next batch takes (fewer in cluster mode: etcd's request limits). */
  private readyPrefix(): number {
    const max = this.replicator ? Math.min(this.opts.batch_max, REPLICATED_BATCH_MAX) : this.opts.batch_max;
    let bytes = 0;
    let n = 0;
    while (n < this.queue.length && n < max) {
      const p = this.queue[n] as Pending;
      if (p.verifying) break;
      if (this.replicator) {
        bytes += (p.prepared.ok ? p.prepared.encoded.text.length : 0) + RECORD_OVERHEAD_BYTES;
        if (n > 0 && bytes > REPLICATED_BATCH_BYTES_MAX) break;
      }
      n += 1;
    }
    return n;
  }

  /**
   * Cluster mode: judge, replicate (etcd), then commit to SQLite, then answer. A 202 thus
   * names a record that is both in the replicated log and in this node's store. A batch
   * the log refuses (fenced out, unconfirmed) is answered with the refusal and leaves
   * nothing behind: HEAD stays where it was.
   */
  private async runReplicated(batch: Pending[], r: Replicator): Promise<void> {
    const refusal = r.refusal();
    if (refusal) {
      for (const p of batch) p.resolve(refusal);
      return;
    }
    const work = new BatchWork(this.opts, this.head, this.rejectionBuckets);
    const answers = batch.map((p) => work.judgeContained(p));
    if (work.records.length > 0) {
      let out: Awaited<ReturnType<Replicator['replicate']>>;
      try {
        out = await r.replicate(
          work.records,
          work.encoded.map((e) => e.body),
          work.snapshots,
        );
      } catch (err) {
        out = {
          ok: false,
          refusal: {
            status: 503,
            error: { code: 'not_writer', reason: `replication failed: ${(err as Error).message}` },
            retry_after_s: 1,
          },
        };
      }
      if (this.stopped) {
        for (const p of batch)
          p.resolve({
            status: 503,
            error: {
              code: 'shutting_down',
              reason: 'the orchestrator stopped while this batch was being replicated; retry with the same idem_key',
            },
          });
        return;
      }
      if (!out.ok) {
        for (const p of batch) p.resolve(out.refusal);
        return;
      }
    }
    if (!this.commitAndAnswer(batch, work, answers)) r.lost('the SQLite commit failed after the records were replicated');
  }

  /** The SQLite half of a batch: commit, advance HEAD, answer, publish. False if the commit failed. */
  private commitAndAnswer(batch: Pending[], work: BatchWork, answers: Judged[]): boolean {
    try {
      this.opts.store.commit({ records: work.records, encoded: work.encoded, rejections: work.rejections, snapshots: work.snapshots });
    } catch (err) {
      // Nothing of this batch is durable here: HEAD stays where it was and every caller is told.
      const reason = `the WAL could not be written: ${(err as Error).message}`;
      const error: ApiError = { code: 'store_failed', reason };
      for (const p of batch) p.resolve({ status: 500, error });
      // Until a commit succeeds again, /health says so (503): a full disk is not "ok".
      this.storeFailure = {
        reason,
        since_ms: this.storeFailure?.since_ms ?? this.opts.clock.now_ms(),
        failures: (this.storeFailure?.failures ?? 0) + 1,
      };
      this.emit({ type: 'store_failed', reason });
      return false;
    }
    this.storeFailure = null;
    this.head = work.head;
    if (work.snapshots.length > 0) this.lastSnapshotHlc = work.snapshots[work.snapshots.length - 1]!.hlc;
    for (let i = 0; i < batch.length; i += 1) batch[i]!.resolve(answers[i]!.result);
    if (this.listeners.size > 0) for (const a of answers) for (const e of a.events) this.emit(e);
    return true;
  }

  /**
   * A follower too far behind (etcd no longer holds the records after its HEAD) restarts
   * from a peer's snapshot: the snapshot and the record it was taken at are stored, and
   * HEAD moves there. The caller has checked the state hash and that the record matches
   * the snapshot; the next replicated record must link onto both (applyReplicated checks).
   */
  adoptSnapshot(snap: StoredSnapshot, text: string): void {
    const record_hash = recordHashOf(text);
    const record = { ...(JSON.parse(text) as Omit<WalRecord, 'record_hash'>), record_hash };
    if (snap.index <= this.head.index) throw new Error(`snapshot ${snap.index} is not past HEAD ${this.head.index}`);
    if (record.index !== snap.index || record_hash !== snap.record_hash || record.state_post_hash !== snap.state_hash) {
      throw new Error(`record ${record.index} does not match snapshot ${snap.index}`);
    }
    this.opts.store.commit({
      records: [record],
      encoded: [{ body: text, proposal_hash: proposalHashOf(record.proposal) }],
      rejections: [],
      snapshots: [snap],
    });
    const now_ms = Math.max(this.opts.clock.now_ms(), 0);
    this.head = {
      state: snap.state,
      hash: snap.state_hash,
      index: snap.index,
      record_hash,
      server_hlc: hlcReceive(this.head.server_hlc, parseHlc(record.hlc) as Hlc, now_ms),
    };
    this.lastSnapshotHlc = snap.hlc;
    this.emit({ type: 'snapshot', index: snap.index, hlc: snap.hlc });
  }

  /**
   * A follower's only write path: records the leader replicated, applied through the same
   * replay as recovery (record hash, link, pre-state, the reducer reproducing the
   * post-state and the body, every signature), stored with the leader's exact text,
   * snapshotted by the same rule as the writer. Stops at the first record that does not
   * check and names it; nothing past it is applied.
   */
  applyReplicated(rows: ReplicatedRow[]): { applied: number; problem: { index: number; problem: string } | null } {
    const records: WalRecord[] = [];
    const encoded: RecordEncoding[] = [];
    const snapshots: StoredSnapshot[] = [];
    const events: EngineEvent[] = [];
    let head = this.head;
    let problem: { index: number; problem: string } | null = null;
    for (const row of rows) {
      const record_hash = recordHashOf(row.text);
      let next: ReplayHead;
      try {
        next = replayRows(head, [{ index: row.index, body: row.text, record_hash }], {
          spec: this.opts.spec,
          verifier: this.opts.verifier,
          strict: true,
        });
      } catch (err) {
        if (!(err instanceof CorruptionError)) throw err;
        problem = { index: err.index, problem: err.problem };
        break;
      }
      const record = { ...(JSON.parse(row.text) as Omit<WalRecord, 'record_hash'>), record_hash };
      const now_ms = Math.max(this.opts.clock.now_ms(), 0);
      head = { ...next, server_hlc: hlcReceive(head.server_hlc, parseHlc(record.hlc) as Hlc, now_ms) };
      records.push(record);
      encoded.push({ body: row.text, proposal_hash: proposalHashOf(record.proposal) });
      if (row.index % this.opts.snapshot_every === 0 || this.opts.spec.transitions[record.transition]?.snapshot) {
        snapshots.push({ index: row.index, hlc: record.hlc, state: next.state, state_hash: next.hash, record_hash });
        events.push({ type: 'snapshot', index: row.index, hlc: record.hlc });
      }
      events.push(acceptedEvent(record, next.state, 0, null, this.opts.project));
    }
    if (records.length > 0) {
      this.opts.store.commit({ records, encoded, rejections: [], snapshots });
      this.head = head;
      if (snapshots.length > 0) this.lastSnapshotHlc = snapshots[snapshots.length - 1]!.hlc;
      if (this.listeners.size > 0) for (const e of events) this.emit(e);
    }
    return { applied: records.length, problem };
  }

  private runBatch(batch: Pending[]): void {
    const work = new BatchWork(this.opts, this.head, this.rejectionBuckets);
    const answers = batch.map((p) => work.judgeContained(p));
    this.commitAndAnswer(batch, work, answers);
  }
}

const SIGNER_KEYS_MAX = 10_000;
/** signer → its checked raw key, or null if it can never verify (isValidPublicKey is slow: curve math). */
const signerKeys = new Map<string, Uint8Array | null>();

function signerKey(signer: string): Uint8Array | null {
  let key = signerKeys.get(signer);
  if (key === undefined) {
    const raw = publicKeyFromSigner(signer);
    key = raw !== null && isValidPublicKey(raw) ? raw : null;
    if (signerKeys.size >= SIGNER_KEYS_MAX) signerKeys.delete(signerKeys.keys().next().value as string);
    signerKeys.set(signer, key);
  }
  return key;
}

/** What a verify worker needs, or null when the key or signature can never verify. */
function verifyItem(p: Proposal, e: EncodedProposal): VerifyItem | null {
  const key = signerKey(p.signer);
  if (key === null) return null;
  const signature = b64uDecode(p.signature);
  if (signature === null || signature.length !== 64) return null;
  return { key, message: e.signing_text, signature };
}

/**
 * The verifier reduce sees for one proposal whose worker verdict was false: it answers
 * that verdict for exactly that signer, signature and signed text (no second verify of a
 * bad signature), and asks the real verifier about anything else (votes, licences).
 */
function withVerdict(real: Verifier, p: Proposal, e: EncodedProposal, verdict: boolean): Verifier {
  let message: Uint8Array | null = null;
  return {
    verify(signer, bytes, signature) {
      if (signer === p.signer && signature === p.signature) {
        message ??= utf8(e.signing_text);
        if (Buffer.compare(message, bytes) === 0) return verdict;
      }
      return real.verify(signer, bytes, signature);
    },
  };
}

type Judged = { result: SubmitResult; events: EngineEvent[] };

/** How far a batch had got before one proposal was judged (to take that proposal back). */
interface BatchMark {
  head: EngineHead;
  records: number;
  encoded: number;
  rejections: number;
  snapshots: number;
  idem_key: string | null;
  idem_known: boolean;
}

/** 409 for the optimistic-concurrency retry, 500 for our own bug, 400 for the caller's. */
function statusOf(code: Rejection['code']): 400 | 409 | 500 {
  if (code === 'stale_state_hash') return 409;
  if (code === 'internal') return 500;
  return 400;
}

/** One batch being judged: a working HEAD plus what the transaction will write. */
class BatchWork {
  head: EngineHead;
  readonly records: WalRecord[] = [];
  readonly encoded: RecordEncoding[] = [];
  readonly rejections: NewRejection[] = [];
  readonly snapshots: StoredSnapshot[] = [];
  /** idem keys applied in this batch (not yet visible in the store). */
  private readonly applied = new Map<string, { proposal_hash: string; body: AcceptedBody }>();

  constructor(
    private readonly opts: EngineOptions,
    start: EngineHead,
    private readonly rejectionBuckets: PeerTokenBuckets,
  ) {
    this.head = start;
  }

  /**
   * judge, with any exception contained to the one proposal: what it had added to this
   * batch is taken back, it is answered 500 `internal` (and logged, counted, kept in the
   * rejections log), and the proposals around it are judged as if it had never come.
   */
  judgeContained(p: Pending): Judged {
    const mark = this.mark(p);
    try {
      return this.judge(p);
    } catch (err) {
      this.rollback(mark);
      const reason = `internal error while judging the proposal: ${err instanceof Error ? `${err.name}: ${err.message}` : String(err)}`;
      return this.refuse(p.prepared.ok ? p.prepared.proposal : p.raw, { code: 'internal', reason }, p);
    }
  }

  private mark(p: Pending): BatchMark {
    const idem_key = p.prepared.ok ? p.prepared.proposal.idem_key : null;
    return {
      head: this.head,
      records: this.records.length,
      encoded: this.encoded.length,
      rejections: this.rejections.length,
      snapshots: this.snapshots.length,
      idem_key,
      idem_known: idem_key !== null && this.applied.has(idem_key),
    };
  }

  private rollback(m: BatchMark): void {
    this.head = m.head;
    this.records.length = m.records;
    this.encoded.length = m.encoded;
    this.rejections.length = m.rejections;
    this.snapshots.length = m.snapshots;
    if (m.idem_key !== null && !m.idem_known) this.applied.delete(m.idem_key);
  }

  judge(p: Pending): Judged {
    const prepared = p.prepared;
    if (!prepared.ok) return this.refuse(p.raw, { code: 'malformed', reason: prepared.reason }, p);
    const { proposal, encoded } = prepared;
    const dup = this.idem(proposal, encoded.hash, p);
    if (dup) return dup;
    const now_ms = this.opts.clock.now_ms();
    const verifier = p.verdict === false ? withVerdict(this.opts.verifier, proposal, encoded, false) : this.opts.verifier;
    const result = reduce(
      this.head,
      proposal,
      { spec: this.opts.spec, verifier, hashState: hashStateNative, canonicalRegion: canonicalPart },
      { now_ms },
      p.verdict === true ? { validated: true, signature_verified: true } : { validated: true },
    );
    if (!result.ok) return this.refuse(proposal, result.rejection, p);
    return this.accept(proposal, encoded, result.state, result.hash, result.body, result.branch, p, now_ms);
  }

  private idem(proposal: Proposal, hash: string, p: Pending): Judged | null {
    const inBatch = this.applied.get(proposal.idem_key);
    const stored = inBatch ? { proposal_hash: inBatch.proposal_hash, body: inBatch.body } : this.storedOutcome(proposal.idem_key);
    if (!stored) return null;
    if (stored.proposal_hash !== hash) {
      return this.refuse(
        proposal,
        {
          code: 'idem_key_conflict',
          reason: `idem_key ${proposal.idem_key} was applied at index ${stored.body.index} with different content`,
        },
        p,
      );
    }
    return {
      result: { status: 200, body: { ...stored.body, duplicate: true } },
      events: [{ type: 'duplicate', transition: proposal.transition, index: stored.body.index }],
    };
  }

  private storedOutcome(idem_key: string): { proposal_hash: string; body: AcceptedBody } | null {
    const row = this.opts.store.idemLookup(idem_key);
    if (!row) return null;
    return {
      proposal_hash: row.proposal_hash,
      body: { index: row.index, state_post_hash: row.state_post_hash, decision_id: decisionId(row.index) },
    };
  }

  private accept(
    proposal: Proposal,
    encoded: EncodedProposal,
    state: State,
    hash: Hash,
    body: RecordBody,
    branch: string | null,
    p: Pending,
    now_ms: number,
  ): Judged {
    const index = this.head.index + 1;
    const unhashed = { ...body, index, prev_record_hash: this.head.record_hash, accepted_at_ms: now_ms };
    const text = recordText(unhashed, encoded.text);
    const record: WalRecord = { ...unhashed, record_hash: recordHashOf(text) };
    this.encoded.push({ body: text, proposal_hash: encoded.hash });
    const events: EngineEvent[] = [];
    if (this.opts.check_invariants) {
      const violations = checkInvariants(this.head.state, state, record);
      if (violations.length > 0) events.push({ type: 'violation', index, violations });
    }
    const hlc = parseHlc(proposal.hlc) as Hlc;
    this.head = {
      state,
      hash,
      index,
      record_hash: record.record_hash,
      server_hlc: hlcReceive(this.head.server_hlc, hlc, Math.max(now_ms, 0)),
    };
    this.records.push(record);
    const accepted: AcceptedBody = { index, state_post_hash: hash, decision_id: decisionId(index) };
    this.applied.set(proposal.idem_key, { proposal_hash: encoded.hash, body: accepted });
    if (index % this.opts.snapshot_every === 0 || this.opts.spec.transitions[proposal.transition]?.snapshot) {
      this.snapshots.push({ index, hlc: proposal.hlc, state, state_hash: hash, record_hash: record.record_hash });
      events.push({ type: 'snapshot', index, hlc: proposal.hlc });
    }
    events.unshift(acceptedEvent(record, state, now_ms - p.received_ms, branch, this.opts.project));
    return { result: { status: 202, body: accepted }, events };
  }

  private refuse(raw: unknown, rejection: Rejection, p: Pending | null): Judged {
    const status = statusOf(rejection.code);
    const error: ApiError = { code: rejection.code, reason: rejection.reason };
    if (rejection.guard !== undefined) error.guard = rejection.guard;
    if (rejection.reasons !== undefined) error.reasons = rejection.reasons;
    if (rejection.head_hash !== undefined) error.head_hash = rejection.head_hash;
    const fields = proposalFields(raw);
    const row: NewRejection = {
      at_ms: p ? p.received_ms : this.opts.clock.now_ms(),
      head_index: this.head.index,
      ...fields,
      code: rejection.code,
      guard: rejection.guard ?? null,
      reason: rejection.reason,
      reasons: rejection.reasons ?? [],
      proposal: raw,
    };
    const stored = this.mayStore(rejection, p);
    if (stored) this.rejections.push(row);
    const events: EngineEvent[] = [{ type: 'rejected', rejection: row, status, stored }];
    if (rejection.code === 'internal')
      events.push({ type: 'internal', transition: row.transition, idem_key: row.idem_key, reason: rejection.reason });
    return { result: { status, error }, events };
  }

  /**
   * Whether this rejection's row is kept: always for in-process callers and for our own
   * `internal` failures (a bug to diagnose, not the peer's doing); otherwise while the peer
   * has tokens left.
   */
  private mayStore(rejection: Rejection, p: Pending | null): boolean {
    if (p === null || p.peer === null || rejection.code === 'internal') return true;
    return this.rejectionBuckets.take(p.peer);
  }
}

/** Equal to decisionRecord(index, …).id, without building the record. */
function decisionId(index: number): string {
  return `bubble://dr/${index}`;
}

/** The decision record is built on first read: most batches have no subscriber that wants it. */
function acceptedEvent(record: WalRecord, state: State, latency_ms: number, branch: string | null, project: string): EngineEvent {
  let decision: DecisionRecord | null = null;
  return {
    type: 'accepted',
    record,
    state,
    latency_ms,
    branch,
    get decision(): DecisionRecord {
      decision ??= decisionRecord(record.index, record, project);
      return decision;
    },
  };
}

/** Best-effort identification of a (possibly malformed) proposal for the rejections log. */
function proposalFields(raw: unknown): Pick<NewRejection, 'idem_key' | 'transition' | 'signer' | 'hlc'> {
  const o = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? (raw as Record<string, unknown>) : {};
  const text = (k: string): string | null => (typeof o[k] === 'string' ? (o[k] as string).slice(0, 256) : null);
  return { idem_key: text('idem_key'), transition: text('transition'), signer: text('signer'), hlc: text('hlc') };
}
