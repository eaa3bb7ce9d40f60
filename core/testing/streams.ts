// Seeded proposal streams for property tests, conformance vectors and the chaos workload:
// a mostly-happy project lifecycle (BOOT → the three PROJECT_LIFECYCLE regions →
// EXECUTION → REVERB loops) interleaved with faults drawn from a seeded PRNG: duplicates,
// reorderings, wrong signers, stale hashes, out-of-window and regressing HLCs, tampered
// envelopes, breaches, pauses, quorum loss, compensations, licence changes.
//
// Generation and application are interleaved: a proposal must carry HEAD's hash to be
// accepted, so each one is planned against the state the pure reducer has reached at that
// point. Everything here is pure and deterministic: randomness is an injected seeded PRNG
// (mulberry32), time is a cursor the stream advances itself, keys come from kit.testKey.
//
// Every submitted proposal carries what its author meant to happen (`expect`): accepted
// for happy steps, or the rejection code(s) a fault was built to provoke, adjusted for
// the CONTRACT §5 order of checks (TERMINATED / QUARANTINED answer before the late checks).

import { H } from '../hash';
import { DOMAIN, nobleVerifier, signDoc, type Signer, type Verifier } from '../crypto';
import { formatHlc, parseHlc, type Hlc } from '../hlc';
import { eligibleMembers, memberSetHash } from '../guards/quorum';
import { reduce, type Admission, type Head, type ReduceResult } from '../reduce';
import { initialState, type State } from '../state';
import type { Spec } from '../spec';
import type { Genesis, JsonObject, PolicyFinding, Proposal, RecordBody, RejectionCode, SignerId } from '../types';
import { beatPosition, checkWindow, type Schedule } from '../window';
import {
  castVote, fakeHash, licenseToken, makeCast, makeGenesis, mcpReport, signProposal, windowIdAt,
  type Cast, type KitOptions, type NamedKey,
} from './kit';

// ---------------------------------------------------------------------------
// Seeded PRNG

export interface Prng {
  /** Next unsigned 32-bit integer. */
  u32(): number;
  /** Uniform in [0, 1): u32 / 2^32. */
  unit(): number;
  /** Uniform-ish integer in [0, n), n >= 1. */
  int(n: number): number;
  /** True with probability pct / 100. */
  chance(pct: number): boolean;
  pick<T>(xs: readonly T[]): T;
  shuffle<T>(xs: readonly T[]): T[];
}

/** mulberry32 (Tommy Ettinger): 32-bit state, integer-only arithmetic, same sequence everywhere. */
export function mulberry32(seed: number): Prng {
  let a = seed >>> 0;
  const u32 = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const int = (n: number): number => {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`int(n) needs a positive integer, got ${n}`);
    return u32() % n;
  };
  return {
    u32,
    unit: () => u32() / 4294967296,
    int,
    chance: (pct) => int(100) < pct,
    pick<T>(xs: readonly T[]): T {
      if (xs.length === 0) throw new RangeError('pick from an empty list');
      return xs[int(xs.length)] as T;
    },
    shuffle<T>(xs: readonly T[]): T[] {
      const out = [...xs];
      for (let i = out.length - 1; i > 0; i -= 1) {
        const j = int(i + 1);
        [out[i], out[j]] = [out[j] as T, out[i] as T];
      }
      return out;
    },
  };
}

// ---------------------------------------------------------------------------
// Shapes

/** What the author of a proposal meant to happen. */
export type Expect =
  | { accepted: true; branch?: string }
  | { accepted: false; codes: RejectionCode[]; guard?: string };

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

