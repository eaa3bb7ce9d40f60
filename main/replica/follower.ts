// A read replica: tails the writer's WAL over HTTP (GET /wal?from=…&limit=…) and applies
// every record through the same replay path as recovery (main/engine/replay.ts
// replayRows: record hash, link, pre-state, and the reducer reproducing the post-state;
// by default also every signature and the exact record body). docs/architecture.md §5: single writer,
// many readers, and replicas must agree on every state hash.
//
// It never trusts the writer: a record that does not chain onto the replica's HEAD stops
// it (`diverged`) and nothing past it is applied. A writer that comes back with fewer
// records than the replica already holds has lost acknowledged history; that is reported
// as `diverged` too. A writer that is down (killed, restarting) is retried with
// exponential backoff, forever, until the follower is stopped.
//
// With `db`, the replica keeps its own SQLite file in the writer's format (hash-chained
// WAL + snapshots), so it survives its own restarts, `swoosh verify` checks it, and it is
// the intact copy docs/runbooks/corrupted-wal.md restores from.

import { canonicalize } from '../../core/canonical';
import { H } from '../../core/hash';
import type { Spec } from '../../core/spec';
import type { State } from '../../core/state';
import type { Genesis, WalRecord } from '../../core/types';
import { CorruptionError, genesisHead, replayRows, type ReplayHead } from '../engine/replay';
import { hashStateNative } from '../engine/hashing';
import { NodeVerifier } from '../engine/verifier';
import { headAt } from '../host';
import { RULES_VERSION } from '../../core/rules';
import { loadMachine } from '../machine';
import { recordBodyText, Store, type StoredSnapshot } from '../store/store';
import { JsonClient, sleep } from './http';

export interface FollowerOptions {
  /** The writer's base URL, e.g. http://127.0.0.1:7420. */
  url: string;
  /** Genesis of the project; without it the replica takes state 0 from GET /state/at/0 (hash checked). */
  genesis?: Genesis;
  /** The replica's own SQLite file (optional). */
  db?: string;
  spec?: Spec;
  /** Report the hash at every multiple of this index (0: never). */
  checkpoint_every?: number;
  /** Re-verify every signature and the exact record body (default true: trust nothing). */
  verify?: boolean;
  page_limit?: number;
  /** Longest pause between polls of a caught-up writer, ms. */
  idle_ms_max?: number;
  /** Longest pause between retries of an unreachable writer, ms. */
  backoff_ms_max?: number;
  /** Snapshot the replica's own store every N records. */
  snapshot_every?: number;
  onEvent?: (e: FollowerEvent) => void;
}

export type FollowerEvent =
  | { event: 'ready'; index: number; hash: string }
  | { event: 'checkpoint'; index: number; hash: string }
  | { event: 'head'; index: number; hash: string; writer_index: number }
  | { event: 'writer_unreachable'; index: number; error: string }
  | { event: 'writer_back'; index: number; writer_index: number; down_ms: number }
  | { event: 'diverged'; index: number; problem: string }
  | { event: 'stopped'; index: number; hash: string };

interface WalPage {
  from: number;
  count: number;
  head_index: number;
  records: WalRecord[];
}

export class FollowerError extends Error {
  constructor(
    readonly code: 'genesis_mismatch' | 'bad_state0' | 'spec_mismatch',
    message: string,
  ) {
    super(message);
  }
}

export class Follower {
  private head!: ReplayHead;
  private store: Store | null = null;
  private readonly client = new JsonClient(2);
  private readonly spec: Spec;
  private readonly verifier: NodeVerifier | undefined;
  private stopped = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private lastReported = -1;
  /** Set once the replica refuses to go on (corrupt or diverging writer). */
  problem: { index: number; problem: string } | null = null;
  readonly checkpoints = new Map<number, string>();
  writer_index = 0;
  retries = 0;

  constructor(private readonly o: FollowerOptions) {
    this.spec = o.spec ?? loadMachine();
    this.verifier = (o.verify ?? true) ? new NodeVerifier() : undefined;
  }

