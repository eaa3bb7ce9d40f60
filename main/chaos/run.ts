// One chaos run: a seeded workload through a real `swoosh serve` process, with R replicas
// tailing its WAL, faults drawn from the seed, and every answer, hash and record checked.
//
//   generator ──(faulty network)──▶ model (in process) ──▶ expected answer
//                                        │ same proposals, same order
//                                        ▼
//                                  writer process ◀── kill -9 / restart / snapshot rollback
//                                        │ GET /wal
//                                        ▼
//                                  R replicas (processes or in process)
//
// Checked while running: every answer equals the model's (status, code, index, state
// hash); HEAD equals the model's every K requests and after every restart (a restart
// lands on the model's history, short of at most the one request in flight); recovery
// starts from the snapshot the rollback left. Checked at the end: replicas' hashes at
// every K and at the end; the WAL replayed in process (hashes, invariants, windows);
// decision records; the Jepsen-style set check; the snapshots on file. The first
// divergence from the model stops the run (everything after it would only repeat it).
//
// What reproduces from the seed: the proposals, the network faults, the kill points and
// rollbacks, hence every answer and state hash. What does not: whether a request in flight
// at a kill was committed before the process died (it is re-sent after the restart, so the
// outcome is the same either way), and timings.

import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { H } from '../../core/hash';
import type { Spec } from '../../core/spec';
import { makeCast, makeGenesis } from '../../core/fixtures/cast';
import { mulberry32, type Prng } from '../../core/workload/rng';
import type { DecisionRecord, Genesis } from '../../core/types';
import { NodeVerifier } from '../engine/verifier';
import { loadMachine } from '../machine';
import { JsonClient, sleep, type JsonAnswer } from '../replica/http';
import { startReplica, type ReplicaHandle, type ReplicaMode } from '../replica/replicas';
import { writeGenesis } from '../testing/proc';
import { openDatabase } from '../store/native';
import { auditWal, decisionProblem, readWal, setCheck, type Ack } from './checks';
import { ChaosDriver, type Delivery } from './driver';
import { formatFaults, parseFaults, planFaults, type FaultPlan } from './faults';
import { CHAOS_EPOCH_MS, fastCast, ModelHost, type Answer } from './model';
import { auditSnapshots, expectedRecovery, rollbackSnapshots, type RollbackKind } from './rollback';
import { freePort, WriterProcess } from './writer';

export interface ChaosOptions {
  seed: number;
  /** Proposals generated (with `transitions`, only an upper bound). */
  steps: number;
  replicas: number;
  /** Keep going until this many transitions are accepted (the 10k acceptance run). */
  transitions?: number | null;
  /** `--faults` text; default `all`. */
  faults?: string;
  replica_mode?: ReplicaMode;
  /** K: compare HEAD with the model every K requests; replicas report every K records. */
  check_every?: number;
  durability?: 'FULL' | 'NORMAL';
  /** Parent of the run's working directory (default the OS temp dir). */
  workdir?: string;
  /** Keep the working directory even when the run passes. */
  keep?: boolean;
  spec?: Spec;
  onProgress?: (p: ChaosProgress) => void;
  /**
   * Self-test of the checks: `lose-last-record` kills the writer halfway and deletes its
   * newest WAL record (an acknowledged transition) before the restart, as a storage bug
   * would. The run must then fail (durability, lost = [that idem key], replicas diverge).
   */
  sabotage?: 'lose-last-record' | null;
}

export interface ChaosProgress {
  seed: number;
  step: number;
  steps: number;
  accepted: number;
  kills: number;
  violations: number;
}

export interface ChaosViolation {
  /** Which check failed: model, invariant, writer-invariant, replica, recovery, replay, window, decision, durability, snapshot, harness. */
  check: string;
  /** The generated proposal (step) that exposed it, when there is one. */
  step: number | null;
  index: number | null;
  detail: string;
}

