// The seeded workload driver: a HEAD, a clock cursor, a cast, a seeded PRNG and the record
// of everything submitted. It asks the planner (core/planner.ts) what the project calls
// for next and fills the inputs with generated data; the fault builders
// (core/workload/faults.ts) and the stream runners (core/workload/streams.ts) build on it.
//
// Generation and application are interleaved: a proposal must carry HEAD's hash to be
// accepted, so each one is planned against the state the pure reducer has reached at that
// point. Everything here is pure and deterministic: randomness is the injected seeded PRNG
// (mulberry32), time is a cursor the driver advances itself, keys are the fixtures'.
//
// Every submitted proposal carries what its author meant to happen (`expect`): accepted
// for happy steps, or the rejection code(s) a fault was built to provoke, adjusted for the
// order of checks (docs/protocol.md): TERMINATED / QUARANTINED answer before the late checks.

import { H } from '../hash';
import { nobleVerifier, type Signer, type Verifier } from '../crypto';
import type { Hlc } from '../hlc';
import { breaches } from '../guards/policy';
import { eligibleMembers, memberSetHash } from '../guards/quorum';
import { nextIntents, type NextIntent } from '../planner';
import { reduce, type Admission, type Head, type ReduceResult } from '../reduce';
import { initialState, type State } from '../state';
import type { Spec } from '../spec';
import type { Genesis, JsonObject, Proposal, RecordBody, RejectionCode, SignerId } from '../types';
import { beatPosition, checkWindow, type Schedule } from '../window';
import { makeCast, makeGenesis, type Cast, type CastOptions, type NamedKey } from '../fixtures/cast';
import { castVote, fakeHash, licenseToken, mcpReport, signProposal } from '../fixtures/documents';
import { windowIdAt } from '../fixtures/time';
import { mulberry32, type Prng } from './rng';

/** What the author of a proposal meant to happen. */
export type Expect = { accepted: true; branch?: string } | { accepted: false; codes: RejectionCode[]; guard?: string };

export interface StreamEntry {
  /** `happy` or the fault that produced the proposal. */
  label: string;
  /** As submitted; deliberately not always a valid Proposal (malformed faults). */
  proposal: unknown;
  result: ReduceResult;
  expect: Expect;
  /** Admission clock passed to reduce (null: none, as in replay). */
  now_ms: number | null;
}

/** A planned step: what to propose, by whom, and the wall time it must carry. */
export interface Intent {
  transition: string;
  inputs: JsonObject;
  by: NamedKey;
  /** Wall time (ms) of the proposal's HLC: the drafted time, or later when a window must open. */
  at: number;
  expect: Expect;
}

export interface StreamOptions extends CastOptions {
  /** Percentage of actions that are faults (0 = a purely happy stream). Default 35. */
  fault_pct?: number;
  /** Pass an admission clock to reduce (enables hlc_from_future faults). Default true. */
  admission?: boolean;
  /** Wall time of the first proposal; default one second after the BACKBEAT epoch. */
  start_ms?: number;
  verifier?: Verifier;
  cast?: Cast;
  /** Fault kinds (core/workload/faults.ts FAULT_KINDS) never drawn; strings here so the driver does not import the faults that build on it. */
  exclude?: readonly string[];
}

export interface StreamRun {
  seed: number;
  genesis: Genesis;
  cast: Cast;
  initial: Head;
  /** Everything submitted, in order (some deliberately malformed). */
  proposals: unknown[];
  results: ReduceResult[];
  /** heads[0] is state 0; heads[i + 1] is HEAD after proposals[i] was judged. */
  heads: Head[];
  entries: StreamEntry[];
  /** The WAL: bodies of accepted proposals, index i + 1 at position i. */
  wal: RecordBody[];
}

export const ACCEPT: Expect = { accepted: true };

/** Checks that come after the TERMINATED / QUARANTINED checks (docs/protocol.md, order of checks). */
const LATE_CODES: ReadonlySet<RejectionCode> = new Set([
  'stale_state_hash',
  'hlc_from_future',
  'hlc_regression',
  'invalid_from_state',
  'wrong_window',
  'guard_failed',
]);

