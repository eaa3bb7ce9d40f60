// Fact providers against their simulators (real loopback HTTP): the happy path, latency
// (timeouts), denial (the service refuses) and flapping (the circuit breaker closes, opens,
// lets one half-open probe through, and closes again). Then the same providers inside the
// agent runtime against a real orchestrator: what they propose, and whether the guard
// outcome and the recorded reasons tell an operator what happened.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SwooshClient } from '../../client/client';
import { licenseSigningBytes, mcpSigningBytes, nobleVerifier, voteSigningBytes } from '../../core/crypto';
import { memberSetHash } from '../../core/guards/quorum';
import { ManualClock } from '../../core/hlc';
import type { State } from '../../core/state';
import { makeCast } from '../../core/testing/kit';
import type { JsonObject } from '../../core/types';
import { openServer as startServer, type Running } from '../app/server';
import { demoCast, demoGenesis } from '../demo';
import { systemClock } from '../host';
import { backbeatSim } from '../sim/backbeat';
import type { BaseKnobs, SimServer } from '../sim/base';
import { councilAgentSim } from '../sim/council';
import { startDemo, type Demo, type DemoKnobs } from '../sim/demo';
import { kachingSim } from '../sim/kaching';
import { mcpRegistrySim } from '../sim/mcp';
import { provisionerSim } from '../sim/provisioner';
import { shhhSim } from '../sim/shhh';
import { slurpSim } from '../sim/slurp';
import { BackbeatProvider } from './backbeat';
import { alwaysOpen, CircuitBreaker, FactClient, type CallResult, type NetGate } from './http';
import { LicenseProvider } from './license';
import { AgentRuntime } from './runtime';
import { CouncilCollector, McpProvider, pinProblems, ProvisionerProvider, ShhhProvider, SlurpProvider } from './services';

const cast = makeCast({ council: 3 });
const PINS = { search: '1.4.2', fetch: '2.0.0' };
const T0 = 1_800_000_000_000;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

const sims: Array<SimServer<BaseKnobs>> = [];
const projects: Project[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.close()));
  while (projects.length > 0) await projects.pop()?.stop();
});

async function up<K extends BaseKnobs>(sim: SimServer<K>): Promise<SimServer<K>> {
  await sim.listen(0);
  sims.push(sim as unknown as SimServer<BaseKnobs>);
  return sim;
}

const closedGate: NetGate = { open: () => false, why: () => 'licence expired (test)' };

function failure<T>(r: CallResult<T>): Extract<CallResult<T>, { ok: false }> {
  if (r.ok) throw new Error(`expected a failure, got ${JSON.stringify(r.body)}`);
  return r;
}

// ---------------------------------------------------------------------------
// The breaker and the HTTP client

describe('CircuitBreaker', () => {
  it('closed → open after 3 failures → half-open after the cooldown → closed on success', () => {
    const clock = new ManualClock(T0);
    const b = new CircuitBreaker(clock);
    expect(b.snapshot()).toEqual({ state: 'closed', consecutive_failures: 0, opened_at_ms: null, last_error: null });
    b.failure('HTTP 503');
    b.failure('HTTP 503');
    expect(b.allow()).toBe(true);
    b.failure('timed out after 2000 ms');
    expect(b.snapshot()).toEqual({ state: 'open', consecutive_failures: 3, opened_at_ms: T0, last_error: 'timed out after 2000 ms' });
    expect(b.allow()).toBe(false);
    clock.advance(1999);
    expect(b.allow()).toBe(false);
    clock.advance(1);
    expect(b.allow()).toBe(true);
    expect(b.snapshot().state).toBe('half-open');
    b.success();
    expect(b.snapshot()).toEqual({ state: 'closed', consecutive_failures: 0, opened_at_ms: null, last_error: null });
  });

  it('a failed half-open probe re-opens at once, and the cooldown stretches with pressure', () => {
    const clock = new ManualClock(T0);
    let scale = 1;
    const b = new CircuitBreaker(clock, 3, 2000, () => scale);
    for (let i = 0; i < 3; i += 1) b.failure('x');
    clock.advance(2000);
    expect(b.allow()).toBe(true);
    b.failure('still down');
    expect(b.snapshot()).toMatchObject({ state: 'open', consecutive_failures: 4, opened_at_ms: T0 + 2000, last_error: 'still down' });
    scale = 2; // BACKBEAT amplitude 10000 bp
    clock.advance(2000);
    expect(b.allow()).toBe(false);
    clock.advance(2000);
    expect(b.allow()).toBe(true);
  });
});

