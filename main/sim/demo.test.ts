// The live demo project end to end: every CHORUS service simulated on loopback, the agent
// runtime on its own timer driving a real orchestrator over HTTP, a 2 s beat.
//
//  - it reaches EXECUTION and completes at least two REVERB loops (window-gated, approved,
//    submitted, next window), with the state document not growing from loop to loop;
//  - a simulated runtime breach (SHHH alert) lands in QUARANTINED with its rationale, the
//    execution stops there, and an operator's release lets it loop again;
//  - `swoosh serve --sim` (the real command, in a child process) runs the same project and
//    reports its providers' breakers and licence in GET /health.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwooshClient } from '../../client/client';
import { canonicalize } from '../../core/canonical';
import { openServer as startServer, type Running } from '../app/server';
import { demoCast, demoGenesis } from '../demo';
import { systemClock } from '../host';
import { PACKAGE_DIR, SWOOSH_BIN } from '../testing/proc';
import { until as untilPolled } from '../testing/until';
import { startDemo, type Demo } from './demo';

const PERIOD_MS = 2000;
const cast = demoCast();
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls every 50 ms: the demo's beat is fast, and loops are counted as they pass. */
const until = (what: string, check: () => boolean | Promise<boolean>, timeout_ms: number, detail?: () => string) =>
  untilPolled(what, check, timeout_ms, detail, 50);

interface WalRecord {
  index: number;
  transition: string;
  signer: string;
  window_id: string | null;
  hlc: string;
  proposal: { inputs: Record<string, unknown> };
  guard_outcomes: Array<{ guard: string; ok: boolean; reasons: string[] }>;
}

