// The CHORUS service simulators as an outside client sees them: real loopback HTTP
// servers, each signing with its own Ed25519 key, with fault knobs settable at start and
// at run time (POST /_knobs) and request counters (GET /_stats).

import { afterEach, describe, expect, it } from 'vitest';
import { licenseSigningBytes, mcpSigningBytes, nobleVerifier, voteSigningBytes } from '../../core/crypto';
import { memberSetHash } from '../../core/guards/quorum';
import { ManualClock } from '../../core/hlc';
import { makeCast } from '../../core/testing/kit';
import type { LicenseToken, McpReport, PolicyFinding, Vote } from '../../core/types';
import { backbeatSim } from './backbeat';
import type { BaseKnobs, SimServer } from './base';
import { councilAgentSim } from './council';
import { kachingSim } from './kaching';
import { mcpRegistrySim } from './mcp';
import { provisionerSim } from './provisioner';
import { scanText, shhhSim } from './shhh';
import { slurpSim, sourceText } from './slurp';

const cast = makeCast({ council: 3 });
const PINS = { search: '1.4.2', fetch: '2.0.0' };
const running: Array<SimServer<BaseKnobs>> = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function up<K extends BaseKnobs>(sim: SimServer<K>): Promise<SimServer<K>> {
  await sim.listen(0);
  running.push(sim as unknown as SimServer<BaseKnobs>);
  return sim;
}

// biome-ignore lint/suspicious/noExplicitAny: the tests read arbitrary fields of the sims' JSON answers
async function call(sim: SimServer<BaseKnobs>, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(
    `${sim.url}${path}`,
    body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) },
  );
  return { status: res.status, body: await res.json() };
}

describe('SimServer base: knobs and stats', () => {
  it('reads and sets knobs over HTTP, refusing unknown names and changed types', async () => {
    const sim = await up(backbeatSim({ amplitude_bp: 1200 }));
    expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await call(sim, '/_knobs')).body).toEqual({ latency_ms: 0, down: false, bearer: '', amplitude_bp: 1200 });
    expect((await call(sim, '/_knobs', { amplitude_bp: 5000 })).body.amplitude_bp).toBe(5000);
    expect(sim.knobs.amplitude_bp).toBe(5000);
    const unknown = await call(sim, '/_knobs', { volume: 11 });
    expect(unknown).toEqual({ status: 400, body: { error: { code: 'bad_knob', reason: 'backbeat-sim has no knob volume' } } });
    const typed = await call(sim, '/_knobs', { down: 'yes' });
    expect(typed.body.error.reason).toBe('knob down expects boolean');
    expect((await call(sim, '/_knobs', [1])).status).toBe(400);
    // A refused patch changes nothing, not even its valid part.
    expect((await call(sim, '/_knobs', { amplitude_bp: 1, volume: 2 })).status).toBe(400);
    expect(sim.knobs.amplitude_bp).toBe(5000);
  });

  it('counts requests per path, excluding the knob and stats endpoints', async () => {
    const sim = await up(backbeatSim());
    await call(sim, '/v1/pressure');
    await call(sim, '/v1/pressure');
    await call(sim, '/nope');
    await call(sim, '/_knobs');
    expect((await call(sim, '/_stats')).body).toEqual({ requests: 3, by_path: { '/v1/pressure': 2, '/nope': 1 } });
    sim.resetStats();
    expect(sim.stats().requests).toBe(0);
  });

  it('keeps at most 64 paths in its counters; the rest are summed under "(other)"', async () => {
    const sim = await up(backbeatSim());
    for (let i = 0; i < 100; i += 1) await call(sim, `/probe/${i}`);
    await call(sim, '/probe/0');
    const stats = sim.stats();
    expect(stats.requests).toBe(101);
    expect(Object.keys(stats.by_path)).toHaveLength(65);
    expect(stats.by_path['(other)']).toBe(36);
    expect(stats.by_path['/probe/0']).toBe(2);
    expect(sim.bounds()).toEqual({ stats_paths: 65, stats_paths_max: 65 });
  });

  it('bearer knob: service calls need the token (401 otherwise), and /_knobs never echoes it', async () => {
    const sim = await up(backbeatSim({ bearer: 'tok-0123456789' }));
    const ask = (auth?: string) => fetch(`${sim.url}/v1/pressure`, { headers: auth ? { authorization: auth } : {} });
    const none = await ask();
    expect({ status: none.status, body: await none.json() }).toEqual({
      status: 401,
      body: { error: { code: 'unauthorized', reason: 'backbeat-sim needs a bearer token (knob bearer)' } },
    });
    expect((await ask('Bearer wrong')).status).toBe(401);
    expect((await ask('Bearer tok-0123456789')).status).toBe(200);
    const shown = await call(sim, '/_knobs');
    expect(shown.body.bearer).toBe('<redacted>');
    expect(JSON.stringify((await call(sim, '/_knobs', { bearer: 'tok-2' })).body)).not.toContain('tok-2');
    expect((await ask('Bearer tok-2')).status).toBe(200);
    await call(sim, '/_knobs', { bearer: '' });
    expect((await ask()).status).toBe(200);
  });

  it('latency and down knobs apply to every service endpoint but not to /_knobs', async () => {
    const sim = await up(backbeatSim({ latency_ms: 400 }));
    let t = Date.now();
    expect((await call(sim, '/v1/pressure')).status).toBe(200);
    expect(Date.now() - t).toBeGreaterThanOrEqual(390);
    t = Date.now();
    await call(sim, '/_knobs', { latency_ms: 0, down: true });
    expect(Date.now() - t).toBeLessThan(390);
    expect(await call(sim, '/v1/pressure')).toEqual({
      status: 503,
      body: { error: { code: 'unavailable', reason: 'backbeat-sim is down (knob)' } },
    });
    expect(sim.stats().by_path['/v1/pressure']).toBe(2); // a refused request still counts as made
  });
});

