// The cluster on etcd under faults, end to end: a real 3-member etcd (etcd-harness.ts),
// three real `swoosh serve --etcd …` processes, and one steady stream of signed proposals
// through the SDK, which follows 503 not_writer to the named leader and retries no_leader
// with the same signed proposal (same idem_key). Faults, in order:
//   1. kill -9 of the leader, 2. kill -9 of the next leader (each restarted as a follower),
//   3. SIGSTOP of the leader past its lease, proposals queued at the paused node, SIGCONT:
//      the zombie must not answer any of them 202 (its lease is gone, its fence is dead),
//   4. kill -9 of one etcd member (quorum 2 of 3 keeps serving), then its restart.
// Afterwards, on every node and in etcd:
//   - every proposal answered 202/200 is in the log exactly once, at the index it was given
//     (lost, duplicated and unexpected are all empty);
//   - every node has the same record and state_post_hash at every index, equal to etcd's;
//   - writes resumed on a new leader within lease + 2 s after each leader kill;
//   - `swoosh verify` passes on every node's SQLite copy.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { SwooshClient } from '../../client/client';
import { HlcClock, formatHlc, parseHlc } from '../../core/hlc';
import { signProposal } from '../../core/testing/kit';
import { Scenario } from '../../core/testing/scenario';
import type { Proposal, WalRecord } from '../../core/types';
import { loadMachine } from '../machine';
import { recordHashOf } from '../store/store';
import { lastJsonLine, runSwoosh, startServe, writeGenesis, type ServeProcess } from '../testing/proc';
import { bootOverHttp, getJson, postTransition, realClock } from '../testing/workload';
import { until } from '../testing/until';
import { EtcdCluster, freePort } from './etcd-harness';
import { EtcdLog } from './log';
import type { Consensus } from './node';

const LEASE_MS = 3000;
/** The contract's failover bound: writes resume on a new leader within lease + 2 s. */
const FAILOVER_MS_MAX = LEASE_MS + 2000;
/** Per-request timeout of the stream's client: a paused node must not stall the stream. */
const REQUEST_TIMEOUT_MS = 1500;
/** Proposals queued at the paused leader while it is stopped. */
const ZOMBIE_PROPOSALS = 5;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface NodeSlot {
  id: string;
  db: string;
  port: number;
  url: string;
  proc: ServeProcess | null;
}

interface Ack {
  idem_key: string;
  index: number;
  state_post_hash: string;
  status: number;
  by: string;
  at_ms: number;
}

/** One sequential writer: read HEAD anywhere, propose the next pause/resume, follow the leader. */
class Stream {
  readonly acks = new Map<string, Ack>();
  readonly sent = new Set<string>();
  readonly rejected = new Set<string>();
  readonly problems: string[] = [];
  private stopping = false;
  private loop: Promise<void> | null = null;
  private seq = 0;
  private readonly hlc = new HlcClock(realClock);
  private readonly client: SwooshClient;

