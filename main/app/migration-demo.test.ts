// The migration demo on real sockets, as `swoosh serve --sim --sim-migration` runs it: the
// demo's bots (council lane left to WHOOSH's callers), the WHOOSH simulator, the shim, and
// the legacy callers forming and rotating the council through the shim, beside a host on
// the migrating genesis. A healthy WHOOSH gives zero divergences over several elections;
// the split-brain knob gives a council divergence with both member sets; a signed
// Migration_Route hands council to SWOOSH and the callers still get legacy-shaped
// answers; Migration_Bypass sends them back to WHOOSH. The shim's answers also pass through
// GET /migration/* unchanged, and everything stops with the server.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwooshClient } from '../../client/client';
import type { JsonObject } from '../../core/types';
import { demoCast } from '../demo';
import type { Divergence } from '../shim/store';
import { runSwoosh } from '../testing/proc';
import { until } from '../testing/until';
import { attachDemo } from './demo';
import {
  attachMigrationDemo,
  DEMO_MIGRATION_ROUTES,
  MIGRATION_DEMO_LANES_OFF,
  migrationDemoGenesis,
  type MigrationDemo,
} from './migration-demo';
import { openServer, type Running } from './server';

const dir = mkdtempSync(join(tmpdir(), 'swoosh-mig-demo-'));
const cast = demoCast();
let running: Running;
let demo: MigrationDemo;
let op: SwooshClient;
/** Bounds on what the demo does by itself (a loaded machine is slow; 2 cores, many workers). */
const CYCLES_WAIT_MS = 60_000;
const SEEN_WAIT_MS = 30_000;

