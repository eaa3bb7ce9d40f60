// The shim end to end on loopback: a real SWOOSH host (in-process, its real HTTP API), the
// WHOOSH simulator, and the shim between them, driven over HTTP like a legacy caller.
// Routing is read from SWOOSH's state (genesis `migration.routes`, Migration_* proposals);
// two tests that flip modes between requests use a fixed ModeSource (the seam).

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SwooshClient } from '../../client/client';
import { H } from '../../core/hash';
import { fakeHash, licenseToken, makeCast, makeGenesis, mcpReport, quorumInputs } from '../../core/testing/kit';
import type { Genesis, JsonObject } from '../../core/types';
import { openServer, type Running } from '../app/server';
import { whooshSim, type WhooshKnobs, type WhooshSim } from '../sim/whoosh';
import { until } from '../testing/until';
import { startShim, type RunningShim } from './command';
import { parseMap } from './map';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { FixedModeSource, migrationOf, effectiveMode, type MigrationView, type Mode } from './swoosh';
import type { Divergence } from './store';

const MAP = parseMap(readFileSync(fileURLToPath(new URL('../../docs/examples/whoosh-map.yaml', import.meta.url)), 'utf8'));
const cast = makeCast();
const P = '/api/projects/demo';

interface World {
  swoosh: Running;
  whoosh: WhooshSim;
  shim: RunningShim;
  agent: SwooshClient;
  fixed: FixedModeSource | null;
  dir: string;
}

const worlds: World[] = [];

afterEach(async () => {
  for (const w of worlds.splice(0)) {
    await w.shim.stop();
    await w.whoosh.close();
    await w.swoosh.stop();
    rmSync(w.dir, { recursive: true, force: true });
  }
});

const view = (mode: Mode, bypass = false): MigrationView => ({
  routes: { council: mode, ingestion: mode, execution: mode },
  bypass,
  bypass_reason: bypass ? 'test' : null,
});

/** A booted SWOOSH (licensed, regions at their first state), WHOOSH, and a shim in front. */
/**
 * `mode` sets every region through genesis `migration.routes`, read back from SWOOSH's
 * state; `fixed` puts a FixedModeSource in front instead, for tests that flip modes
 * faster than operator proposals would.
 */
async function world(o: {
  mode: Mode | 'state';
  fixed?: boolean;
  knobs?: Partial<WhooshKnobs>;
  compare_interval_ms?: number;
  period_ms?: number;
  routes?: Record<string, Mode>;
}): Promise<World> {
  const dir = mkdtempSync(join(tmpdir(), 'swoosh-shim-'));
  const base = makeGenesis(cast, { period_ms: o.period_ms ?? 1000 });
  const routes = o.routes ?? (o.mode === 'state' || o.fixed ? undefined : view(o.mode).routes);
  // Genesis `migration.routes`: a project migrating from WHOOSH (absent: born on SWOOSH).
  const genesis = (routes ? { ...base, migration: { routes } } : base) as Genesis;
  const swoosh = await openServer({ db: join(dir, 'swoosh.db'), genesis, host: '127.0.0.1', port: 0, durability: 'NORMAL', quiet: true });
  const agent = new SwooshClient({ url: swoosh.url, signer: cast.agents[0]! });
  const now = Date.now();
  expect((await agent.withSigner(cast.operators[0]!).propose('Boot_ConfigOk', { config_hash: H(genesis) })).ok).toBe(true);
  const token = licenseToken(cast.kaching, {
    licensee: genesis.project,
    issued_ms: now - 1000,
    expires_ms: now + 86_400_000,
    grace_ms: 86_400_000,
  });
  expect((await agent.propose('Boot_Licensed', { token: token as unknown as JsonObject })).ok).toBe(true);
  const whoosh = whooshSim(o.knobs);
  await whoosh.listen(0);
  const fixed = o.fixed && o.mode !== 'state' ? new FixedModeSource(view(o.mode)) : null;
  const shim = await startShim({
    map: MAP,
    legacy: whoosh.url,
    swoosh: [swoosh.url],
    signer: cast.agents[0]!,
    db: join(dir, 'shim.db'),
    compare_interval_ms: o.compare_interval_ms ?? 0,
    ...(fixed ? { modes: fixed } : {}),
  });
  const w = { swoosh, whoosh, shim, agent, fixed, dir };
  worlds.push(w);
  return w;
}

