// The chaos suite (docs/chaos.md). Pure parts first (fault parsing, the model and the
// driver, each check against doctored input), then a short sweep against the real
// `swoosh serve`: SWOOSH_CHAOS_SEEDS seeds (default 5) × SWOOSH_CHAOS_STEPS proposals
// (default 2,000), 3 replicas each, every fault on. Each seed must end with no violation,
// nothing acknowledged lost, and writer, model and replicas on one state hash. Then the
// same seed run twice (process replicas through the CLI, in-process replicas through the
// API) must end on the same hash, and a sabotaged run must fail.
//
// `npm run chaos:long` is the long acceptance (10k transitions + 100 seeds).

import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { canonicalize } from '../../core/canonical';
import { decisionRecord } from '../../core/decision';
import { H } from '../../core/hash';
import { makeCast, makeGenesis } from '../../core/testing/kit';
import type { WalRecord } from '../../core/types';
import { NodeVerifier } from '../engine/verifier';
import { loadMachine } from '../machine';
import { PACKAGE_DIR, SWOOSH_BIN } from '../testing/proc';
import { decisionProblem, setCheck, windowProblem, type WalRow } from './checks';
import { ChaosDriver } from './driver';
import { FAULT_NAMES, formatFaults, parseFaults, planFaults } from './faults';
import { CHAOS_EPOCH_MS, fastCast, ModelHost } from './model';
import { runChaos, type ChaosSummary } from './run';

const spec = loadMachine();
const SEEDS = Number(process.env.SWOOSH_CHAOS_SEEDS ?? 5);
const STEPS = Number(process.env.SWOOSH_CHAOS_STEPS ?? 2000);
const FIRST_SEED = Number(process.env.SWOOSH_CHAOS_FIRST_SEED ?? 1);
const CHAOS_MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));

/** Drives the workload through the model only (no processes): deliveries and the model's WAL. */
function pureRun(seed: number, steps: number, faults = 'all'): { driver: ChaosDriver; model: ModelHost; trace: string } {
  const cast = fastCast(makeCast());
  const verifier = new NodeVerifier();
  const genesis = makeGenesis(cast, { epoch_ms: CHAOS_EPOCH_MS, project: 'chaos' });
  const model = new ModelHost(spec, genesis, verifier);
  const driver = new ChaosDriver(
    spec,
    seed,
    { cast, verifier, epoch_ms: CHAOS_EPOCH_MS, project: 'chaos' },
    model,
    planFaults(seed, parseFaults(faults)),
  );
  driver.limit = steps;
  const parts: string[] = [];
  for (let n = 0; !driver.full && n < steps * 8; n += 1) {
    driver.act();
    for (const d of driver.drain()) parts.push(`${d.seq}:${d.via}:${canonicalize(d.expected)}:${H(d.proposal ?? null)}`);
  }
  driver.flush();
  for (const d of driver.drain()) parts.push(`${d.seq}:${d.via}:${canonicalize(d.expected)}`);
  return { driver, model, trace: H(parts) };
}