describe('KACHING simulator', () => {
  it('issues tokens signed with its own key, shaped by lifetime, grace and backdate', async () => {
    const clock = new ManualClock(1_800_000_000_000);
    const sim = await up(kachingSim(cast.kaching, clock, { lifetime_ms: 5000, grace_ms: 700 }));
    const r = await call(sim, '/v1/license?licensee=demo');
    expect(r.status).toBe(200);
    const token = r.body.token as LicenseToken;
    expect(token).toMatchObject({ licensee: 'demo', issued_ms: 1_800_000_000_000, expires_ms: 1_800_000_005_000, grace_ms: 700 });
    expect(nobleVerifier.verify(cast.kaching.signer, licenseSigningBytes(token), token.signature)).toBe(true);
    expect(nobleVerifier.verify(cast.mcp.signer, licenseSigningBytes(token), token.signature)).toBe(false);
    sim.setKnobs({ backdate_ms: 6000 });
    const old = (await call(sim, '/v1/license?licensee=demo')).body.token as LicenseToken;
    expect(old.issued_ms).toBe(1_799_999_994_000);
  });

  it('denies on the deny knob and refuses a request without a licensee', async () => {
    const sim = await up(kachingSim(cast.kaching, new ManualClock(0), { deny: true }));
    expect(await call(sim, '/v1/license?licensee=demo')).toEqual({
      status: 403,
      body: { error: { code: 'license_denied', reason: 'no licence for demo (knob deny)' } },
    });
    expect((await call(sim, '/v1/license')).status).toBe(400);
    expect((await call(sim, '/v1/other')).status).toBe(404);
  });
});