interface Reply {
  status: number;
  body: Record<string, unknown>;
}

async function call(w: World, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const res = await fetch(`${w.shim.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

let keyN = 0;
async function post(w: World, path: string, body: unknown): Promise<Reply> {
  keyN += 1;
  const r = await call(w, 'POST', `${P}${path}`, body, { 'idempotency-key': `req-${keyN}` });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r;
}

async function settled(w: World): Promise<void> {
  await until(
    'the shim to settle its mirrors',
    async () => ((await call(w, 'GET', '/health')).body.mirror_pending as number) === 0,
    15_000,
  );
}

async function divergences(w: World): Promise<Divergence[]> {
  return (await call(w, 'GET', '/shadow/divergences?from=1&limit=100')).body.divergences as Divergence[];
}

async function metric(w: World, name: string, region: string): Promise<number> {
  const text = await (await fetch(`${w.shim.url}/metrics`)).text();
  const m = new RegExp(`^${name}\\{region="${region}"\\} (\\d+)`, 'm').exec(text);
  return m ? Number(m[1]) : NaN;
}

async function shimKeys(w: World): Promise<string[]> {
  const page = await w.agent.wal(1, 1000);
  return page.records.map((r) => r.idem_key).filter((k) => k.startsWith('whoosh-shim:'));
}

/** Council through the shim: roles, then an election with real votes of c-1 and c-2. */
async function council(w: World): Promise<void> {
  await post(w, '/council/roles', { roles: ['planner', 'reviewer'] });
  await settled(w);
  const epoch = (await w.agent.state()).state.epoch.council;
  await post(w, '/council/elect', quorumInputs([cast.council[0]!, cast.council[1]!], epoch));
  await settled(w);
}

async function ingestion(w: World, version = 'v1'): Promise<void> {
  await post(w, '/ingestion/sources', { sources: ['git://corpus/a'] });
  await post(w, '/ingestion/fetch', { content_hash: fakeHash('bytes') });
  await post(w, '/ingestion/validate', { findings: [] });
  await post(w, '/ingestion/index', { content_hash: fakeHash(`corpus:${version}`), version });
  await settled(w);
}

describe('shim, shadow mode', () => {
  it('a healthy WHOOSH: every call mirrored once, compared in every region, zero divergences', async () => {
    const w = await world({ mode: 'shadow', compare_interval_ms: 150 });
    await council(w);
    await ingestion(w);
    await post(w, '/ingestion/rollback', { reason: 'rebuild' });
    await settled(w);
    const state = (await w.agent.state()).state;
    expect(state.council.members).toEqual([cast.council[0]!.signer, cast.council[1]!.signer].sort());
    expect(state.ingestion).toMatchObject({ phase: 'VALIDATE', version: null, rollbacks: 1 });
    expect(w.whoosh.project('demo')?.ingestion).toMatchObject({
      phase: 'VALIDATE',
      version: null,
      rollbacks: 1,
      builds: [{ version: 'v1' }],
    });
    const keys = await shimKeys(w);
    expect(keys).toHaveLength(7);
    expect(new Set(keys).size).toBe(7);
    await until(
      'the timer to compare the execution region',
      async () => (await metric(w, 'swoosh_shadow_compared_total', 'execution')) > 0,
      10_000,
    );
    expect(await metric(w, 'swoosh_shadow_compared_total', 'council')).toBeGreaterThan(0);
    expect(await metric(w, 'swoosh_shadow_compared_total', 'ingestion')).toBeGreaterThan(0);
    expect(await divergences(w)).toEqual([]);
    for (const r of ['council', 'ingestion', 'execution']) expect(await metric(w, 'swoosh_shadow_divergence_total', r)).toBe(0);
  });

  it('split_brain_council: a council divergence with both member sets', async () => {
    const w = await world({ mode: 'shadow', knobs: { split_brain_council: true } });
    const all = cast.council.map((k) => k.signer);
    expect((await call(w, 'POST', `${P}/council/members`, { members: all })).status).toBe(200); // unmapped: passes through without a key
    await council(w);
    const d = await divergences(w);
    const members = d.find((x) => x.detail.includes('/members ≠'));
    expect(members).toMatchObject({
      region: 'council',
      route: 'council.elect',
      legacy: [...all].sort(),
      swoosh: [cast.council[0]!.signer, cast.council[1]!.signer].sort(),
    });
    expect(d.every((x) => x.region === 'council')).toBe(true);
    expect(await metric(w, 'swoosh_shadow_divergence_total', 'council')).toBe(d.length);
  });

  it('index_swap: an ingestion divergence on the content hash, same version on both sides', async () => {
    const w = await world({ mode: 'shadow', knobs: { index_swap: true } });
    await ingestion(w);
    const d = await divergences(w);
    expect(d).toEqual([
      expect.objectContaining({
        region: 'ingestion',
        route: 'ingestion.index',
        legacy: H({ swapped: fakeHash('corpus:v1') }),
        swoosh: fakeHash('corpus:v1'),
        detail: '/api/projects/:project/ingestion /content_hash ≠ SWOOSH /ingestion/content_hash',
      }),
    ]);
  });

  it('duplicate_delivery: an ingestion divergence, WHOOSH counted the rollback twice', async () => {
    const w = await world({ mode: 'shadow' });
    await ingestion(w);
    await w.whoosh.server.setKnobs({ duplicate_delivery: true });
    await post(w, '/ingestion/rollback', { reason: 'once' });
    await settled(w);
    await until('a divergence', async () => (await divergences(w)).length > 0, 10_000);
    expect(await divergences(w)).toEqual([
      expect.objectContaining({ region: 'ingestion', route: 'ingestion.rollback', legacy: 2, swoosh: 1 }),
    ]);
  });

  it('restart_reorder: the timer finds WHOOSH back on an old index after its restart', async () => {
    const w = await world({ mode: 'shadow', compare_interval_ms: 150 });
    await ingestion(w, 'v1');
    await post(w, '/ingestion/rollback', { reason: 'v2 coming' });
    await post(w, '/ingestion/validate', { findings: [] });
    await post(w, '/ingestion/index', { content_hash: fakeHash('corpus:v2'), version: 'v2' });
    await settled(w);
    expect(await divergences(w)).toEqual([]);
    w.whoosh.server.setKnobs({ restart_reorder: true });
    w.whoosh.restart();
    await until(
      'the timer to see the reordered state',
      async () => (await divergences(w)).some((x) => x.detail.includes('/version')),
      10_000,
    );
    const d = await divergences(w);
    expect(d.find((x) => x.detail.includes('/version'))).toMatchObject({ region: 'ingestion', route: 'timer', legacy: 'v1', swoosh: 'v2' });
    const count = d.length;
    await new Promise((r) => setTimeout(r, 400));
    expect(await divergences(w)).toHaveLength(count); // a standing difference is recorded once
  });

  it('a proposal SWOOSH refuses (a vote of a non-member) is a divergence naming the guard', async () => {
    const w = await world({ mode: 'shadow' });
    await post(w, '/council/roles', { roles: ['planner'] });
    await settled(w);
    await post(w, '/council/elect', quorumInputs([cast.council[0]!, cast.council[1]!], 99));
    await settled(w);
    const d = await divergences(w);
    expect(d[0]).toMatchObject({ region: 'council', route: 'council.elect', swoosh: { code: 'guard_failed', guard: 'quorum' } });
    expect(d[0]!.detail).toMatch(/^SWOOSH rejected the mirrored Council_QuorumCert that WHOOSH accepted: guard_failed \(quorum\)/);
  });
});

describe('shim, the caller contract', () => {
  it('428 without Idempotency-Key in shadow and swoosh mode; legacy mode passes it through', async () => {
    const w = await world({ mode: 'shadow', fixed: true });
    for (const mode of ['shadow', 'swoosh'] as const) {
      w.fixed!.view = view(mode);
      const r = await call(w, 'POST', `${P}/ingestion/sources`, { sources: ['a'] });
      expect(r.status).toBe(428);
      expect((r.body.error as { code: string }).code).toBe('idempotency_key_required');
    }
    expect(w.whoosh.mutations.get('ingestion/sources')).toBeUndefined();
    w.fixed!.view = view('legacy');
    expect((await call(w, 'POST', `${P}/ingestion/sources`, { sources: ['a'] })).status).toBe(200);
    expect(w.whoosh.mutations.get('ingestion/sources')).toBe(1);
    expect(await shimKeys(w)).toEqual([]);
  });

  it('bad X-HLC / X-Window-Id / Idempotency-Key are 400s that change nothing', async () => {
    const w = await world({ mode: 'shadow' });
    const bad: Array<[Record<string, string>, string]> = [
      [{ 'idempotency-key': 'k', 'x-hlc': 'yesterday' }, 'bad_hlc'],
      [{ 'idempotency-key': 'k', 'x-hlc': `${new Date(Date.now() + 60_000).toISOString().replace('Z', '+00:00')}#0` }, 'bad_hlc'],
      [{ 'idempotency-key': 'k', 'x-window-id': 'W-3' }, 'bad_window_id'],
      [{ 'idempotency-key': 'has space' }, 'bad_idempotency_key'],
    ];
    for (const [headers, code] of bad) {
      const r = await call(w, 'POST', `${P}/ingestion/sources`, { sources: ['a'] }, headers);
      expect(r.status).toBe(400);
      expect((r.body.error as { code: string }).code).toBe(code);
    }
    expect(w.whoosh.mutations.size).toBe(0);
    expect((await call(w, 'GET', '/shadow/divergences?limit=0')).status).toBe(400);
  });

  it('bypass: the very next request goes to WHOOSH only', async () => {
    const w = await world({ mode: 'swoosh', fixed: true });
    await post(w, '/ingestion/sources', { sources: ['a'] });
    expect(w.whoosh.mutations.get('ingestion/sources')).toBeUndefined();
    w.fixed!.view = view('swoosh', true);
    const r = await call(w, 'POST', `${P}/ingestion/fetch`, { content_hash: fakeHash('b') });
    expect(r.status).toBe(200);
    expect(w.whoosh.mutations.get('ingestion/fetch')).toBe(1);
    expect(await shimKeys(w)).toEqual(['whoosh-shim:ingestion.sources:req-' + keyN]);
  });

  it('routing from a state document: no migration → swoosh; bypass → legacy; per-region modes', () => {
    expect(effectiveMode(migrationOf({ council: {} }), 'council')).toBe('swoosh');
    const m = {
      migration: { routes: { council: 'swoosh', ingestion: 'shadow', execution: 'legacy' }, bypass: false, bypass_reason: null },
    };
    expect(['council', 'ingestion', 'execution'].map((r) => effectiveMode(migrationOf(m), r as 'council'))).toEqual([
      'swoosh',
      'shadow',
      'legacy',
    ]);
    const b = migrationOf({ migration: { ...m.migration, bypass: true, bypass_reason: 'incident 42' } });
    expect(effectiveMode(b, 'council')).toBe('legacy');
    expect(b.bypass_reason).toBe('incident 42');
  });
});