// ---------------------------------------------------------------------------
// The driver: a HEAD, a clock cursor, a cast, and the record of what was submitted.

export class StreamDriver {
  readonly spec: Spec;
  readonly cast: Cast;
  readonly genesis: Genesis;
  readonly schedule: Schedule;
  readonly rng: Prng;
  readonly verifier: Verifier;
  readonly admission: boolean;
  readonly initial: Head;
  head: Head;
  readonly entries: StreamEntry[] = [];
  readonly heads: Head[];
  readonly wal: RecordBody[] = [];
  /** Accepted proposals, in order (the duplicate fault re-sends these). */
  readonly accepted: Proposal[] = [];
  /** Submissions allowed in total; further submit() calls are dropped. */
  limit = Number.MAX_SAFE_INTEGER;
  /**
   * Scripts only: when set, the lifecycle planner proposes the step of the region whose
   * transition names start with this prefix (e.g. `Council_`), if that region has one.
   */
  focus: string | null = null;
  private wall_ms: number;
  private counter = 0;
  private seq = 0;
  private issued_ms = 0;

  constructor(spec: Spec, seed: number, opts: StreamOptions = {}) {
    this.spec = spec;
    this.rng = mulberry32(seed);
    this.cast = opts.cast ?? makeCast(opts);
    this.genesis = makeGenesis(this.cast, opts);
    this.schedule = this.genesis.backbeat;
    this.verifier = opts.verifier ?? nobleVerifier;
    this.admission = opts.admission ?? true;
    const state = initialState(this.genesis, spec.hash);
    this.initial = { state, hash: H(state) };
    this.head = this.initial;
    this.heads = [this.initial];
    this.wall_ms = opts.start_ms ?? this.schedule.epoch_ms + 1000;
  }

  get state(): State {
    return this.head.state;
  }

  get now_ms(): number {
    return this.wall_ms;
  }

  get full(): boolean {
    return this.entries.length >= this.limit;
  }

  get agent(): NamedKey {
    return this.cast.agents[0] as NamedKey;
  }

  // ---- time --------------------------------------------------------------

  /** A tentative wall time for the next proposal (not committed). */
  draft(): number {
    return this.rng.chance(25) ? this.wall_ms : this.wall_ms + 1 + this.rng.int(25);
  }

  /** Commits the cursor to `at` (>= cursor) and returns the next HLC, strictly after every earlier one. */
  commit(at: number): Hlc {
    if (at > this.wall_ms) {
      this.wall_ms = at;
      this.counter = 0;
    } else {
      this.counter += 1;
    }
    return { wall_ms: this.wall_ms, counter: this.counter };
  }

  isOpen(wall_ms: number, classes: readonly string[]): boolean {
    return checkWindow(this.schedule, classes, wall_ms).open;
  }

  beat(wall_ms: number): number {
    return beatPosition(this.schedule, wall_ms).beat;
  }

  /** The first ms >= t (plus a little jitter) at which the `cls` window is open. */
  seek(t: number, cls: string): number {
    if (this.isOpen(t, [cls])) return t;
    const win = this.schedule.windows[cls];
    if (!win) throw new RangeError(`no ${cls} window in the schedule`);
    const period = this.schedule.period_ms;
    const from_ms = Math.ceil((win[0] * period) / 10000);
    const span_ms = Math.max(1, Math.min(200, Math.floor(((win[1] - win[0]) * period) / 10000) - 1));
    const { beat } = beatPosition(this.schedule, t);
    const start = (b: number): number => this.schedule.epoch_ms + b * period + from_ms + this.rng.int(span_ms);
    const here = start(beat);
    return here >= t ? here : start(beat + 1);
  }

  /** A wall time >= t at which none of `classes` is open, or null if they cover the whole beat. */
  closedAt(t: number, classes: readonly string[]): number | null {
    if (!this.isOpen(t, classes)) return t;
    const period = this.schedule.period_ms;
    const next = this.schedule.epoch_ms + (this.beat(t) + 1) * period;
    for (let bp = 0; bp < 10000; bp += 250) {
      const at = next + Math.floor((bp * period) / 10000) + this.rng.int(50);
      if (!this.isOpen(at, classes)) return at;
    }
    return null;
  }