describe('MCP registry simulator', () => {
  it('reports the pinned tools, signed, with versions, reachability and flapping from knobs', async () => {
    const clock = new ManualClock(42_000);
    const sim = await up(mcpRegistrySim(cast.mcp, clock, PINS));
    const report = (await call(sim, '/v1/report')).body.report as McpReport;
    expect(report).toMatchObject({ registry: sim.url, observed_ms: 42_000, signer: cast.mcp.signer });
    expect(report.tools).toEqual([
      { name: 'fetch', version: '2.0.0', reachable: true },
      { name: 'search', version: '1.4.2', reachable: true },
    ]);
    expect(nobleVerifier.verify(cast.mcp.signer, mcpSigningBytes(report), report.signature)).toBe(true);

    sim.setKnobs({ versions: { ...PINS, search: '1.5.0' }, unreachable: ['fetch'] });
    const drifted = (await call(sim, '/v1/report')).body.report as McpReport;
    expect(drifted.tools).toEqual([
      { name: 'fetch', version: '2.0.0', reachable: false },
      { name: 'search', version: '1.5.0', reachable: true },
    ]);

    sim.setKnobs({ versions: PINS, unreachable: [], flap_every: 2 });
    const seen: boolean[] = [];
    for (let i = 0; i < 4; i += 1) seen.push(((await call(sim, '/v1/report')).body.report as McpReport).tools.every((t) => t.reachable));
    // Reports 3..6 of this sim: every second one flips all tools unreachable.
    expect(seen).toEqual([true, false, true, false]);
  });
});

describe('BACKBEAT simulator', () => {
  it('serves the pressure amplitude clamped to 0..10000 basis points', async () => {
    const sim = await up(backbeatSim({ amplitude_bp: 20_000 }));
    expect((await call(sim, '/v1/pressure')).body).toEqual({ amplitude_bp: 10000 });
    sim.setKnobs({ amplitude_bp: -5 });
    expect((await call(sim, '/v1/pressure')).body).toEqual({ amplitude_bp: 0 });
  });
});

describe('HMMM council agent simulators', () => {
  it('each agent signs its own vote over the hash it computes of the proposed members', async () => {
    const members = cast.council.map((c) => c.signer);
    const agents = await Promise.all(cast.council.map((k, i) => up(councilAgentSim(`c-${i + 1}`, k))));
    for (const [i, agent] of agents.entries()) {
      expect((await call(agent, '/v1/identity')).body).toEqual({ name: `c-${i + 1}`, signer: cast.council[i]?.signer });
      const vote = (await call(agent, '/v1/vote', { members, council_epoch: 3 })).body.vote as Vote;
      expect(vote).toMatchObject({ voter: cast.council[i]?.signer, member_set_hash: memberSetHash(members), council_epoch: 3 });
      expect(nobleVerifier.verify(vote.voter, voteSigningBytes(vote), vote.signature)).toBe(true);
    }
  });

  it('refuses on the refuse knob, outside the set, and on a malformed request', async () => {
    const [k1] = cast.council;
    const agent = await up(councilAgentSim('c-1', k1 as NonNullable<typeof k1>, { refuse: true }));
    const members = cast.council.map((c) => c.signer);
    expect(await call(agent, '/v1/vote', { members, council_epoch: 0 })).toEqual({
      status: 409,
      body: { error: { code: 'vote_refused', reason: 'c-1 declines (knob refuse)' } },
    });
    agent.setKnobs({ refuse: false });
    const outside = await call(agent, '/v1/vote', { members: members.slice(1), council_epoch: 0 });
    expect(outside.body.error).toEqual({ code: 'not_a_member', reason: 'c-1 is not in the proposed set' });
    expect((await call(agent, '/v1/vote', { members: 'all', council_epoch: 0 })).status).toBe(400);
    expect((await call(agent, '/v1/vote', { members, council_epoch: 1.5 })).status).toBe(400);
  });
});