describe('shim, swoosh mode (read from SWOOSH state)', () => {
  it('SWOOSH decides, WHOOSH is not called, the caller gets the legacy shape; a retry is answered, not re-applied', async () => {
    const w = await world({ mode: 'state' });
    const direct = await fetch(`${w.whoosh.url}/api/projects/other/ingestion/sources`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ sources: ['git://corpus/a'] }),
    });
    const legacyShape = (await direct.json()) as Record<string, unknown>;
    w.whoosh.mutations.clear();
    const headers = { 'idempotency-key': 'swoosh-mode-1' };
    const r = await call(w, 'POST', `${P}/ingestion/sources`, { sources: ['git://corpus/a'] }, headers);
    expect(r.status).toBe(200);
    expect(w.whoosh.mutations.size).toBe(0);
    const index = (await w.agent.state()).index;
    expect(r.body).toEqual({
      ok: true,
      project: 'demo',
      event: index,
      ingestion: { phase: 'FETCH', sources: ['git://corpus/a'], content_hash: null, version: null, rollbacks: 0 },
    });
    // Same keys, same values where the two systems agree: a caller cannot tell the difference.
    expect(Object.keys(r.body).sort()).toEqual(Object.keys(legacyShape).sort());
    const legacyIngestion = legacyShape.ingestion as Record<string, unknown>;
    for (const [k, v] of Object.entries(r.body.ingestion as Record<string, unknown>)) expect(legacyIngestion[k]).toEqual(v);
    const again = await call(w, 'POST', `${P}/ingestion/sources`, { sources: ['git://corpus/a'] }, headers);
    expect(again).toEqual(r);
    expect((await w.agent.state()).index).toBe(index);
    const reused = await call(w, 'POST', `${P}/ingestion/sources`, { sources: ['other'] }, headers);
    expect(reused.status).toBe(422);
    expect((reused.body.error as { code: string }).code).toBe('idempotency_key_reused');
    const notJson = await fetch(`${w.shim.url}${P}/ingestion/sources`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': 'nj' },
      body: '{"sources": [',
    });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toEqual({ error: { code: 'malformed', reason: 'the request body is not JSON' } });
    const missing = await call(w, 'POST', `${P}/ingestion/sources`, { wrong: 1 }, { 'idempotency-key': 'missing' });
    expect(missing).toEqual({
      status: 400,
      body: { error: { code: 'input_missing', reason: 'input sources: body:/sources is absent from the request' } },
    });
    // SWOOSH's refusal is the caller's answer: fetch before sources is invalid_from_state… here, sources twice.
    const refused = await call(w, 'POST', `${P}/ingestion/sources`, { sources: ['b'] }, { 'idempotency-key': 'swoosh-mode-2' });
    expect(refused.status).toBe(400);
    expect((refused.body.error as { code: string }).code).toBe('invalid_from_state');
    // Reads are not mapped: they pass through to WHOOSH.
    expect((await call(w, 'GET', `${P}/ingestion`)).body).toMatchObject({ project: 'demo', phase: 'DISCOVER' });
    const health = await call(w, 'GET', '/health');
    expect(health.body).toMatchObject({
      status: 'ok',
      modes: { council: 'swoosh', ingestion: 'swoosh', execution: 'swoosh' },
      bypass: false,
    });
  });

  it('SWOOSH unreachable: routed calls answer 503 with the last known modes, reads still pass through, the outbox keeps the call', async () => {
    const w = await world({ mode: 'state' });
    await w.swoosh.stop();
    const r = await call(w, 'POST', `${P}/ingestion/sources`, { sources: ['a'] }, { 'idempotency-key': 'down-1' });
    expect(r.status).toBe(503);
    expect((r.body.error as { code: string }).code).toBe('swoosh_unavailable');
    expect(w.whoosh.mutations.size).toBe(0);
    expect((await call(w, 'GET', `${P}/council`)).status).toBe(200);
    expect((await call(w, 'GET', '/health')).body).toMatchObject({ modes: { ingestion: 'swoosh' }, mirror_pending: 1 });
  });

  it("X-HLC is honoured: the proposal orders after the caller's clock", async () => {
    const w = await world({ mode: 'state' });
    const hlc = `${new Date(Date.now() - 50).toISOString().replace('Z', '+00:00')}#7`;
    const r = await call(w, 'POST', `${P}/ingestion/sources`, { sources: ['a'] }, { 'idempotency-key': 'hlc-1', 'x-hlc': hlc });
    expect(r.status).toBe(200);
    const record = (await w.agent.wal(r.body.event as number, 1)).records[0]!;
    const [wall, counter] = [Date.parse(record.hlc.split('#')[0]!), Number(record.hlc.split('#')[1])];
    const [hw, hc] = [Date.parse(hlc.split('#')[0]!), 7];
    expect(wall > hw || (wall === hw && counter > hc)).toBe(true);
  });

  it('a whole project in swoosh mode through legacy calls, up to a time-gated review with its window id', async () => {
    const period_ms = 4000;
    const w = await world({ mode: 'state', period_ms });
    await council(w);
    const genesis = makeGenesis(cast, { period_ms });
    const tools = Object.entries(genesis.mcp.pins).map(([name, version]) => ({ name, version, reachable: true }));
    await post(w, '/council/tooling', { report: mcpReport(cast.mcp, 'http://127.0.0.1:7431', Date.now() - 5, tools) });
    await ingestion(w);
    const env_hash = fakeHash('env');
    for (const [t, inputs] of [
      ['Environment_CapacityOk', { allocations: [] }],
      ['Environment_Installed', { assets: [] }],
      ['Environment_Green', { env_hash }],
    ] as const) {
      expect((await w.agent.propose(t, inputs as unknown as JsonObject)).ok).toBe(true);
    }
    const s = (await w.agent.state()).state;
    expect(s.council.phase).toBe('READY');
    const ready = await w.agent.propose('Execution_AllReady', {
      content_hash: s.ingestion.content_hash!,
      version: s.ingestion.version!,
      member_set_hash: s.council.member_set_hash!,
      env_hash,
    });
    expect(ready.ok).toBe(true);
    const plan = await post(w, '/tasks/t-1/plan', { plan_hash: fakeHash('plan') });
    expect(plan.body).toMatchObject({ execution: { phase: 'WORK', task: 't-1', plan_hash: fakeHash('plan') } });
    // Execution_BeatReviewGate is open in [50%, 75%) of each beat: call in the middle of it.
    let review: Reply | null = null;
    for (let attempt = 0; attempt < 3 && review?.status !== 200; attempt += 1) {
      const offset_ms = (Date.now() - genesis.backbeat.epoch_ms) % period_ms;
      await new Promise((r) => setTimeout(r, (2100 - offset_ms + period_ms) % period_ms));
      review = await call(w, 'POST', `${P}/tasks/t-1/review`, {}, { 'idempotency-key': `review-${attempt}` });
      if (review.status !== 200) expect(review.body.error).toMatchObject({ code: 'guard_failed', guard: 'window' });
    }
    expect(review?.status).toBe(200);
    expect(review!.body).toMatchObject({ ok: true, project: 'demo', execution: { phase: 'REVIEW', task: 't-1' } });
    const record = (await w.agent.wal(review!.body.event as number, 1)).records[0]!;
    const beat = Math.floor((Date.parse(record.hlc.split('#')[0]!) - genesis.backbeat.epoch_ms) / period_ms);
    expect(record).toMatchObject({ transition: 'Execution_BeatReviewGate', window_id: `backbeat:W-${beat}` });
    expect(w.whoosh.mutations.size).toBe(0);
  }, 30_000);
});

