// One SWOOSH node of a cluster on etcd (docs/cluster.md): follower ↔ candidate ↔ leader.
//
// - Follower: reads wal/ from its applied index at one revision R, then watches from R+1;
//   every record goes through the engine's applyReplicated (the replay path of recovery:
//   record hash, link, pre-state, post-state, body, signatures) into this node's own
//   SQLite. A record that does not check stops the follower for good, with its index.
// - Candidate: when the leader key is gone and this node has applied everything etcd
//   holds, it grants a lease and creates the leader key in a txn that requires its absence.
//   The winner re-reads the head, then serves writes.
// - Leader: the engine's Replicator. Each judged batch is one fenced etcd txn (log.ts);
//   a failed compare steps down (queued proposals are answered 503 not_writer, never
//   202), as does a lost lease or a keepalive overdue by more than the lease.
//
// One control loop does all of it, woken by watch events and by a tick, so no two etcd
// conversations about the role ever overlap.

import { Etcd3, type Lease } from 'etcd3';
import type { WalRecord } from '../../core/types';
import type { Engine, Refusal, Replicator } from '../engine/engine';
import { hashStateNative } from '../engine/hashing';
import { recordBodyText, type StoredSnapshot } from '../store/store';
import { EtcdLog, type LeaderInfo, type LeaderRecord, type WalEntry } from './log';

export type Role = 'follower' | 'candidate' | 'leader';

export interface NodeOptions {
  engine: Engine;
  project: string;
  /** etcd client URLs. */
  endpoints: string[];
  node_id: string;
  /** This node's API URL as the others and clients reach it (or given to start() once listening). */
  url?: string;
  /** Leader lease, ms (etcd grants whole seconds: rounded up, at least 2 s). */
  lease_ms: number;
  /**
   * Records kept in etcd behind each snapshot; older keys are deleted in the leader's
   * fenced txn and etcd is compacted (a follower further behind restores from a peer's
   * snapshot). 0: never delete.
   */
  keep_records?: number;
  onEvent?: (e: NodeEvent) => void;
}

/** Default of keep_records: well past what a restarting follower lags by. */
export const DEFAULT_KEEP_RECORDS = 10_000;

export type NodeEvent =
  | { event: 'leader'; node_id: string; fence: string; index: number }
  | { event: 'step_down'; reason: string; index: number }
  | { event: 'leader_seen'; leader: LeaderInfo | null; revision: string | null }
  | { event: 'diverged'; index: number; problem: string }
  | { event: 'restored'; index: number; from: string }
  | { event: 'behind'; index: number; etcd_first: number; problem: string }
  | { event: 'etcd_error'; error: string };

export interface Consensus {
  mode: 'etcd';
  node_id: string;
  role: Role;
  leader: LeaderInfo | null;
  leader_revision: string | null;
  applied_index: number;
  etcd_index: number;
  members: Array<{ url: string; ok: boolean }>;
  /** Catch-ups from a peer's snapshot since this process started (etcd no longer had the records). */
  snapshot_restores: number;
  problem?: { index: number; problem: string };
}

/** Watched records waiting to be applied, at most (beyond: dropped, re-read from etcd). */
const BUFFER_MAX = 10_000;
/** Pages of one catch-up read (× READ_PAGE_MAX records). */
const CATCH_UP_PAGES_MAX = 10_000;
/** The control loop runs at least this often (self-fence check, missed events). */
const TICK_MS = 200;
/** Keepalive send times remembered while their answers are outstanding. */
const KEEPALIVES_IN_FLIGHT_MAX = 16;
/** A follower re-reads the leader key at least this often. */
const LEADER_REREAD_MS = 1000;
/** Each etcd call of a stop waits at most this long. */
const STOP_STEP_MS = 1500;
/** etcd member health is polled at most this often. */
const MEMBER_POLL_MS = 1000;