describe('demo project (startDemo, 2 s beat)', () => {
  let dir: string;
  let running: Running;
  let demo: Demo;
  let op: SwooshClient;

  const state = () => running.host.head.state;
  const detail = () => {
    const s = state();
    return `(boot=${s.boot.phase} ingestion=${s.ingestion.phase} council=${s.council.phase} environment=${s.environment.phase} execution=${s.execution.phase} loop=${s.execution.loop} quarantined=${s.policy.quarantined}; lanes ${JSON.stringify(demo.runtime.health().lanes)})`;
  };
  const wal = async (): Promise<WalRecord[]> => (await op.wal(1, 1000)).records as unknown as WalRecord[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'swoosh-demo-'));
    const genesis = demoGenesis({ period_ms: PERIOD_MS, epoch_ms: Date.now() - 10_000 });
    running = await startServer({ db: join(dir, 'demo.db'), genesis, host: '127.0.0.1', port: 0, durability: 'NORMAL', quiet: true });
    demo = await startDemo({ swoosh: running.url, cast, genesis, clock: systemClock, tick_ms: 100 });
    op = new SwooshClient({ url: running.url }).withSigner(cast.operators[0] as (typeof cast.operators)[0]);
  });

  afterAll(async () => {
    await demo?.stop();
    await running?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reaches EXECUTION and completes at least two REVERB loops', async () => {
    await until('EXECUTION', () => state().execution.phase !== null, 10_000, detail);
    await until('two REVERB loops', () => state().execution.loop >= 2, 4 * PERIOD_MS + 4000, detail);
    const size_at_2 = canonicalize(state()).length;

    const records = await wal();
    const names = records.map((r) => r.transition);
    // The lifecycle, every region, in the WAL.
    for (const t of [
      'Boot_ConfigOk',
      'Boot_Licensed',
      'Ingestion_SourcesResolved',
      'Ingestion_BytesOk',
      'Ingestion_SchemaOk',
      'Ingestion_CorpusBuilt',
      'Council_ProfilesLoaded',
      'Council_QuorumCert',
      'Council_McpGreen',
      'Environment_CapacityOk',
      'Environment_Installed',
      'Environment_Green',
      'Execution_AllReady',
    ]) {
      expect(names, t).toContain(t);
    }
    // Each loop: plan, work, review gate, approvals, threshold, submit, next window — in the windows.
    const loops = records.filter((r) => r.transition === 'Execution_NextWindow');
    expect(loops.length).toBeGreaterThanOrEqual(2);
    const first = names.indexOf('Execution_AllReady');
    const loopShape = names.slice(first + 1, names.indexOf('Execution_NextWindow') + 1);
    expect(loopShape).toEqual([
      'Execution_PlanLocked',
      'Execution_BeatReviewGate',
      'Execution_Approve',
      'Execution_Approve',
      'Execution_ApprovalsThreshold',
      'Execution_Submit',
      'Execution_NextWindow',
    ]);
    for (const r of records.filter((x) => /BeatReviewGate|Approve|ApprovalsThreshold|Submit|NextWindow/.test(x.transition))) {
      expect(r.window_id, `${r.transition} @${r.index}`).toMatch(/^backbeat:W-\d+$/);
    }
    const approvers = new Set(records.filter((r) => r.transition === 'Execution_Approve').map((r) => r.signer));
    expect(approvers).toEqual(new Set(cast.operators.map((o) => o.signer)));

    // Bounded: one more loop does not grow the state document (only counters and hashes move).
    const loop = state().execution.loop;
    await until('a third loop', () => state().execution.loop > loop, 2 * PERIOD_MS + 2000, detail);
    expect(Math.abs(canonicalize(state()).length - size_at_2)).toBeLessThan(64);
    const h = demo.runtime.health();
    expect(Object.values(h.breakers).every((b) => b.state === 'closed')).toBe(true);
    expect(h.license.status).toBe('valid');
  });

  it('a simulated breach (SHHH runtime alert) lands in QUARANTINED with its rationale; a release resumes the loop', async () => {
    const shhh = demo.sims.shhh;
    if (!shhh) throw new Error('no shhh simulator');
    await until('EXECUTION', () => state().execution.phase !== null, 10_000, detail);
    // Set at run time over HTTP, as an operator would.
    const set = await fetch(`${shhh.url}/_knobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ alert_every_ms: 500 }),
    });
    expect(set.status).toBe(200);
    await until('QUARANTINED', () => state().policy.quarantined, 5000, detail);
    await fetch(`${shhh.url}/_knobs`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ alert_every_ms: 0 }),
    });

    const s = state();
    expect(s.policy.rationale).toHaveLength(1);
    expect(s.policy.rationale[0]).toMatch(/^runtime scan \d+: credential material in an execution artifact$/);
    expect(s.policy.findings).toEqual([expect.objectContaining({ kind: 'secret', detail: 'credential material' })]);
    const violation = (await wal()).filter((r) => r.transition === 'Policy_Violation').pop();
    expect(violation?.proposal.inputs.rationale).toBe(s.policy.rationale[0]);
    const dr = (await op.decision(violation?.index ?? 0)) as unknown as { transition: string };
    expect(dr.transition).toBe('Policy_Violation');

    // Sticky: nothing moves while quarantined (the runtime holds; no auto-release configured).
    const held = running.host.head.index;
    const loop = s.execution.loop;
    await sleep(PERIOD_MS);
    expect(running.host.head.index).toBe(held);
    expect(state().policy.quarantined).toBe(true);

    // The operator at the console releases it, with a justification; the loop resumes.
    const r = await op.propose('Quarantine_Release', { justification: 'alert traced to a test fixture; rotated anyway' });
    expect(r.ok).toBe(true);
    expect(state().policy.quarantined).toBe(false);
    await until('the loop to resume', () => state().execution.loop > loop, 2 * PERIOD_MS + 3000, detail);
  });
});

describe('swoosh serve --sim (the real command)', () => {
  it('runs the demo project and shows its providers in GET /health; SIGTERM stops it cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'swoosh-serve-sim-'));
    const child = spawn(process.execPath, [SWOOSH_BIN, 'serve', '--sim', '--db', join(dir, 'demo.db'), '--port', '0'], {
      cwd: PACKAGE_DIR,
      env: { ...process.env, SWOOSH_LOG_LEVEL: 'error', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      let out = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
      child.stderr.resume();
      await until(
        'the serving line',
        () => /serving .+ on (http:\/\/\S+)/.test(out),
        30_000,
        () => out,
      );
      const url = (/serving .+ on (http:\/\/\S+)/.exec(out) as RegExpExecArray)[1] as string;
      // Every simulator's URL and knobs URL: one line each, then the same as one JSON line.
      const names = ['kaching', 'mcp', 'backbeat', 'slurp', 'shhh', 'provisioner', 'council-1', 'council-2', 'council-3'];
      for (const n of names)
        expect(out).toMatch(new RegExp(`^swoosh: simulator ${n} (http://127\\.0\\.0\\.1:\\d+) knobs \\1/_knobs$`, 'm'));
      const line = out.split('\n').find((l) => l.startsWith('{"event":"simulators"')) as string;
      const sims = (JSON.parse(line) as { simulators: Record<string, { url: string; knobs: string; stats: string }> }).simulators;
      expect(Object.keys(sims)).toEqual(names);
      expect(sims.shhh?.knobs).toBe(`${sims.shhh?.url}/_knobs`);
      const client = new SwooshClient({ url });
      await until('ingestion to run', async () => (await client.state()).state.ingestion.phase !== 'DISCOVER', 15_000);
      // The printed knobs URL works at run time: BACKBEAT pressure shows in /health.
      const set = await fetch(sims.backbeat?.knobs as string, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ amplitude_bp: 4000 }),
      });
      expect(set.status).toBe(200);
      await until(
        'the amplitude in /health',
        async () =>
          ((await (await fetch(`${url}/health`)).json()) as { providers: { amplitude_bp: number } }).providers.amplitude_bp === 4000,
        10_000,
      );
      expect((await (await fetch(sims.backbeat?.stats as string)).json()) as { requests: number }).toMatchObject({
        requests: expect.any(Number),
      });
      const health = (await (await fetch(`${url}/health`)).json()) as {
        status: string;
        simulators: Record<string, { url: string }>;
        providers: { license: { status: string }; breakers: Record<string, { state: string }> };
      };
      expect(health.status).toBe('ok');
      expect(health.simulators.kaching?.url).toBe(sims.kaching?.url);
      expect(health.providers.license.status).toBe('valid');
      expect(Object.keys(health.providers.breakers)).toEqual(
        expect.arrayContaining(['kaching', 'backbeat', 'mcp-registry', 'shhh', 'slurp', 'provisioner', 'council-1']),
      );
      expect(Object.values(health.providers.breakers).map((b) => b.state)).not.toContain('open');
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