/**
 * A real HTTP node in front of the SWOOSH writer: reads are proxied to it; POST /transition
 * is answered by `onPost` (a follower's 503 not_writer, or a race that moves HEAD first).
 */
async function node(
  leader: string,
  onPost: (body: string, n: number) => Promise<{ status: number; body: unknown; headers?: Record<string, string> }>,
): Promise<{ url: string; posts: number[]; close(): Promise<void> }> {
  const posts: number[] = [];
  const server = createHttpServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        let out: { status: number; body: unknown; headers?: Record<string, string> };
        if (req.method === 'POST' && req.url === '/transition') {
          out = await onPost(Buffer.concat(chunks).toString('utf8'), posts.length);
          posts.push(out.status);
        } else if (req.url?.startsWith('/events')) {
          out = { status: 503, body: { error: { code: 'unavailable', reason: 'no event stream on this test node' } } };
        } else {
          const r = await fetch(`${leader}${req.url ?? '/'}`);
          out = { status: r.status, body: await r.json() };
        }
        res.writeHead(out.status, { 'content-type': 'application/json', ...(out.headers ?? {}) });
        res.end(JSON.stringify(out.body));
      })();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    url,
    posts,
    close: () =>
      new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}

async function forwardPost(leader: string, body: string): Promise<{ status: number; body: unknown }> {
  const r = await fetch(`${leader}/transition`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
  return { status: r.status, body: await r.json() };
}

describe('shim, talking to the SWOOSH writer', () => {
  it('follows 503 not_writer to error.leader', async () => {
    const w = await world({ mode: 'state' });
    const follower = await node(w.swoosh.url, async () => ({
      status: 503,
      headers: { location: w.swoosh.url },
      body: { error: { code: 'not_writer', reason: 'this node follows', leader: w.swoosh.url } },
    }));
    try {
      const shim = await startShim({
        map: MAP,
        legacy: w.whoosh.url,
        swoosh: [follower.url],
        signer: cast.agents[0]!,
        db: join(w.dir, 'shim2.db'),
        compare_interval_ms: 0,
      });
      try {
        const res = await fetch(`${shim.url}${P}/ingestion/sources`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': 'lead-1' },
          body: JSON.stringify({ sources: ['a'] }),
        });
        expect(res.status).toBe(200);
        expect(follower.posts).toEqual([503]);
        expect(await shimKeys(w)).toEqual(['whoosh-shim:ingestion.sources:lead-1']);
      } finally {
        await shim.stop();
      }
    } finally {
      await follower.close();
    }
  });

  it('a HEAD that moved between read and write (409 stale_state_hash) is rebuilt and re-sent under the same idem_key', async () => {
    const w = await world({ mode: 'state' });
    const racer = await node(w.swoosh.url, async (body, n) => {
      if (n === 0) expect((await w.agent.propose('Environment_CapacityOk', { allocations: [] })).ok).toBe(true);
      return forwardPost(w.swoosh.url, body);
    });
    try {
      const shim = await startShim({
        map: MAP,
        legacy: w.whoosh.url,
        swoosh: [racer.url],
        signer: cast.agents[0]!,
        db: join(w.dir, 'shim2.db'),
        compare_interval_ms: 0,
      });
      try {
        const res = await fetch(`${shim.url}${P}/ingestion/sources`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': 'race-1' },
          body: JSON.stringify({ sources: ['a'] }),
        });
        expect(res.status).toBe(200);
        expect(racer.posts).toEqual([409, 202]);
        const wal = (await w.agent.wal(1, 100)).records.map((r) => r.transition);
        expect(wal.slice(-2)).toEqual(['Environment_CapacityOk', 'Ingestion_SourcesResolved']);
        expect(await shimKeys(w)).toEqual(['whoosh-shim:ingestion.sources:race-1']);
      } finally {
        await shim.stop();
      }
    } finally {
      await racer.close();
    }
  });
});