export interface ChaosSummary {
  seed: number;
  steps: number;
  transitions_target: number | null;
  replicas: number;
  replica_mode: ReplicaMode;
  faults: string;
  /** Requests sent to the writer (generated − dropped + re-sent). */
  sends: number;
  /** WAL records at the end (accepted transitions). */
  accepted: number;
  /** Distinct idem keys answered 202 (or 200 after an answer was lost). */
  acknowledged: number;
  /** 200 duplicate answers. */
  duplicate_answers: number;
  rejected: Record<string, number>;
  net: { dropped: number; reordered: number; duplicated: number };
  kills: number;
  kills_in_flight: number;
  startup_kills: number;
  restarts: number;
  in_doubt: number;
  in_doubt_committed: number;
  rollbacks: number;
  rollback_kinds: Record<RollbackKind, number>;
  replica_kills: number;
  checks: {
    model_answers: number;
    head_compares: number;
    replica_checkpoints: number;
    replayed: number;
    windows: number;
    decisions: number;
    snapshots: number;
  };
  violations: ChaosViolation[];
  first_failing_step: number | null;
  lost: string[];
  duplicated: string[];
  unexpected: string[];
  state_post_hash: string;
  model_hash: string;
  replica_hashes: string[];
  replicas_agree: boolean;
  plan: Omit<FaultPlan, 'enabled'>;
  duration_ms: number;
  /** Where the time went: start (writer + replicas), drive (the workload), end (catch-up, stop, audits). */
  timings_ms: { start: number; drive: number; end: number };
  ms_per_step: number;
  ok: boolean;
  rerun: string;
  /** Working directory, kept when the run failed (or with keep). */
  dir: string | null;
}

/** Faults on by default: everything. */
export const DEFAULT_FAULTS = 'all';
export const DEFAULT_CHECK_EVERY = 100;

export function rerunCommand(o: ChaosOptions, faults: string): string {
  const parts = ['npx swoosh chaos', `--seed ${o.seed}`, `--steps ${o.steps}`, `--replicas ${o.replicas}`];
  if (o.transitions) parts.push(`--transitions ${o.transitions}`);
  parts.push(`--faults ${faults}`);
  if ((o.replica_mode ?? 'process') !== 'process') parts.push(`--replica-mode ${o.replica_mode}`);
  if ((o.check_every ?? DEFAULT_CHECK_EVERY) !== DEFAULT_CHECK_EVERY) parts.push(`--check-every ${o.check_every}`);
  if ((o.durability ?? 'FULL') !== 'FULL') parts.push(`--durability ${o.durability}`);
  if (o.sabotage) parts.push(`--sabotage ${o.sabotage}`);
  parts.push('--json');
  return parts.join(' ');
}

interface HeadView {
  hash: string;
  index: number;
}

class Run {
  readonly spec: Spec;
  readonly enabled: ReadonlySet<string>;
  readonly plan: FaultPlan;
  readonly K: number;
  readonly genesis: Genesis;
  readonly model: ModelHost;
  readonly driver: ChaosDriver;
  readonly client = new JsonClient(8);
  /** Writer kills and rollbacks. */
  readonly prng: Prng;
  /** Replica kills: a PRNG of their own, so the number of replicas never changes what the writer goes through. */
  readonly rprng: Prng;
  readonly dir: string;
  readonly db: string;
  writer!: WriterProcess;
  replicas: ReplicaHandle[] = [];
  readonly violations: ChaosViolation[] = [];
  aborted = false;
  readonly acks = new Map<string, Ack>();
  readonly sent = new Set<string>();
  readonly rejectedKeys = new Set<string>();
  readonly rejected: Record<string, number> = {};
  readonly damaged = new Set<number>();
  nextKill = Number.POSITIVE_INFINITY;
  nextReplicaKill = Number.POSITIVE_INFINITY;
  s = {
    duplicate_answers: 0,
    kills: 0,
    kills_in_flight: 0,
    startup_kills: 0,
    restarts: 0,
    in_doubt: 0,
    in_doubt_committed: 0,
    rollbacks: 0,
    replica_kills: 0,
    model_answers: 0,
    head_compares: 0,
  };
  rollback_kinds: Record<RollbackKind, number> = { delete: 0, corrupt: 0, forge: 0 };