export interface StreamOptions extends KitOptions {
  /** Percentage of actions that are faults (0 = a purely happy stream). Default 35. */
  fault_pct?: number;
  /** Pass an admission clock to reduce (enables hlc_from_future faults). Default true. */
  admission?: boolean;
  /** Wall time of the first proposal; default one second after the BACKBEAT epoch. */
  start_ms?: number;
  verifier?: Verifier;
  cast?: Cast;
  /** Faults never drawn (e.g. ['confirm_block'] to keep a stream alive). */
  exclude?: readonly FaultKind[];
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

const ACCEPT: Expect = { accepted: true };

/** Checks that come after the TERMINATED / QUARANTINED checks in CONTRACT §5. */
const LATE_CODES: ReadonlySet<RejectionCode> = new Set([
  'stale_state_hash', 'hlc_from_future', 'hlc_regression', 'invalid_from_state', 'wrong_window', 'guard_failed',
]);

const B64U_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
}

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
  build(
    i: Intent,
    o: { hlc?: Hlc; state_hash?: string; window_id?: string | null; by?: Signer; idem_key?: string } = {},
  ): Proposal {
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
    const shape = kind === 'valid'
      ? { expires_ms: issued_ms + 30 * 86_400_000, grace_ms: 86_400_000 }
      : kind === 'grace'
        ? { expires_ms: t - 500, grace_ms: 86_400_000 }
        : { expires_ms: t - 500, grace_ms: 100 };
    const token = licenseToken(signer, { licensee: this.genesis.project, issued_ms, ...shape });
    return { token: token as unknown as JsonObject };
  }

  mcpInputs(t: number, o: { observed_ms?: number; signer?: Signer; tools?: Array<{ name: string; version: string; reachable: boolean }> } = {}): JsonObject {
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

  // ---- the happy planner ---------------------------------------------------

  private I(transition: string, inputs: JsonObject, by: NamedKey, at: number, expect: Expect = ACCEPT): Intent {
    return { transition, inputs, by, at, expect };
  }

  /** The next step a well-behaved cast would propose in state s, at or after wall time t. */
  plan(s: State, t: number): Intent {
    const op = this.pickOperator();
    const either = (): NamedKey => (this.rng.chance(50) ? this.agent : op);
    if (s.control.terminated) {
      return this.I('Control_Resume', { reason: 'knocking after the end' }, op, t, { accepted: false, codes: ['terminated'] });
    }
    if (s.boot.phase === 'UNINITIALIZED') return this.I('Boot_ConfigOk', { config_hash: H(this.genesis) }, op, t);
    if (s.boot.phase === 'LICENSE_CHECK') return this.I('Boot_Licensed', this.licenseInputs(t, 'valid'), either(), t);
    if (s.boot.phase === 'GRACE' || s.boot.phase === 'EXPIRED') {
      return this.I('License_Refresh', this.licenseInputs(t, 'valid'), either(), t, { accepted: true, branch: 'valid' });
    }
    if (s.policy.quarantined) {
      if (this.rng.chance(70)) return this.I('Quarantine_Release', { justification: 'reviewed: false positive' }, op, t);
      const kinds = new Set(s.policy.findings.map((f) => f.kind));
      const policy = { version: s.policy.version + 1, deny: s.policy.deny.filter((k) => !kinds.has(k)) };
      const branch = s.policy.findings.length > 0 ? 'lift' : 'keep';
      return this.I('Policy_Update', { policy }, op, t, { accepted: true, branch });
    }
    if (s.control.paused) return this.I('Control_Resume', { reason: 'back to work' }, op, t);
    if (s.control.recovery) return this.I('Control_Recover', { reason: 'council reachable again' }, op, t);
    if (s.execution.phase !== null) return this.planExecution(s, t);
    return this.planLifecycle(s, t);
  }

  private planLifecycle(s: State, t: number): Intent {
    const ag = this.agent;
    const n = this.seq;
    const options: Intent[] = [];
    switch (s.ingestion.phase) {
      case 'DISCOVER':
        options.push(this.I('Ingestion_SourcesResolved', { sources: [`git://corpus/${n}/a`, `git://corpus/${n}/b`] }, ag, t));
        break;
      case 'FETCH':
        options.push(this.I('Ingestion_BytesOk', { content_hash: fakeHash(`bytes:${n}`) }, ag, t));
        break;
      case 'VALIDATE': {
        const findings = this.rng.chance(50) ? [] : [{ kind: 'note', path: 'docs/README.md', detail: 'line longer than 120' }];
        options.push(this.I('Ingestion_SchemaOk', { findings }, ag, t, { accepted: true, branch: 'clean' }));
        break;
      }
      case 'INDEX':
        options.push(this.I('Ingestion_CorpusBuilt', { content_hash: fakeHash(`corpus:${n}`), version: `v${n}` }, ag, t));
        break;
      case 'READY':
        break;
    }
    switch (s.council.phase) {
      case 'PLAN_ROLES':
        options.push(this.I('Council_ProfilesLoaded', { roles: ['planner', 'reviewer'] }, ag, t));
        break;
      case 'ELECT':
        options.push(this.I('Council_QuorumCert', this.quorumInputs(s), ag, t));
        break;
      case 'TOOLING_SYNC':
        options.push(this.I('Council_McpGreen', this.mcpInputs(t), ag, t));
        break;
      case 'READY':
        break;
    }
    switch (s.environment.phase) {
      case 'ALLOCATE':
        options.push(this.I('Environment_CapacityOk', { allocations: [{ node: `n${n % 3}`, cpu: 2 }] }, ag, t));
        break;
      case 'PROVISION':
        options.push(this.I('Environment_Installed', { assets: ['image:swoosh-worker@1'] }, ag, t));
        break;
      case 'HEALTHCHECK':
        options.push(this.I('Environment_Green', { env_hash: fakeHash(`env:${n}`) }, ag, t));
        break;
      case 'DEGRADED':
        options.push(this.I('Environment_Deprovision', { reason: 'degraded: rebuild' }, this.rng.chance(50) ? ag : this.pickOperator(), t));
        break;
      case 'READY':
        break;
    }
    const focused = this.focus === null ? [] : options.filter((o) => o.transition.startsWith(this.focus as string));
    if (focused.length > 0) return this.rng.pick(focused);
    if (options.length > 0) return this.rng.pick(options);
    return this.I('Execution_AllReady', {
      content_hash: s.ingestion.content_hash as string,
      version: s.ingestion.version as string,
      member_set_hash: s.council.member_set_hash as string,
      env_hash: s.environment.env_hash as string,
    }, ag, t);
  }

  private planExecution(s: State, t: number): Intent {
    const ag = this.agent;
    switch (s.execution.phase) {
      case 'PLAN':
        return this.I('Execution_PlanLocked', { plan_hash: fakeHash(`plan:${s.execution.loop}:${this.seq}`) }, ag, t);
      case 'WORK':
        return this.I('Execution_BeatReviewGate', {}, ag, this.seek(t, 'review'));
      case 'REVIEW': {
        // Approvals count per beat: approve (review or reverb window), then cross into
        // REVERB in the same beat's reverb window.
        const at = this.isOpen(t, ['review', 'reverb']) ? t : this.seek(t, 'review');
        const beat = this.beat(at);
        const approved = s.execution.approvals.filter((a) => a.beat === beat).map((a) => a.signer);
        const waiting = this.cast.operators.filter((o) => !approved.includes(o.signer));
        if (approved.length < s.council.threshold && waiting.length > 0) {
          return this.I('Execution_Approve', { note: `ok beat ${beat}` }, this.rng.pick(waiting), at);
        }
        const by = this.rng.chance(50) ? ag : this.pickOperator();
        return this.I('Execution_ApprovalsThreshold', {}, by, this.seek(at, 'reverb'));
      }
      case 'REVERB': {
        const at = this.seek(t, 'reverb');
        if (this.rng.chance(50)) return this.I('Execution_Submit', { artifact_hash: fakeHash(`artifact:${this.seq}`) }, ag, at);
        return this.I('Execution_NextWindow', {}, ag, at);
      }
      default:
        throw new RangeError(`unexpected execution phase ${String(s.execution.phase)}`);
    }
  }

  /** Draft a time and plan against HEAD. */
  intent(): Intent {
    return this.plan(this.state, this.draft());
  }
}

