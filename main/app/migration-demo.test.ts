// The migration demo on real sockets: the WHOOSH simulator and the shim beside a host on
// the migrating genesis, the shim's answers passed through GET /migration/* unchanged
// (health with the routes read from SWOOSH's state, counters, divergences), and both
// stopped with the server.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attachMigrationDemo, DEMO_MIGRATION_ROUTES, migrationDemoGenesis, type MigrationDemo } from './migration-demo';
import { runSwoosh } from '../testing/proc';
import { openServer, type Running } from './server';

const dir = mkdtempSync(join(tmpdir(), 'swoosh-mig-demo-'));
let running: Running;
let demo: MigrationDemo;
/** Bound on the shim's first comparisons (the demo timer runs every 2 s; a loaded machine is slow). */
const COMPARE_WAIT_MS = 20_000;

beforeAll(async () => {
  running = await openServer({
    db: join(dir, 'm.db'),
    genesis: migrationDemoGenesis(),
    host: '127.0.0.1',
    port: 0,
    durability: 'NORMAL',
    quiet: true,
  });
  demo = await attachMigrationDemo(running, { shim_db: join(dir, 'shim.db'), compare_interval_ms: 200 });
});
afterAll(async () => {
  await running.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function text(path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${running.url}${path}`);
  return { status: res.status, body: await res.text() };
}

describe('attachMigrationDemo', () => {
  it("starts with council shadowed, and the host passes the shim's health through", async () => {
    expect(running.host.head.state.migration.routes).toEqual(DEMO_MIGRATION_ROUTES);
    const health = await text('/migration/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ legacy: demo.urls().whoosh, modes: DEMO_MIGRATION_ROUTES, bypass: false });
  });

  it("passes the shim's counters and divergence pages through unchanged", async () => {
    const deadline = Date.now() + COMPARE_WAIT_MS;
    let metrics = '';
    while (Date.now() < deadline) {
      metrics = (await text('/migration/metrics')).body;
      if (/swoosh_shadow_compared_total\{region="council"\} [1-9]/.test(metrics)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(metrics).toMatch(/swoosh_shadow_compared_total\{region="council"\} [1-9]/);
    expect(metrics).toMatch(/swoosh_shadow_compared_total\{region="ingestion"\} 0/);
    const viaHost = await text('/migration/divergences?from=0&limit=5');
    const direct = await fetch(`${demo.urls().shim}/shadow/divergences?from=1&limit=5`).then((r) => r.text());
    expect(viaHost.status).toBe(200);
    expect(JSON.parse(viaHost.body)).toEqual(JSON.parse(direct));
  });
});

describe('swoosh serve migration flags', () => {
  it('refuses --sim-migration without --sim, with --shim, and a --shim that is not an http(s) URL, with one clear line', async () => {
    const base = ['serve', '--db', join(dir, 'flags.db'), '--port', '0'];
    const alone = await runSwoosh([...base, '--sim-migration']);
    expect({ code: alone.code, stderr: alone.stderr }).toEqual({
      code: 2,
      stderr: 'swoosh serve: --sim-migration adds WHOOSH and the shim to the demo: it needs --sim\n',
    });
    const both = await runSwoosh([...base, '--sim', '--sim-migration', '--shim', 'http://127.0.0.1:9']);
    expect({ code: both.code, stderr: both.stderr }).toEqual({
      code: 2,
      stderr: 'swoosh serve: --sim-migration starts its own shim: drop --shim URL\n',
    });
    const bad = await runSwoosh([...base, '--shim', 'ftp://shim']);
    expect({ code: bad.code, stderr: bad.stderr }).toEqual({
      code: 2,
      stderr: 'swoosh serve: --shim must be an http(s) URL, got ftp://shim\n',
    });
  }, 60_000);
});