  // ---- building and submitting ------------------------------------------

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  /** Signs the intent. `hlc` given: used as is and the cursor does not move. */
  build(i: Intent, o: { hlc?: Hlc; state_hash?: string; window_id?: string | null; by?: Signer; idem_key?: string } = {}): Proposal {
    const hlc = o.hlc ?? this.commit(i.at);
    const seq = this.nextSeq();
    const gated = (this.spec.transitions[i.transition]?.window ?? null) !== null;
    return signProposal({
      state_hash: o.state_hash ?? this.head.hash,
      transition: i.transition,
      inputs: i.inputs,
      by: o.by ?? i.by,
      hlc,
      idem_key: o.idem_key ?? `${this.genesis.project}:${i.transition}:${seq}`,
      window_id: o.window_id !== undefined ? o.window_id : gated ? windowIdAt(this.schedule, hlc.wall_ms) : null,
      evidence: [`ucxl://${i.by.name}:worker@${this.genesis.project}:${i.transition}/step/${seq}*^/`],
    });
  }

  /** Judges `proposal` against HEAD; HEAD moves on acceptance. Null once the limit is reached. */
  submit(label: string, proposal: unknown, expect: Expect, now_ms?: number): ReduceResult | null {
    if (this.full) return null;
    const admit: Admission | undefined = this.admission ? { now_ms: now_ms ?? this.wall_ms } : undefined;
    const result = reduce(this.head, proposal, { spec: this.spec, verifier: this.verifier }, admit);
    if (result.ok) {
      this.head = { state: result.state, hash: result.hash };
      this.wal.push(result.body);
      this.accepted.push(result.body.proposal);
    }
    this.entries.push({ label, proposal, result, expect, now_ms: admit ? admit.now_ms : null });
    this.heads.push(this.head);
    return result;
  }

  /** The expectation for a rejection, with TERMINATED / QUARANTINED answering first for late checks. */
  rejectAs(s: State, transition: string, codes: RejectionCode[], guard?: string): Expect {
    if (codes.every((c) => LATE_CODES.has(c))) {
      if (s.control.terminated) return { accepted: false, codes: ['terminated'] };
      const t = this.spec.transitions[transition];
      if (t && s.policy.quarantined && !t.when_quarantined) return { accepted: false, codes: ['quarantined'] };
    }
    return guard === undefined ? { accepted: false, codes } : { accepted: false, codes, guard };
  }

  // ---- facts --------------------------------------------------------------

  pickOperator(): NamedKey {
    return this.rng.pick(this.cast.operators);
  }

  /** A licence token valid at t (`valid`), in grace at t, or expired past grace at t. */
  licenseInputs(t: number, kind: 'valid' | 'grace' | 'expired', signer: Signer = this.cast.kaching): JsonObject {
    // Strictly increasing issue times: a refresh never presents a token older than (or as
    // old as) the one in force.
    const issued_ms = Math.max(t - 1000, this.issued_ms + 1);
    this.issued_ms = issued_ms;
    const shape =
      kind === 'valid'
        ? { expires_ms: issued_ms + 30 * 86_400_000, grace_ms: 86_400_000 }
        : kind === 'grace'
          ? { expires_ms: t - 500, grace_ms: 86_400_000 }
          : { expires_ms: t - 500, grace_ms: 100 };
    const token = licenseToken(signer, { licensee: this.genesis.project, issued_ms, ...shape });
    return { token: token as unknown as JsonObject };
  }

  mcpInputs(
    t: number,
    o: { observed_ms?: number; signer?: Signer; tools?: Array<{ name: string; version: string; reachable: boolean }> } = {},
  ): JsonObject {
    const tools = o.tools ?? Object.entries(this.genesis.mcp.pins).map(([name, version]) => ({ name, version, reachable: true }));
    const report = mcpReport(o.signer ?? this.cast.mcp, 'http://127.0.0.1:7431', o.observed_ms ?? t - 5, tools);
    return { report: report as unknown as JsonObject };
  }

  councilKey(signer: SignerId): NamedKey {
    const k = this.cast.council.find((c) => c.signer === signer);
    if (!k) throw new RangeError(`${signer} is not a council key of the cast`);
    return k;
  }

