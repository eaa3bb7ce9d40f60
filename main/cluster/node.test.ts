// Cluster nodes in-process against a real 3-member etcd, for what needs no process fault:
// - a leader whose fence is gone (its lease revoked, a rival leading) answers 503, never
//   202, and neither its SQLite nor etcd gets the batch;
// - a follower applies the leader's records through the replay path and stops at the
//   first one that does not check, naming its index (health: diverged), never skipping;
// - the serve flags are checked before anything opens.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { canonicalize } from '../../core/canonical';
import { recordSubmissions, Scenario } from '../../core/testing/scenario';
import type { Proposal } from '../../core/types';
import { UsageError } from '../commands/args';
import { Host } from '../host';
import { loadMachine } from '../machine';
import { createMetrics } from '../observe/metrics';
import { until } from '../testing/until';
import { ApiServer } from '../api/server';
import { attachCluster, type ClusterHandle } from './attach';
import { EtcdCluster } from './etcd-harness';
import { clusterSettings } from './flags';
import { EtcdLog } from './log';
import type { NodeEvent } from './node';

const spec = loadMachine();

/** The boot proposals of a fresh scenario, pre-built against the pure reducer. */
function bootProposals(): { sc: Scenario; proposals: Proposal[] } {
  const sc = new Scenario(spec, { start_ms: Date.now() - 60_000, epoch_ms: Date.now() - 3_600_000 });
  const proposals = recordSubmissions(sc);
  sc.boot();
  return { sc, proposals };
}

describe('serve flags for a cluster node', () => {
  it('takes --etcd URLs, a node id and a lease, and refuses the rest precisely', () => {
    expect(clusterSettings({})).toBeUndefined();
    expect(clusterSettings({ etcd: 'http://a:2379,http://b:2379', node_id: 'n1', advertise: 'http://10.0.0.5:7420/' })).toEqual({
      endpoints: ['http://a:2379', 'http://b:2379'],
      node_id: 'n1',
      advertise: 'http://10.0.0.5:7420',
      lease_ms: 3000,
      allowed_hosts: ['10.0.0.5'],
    });
    expect(() => clusterSettings({ node_id: 'n1' })).toThrow(/add --etcd/);
    expect(() => clusterSettings({ etcd: 'http://a:2379' })).toThrow(/--node-id/);
    expect(() => clusterSettings({ etcd: 'ftp://a', node_id: 'n1' })).toThrow(UsageError);
    expect(() => clusterSettings({ etcd: 'http://a:2379', node_id: 'n1', lease_ms: '500' })).toThrow(/--lease-ms/);
  });
});