describe('chaos: faults, model and checks (no processes)', () => {
  it('parses fault lists, prints them back, and draws rates from the seed', () => {
    expect(parseFaults('all').size).toBe(FAULT_NAMES.length);
    expect(parseFaults('none').size).toBe(0);
    expect([...parseFaults('net,-net-drop')].sort()).toEqual(['net-dup', 'net-reorder']);
    expect(() => parseFaults('kill,teleport')).toThrow(/unknown fault "teleport"/);
    for (const text of ['all', 'none', 'all,-kill', 'net,kill,breach'])
      expect(parseFaults(formatFaults(parseFaults(text)))).toEqual(parseFaults(text));
    const a = planFaults(42, parseFaults('all'));
    expect(planFaults(42, parseFaults('all'))).toEqual(a);
    for (const p of [a.net_dup_pct, a.net_reorder_pct, a.net_drop_pct]) expect(p >= 1 && p <= 10).toBe(true);
    expect(planFaults(42, parseFaults('stream')).kill_every).toBe(0);
  });

  it('signs with node:crypto exactly as noble does', () => {
    const slow = makeCast();
    const fast = fastCast(slow);
    const msg = new TextEncoder().encode('SWOOSH-PROPOSAL-V1\n{"a":1}');
    for (const [s, f] of [
      [slow.operators[0]!, fast.operators[0]!],
      [slow.kaching, fast.kaching],
      [slow.council[2]!, fast.council[2]!],
    ] as const) {
      expect(f.sign(msg)).toBe(s.sign(msg));
    }
  });

  it('is deterministic for a seed, and the model finds no invariant violation over 8 seeds', () => {
    const one = pureRun(7, 400);
    expect(pureRun(7, 400).trace).toBe(one.trace);
    expect(pureRun(8, 400).trace).not.toBe(one.trace);
    for (let seed = 1; seed <= 8; seed += 1) {
      const { model, driver } = pureRun(seed, 600);
      expect(model.violations, `seed ${seed}`).toEqual([]);
      expect(driver.counts.generated).toBe(600);
      expect(model.index).toBeGreaterThan(200);
    }
  });

  it('window check: a gated record outside its window, with the wrong window_id or no outcome is caught', () => {
    const { model, driver } = pureRun(3, 800);
    const gated = driver.wal.map((b, i) => ({ b, i })).filter(({ b }) => spec.transitions[b.transition]?.window != null);
    expect(gated.length).toBeGreaterThan(0);
    const { b, i } = gated[0]!;
    const prev = driver.heads.find((h) => h.hash === b.state_pre_hash)!.state;
    const r = { ...b, index: i + 1, prev_record_hash: '', accepted_at_ms: 0, record_hash: '' } as WalRecord;
    expect(windowProblem(prev, r, spec)).toBeNull();
    expect(windowProblem(prev, { ...r, window_id: 'backbeat:W-1' }, spec)).toMatch(/is not the window of its hlc/);
    expect(windowProblem(prev, { ...r, guard_outcomes: r.guard_outcomes.filter((g) => g.guard !== 'window') }, spec)).toMatch(
      /no passing window/,
    );
    // Same beat, 1 ms into it: every window closed.
    const wall = Date.parse(r.hlc.slice(0, 23) + 'Z');
    const beatStart = wall - ((wall - CHAOS_EPOCH_MS) % 60_000);
    const early = new Date(beatStart + 1).toISOString().replace('Z', '+00:00');
    expect(windowProblem(prev, { ...r, hlc: `${early}#0` }, spec)).toMatch(/window closed|closed/);
    const ungated = driver.wal.find((x) => spec.transitions[x.transition]?.window == null)!;
    expect(windowProblem(prev, { ...(ungated as WalRecord), window_id: 'backbeat:W-3' }, spec)).toMatch(/not time-gated/);
    expect(model.violations).toEqual([]);
  });

  it('decision check: fields, guards and a UCXL link that parses back to the record', () => {
    const { driver } = pureRun(4, 200);
    const body = driver.wal[5]!;
    const r = { ...body, index: 6, prev_record_hash: '', accepted_at_ms: 0, record_hash: '' } as WalRecord;
    const dr = decisionRecord(6, r, 'chaos');
    expect(decisionProblem(dr, r, 'chaos')).toBeNull();
    expect(decisionProblem(null, r, 'chaos')).toMatch(/no decision record/);
    expect(decisionProblem({ ...dr, ucxl: 'ucxl://swoosh:orchestrator@chaos:X/wal/6' }, r, 'chaos')).toMatch(/does not parse/);
    expect(decisionProblem({ ...dr, ucxl: dr.ucxl.replace('/wal/6', '/wal/7') }, r, 'chaos')).toMatch(/does not name/);
    expect(decisionProblem({ ...dr, state_post_hash: dr.state_pre_hash }, r, 'chaos')).toMatch(/state_post_hash/);
    expect(decisionProblem({ ...dr, guards: [] }, r, 'chaos')).toMatch(/guards differ/);
    expect(decisionProblem({ ...dr, justification: ' ' }, r, 'chaos')).toMatch(/justification/);
  });

  it('set check: lost, duplicated, unexpected and unacknowledged', () => {
    const row = (index: number, key: string, hash = `h${index}`): WalRow => ({
      index,
      idem_key: key,
      record_hash: '',
      body: JSON.stringify({ state_post_hash: hash }),
    });
    const rows = [row(1, 'a'), row(2, 'b'), row(3, 'c'), row(4, 'b'), row(5, 'z'), row(6, 'r'), row(7, 'q')];
    const acks = new Map([
      ['a', { index: 1, state_post_hash: 'h1' }],
      ['b', { index: 2, state_post_hash: 'h2' }],
      ['c', { index: 3, state_post_hash: 'hX' }],
      ['gone', { index: 9, state_post_hash: 'h9' }],
    ]);
    const out = setCheck(rows, acks, new Set(['a', 'b', 'c', 'gone', 'r', 'q']), new Set(['r']));
    expect(out.lost.sort()).toEqual(['c', 'gone']);
    expect(out.duplicated).toEqual(['b']);
    expect(out.unexpected.sort()).toEqual(['r', 'z']);
    expect(out.unacknowledged).toEqual(['q']);
    const clean = setCheck(
      rows.slice(0, 2),
      new Map([
        ['a', { index: 1, state_post_hash: 'h1' }],
        ['b', { index: 2, state_post_hash: 'h2' }],
      ]),
      new Set(['a', 'b']),
      new Set(),
    );
    expect(clean).toMatchObject({ lost: [], duplicated: [], unexpected: [], unacknowledged: [] });
  });
});