describe('FactClient', () => {
  it('gives every failure a kind and a reason naming the service', async () => {
    const clock = new ManualClock(T0);
    const sim = await up(backbeatSim({ latency_ms: 300 }));
    const c = new FactClient('backbeat', sim.url, { clock, timeout_ms: 100 });
    const slow = failure(await c.get('/v1/pressure'));
    expect(slow).toEqual({ ok: false, kind: 'timeout', reason: 'backbeat: timed out after 100 ms' });
    sim.setKnobs({ latency_ms: 0 });
    const missing = failure(await c.get('/v2/nothing'));
    expect(missing).toMatchObject({ kind: 'http', status: 404, reason: 'backbeat: HTTP 404 not_found: /v2/nothing' });
    // A 4xx is an answer, not an outage: it resets the breaker's failure count.
    expect(c.breaker.snapshot().consecutive_failures).toBe(0);
    const dead = new FactClient('nowhere', 'http://127.0.0.1:9', { clock, timeout_ms: 500 });
    expect(failure(await dead.get('/')).kind).toBe('network');
    const gated = new FactClient('backbeat', sim.url, { clock, gate: closedGate });
    sim.resetStats();
    expect(failure(await gated.get('/v1/pressure'))).toEqual({
      ok: false,
      kind: 'blocked',
      reason: 'backbeat: outbound calls blocked: licence expired (test)',
    });
    expect(gated.blocked).toBe(1);
    expect(gated.calls).toBe(0);
    expect(sim.stats().requests).toBe(0);
  });
});

// ---------------------------------------------------------------------------
// Every provider against its simulator: happy path and flapping (the breaker cycle)

interface Subject {
  sim: SimServer<BaseKnobs>;
  client: FactClient;
  call: () => Promise<CallResult<unknown>>;
}

type Make = (clock: ManualClock, gate: NetGate) => Promise<Subject>;

const SUBJECTS: Array<[string, Make]> = [
  [
    'kaching',
    async (clock) => {
      const sim = await up(kachingSim(cast.kaching, clock));
      const p = new LicenseProvider(sim.url, clock, () => 0);
      return { sim, client: p.client, call: () => p.fetch('demo') };
    },
  ],
  [
    'backbeat',
    async (clock, gate) => {
      const sim = await up(backbeatSim({ amplitude_bp: 2500 }));
      const p = new BackbeatProvider(sim.url, clock, gate);
      return { sim, client: p.client, call: () => p.client.get('/v1/pressure') };
    },
  ],
  [
    'mcp-registry',
    async (clock, gate) => {
      const sim = await up(mcpRegistrySim(cast.mcp, clock, PINS));
      const p = new McpProvider(sim.url, clock, gate);
      return { sim, client: p.client, call: () => p.report() };
    },
  ],
  [
    'shhh',
    async (clock, gate) => {
      const sim = await up(shhhSim(clock));
      const p = new ShhhProvider(sim.url, clock, gate);
      return { sim, client: p.client, call: () => p.policy() };
    },
  ],
  [
    'slurp',
    async (clock, gate) => {
      const sim = await up(slurpSim());
      const p = new SlurpProvider(sim.url, clock, gate);
      return { sim, client: p.client, call: () => p.sources() };
    },
  ],
  [
    'provisioner',
    async (clock, gate) => {
      const sim = await up(provisionerSim());
      const p = new ProvisionerProvider(sim.url, clock, gate);
      return { sim, client: p.client, call: () => p.health() };
    },
  ],
  [
    'council-1',
    async (clock, gate) => {
      const sim = await up(councilAgentSim('c-1', cast.council[0] as (typeof cast.council)[0]));
      const p = new CouncilCollector([sim.url], clock, gate);
      const c = p.clients[0] as FactClient;
      return { sim, client: c, call: () => c.post('/v1/vote', { members: cast.council.map((k) => k.signer), council_epoch: 0 }) };
    },
  ],
];

describe.each(SUBJECTS)('%s provider against its simulator', (service, make) => {
  it('happy path: one request, a 200 body, breaker closed', async () => {
    const clock = new ManualClock(T0);
    const s = await make(clock, alwaysOpen);
    const r = await s.call();
    expect(r.ok).toBe(true);
    expect(s.client.service).toBe(service);
    expect(s.client.calls).toBe(1);
    expect(s.sim.stats().requests).toBe(1);
    expect(s.client.breaker.snapshot().state).toBe('closed');
  });

  it('flapping: opens after 3 failures, sends nothing while open, probes half-open, closes', async () => {
    const clock = new ManualClock(T0);
    const s = await make(clock, alwaysOpen);
    s.sim.setKnobs({ down: true });
    for (let i = 0; i < 3; i += 1) {
      const r = failure(await s.call());
      expect(r.kind).toBe('http');
      expect(r.status).toBe(503);
      expect(r.reason).toMatch(new RegExp(`^${service}: HTTP 503 unavailable: .+ is down \\(knob\\)$`));
    }
    expect(s.client.breaker.snapshot()).toMatchObject({ state: 'open', consecutive_failures: 3, last_error: 'HTTP 503' });
    const served = s.sim.stats().requests;
    expect(failure(await s.call())).toEqual({ ok: false, kind: 'breaker_open', reason: `${service}: circuit open (HTTP 503)` });
    expect(s.sim.stats().requests).toBe(served); // nothing went out

    clock.advance(2000); // cooldown over, still down: the single probe fails and re-opens at once
    expect(failure(await s.call()).kind).toBe('http');
    expect(s.client.breaker.snapshot().state).toBe('open');
    expect(failure(await s.call()).kind).toBe('breaker_open');

    s.sim.setKnobs({ down: false }); // back up: the next probe closes the breaker
    clock.advance(2000);
    expect((await s.call()).ok).toBe(true);
    expect(s.client.breaker.snapshot()).toEqual({ state: 'closed', consecutive_failures: 0, opened_at_ms: null, last_error: null });
    expect(s.sim.stats().requests).toBe(served + 2);
  });

  // The KACHING call itself is never gated (it is how the gate opens).
  it.skipIf(service === 'kaching')('licence gate closed: blocked without a request', async () => {
    const clock = new ManualClock(T0);
    const s = await make(clock, closedGate);
    expect(failure(await s.call()).kind).toBe('blocked');
    expect(s.sim.stats().requests).toBe(0);
    expect(s.client.breaker.snapshot().state).toBe('closed'); // the gate is not an outage
  });
});