  constructor(readonly o: ChaosOptions) {
    this.spec = o.spec ?? loadMachine();
    this.enabled = parseFaults(o.faults ?? DEFAULT_FAULTS);
    this.plan = planFaults(o.seed, this.enabled);
    this.K = o.check_every ?? DEFAULT_CHECK_EVERY;
    const cast = fastCast(makeCast());
    const verifier = new NodeVerifier();
    this.genesis = makeGenesis(cast, { epoch_ms: CHAOS_EPOCH_MS, project: 'chaos' });
    this.model = new ModelHost(this.spec, this.genesis, verifier);
    // A run aiming at a number of transitions never confirms a block (that would end the project).
    const exclude = o.transitions ? ['confirm_block'] : [];
    this.driver = new ChaosDriver(
      this.spec,
      o.seed,
      { cast, verifier, epoch_ms: CHAOS_EPOCH_MS, project: 'chaos' },
      this.model,
      this.plan,
      exclude,
    );
    if (H(this.driver.genesis) !== H(this.genesis)) throw new Error('driver and model disagree on the genesis');
    this.driver.limit = o.steps;
    this.prng = mulberry32((o.seed ^ 0x6b696c6c) >>> 0);
    this.rprng = mulberry32((o.seed ^ 0x7265706c) >>> 0);
    const parent = o.workdir ?? tmpdir();
    mkdirSync(parent, { recursive: true });
    this.dir = mkdtempSync(join(parent, `swoosh-chaos-${o.seed}-`));
    this.db = join(this.dir, 'writer.db');
  }

  violation(check: string, step: number | null, index: number | null, detail: string): void {
    if (this.violations.length < 1000) this.violations.push({ check, step, index, detail });
  }

  private gap(every: number, rng: Prng = this.prng): number {
    return 1 + rng.int(Math.max(1, 2 * every));
  }

  async start(): Promise<void> {
    const genesis_path = writeGenesis(this.dir, this.genesis);
    const port = await freePort();
    this.writer = new WriterProcess({
      db: this.db,
      genesis_path,
      port,
      snapshot_every: this.plan.snapshot_every,
      durability: this.o.durability ?? 'FULL',
    });
    await this.writer.start();
    const mode = this.o.replica_mode ?? 'process';
    this.replicas = await Promise.all(
      Array.from({ length: this.o.replicas }, (_, i) =>
        startReplica({
          id: `r${i + 1}`,
          mode,
          url: this.writer.url,
          genesis: this.genesis,
          genesis_path,
          db: join(this.dir, `replica-${i + 1}.db`),
          checkpoint_every: this.K,
        }),
      ),
    );
    if (this.plan.kill_every > 0) this.nextKill = this.gap(this.plan.kill_every);
    if (this.plan.replica_kill_every > 0 && this.replicas.length > 0)
      this.nextReplicaKill = this.gap(this.plan.replica_kill_every, this.rprng);
  }

  done(): boolean {
    if (this.aborted || this.driver.full) return true;
    const target = this.o.transitions;
    return target !== null && target !== undefined && this.model.index >= target;
  }

  /** Generates and sends until the steps (or transitions) are done. */
  async drive(): Promise<void> {
    const bound = Math.max(1, this.o.steps) * 8;
    let lastReport = 0;
    for (let attempts = 0; !this.done() && attempts < bound; attempts += 1) {
      this.driver.act();
      await this.sendAll(this.driver.drain());
      const step = this.driver.entries.length;
      if (this.o.onProgress && step - lastReport >= 250) {
        lastReport = step;
        this.o.onProgress({
          seed: this.o.seed,
          step,
          steps: this.o.steps,
          accepted: this.model.index,
          kills: this.s.kills,
          violations: this.violations.length,
        });
      }
    }
    if (!this.aborted) {
      this.driver.flush();
      await this.sendAll(this.driver.drain());
    }
  }