  /** Members = every eligible council signer; votes from a random quorum of them, at `epoch`. */
  quorumInputs(s: State, epoch = s.epoch.council): JsonObject {
    const members = [...eligibleMembers(s)].sort();
    const setHash = memberSetHash(members);
    const threshold = s.council.threshold;
    const n = threshold + this.rng.int(Math.max(1, members.length - threshold + 1));
    const voters = this.rng.shuffle(members).slice(0, Math.min(n, members.length));
    return {
      members,
      member_set_hash: setHash,
      votes: voters.map((v) => castVote(this.councilKey(v), setHash, epoch)) as unknown as JsonObject[],
    };
  }

  // ---- filling what the planner calls for -------------------------------------

  private I(transition: string, inputs: JsonObject, by: NamedKey, at: number, expect: Expect = ACCEPT): Intent {
    return { transition, inputs, by, at, expect };
  }

  /** What the planner calls for in state s (due intents only: the driver invents no outside facts). */
  private due(s: State, now_ms: number): NextIntent[] {
    return nextIntents(s, this.spec, { now_ms }).filter((i) => i.due);
  }

  /**
   * The next step a well-behaved cast would propose in state s, at or after wall time t:
   * the planner decides which; the driver picks the signer, the time and the inputs. The
   * order of PRNG draws is part of every seeded stream (vectors, chaos), so it must not
   * change: one operator drawn first, then whatever the chosen step draws.
   */
  plan(s: State, t: number): Intent {
    const op = this.pickOperator();
    const either = (): NamedKey => (this.rng.chance(50) ? this.agent : op);
    if (s.control.terminated) {
      return this.I('Control_Resume', { reason: 'knocking after the end' }, op, t, { accepted: false, codes: ['terminated'] });
    }
    const due = this.due(s, t);
    const first = due[0];
    if (!first) throw new RangeError(`the planner calls for nothing in ${JSON.stringify(s.boot.phase)} / ${String(s.execution.phase)}`);
    switch (first.transition) {
      case 'Boot_ConfigOk':
        return this.I(first.transition, first.given, op, t);
      case 'Boot_Licensed':
        return this.I(first.transition, this.licenseInputs(t, 'valid'), either(), t);
      case 'License_Refresh':
        return this.I(first.transition, this.licenseInputs(t, 'valid'), either(), t, { accepted: true, branch: 'valid' });
      case 'Quarantine_Release':
        return this.planQuarantine(s, t, op);
      case 'Control_Resume':
        return this.I(first.transition, { reason: 'back to work' }, op, t);
      case 'Control_Recover':
        return this.I(first.transition, { reason: 'council reachable again' }, op, t);
      default:
        return s.execution.phase !== null ? this.planExecution(s, t, first) : this.planLifecycle(s, due, t);
    }
  }

  /** Release (mostly), or a newer policy that no longer denies what was found. */
  private planQuarantine(s: State, t: number, op: NamedKey): Intent {
    if (this.rng.chance(70)) return this.I('Quarantine_Release', { justification: 'reviewed: false positive' }, op, t);
    const kinds = new Set(s.policy.findings.map((f) => f.kind));
    const policy = { version: s.policy.version + 1, deny: s.policy.deny.filter((k) => !kinds.has(k)) };
    // The reducer lifts only a quarantine whose findings breached the policy in force (a
    // breach of a kind the policy never denied has nothing to re-judge): core/effects.ts.
    const branch = breaches(s.policy.findings, s.policy.deny).length > 0 ? 'lift' : 'keep';
    return this.I('Policy_Update', { policy }, op, t, { accepted: true, branch });
  }

  /** One step of one PROJECT_LIFECYCLE region (the focused one if set), or into EXECUTION. */
  private planLifecycle(s: State, due: readonly NextIntent[], t: number): Intent {
    const options = due.filter((i) => i.region !== 'execution').map((i) => this.fillLifecycle(s, i, t));
    const focused = this.focus === null ? [] : options.filter((o) => o.transition.startsWith(this.focus as string));
    if (focused.length > 0) return this.rng.pick(focused);
    if (options.length > 0) return this.rng.pick(options);
    const ready = due[0] as NextIntent;
    return this.I(ready.transition, ready.given, this.agent, t);
  }