// Real routing through SWOOSH's state: Migration_* proposals by an operator, read back by
// the shim on the very next request.
describe('shim, routing by signed Migration_* proposals', () => {
  it('genesis routes shadow; Migration_Bypass sends the very next request to WHOOSH only; Restore and Route bring SWOOSH back', async () => {
    const w = await world({ mode: 'state', routes: { council: 'shadow', ingestion: 'legacy', execution: 'legacy' } });
    const op = w.agent.withSigner(cast.operators[0]!);
    expect((await call(w, 'GET', '/health')).body).toMatchObject({
      modes: { council: 'shadow', ingestion: 'legacy', execution: 'legacy' },
      bypass: false,
    });
    await post(w, '/council/roles', { roles: ['planner'] });
    await settled(w);
    expect(await shimKeys(w)).toHaveLength(1);
    expect(w.whoosh.mutations.get('council/roles')).toBe(1);
    // legacy region: no key needed, nothing mirrored
    expect((await call(w, 'POST', `${P}/ingestion/sources`, { sources: ['a'] })).status).toBe(200);

    const bypass = await op.propose('Migration_Bypass', { reason: 'incident 42' });
    expect(bypass.ok).toBe(true);
    const during = await call(w, 'POST', `${P}/council/roles`, { roles: ['planner', 'reviewer'] }); // no key: legacy again
    expect(during.status).toBe(200);
    expect(w.whoosh.mutations.get('council/roles')).toBe(2);
    expect(await shimKeys(w)).toHaveLength(1);

    expect((await op.propose('Migration_Restore', { justification: 'incident 42 closed' })).ok).toBe(true);
    expect((await call(w, 'POST', `${P}/council/roles`, { roles: ['planner'] })).status).toBe(428);
    expect((await op.propose('Migration_Route', { region: 'council', mode: 'swoosh', justification: 'CHG-1 council on SWOOSH' })).ok).toBe(
      true,
    );
    const epoch = (await w.agent.state()).state.epoch.council;
    const decided = await post(w, '/council/elect', quorumInputs([cast.council[0]!, cast.council[1]!], epoch));
    expect(decided.body).toMatchObject({
      ok: true,
      council: { phase: 'TOOLING_SYNC', members: [cast.council[0]!.signer, cast.council[1]!.signer].sort() },
    });
    expect(w.whoosh.mutations.get('council/elect')).toBeUndefined();
    expect((await call(w, 'GET', '/health')).body).toMatchObject({
      modes: { council: 'swoosh', ingestion: 'legacy', execution: 'legacy' },
    });
  });
});