  private async sendAll(batch: Delivery[]): Promise<void> {
    for (const d of batch) {
      if (this.aborted) return;
      await this.send(d);
      if (!this.aborted && d.seq % this.K === 0) await this.compareHead(d.step, `after request ${d.seq}`, d.after_index);
    }
  }

  private sabotaged = false;

  private async send(d: Delivery): Promise<void> {
    if (d.idem_key !== null) this.sent.add(d.idem_key);
    if (this.o.sabotage === 'lose-last-record' && !this.sabotaged && d.seq >= Math.floor(this.o.steps / 2) && this.model.index > 0) {
      this.sabotaged = true;
      await this.writer.kill9();
      const db = openDatabase(this.db);
      try {
        db.prepare('DELETE FROM wal WHERE idx = (SELECT MAX(idx) FROM wal)').run();
      } finally {
        db.close();
      }
      await this.bringBack(d, false, 'kill', d.before_index);
      if (this.aborted) return;
    }
    if (d.seq >= this.nextReplicaKill) {
      this.nextReplicaKill = d.seq + this.gap(this.plan.replica_kill_every, this.rprng);
      const r = this.rprng.pick(this.replicas);
      await r.crashAndRestart();
      this.s.replica_kills += 1;
    }
    let answer: JsonAnswer | null;
    if (d.seq >= this.nextKill) {
      this.nextKill = d.seq + this.gap(this.plan.kill_every);
      if (this.plan.kill9 && this.prng.chance(this.plan.kill_inflight_pct)) {
        // Kill with this request in flight: before, during or after its commit.
        const pending = this.post(d.proposal);
        await sleep(this.prng.int(4));
        await this.writer.kill9();
        this.s.kills_in_flight += 1;
        answer = await pending;
        await this.bringBack(d, answer === null, 'kill', d.after_index);
      } else {
        // Killed between two requests: it must come back exactly where the model was before this one.
        await this.writer[this.plan.kill9 ? 'kill9' : 'stop']();
        await this.bringBack(d, false, this.plan.kill9 ? 'kill' : 'stop', d.before_index);
        answer = await this.post(d.proposal);
      }
    } else {
      answer = await this.post(d.proposal);
    }
    let inDoubt = false;
    for (let tries = 0; answer === null && tries < 20 && !this.aborted; tries += 1) {
      // The answer was lost (kill in flight, or the writer died by itself): re-send the very same bytes.
      inDoubt = true;
      if (tries === 0) this.s.in_doubt += 1;
      if (!this.writer.running) {
        for (const c of this.writer.crashes.splice(0)) this.violation('writer-crash', d.step, null, c);
        await this.bringBack(d, true, 'crash', d.after_index);
      }
      answer = await this.post(d.proposal);
      if (answer === null) await sleep(50);
    }
    if (answer === null) {
      this.violation('harness', d.step, null, `no answer for ${d.label} (seq ${d.seq}) after 20 re-sends`);
      this.aborted = true;
      return;
    }
    if (inDoubt && answer.status === 200) this.s.in_doubt_committed += 1;
    this.compare(d, answer, inDoubt);
  }

  private async post(proposal: unknown): Promise<JsonAnswer | null> {
    try {
      return await this.client.post(`${this.writer.url}/transition`, proposal, 30_000);
    } catch {
      return null;
    }
  }