export class ClusterNode implements Replicator {
  readonly client: Etcd3;
  readonly log: EtcdLog;
  role: Role = 'follower';
  leader: LeaderRecord | null = null;
  etcd_index = 0;
  leader_changes = 0;
  /** Times this node adopted a peer's snapshot because etcd had deleted what it needed. */
  snapshot_restores = 0;
  problem: { index: number; problem: string } | null = null;
  members: Array<{ url: string; ok: boolean }>;
  private fence: string | null = null;
  private lease: Lease | null = null;
  private lastKeepAlive_ms = 0;
  private readonly lease_s: number;
  private buffer: WalEntry[] = [];
  private needRead = true;
  private readRevision: string | null = null;
  private watch: { cancel(): Promise<void> } | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private lastMemberPoll_ms = 0;
  private lastLeaderRevision: string | null = null;
  private leaderRead_ms = 0;
  private poked = false;
  private url: string;

  /** The engine refuses writes from here on, until this node wins an election. */
  constructor(private readonly o: NodeOptions) {
    o.engine.setReplicator(this);
    this.url = o.url ?? '';
    this.client = new Etcd3({ hosts: o.endpoints, dialTimeout: 2000 });
    this.log = new EtcdLog(this.client, o.project);
    this.lease_s = Math.max(2, Math.ceil(o.lease_ms / 1000));
    this.members = o.endpoints.map((url) => ({ url, ok: false }));
  }

  get me(): LeaderInfo {
    return { node_id: this.o.node_id, url: this.url };
  }

  get applied_index(): number {
    return this.o.engine.current.index;
  }

  /** Starts the control loop; `url`: this node's URL if not given at construction. */
  start(url?: string): void {
    if (url !== undefined && this.url === '') this.url = url;
    if (this.url === '') throw new Error('a cluster node needs its URL before it starts');
    this.loop ??= this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
    // Each bounded: a node must stop even when etcd is unreachable.
    await bounded(this.watch?.cancel());
    // A clean stop hands leadership over at once instead of after the lease.
    if (this.role === 'leader' && this.fence) await bounded(this.log.resign(this.fence));
    await bounded(this.lease?.revoke());
    this.client.close();
  }

  private emit(e: NodeEvent): void {
    try {
      this.o.onEvent?.(e);
    } catch {
      // A faulty listener must not stop the node.
    }
  }