// ---------------------------------------------------------------------------
// Actions: one happy step, or one fault (which may submit one to three proposals).

export function happyStep(d: StreamDriver): void {
  const i = d.intent();
  d.submit('happy', d.build(i), i.expect);
}

/** A licence is in force and usable (not expired past grace): non-exempt transitions can pass the gate. */
function licensed(s: State): boolean {
  return s.boot.license !== null && s.boot.phase !== 'EXPIRED';
}

function lifecycleActive(s: State): boolean {
  return licensed(s) && !s.control.terminated && !s.control.recovery && s.execution.phase === null;
}

function calm(s: State): boolean {
  return !s.control.terminated && !s.policy.quarantined && !s.control.paused;
}

type Fault = (d: StreamDriver, variant: number | undefined) => boolean;

const v = (d: StreamDriver, variant: number | undefined, n: number): number => (variant ?? d.rng.int(n)) % n;

const FAULTS = {
  /** Re-send an accepted proposal. */
  duplicate(d) {
    if (d.accepted.length === 0) return false;
    const recent = d.accepted.slice(-8);
    const p = clone(d.rng.pick(recent));
    // Every accepted proposal changes HEAD (hlc_last at least), so the pure reducer answers
    // stale_state_hash first; the host's idem index answers 200 `duplicate` before that.
    d.submit('duplicate', p, d.rejectAs(d.state, p.transition, ['stale_state_hash', 'hlc_regression']));
    return true;
  },

  /** Two consecutive steps arrive swapped, then the second is retried. */
  reorder(d) {
    const i1 = d.intent();
    const p1 = d.build(i1);
    const spec1 = reduce(d.head, p1, { spec: d.spec, verifier: d.verifier }, d.admission ? { now_ms: d.now_ms } : undefined);
    if (!spec1.ok) {
      d.submit('reorder', p1, i1.expect);
      return true;
    }
    const i2 = d.plan(spec1.state, d.draft());
    const p2 = d.build(i2, { state_hash: spec1.hash });
    d.submit('reorder', p2, d.rejectAs(d.state, p2.transition, ['stale_state_hash']));
    d.submit('reorder', p1, i1.expect);
    d.submit('reorder', p2, i2.expect);
    return true;
  },

  /** Correctly signed by a key that is not in the genesis. */
  stranger(d) {
    const i = d.intent();
    d.submit('stranger', d.build(i, { by: d.cast.stranger }), { accepted: false, codes: ['unknown_signer'] });
    return true;
  },

  /** Signed by a genesis signer without a role the transition allows. */
  wrong_role(d) {
    const i = d.intent();
    const t = d.spec.transitions[i.transition];
    if (!t) return false;
    const all = [...d.cast.operators, ...d.cast.agents, ...d.cast.council];
    const roleOf = new Map(d.genesis.signers.map((g) => [g.signer, g.roles]));
    const wrong = all.filter((k) => !(roleOf.get(k.signer) ?? []).some((r) => t.roles.includes(r)));
    if (wrong.length === 0) return false;
    d.submit('wrong_role', d.build(i, { by: d.rng.pick(wrong) }), { accepted: false, codes: ['role_denied'] });
    return true;
  },

  /** Claims a genesis signer but is signed with another key. */
  forged(d) {
    const i = d.intent();
    const thief: Signer = { signer: i.by.signer, sign: (m) => d.cast.stranger.sign(m) };
    d.submit('forged', d.build(i, { by: thief }), { accepted: false, codes: ['bad_signature'] });
    return true;
  },

  /** Built against an earlier HEAD (or a corrupted hash). */
  stale(d, variant) {
    const i = d.intent();
    const older = d.heads.filter((h) => h.hash !== d.head.hash);
    let hash: string;
    if (older.length > 0 && v(d, variant, 2) === 0) {
      hash = d.rng.pick(older.slice(-6)).hash;
    } else {
      const c = d.head.hash.at(-1) === '0' ? '1' : '0';
      hash = `${d.head.hash.slice(0, -1)}${c}`;
    }
    d.submit('stale', d.build(i, { state_hash: hash }), d.rejectAs(d.state, i.transition, ['stale_state_hash']));
    return true;
  },

  /** Gated: an HLC outside the window, or a window_id that is not the HLC's. Ungated: a window_id. */
  out_of_window(d, variant) {
    const i = d.intent();
    const t = d.spec.transitions[i.transition];
    if (!t) return false;
    const expect = d.rejectAs(d.state, i.transition, ['wrong_window']);
    if (t.window === null) {
      d.submit('out_of_window', d.build(i, { window_id: windowIdAt(d.schedule, i.at) }), expect);
      return true;
    }
    if (v(d, variant, 2) === 0) {
      const at = d.closedAt(Math.max(i.at, d.now_ms + 1), t.window);
      if (at === null) return false;
      // The server clock reads the proposal's time, so hlc_from_future does not answer first.
      d.submit('out_of_window', d.build(i, { hlc: { wall_ms: at, counter: 0 } }), expect, at);
    } else {
      const hlc = d.commit(i.at);
      d.submit('out_of_window', d.build(i, { hlc, window_id: `backbeat:W-${d.beat(hlc.wall_ms) + 1}` }), expect);
    }
    return true;
  },

  /** An HLC at or before the last applied one (earlier wall time, or the very same order key). */
  hlc_regression(d, variant) {
    const s = d.state;
    if (s.hlc_last === null) return false;
    const last = parseHlc(s.hlc_last) as Hlc;
    const i = d.intent();
    const expect = d.rejectAs(s, i.transition, ['hlc_regression']);
    const sameKey = d.cast.operators.concat(d.cast.agents).find((k) => k.signer === s.meta.last_signer);
    const roles = d.spec.transitions[i.transition]?.roles ?? [];
    const signerRoles = d.genesis.signers.find((g) => g.signer === s.meta.last_signer)?.roles ?? [];
    if (v(d, variant, 2) === 1 && sameKey && signerRoles.some((r) => roles.includes(r))) {
      // Same (hlc, signer, idem_key) as the last applied proposal, different content.
      d.submit('hlc_regression', d.build({ ...i, by: sameKey }, { hlc: last, idem_key: s.meta.last_idem_key ?? 'x' }), expect);
      return true;
    }
    const wall_ms = Math.max(0, last.wall_ms - 1 - d.rng.int(5000));
    d.submit('hlc_regression', d.build(i, { hlc: { wall_ms, counter: d.rng.int(3) } }), expect);
    return true;
  },

  /** Admission: an HLC further ahead of the server clock than max_drift_ms. */
  future(d) {
    if (!d.admission) return false;
    const i = d.intent();
    const wall_ms = d.now_ms + d.genesis.max_drift_ms + 1 + d.rng.int(5000);
    d.submit('future', d.build(i, { hlc: { wall_ms, counter: 0 } }), d.rejectAs(d.state, i.transition, ['hlc_from_future']));
    return true;
  },

  /** Inputs changed after signing; inputs_hash left alone (0) or recomputed (1, which the signature covers). */
  tamper_inputs(d, variant) {
    const i = d.intent();
    const p = d.build(i);
    const inputs = { ...p.inputs, tampered: d.rng.int(1000) };
    if (v(d, variant, 2) === 0) {
      d.submit('tamper_inputs', { ...p, inputs }, { accepted: false, codes: ['inputs_hash_mismatch'] });
    } else {
      d.submit('tamper_inputs', { ...p, inputs, inputs_hash: H(inputs) }, { accepted: false, codes: ['bad_signature'] });
    }
    return true;
  },

  /** One signature character replaced (not the last, whose low bits are padding). */
  tamper_signature(d) {
    const p = d.build(d.intent());
    const at = d.rng.int(85);
    const old = p.signature[at] as string;
    const alphabet = B64U_ALPHABET.replace(old, '');
    const signature = p.signature.slice(0, at) + d.rng.pick([...alphabet]) + p.signature.slice(at + 1);
    d.submit('tamper_signature', { ...p, signature }, { accepted: false, codes: ['bad_signature'] });
    return true;
  },

  /** A signed envelope field changed after signing. */
  tamper_envelope(d, variant) {
    const p = d.build(d.intent());
    const hlc = parseHlc(p.hlc) as Hlc;
    const changed: Proposal[] = [
      { ...p, hlc: formatHlc({ wall_ms: hlc.wall_ms + 1, counter: hlc.counter }) },
      { ...p, idem_key: `${p.idem_key}-replayed` },
      { ...p, evidence: [...p.evidence, 'bubble://dr/1'] },
    ];
    const choice = v(d, variant, 3);
    d.submit('tamper_envelope', changed[choice], { accepted: false, codes: ['bad_signature'] });
    return true;
  },

  /** Not a proposal: wrong shapes, missing or extra fields, bad formats. */
  malformed(d, variant) {
    const p = d.build(d.intent()) as unknown as Record<string, unknown>;
    const drop = (k: string): Record<string, unknown> => Object.fromEntries(Object.entries(p).filter(([key]) => key !== k));
    // Every key of the inputs the planner builds is required by the transition's schema.
    const inputsWithout = (): Record<string, unknown> => {
      const inputs = { ...(p.inputs as Record<string, unknown>) };
      delete inputs[Object.keys(inputs)[0] as string];
      return { ...p, inputs };
    };
    const shapes: Array<() => unknown> = [
      () => null,
      () => 42,
      () => 'Boot_ConfigOk',
      () => [p],
      () => drop('signature'),
      () => drop('window_id'),
      () => ({ ...p, hlc: '2026-01-01T00:00:00Z' }),
      () => ({ ...p, hlc: '2026-02-30T00:00:00.000+00:00#0' }),
      () => ({ ...p, signer: 'hmmm:rsa:nope' }),
      () => ({ ...p, extra: true }),
      () => ({ ...p, evidence: ['https://example.com/not-ucxl'] }),
      () => ({ ...p, inputs_hash: 'sha256-XYZ' }),
      () => JSON.parse(`{"__proto__": {"polluted": true}, "transition": "Boot_ConfigOk"}`) as unknown,
      inputsWithout,
    ];
    const choice = v(d, variant, shapes.length);
    if (choice === shapes.length - 1 && Object.keys(p.inputs as object).length === 0) return false;
    d.submit('malformed', (shapes[choice] as () => unknown)(), { accepted: false, codes: ['malformed'] });
    return true;
  },

  /** A signed proposal for a transition the statechart does not have. */
  unknown_transition(d) {
    const i = { ...d.intent(), transition: 'Execution_Teleport', inputs: { to: 'DONE' } };
    d.submit('unknown_transition', d.build(i), { accepted: false, codes: ['unknown_transition'] });
    return true;
  },

  /** A transition that is not enabled in the current configuration. */
  invalid_from(d) {
    const s = d.state;
    if (!licensed(s)) return false;
    const t = d.draft();
    const ag = d.agent;
    const disabled: Array<[string, JsonObject]> = [];
    if (s.execution.phase !== 'PLAN') disabled.push(['Execution_PlanLocked', { plan_hash: fakeHash('early') }]);
    if (s.ingestion.phase !== 'FETCH' || s.execution.phase !== null || s.control.recovery) {
      disabled.push(['Ingestion_BytesOk', { content_hash: fakeHash('late') }]);
    }
    if (s.execution.phase === null) disabled.push(['Execution_QuorumLost', { reason: 'not even running' }]);
    if (disabled.length === 0) return false;
    const [transition, inputs] = d.rng.pick(disabled);
    const i: Intent = { transition, inputs, by: ag, at: t, expect: ACCEPT };
    d.submit('invalid_from', d.build(i), d.rejectAs(s, transition, ['invalid_from_state']));
    return true;
  },

  /** A policy breach: Ingestion_SchemaOk with a denied finding (accepted into QUARANTINED), or Policy_Violation. */
  breach(d) {
    const s = d.state;
    if (!licensed(s) || s.control.terminated || s.policy.quarantined) return false;
    const t = d.draft();
    const ag = d.agent;
    const denied = s.policy.deny;
    if (lifecycleActive(s) && !s.control.paused && s.ingestion.phase === 'VALIDATE' && denied.length > 0) {
      const findings: PolicyFinding[] = [
        { kind: 'note', path: 'docs/README.md', detail: 'long line' },
        { kind: d.rng.pick(denied), path: `data/${d.nextSeq()}.csv`, detail: 'found by the scanner' },
      ];
      const i: Intent = { transition: 'Ingestion_SchemaOk', inputs: { findings: findings as unknown as JsonObject[] }, by: ag, at: t, expect: ACCEPT };
      d.submit('breach', d.build(i), { accepted: true, branch: 'breach' });
      return true;
    }
    const findings = d.rng.chance(50) ? [] : [{ kind: 'secret', path: 'config/.env', detail: 'API key' }];
    const i: Intent = { transition: 'Policy_Violation', inputs: { rationale: 'scanner hit', findings }, by: ag, at: t, expect: ACCEPT };
    d.submit('breach', d.build(i), ACCEPT);
    return true;
  },

  pause(d) {
    const s = d.state;
    if (!licensed(s) || !calm(s)) return false;
    const i: Intent = { transition: 'Control_Pause', inputs: { reason: 'operator break' }, by: d.pickOperator(), at: d.draft(), expect: ACCEPT };
    d.submit('pause', d.build(i), ACCEPT);
    return true;
  },

  quorum_loss(d) {
    const s = d.state;
    if (!licensed(s) || !calm(s) || s.execution.phase === null) return false;
    const i: Intent = { transition: 'Execution_QuorumLost', inputs: { reason: 'two council members unreachable' }, by: d.agent, at: d.draft(), expect: ACCEPT };
    d.submit('quorum_loss', d.build(i), ACCEPT);
    return true;
  },

  /** Undo part of the lifecycle: rollback index, re-elect (maybe ejecting a member), deprovision, amber. */
  compensation(d) {
    const s = d.state;
    if (!lifecycleActive(s) || !calm(s)) return false;
    const t = d.draft();
    const any = (): NamedKey => (d.rng.chance(50) ? d.agent : d.pickOperator());
    const options: Intent[] = [];
    if (s.ingestion.phase === 'INDEX' || s.ingestion.phase === 'READY') {
      options.push({ transition: 'Ingestion_RollbackIndex', inputs: { reason: 'index corrupt' }, by: any(), at: t, expect: ACCEPT });
    }
    if (s.council.phase === 'TOOLING_SYNC' || s.council.phase === 'READY') {
      const eligible = [...eligibleMembers(s)];
      const eject = eligible.length > s.council.threshold && d.rng.chance(30) ? [d.rng.pick(eligible)] : [];
      options.push({ transition: 'Council_ReElect', inputs: { reason: 'member misbehaved', eject }, by: any(), at: t, expect: ACCEPT });
    }
    if (s.environment.phase !== 'ALLOCATE') {
      options.push({ transition: 'Environment_Deprovision', inputs: { reason: 'node lost' }, by: any(), at: t, expect: ACCEPT });
    }
    if (s.environment.phase === 'HEALTHCHECK') {
      options.push({ transition: 'Environment_Amber', inputs: { reasons: ['disk 91% full'] }, by: d.agent, at: t, expect: ACCEPT });
    }
    if (options.length === 0) return false;
    const i = d.rng.pick(options);
    d.submit('compensation', d.build(i), ACCEPT);
    return true;
  },

  /** The planned step with inputs that fail its guard. */
  guard_fail(d, variant) {
    const s = d.state;
    const i = d.intent();
    const fails = guardFailure(d, s, i, variant);
    if (!fails) return false;
    const p = d.build(fails.intent);
    d.submit('guard_fail', p, d.rejectAs(s, fails.intent.transition, ['guard_failed'], fails.guard));
    return true;
  },

  /** A licence refresh: valid, into grace, or expired past grace (the planner then refreshes). */
  license(d, variant) {
    const s = d.state;
    if (s.control.terminated || s.boot.license === null) return false;
    const t = d.draft();
    const kind = (['valid', 'valid', 'grace', 'expired'] as const)[v(d, variant, 4)] as 'valid' | 'grace' | 'expired';
    const by = d.rng.chance(50) ? d.agent : d.pickOperator();
    const i: Intent = { transition: 'License_Refresh', inputs: d.licenseInputs(t, kind), by, at: t, expect: ACCEPT };
    d.submit('license', d.build(i), { accepted: true, branch: kind });
    return true;
  },

  /** A newer policy (the genesis deny list again). */
  policy_update(d) {
    const s = d.state;
    if (!licensed(s) || s.control.terminated) return false;
    const policy = { version: s.policy.version + 1, deny: [...d.genesis.policy.deny] };
    const i: Intent = { transition: 'Policy_Update', inputs: { policy }, by: d.pickOperator(), at: d.draft(), expect: ACCEPT };
    d.submit('policy_update', d.build(i), ACCEPT);
    return true;
  },

  /** Rare: the operator confirms the block; everything after is `terminated`. */
  confirm_block(d) {
    const s = d.state;
    if (!s.policy.quarantined || s.control.terminated) return false;
    const i: Intent = { transition: 'Quarantine_ConfirmBlock', inputs: { justification: 'confirmed leak' }, by: d.pickOperator(), at: d.draft(), expect: ACCEPT };
    d.submit('confirm_block', d.build(i), ACCEPT);
    return true;
  },
} satisfies Record<string, Fault>;