  /**
   * The writer is down: maybe take snapshots away, maybe crash it again during recovery,
   * then start it and check where it came back (`inFlight`: the delivery's answer was lost).
   */
  private async bringBack(d: Delivery, inFlight: boolean, cause: 'kill' | 'stop' | 'crash', m: number): Promise<void> {
    if (cause === 'kill') this.s.kills += 1;
    this.s.restarts += 1;
    if (this.plan.rollback_pct > 0 && this.prng.chance(this.plan.rollback_pct)) {
      const action = rollbackSnapshots(this.db, this.prng, this.damaged);
      if (action) {
        this.s.rollbacks += 1;
        this.rollback_kinds[action.kind] += 1;
      }
    }
    const expected = expectedRecovery(this.db, this.damaged);
    if (this.plan.kill9 && this.prng.chance(this.plan.startup_kill_pct)) {
      await this.writer.startAndKill(this.prng.int(900));
      this.s.startup_kills += 1;
    }
    try {
      await this.writer.start();
    } catch (err) {
      // A writer that refuses to start on its own file has found damage (e.g. the newest
      // records gone: the committed-head row no longer matches); that is a failed run with
      // the reason, and the audits below still read the file.
      this.violation('durability', d.step, null, `the writer refused to restart: ${(err as Error).message.slice(0, 400)}`);
      this.aborted = true;
      return;
    }
    this.client.reset();
    const health = await this.client.getOk<{
      index: number;
      hash: string;
      recovery: { snapshot_index: number | null; skipped_snapshots: Array<{ index: number; problem: string }> };
    }>(`${this.writer.url}/health`);
    const skipped = health.recovery.skipped_snapshots.map((s) => s.index).sort((a, b) => a - b);
    const want = [...expected.skipped].sort((a, b) => a - b);
    if (health.recovery.snapshot_index !== expected.snapshot || canon(skipped) !== canon(want)) {
      this.violation(
        'recovery',
        d.step,
        health.index,
        `recovered from snapshot ${String(health.recovery.snapshot_index)} skipping [${skipped.join(', ')}]; the snapshots on file call for ${String(expected.snapshot)} skipping [${want.join(', ')}]`,
      );
    }
    // A restart lands on the model's history: all of it, or all but the request in flight.
    const lowest = inFlight && d.after_index > d.before_index ? d.before_index : m;
    if (health.index < lowest || health.index > m || health.hash !== this.model.hashes[health.index]) {
      this.violation(
        'durability',
        d.step,
        health.index,
        `restart came back at ${health.index} (${health.hash}); the model is at ${m}${lowest < m ? ` (or ${lowest}, with the request in flight lost)` : ''}`,
      );
      this.aborted = true;
    }
  }

  private compare(d: Delivery, got: JsonAnswer, inDoubt: boolean): void {
    this.s.model_answers += 1;
    const e: Answer = d.expected;
    const body = got.body as { index?: number; state_post_hash?: string; duplicate?: boolean; error?: { code?: string; guard?: string } };
    let ok: boolean;
    if ('code' in e) {
      ok = got.status === e.status && body.error?.code === e.code && (e.guard === undefined || body.error?.guard === e.guard);
    } else {
      const statusOk =
        e.status === 202
          ? got.status === 202 || (inDoubt && got.status === 200 && body.duplicate === true)
          : got.status === 200 && body.duplicate === true;
      ok = statusOk && body.index === e.index && body.state_post_hash === e.state_post_hash;
    }
    if (got.status === 202 || got.status === 200) {
      if (got.status === 200) this.s.duplicate_answers += 1;
      if (d.idem_key !== null && typeof body.index === 'number' && typeof body.state_post_hash === 'string') {
        const prior = this.acks.get(d.idem_key);
        if (prior && (prior.index !== body.index || prior.state_post_hash !== body.state_post_hash)) {
          this.violation('durability', d.step, body.index, `${d.idem_key} acknowledged at ${prior.index} and again at ${body.index}`);
        }
        if (!prior) this.acks.set(d.idem_key, { index: body.index, state_post_hash: body.state_post_hash });
      }
    } else {
      const code = body.error?.code ?? `http_${got.status}`;
      this.rejected[code] = (this.rejected[code] ?? 0) + 1;
      if (d.idem_key !== null && got.status < 500) this.rejectedKeys.add(d.idem_key);
    }
    if (!ok) {
      const want =
        'code' in e ? `${e.status} ${e.code}${e.guard ? ` (${e.guard})` : ''}` : `${e.status} at ${e.index} ${e.state_post_hash}`;
      const was = body.error
        ? `${got.status} ${body.error.code}${body.error.guard ? ` (${body.error.guard})` : ''}`
        : `${got.status} at ${String(body.index)} ${String(body.state_post_hash)}`;
      this.violation(
        'model',
        d.step,
        typeof body.index === 'number' ? body.index : null,
        `${d.label} (${d.via}, request ${d.seq}${inDoubt ? ', re-sent after a lost answer' : ''}): the writer answered ${was}; the model says ${want}`,
      );
      this.aborted = true;
    }
  }

