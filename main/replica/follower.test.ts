// Replicas (main/replica/follower.ts): a follower tails a live writer over GET /wal and
// lands on the writer's state hash; it keeps its own file and resumes from it; it rides
// out a writer restart; it refuses a record that does not chain (nothing past it is
// applied) and a writer that comes back with fewer records than it already holds.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCast } from '../../core/testing/kit';
import { happyStep, StreamDriver } from '../../core/testing/streams';
import type { WalRecord } from '../../core/types';
import { CHAOS_EPOCH_MS, fastCast } from '../chaos/model';
import { openServer as startServer, type Running } from '../app/server';
import { NodeVerifier } from '../engine/verifier';
import { loadMachine } from '../machine';
import { Follower, type FollowerEvent } from './follower';
import { JsonClient, sleep } from './http';
import { startReplica } from './replicas';
import { writeGenesis } from '../testing/proc';

const spec = loadMachine();
const dirs: string[] = [];
const client = new JsonClient();

afterAll(() => {
  client.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'swoosh-replica-'));
  dirs.push(d);
  return d;
}

function driver(seed = 1): StreamDriver {
  return new StreamDriver(spec, seed, { cast: fastCast(makeCast()), verifier: new NodeVerifier(), epoch_ms: CHAOS_EPOCH_MS, fault_pct: 0 });
}

/** Posts the next `n` happy proposals of `d` to the writer; every one must be accepted. */
async function feed(url: string, d: StreamDriver, n: number): Promise<void> {
  for (let i = 0; i < n; i += 1) {
    happyStep(d);
    const p = d.entries[d.entries.length - 1]!.proposal;
    const a = await client.post(`${url}/transition`, p);
    expect(a.status, JSON.stringify(a.body)).toBe(202);
  }
}

async function serve(db: string, d: StreamDriver, port = 0): Promise<Running> {
  return startServer({ db, genesis: d.genesis, host: '127.0.0.1', port, durability: 'NORMAL', snapshot_every: 7, quiet: true });
}