export type FaultKind = keyof typeof FAULTS;
export const FAULT_KINDS = Object.keys(FAULTS) as FaultKind[];

/** Relative weights; state-changing detours are rarer so that streams reach EXECUTION. */
const WEIGHTS: Readonly<Record<FaultKind, number>> = {
  duplicate: 8, reorder: 8, stranger: 4, wrong_role: 5, forged: 3, stale: 6, out_of_window: 8, hlc_regression: 6,
  future: 3, tamper_inputs: 4, tamper_signature: 4, tamper_envelope: 3, malformed: 4, unknown_transition: 2,
  invalid_from: 4, breach: 3, pause: 3, quorum_loss: 2, compensation: 4, guard_fail: 8, license: 3, policy_update: 2,
  // Applies only while QUARANTINED (usually one or two steps), hence the large weight.
  confirm_block: 15,
};

/** Applies one fault of `kind` (variant picks a sub-case); false when it does not apply in this state. */
export function applyFault(d: StreamDriver, kind: FaultKind, variant?: number): boolean {
  return (FAULTS[kind] as Fault)(d, variant);
}

function guardFailure(d: StreamDriver, s: State, i: Intent, variant: number | undefined): { intent: Intent; guard: string } | null {
  const with_ = (inputs: JsonObject, guard: string): { intent: Intent; guard: string } => ({ intent: { ...i, inputs }, guard });
  switch (i.transition) {
    case 'Boot_ConfigOk':
      return with_({ config_hash: fakeHash('some other genesis') }, 'config');
    case 'Boot_Licensed':
    case 'License_Refresh': {
      const k = v(d, variant, 3);
      if (k === 0) return with_(d.licenseInputs(i.at, 'valid', d.cast.stranger), 'license');
      if (k === 1 && i.transition === 'Boot_Licensed') return with_(d.licenseInputs(i.at, 'grace'), 'license');
      const token = licenseToken(d.cast.kaching, { licensee: 'another-project', issued_ms: i.at - 1000, expires_ms: i.at + 86_400_000, grace_ms: 0 });
      return with_({ token: token as unknown as JsonObject }, 'license');
    }
    case 'Council_QuorumCert': {
      const good = i.inputs as { members: SignerId[]; member_set_hash: string; votes: JsonObject[] };
      const threshold = s.council.threshold;
      const k = v(d, variant, 4);
      if (k === 0) return with_({ ...good, votes: good.votes.slice(0, threshold - 1) }, 'quorum');
      if (k === 1) return with_(d.quorumInputs(s, s.epoch.council + 1 + d.rng.int(3)), 'quorum');
      if (k === 2) {
        const members = [...good.members, d.cast.stranger.signer].sort();
        return with_({ ...good, members, member_set_hash: memberSetHash(members) }, 'quorum');
      }
      const forged = good.members.map((m) => signDoc(d.cast.stranger, DOMAIN.vote, { voter: m, member_set_hash: good.member_set_hash, council_epoch: s.epoch.council }));
      return with_({ ...good, votes: forged as unknown as JsonObject[] }, 'quorum');
    }
    case 'Council_McpGreen': {
      const k = v(d, variant, 4);
      const pins = Object.entries(d.genesis.mcp.pins).map(([name, version]) => ({ name, version, reachable: true }));
      if (k === 0) return with_(d.mcpInputs(i.at, { observed_ms: i.at - d.genesis.mcp.max_age_ms - 1 - d.rng.int(1000) }), 'mcp');
      if (k === 1) return with_(d.mcpInputs(i.at, { tools: pins.map((t, j) => (j === 0 ? { ...t, version: '0.0.1' } : t)) }), 'mcp');
      if (k === 2) return with_(d.mcpInputs(i.at, { tools: pins.map((t, j) => (j === 0 ? { ...t, reachable: false } : t)) }), 'mcp');
      return with_(d.mcpInputs(i.at, { signer: d.cast.stranger }), 'mcp');
    }
    case 'Execution_AllReady':
      return with_({ ...i.inputs, env_hash: fakeHash('an environment nobody built') }, 'all_ready');
    case 'Execution_Approve': {
      const beat = d.beat(i.at);
      const already = s.execution.approvals.filter((a) => a.beat === beat).map((a) => a.signer);
      const again = d.cast.operators.find((o) => already.includes(o.signer));
      if (!again) {
        // No approval yet in this beat: cross into REVERB too early instead.
        return { intent: { ...i, transition: 'Execution_ApprovalsThreshold', inputs: {}, at: d.seek(i.at, 'reverb') }, guard: 'approvals' };
      }
      return { intent: { ...i, by: again }, guard: 'approval' };
    }
    case 'Policy_Update':
      return with_({ policy: { version: s.policy.version, deny: [] } }, 'policy_version');
    default:
      return null;
  }
}