describe('latency', () => {
  it('every provider times out after 2 s on a slow service and counts it against its breaker', async () => {
    const clock = new ManualClock(T0);
    const subjects = await Promise.all(SUBJECTS.map(([, make]) => make(clock, alwaysOpen)));
    // Under the timeout, latency is only latency.
    for (const s of subjects) s.sim.setKnobs({ latency_ms: 50 });
    for (const r of await Promise.all(subjects.map((s) => s.call()))) expect(r.ok).toBe(true);
    for (const s of subjects) s.sim.setKnobs({ latency_ms: 2300 });
    const results = await Promise.all(subjects.map((s) => s.call()));
    results.forEach((r, i) => {
      const s = subjects[i] as Subject;
      expect(failure(r)).toEqual({ ok: false, kind: 'timeout', reason: `${s.client.service}: timed out after 2000 ms` });
      expect(s.client.breaker.snapshot()).toMatchObject({
        state: 'closed',
        consecutive_failures: 1,
        last_error: 'timed out after 2000 ms',
      });
    });
  });
});

// ---------------------------------------------------------------------------
// What each provider observes, and how each service says no

describe('KACHING provider', () => {
  it('caches a signed token, schedules the refresh at 70–80 % of its life, and is the gate', async () => {
    const clock = new ManualClock(T0);
    const sim = await up(kachingSim(cast.kaching, clock, { lifetime_ms: 10_000, grace_ms: 5000 }));
    const p = new LicenseProvider(sim.url, clock, () => 0.5);
    expect(p.refreshDue()).toBe(true);
    expect(p.open()).toBe(false);
    expect(p.why()).toBe('no licence yet');
    const r = await p.fetch('demo');
    expect(r.ok).toBe(true);
    const token = p.token;
    expect(token && nobleVerifier.verify(cast.kaching.signer, licenseSigningBytes(token), token.signature)).toBe(true);
    expect(p.status()).toBe('valid');
    expect(p.open()).toBe(true);
    expect(p.refreshDue(T0 + 7499)).toBe(false); // jitter 0.5 → 75 % of 10 s
    expect(p.refreshDue(T0 + 7500)).toBe(true);
    clock.set(T0 + 10_000);
    expect(p.status()).toBe('grace');
    expect(p.open()).toBe(true);
    clock.set(T0 + 15_000);
    expect(p.status()).toBe('expired');
    expect(p.open()).toBe(false);
    expect(p.why()).toBe(`licence expired (expires_ms ${T0 + 10_000}, grace_ms 5000)`);
  });

  it('denial and outage keep the token in hand and retry a second later', async () => {
    const clock = new ManualClock(T0);
    const sim = await up(kachingSim(cast.kaching, clock));
    const p = new LicenseProvider(sim.url, clock, () => 0);
    await p.fetch('demo');
    const kept = p.token;
    sim.setKnobs({ deny: true });
    const denied = failure(await p.fetch('demo'));
    expect(denied).toMatchObject({
      kind: 'http',
      status: 403,
      reason: 'kaching: HTTP 403 license_denied: no licence for demo (knob deny)',
    });
    expect(p.token).toBe(kept);
    expect(p.lastError).toBe(denied.reason);
    expect(p.refreshDue(T0 + 999)).toBe(false);
    expect(p.refreshDue(T0 + 1000)).toBe(true);
    expect(p.client.breaker.snapshot().state).toBe('closed'); // KACHING answered
    sim.setKnobs({ deny: false, down: true });
    expect(failure(await p.fetch('demo')).status).toBe(503);
    expect(p.token).toBe(kept);
  });
});

