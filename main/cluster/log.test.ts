// The fence, against a real 3-member etcd: two nodes that both believe they lead, and
// only the one whose fence (the leader key's create revision) matches can append. Also:
// an index is written once, a retried append of our own record resolves to committed by
// read-back, an unreachable etcd is reported `failed` (never committed), reads and watches.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Etcd3 } from 'etcd3';
import { EtcdCluster, freePort } from './etcd-harness';
import { EtcdLog, LogError, walKeyIndex, type LeaderRecord, type WalEntry } from './log';

const entry = (index: number, tag = 'a'): WalEntry => ({ index, text: JSON.stringify({ index, tag }) });

describe('fenced etcd log', () => {
  let etcd: EtcdCluster;
  let a: Etcd3;
  let b: Etcd3;
  beforeAll(async () => {
    etcd = await EtcdCluster.start({ members: 3 });
    a = new Etcd3({ hosts: etcd.endpoints });
    b = new Etcd3({ hosts: etcd.endpoints });
  });
  afterAll(async () => {
    a?.close();
    b?.close();
    await etcd?.stop();
  });

  it('names keys with 20 zero-padded digits and refuses a non-positive index', () => {
    expect(walKeyIndex(42)).toBe('00000000000000000042');
    expect(() => walKeyIndex(0)).toThrow(LogError);
  });

  it('two nodes that both believe they lead: only the matching fence appends', async () => {
    const logA = new EtcdLog(a, 'fence');
    const logB = new EtcdLog(b, 'fence');
    const leaseA = await a.leaseClient.leaseGrant({ TTL: 5 });
    const wonA = await logA.campaign(leaseA.ID, { node_id: 'A', url: 'http://a' });
    expect(wonA.won).toBe(true);
    const fenceA = (wonA as { fence: string }).fence;
    // B cannot campaign while A's key exists.
    const leaseB = await b.leaseClient.leaseGrant({ TTL: 5 });
    const lostB = await logB.campaign(leaseB.ID, { node_id: 'B', url: 'http://b' });
    expect(lostB.won).toBe(false);
    expect((lostB as { leader: LeaderRecord }).leader.info).toEqual({ node_id: 'A', url: 'http://a' });
    expect(await logA.append([entry(1), entry(2)], fenceA)).toMatchObject({ kind: 'committed' });

    // A's lease ends (as if A were paused past it); B becomes leader. A still "believes".
    await a.leaseClient.leaseRevoke({ ID: leaseA.ID });
    const wonB = await logB.campaign(leaseB.ID, { node_id: 'B', url: 'http://b' });
    expect(wonB.won).toBe(true);
    const fenceB = (wonB as { fence: string }).fence;
    expect(BigInt(fenceB)).toBeGreaterThan(BigInt(fenceA));

    const zombie = await logA.append([entry(3, 'zombie')], fenceA);
    expect(zombie.kind).toBe('fenced_out');
    expect(await logB.append([entry(3, 'b')], fenceB)).toMatchObject({ kind: 'committed' });
    // Even A re-campaigning is refused while B's key exists, and A's old fence stays dead.
    expect((await logA.campaign((await a.leaseClient.leaseGrant({ TTL: 5 })).ID, { node_id: 'A', url: 'http://a' })).won).toBe(false);
    expect((await logA.append([entry(4, 'zombie')], fenceA)).kind).toBe('fenced_out');

    const read = await logB.readFrom(1);
    expect(read.entries.map((e) => e.text)).toEqual([entry(1).text, entry(2).text, entry(3, 'b').text]);
    await b.leaseClient.leaseRevoke({ ID: leaseB.ID });
    expect(await logB.leader()).toBeNull();
  });

  it("an index is written once: a retry of our own record resolves committed, anyone else's is fenced out", async () => {
    const log = new EtcdLog(a, 'once');
    const lease = await a.leaseClient.leaseGrant({ TTL: 5 });
    const won = await log.campaign(lease.ID, { node_id: 'A', url: 'http://a' });
    const fence = (won as { fence: string }).fence;
    expect((await log.append([entry(1)], fence)).kind).toBe('committed');
    // The same record again (what the client library's retry after a lost answer does).
    expect((await log.append([entry(1)], fence)).kind).toBe('committed');
    const other = await log.append([entry(1, 'different')], fence);
    expect(other.kind).toBe('fenced_out');
    expect((await log.readFrom(1)).entries).toEqual([entry(1)]);
    expect(await log.bounds()).toMatchObject({ first: 1, last: 1 });
    await a.leaseClient.leaseRevoke({ ID: lease.ID });
  });

  it('an append to an unreachable etcd is reported failed, never committed', async () => {
    const dead = new Etcd3({ hosts: `http://127.0.0.1:${await freePort()}`, dialTimeout: 300 });
    try {
      const log = new EtcdLog(dead, 'dead', { call_timeout_ms: 300 });
      const out = await log.append([entry(1)], '5');
      expect(out.kind).toBe('failed');
    } finally {
      dead.close();
    }
  }, 30_000);

  it('reads a page at one revision and watches from the next one without a gap', async () => {
    const log = new EtcdLog(a, 'watch');
    const lease = await a.leaseClient.leaseGrant({ TTL: 5 });
    const fence = ((await log.campaign(lease.ID, { node_id: 'A', url: 'http://a' })) as { fence: string }).fence;
    expect((await log.append([entry(1), entry(2)], fence)).kind).toBe('committed');
    const page = await log.readFrom(1, 1);
    expect(page.entries.map((e) => e.index)).toEqual([1]);
    expect(page.more).toBe(true);
    const seen: number[] = [];
    const leaders: Array<string | null> = [];
    const w = await log.watchFrom(String(BigInt(page.revision) + 1n), {
      wal: (e) => seen.push(e.index),
      leader: (l) => leaders.push(l ? (l.info?.node_id ?? '?') : null),
      reconnected: () => {},
      error: () => {},
    });
    try {
      expect((await log.append([entry(3)], fence)).kind).toBe('committed');
      await a.leaseClient.leaseRevoke({ ID: lease.ID });
      const deadline = Date.now() + 5000;
      while ((seen.length < 1 || leaders.length < 1) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(seen).toEqual([3]);
      expect(leaders).toEqual([null]);
    } finally {
      await w.cancel();
    }
  });
});