  /** Runs the next step now: at once if the loop is waiting, else right after the current step. */
  private poke(): void {
    if (this.wake) this.wake();
    else this.poked = true;
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      try {
        await this.step();
        failures = 0;
      } catch (err) {
        failures += 1;
        this.emit({ event: 'etcd_error', error: (err as Error).message });
        this.needRead = true;
      }
      this.pollMembers();
      const pause = failures === 0 ? TICK_MS : Math.min(2000, 100 * 2 ** Math.min(failures, 5));
      // An event that came during the step (the leader key gone, records) is handled now.
      if (this.poked && failures === 0) {
        this.poked = false;
        continue;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(done, pause);
        const self = this;
        function done(): void {
          clearTimeout(t);
          self.wake = null;
          resolve();
        }
        this.wake = done;
      });
    }
  }

  private async step(): Promise<void> {
    if (this.problem) return;
    if (this.role === 'leader') {
      if (!this.keepaliveFresh())
        this.stepDown(`no lease keepalive for ${Date.now() - this.lastKeepAlive_ms} ms (lease ${this.lease_s} s)`);
      return;
    }
    await this.catchUp();
    if (this.problem) return;
    if (this.watch === null && this.readRevision !== null) await this.startWatch(this.readRevision);
    // The watch reports the leader key; this re-read only covers an event lost to a reconnect.
    if (Date.now() - this.leaderRead_ms >= LEADER_REREAD_MS) {
      this.leaderRead_ms = Date.now();
      this.noteLeader(await this.log.leader());
    }
    if (this.leader === null) await this.campaign();
  }

  private keepaliveFresh(): boolean {
    return Date.now() - this.lastKeepAlive_ms <= this.lease_s * 1000;
  }

  // ── follower ────────────────────────────────────────────────────────────────────────

  /** Applies watched records if they continue HEAD, else (or when told to) reads from etcd. */
  private async catchUp(): Promise<void> {
    await this.o.engine.settled();
    this.applyBuffered();
    if (!this.needRead || this.problem) return;
    this.needRead = false;
    let at: string | undefined;
    for (let page = 0; page < CATCH_UP_PAGES_MAX; page += 1) {
      const read = await this.log.readFrom(this.applied_index + 1, undefined, at);
      at = read.revision;
      const fresh = read.entries.filter((e) => e.index > this.applied_index);
      if (fresh.length > 0 && (fresh[0] as WalEntry).index !== this.applied_index + 1) {
        // etcd deleted what this node still needs: restart from a peer's snapshot, then read on.
        if (!(await this.restoreFromPeer((fresh[0] as WalEntry).index))) {
          this.needRead = true;
          return;
        }
        at = undefined;
        continue;
      }
      if (fresh.length > 0) this.apply(fresh);
      if (this.problem || !read.more) break;
    }
    this.readRevision = at ?? null;
    this.etcd_index = Math.max(this.etcd_index, this.applied_index);
    this.noteLeader(await this.log.leader());
  }

  /**
   * The leader's newest snapshot, if it reaches etcd's first record: its state hash is
   * recomputed here, and the record it was taken at must match it. True once adopted.
   */
  private async restoreFromPeer(etcd_first: number): Promise<boolean> {
    const from = this.leader?.info?.url;
    const behind = (problem: string): false => {
      this.emit({ event: 'behind', index: this.applied_index, etcd_first, problem });
      return false;
    };
    if (!from || this.leader?.info?.node_id === this.o.node_id) return behind('no leader to restore from');
    try {
      const snap = await getJson<StoredSnapshot>(`${from}/snapshot/latest`);
      if (snap.index + 1 < etcd_first || snap.index <= this.applied_index)
        return behind(`the leader's snapshot ${snap.index} does not reach etcd's first record ${etcd_first}`);
      if (hashStateNative(snap.state) !== snap.state_hash)
        return behind(`the leader's snapshot ${snap.index} does not hash to ${snap.state_hash}`);
      const page = await getJson<{ records: WalRecord[] }>(`${from}/wal?from=${snap.index}&limit=1`);
      const record = page.records[0];
      if (!record || record.index !== snap.index) return behind(`the leader has no record ${snap.index}`);
      await this.o.engine.settled();
      this.o.engine.adoptSnapshot(
        { index: snap.index, hlc: snap.hlc, state: snap.state, state_hash: snap.state_hash, record_hash: snap.record_hash },
        recordBodyText(record),
      );
      this.snapshot_restores += 1;
      this.emit({ event: 'restored', index: snap.index, from });
      return true;
    } catch (err) {
      return behind((err as Error).message);
    }
  }

  private applyBuffered(): void {
    if (this.buffer.length === 0) return;
    const entries = this.buffer;
    this.buffer = [];
    const fresh = entries.filter((e) => e.index > this.applied_index);
    if (fresh.length === 0) return;
    if ((fresh[0] as WalEntry).index !== this.applied_index + 1) {
      this.needRead = true;
      return;
    }
    let n = 1;
    while (n < fresh.length && (fresh[n] as WalEntry).index === (fresh[n - 1] as WalEntry).index + 1) n += 1;
    this.apply(fresh.slice(0, n));
    if (n < fresh.length) this.needRead = true;
  }

  private apply(entries: WalEntry[]): void {
    const out = this.o.engine.applyReplicated(entries);
    if (out.problem) this.diverge(out.problem.index, out.problem.problem);
  }

  private diverge(index: number, problem: string): void {
    this.problem = { index, problem };
    this.emit({ event: 'diverged', index, problem });
  }

  private async startWatch(readRevision: string): Promise<void> {
    const from = String(BigInt(readRevision) + 1n);
    this.watch = await this.log.watchFrom(from, {
      wal: (e) => {
        this.etcd_index = Math.max(this.etcd_index, e.index);
        if (this.role === 'leader') return;
        if (this.buffer.length >= BUFFER_MAX) {
          this.buffer = [];
          this.needRead = true;
        } else {
          this.buffer.push(e);
        }
        this.poke();
      },
      leader: (record) => {
        this.noteLeader(record);
        if (record === null || record.create_revision !== this.fence) {
          if (this.role === 'leader') this.stepDown('the leader key was deleted or replaced');
        }
        this.poke();
      },
      reconnected: () => {
        this.needRead = true;
        this.poke();
      },
      error: () => {
        // Cancelled by etcd (compacted start revision): read again, then watch from there.
        const w = this.watch;
        this.watch = null;
        void w?.cancel().catch(() => {});
        this.needRead = true;
        this.poke();
      },
    });
  }

  private noteLeader(record: LeaderRecord | null): void {
    this.leader = record;
    const revision = record?.create_revision ?? null;
    if (revision !== null && revision !== this.lastLeaderRevision) {
      this.lastLeaderRevision = revision;
      this.leader_changes += 1;
      this.emit({ event: 'leader_seen', leader: record?.info ?? null, revision });
    }
  }

  // ── candidate ───────────────────────────────────────────────────────────────────────

  private async campaign(): Promise<void> {
    const bounds = await this.log.bounds();
    this.etcd_index = Math.max(this.etcd_index, bounds.last);
    // Only a node holding every record etcd has may lead: the winner continues at the next index.
    if (this.applied_index < bounds.last) {
      this.needRead = true;
      return;
    }
    this.role = 'candidate';
    const lease = this.client.lease(this.lease_s, { autoKeepAlive: true });
    const asked_ms = Date.now();
    let won: Awaited<ReturnType<EtcdLog['campaign']>>;
    try {
      const id = await lease.grant();
      won = await this.log.campaign(id, this.me);
    } catch (err) {
      this.role = 'follower';
      await lease.revoke().catch(() => {});
      throw err;
    }
    if (!won.won) {
      this.role = 'follower';
      await lease.revoke().catch(() => {});
      this.noteLeader(won.leader);
      return;
    }
    this.lease = lease;
    this.fence = won.fence;
    // Counted from before the grant: the lease cannot have started earlier than that.
    this.lastKeepAlive_ms = asked_ms;
    // A keepalive extends the lease from when etcd got it, which is after it was sent: credit
    // the send time, never the arrival (an answer read after a pause is old news).
    const fired_ms: number[] = [];
    lease.on('keepaliveFired', () => {
      if (fired_ms.length >= KEEPALIVES_IN_FLIGHT_MAX) fired_ms.shift();
      fired_ms.push(Date.now());
    });
    // A new keepalive stream: answers to sends on the old one will never come.
    lease.on('keepaliveEstablished', () => {
      fired_ms.length = 0;
    });
    lease.on('keepaliveSucceeded', () => {
      const sent = fired_ms.shift();
      if (this.lease === lease && sent !== undefined) this.lastKeepAlive_ms = Math.max(this.lastKeepAlive_ms, sent);
    });
    lease.on('lost', (err) => {
      if (this.lease === lease) this.stepDown(`lease lost: ${(err as Error).message}`);
    });
    // Re-read the head under the new key: anything a predecessor committed is applied first.
    this.needRead = true;
    await this.catchUp();
    if (this.problem || this.fence !== won.fence) {
      this.stepDown('could not take over the head');
      return;
    }
    this.noteLeader({ info: this.me, create_revision: won.fence, lease: '' });
    this.role = 'leader';
    this.emit({ event: 'leader', node_id: this.o.node_id, fence: won.fence, index: this.applied_index });
  }

  private stepDown(reason: string): void {
    if (this.role === 'follower') return;
    const wasLeader = this.role === 'leader';
    this.role = 'follower';
    this.fence = null;
    const lease = this.lease;
    this.lease = null;
    // Revoking deletes our leader key at once (if it still is ours), so the others need not wait out the lease.
    void lease?.revoke().catch(() => {});
    if (this.leader?.info?.node_id === this.o.node_id) this.leader = null;
    this.needRead = true;
    if (wasLeader) this.emit({ event: 'step_down', reason, index: this.applied_index });
    this.poke();
  }

  // ── the engine's replicator ─────────────────────────────────────────────────────────

  refusal(): Refusal | null {
    if (this.role === 'leader' && this.fence !== null && this.keepaliveFresh() && !this.stopped) return null;
    const l = this.leader?.info ?? null;
    if (l && l.node_id !== this.o.node_id) {
      return {
        status: 503,
        error: { code: 'not_writer', reason: `this node is a follower; the leader is ${l.node_id} at ${l.url}`, leader: l.url },
      };
    }
    return { status: 503, error: { code: 'no_leader', reason: 'no leader is elected right now; retry shortly' }, retry_after_s: 1 };
  }

  async replicate(
    records: WalRecord[],
    texts: string[],
    snapshots: StoredSnapshot[],
  ): Promise<{ ok: true } | { ok: false; refusal: Refusal }> {
    const fence = this.fence;
    if (this.role !== 'leader' || fence === null) return { ok: false, refusal: this.refusal() ?? notWriter('this node stopped leading') };
    const entries = records.map((r, i) => ({ index: r.index, text: texts[i] as string }));
    const last = snapshots[snapshots.length - 1];
    const keep = this.o.keep_records ?? DEFAULT_KEEP_RECORDS;
    // Delete only what this snapshot covers, and keep `keep` records behind it.
    const keep_from = last && keep > 0 ? Math.min(last.index, last.index + 1 - keep) : null;
    const extra = last ? this.log.snapshotOps(last.index, last.state_hash, keep_from) : [];
    const out = await this.log.append(entries, fence, extra);
    if (out.kind === 'committed') {
      this.etcd_index = Math.max(this.etcd_index, (entries[entries.length - 1] as WalEntry).index);
      // The deleted keys' history goes too; a watcher older than this revision re-reads.
      if (keep_from !== null && keep_from > 1) void this.log.compact(out.revision).catch(() => {});
      return { ok: true };
    }
    if (out.kind === 'fenced_out') {
      this.stepDown(out.reason);
      return { ok: false, refusal: this.refusal() ?? notWriter(out.reason) };
    }
    return {
      ok: false,
      refusal: {
        status: 503,
        error: {
          code: 'not_writer',
          reason: `the append could not be confirmed in etcd (${out.reason}); nothing was acknowledged: retry with the same idem_key`,
        },
        retry_after_s: 1,
      },
    };
  }

  lost(reason: string): void {
    this.stepDown(reason);
  }

  // ── health ──────────────────────────────────────────────────────────────────────────

  consensus(): Consensus {
    const c: Consensus = {
      mode: 'etcd',
      node_id: this.o.node_id,
      role: this.role,
      leader: this.leader?.info ?? null,
      leader_revision: this.leader?.create_revision ?? null,
      applied_index: this.applied_index,
      etcd_index: Math.max(this.etcd_index, this.applied_index),
      members: this.members.map((m) => ({ ...m })),
      snapshot_restores: this.snapshot_restores,
    };
    if (this.problem) c.problem = this.problem;
    return c;
  }

  private pollMembers(): void {
    const now = Date.now();
    if (now - this.lastMemberPoll_ms < MEMBER_POLL_MS) return;
    this.lastMemberPoll_ms = now;
    for (const m of this.members) {
      fetch(`${m.url}/health`, { signal: AbortSignal.timeout(800) })
        .then(async (res) => {
          const body = (await res.json()) as { health?: string };
          m.ok = res.status === 200 && body.health === 'true';
        })
        .catch(() => {
          m.ok = false;
        });
    }
  }
}

/** Waits for `p` at most STOP_STEP_MS, ignoring its outcome. */
async function bounded(p: Promise<unknown> | undefined): Promise<void> {
  if (p === undefined) return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p.catch(() => {}), new Promise<void>((r) => (timer = setTimeout(r, STOP_STEP_MS)))]);
  clearTimeout(timer);
}

/** GET a peer's JSON (bounded in time; a non-200 is an error). */
async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status}`);
  return (await res.json()) as T;
}

function notWriter(reason: string): Refusal {
  return { status: 503, error: { code: 'not_writer', reason }, retry_after_s: 1 };
}
