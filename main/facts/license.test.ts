// The KACHING licence gate end to end: real simulators on loopback, a real orchestrator
// (startServer, temporary database) and the agent runtime stepped by hand.
//
//  - denial at boot keeps the project in LICENSE_CHECK and no other provider calls out;
//  - a token that expires goes to GRACE (License_Refresh, control.mode DEGRADED), then past
//    grace to EXPIRED, where every outbound call of every other provider stops (counted at
//    the simulators) and the orchestrator refuses all but licence transitions;
//  - a new token recovers the project.
//
// Time is real: the reducer judges licences by the proposal's HLC and the server refuses
// HLCs ahead of its clock, so the test uses short token lifetimes (kaching knobs) and waits.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SwooshClient } from '../../client/client';
import { H } from '../../core/hash';
import type { State } from '../../core/state';
import type { JsonObject, LicenseToken } from '../../core/types';
import { openServer as startServer, type Running } from '../app/server';
import { demoCast, demoGenesis } from '../demo';
import { systemClock } from '../host';
import type { BaseKnobs, SimServer } from '../sim/base';
import { startDemo, type Demo, type DemoKnobs } from '../sim/demo';

const cast = demoCast();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

interface Project {
  running: Running;
  demo: Demo;
  sims: Record<string, SimServer<BaseKnobs>>;
  state(): State;
  op: SwooshClient;
  agent: SwooshClient;
  stop(): Promise<void>;
}

const open: Project[] = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()?.stop();
});