describe('cluster node (in-process, real etcd)', () => {
  let etcd: EtcdCluster;
  let client: Etcd3;
  let dir: string;
  const open: Array<{ host: Host; cluster: ClusterHandle; api?: ApiServer }> = [];

  beforeAll(async () => {
    etcd = await EtcdCluster.start({ members: 3 });
    client = new Etcd3({ hosts: etcd.endpoints });
  });
  afterAll(async () => {
    client?.close();
    await etcd?.stop();
  });
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'swoosh-node-'));
    // Every scenario names the same project: each test starts from an empty log.
    await client.delete().prefix('/swoosh/');
  });
  afterEach(async () => {
    for (const o of open.splice(0)) {
      await o.cluster.stop();
      await o.api?.close();
      o.host.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  const node = (name: string, sc: Scenario, onEvent?: (e: NodeEvent) => void): { host: Host; cluster: ClusterHandle } => {
    const host = Host.open({ db: join(dir, `${name}.db`), genesis: sc.genesis, verify_workers: 0 });
    const cluster = attachCluster(host, createMetrics(host.engine), { endpoints: etcd.endpoints, node_id: name, lease_ms: 2000 }, onEvent);
    cluster.start(`http://${name}.invalid`);
    open.push({ host, cluster });
    return { host, cluster };
  };
  /** A node with its HTTP API (peers fetch its snapshot). */
  const servedNode = async (
    name: string,
    sc: Scenario,
    o: { keep_records?: number; snapshot_every?: number },
  ): Promise<{ host: Host; cluster: ClusterHandle; url: string }> => {
    const host = Host.open({ db: join(dir, `${name}.db`), genesis: sc.genesis, verify_workers: 0, snapshot_every: o.snapshot_every });
    const metrics = createMetrics(host.engine);
    const cluster = attachCluster(host, metrics, {
      endpoints: etcd.endpoints,
      node_id: name,
      lease_ms: 2000,
      keep_records: o.keep_records,
    });
    const api = new ApiServer({ host, metrics, health: () => cluster.health() });
    const address = await api.listen(0, '127.0.0.1');
    const url = `http://127.0.0.1:${address.port}`;
    cluster.start(url);
    open.push({ host, cluster, api });
    return { host, cluster, url };
  };

  it('a leader whose fence is gone answers 503, never 202, and writes the batch nowhere', async () => {
    const { sc, proposals } = bootProposals();
    const a = node('a', sc);
    await until('a to lead', () => a.cluster.node.role === 'leader', 10_000);
    const first = await a.host.engine.submit(proposals[0]);
    expect(first.status).toBe(202);
    const log = new EtcdLog(client, sc.genesis.project);
    expect((await log.bounds()).last).toBe(1);

    // A's lease ends behind its back and a rival takes the key. A campaigns too as soon as
    // it sees the key gone (it holds the whole head), so it may win a round: then its new
    // lease is revoked in turn, until the rival holds the key.
    const rivalLease = await client.leaseClient.leaseGrant({ TTL: 10 });
    let rivalWon = false;
    for (let round = 0; round < 10 && !rivalWon; round += 1) {
      const held = await log.leader();
      if (held) await client.leaseClient.leaseRevoke({ ID: held.lease });
      rivalWon = (await log.campaign(rivalLease.ID, { node_id: 'rival', url: 'http://rival.invalid' })).won;
    }
    expect(rivalWon).toBe(true);

    const second = await a.host.engine.submit(proposals[1]);
    expect(second.status).toBe(503);
    expect('error' in second && ['not_writer', 'no_leader'].includes(second.error.code)).toBe(true);
    expect(a.host.store.walLength()).toBe(1);
    expect((await log.bounds()).last).toBe(1);
    await until(
      'a to follow the rival',
      () => a.cluster.node.role === 'follower' && a.cluster.node.leader?.info?.node_id === 'rival',
      5000,
    );
    const third = await a.host.engine.submit(proposals[1]);
    expect(third).toMatchObject({ status: 503, error: { code: 'not_writer', leader: 'http://rival.invalid' } });
    await client.leaseClient.leaseRevoke({ ID: rivalLease.ID });
  });

  it("a follower applies the leader's records and stops at the first that does not check, naming it", async () => {
    const { sc, proposals } = bootProposals();
    // Real records, made by a single writer of the same genesis.
    const source = Host.open({ db: join(dir, 'source.db'), genesis: sc.genesis, verify_workers: 0 });
    for (const p of proposals) expect((await source.engine.submit(p)).status).toBe(202);
    const texts = [1, 2].map((i) => source.store.recordText(i)!.body);
    source.close();
    const forged = JSON.parse(texts[1]!) as { state_post_hash: string };
    forged.state_post_hash = `sha256-${'0'.repeat(64)}`;

    // A leader that is not a SWOOSH node appends record 1 as is and record 2 forged.
    const log = new EtcdLog(client, sc.genesis.project);
    const lease = await client.leaseClient.leaseGrant({ TTL: 30 });
    const won = await log.campaign(lease.ID, { node_id: 'forger', url: 'http://forger.invalid' });
    expect(won.won).toBe(true);
    const fence = (won as { fence: string }).fence;
    expect((await log.append([{ index: 1, text: texts[0]! }], fence)).kind).toBe('committed');

    const f = node('f', sc);
    await until('f to apply record 1', () => f.host.head.index === 1, 10_000);
    expect(f.host.store.recordText(1)!.body).toBe(texts[0]);
    expect((await log.append([{ index: 2, text: canonicalize(forged) }], fence)).kind).toBe('committed');
    await until('f to stop on record 2', () => f.cluster.node.problem !== null, 10_000);
    expect(f.cluster.node.problem).toMatchObject({ index: 2 });
    expect(f.cluster.node.problem!.problem).toMatch(/state/);
    expect(f.host.head.index).toBe(1);
    expect(f.host.store.walLength()).toBe(1);
    expect(f.cluster.health()).toMatchObject({
      status: 'diverged',
      consensus: { role: 'follower', applied_index: 1, problem: { index: 2 } },
    });
    // A stopped follower never campaigns, even with the leader gone.
    await client.leaseClient.leaseRevoke({ ID: lease.ID });
    await new Promise((r) => setTimeout(r, 600));
    expect(f.cluster.node.role).toBe('follower');
    expect(await log.leader()).toBeNull();
  });

  it('the leader deletes keys a snapshot covers; a follower too far behind restores from its snapshot and catches up', async () => {
    const sc = new Scenario(spec, { start_ms: Date.now() - 60_000, epoch_ms: Date.now() - 3_600_000 });
    const proposals = recordSubmissions(sc);
    sc.boot().ingest();
    expect(proposals.length).toBeGreaterThanOrEqual(5);
    const l = await servedNode('l', sc, { keep_records: 1, snapshot_every: 2 });
    await until('l to lead', () => l.cluster.node.role === 'leader', 10_000);
    const none = await fetch(`${l.url}/snapshot/latest`);
    expect([none.status, ((await none.json()) as { error: { code: string } }).error.code]).toEqual([404, 'not_found']);
    for (const p of proposals) expect((await l.host.engine.submit(p)).status).toBe(202);
    const n = proposals.length;
    const log = new EtcdLog(client, sc.genesis.project);
    const lastSnap = n - (n % 2);
    expect(await log.bounds()).toMatchObject({ first: lastSnap, last: n });

    // Its snapshot over HTTP, hash-checked by the follower.
    const snap = (await (await fetch(`${l.url}/snapshot/latest`)).json()) as { index: number; state_hash: string };
    expect(snap.index).toBe(lastSnap);

    const restored: number[] = [];
    const f = node('f', sc, (e) => {
      if (e.event === 'restored') restored.push(e.index);
    });
    await until(
      "f to reach the leader's head",
      () => f.host.head.index === n,
      10_000,
      () => `f at ${f.host.head.index}, problem ${JSON.stringify(f.cluster.node.problem)}`,
    );
    expect(restored).toEqual([lastSnap]);
    expect(f.host.head.hash).toBe(l.host.head.hash);
    expect(f.host.store.recordText(1)).toBeNull();
    expect(f.host.store.recordText(n)!.body).toBe(l.host.store.recordText(n)!.body);
    expect(f.cluster.node.problem).toBeNull();
    // Its copy recovers from the adopted snapshot on a restart (the history before it is the peers').
    const entry = open.find((o) => o.host === f.host)!;
    open.splice(open.indexOf(entry), 1);
    await f.cluster.stop();
    f.host.close();
    const again = Host.open({ db: join(dir, 'f.db') });
    try {
      expect([again.head.index, again.head.hash]).toEqual([n, l.host.head.hash]);
      expect(again.recovery.snapshot_index).toBeGreaterThanOrEqual(lastSnap);
    } finally {
      again.close();
    }
  });
});