  constructor(
    private readonly sc: Scenario,
    private readonly nodes: NodeSlot[],
  ) {
    const timed: typeof fetch = (input, init) => fetch(input, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    this.client = new SwooshClient({
      url: nodes[0]!.url,
      nodes: nodes.slice(1).map((n) => n.url),
      fetch: timed,
      leader_wait_ms_max: 20_000,
    });
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.loop;
  }

  /** The first acknowledgement answered by a node other than `not` at or after `since_ms`. */
  firstAckAfter(since_ms: number, not: string): Ack | null {
    let best: Ack | null = null;
    for (const a of this.acks.values()) if (a.at_ms >= since_ms && a.by !== not && (best === null || a.at_ms < best.at_ms)) best = a;
    return best;
  }

  private async head(): Promise<{ hash: string; hlc: string | null; projection: { control: { paused: boolean } } } | null> {
    const order = [this.client.currentUrl, ...this.nodes.map((n) => n.url).filter((u) => u !== this.client.currentUrl)];
    for (const url of order) {
      try {
        return await getJson(`${url}/state?projection=control`, REQUEST_TIMEOUT_MS);
      } catch {
        // Down or paused: the next node.
      }
    }
    return null;
  }

  private async run(): Promise<void> {
    while (!this.stopping) {
      const head = await this.head();
      if (head === null) {
        await sleep(100);
        continue;
      }
      const last = head.hlc === null ? null : parseHlc(head.hlc);
      if (last) this.hlc.receive(last);
      this.seq += 1;
      const proposal = signProposal({
        state_hash: head.hash,
        transition: head.projection.control.paused ? 'Control_Resume' : 'Control_Pause',
        inputs: { reason: `stream ${this.seq}` },
        by: this.sc.operator,
        hlc: formatHlc(this.hlc.now()),
        idem_key: `stream:${this.seq}`,
      });
      this.sent.add(proposal.idem_key);
      await this.settle(proposal);
    }
  }

  /** Sends until the outcome is definite (the same signed proposal every time: a retry cannot apply it twice). */
  private async settle(proposal: Proposal): Promise<void> {
    for (let attempt = 0; attempt < 200; attempt += 1) {
      const r = await this.client.submit(proposal);
      if (r.ok) {
        const prior = this.acks.get(proposal.idem_key);
        if (prior && (prior.index !== r.index || prior.state_post_hash !== r.state_post_hash)) {
          this.problems.push(`${proposal.idem_key} acknowledged at ${prior.index} and at ${r.index}`);
        }
        if (!prior) {
          this.acks.set(proposal.idem_key, {
            idem_key: proposal.idem_key,
            index: r.index,
            state_post_hash: r.state_post_hash,
            status: r.status,
            by: this.client.currentUrl,
            at_ms: Date.now(),
          });
        }
        return;
      }
      // 4xx is definite (never applied); network and 5xx say nothing: send it again.
      if (r.status >= 400 && r.status < 500) {
        this.rejected.add(proposal.idem_key);
        return;
      }
      await sleep(50);
    }
    this.problems.push(`${proposal.idem_key}: no definite answer after 200 attempts`);
  }
}

describe('cluster on etcd under faults (3 etcd members, 3 nodes)', () => {
  const spec = loadMachine();
  let etcd: EtcdCluster;
  let dir: string;
  let genesis: string;
  let sc: Scenario;
  const nodes: NodeSlot[] = [];

  const startNode = async (n: NodeSlot): Promise<void> => {
    n.proc = await startServe({
      db: n.db,
      genesis,
      port: n.port,
      snapshot_every: 50,
      args: ['--etcd', etcd.endpoints.join(','), '--node-id', n.id, '--lease-ms', String(LEASE_MS)],
    });
  };
  const health = async (n: NodeSlot): Promise<Consensus | null> => {
    try {
      return (await getJson<{ consensus: Consensus }>(`${n.url}/health`, 1000)).consensus;
    } catch {
      return null;
    }
  };
  /** The node every live node agrees leads (and that says so itself). */
  const agreedLeader = async (): Promise<NodeSlot | null> => {
    const views = await Promise.all(nodes.filter((n) => n.proc).map(async (n) => ({ n, c: await health(n) })));
    const leader = views.find((v) => v.c?.role === 'leader');
    if (!leader) return null;
    return views.every((v) => v.c?.leader?.node_id === leader.n.id) ? leader.n : null;
  };
  const waitLeader = async (not?: string): Promise<NodeSlot> => {
    let found: NodeSlot | null = null;
    await until(
      'an agreed leader',
      async () => {
        found = await agreedLeader();
        return found !== null && found.id !== not;
      },
      20_000,
    );
    return found as unknown as NodeSlot;
  };

  beforeAll(async () => {
    etcd = await EtcdCluster.start({ members: 3 });
    dir = mkdtempSync(join(tmpdir(), 'swoosh-cluster-'));
    const now = Date.now();
    sc = new Scenario(spec, { start_ms: now - 5_000, epoch_ms: now - 3_600_000, operators: 1 });
    genesis = writeGenesis(dir, sc.genesis);
    for (const id of ['n1', 'n2', 'n3']) {
      const port = await freePort();
      nodes.push({ id, db: join(dir, `${id}.db`), port, url: `http://127.0.0.1:${port}`, proc: null });
    }
    await Promise.all(nodes.map((n) => startNode(n)));
  });

  afterAll(async () => {
    await Promise.all(nodes.map((n) => n.proc?.kill9()));
    await etcd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loses nothing, duplicates nothing, agrees on every hash, and fails over within lease + 2 s', async () => {
    const first = await waitLeader();
    // Followers refuse writes and name the leader (body and Location).
    const follower = nodes.find((n) => n !== first)!;
    const refused = await fetch(`${follower.url}/transition`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(refused.status).toBe(503);
    expect(((await refused.json()) as { error: { code: string; leader: string } }).error).toMatchObject({
      code: 'not_writer',
      leader: first.url,
    });
    expect(refused.headers.get('location')).toBe(first.url);
    const metricsOf = async (n: NodeSlot) => (await fetch(`${n.url}/metrics`)).text();
    expect(await metricsOf(first)).toMatch(/^swoosh_is_leader 1$/m);
    expect(await metricsOf(follower)).toMatch(/^swoosh_is_leader 0$/m);
    expect(await metricsOf(follower)).toMatch(/^swoosh_leader_changes_total 1$/m);
    const followerHealth = await getJson<{ walLag: number; consensus: Consensus }>(`${follower.url}/health`);
    expect(followerHealth.consensus).toMatchObject({
      mode: 'etcd',
      node_id: follower.id,
      role: 'follower',
      leader: { node_id: first.id, url: first.url },
    });
    expect(followerHealth.consensus.members.map((m) => m.url)).toEqual(etcd.endpoints);
    expect(followerHealth.walLag).toBe(followerHealth.consensus.etcd_index - followerHealth.consensus.applied_index);

    const boot = await bootOverHttp(first.url, sc);
    const stream = new Stream(sc, nodes);
    stream.start();
    const failovers: Array<{ fault: string; ms: number }> = [];
    const ackCount = () => stream.acks.size;
    const progress = async (what: string, more: number): Promise<void> => {
      const target = ackCount() + more;
      await until(
        `${more} more acknowledged proposals (${what})`,
        () => ackCount() >= target,
        20_000,
        () => `acks ${ackCount()}, problems ${stream.problems.join('; ')}`,
      );
    };

    await progress('warm-up', 20);
    // 1 and 2: kill -9 of the leader, twice; each time writes must resume elsewhere. The
    // killed node restarts on its database while the stream goes on, and catches up.
    const restarts: Array<Promise<void>> = [];
    for (const fault of ['kill -9 leader (1)', 'kill -9 leader (2)']) {
      const leader = await waitLeader();
      const t0 = Date.now();
      await leader.proc!.kill9();
      leader.proc = null;
      await until(`writes on a new leader after ${fault}`, () => stream.firstAckAfter(t0, leader.url) !== null, 15_000);
      failovers.push({ fault, ms: stream.firstAckAfter(t0, leader.url)!.at_ms - t0 });
      restarts.push(startNode(leader));
      await progress(`after ${fault}`, 10);
    }
    await Promise.all(restarts);

    // 3: SIGSTOP of the leader past its lease; proposals reach it while it is paused.
    const zombie = await waitLeader();
    const zHead = await getJson<{ hash: string; hlc: string }>(`${zombie.url}/state`);
    const zClock = new HlcClock(realClock);
    zClock.receive(parseHlc(zHead.hlc)!);
    process.kill(zombie.proc!.pid, 'SIGSTOP');
    const stoppedAt = Date.now();
    const zombieAnswers = Array.from({ length: ZOMBIE_PROPOSALS }, (_, i) => {
      const p = signProposal({
        state_hash: zHead.hash,
        transition: 'Control_Pause',
        inputs: { reason: `zombie ${i}` },
        by: sc.operator,
        hlc: formatHlc(zClock.now()),
        idem_key: `zombie:${i}`,
      });
      return postTransition(zombie.url, p, 30_000).catch((err: Error) => ({ status: 0, body: { error: err.message } }));
    });
    await until('writes on a new leader while the old one is paused', () => stream.firstAckAfter(stoppedAt, zombie.url) !== null, 15_000);
    failovers.push({ fault: 'SIGSTOP leader', ms: stream.firstAckAfter(stoppedAt, zombie.url)!.at_ms - stoppedAt });
    await sleep(Math.max(0, stoppedAt + LEASE_MS + 1500 - Date.now()));
    process.kill(zombie.proc!.pid, 'SIGCONT');
    const answers = await Promise.all(zombieAnswers);
    for (const a of answers) expect(a.status, JSON.stringify(a.body)).not.toBe(202);
    expect(answers.filter((a) => a.status === 503).length).toBe(ZOMBIE_PROPOSALS);
    await until('the paused node to rejoin as a follower', async () => (await health(zombie))?.role === 'follower', 10_000);
    await progress('after SIGCONT', 10);

    // 4: kill -9 of one etcd member; the other two keep a quorum.
    await etcd.kill9('m2');
    await progress('one etcd member down', 15);
    await etcd.restart('m2');
    await progress('etcd member back', 5);

    await stream.stop();
    expect(stream.problems).toEqual([]);

    // Every node catches up with etcd's head.
    const log = new EtcdLog(new Etcd3({ hosts: etcd.endpoints }), sc.genesis.project);
    const etcdHead = (await log.bounds()).last;
    await until(
      "every node at etcd's head",
      async () => {
        const cs = await Promise.all(nodes.map((n) => health(n)));
        return cs.every((c) => c !== null && c.applied_index === etcdHead && c.etcd_index === etcdHead);
      },
      20_000,
      () => `etcd head ${etcdHead}`,
    );

    // The set check, on every node's copy and on etcd's.
    const etcdTexts = new Map<number, string>();
    for (let from = 1; ; ) {
      const page = await log.readFrom(from);
      for (const e of page.entries) etcdTexts.set(e.index, e.text);
      if (!page.more || page.entries.length === 0) break;
      from = page.entries[page.entries.length - 1]!.index + 1;
    }
    log.client.close();
    expect(etcdTexts.size).toBe(etcdHead);
    const walOf = async (n: NodeSlot): Promise<WalRecord[]> => {
      const out: WalRecord[] = [];
      for (let from = 1; out.length < etcdHead; ) {
        const page = await getJson<{ records: WalRecord[] }>(`${n.url}/wal?from=${from}&limit=1000`);
        if (page.records.length === 0) break;
        out.push(...page.records);
        from = out.length + 1;
      }
      return out;
    };
    const wals = await Promise.all(nodes.map((n) => walOf(n)));
    const reference = wals[0]!;
    expect(reference.length).toBe(etcdHead);
    for (const [i, wal] of wals.entries()) {
      expect(
        wal.map((r) => [r.index, r.record_hash, r.state_post_hash]),
        `node ${nodes[i]!.id} differs from node n1`,
      ).toEqual(reference.map((r) => [r.index, r.record_hash, r.state_post_hash]));
    }
    for (const r of reference) expect(recordHashOf(etcdTexts.get(r.index)!), `etcd's record ${r.index}`).toBe(r.record_hash);

    const logged = new Map<string, WalRecord[]>();
    for (const r of reference) logged.set(r.idem_key, [...(logged.get(r.idem_key) ?? []), r]);
    const bootKeys = new Set(boot.map((p) => p.idem_key));
    const lost = [...stream.acks.values()]
      .filter((a) => {
        const at = logged.get(a.idem_key);
        return !at || at[0]!.index !== a.index || at[0]!.state_post_hash !== a.state_post_hash;
      })
      .map((a) => a.idem_key);
    const duplicated = [...logged.entries()].filter(([, rs]) => rs.length > 1).map(([k]) => k);
    const unexpected = [...logged.keys()].filter((k) => !bootKeys.has(k) && (!stream.sent.has(k) || stream.rejected.has(k)));
    expect({ lost, duplicated, unexpected }).toEqual({ lost: [], duplicated: [], unexpected: [] });
    expect(stream.acks.size).toBeGreaterThan(60);

    for (const f of failovers) expect(f.ms, `${f.fault}: writes resumed after ${f.ms} ms`).toBeLessThanOrEqual(FAILOVER_MS_MAX);

    // Every node's own SQLite copy verifies (chain, signatures, snapshots).
    await Promise.all(nodes.map((n) => n.proc!.stop()));
    for (const n of nodes) n.proc = null;
    const verdicts = await Promise.all(nodes.map((n) => runSwoosh(['verify', '--db', n.db])));
    for (const [i, v] of verdicts.entries()) expect(v.code, `verify ${nodes[i]!.id}: ${v.stdout}${v.stderr}`).toBe(0);
    const hashes = verdicts.map((v) => lastJsonLine<{ verified: number; state_hash: string }>(v.stdout));
    for (const h of hashes) expect(h).toEqual({ ...hashes[0], verified: etcdHead, state_hash: reference[etcdHead - 1]!.state_post_hash });
    process.stdout.write(
      `cluster: ${stream.acks.size} acknowledged, ${etcdHead} records, failovers ${failovers.map((f) => `${f.fault} ${f.ms} ms`).join(', ')}\n`,
    );
  }, 120_000);
});
