// The demo's Simulators panel on the host (GET /demo/simulators, POST …/knobs, POST
// /demo/scenarios/{id}) against the demo's real simulators and agent runtime on a 2 s beat:
// knobs are read and set through the simulators' own /_knobs, bad input gets a precise 4xx
// and changes nothing, a bearer token never comes back, and the one-click scenarios move
// the project (GRACE, QUARANTINED, a council re-sync) and heal-all brings it back.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwooshClient } from '../../client/client';
import { demoCast, demoGenesis } from '../demo';
import { until } from '../testing/until';
import { attachDemo, type DemoAttachment } from './demo';
import { openServer, type Running } from './server';
import type { Simulator as SimulatorView } from '../../protocol/api';

const PERIOD_MS = 2000;
const cast = demoCast();
const dirs: string[] = [];
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'swoosh-simpanel-'));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function open(): Promise<Running> {
  const genesis = demoGenesis({ period_ms: PERIOD_MS, epoch_ms: Date.now() - 10_000 });
  return openServer({ db: join(scratch(), 'demo.db'), genesis, host: '127.0.0.1', port: 0, durability: 'NORMAL', quiet: true });
}

// biome-ignore lint/suspicious/noExplicitAny: the tests read arbitrary fields of the panel's JSON answers
type Json = Record<string, any>;

async function call(url: string, method: 'GET' | 'POST', body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers } };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as Json };
}

describe('a host without a demo', () => {
  it('answers every /demo path with 404 not_demo', async () => {
    const running = await open();
    try {
      for (const [method, path] of [
        ['GET', '/demo/simulators'],
        ['POST', '/demo/simulators/kaching/knobs'],
        ['POST', '/demo/scenarios/heal-all'],
      ] as const) {
        const r = await call(`${running.url}${path}`, method, method === 'POST' ? { deny: true } : undefined);
        expect(r.status, path).toBe(404);
        expect(r.json.error.code).toBe('not_demo');
        expect(r.json.error.reason).toMatch(/demo mode/);
      }
    } finally {
      await running.stop();
    }
  });
});