/** A whole project whose runtime is stepped by hand (its timer is stopped at once). */
async function project(knobs: DemoKnobs = {}): Promise<Project> {
  const dir = mkdtempSync(join(tmpdir(), 'swoosh-license-'));
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
  demo = await startDemo({ swoosh: running.url, cast, genesis, clock: systemClock, knobs, tick_ms: 60_000 });
  demo.runtime.stop();
  const api = new SwooshClient({ url: running.url });
  const p: Project = {
    running,
    demo,
    sims: demo.sims,
    state: () => running.host.head.state,
    op: api.withSigner(cast.operators[0] as (typeof cast.operators)[0]),
    agent: api.withSigner(cast.agents[0] as (typeof cast.agents)[0]),
    stop: async () => {
      await demo?.stop();
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
  open.push(p);
  return p;
}

function summary(p: Project): string {
  const s = p.state();
  return `boot=${s.boot.phase} control=${s.control.mode} ingestion=${s.ingestion.phase} lanes=${JSON.stringify(p.demo.runtime.health().lanes)}`;
}

async function tickUntil(p: Project, what: string, done: () => boolean, timeout_ms = 8000): Promise<void> {
  const deadline = Date.now() + timeout_ms;
  for (;;) {
    await p.demo.runtime.tick();
    if (done()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${summary(p)}`);
    await sleep(25);
  }
}

/** Ticks for a while (to prove that something does NOT happen). */
async function tickFor(p: Project, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    await p.demo.runtime.tick();
    await sleep(25);
  }
}

/** Requests served by every simulator except KACHING. */
function othersServed(p: Project): Record<string, number> {
  return Object.fromEntries(
    Object.entries(p.sims)
      .filter(([n]) => n !== 'kaching')
      .map(([n, s]) => [n, s.stats().requests]),
  );
}

const zeroes = (p: Project) => Object.fromEntries(Object.keys(othersServed(p)).map((n) => [n, 0]));

/** The part of GET /health these tests read. */
type HealthBody = {
  providers: { license: { status: string; why: string }; blocked_calls: number; lanes: Record<string, { last: string | null }> };
};

async function health(p: Project): Promise<HealthBody> {
  const res = await fetch(`${p.running.url}/health`);
  return (await res.json()) as never;
}

interface WalRecord {
  index: number;
  transition: string;
  guard_outcomes: Array<{ guard: string; ok: boolean; reasons: string[] }>;
}

/** The newest WAL record of `transition`, read through GET /wal like an operator would. */
async function lastRecord(p: Project, transition: string): Promise<WalRecord> {
  const page = await p.op.wal(1, 1000);
  const found = (page.records as unknown as WalRecord[]).filter((r) => r.transition === transition).pop();
  if (!found) throw new Error(`no ${transition} in the WAL`);
  return found;
}

describe('licence gate (KACHING)', () => {
  it('denial at boot: the project stays in LICENSE_CHECK and no other provider makes a request', async () => {
    const p = await project({ kaching: { deny: true } });
    await tickUntil(p, 'Boot_ConfigOk', () => p.state().boot.phase === 'LICENSE_CHECK');
    await tickFor(p, 1200);

    expect(p.state().boot.phase).toBe('LICENSE_CHECK');
    expect(p.running.host.head.index).toBe(1); // Boot_ConfigOk only
    expect(p.sims.kaching?.stats().by_path['/v1/license']).toBeGreaterThanOrEqual(1);
    expect(othersServed(p)).toEqual(zeroes(p));

    // What an operator sees: why nothing moves, in the runtime's health and in GET /health.
    const h = p.demo.runtime.health();
    expect(h.license.status).toBe('none');
    expect(h.license.why).toBe('no licence yet (kaching: HTTP 403 license_denied: no licence for demo (knob deny))');
    expect(h.lanes.license.last).toContain('license_denied');
    expect(h.blocked_calls).toBeGreaterThan(0); // BACKBEAT pressure reads refused by the gate
    expect(h.outbound_calls).toBe(p.demo.runtime.license.client.calls);
    const served = await health(p);
    expect(served.providers.license.why).toContain('license_denied');

    // A new token (KACHING grants again) boots the project, and the other providers start.
    p.sims.kaching?.setKnobs({ deny: false });
    await tickUntil(p, 'Boot_Licensed', () => p.state().boot.phase === 'LICENSED');
    await tickUntil(p, 'ingestion to start', () => (p.sims.slurp?.stats().requests ?? 0) > 0);
    expect(p.sims.backbeat?.stats().requests).toBeGreaterThan(0);
  });

  it('a token already past its expiry cannot boot; the rejection says why', async () => {
    // Issued 2 s ago for 1 s: in grace. The runtime does not propose it (boot needs valid).
    const p = await project({ kaching: { lifetime_ms: 1000, grace_ms: 60_000, backdate_ms: 2000 } });
    await tickUntil(p, 'a token in hand', () => p.demo.runtime.license.token !== null);
    await tickFor(p, 300);
    expect(p.state().boot.phase).toBe('LICENSE_CHECK');
    expect(p.demo.runtime.license.status()).toBe('grace');

    // Proposed by hand anyway, the licence guard refuses it with the instants involved.
    const token = p.demo.runtime.license.token as LicenseToken;
    const r = await p.agent.propose('Boot_Licensed', { token: token as unknown as JsonObject });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe('guard_failed');
    expect(r.guard).toBe('license');
    expect(r.reasons?.[0]).toBe(
      `boot needs a valid licence: licence expired at ${token.expires_ms}; in grace until ${token.expires_ms + token.grace_ms}`,
    );
  });

  it('expiry → grace (DEGRADED) → past grace (every provider blocked) → recovery on a new token', async () => {
    const p = await project({ kaching: { lifetime_ms: 1500, grace_ms: 1500 } });
    await tickUntil(p, 'Boot_Licensed', () => p.state().boot.phase === 'LICENSED');
    expect(p.state().boot.license).not.toBeNull();
    // KACHING stops renewing: the runtime keeps the token it has and watches it age.
    p.sims.kaching?.setKnobs({ deny: true });
    const t1 = p.demo.runtime.license.token as LicenseToken;
    const t1Hash = H(t1);

    // 1. Expired within grace: License_Refresh moves the project to GRACE, control DEGRADED.
    await tickUntil(p, 'GRACE', () => p.state().boot.phase === 'GRACE', 4000);
    expect(p.state().control.mode).toBe('DEGRADED');
    expect(p.state().boot.license?.token_hash).toBe(t1Hash);
    const refresh = await lastRecord(p, 'License_Refresh');
    const license = refresh.guard_outcomes.find((g) => g.guard === 'license');
    expect(license?.ok).toBe(true);
    expect(license?.reasons[0]).toBe(`licence expired at ${t1.expires_ms}; in grace until ${t1.expires_ms + t1.grace_ms}`);
    // In grace the providers still work (the project is degraded, not stopped).
    expect(p.demo.runtime.license.open()).toBe(true);
    expect((await health(p)).providers.license.status).toBe('grace');

    // 2. Past grace: EXPIRED, and from now on no provider but KACHING calls out.
    await tickUntil(p, 'EXPIRED', () => p.state().boot.phase === 'EXPIRED', 4000);
    expect(p.state().control.mode).toBe('DEGRADED');
    for (const sim of Object.values(p.sims)) sim.resetStats();
    const blockedBefore = p.demo.runtime.health().blocked_calls;
    await tickFor(p, 1200);
    expect(othersServed(p)).toEqual(zeroes(p));
    expect(p.sims.kaching?.stats().by_path['/v1/license']).toBeGreaterThanOrEqual(1); // still asking for a licence
    expect(p.demo.runtime.health().blocked_calls).toBeGreaterThan(blockedBefore);
    expect(p.demo.runtime.license.why()).toMatch(/^licence expired \(expires_ms \d+, grace_ms 1500\)$/);
    // The orchestrator agrees: anything but a licence transition is refused, with the reason.
    const pause = await p.op.propose('Control_Pause', { reason: 'operator check' });
    expect(pause.ok).toBe(false);
    if (!pause.ok) {
      expect(pause.code).toBe('guard_failed');
      expect(pause.guard).toBe('license');
      expect(pause.reasons).toEqual(['licence expired past grace; only License_Refresh is accepted']);
    }

    // 3. KACHING grants a new token: License_Refresh → LICENSED, DEGRADED lifted, providers resume.
    p.sims.kaching?.setKnobs({ deny: false });
    await tickUntil(p, 'LICENSED again', () => p.state().boot.phase === 'LICENSED', 4000);
    expect(p.state().control.mode).toBeNull();
    expect(p.state().boot.license?.token_hash).not.toBe(t1Hash);
    await tickUntil(p, 'providers to resume', () => (p.sims.backbeat?.stats().requests ?? 0) > 0, 2000);
    expect(p.demo.runtime.license.open()).toBe(true);
  });
});