describe('SHHH policy simulator', () => {
  it('serves a versioned policy and scans documents with per-line findings', async () => {
    const clock = new ManualClock(0);
    const sim = await up(shhhSim(clock, { version: 3 }));
    expect((await call(sim, '/v1/policy')).body).toEqual({ version: 3, deny: ['secret', 'pii', 'license:gpl'] });
    sim.setKnobs({ version: 4, deny: ['secret'] });
    expect((await call(sim, '/v1/policy')).body).toEqual({ version: 4, deny: ['secret'] });
    const scan = await call(sim, '/v1/scan', {
      documents: { 'a.txt': 'hello\nAWS_SECRET_ACCESS_KEY=x', 'b.txt': 'SPDX-License-Identifier: GPL-2.0', 'c.txt': 'clean' },
    });
    expect(scan.body).toEqual({
      policy_version: 4,
      findings: [
        { kind: 'secret', path: 'a.txt#L2', detail: 'credential material' },
        { kind: 'license:gpl', path: 'b.txt#L1', detail: 'GPL-licensed content' },
      ],
    });
    expect((await call(sim, '/v1/scan', { documents: ['x'] })).status).toBe(400);
  });

  it('raises runtime alerts on schedule; the cursor returns only newer ones, at most ten', async () => {
    const clock = new ManualClock(1000);
    const sim = await up(shhhSim(clock, { alert_every_ms: 100 }));
    expect((await call(sim, '/v1/alerts?after=0')).body.alerts).toEqual([]);
    clock.set(1350);
    const alerts = (await call(sim, '/v1/alerts?after=0')).body.alerts as Array<{
      id: number;
      rationale: string;
      findings: PolicyFinding[];
    }>;
    expect(alerts.map((a) => a.id)).toEqual([1, 2, 3]);
    expect(alerts[0]?.rationale).toBe('runtime scan 1: credential material in an execution artifact');
    expect(alerts[0]?.findings).toEqual([{ kind: 'secret', path: 'artifact/run-1.log#L12', detail: 'credential material' }]);
    expect((await call(sim, '/v1/alerts?after=3')).body.alerts).toEqual([]);
    clock.set(1000 + 100 * 50);
    expect(((await call(sim, '/v1/alerts?after=3')).body.alerts as unknown[]).length).toBe(10);
  });
});

describe('SLURP source simulator', () => {
  it('serves sources and plants a policy breach in a chosen one (knob)', async () => {
    const sim = await up(slurpSim({ sources: ['git://demo/a', 'git://demo/b'] }));
    expect((await call(sim, '/v1/sources')).body).toEqual({ sources: ['git://demo/a', 'git://demo/b'], revision: 1 });
    const clean = (await call(sim, '/v1/source?name=git://demo/a')).body;
    expect(clean.text).toBe(sourceText('git://demo/a', 1, undefined));
    expect(scanText('git://demo/a', clean.text)).toEqual([]);
    sim.setKnobs({ breach: { 'git://demo/b': 'pii' }, revision: 2 });
    const dirty = (await call(sim, `/v1/source?name=${encodeURIComponent('git://demo/b')}`)).body;
    expect(dirty.text).toContain('revision 2');
    expect(scanText('git://demo/b', dirty.text)).toEqual([{ kind: 'pii', path: 'git://demo/b#L4', detail: 'personal data marker' }]);
    expect((await call(sim, '/v1/source?name=git://demo/zzz')).status).toBe(404);
  });
});

describe('provisioner simulator', () => {
  it('allocates, installs and health-checks; capacity churn, install failure and amber from knobs', async () => {
    const sim = await up(provisionerSim({ capacity: 2 }));
    const alloc = await call(sim, '/v1/allocate', {});
    expect(alloc.body.allocations).toHaveLength(2);
    expect((await call(sim, '/v1/install', {})).body.assets).toContain('tool:search@1.4.2');
    const green = (await call(sim, '/v1/health')).body;
    expect(green.green).toBe(true);
    expect(green.env_hash).toMatch(/^sha256-[0-9a-f]{64}$/);

    sim.setKnobs({ capacity: 0 });
    expect(await call(sim, '/v1/allocate', {})).toEqual({
      status: 409,
      body: { error: { code: 'no_capacity', reason: 'no nodes free (knob capacity)' } },
    });
    sim.setKnobs({ capacity: 3, fail_install: true, amber_every: 1 });
    expect((await call(sim, '/v1/install', {})).status).toBe(500);
    expect((await call(sim, '/v1/health')).body).toEqual({ green: false, reasons: ['node-2 disk pressure 93%'] });
    // A new allocation is a new environment: its hash changes.
    sim.setKnobs({ amber_every: 0 });
    await call(sim, '/v1/allocate', {});
    expect((await call(sim, '/v1/health')).body.env_hash).not.toBe(green.env_hash);
  });
});
