// The fenced WAL in etcd (docs/cluster.md). etcd's Raft log is the replicated WAL; this
// file is the only code that writes it. Keys, all under /swoosh/<project>/:
//
//   leader              {node_id, url}, bound to the leader's lease
//   wal/<20 digits>     the record text exactly as stored in SQLite (JCS without record_hash)
//   snap/<20 digits>    optional pointer {index, state_hash}
//
// The fence: every append is ONE etcd transaction comparing
//   create_revision(leader)          == the revision at which this node became leader
//   create_revision(wal/<first>)     == 0   (nobody wrote this index yet)
// etcd's lock/election helpers alone do not give mutual exclusion (Jepsen, etcd 3.4.3): a
// paused leader wakes up believing it still leads. With the compare, its write fails the
// moment anyone else has become leader (the key was re-created at a newer revision), so at
// any moment at most one node's appends succeed.
//
// An outcome is never guessed. The client library retries a call on another member after
// a network error, so a compare can fail because OUR first attempt already landed; a
// timeout leaves the outcome unknown. Both are resolved by reading the keys back: the
// record hash decides.

import type { Etcd3, IKeyValue, IRequestOp, ITxnResponse } from 'etcd3';
import { recordHashOf } from '../store/store';

export interface LeaderInfo {
  node_id: string;
  url: string;
}

/** etcd's request limit is 1.5 MiB; leave room for keys and gRPC framing. */
export const BATCH_BYTES_MAX = 1_400_000;
/** etcd's default limit is 128 operations per txn; three stay free for a snapshot pointer and two deletes. */
export const BATCH_RECORDS_MAX = 125;
/** A range read returns at most this many records (bounded memory per page). */
export const READ_PAGE_MAX = 500;

export interface WalEntry {
  index: number;
  /** The stored text (record without record_hash). */
  text: string;
}

export type AppendOutcome =
  | { kind: 'committed'; revision: string }
  /** Another node leads (the fence no longer matches) or already wrote this index. */
  | { kind: 'fenced_out'; reason: string }
  /** Not in etcd as far as a read-back can tell (etcd unreachable or the call timed out and the key is absent). */
  | { kind: 'failed'; reason: string };

export class LogError extends Error {
  constructor(
    readonly code: 'bad_key' | 'bad_value' | 'too_large',
    message: string,
  ) {
    super(message);
  }
}

export function walKeyIndex(index: number): string {
  if (!Number.isSafeInteger(index) || index < 1) throw new LogError('bad_key', `WAL index ${index} is not a positive integer`);
  return String(index).padStart(20, '0');
}

/** The byte after `prefix`'s last byte: the range_end that covers exactly the prefix. */
function prefixEnd(prefix: string): Buffer {
  const b = Buffer.from(prefix);
  b[b.length - 1] = (b[b.length - 1] as number) + 1;
  return b;
}

export class Keys {
  readonly root: string;
  constructor(readonly project: string) {
    this.root = `/swoosh/${project}/`;
  }
  get leader(): string {
    return `${this.root}leader`;
  }
  get walPrefix(): string {
    return `${this.root}wal/`;
  }
  wal(index: number): string {
    return `${this.walPrefix}${walKeyIndex(index)}`;
  }
  snap(index: number): string {
    return `${this.root}snap/${walKeyIndex(index)}`;
  }
  /** The index a wal/ key names, or null for anything else under the prefix. */
  indexOf(key: Buffer | string): number | null {
    const k = key.toString();
    if (!k.startsWith(this.walPrefix)) return null;
    const digits = k.slice(this.walPrefix.length);
    if (!/^\d{20}$/.test(digits)) return null;
    const n = Number(digits);
    return Number.isSafeInteger(n) ? n : null;
  }
}

export interface LogOptions {
  /** Deadline of one etcd call, ms. */
  call_timeout_ms?: number;
}