function chooseFault(d: StreamDriver, excluded: ReadonlySet<string>): FaultKind {
  const kinds = FAULT_KINDS.filter((k) => !excluded.has(k));
  const total = kinds.reduce((n, k) => n + WEIGHTS[k], 0);
  let x = d.rng.int(Math.max(1, total));
  for (const k of kinds) {
    x -= WEIGHTS[k];
    if (x < 0) return k;
  }
  return kinds[0] as FaultKind;
}

/**
 * A seeded stream of exactly `steps` submitted proposals (fewer only if `steps` < 1),
 * generated against, and applied to, a fresh orchestrator. Deterministic for (spec, seed,
 * steps, opts).
 */
export function runStream(spec: Spec, seed: number, steps: number, opts: StreamOptions = {}): StreamRun {
  const d = new StreamDriver(spec, seed, opts);
  d.limit = steps;
  const fault_pct = opts.fault_pct ?? 35;
  const excluded = new Set<string>(opts.exclude ?? []);
  // Every action submits at least one proposal unless it declines; bound the attempts.
  for (let attempts = 0; !d.full && attempts < steps * 8; attempts += 1) {
    if (fault_pct > 0 && d.rng.chance(fault_pct)) {
      if (applyFault(d, chooseFault(d, excluded))) continue;
    }
    happyStep(d);
  }
  return {
    seed,
    genesis: d.genesis,
    cast: d.cast,
    initial: d.initial,
    proposals: d.entries.map((e) => e.proposal),
    results: d.entries.map((e) => e.result),
    heads: d.heads,
    entries: d.entries,
    wal: d.wal,
  };
}

/** A happy stream: the lifecycle to EXECUTION, then `loops` complete REVERB loops. */
export function runLoops(spec: Spec, seed: number, loops: number, opts: StreamOptions = {}): StreamDriver {
  const d = new StreamDriver(spec, seed, { ...opts, fault_pct: 0 });
  const bound = 64 + loops * 64;
  for (let n = 0; n < bound && !(d.state.execution.phase === 'PLAN' && d.state.execution.loop >= loops); n += 1) {
    happyStep(d);
    const last = d.entries[d.entries.length - 1];
    if (last && !last.result.ok) throw new RangeError(`happy step ${last.label} rejected: ${last.result.rejection.code}: ${last.result.rejection.reason}`);
  }
  return d;
}
