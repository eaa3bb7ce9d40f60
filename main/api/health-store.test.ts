// /health must not say "ok" while every commit fails: a real SQLITE_FULL (the database
// capped at its current size with max_page_count, which is how SQLite reports a full disk)
// turns it to 503 "failing" with the error, and the first commit that succeeds again turns
// it back.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { recordSubmissions, Scenario } from '../../core/testing/scenario';
import { Host } from '../host';
import { loadMachine } from '../machine';
import { createMetrics } from '../observe/metrics';
import { ApiServer } from './server';

let dir: string;
let host: Host;
let api: ApiServer;
let base: string;
const sc = new Scenario(loadMachine(), { start_ms: Date.now() - 60_000, epoch_ms: Date.now() - 3_600_000 });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swoosh-health-'));
  host = Host.open({ db: join(dir, 'a.db'), genesis: sc.genesis });
  api = new ApiServer({ host, metrics: createMetrics(host.engine) });
  base = `http://127.0.0.1:${(await api.listen(0, '127.0.0.1')).port}`;
});

afterAll(async () => {
  await api.close();
  host.close();
  rmSync(dir, { recursive: true, force: true });
});

it('reports 503 failing while commits fail (disk full) and 200 ok after the next successful commit', async () => {
  const proposals = recordSubmissions(sc);
  sc.boot().ingest();
  expect((await fetch(`${base}/health`)).status).toBe(200);

  // Cap the file at its size, then take its last free bytes: the next commit meets SQLITE_FULL.
  const pages = host.store.db.pragma('page_count', { simple: true }) as number;
  host.store.db.pragma(`max_page_count = ${pages}`);
  const fill = host.store.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
  let n = 0;
  try {
    for (; n < 10_000; n += 1) fill.run(`fill-${n}`, 'x'.repeat(64));
  } catch (err) {
    expect((err as { code?: string }).code).toBe('SQLITE_FULL');
  }
  expect(n).toBeLessThan(10_000);
  // Each table fills its own pages: submit in order until a record needs a page there is no room for.
  let failed: Awaited<ReturnType<typeof host.engine.submit>> | null = null;
  let at = 0;
  for (; at < proposals.length; at += 1) {
    const r = await host.engine.submit(proposals[at]!);
    if (r.status !== 202) {
      failed = r;
      break;
    }
  }
  if (failed === null) throw new Error('no commit met the full disk');
  expect(failed.status).toBe(500);
  expect('error' in failed && failed.error.code).toBe('store_failed');
  const down = await fetch(`${base}/health`);
  expect(down.status).toBe(503);
  const body = (await down.json()) as { status: string; store: { ok: boolean; error: string; failures: number } };
  expect(body.status).toBe('failing');
  expect(body.store).toMatchObject({ ok: false, failures: 1 });
  expect(body.store.error).toMatch(/database or disk is full/);
  const metrics = await (await fetch(`${base}/metrics`)).text();
  expect(metrics).toMatch(/swoosh_store_failures_total 1/);

  host.store.db.prepare("DELETE FROM meta WHERE key LIKE 'fill-%'").run();
  host.store.db.pragma('max_page_count = 1073741823');
  expect((await host.engine.submit(proposals[at]!)).status).toBe(202);
  const up = await fetch(`${base}/health`);
  expect(up.status).toBe(200);
  expect(((await up.json()) as { status: string; store?: unknown }).store).toBeUndefined();
});