describe('the Simulators panel of a running demo', () => {
  let running: Running;
  let demo: DemoAttachment;
  const state = () => running.host.head.state;
  const detail = () => {
    const s = state();
    return `(boot=${s.boot.phase} council=${s.council.phase} environment=${s.environment.phase} execution=${s.execution.phase} recovery=${s.control.recovery} quarantined=${s.policy.quarantined}; lanes ${JSON.stringify(demo.demo.runtime.health().lanes)})`;
  };
  const panel = async () => (await call(`${running.url}/demo/simulators`, 'GET')).json;
  const knobs = (name: string) => `${running.url}/demo/simulators/${name}/knobs`;

  beforeAll(async () => {
    running = await open();
    demo = await attachDemo(running, { human_operator: false });
    await until('EXECUTION', () => state().execution.phase !== null, 20_000, detail);
  });
  afterAll(async () => {
    await running.stop();
  });

  it('lists every simulator with its knobs (kind, unit, help), its counters and the scenarios', async () => {
    const p = await panel();
    const sims = p.simulators as SimulatorView[];
    expect(sims.map((s) => s.name)).toEqual(Object.keys(demo.demo.sims));
    const kaching = sims.find((s) => s.name === 'kaching') as SimulatorView;
    expect(kaching.service).toBe('KACHING licences');
    expect(kaching.error).toBeNull();
    // The agent fetched a licence through this simulator: its own counter says so.
    expect(kaching.by_path['/v1/license']).toBeGreaterThan(0);
    const deny = kaching.knobs.find((k) => k.name === 'deny');
    expect(deny).toMatchObject({ value: false, kind: 'boolean', changed: false });
    expect(deny?.help).toMatch(/GRACE/);
    expect(kaching.knobs.find((k) => k.name === 'lifetime_ms')).toMatchObject({ value: 600_000, kind: 'number', unit: 'ms', min: 1000 });
    expect(sims.find((s) => s.name === 'mcp')?.knobs.find((k) => k.name === 'unreachable')).toMatchObject({ kind: 'list', value: [] });
    expect(p.scenarios.map((s: { id: string }) => s.id)).toEqual([
      'licence-denial',
      'mcp-flap',
      'policy-breach',
      'capacity-churn',
      'heal-all',
    ]);
    for (const s of p.scenarios) expect(s.expect.length, s.id).toBeGreaterThan(40);
    expect(p.run).toBeNull();
  });

  it('sets a knob through the simulator; refuses bad input precisely and changes nothing', async () => {
    const ok = await call(knobs('backbeat'), 'POST', { amplitude_bp: 2500 });
    expect(ok.status).toBe(200);
    expect(ok.json).toMatchObject({ simulator: 'backbeat', knobs: { amplitude_bp: 2500 } });
    expect(demo.demo.sims.backbeat?.knobs).toMatchObject({ amplitude_bp: 2500 });
    const listed = ((await panel()).simulators as SimulatorView[]).find((s) => s.name === 'backbeat');
    expect(listed?.knobs.find((k) => k.name === 'amplitude_bp')).toMatchObject({ value: 2500, changed: true });

    const before = JSON.stringify(demo.demo.sims.kaching?.knobs);
    const refusals: Array<[string, unknown, number, string, RegExp, Record<string, string>?]> = [
      [knobs('nope'), { down: true }, 404, 'unknown_simulator', /no simulator nope; the demo has kaching, mcp/],
      [knobs('kaching'), { lifetime: 5 }, 400, 'bad_knob', /kaching-sim has no knob lifetime/],
      [knobs('kaching'), { deny: 'yes' }, 400, 'bad_knob', /knob deny expects boolean/],
      [knobs('kaching'), { lifetime_ms: -1 }, 400, 'bad_knob', /lifetime_ms must be an integer in 1000\.\.86400000 ms, got -1/],
      [knobs('kaching'), { latency_ms: 1.5 }, 400, 'bad_knob', /latency_ms must be an integer in 0\.\.60000 ms/],
      [knobs('kaching'), '{"deny": tru', 400, 'malformed', /./],
      [knobs('kaching'), '{"deny": true, "deny": false}', 400, 'malformed', /deny/],
      [knobs('kaching'), [true], 400, 'malformed', /JSON object of knobs/],
      [knobs('kaching'), {}, 400, 'malformed', /at least one knob/],
      [knobs('kaching'), { deny: true }, 415, 'unsupported_media_type', /text\/plain/, { 'content-type': 'text/plain' }],
      [knobs('kaching'), { pad: 'x'.repeat(20_000) }, 413, 'payload_too_large', /16384 bytes/],
      [knobs('kaching'), { deny: true }, 403, 'forbidden_origin', /./, { origin: 'http://evil.example' }],
      [`${running.url}/demo/scenarios/${'x'.repeat(65)}`, undefined, 400, 'malformed', /1\.\.64/],
      [`${running.url}/demo/scenarios/meltdown`, undefined, 404, 'unknown_scenario', /there are licence-denial, mcp-flap/],
      [`${running.url}/demo/nothing`, undefined, 404, 'not_found', /no route POST \/demo\/nothing/],
    ];
    for (const [url, body, status, code, reason, headers] of refusals) {
      const r = await call(url, 'POST', body, headers);
      expect([r.status, r.json.error?.code], `${url} ${JSON.stringify(body)?.slice(0, 60)}`).toEqual([status, code]);
      expect(r.json.error.reason).toMatch(reason);
    }
    const get = await call(`${running.url}/demo/scenarios/heal-all`, 'GET');
    expect([get.status, get.json.error.code]).toEqual([405, 'method_not_allowed']);
    expect(JSON.stringify(demo.demo.sims.kaching?.knobs)).toBe(before);
  });

  it('never echoes a bearer token, and heal-all restores every knob', async () => {
    const secret = 'sekret-token-123';
    const set = await call(knobs('slurp'), 'POST', { bearer: secret });
    expect(set.status).toBe(200);
    expect(set.text).not.toContain(secret);
    expect(set.json.knobs.bearer).toBe('<redacted>');
    const listed = await call(`${running.url}/demo/simulators`, 'GET');
    expect(listed.text).not.toContain(secret);
    const slurp = (listed.json.simulators as SimulatorView[]).find((s) => s.name === 'slurp');
    expect(slurp?.knobs.find((k) => k.name === 'bearer')).toMatchObject({ value: '<redacted>', changed: true });

    const heal = await call(`${running.url}/demo/scenarios/heal-all`, 'POST');
    expect(heal.status).toBe(202);
    expect(heal.json.run).toMatchObject({ id: 'heal-all', finished_ms: expect.any(Number) });
    expect(demo.demo.sims.slurp?.knobs.bearer).toBe('');
    expect(demo.demo.sims.backbeat?.knobs).toMatchObject({ amplitude_bp: 0 });
    const after = (await panel()).simulators as SimulatorView[];
    expect(after.flatMap((s) => s.knobs.filter((k) => k.changed).map((k) => `${s.name}.${k.name}`))).toEqual([]);
  });

  it('licence denial: the licence lapses into GRACE within seconds; heal-all brings it back to LICENSED', async () => {
    const r = await call(`${running.url}/demo/scenarios/licence-denial`, 'POST');
    expect(r.status).toBe(202);
    expect(r.json.run).toMatchObject({ id: 'licence-denial', label: 'Licence denial', finished_ms: null });
    await until('KACHING to deny', () => (demo.demo.sims.kaching?.knobs as { deny?: boolean } | undefined)?.deny === true, 12_000, detail);
    await until('LICENSE.GRACE', () => state().boot.phase === 'GRACE', 20_000, detail);
    const run = (await panel()).run;
    expect(run.log.map((l: { line: string }) => l.line)).toEqual([
      'KACHING issues 10 s licences (grace 10 s); the agent re-asks now',
      'KACHING refuses every licence (deny)',
      'scenario done',
    ]);
    await call(`${running.url}/demo/scenarios/heal-all`, 'POST');
    await until('LICENSE.LICENSED again', () => state().boot.phase === 'LICENSED', 10_000, detail);
    expect(state().boot.license?.expires_ms).toBe((state().boot.license?.issued_ms ?? 0) + 600_000);
  });

  it("policy breach: QUARANTINED with SHHH's rationale; the alerts stop; a release resumes the loop", async () => {
    const r = await call(`${running.url}/demo/scenarios/policy-breach`, 'POST');
    expect(r.status).toBe(202);
    await until('POLICY.QUARANTINED', () => state().policy.quarantined, 15_000, detail);
    expect(state().policy.rationale[0]).toMatch(/credential material in an execution artifact/);
    await until(
      'the alerts to stop',
      () => (demo.demo.sims.shhh?.knobs as { alert_every_ms?: number } | undefined)?.alert_every_ms === 0,
      5000,
      detail,
    );
    expect((await panel()).scenarios.find((s: { id: string }) => s.id === 'policy-breach').expect).toMatch(/no automatic release/);
    const op = new SwooshClient({ url: running.url }).withSigner(cast.operators[1] as (typeof cast.operators)[0]);
    expect((await op.propose('Quarantine_Release', { justification: 'simulated alert (Simulators panel test)' })).ok).toBe(true);
    const loop = state().execution.loop;
    await until('the loop to resume', () => state().execution.loop > loop, 3 * PERIOD_MS + 5000, detail);
  });

  it('MCP flap: a council re-election waits in TOOLING_SYNC while the tools are down, then the loop resumes', async () => {
    const from = running.host.head.index;
    const r = await call(`${running.url}/demo/scenarios/mcp-flap`, 'POST');
    expect(r.status).toBe(202);
    let waited = '';
    await until(
      'the council to wait on tooling',
      () => {
        const last = demo.demo.runtime.health().lanes.council.last ?? '';
        if (state().council.phase === 'TOOLING_SYNC' && /tooling not ready/.test(last)) waited = last;
        return waited !== '';
      },
      30_000,
      detail,
    );
    expect(waited).toMatch(/unreachable/);
    await until('EXECUTION again', () => state().execution.phase !== null, 40_000, detail);
    const client = new SwooshClient({ url: running.url });
    const names = ((await client.wal(from + 1, 1000)).records as Array<{ transition: string }>).map((x) => x.transition);
    const order = ['Execution_QuorumLost', 'Control_Recover', 'Council_QuorumCert', 'Council_McpGreen', 'Execution_AllReady'];
    const at = order.map((t) => names.indexOf(t));
    expect(
      at.every((i) => i >= 0),
      names.join(' '),
    ).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
  }, 90_000);
  it('capacity churn: the environment is rebuilt through no capacity, a failed install and amber checks, then the loop resumes', async () => {
    const from = running.host.head.index;
    const r = await call(`${running.url}/demo/scenarios/capacity-churn`, 'POST');
    expect(r.status).toBe(202);
    await until('no capacity at ALLOCATE', () => state().environment.phase === 'ALLOCATE', 30_000, detail);
    await until('the scenario to finish', async () => (await panel()).run?.finished_ms !== null, 60_000, detail);
    await until('EXECUTION again', () => state().execution.phase !== null, 40_000, detail);
    const client = new SwooshClient({ url: running.url });
    const records = (await client.wal(from + 1, 1000)).records as Array<{
      transition: string;
      proposal: { inputs: Record<string, unknown> };
    }>;
    const names = records.map((x) => x.transition);
    const deprovisions = records.filter((x) => x.transition === 'Environment_Deprovision').map((x) => String(x.proposal.inputs.reason));
    expect(deprovisions[0]).toMatch(/capacity churn/);
    // The environment is given back more than once (the scenario's own, then the agent's
    // compensations). Whether one of those is a failed install depends on timing: under a
    // loaded CI run the failing-install spell can pass between two install attempts (seen),
    // so its reason is checked only where it happened.
    expect(deprovisions.length, names.join(' ')).toBeGreaterThanOrEqual(2);
    for (const d of deprovisions.slice(1)) expect(d).toMatch(/install failed|amber|health|capacity/i);
    expect(names).toContain('Environment_Amber');
    expect(names.lastIndexOf('Environment_Green')).toBeGreaterThan(names.lastIndexOf('Environment_Amber'));
    expect(names.lastIndexOf('Execution_AllReady')).toBeGreaterThan(names.lastIndexOf('Environment_Green'));
    const log = ((await panel()).run?.log ?? []).map((l: { line: string }) => l.line);
    expect(log[1]).toMatch(/^the demo agent gives the environment back; council agents back \(Environment_Deprovision accepted at #\d+\)$/);
    expect(log.at(-1)).toBe('scenario done');
  }, 150_000);
  it('two clicks at once: one scenario at a time, the later one wins from the defaults', async () => {
    const [a, b] = await Promise.all([
      call(`${running.url}/demo/scenarios/licence-denial`, 'POST'),
      call(`${running.url}/demo/scenarios/policy-breach`, 'POST'),
    ]);
    expect([a.status, b.status]).toEqual([202, 202]);
    const run = (await panel()).run;
    expect(['licence-denial', 'policy-breach']).toContain(run.id);
    await new Promise((r) => setTimeout(r, 1000));
    const knobs = demo.demo.sims as unknown as Record<string, { knobs: Record<string, unknown> }>;
    // The stopped scenario left nothing behind: the winner started from a heal.
    if (run.id === 'policy-breach') expect(knobs.kaching?.knobs).toMatchObject({ lifetime_ms: 600_000, deny: false });
    else expect(knobs.shhh?.knobs).toMatchObject({ alert_every_ms: 0 });
    expect((await call(`${running.url}/demo/scenarios/heal-all`, 'POST')).status).toBe(202);
  });
});