export interface WatchHandlers {
  wal(entry: WalEntry, revision: string): void;
  /** The leader key was created or changed (record), or deleted / expired (null). */
  leader(record: LeaderRecord | null): void;
  /** The watch stream came back after a disconnect. */
  reconnected(): void;
  /** The watch was cancelled by etcd (e.g. its start revision was compacted). */
  error(err: Error): void;
}

export interface LeaderRecord {
  info: LeaderInfo | null;
  create_revision: string;
  lease: string;
}

/** The fenced etcd log of one project. */
export class EtcdLog {
  readonly keys: Keys;
  private readonly call_timeout_ms: number;

  constructor(
    readonly client: Etcd3,
    project: string,
    o: LogOptions = {},
  ) {
    this.keys = new Keys(project);
    this.call_timeout_ms = o.call_timeout_ms ?? 2000;
  }

  private deadline(): { deadline: Date } {
    return { deadline: new Date(Date.now() + this.call_timeout_ms) };
  }

  /** The current leader key, or null when there is none (linearizable read). */
  async leader(): Promise<LeaderRecord | null> {
    const res = await this.client.kv.range({ key: Buffer.from(this.keys.leader) }, this.deadline());
    const kv = res.kvs[0];
    return kv ? leaderOf(kv) : null;
  }

  /**
   * Creates the leader key bound to `lease_id` if there is none. The fence is the key's
   * create revision, which is the txn's revision. Lost: who leads now (may be null if it
   * vanished meanwhile).
   */
  async campaign(lease_id: string, me: LeaderInfo): Promise<{ won: true; fence: string } | { won: false; leader: LeaderRecord | null }> {
    const key = Buffer.from(this.keys.leader);
    const res = await this.client.kv.txn(
      {
        compare: [{ key, target: 'Create', result: 'Equal', create_revision: 0 }],
        success: [{ request_put: { key, value: Buffer.from(JSON.stringify(me)), lease: lease_id } }],
        failure: [{ request_range: { key } }],
      },
      this.deadline(),
    );
    if (res.succeeded) return { won: true, fence: res.header.revision };
    const kv = res.responses[0]?.response_range?.kvs[0];
    return { won: false, leader: kv ? leaderOf(kv) : null };
  }

  /** Deletes the leader key if it is still ours (a clean step-down; the lease revoke does the same). */
  async resign(fence: string): Promise<boolean> {
    const key = Buffer.from(this.keys.leader);
    const res = await this.client.kv.txn(
      {
        compare: [{ key, target: 'Create', result: 'Equal', create_revision: fence }],
        success: [{ request_delete_range: { key } }],
        failure: [],
      },
      this.deadline(),
    );
    return res.succeeded;
  }

  /**
   * Appends records [first, first+n) under the fence, optionally with extra operations in
   * the same txn (snapshot pointer, deletion of covered keys).
   */
  async append(entries: WalEntry[], fence: string, extra: IRequestOp[] = []): Promise<AppendOutcome> {
    checkBatch(entries, extra);
    const first = entries[0] as WalEntry;
    const leaderKey = Buffer.from(this.keys.leader);
    const firstKey = Buffer.from(this.keys.wal(first.index));
    let res: ITxnResponse;
    try {
      res = await this.client.kv.txn(
        {
          compare: [
            { key: leaderKey, target: 'Create', result: 'Equal', create_revision: fence },
            { key: firstKey, target: 'Create', result: 'Equal', create_revision: 0 },
          ],
          success: [
            ...entries.map((e) => ({ request_put: { key: Buffer.from(this.keys.wal(e.index)), value: Buffer.from(e.text) } })),
            ...extra,
          ],
          failure: [],
        },
        this.deadline(),
      );
    } catch (err) {
      return this.resolveUnknown(entries, fence, `etcd call failed: ${(err as Error).message}`);
    }
    if (res.succeeded) return { kind: 'committed', revision: res.header.revision };
    // A failed compare may still be our own earlier attempt (the client retried): read back.
    return this.resolve(entries, fence, 'compare failed');
  }