async function until(what: string, f: () => boolean, timeout_ms = 20_000): Promise<void> {
  const t0 = Date.now();
  while (!f()) {
    if (Date.now() - t0 > timeout_ms) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

describe('replica follower', () => {
  it('tails the writer to its hash, keeps its own file, and resumes from it', async () => {
    const dir = tempDir();
    const d = driver(1);
    const running = await serve(join(dir, 'w.db'), d);
    try {
      const events: FollowerEvent[] = [];
      const f = new Follower({
        url: running.url,
        genesis: d.genesis,
        db: join(dir, 'r.db'),
        checkpoint_every: 10,
        snapshot_every: 25,
        onEvent: (e) => events.push(e),
      });
      await f.open();
      void f.start();
      await feed(running.url, d, 60);
      await until('catch-up', () => f.index === running.host.head.index);
      expect(f.hash).toBe(running.host.head.hash);
      expect(f.hash).toBe(d.head.hash);
      // Checkpoints at every multiple of 10, each equal to the writer's state at that index.
      const cps = events.filter((e) => e.event === 'checkpoint');
      expect(cps.length).toBe(Math.floor(f.index / 10));
      for (const c of cps) expect(c.hash).toBe(running.host.stateAt(c.index).hash);
      await f.stop();

      await feed(running.url, d, 15);
      const again = new Follower({ url: running.url, db: join(dir, 'r.db'), checkpoint_every: 10 });
      await again.open();
      expect(again.index).toBe(f.index); // from its own file (genesis read back from it)
      void again.start();
      await until('resume', () => again.index === running.host.head.index);
      expect(again.hash).toBe(running.host.head.hash);
      await again.stop();
    } finally {
      await running.stop();
    }
  });

  it('rides out a writer restart on the same address', async () => {
    const dir = tempDir();
    const d = driver(2);
    const db = join(dir, 'w.db');
    let running = await serve(db, d);
    const port = Number(new URL(running.url).port);
    const events: FollowerEvent[] = [];
    const f = new Follower({ url: running.url, genesis: d.genesis, onEvent: (e) => events.push(e), backoff_ms_max: 50 });
    await f.open();
    void f.start();
    try {
      await feed(running.url, d, 20);
      await until('first catch-up', () => f.index === 20);
      await running.stop();
      await until('outage noticed', () => events.some((e) => e.event === 'writer_unreachable'));
      running = await serve(db, d, port);
      await feed(running.url, d, 20);
      await until('catch-up after restart', () => f.index === 40);
      expect(f.hash).toBe(running.host.head.hash);
      expect(events.some((e) => e.event === 'writer_back')).toBe(true);
      expect(f.problem).toBeNull();
    } finally {
      await f.stop();
      await running.stop();
    }
  });

  it('state 0 from the writer when no genesis is given', async () => {
    const dir = tempDir();
    const d = driver(3);
    const running = await serve(join(dir, 'w.db'), d);
    try {
      await feed(running.url, d, 5);
      const f = new Follower({ url: running.url });
      await f.open();
      expect(f.index).toBe(0);
      void f.start();
      await until('catch-up', () => f.index === 5);
      expect(f.hash).toBe(running.host.head.hash);
      await f.stop();
    } finally {
      await running.stop();
    }
  });

  it('stops at a record that does not chain and applies nothing past it; reports a writer that lost records', async () => {
    const dir = tempDir();
    const d = driver(4);
    const running = await serve(join(dir, 'w.db'), d);
    let records: WalRecord[];
    try {
      await feed(running.url, d, 12);
      records = (await client.getOk<{ records: WalRecord[] }>(`${running.url}/wal?from=1&limit=100`)).records;
    } finally {
      await running.stop();
    }
    // A fake writer serving that WAL, with record 7 altered after it was hashed.
    let serveUpTo = 12;
    let tamper = true;
    const fake: Server = createServer((req, res) => {
      const u = new URL(req.url ?? '/', 'http://x');
      const from = Number(u.searchParams.get('from') ?? '1');
      const page = records
        .slice(from - 1, serveUpTo)
        .map((r) => (tamper && r.index === 7 ? { ...r, inputs_hash: r.inputs_hash.replace(/.$/, (c) => (c === '0' ? '1' : '0')) } : r));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ from, count: page.length, head_index: serveUpTo, records: page }));
    });
    await new Promise<void>((r) => fake.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(fake.address() as AddressInfo).port}`;
    try {
      const f = new Follower({ url, genesis: d.genesis });
      await f.open();
      await f.start(); // returns once it refuses to go on
      expect(f.problem).toMatchObject({ index: 7 });
      expect(f.problem!.problem).toMatch(/record_hash/);
      expect(f.index).toBe(6);
      expect(f.hash).toBe(records[5]!.state_post_hash);
      await f.stop();

      // Untampered, the replica gets to 12; then the "writer" comes back holding only 9.
      tamper = false;
      const g = new Follower({ url, genesis: d.genesis, idle_ms_max: 5 });
      await g.open();
      const done = g.start();
      await until('caught up', () => g.index === 12);
      serveUpTo = 9;
      await done;
      expect(g.problem?.problem).toMatch(/ends at 9 but this replica holds 12/);
      await g.stop();
    } finally {
      await new Promise<void>((r) => fake.close(() => r()));
    }
  });

  it('runs as its own process (swoosh follow) and survives kill -9 of itself', async () => {
    const dir = tempDir();
    const d = driver(5);
    const running = await serve(join(dir, 'w.db'), d);
    const genesis_path = writeGenesis(dir, d.genesis);
    const r = await startReplica({
      id: 'p1',
      mode: 'process',
      url: running.url,
      genesis: d.genesis,
      genesis_path,
      db: join(dir, 'p1.db'),
      checkpoint_every: 5,
    });
    try {
      await feed(running.url, d, 25);
      await r.waitFor(25, 30_000);
      expect(r.hash).toBe(running.host.head.hash);
      await r.crashAndRestart();
      await feed(running.url, d, 10);
      await r.waitFor(35, 30_000);
      expect(r.hash).toBe(running.host.head.hash);
      expect(r.problem).toBeNull();
      expect(r.restarts).toBe(1);
      for (const [i, h] of r.checkpoints) expect(h).toBe(running.host.stateAt(i).hash);
    } finally {
      await r.stop();
      await running.stop();
    }
  }, 60_000);
});