  private fillLifecycle(s: State, i: NextIntent, t: number): Intent {
    const ag = this.agent;
    const n = this.seq;
    switch (i.transition) {
      case 'Ingestion_SourcesResolved':
        return this.I(i.transition, { sources: [`git://corpus/${n}/a`, `git://corpus/${n}/b`] }, ag, t);
      case 'Ingestion_BytesOk':
        return this.I(i.transition, { content_hash: fakeHash(`bytes:${n}`) }, ag, t);
      case 'Ingestion_SchemaOk': {
        const findings = this.rng.chance(50) ? [] : [{ kind: 'note', path: 'docs/README.md', detail: 'line longer than 120' }];
        return this.I(i.transition, { findings }, ag, t, { accepted: true, branch: 'clean' });
      }
      case 'Ingestion_CorpusBuilt':
        return this.I(i.transition, { content_hash: fakeHash(`corpus:${n}`), version: `v${n}` }, ag, t);
      case 'Council_ProfilesLoaded':
        return this.I(i.transition, { roles: ['planner', 'reviewer'] }, ag, t);
      case 'Council_QuorumCert':
        return this.I(i.transition, this.quorumInputs(s), ag, t);
      case 'Council_McpGreen':
        return this.I(i.transition, this.mcpInputs(t), ag, t);
      case 'Environment_CapacityOk':
        return this.I(i.transition, { allocations: [{ node: `n${n % 3}`, cpu: 2 }] }, ag, t);
      case 'Environment_Installed':
        return this.I(i.transition, { assets: ['image:swoosh-worker@1'] }, ag, t);
      case 'Environment_Green':
        return this.I(i.transition, { env_hash: fakeHash(`env:${n}`) }, ag, t);
      case 'Environment_Deprovision':
        return this.I(i.transition, { reason: 'degraded: rebuild' }, this.rng.chance(50) ? ag : this.pickOperator(), t);
      default:
        throw new RangeError(`no generated inputs for ${i.transition}`);
    }
  }

  private planExecution(s: State, t: number, first: NextIntent): Intent {
    const ag = this.agent;
    switch (first.transition) {
      case 'Execution_PlanLocked':
        return this.I(first.transition, { plan_hash: fakeHash(`plan:${s.execution.loop}:${this.seq}`) }, ag, t);
      case 'Execution_BeatReviewGate':
        return this.I(first.transition, first.given, ag, this.seek(t, 'review'));
      case 'Execution_Approve':
      case 'Execution_ApprovalsThreshold':
        return this.planReview(s, t);
      case 'Execution_Submit': {
        const at = this.seek(t, 'reverb');
        if (this.rng.chance(50)) return this.I(first.transition, { artifact_hash: fakeHash(`artifact:${this.seq}`) }, ag, at);
        return this.I('Execution_NextWindow', {}, ag, at);
      }
      default:
        throw new RangeError(`unexpected step ${first.transition} in EXECUTION.${String(s.execution.phase)}`);
    }
  }

  /**
   * Approvals count per beat: approve (review or reverb window), then cross into REVERB in
   * the same beat's reverb window. The time comes first, so the planner is asked again for
   * the beat the proposal will carry.
   */
  private planReview(s: State, t: number): Intent {
    const at = this.isOpen(t, ['review', 'reverb']) ? t : this.seek(t, 'review');
    const next = this.due(s, at)[0] as NextIntent;
    if (next.transition === 'Execution_Approve') {
      const waiting = this.cast.operators.filter((o) => (next.approvers ?? []).includes(o.signer));
      return this.I(next.transition, { note: `ok beat ${this.beat(at)}` }, this.rng.pick(waiting), at);
    }
    const by = this.rng.chance(50) ? this.agent : this.pickOperator();
    return this.I(next.transition, next.given, by, this.seek(at, 'reverb'));
  }

  /** Draft a time and plan against HEAD. */
  intent(): Intent {
    return this.plan(this.state, this.draft());
  }
}

export function happyStep(d: StreamDriver): void {
  const i = d.intent();
  d.submit('happy', d.build(i), i.expect);
}