function brief(s: ChaosSummary): Record<string, unknown> {
  return {
    seed: s.seed,
    steps: s.steps,
    sends: s.sends,
    accepted: s.accepted,
    kills: s.kills,
    in_flight: s.kills_in_flight,
    startup_kills: s.startup_kills,
    rollbacks: s.rollback_kinds,
    replica_kills: s.replica_kills,
    in_doubt: s.in_doubt,
    checkpoints: s.checks.replica_checkpoints,
    windows: s.checks.windows,
    seconds: Math.round(s.duration_ms / 100) / 10,
    violations: s.violations.length,
    lost: s.lost.length,
  };
}

function expectClean(s: ChaosSummary): void {
  expect(s.violations, `${s.rerun}\n${JSON.stringify(s.violations.slice(0, 5), null, 2)}`).toEqual([]);
  expect(s.lost).toEqual([]);
  expect(s.duplicated).toEqual([]);
  expect(s.unexpected).toEqual([]);
  expect(s.first_failing_step).toBeNull();
  expect(s.state_post_hash).toBe(s.model_hash);
  expect(s.replica_hashes).toEqual(Array.from({ length: s.replicas }, () => s.state_post_hash));
  expect(s.replicas_agree).toBe(true);
  expect(s.ok).toBe(true);
  expect(s.checks.model_answers).toBe(s.sends);
  expect(s.checks.replayed).toBe(s.accepted);
  expect(s.checks.decisions).toBe(s.accepted);
}