beforeAll(async () => {
  running = await openServer({
    db: join(dir, 'm.db'),
    genesis: migrationDemoGenesis({ period_ms: 4000 }),
    host: '127.0.0.1',
    port: 0,
    durability: 'NORMAL',
    quiet: true,
  });
  await attachDemo(running, { lanes_off: MIGRATION_DEMO_LANES_OFF });
  demo = await attachMigrationDemo(running, {
    shim_db: join(dir, 'shim.db'),
    compare_interval_ms: 200,
    legacy_caller: { pace_ms: 100, hold_ms: 300 },
  });
  op = new SwooshClient({ url: running.url, signer: cast.operators[0]! });
}, 30_000);
afterAll(async () => {
  await running.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function text(path: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`${running.url}${path}`);
  return { status: res.status, body: await res.text() };
}

async function divergences(): Promise<Divergence[]> {
  return (JSON.parse((await text('/migration/divergences?from=0&limit=1000')).body) as { divergences: Divergence[] }).divergences;
}

async function metric(name: string, labels: string): Promise<number> {
  const m = new RegExp(`^${name}\\{${labels}\\} (\\d+)`, 'm').exec((await text('/migration/metrics')).body);
  return m ? Number(m[1]) : 0;
}

const stats = () => demo.caller!.stats();
const whooshCouncilCalls = () => (demo.whoosh.mutations.get('council/elect') ?? 0) + (demo.whoosh.mutations.get('council/reelect') ?? 0);
const detail = () => JSON.stringify({ caller: stats(), head: running.host.head.state.council.phase });

/** Elections the legacy callers get answered from now, at least `n` more. */
async function moreElections(n: number): Promise<void> {
  const from = stats().elections;
  await until(`${n} more elections by the legacy callers`, () => stats().elections >= from + n, CYCLES_WAIT_MS, detail);
}

async function knobs(patch: unknown): Promise<{ status: number; body: unknown }> {
  const res = await fetch(`${running.url}/migration/demo/knobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(patch),
  });
  return { status: res.status, body: await res.json() };
}

async function operator(transition: string, inputs: JsonObject): Promise<void> {
  const r = await op.propose(transition, inputs);
  expect(r.ok, JSON.stringify(r)).toBe(true);
}

describe('the migration demo', () => {
  it("starts with council shadowed, and the host passes the shim's health through", async () => {
    expect(running.host.head.state.migration.routes).toEqual(DEMO_MIGRATION_ROUTES);
    const health = await text('/migration/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ legacy: demo.urls().whoosh, modes: DEMO_MIGRATION_ROUTES, bypass: false });
  });

  it('a healthy WHOOSH: the callers form and rotate the council through the shim, every election mirrored, zero divergences', async () => {
    await moreElections(3);
    await until('a rotation after the third election', () => stats().rotations >= 2, CYCLES_WAIT_MS, detail);
    await until('a council comparison', async () => (await metric('swoosh_shadow_compared_total', 'region="council"')) > 0, SEEN_WAIT_MS);
    expect(await divergences()).toEqual([]);
    expect(await metric('swoosh_shadow_divergence_total', 'region="council"')).toBe(0);
    // Each answered election reached WHOOSH, and its mirror is in SWOOSH's WAL.
    const wal = await op.wal(1, 1000);
    const mirrored = wal.records.filter((r) => r.transition === 'Council_QuorumCert');
    expect(mirrored.length).toBeGreaterThanOrEqual(3);
    expect(mirrored.every((r) => r.idem_key.startsWith('whoosh-shim:council.elect:legacy-'))).toBe(true);
    expect(demo.whoosh.mutations.get('council/elect')).toBeGreaterThanOrEqual(mirrored.length);
    // One driver for the council: the bots proposed none of its transitions.
    expect(wal.records.filter((r) => r.transition.startsWith('Council_') && !r.idem_key.startsWith('whoosh-shim:'))).toEqual([]);
    expect(stats().errors).toEqual([]);
  }, 90_000);

  it("passes the shim's counters and divergence pages through unchanged", async () => {
    expect(await metric('swoosh_shadow_compared_total', 'region="ingestion"')).toBe(0);
    const viaHost = await text('/migration/divergences?from=0&limit=5');
    const direct = await fetch(`${demo.urls().shim}/shadow/divergences?from=1&limit=5`).then((r) => r.text());
    expect(viaHost.status).toBe(200);
    expect(JSON.parse(viaHost.body)).toEqual(JSON.parse(direct));
  });

  it("the demo's knob route refuses anything but WHOOSH's four fault knobs as booleans, and changes nothing", async () => {
    expect(await knobs({ latency_ms: 5 })).toMatchObject({ status: 400, body: { error: { code: 'malformed' } } });
    expect(await knobs({ split_brain_council: 'yes' })).toMatchObject({ status: 400, body: { error: { code: 'malformed' } } });
    expect(await knobs([])).toMatchObject({ status: 400 });
    expect(await knobs({})).toMatchObject({ status: 400 });
    expect(demo.whoosh.server.knobs).toMatchObject({ latency_ms: 0, split_brain_council: false });
    const put = await fetch(`${running.url}/migration/demo/knobs`, { method: 'PUT' });
    expect(put.status).toBe(405);
  });

  it('split_brain_council: within seconds, a council divergence with both member sets', async () => {
    // What `swoosh start --migration` prints: the host turns WHOOSH's knob.
    const knob = await knobs({ split_brain_council: true });
    expect(knob.status).toBe(200);
    expect(knob.body).toMatchObject({ whoosh: demo.urls().whoosh, knobs: { split_brain_council: true, index_swap: false } });
    let found: Divergence | undefined;
    await until(
      'a council /members divergence',
      async () => {
        found = (await divergences()).find((d) => d.region === 'council' && d.detail.includes('/members ≠'));
        return found !== undefined;
      },
      SEEN_WAIT_MS,
      detail,
    );
    const all = cast.council.map((k) => k.signer);
    // SWOOSH seated the council that was voted for; WHOOSH's other partition reports one member short.
    expect(found!.swoosh).toEqual([...all].sort());
    expect(found!.legacy).toEqual(all.slice(0, -1).sort());
    expect(await metric('swoosh_shadow_divergence_total', 'region="council"')).toBeGreaterThan(0);
    expect((await knobs({ split_brain_council: false })).status).toBe(200);
  }, 60_000);

  it('council routed to swoosh by a signed Migration_Route: SWOOSH decides, the callers still get the legacy shape', async () => {
    await operator('Migration_Route', { region: 'council', mode: 'swoosh', justification: 'test: council cut over' });
    await moreElections(1); // an election possibly already in flight in shadow mode
    const whooshBefore = whooshCouncilCalls();
    const walBefore = running.host.head.index;
    await moreElections(2);
    expect(whooshCouncilCalls()).toBe(whooshBefore);
    const last = stats().last!;
    expect(last.status).toBe(200);
    expect(last.body).toMatchObject({ ok: true, project: 'demo', event: expect.any(Number), council: { phase: expect.any(String) } });
    expect(Object.keys((last.body as { council: object }).council).sort()).toEqual(['member_set_hash', 'members', 'phase', 'roles']);
    const decided = (await op.wal(walBefore + 1, 1000)).records.filter((r) => r.transition === 'Council_QuorumCert');
    expect(decided.length).toBeGreaterThanOrEqual(2);
    expect(await metric('swoosh_shim_requests_total', 'region="council",mode="swoosh"')).toBeGreaterThan(0);
  }, 90_000);

  it('Migration_Bypass: the callers are served by WHOOSH again from the next request', async () => {
    const whooshBefore = whooshCouncilCalls();
    await operator('Migration_Bypass', { reason: 'test: emergency rollback' });
    await until('WHOOSH to get council calls again', () => whooshCouncilCalls() >= whooshBefore + 2, SEEN_WAIT_MS, detail);
    expect(await metric('swoosh_shim_requests_total', 'region="council",mode="legacy"')).toBeGreaterThan(0);
    expect(stats().last?.status).toBe(200);
    await operator('Migration_Restore', { justification: 'test: cause fixed' });
    expect(running.host.head.state.migration).toMatchObject({ bypass: false, routes: { council: 'swoosh' } });
  }, 60_000);
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