  /** The writer's HEAD must be the model's after `index` (the model may have judged later requests of the batch already). */
  async compareHead(step: number | null, why: string, index: number): Promise<HeadView | null> {
    let head: HeadView;
    try {
      head = await this.client.getOk<HeadView>(`${this.writer.url}/state?projection=control`);
    } catch (err) {
      this.violation('harness', step, null, `GET /state (${why}) failed: ${(err as Error).message}`);
      return null;
    }
    this.s.head_compares += 1;
    if (head.index !== index || head.hash !== this.model.hashes[index]) {
      this.violation(
        'model',
        step,
        head.index,
        `${why}: the writer's HEAD is ${head.index} ${head.hash}; the model's ${index} ${String(this.model.hashes[index])}`,
      );
      this.aborted = true;
    }
    return head;
  }

  /** GET /decisions/N for every record, a few at a time. */
  async fetchDecisions(n: number): Promise<Array<DecisionRecord | null>> {
    const out: Array<DecisionRecord | null> = new Array(n + 1).fill(null);
    let next = 1;
    const worker = async (): Promise<void> => {
      while (next <= n) {
        const i = next;
        next += 1;
        try {
          const a = await this.client.get<DecisionRecord>(`${this.writer.url}/decisions/${i}`);
          out[i] = a.status === 200 ? a.body : null;
        } catch {
          out[i] = null;
        }
      }
    };
    await Promise.all(Array.from({ length: 6 }, worker));
    return out;
  }
}

function canon(xs: number[]): string {
  return xs.join(',');
}