  /** Read-back after a timeout or network error, retried while etcd stays unreachable. */
  private async resolveUnknown(entries: WalEntry[], fence: string, why: string): Promise<AppendOutcome> {
    let last = why;
    for (let attempt = 0; attempt < 5; attempt += 1) {
      try {
        const out = await this.resolve(entries, fence, why);
        if (out.kind === 'failed') return { kind: 'failed', reason: `${why}; read-back: ${out.reason}` };
        return out;
      } catch (err) {
        last = (err as Error).message;
        await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
      }
    }
    // Still unknown: never report a commit that was not seen.
    return { kind: 'failed', reason: `${why}; read-back failed too: ${last}` };
  }

  /** Decides an append's outcome from what etcd holds now. */
  private async resolve(entries: WalEntry[], fence: string, why: string): Promise<AppendOutcome> {
    const first = entries[0] as WalEntry;
    const last = entries[entries.length - 1] as WalEntry;
    const [firstKv, lastKv, leader] = await Promise.all([
      this.get(this.keys.wal(first.index)),
      this.get(this.keys.wal(last.index)),
      this.leader(),
    ]);
    const ours = (kv: IKeyValue | null, e: WalEntry): boolean => kv !== null && recordHashOf(kv.value.toString()) === recordHashOf(e.text);
    // The txn is atomic: first and last both ours means every record of the batch is.
    if (ours(firstKv, first) && ours(lastKv, last)) return { kind: 'committed', revision: firstKv!.mod_revision };
    if (firstKv !== null) return { kind: 'fenced_out', reason: `${why}: index ${first.index} was written by another leader` };
    if (leader === null || leader.create_revision !== fence) {
      return {
        kind: 'fenced_out',
        reason: `${why}: the leader key is ${leader ? `from revision ${leader.create_revision}` : 'gone'}, this node's fence is ${fence}`,
      };
    }
    return { kind: 'failed', reason: `${why}: index ${first.index} is absent` };
  }

  private async get(key: string): Promise<IKeyValue | null> {
    const res = await this.client.kv.range({ key: Buffer.from(key) }, this.deadline());
    return res.kvs[0] ?? null;
  }

  /**
   * Records from `index` on, at most `limit`, read at one revision (`at`, or the current
   * one). The answer carries that revision: a watch from revision + 1 misses nothing.
   */
  async readFrom(index: number, limit = READ_PAGE_MAX, at?: string): Promise<{ entries: WalEntry[]; revision: string; more: boolean }> {
    const res = await this.client.kv.range(
      {
        key: Buffer.from(this.keys.wal(Math.max(1, index))),
        range_end: prefixEnd(this.keys.walPrefix),
        limit: Math.min(Math.max(1, limit), READ_PAGE_MAX),
        ...(at !== undefined ? { revision: at } : {}),
      },
      this.deadline(),
    );
    const entries: WalEntry[] = [];
    for (const kv of res.kvs) {
      const i = this.keys.indexOf(kv.key);
      if (i === null) throw new LogError('bad_key', `unexpected key ${kv.key.toString()} under ${this.keys.walPrefix}`);
      entries.push({ index: i, text: kv.value.toString() });
    }
    return { entries, revision: at ?? res.header.revision, more: res.more };
  }

  /** The highest and lowest index in etcd (0 when empty) and the revision they were read at. */
  async bounds(): Promise<{ first: number; last: number; revision: string }> {
    const ask = (order: 'Ascend' | 'Descend') =>
      this.client.kv.range(
        {
          key: Buffer.from(this.keys.walPrefix),
          range_end: prefixEnd(this.keys.walPrefix),
          limit: 1,
          keys_only: true,
          sort_order: order,
          sort_target: 'Key',
        },
        this.deadline(),
      );
    const hi = await ask('Descend');
    const lo = await this.client.kv.range(
      {
        key: Buffer.from(this.keys.walPrefix),
        range_end: prefixEnd(this.keys.walPrefix),
        limit: 1,
        keys_only: true,
        revision: hi.header.revision,
      },
      this.deadline(),
    );
    const idx = (kv: IKeyValue | undefined): number => (kv ? (this.keys.indexOf(kv.key) ?? 0) : 0);
    return { first: idx(lo.kvs[0]), last: idx(hi.kvs[0]), revision: hi.header.revision };
  }