  get index(): number {
    return this.head.index;
  }

  get hash(): string {
    return this.head.hash;
  }

  get state(): State {
    return this.head.state;
  }

  /** Opens (or creates) the replica's store and finds its HEAD; the writer may still be down. */
  async open(): Promise<void> {
    const genesis = this.o.genesis ?? null;
    if (this.o.db) {
      const store = new Store(this.o.db, 'NORMAL');
      try {
        const g = this.bindStore(store, genesis ?? (await this.genesisFromStore(store)));
        this.head = headAt(store, g, this.spec, store.walLength());
      } catch (err) {
        store.close();
        throw err;
      }
      this.store = store;
    } else if (genesis) {
      this.head = genesisHead(genesis, this.spec);
    } else {
      this.head = await this.state0FromWriter();
    }
    this.emit({ event: 'ready', index: this.head.index, hash: this.head.hash });
  }

  /** Starts tailing; resolves once stopped (or diverged). */
  start(): Promise<void> {
    // Anything unexpected (the replica's own disk failing, a bug) stops it as a problem, never as an unhandled rejection.
    if (!this.loop)
      this.loop = this.run().catch((err: unknown) => this.diverge(this.head.index + 1, `replica failed: ${(err as Error).message}`));
    return this.loop;
  }

  async stop(): Promise<{ index: number; hash: string }> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    this.client.close();
    this.store?.close();
    this.store = null;
    const out = { index: this.head.index, hash: this.head.hash };
    this.emit({ event: 'stopped', ...out });
    return out;
  }

  /** Poll now instead of waiting out the idle pause (e.g. after an SSE `accepted`). */
  poke(): void {
    this.wake?.();
  }

  private emit(e: FollowerEvent): void {
    try {
      this.o.onEvent?.(e);
    } catch {
      // A faulty listener must not stop the replica.
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(done, ms);
      function done(): void {
        clearTimeout(t);
        resolve();
      }
      this.wake = done;
    });
  }

  private async run(): Promise<void> {
    const limit = this.o.page_limit ?? 500;
    const idleMax = this.o.idle_ms_max ?? 100;
    const backoffMax = this.o.backoff_ms_max ?? 1000;
    let idle_ms = 2;
    let failures = 0;
    let downSince = 0;
    while (!this.stopped && this.problem === null) {
      let page: WalPage;
      try {
        page = await this.client.getOk<WalPage>(`${this.o.url}/wal?from=${this.head.index + 1}&limit=${limit}`, 10_000);
      } catch (err) {
        if (failures === 0) {
          downSince = Date.now();
          this.emit({ event: 'writer_unreachable', index: this.head.index, error: (err as Error).message });
          this.client.reset();
        }
        failures += 1;
        this.retries += 1;
        await this.pause(Math.min(backoffMax, 10 * 2 ** Math.min(failures, 10)));
        continue;
      }
      if (failures > 0) {
        this.emit({ event: 'writer_back', index: this.head.index, writer_index: page.head_index, down_ms: Date.now() - downSince });
        failures = 0;
      }
      this.writer_index = page.head_index;
      if (page.head_index < this.head.index) {
        this.diverge(
          this.head.index,
          `the writer's WAL ends at ${page.head_index} but this replica holds ${this.head.index}: acknowledged records were lost`,
        );
        break;
      }
      if (page.records.length === 0) {
        this.reportHead();
        await this.pause(idle_ms);
        idle_ms = Math.min(idleMax, idle_ms * 2);
        continue;
      }
      idle_ms = 2;
      this.apply(page.records);
      if (this.head.index >= page.head_index) this.reportHead();
    }
  }

  private reportHead(): void {
    if (this.lastReported === this.head.index) return;
    this.lastReported = this.head.index;
    this.emit({ event: 'head', index: this.head.index, hash: this.head.hash, writer_index: this.writer_index });
  }

  private diverge(index: number, problem: string): void {
    this.problem = { index, problem };
    this.emit({ event: 'diverged', index, problem });
  }

  /** Applies one page record by record (checkpoint hashes need every index); persists what applied. */
  private apply(records: WalRecord[]): void {
    const K = this.o.checkpoint_every ?? 0;
    const applied: WalRecord[] = [];
    const snapshots: StoredSnapshot[] = [];
    const reached: Array<{ index: number; hash: string }> = [];
    const every = this.o.snapshot_every ?? 1000;
    for (const record of records) {
      const row = { index: record.index, body: recordBodyText(record), record_hash: record.record_hash };
      try {
        this.head = replayRows(this.head, [row], { spec: this.spec, verifier: this.verifier, strict: this.verifier !== undefined });
      } catch (err) {
        if (!(err instanceof CorruptionError)) throw err;
        this.diverge(err.index, err.problem);
        break;
      }
      applied.push(record);
      if (this.store && this.head.index % every === 0) {
        snapshots.push({
          index: this.head.index,
          hlc: this.head.state.hlc_last,
          state: this.head.state,
          state_hash: this.head.hash,
          record_hash: this.head.record_hash,
        });
      }
      if (K > 0 && this.head.index % K === 0) reached.push({ index: this.head.index, hash: this.head.hash });
    }
    // Durable first, then reported: a reported checkpoint survives a crash of the replica.
    if (this.store && applied.length > 0) this.store.commit({ records: applied, rejections: [], snapshots });
    for (const c of reached) {
      this.checkpoints.set(c.index, c.hash);
      this.emit({ event: 'checkpoint', ...c });
    }
  }

  private bindStore(store: Store, genesis: Genesis | null): Genesis {
    const stored = store.getMeta('genesis');
    if (stored === null) {
      if (!genesis) throw new FollowerError('genesis_mismatch', `${store.path} is a new replica file: give the genesis`);
      store.setMeta('genesis', canonicalize(genesis));
      store.setMeta('genesis_hash', H(genesis));
      store.setMeta('spec_hash', this.spec.hash);
      // As the writer records it (main/host.ts), so a replica file can be served or restored from.
      store.setMeta('rules_version', String(RULES_VERSION));
      return genesis;
    }
    if (genesis && H(genesis) !== store.getMeta('genesis_hash')) {
      throw new FollowerError('genesis_mismatch', `${store.path} replicates another project (genesis ${store.getMeta('genesis_hash')})`);
    }
    if (store.getMeta('spec_hash') !== this.spec.hash) {
      throw new FollowerError(
        'spec_mismatch',
        `${store.path} was written under statechart ${store.getMeta('spec_hash')}; this build runs ${this.spec.hash}`,
      );
    }
    return JSON.parse(stored) as Genesis;
  }

  private async genesisFromStore(store: Store): Promise<Genesis | null> {
    const stored = store.getMeta('genesis');
    return stored === null ? null : (JSON.parse(stored) as Genesis);
  }

  /** State 0 from the writer, retried until it answers; its hash is recomputed here. */
  private async state0FromWriter(): Promise<ReplayHead> {
    for (let attempt = 0; ; attempt += 1) {
      if (this.stopped) throw new FollowerError('bad_state0', 'stopped before the writer answered');
      try {
        const at = await this.client.getOk<{ index: number; hash: string; state: State }>(`${this.o.url}/state/at/0`, 10_000);
        const hash = hashStateNative(at.state);
        if (at.index !== 0 || hash !== at.hash)
          throw new FollowerError('bad_state0', `the writer's state 0 hashes to ${hash}, not the ${at.hash} it claims`);
        if (at.state.meta.spec_hash !== this.spec.hash) {
          throw new FollowerError(
            'spec_mismatch',
            `the writer runs statechart ${String(at.state.meta.spec_hash)}; this build runs ${this.spec.hash}`,
          );
        }
        return { state: at.state, hash, index: 0, record_hash: hash };
      } catch (err) {
        if (err instanceof FollowerError) throw err;
        await sleep(Math.min(1000, 10 * 2 ** Math.min(attempt, 7)));
      }
    }
  }
}