describe('BACKBEAT provider', () => {
  it('reads the pressure amplitude; backoff scales from ×1 to ×2 with it; no URL means no calls', async () => {
    const clock = new ManualClock(T0);
    const sim = await up(backbeatSim({ amplitude_bp: 0 }));
    const p = new BackbeatProvider(sim.url, clock, alwaysOpen);
    await p.refresh();
    expect(p.amplitude_bp).toBe(0);
    expect([1, 2, 3, 6, 9].map((n) => p.backoff_ms(n))).toEqual([500, 1000, 2000, 10_000, 10_000]);
    sim.setKnobs({ amplitude_bp: 10_000 });
    await p.refresh();
    expect(p.scale()).toBe(2);
    expect([1, 2, 3, 6].map((n) => p.backoff_ms(n))).toEqual([1000, 2000, 4000, 20_000]);
    // A failed read keeps the last amplitude rather than dropping to zero pressure.
    sim.setKnobs({ down: true });
    await p.refresh();
    expect(p.amplitude_bp).toBe(10_000);
    const off = new BackbeatProvider(null, clock, alwaysOpen);
    await off.refresh();
    expect(off.client.calls).toBe(0);
    expect(off.scale()).toBe(1);
  });

  it('window arithmetic over the schedule in state', () => {
    const p = new BackbeatProvider(null, new ManualClock(T0), alwaysOpen);
    const schedule = {
      epoch_ms: T0,
      period_ms: 2000,
      windows: { review: [5000, 7500] as [number, number], reverb: [7500, 10000] as [number, number] },
    };
    expect(p.isOpen(schedule, 'review', T0 + 999)).toBe(false);
    expect(p.isOpen(schedule, 'review', T0 + 1000)).toBe(true);
    expect(p.untilOpen_ms(schedule, 'reverb', T0 + 1000)).toBe(500);
    expect(p.untilOpen_ms(schedule, 'reverb', T0 + 1600)).toBe(0);
  });
});

describe('MCP registry provider', () => {
  it('returns a signed report; pinProblems says what is wrong, per tool, and flapping alternates', async () => {
    const clock = new ManualClock(T0);
    const sim = await up(mcpRegistrySim(cast.mcp, clock, PINS));
    const p = new McpProvider(sim.url, clock, alwaysOpen);
    const r = await p.report();
    if (!r.ok) throw new Error(r.reason);
    expect(nobleVerifier.verify(cast.mcp.signer, mcpSigningBytes(r.body.report), r.body.report.signature)).toBe(true);
    expect(r.body.report.observed_ms).toBe(T0);
    expect(pinProblems(r.body.report, PINS)).toEqual([]);
    sim.setKnobs({ versions: { search: '1.5.0' }, unreachable: [] });
    const drift = await p.report();
    expect(drift.ok && pinProblems(drift.body.report, PINS)).toEqual(['search at 1.5.0, pinned 1.4.2', 'fetch missing']);
    sim.setKnobs({ versions: PINS, flap_every: 2 });
    const seen: string[][] = [];
    for (let i = 0; i < 3; i += 1) {
      const x = await p.report();
      if (x.ok) seen.push(pinProblems(x.body.report, PINS));
    }
    // Reports 3, 4, 5 of this simulator: the 4th flaps.
    expect(seen).toEqual([[], ['search unreachable', 'fetch unreachable'], []]);
  });
});

describe('SHHH provider', () => {
  it('reads the versioned policy, scans documents, and follows alerts with a forward-only cursor', async () => {
    const clock = new ManualClock(T0);
    const sim = await up(shhhSim(clock, { version: 2, alert_every_ms: 1000 }));
    const p = new ShhhProvider(sim.url, clock, alwaysOpen);
    const policy = await p.policy();
    expect(policy.ok && policy.body).toEqual({ version: 2, deny: ['secret', 'pii', 'license:gpl'] });
    const scan = await p.scan({ 'notes.md': 'hi\ncontact: jane.doe@example.com' });
    expect(scan.ok && scan.body).toEqual({
      policy_version: 2,
      findings: [{ kind: 'pii', path: 'notes.md#L2', detail: 'personal data marker' }],
    });
    expect(await p.alerts()).toEqual([]);
    clock.advance(2500);
    expect((await p.alerts()).map((a) => a.id)).toEqual([1, 2]);
    expect(await p.alerts()).toEqual([]);
    expect(p.lastAlert).toBe(2);
    // An outage yields no alerts (and does not move the cursor).
    sim.setKnobs({ down: true });
    clock.advance(1000);
    expect(await p.alerts()).toEqual([]);
    sim.setKnobs({ down: false });
    expect((await p.alerts()).map((a) => a.id)).toEqual([3]);
  });
});

describe('SLURP provider', () => {
  it('lists sources and fetches their text; an unknown source is a 404 with its name', async () => {
    const clock = new ManualClock(T0);
    const sim = await up(slurpSim({ breach: { 'git://demo/specs': 'license:gpl' } }));
    const p = new SlurpProvider(sim.url, clock, alwaysOpen);
    const list = await p.sources();
    expect(list.ok && list.body.sources).toEqual(['git://demo/handbook', 'git://demo/specs', 'git://demo/runbooks']);
    const specs = await p.source('git://demo/specs');
    expect(specs.ok && specs.body.text).toContain('SPDX-License-Identifier: GPL-3.0-or-later');
    expect(failure(await p.source('git://demo/none')).reason).toBe('slurp: HTTP 404 not_found: no source git://demo/none');
  });
});