  /**
   * Operations for the leader's fenced txn: the snapshot pointer at `index`, and deletion
   * of every wal/ key below `keep_from` (covered by that snapshot on every node that
   * applied it; a follower further behind restores from a peer's snapshot).
   */
  snapshotOps(index: number, state_hash: string, keep_from: number | null): IRequestOp[] {
    const ops: IRequestOp[] = [
      { request_put: { key: Buffer.from(this.keys.snap(index)), value: Buffer.from(JSON.stringify({ index, state_hash })) } },
    ];
    if (keep_from !== null && keep_from > 1) {
      ops.push({ request_delete_range: { key: Buffer.from(this.keys.wal(1)), range_end: Buffer.from(this.keys.wal(keep_from)) } });
      ops.push({ request_delete_range: { key: Buffer.from(this.keys.snap(1)), range_end: Buffer.from(this.keys.snap(keep_from)) } });
    }
    return ops;
  }

  /**
   * Watches everything under the project (leader and wal/) from `revision` on. Events come
   * in revision order; after a reconnect the library resumes where it stopped, and the
   * caller re-reads anyway (`reconnected`), so nothing depends on the watch being gapless.
   */
  async watchFrom(revision: string, on: WatchHandlers): Promise<{ cancel(): Promise<void> }> {
    const watcher = await this.client.watch().prefix(this.keys.root).startRevision(revision).create();
    watcher.on('put', (kv) => {
      if (kv.key.toString() === this.keys.leader) on.leader(leaderOf(kv));
      else {
        const index = this.keys.indexOf(kv.key);
        if (index !== null) on.wal({ index, text: kv.value.toString() }, kv.mod_revision);
      }
    });
    watcher.on('delete', (kv) => {
      if (kv.key.toString() === this.keys.leader) on.leader(null);
    });
    watcher.on('connected', () => on.reconnected());
    watcher.on('error', (err) => on.error(err));
    return { cancel: () => watcher.cancel() };
  }

  /** Compacts etcd's history up to `revision` (physical space; watchers older than it are cancelled). */
  async compact(revision: string): Promise<void> {
    await this.client.kv.compact({ revision, physical: false }, this.deadline());
  }
}

function checkBatch(entries: WalEntry[], extra: IRequestOp[]): void {
  if (entries.length === 0) throw new LogError('bad_value', 'an append needs at least one record');
  if (entries.length + extra.length > BATCH_RECORDS_MAX + 3)
    throw new LogError('too_large', `${entries.length + extra.length} operations exceed etcd's 128`);
  let bytes = 0;
  for (let i = 0; i < entries.length; i += 1) {
    const e = entries[i] as WalEntry;
    if (i > 0 && e.index !== (entries[i - 1] as WalEntry).index + 1)
      throw new LogError('bad_value', `batch is not contiguous at index ${e.index}`);
    bytes += Buffer.byteLength(e.text) + 64;
  }
  if (bytes > BATCH_BYTES_MAX && entries.length > 1) throw new LogError('too_large', `batch of ${bytes} bytes exceeds ${BATCH_BYTES_MAX}`);
}

function leaderOf(kv: IKeyValue): LeaderRecord {
  let info: LeaderInfo | null = null;
  try {
    const v = JSON.parse(kv.value.toString()) as Partial<LeaderInfo>;
    if (typeof v.node_id === 'string' && typeof v.url === 'string') info = { node_id: v.node_id, url: v.url };
  } catch {
    info = null;
  }
  return { info, create_revision: kv.create_revision, lease: kv.lease };
}