describe('chaos sweep against swoosh serve', () => {
  const results: ChaosSummary[] = [];
  for (let k = 0; k < SEEDS; k += 1) {
    const seed = FIRST_SEED + k;
    it(`seed ${seed}: ${STEPS} steps, 3 replicas, every fault — replicas agree, invariants hold, nothing acknowledged is lost`, async () => {
      const s = await runChaos({ seed, steps: STEPS, replicas: 3, replica_mode: 'inproc' });
      results.push(s);
      console.log(`chaos ${JSON.stringify(brief(s))}`);
      expectClean(s);
      expect(s.steps).toBe(STEPS);
      expect(s.accepted).toBeGreaterThan(STEPS / 3);
      expect(s.checks.replica_checkpoints).toBeGreaterThan(0);
    }, 300_000);
  }

  it('the sweep exercised kills (also in flight), rollbacks, windows and every network fault', () => {
    // Every seed above must have run (a failed seed fails here too, rather than passing empty).
    expect(results).toHaveLength(SEEDS);
    const sum = (f: (s: ChaosSummary) => number): number => results.reduce((n, s) => n + f(s), 0);
    expect(sum((s) => s.kills)).toBeGreaterThan(0);
    expect(sum((s) => s.kills_in_flight)).toBeGreaterThan(0);
    expect(sum((s) => s.rollbacks)).toBeGreaterThan(0);
    expect(sum((s) => s.checks.windows)).toBeGreaterThan(0);
    expect(sum((s) => s.net.dropped) * sum((s) => s.net.reordered) * sum((s) => s.net.duplicated)).toBeGreaterThan(0);
    expect(sum((s) => s.duplicate_answers)).toBeGreaterThan(0);
  });

  it('`swoosh chaos --json` (replica processes) and an in-process run of the same seed end on the same state', async () => {
    const viaCli = readFileSync(join(PACKAGE_DIR, 'main/cli.ts'), 'utf8').includes('commands/chaos');
    const args = ['--seed', '101', '--steps', '500', '--replicas', '2', '--json'];
    const argv = viaCli ? [SWOOSH_BIN, 'chaos', ...args] : ['--import', 'tsx', CHAOS_MAIN, ...args];
    const out = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const child = spawn(process.execPath, argv, { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.on('close', (code) => resolve({ code, stdout, stderr }));
    });
    expect(out.code, out.stderr + out.stdout.slice(-2000)).toBe(0);
    const lines = out.stdout.trim().split('\n');
    const cli = JSON.parse(lines[lines.length - 1]!) as ChaosSummary;
    expect(cli).toMatchObject({ seed: 101, steps: 500, replica_mode: 'process', violations: [], lost: [] });
    expect(cli.replica_hashes).toHaveLength(2);
    expect(typeof cli.accepted).toBe('number');
    expectClean(cli);
    expect(cli.rerun).toContain('--seed 101 --steps 500 --replicas 2');

    const api = await runChaos({ seed: 101, steps: 500, replicas: 0, replica_mode: 'inproc' });
    expectClean(api);
    // What reproduces from the seed: every answer, hence the state and the counts; replicas change none of it.
    for (const k of [
      'state_post_hash',
      'accepted',
      'acknowledged',
      'sends',
      'rejected',
      'net',
      'kills',
      'rollbacks',
      'rollback_kinds',
      'plan',
    ] as const) {
      expect(api[k], k).toEqual(cli[k]);
    }
  }, 300_000);

  it('a sabotaged run (an acknowledged record deleted while the writer is down) fails with the key in `lost`', async () => {
    const s = await runChaos({
      seed: 5,
      steps: 400,
      replicas: 1,
      replica_mode: 'inproc',
      faults: 'net,stream',
      sabotage: 'lose-last-record',
    });
    expect(s.ok).toBe(false);
    expect(s.lost).toHaveLength(1);
    // The restarted writer finds the hole itself (the committed head no longer matches) and refuses to start.
    expect(s.violations.some((v) => v.check === 'durability' && /refused to restart: .*newest records are missing/.test(v.detail))).toBe(
      true,
    );
    expect(s.first_failing_step).not.toBeNull();
    expect(s.rerun).toContain('--seed 5 --steps 400');
    expect(s.dir).not.toBeNull();
    rmSync(s.dir!, { recursive: true, force: true });
  }, 120_000);
});