describe('provisioner provider', () => {
  it('allocation refused on no capacity, install failure as a 500 (a breaker failure), amber health', async () => {
    const clock = new ManualClock(T0);
    const sim = await up(provisionerSim({ capacity: 0 }));
    const p = new ProvisionerProvider(sim.url, clock, alwaysOpen);
    expect(failure(await p.allocate()).reason).toBe('provisioner: HTTP 409 no_capacity: no nodes free (knob capacity)');
    expect(p.client.breaker.snapshot().consecutive_failures).toBe(0);
    sim.setKnobs({ capacity: 1, fail_install: true, amber_every: 1 });
    const a = await p.allocate();
    expect(a.ok && a.body.allocations).toHaveLength(1);
    expect(failure(await p.install()).reason).toBe('provisioner: HTTP 500 install_failed: image pull failed (knob fail_install)');
    expect(p.client.breaker.snapshot().consecutive_failures).toBe(1);
    const h = await p.health();
    expect(h.ok && h.body).toEqual({ green: false, reasons: ['node-2 disk pressure 93%'] });
  });
});

describe('HMMM council collector', () => {
  it('assembles signed votes from every agent and names each one that did not vote', async () => {
    const clock = new ManualClock(T0);
    const agents = await Promise.all(cast.council.map((k, i) => up(councilAgentSim(`c-${i + 1}`, k))));
    const members = cast.council.map((k) => k.signer);
    const p = new CouncilCollector(
      agents.map((a) => a.url),
      clock,
      alwaysOpen,
    );
    const all = await p.collect(members, 4);
    expect(all.problems).toEqual([]);
    expect(all.votes.map((v) => v.voter)).toEqual(members);
    for (const v of all.votes) {
      expect(v.member_set_hash).toBe(memberSetHash(members));
      expect(v.council_epoch).toBe(4);
      expect(nobleVerifier.verify(v.voter, voteSigningBytes(v), v.signature)).toBe(true);
    }
    agents[0]?.setKnobs({ refuse: true });
    agents[2]?.setKnobs({ down: true });
    const some = await p.collect(members, 4);
    expect(some.votes.map((v) => v.voter)).toEqual([members[1]]);
    expect(some.problems).toEqual([
      'council-1: HTTP 409 vote_refused: c-1 declines (knob refuse)',
      'council-3: HTTP 503 unavailable: council-c-3 is down (knob)',
    ]);
  });
});

// ---------------------------------------------------------------------------
// Inside the runtime, against a real orchestrator

interface Project {
  running: Running;
  demo: Demo;
  runtime: AgentRuntime;
  sims: Record<string, SimServer<BaseKnobs>>;
  state(): State;
  op: SwooshClient;
  agent: SwooshClient;
  stop(): Promise<void>;
}

const demo_cast = demoCast();

async function project(
  knobs: DemoKnobs = {},
  before?: (sims: Record<string, SimServer<BaseKnobs>>) => void,
  auto_release_after_ms: number | null = null,
): Promise<Project> {
  const dir = mkdtempSync(join(tmpdir(), 'swoosh-providers-'));
  const genesis = demoGenesis({ period_ms: 2000, epoch_ms: Date.now() - 10_000 });
  let demo: Demo | null = null;
  const running = await startServer({
    db: join(dir, 'swoosh.db'),
    genesis,
    host: '127.0.0.1',
    port: 0,
    durability: 'NORMAL',
    quiet: true,
    health: () => (demo ? { providers: demo.runtime.health() } : {}),
  });
  demo = await startDemo({
    swoosh: running.url,
    cast: demo_cast,
    genesis,
    clock: systemClock,
    knobs,
    tick_ms: 60_000,
    auto_release_after_ms,
  });
  demo.runtime.stop(); // stepped by hand
  before?.(demo.sims);
  const api = new SwooshClient({ url: running.url });
  const p: Project = {
    running,
    demo,
    runtime: demo.runtime,
    sims: demo.sims,
    state: () => running.host.head.state,
    op: api.withSigner(demo_cast.operators[0] as (typeof demo_cast.operators)[0]),
    agent: api.withSigner(demo_cast.agents[0] as (typeof demo_cast.agents)[0]),
    stop: async () => {
      await demo?.stop();
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  projects.push(p);
  return p;
}

async function tickUntil(p: Project, what: string, done: () => boolean | Promise<boolean>, timeout_ms = 8000): Promise<void> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    await p.runtime.tick();
    if (await done()) return;
    if (Date.now() > deadline) {
      const s = p.state();
      throw new Error(
        `timed out waiting for ${what}: ingestion=${s.ingestion.phase} council=${s.council.phase} environment=${s.environment.phase} lanes=${JSON.stringify(p.runtime.health().lanes)}`,
      );
    }
    await sleep(25);
  }
}

interface WalRecord {
  index: number;
  transition: string;
  proposal: { inputs: Record<string, unknown> };
  guard_outcomes: Array<{ guard: string; ok: boolean; reasons: string[] }>;
}

async function records(p: Project, transition: string): Promise<WalRecord[]> {
  const page = await p.op.wal(1, 1000);
  return (page.records as unknown as WalRecord[]).filter((r) => r.transition === transition);
}