/** Runs one seed end to end and returns its summary; never throws for a failing system (that is a violation). */
export async function runChaos(o: ChaosOptions): Promise<ChaosSummary> {
  const started = performance.now();
  const run = new Run(o);
  const faults = formatFaults(run.enabled);
  let writerHash = '';
  let replicaHashes: string[] = [];
  let replayed = 0;
  let windows = 0;
  let decisionsChecked = 0;
  let snapshotsChecked = 0;
  let replicaCheckpoints = 0;
  let lost: string[] = [];
  let duplicated: string[] = [];
  let unexpected: string[] = [];
  let accepted = 0;
  const t: number[] = [performance.now()];
  try {
    await run.start();
    t.push(performance.now());
    await run.drive();
    t.push(performance.now());
    // After a divergence the model is ahead of the writer by construction: only the audits below still say something.
    const aborted = run.aborted;
    const final = aborted ? null : await run.compareHead(null, 'end of run', run.model.index);
    const target = run.model.index;
    // Replicas: caught up, and every checkpoint equal to the model's hash at that index.
    if (!aborted) {
      const settled = await Promise.allSettled(run.replicas.map((r) => r.waitFor(target, 120_000)));
      settled.forEach((s, i) => {
        if (s.status === 'rejected') run.violation('replica', null, run.replicas[i]!.index, (s.reason as Error).message);
      });
    }
    for (const r of run.replicas) {
      if (r.problem) run.violation('replica', null, r.problem.index, `replica ${r.id}: ${r.problem.problem}`);
      for (const [i, h] of r.checkpoints) {
        replicaCheckpoints += 1;
        if (h !== run.model.hashes[i])
          run.violation('replica', null, i, `replica ${r.id} has ${h} at ${i}; the model ${String(run.model.hashes[i])}`);
      }
    }
    const decisions = await run.fetchDecisions(target);
    writerHash =
      final?.hash ??
      (await run.client.getOk<HeadView>(`${run.writer.url}/state?projection=control`).then(
        (h) => h.hash,
        () => '',
      ));
    const exit = await run.writer.stop();
    if (exit.code !== 0)
      run.violation(
        'harness',
        null,
        null,
        `the writer did not stop cleanly (${exit.code ?? exit.signal}): ${run.writer.stderr.trim().slice(0, 500)}`,
      );
    for (const c of run.writer.crashes) run.violation('writer-crash', null, null, c);
    for (const l of run.writer.logged)
      for (const v of l.violations) run.violation('writer-invariant', null, l.index, `${v.invariant}: ${v.detail}`);
    for (const v of run.model.violations) run.violation('invariant', v.step, v.index, `${v.invariant}: ${v.detail}`);

    // The WAL from the file: replay, invariants, windows, decisions, durability, snapshots.
    const rows = readWal(run.db);
    accepted = rows.length;
    const audit = auditWal(rows, run.genesis, run.spec, run.model.hashes);
    replayed = audit.replayed;
    windows = audit.windows_checked;
    if (audit.corrupt)
      run.violation('replay', null, audit.corrupt.index, `WAL record ${audit.corrupt.index} is corrupt: ${audit.corrupt.problem}`);
    for (const f of audit.model_mismatch.slice(0, 20)) run.violation('replay', null, f.index, f.problem);
    for (const v of audit.invariants) run.violation('invariant', null, v.index, `${v.invariant}: ${v.detail} (WAL replay)`);
    for (const f of audit.windows) run.violation('window', null, f.index, f.problem);
    for (const r of audit.records) {
      decisionsChecked += 1;
      const p = decisionProblem(decisions[r.index] ?? null, r, run.genesis.project);
      if (p !== null) run.violation('decision', null, r.index, p);
    }
    const set = setCheck(rows, run.acks, run.sent, run.rejectedKeys);
    lost = set.lost;
    duplicated = set.duplicated;
    unexpected = set.unexpected;
    for (const l of set.lost_detail) run.violation('durability', null, null, `lost acknowledged proposal ${l}`);
    for (const k of set.duplicated) run.violation('durability', null, null, `idem key ${k} is in the WAL more than once`);
    for (const k of set.unexpected)
      run.violation('durability', null, null, `idem key ${k} is in the WAL but was never sent or only ever rejected`);
    for (const k of set.unacknowledged)
      run.violation('durability', null, null, `idem key ${k} is in the WAL but no answer ever acknowledged it`);
    const snaps = auditSnapshots(run.db, run.model.hashes, run.damaged);
    snapshotsChecked = snaps.checked;
    for (const p of snaps.problems) run.violation('snapshot', null, null, p);

    // Replicas stop; their files hold the same last record.
    const stopped = await Promise.all(run.replicas.map((r) => r.stop()));
    replicaHashes = stopped.map((s) => s.hash);
    for (let i = 0; i < run.replicas.length; i += 1) {
      const last = lastRecordHash(join(run.dir, `replica-${i + 1}.db`));
      if (last !== null && last.index === stopped[i]!.index && last.state_post_hash !== stopped[i]!.hash) {
        run.violation(
          'replica',
          null,
          last.index,
          `replica r${i + 1}'s file ends on ${last.state_post_hash}, its HEAD is ${stopped[i]!.hash}`,
        );
      }
    }
  } catch (err) {
    run.violation('harness', null, null, `${(err as Error).message}`);
  } finally {
    await run.writer?.kill9().catch(() => {});
    await Promise.all(run.replicas.map((r) => r.stop().catch(() => ({ index: 0, hash: '' }))));
    run.client.close();
  }
  const modelHash = run.model.head.hash;
  const replicas_agree =
    replicaHashes.length === run.replicas.length && replicaHashes.every((h) => h === modelHash) && writerHash === modelHash;
  if (!replicas_agree && !run.violations.some((v) => v.check === 'replica' || v.check === 'model' || v.check === 'harness')) {
    run.violation(
      'replica',
      null,
      run.model.index,
      `final hashes differ: writer ${writerHash}, model ${modelHash}, replicas [${replicaHashes.join(', ')}]`,
    );
  }
  const steps = run.driver.entries.length;
  const stepsWithFailure = run.violations.map((v) => v.step).filter((s): s is number => s !== null);
  const ok = run.violations.length === 0;
  const duration_ms = Math.round(performance.now() - started);
  const at = (i: number): number => t[Math.min(i, t.length - 1)] as number;
  const timings_ms = { start: Math.round(at(1) - at(0)), drive: Math.round(at(2) - at(1)), end: Math.round(performance.now() - at(2)) };
  const { enabled: _enabled, ...plan } = run.plan;
  const summary: ChaosSummary = {
    seed: o.seed,
    steps,
    transitions_target: o.transitions ?? null,
    replicas: run.replicas.length,
    replica_mode: o.replica_mode ?? 'process',
    faults,
    sends: run.driver.sends,
    accepted,
    acknowledged: run.acks.size,
    duplicate_answers: run.s.duplicate_answers,
    rejected: sortKeys(run.rejected),
    net: { dropped: run.driver.counts.dropped, reordered: run.driver.counts.reordered, duplicated: run.driver.counts.duplicated },
    kills: run.s.kills,
    kills_in_flight: run.s.kills_in_flight,
    startup_kills: run.s.startup_kills,
    restarts: run.s.restarts,
    in_doubt: run.s.in_doubt,
    in_doubt_committed: run.s.in_doubt_committed,
    rollbacks: run.s.rollbacks,
    rollback_kinds: run.rollback_kinds,
    replica_kills: run.s.replica_kills,
    checks: {
      model_answers: run.s.model_answers,
      head_compares: run.s.head_compares,
      replica_checkpoints: replicaCheckpoints,
      replayed,
      windows,
      decisions: decisionsChecked,
      snapshots: snapshotsChecked,
    },
    violations: run.violations,
    first_failing_step: stepsWithFailure.length > 0 ? Math.min(...stepsWithFailure) : null,
    lost,
    duplicated,
    unexpected,
    state_post_hash: writerHash,
    model_hash: modelHash,
    replica_hashes: replicaHashes,
    replicas_agree,
    plan,
    duration_ms,
    timings_ms,
    ms_per_step: steps > 0 ? Math.round((duration_ms / steps) * 100) / 100 : 0,
    ok,
    rerun: rerunCommand(o, faults),
    dir: ok && !o.keep ? null : run.dir,
  };
  if (ok && !o.keep) rmSync(run.dir, { recursive: true, force: true });
  return summary;
}

function sortKeys(o: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.keys(o)
      .sort()
      .map((k) => [k, o[k] as number]),
  );
}

function lastRecordHash(path: string): { index: number; state_post_hash: string } | null {
  try {
    const db = openDatabase(path, { readonly: true });
    try {
      const row = db.prepare('SELECT idx, state_post_hash FROM wal ORDER BY idx DESC LIMIT 1').get() as
        | { idx: number; state_post_hash: string }
        | undefined;
      return row ? { index: row.idx, state_post_hash: row.state_post_hash } : null;
    } finally {
      db.close();
    }
  } catch {
    return null;
  }
}