const laneLast = (p: Project, lane: string) => (p.runtime.health().lanes as Record<string, { last: string | null }>)[lane]?.last ?? '';

describe('providers in the runtime: proposals, guard outcomes and the reasons an operator reads', () => {
  it('HMMM quorum and MCP pins: the runtime waits with a precise reason, then proposes what the guards accept', async () => {
    const p = await project({ mcp: { versions: { search: '1.5.0', fetch: '2.0.0' } } }, (s) => {
      s['council-1']?.setKnobs({ refuse: true });
      s['council-2']?.setKnobs({ down: true });
    });
    // 1 of 3 votes: no certificate is proposed, and the lane says exactly why.
    await tickUntil(p, 'a failed election', () => laneLast(p, 'council').includes('votes'));
    expect(p.state().council.phase).toBe('ELECT');
    expect(laneLast(p, 'council')).toBe(
      'error: 1 votes, threshold 2: council-1: HTTP 409 vote_refused: c-1 declines (knob refuse); council-2: HTTP 503 unavailable: council-c-2 is down (knob)',
    );
    const health = (await (await fetch(`${p.running.url}/health`)).json()) as {
      providers: { lanes: { council: { last: string } }; breakers: Record<string, { state: string }> };
    };
    expect(health.providers.lanes.council.last).toBe(laneLast(p, 'council'));
    expect(Object.keys(health.providers.breakers).sort()).toEqual([
      'backbeat',
      'council-1',
      'council-2',
      'council-3',
      'kaching',
      'mcp-registry',
      'provisioner',
      'shhh',
      'slurp',
    ]);

    // Two agents vote again: the collector's certificate passes the quorum guard.
    p.sims['council-2']?.setKnobs({ down: false });
    await tickUntil(p, 'Council_QuorumCert', () => p.state().council.phase === 'TOOLING_SYNC');
    const [cert] = await records(p, 'Council_QuorumCert');
    const quorum = cert?.guard_outcomes.find((g) => g.guard === 'quorum');
    expect(quorum?.ok).toBe(true);
    expect(quorum?.reasons[0]).toMatch(/^2 of 3 members voted \(threshold 2\) over sha256-[0-9a-f]{64} at council epoch \d+$/);

    // The registry serves search 1.5.0 against a 1.4.2 pin: the runtime does not propose.
    await tickUntil(p, 'a tooling problem', () => laneLast(p, 'council').includes('tooling'));
    expect(laneLast(p, 'council')).toBe('error: tooling not ready: search at 1.5.0, pinned 1.4.2');
    // Proposed by hand anyway, the mcp guard refuses it with the same fact, and the
    // rejection is kept where an operator looks (GET /rejections).
    const report = await p.runtime.mcp.report();
    if (!report.ok) throw new Error(report.reason);
    const r = await p.agent.propose('Council_McpGreen', { report: report.body.report as unknown as JsonObject });
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect({ code: r.code, guard: r.guard, reasons: r.reasons }).toEqual({
        code: 'guard_failed',
        guard: 'mcp',
        reasons: ['tool search at 1.5.0, pinned 1.4.2'],
      });
    const rejections = await p.op.rejections(0, 100);
    expect(JSON.stringify(rejections)).toContain('tool search at 1.5.0, pinned 1.4.2');

    p.sims.mcp?.setKnobs({ versions: PINS });
    await tickUntil(p, 'Council_McpGreen', () => p.state().council.phase === 'READY');
    const [green] = await records(p, 'Council_McpGreen');
    const mcp = green?.guard_outcomes.find((g) => g.guard === 'mcp');
    expect(mcp?.ok).toBe(true);
    expect(mcp?.reasons[0]).toMatch(/^2 pinned tools reachable at their pins; report -?\d+ ms old from http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('provisioner churn: a failed install and amber health become compensations with their reasons', async () => {
    const p = await project({ provisioner: { fail_install: true } });
    await tickUntil(p, 'Environment_Deprovision', async () => (await records(p, 'Environment_Deprovision')).length > 0);
    const [deprovision] = await records(p, 'Environment_Deprovision');
    expect(deprovision?.proposal.inputs.reason).toBe(
      'install failed: provisioner: HTTP 500 install_failed: image pull failed (knob fail_install)',
    );
    p.sims.provisioner?.setKnobs({ fail_install: false, amber_every: 1 });
    await tickUntil(p, 'Environment_Amber', async () => (await records(p, 'Environment_Amber')).length > 0);
    const [amber] = await records(p, 'Environment_Amber');
    expect(amber?.proposal.inputs.reasons).toEqual(['node-2 disk pressure 93%']);
    p.sims.provisioner?.setKnobs({ amber_every: 0 });
    await tickUntil(p, 'Environment_Green', () => p.state().environment.phase === 'READY');
    const deprovisions = await records(p, 'Environment_Deprovision');
    expect(deprovisions.map((d) => d.proposal.inputs.reason)).toContain('amber health: node-2 disk pressure 93%');
  });

  it('capacity churn: the lane backs off, and BACKBEAT pressure stretches the backoff ×2', async () => {
    const p = await project({ provisioner: { capacity: 0 } }, (s) => s.backbeat?.setKnobs({ amplitude_bp: 10_000 }));
    await tickUntil(p, 'a refused allocation', () => laneLast(p, 'environment').includes('no_capacity'));
    const lane = p.runtime.health().lanes.environment;
    expect(lane.last).toBe('error: provisioner: HTTP 409 no_capacity: no nodes free (knob capacity)');
    expect(p.runtime.health().amplitude_bp).toBe(10_000);
    // 500 ms for the first failure, ×2 at full amplitude.
    const wait_ms = lane.not_before_ms - Date.now();
    expect(wait_ms).toBeGreaterThan(500); // more than the unscaled 500 ms can explain
    expect(wait_ms).toBeLessThanOrEqual(1000);
    expect(p.state().environment.phase).toBe('ALLOCATE');
  });

  it('SHHH: a breach planted in a source lands in QUARANTINED with the policy guard reasons; Policy_Update re-evaluates', async () => {
    const p = await project({ slurp: { breach: { 'git://demo/specs': 'secret' } } });
    await tickUntil(p, 'QUARANTINED', () => p.state().policy.quarantined);
    expect(p.state().policy.rationale).toEqual(['secret at git://demo/specs#L4: credential material (denied by policy v1)']);
    const [schema] = await records(p, 'Ingestion_SchemaOk');
    expect(schema?.guard_outcomes.find((g) => g.guard === 'policy')).toEqual({
      guard: 'policy',
      ok: false,
      reasons: p.state().policy.rationale,
    });
    expect(p.state().ingestion.phase).toBe('VALIDATE');
    // Quarantine is sticky: the runtime's other lanes hold, and the orchestrator says why.
    const r = await p.agent.propose('Ingestion_CorpusBuilt', { content_hash: `sha256-${'0'.repeat(64)}`, version: 'r1' });
    expect(!r.ok && r.code).toBe('quarantined');

    // SHHH publishes policy v2 (secrets allowed, e.g. a test corpus); an operator applies it.
    p.sims.shhh?.setKnobs({ version: 2, deny: ['pii', 'license:gpl'] });
    const policy = await p.runtime.shhh.policy();
    if (!policy.ok) throw new Error(policy.reason);
    const upd = await p.op.propose('Policy_Update', { policy: policy.body as unknown as JsonObject });
    expect(upd.ok).toBe(true);
    expect(p.state().policy).toMatchObject({ quarantined: false, version: 2, deny: ['pii', 'license:gpl'] });
    // Re-validation under v2 passes and ingestion continues.
    await tickUntil(p, 'ingestion READY', () => p.state().ingestion.phase === 'READY');
    const schemas = await records(p, 'Ingestion_SchemaOk');
    expect(schemas.at(-1)?.guard_outcomes.find((g) => g.guard === 'policy')).toEqual({
      guard: 'policy',
      ok: true,
      reasons: ['1 findings, none denied by policy v2'],
    });
  });

  // Once a bug: a compensation counted as a success for the lane (no backoff) and the
  // install 500 was cancelled in the breaker by the next allocate 200, so a permanently
  // failing install looped ALLOCATE → PROVISION → Deprovision on every tick.
  it('a permanently failing install backs off instead of looping every tick', async () => {
    const p = await project({ provisioner: { fail_install: true } });
    await tickUntil(p, 'Environment_Deprovision', async () => (await records(p, 'Environment_Deprovision')).length > 0);
    const lane = p.runtime.health().lanes.environment;
    expect(lane.last).toMatch(/^Environment_Deprovision → \d+$/);
    expect(lane.compensations).toBe(1);
    expect(lane.not_before_ms - Date.now()).toBeGreaterThan(300); // 500 ms after the first compensation
    const before = (await records(p, 'Environment_Deprovision')).length;
    const until = Date.now() + 1500;
    while (Date.now() < until) {
      await p.runtime.tick();
      await sleep(25);
    }
    // With the lane's own backoff (500 ms, then 1 s) at most 2 more are proposed in 1.5 s;
    // without it, one per 3 ticks (~20).
    const more = (await records(p, 'Environment_Deprovision')).length - before;
    expect(more).toBeGreaterThanOrEqual(1);
    expect(more).toBeLessThanOrEqual(2);
    expect(p.runtime.health().lanes.environment.compensations).toBe(1 + more);
    // A green environment ends the streak.
    p.sims.provisioner?.setKnobs({ fail_install: false });
    await tickUntil(p, 'Environment_Green', () => p.state().environment.phase === 'READY', 10_000);
    expect(p.runtime.health().lanes.environment.compensations).toBe(0);
  });

  // Once a bug: nothing in the runtime read SHHH's policy version, so a new policy
  // published by SHHH was never proposed; only a human could apply it.
  it('the runtime proposes Policy_Update when SHHH publishes a newer policy version, and the quarantine lifts', async () => {
    const p = await project({ slurp: { breach: { 'git://demo/specs': 'secret' } } });
    await tickUntil(p, 'QUARANTINED', () => p.state().policy.quarantined);
    expect(await records(p, 'Policy_Update')).toEqual([]); // v1 is what state has: nothing to propose
    p.sims.shhh?.setKnobs({ version: 2, deny: ['pii', 'license:gpl'] });
    await tickUntil(p, 'Policy_Update by the runtime', () => p.state().policy.version === 2, 3000);
    expect(p.state().policy).toMatchObject({ quarantined: false, version: 2, deny: ['pii', 'license:gpl'] });
    const [upd] = (await records(p, 'Policy_Update')) as Array<WalRecord & { signer: string }>;
    expect(upd?.proposal.inputs.policy).toEqual({ version: 2, deny: ['pii', 'license:gpl'] });
    expect(demo_cast.operators.map((o) => o.signer)).toContain(upd?.signer); // the operator bot
    expect(laneLast(p, 'policy')).toMatch(/^Policy_Update → \d+$/);
    await tickUntil(p, 'ingestion READY', () => p.state().ingestion.phase === 'READY');
    // An older or equal version is never proposed (the guard would refuse it anyway).
    p.sims.shhh?.setKnobs({ version: 1 });
    for (let i = 0; i < 5; i += 1) await p.runtime.tick();
    expect(await records(p, 'Policy_Update')).toHaveLength(1);
  });

  it('a SHHH outage does not hold back an automatic release; the policy lane names the outage first', async () => {
    const p = await project({ slurp: { breach: { 'git://demo/specs': 'secret' } } }, undefined, 1500);
    await tickUntil(p, 'QUARANTINED', () => p.state().policy.quarantined);
    p.sims.shhh?.setKnobs({ down: true });
    await tickUntil(p, 'a failed policy read', () => laneLast(p, 'policy').startsWith('error: '));
    expect(laneLast(p, 'policy')).toBe('error: shhh: HTTP 503 unavailable: shhh-sim is down (knob)');
    expect(p.state().policy.quarantined).toBe(true);
    await tickUntil(p, 'Quarantine_Release', () => !p.state().policy.quarantined);
    const [release] = await records(p, 'Quarantine_Release');
    expect(release?.proposal.inputs.justification).toBe(
      'automatic release after 2 s (demo operator bot): secret at git://demo/specs#L4: credential material (denied by policy v1)',
    );
  });

  // Once a bug: FactClient built `new CircuitBreaker(clock)` with the default scale (1), so
  // no breaker cooldown stretched with BACKBEAT pressure.
  it('every provider breaker cooldown and the KACHING retry stretch with BACKBEAT amplitude', async () => {
    const clock = new ManualClock(T0);
    const [kaching, backbeat, mcp] = await Promise.all([
      up(kachingSim(cast.kaching, clock)),
      up(backbeatSim({ amplitude_bp: 10_000 })),
      up(mcpRegistrySim(cast.mcp, clock, PINS)),
    ]);
    const dead = 'http://127.0.0.1:9';
    const runtime = new AgentRuntime({
      swoosh: dead,
      clock,
      agent: cast.agents[0] as (typeof cast.agents)[0],
      operators: [],
      services: {
        kaching: kaching.url,
        backbeat: backbeat.url,
        mcp: mcp.url,
        council: [dead, dead],
        slurp: dead,
        shhh: dead,
        provisioner: dead,
      },
      auto_approve: false,
      auto_release_after_ms: null,
      watch_quorum: false,
    });
    await runtime.license.fetch('demo');
    await runtime.backbeat.refresh();
    expect(runtime.backbeat.scale()).toBe(2);
    kaching.setKnobs({ down: true });
    backbeat.setKnobs({ down: true }); // a failed read keeps amplitude 10000
    mcp.setKnobs({ down: true });
    const clients = runtime.clients();
    expect(clients.map((c) => c.service)).toEqual([
      'kaching',
      'backbeat',
      'mcp-registry',
      'shhh',
      'slurp',
      'provisioner',
      'council-1',
      'council-2',
    ]);
    for (const c of clients) for (let i = 0; i < 3; i += 1) await c.get('/v1/anything');
    for (const c of clients) expect(c.breaker.snapshot().state).toBe('open');
    clock.advance(2000); // the unscaled cooldown: every breaker still holds
    for (const c of clients) expect(failure(await c.get('/v1/anything')).kind).toBe('breaker_open');
    clock.advance(2000); // 2000 × 2: each lets one probe through
    for (const c of clients) expect(failure(await c.get('/v1/anything')).kind).not.toBe('breaker_open');
    // KACHING's retry after a failed fetch: 1 s × 2.
    await runtime.license.fetch('demo');
    expect(runtime.license.refreshDue(clock.now_ms() + 1999)).toBe(false);
    expect(runtime.license.refreshDue(clock.now_ms() + 2000)).toBe(true);
    // The health view shows the same amplitude the breakers use.
    expect(runtime.health().amplitude_bp).toBe(10_000);
  });
});
