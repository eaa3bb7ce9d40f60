// Model check: the reducer (core/reduce.ts, the authority) and the xstate machine generated
// from the same YAML (core/xstate.ts) agree on the active states at every step of random
// event sequences. Every event is a *happy* proposal for the chosen transition (valid
// signature, an allowed signer, inputs built from the current state, HLC inside its window),
// so what decides acceptance is the configuration plus the data the test steers on purpose
// (branches: clean/breach, valid/grace/expired, lift/keep).
//
// Per step, judged by the reducer first:
//   accepted              → xstate `can(event)` is true, and after the event leavesOf(xstate)
//                           equals activeLeaves(reducer state);
//   structural rejection  → `can(event)` is false and the event changes nothing in xstate
//                           (invalid_from_state, quarantined, terminated, guard_failed on
//                           `in_state`, or the licence gate while no licence is in force);
//   other rejections      → data guards (quorum, approvals, windows…): xstate is not asked.

import { createPrivateKey, createPublicKey, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialTransition, transition } from 'xstate';
import { loadMachine } from '../main/machine';
import { b64uDecode, b64uEncode } from './b64u';
import { publicKeyFromSigner, type Signer, type Verifier } from './crypto';
import { H } from './hash';
import type { ReduceResult } from './reduce';
import { isActive, type Spec, type TransitionSpec } from './spec';
import { activeLeaves, MIGRATION_ORDER, ROUTE_MODES, routeOrderProblem, type State } from './state';
import { fakeHash, licenseToken, makeCast, quorumInputs, type Cast, type NamedKey } from './testing/kit';
import { Scenario } from './testing/scenario';
import type { JsonObject, PolicyFinding } from './types';
import { checkWindow } from './window';
import { createSwooshMachine, leavesOf, xstateConfig, type SwooshEvent } from './xstate';

const spec: Spec = loadMachine();
const NAMES = Object.keys(spec.transitions);
const FULL_DENY = ['secret', 'pii', 'license:gpl'];
const DAY_MS = 86_400_000;

// ---- fast, equivalent crypto (RFC 8032 signatures are deterministic: same bytes as noble) ----

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

function nodeSigned(key: NamedKey): NamedKey {
  const priv = createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, key.secret]), format: 'der', type: 'pkcs8' });
  return { ...key, sign: (m) => b64uEncode(new Uint8Array(edSign(null, m, priv))) };
}

const keyCache = new Map<string, KeyObject | null>();
const nodeVerifier: Verifier = {
  verify(signer, message, signature) {
    let key = keyCache.get(signer);
    if (key === undefined) {
      const raw = publicKeyFromSigner(signer);
      key = raw === null ? null : createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
      keyCache.set(signer, key);
    }
    const sig = b64uDecode(signature);
    if (key === null || sig === null || sig.length !== 64) return false;
    return edVerify(null, message, key, sig);
  },
};

const base = makeCast({ operators: 3 });
const CAST: Cast = {
  operators: base.operators.map(nodeSigned),
  agents: base.agents.map(nodeSigned),
  council: base.council.map(nodeSigned),
  kaching: nodeSigned(base.kaching),
  mcp: nodeSigned(base.mcp),
  stranger: nodeSigned(base.stranger),
};

// ---- the twin: one project judged by the reducer, mirrored by the xstate machine ----------

type Verdict = 'accepted' | 'structural' | 'data';

interface Attempt {
  verdict: Verdict;
  result: ReduceResult;
  event: SwooshEvent;
}

/** Coverage over the whole file: accepted transitions and branches, structural rejections. */
const coverage = {
  accepted: new Map<string, number>(),
  branches: new Set<string>(),
  structural: new Map<string, number>(),
  data: new Map<string, number>(),
};
const bump = (m: Map<string, number>, k: string): void => {
  m.set(k, (m.get(k) ?? 0) + 1);
};

class Twin {
  readonly sc = new Scenario(spec, { cast: CAST }, nodeVerifier);
  readonly machine = createSwooshMachine(spec);
  snapshot = initialTransition(this.machine)[0];
  readonly log: string[] = [];

  get leaves(): string[] {
    return activeLeaves(this.sc.state);
  }

  /** Builds a happy proposal for `name` (`alt` picks variants and branches), judges it, mirrors it. */
  attempt(name: string, alt = 0): Attempt {
    const t = spec.transitions[name] as TransitionSpec;
    placeInWindow(this.sc, t);
    const plan = happy(this.sc, t, alt);
    const before = this.leaves;
    const result = this.sc.submit(this.sc.build(name, plan.inputs, plan.by));
    this.sc.wall_ms += 10;
    const verdict = classify(result, t, before);
    const branch = result.ok ? result.branch : plan.branch;
    const event: SwooshEvent = branch === null ? { type: name } : { type: name, branch };
    this.log.push(
      `${name}${branch === null ? '' : `[${branch}]`} → ${result.ok ? 'accepted' : `${result.rejection.code}${result.rejection.guard ? `/${result.rejection.guard}` : ''}`}`,
    );
    const where = () => `after\n  ${this.log.join('\n  ')}`;
    if (verdict === 'accepted') {
      bump(coverage.accepted, name);
      if (branch !== null) coverage.branches.add(`${name}[${branch}]`);
      expect(this.snapshot.can(event), `xstate cannot take ${name} that the reducer accepted, ${where()}`).toBe(true);
      this.snapshot = transition(this.machine, this.snapshot, event)[0];
      expect(leavesOf(this.snapshot), `configurations differ ${where()}`).toEqual(this.leaves);
    } else if (verdict === 'structural') {
      bump(coverage.structural, result.ok ? '' : result.rejection.code);
      expect(this.snapshot.can(event), `xstate can take ${name} that the reducer refused structurally, ${where()}`).toBe(false);
      this.snapshot = transition(this.machine, this.snapshot, event)[0];
      expect(leavesOf(this.snapshot), `a refused event moved xstate ${where()}`).toEqual(before);
      expect(this.leaves).toEqual(before);
    } else {
      bump(coverage.data, result.ok ? '' : `${result.rejection.code}/${result.rejection.guard ?? ''}`);
    }
    return { verdict, result, event };
  }

  /** attempt, insisting on the reducer's acceptance (hand-written sequences). */
  accept(name: string, alt = 0): Attempt {
    const a = this.attempt(name, alt);
    if (!a.result.ok)
      throw new Error(`${name} rejected: ${a.result.rejection.code}: ${a.result.rejection.reason}\n  ${this.log.join('\n  ')}`);
    return a;
  }

  /** attempt, insisting on a structural refusal with `code`. */
  refuse(name: string, code: string, alt = 0): Attempt {
    const a = this.attempt(name, alt);
    expect(a.result.ok ? 'accepted' : a.result.rejection.code, `${name}: ${this.log.join(' | ')}`).toBe(code);
    expect(a.verdict).toBe('structural');
    return a;
  }
}

function classify(result: ReduceResult, t: TransitionSpec, before: readonly string[]): Verdict {
  if (result.ok) return 'accepted';
  const { code, guard } = result.rejection;
  if (code === 'invalid_from_state' || code === 'quarantined' || code === 'terminated') return 'structural';
  if (code === 'guard_failed' && guard === 'in_state') return 'structural';
  // The licence gate (never a licence-exempt transition's own token guard) with no licence in force.
  const noLicence = before.includes('LICENSE.UNLICENSED') || before.includes('LICENSE.EXPIRED');
  if (code === 'guard_failed' && guard === 'license' && !t.license_exempt && noLicence) return 'structural';
  return 'data';
}

// ---- happy proposals ------------------------------------------------------------------

/** Puts the HLC inside one of the transition's windows (stays if one is open already). */
function placeInWindow(sc: Scenario, t: TransitionSpec): void {
  if (t.window === null) return;
  const schedule = sc.genesis.backbeat;
  if (checkWindow(schedule, t.window, sc.wall_ms).open) return;
  const first = schedule.windows[t.window[0] as string] as [number, number];
  sc.seekWindow(first[0] + 100);
}

interface Plan {
  inputs: JsonObject;
  by: Signer;
  /** The branch these inputs aim at (the reducer's choice is what xstate is told on acceptance). */
  branch: string | null;
}

const LICENCE_KINDS = ['valid', 'grace', 'expired'] as const;

/** A token that is valid / in grace / past grace at the scenario's wall time, never older than the one in force. */
function token(sc: Scenario, kind: (typeof LICENCE_KINDS)[number]): JsonObject {
  const issued_ms = sc.wall_ms - 2;
  const expires_ms = kind === 'valid' ? sc.wall_ms + 30 * DAY_MS : sc.wall_ms - 1;
  const grace_ms = kind === 'expired' ? 1 : DAY_MS;
  const tok = licenseToken(sc.cast.kaching, { licensee: sc.genesis.project, issued_ms, expires_ms, grace_ms });
  return { token: tok as unknown as JsonObject };
}

function signerFor(sc: Scenario, t: TransitionSpec, alt: number): Signer {
  const role = t.roles[alt % t.roles.length];
  if (role === 'operator') return sc.cast.operators[alt % sc.cast.operators.length] as Signer;
  if (role === 'council') return sc.cast.council[0] as Signer;
  return sc.agent;
}

function happy(sc: Scenario, t: TransitionSpec, alt: number): Plan {
  const s = sc.state;
  const by = signerFor(sc, t, alt);
  const plan = (inputs: JsonObject, branch: string | null = null, signer: Signer = by): Plan => ({ inputs, by: signer, branch });
  const reason = { reason: `${t.name} by the model check` };
  const finding = (kind: string): PolicyFinding => ({ kind, path: 'corpus/a.txt', detail: 'seen by SHHH' });
  switch (t.name) {
    case 'Boot_ConfigOk':
      return plan({ config_hash: H(sc.genesis) });
    case 'Boot_Licensed':
      return plan(token(sc, 'valid'));
    case 'License_Refresh': {
      const kind = LICENCE_KINDS[alt % 3] as (typeof LICENCE_KINDS)[number];
      return plan(token(sc, kind), kind);
    }
    case 'Ingestion_SourcesResolved':
      return plan({ sources: ['git://corpus/a', 'git://corpus/b'] });
    case 'Ingestion_BytesOk':
      return plan({ content_hash: fakeHash('bytes') });
    case 'Ingestion_SchemaOk': {
      const breach = alt % 2 === 1 && s.policy.deny.length > 0;
      const findings = breach ? [finding(s.policy.deny[alt % s.policy.deny.length] as string)] : [finding('style')];
      return plan({ findings: findings as unknown as JsonObject[] }, breach ? 'breach' : 'clean');
    }
    case 'Ingestion_CorpusBuilt':
      return plan({ content_hash: fakeHash('corpus'), version: `v${alt % 5}` });
    case 'Council_ProfilesLoaded':
      return plan({ roles: ['planner', 'reviewer'] });
    case 'Council_QuorumCert': {
      const ejected = new Set(s.council.ejected);
      return plan(
        quorumInputs(
          sc.cast.council.filter((c) => !ejected.has(c.signer)),
          s.epoch.council,
        ),
      );
    }
    case 'Council_McpGreen':
      return plan(sc.mcpGreen());
    case 'Council_ReElect':
      return plan({ ...reason, eject: [] });
    case 'Environment_CapacityOk':
      return plan({ allocations: [{ node: 'n1', cpu: 2 }] });
    case 'Environment_Installed':
      return plan({ assets: ['image:swoosh-worker@1'] });
    case 'Environment_Green':
      return plan({ env_hash: fakeHash('env') });
    case 'Environment_Amber':
      return plan({ reasons: ['disk at 91%'] });
    case 'Execution_AllReady':
      return plan({
        content_hash: s.ingestion.content_hash ?? fakeHash('no corpus'),
        version: s.ingestion.version ?? 'none',
        member_set_hash: s.council.member_set_hash ?? fakeHash('no council'),
        env_hash: s.environment.env_hash ?? fakeHash('no env'),
      });
    case 'Execution_PlanLocked':
      return plan({ plan_hash: fakeHash(`plan:${s.execution.loop}`) });
    case 'Execution_Approve': {
      // One approval per operator per beat: prefer an operator who has not approved yet.
      const beat = Math.floor((sc.wall_ms - s.execution.backbeat.epoch_ms) / s.execution.backbeat.period_ms);
      const done = new Set(s.execution.approvals.filter((a) => a.beat === beat).map((a) => a.signer));
      const op = sc.cast.operators.find((o) => !done.has(o.signer)) ?? (sc.cast.operators[0] as Signer);
      return plan({ note: 'looks good' }, null, op);
    }
    case 'Execution_Submit':
      return plan({ artifact_hash: fakeHash(`artifact:${s.execution.loop}`) });
    case 'Execution_BeatReviewGate':
    case 'Execution_ApprovalsThreshold':
    case 'Execution_NextWindow':
      return plan({});
    case 'Policy_Violation':
      return plan({
        rationale: 'SHHH flagged the corpus',
        findings: (alt % 2 === 0 ? [finding('secret')] : []) as unknown as JsonObject[],
      });
    case 'Policy_Update': {
      // Even alt: a policy that no longer denies the recorded findings (lifts a quarantine
      // that has findings); odd alt: the full deny list again (keeps it).
      const recorded = new Set(s.policy.findings.map((f) => f.kind));
      const deny = alt % 2 === 0 ? FULL_DENY.filter((k) => !recorded.has(k)) : FULL_DENY;
      const lifts = alt % 2 === 0 && s.policy.quarantined && s.policy.findings.length > 0;
      return plan({ policy: { version: s.policy.version + 1, deny } }, lifts ? 'lift' : 'keep');
    }
    case 'Quarantine_Release':
    case 'Quarantine_ConfirmBlock':
    case 'Migration_Restore':
      return plan({ justification: `${t.name}: reviewed by the operator` });
    case 'Migration_Route':
      return plan({ ...legalRoute(s, alt), justification: 'shadow results reviewed' });
    case 'Migration_Bypass':
      return plan({ reason: 'incident: roll back to WHOOSH' });
    default:
      // Ingestion_RollbackIndex, Execution_QuorumLost, Control_*: a reason.
      return plan(reason);
  }
}

/**
 * A route step the migration_order guard allows, the alt-th region first. One always
 * exists: execution, last in the order, can always move one step.
 */
function legalRoute(s: State, alt: number): { region: string; mode: string } {
  for (let k = 0; k < MIGRATION_ORDER.length; k += 1) {
    const region = MIGRATION_ORDER[(alt + k) % MIGRATION_ORDER.length] as (typeof MIGRATION_ORDER)[number];
    const at = ROUTE_MODES.indexOf(s.migration.routes[region]);
    for (const mode of [ROUTE_MODES[at + 1 - 2 * (alt % 2)], ROUTE_MODES[at - 1 + 2 * (alt % 2)]]) {
      if (mode !== undefined && routeOrderProblem({ ...s.migration.routes, [region]: mode }) === null) return { region, mode };
    }
  }
  throw new Error(`no legal route step from ${JSON.stringify(s.migration.routes)}`);
}

// ---- random sequences -----------------------------------------------------------------

/** Relative weights: disruptive transitions are rarer so that sequences also go deep. */
const WEIGHT: Record<string, number> = {
  Control_Pause: 1,
  Policy_Violation: 1,
  Quarantine_ConfirmBlock: 1,
  Execution_QuorumLost: 1,
  License_Refresh: 1,
  Policy_Update: 1,
  Ingestion_RollbackIndex: 1,
  Council_ReElect: 1,
  Environment_Deprovision: 1,
  Environment_Amber: 2,
  // Enabled in every non-terminal state: rare, or they would crowd out the lifecycle.
  Migration_Route: 1,
  Migration_Bypass: 1,
  Migration_Restore: 1,
};
const DEFAULT_WEIGHT = 8;

type Mode = 'any' | 'source' | 'enabled';

/**
 * The next transition: now and then any transition at all (exercises invalid_from_state);
 * often one whose source is active (the gates still refuse many of them); mostly one the
 * machine says it can take, so that sequences also go deep (EXECUTION, RECOVERY). The
 * choice only steers the walk: every chosen event is judged by both sides all the same.
 */
function pick(twin: Twin, step: { pick: number; alt: number; mode: Mode }): string {
  const leaves = twin.leaves;
  const fromActive = NAMES.filter((n) => (spec.transitions[n] as TransitionSpec).from.some((f) => isActive(leaves, f)));
  let pool = step.mode === 'any' ? NAMES : fromActive;
  if (step.mode === 'enabled') {
    const enabled = fromActive.filter((n) => {
      const branches = Object.keys(spec.transitions[n]?.branches ?? {});
      const events = branches.length === 0 ? [{ type: n }] : branches.map((branch) => ({ type: n, branch }));
      return events.some((e) => twin.snapshot.can(e));
    });
    if (enabled.length > 0) pool = enabled;
  }
  const weighted = pool.flatMap((n) => Array.from({ length: WEIGHT[n] ?? DEFAULT_WEIGHT }, () => n));
  return weighted[step.pick % weighted.length] as string;
}

const MODES: readonly Mode[] = ['any', 'source', 'source', 'source', 'enabled', 'enabled', 'enabled', 'enabled', 'enabled', 'enabled'];
const stepArb = fc.record({ pick: fc.nat(), alt: fc.nat(), mode: fc.constantFrom(...MODES) });

describe('xstate machine generated from the YAML', () => {
  it('starts in the configuration of state 0', () => {
    const twin = new Twin();
    expect(leavesOf(twin.snapshot)).toEqual(twin.leaves);
    expect(twin.leaves).toEqual(['CONTROL.RUNNING', 'FLOW.BOOT.UNINITIALIZED', 'LICENSE.UNLICENSED', 'POLICY.CLEAR']);
  });

  it('has a handler for every transition and only plain data in its config', () => {
    const { config, guards } = xstateConfig(spec);
    const text = JSON.stringify(config);
    expect(JSON.parse(text)).toEqual(config);
    for (const name of NAMES) expect(text).toContain(`"${name}"`);
    for (const g of Object.keys(guards)) expect(text).toContain(`"guard":"${g}"`);
  });

  it('selects cross-region handlers on the pre-event snapshot', () => {
    // Boot_Licensed moves FLOW out of LICENSE_CHECK and LICENSE into LICENSED in one step:
    // the LICENSE handler is guarded by "FLOW.BOOT.LICENSE_CHECK active", which would be
    // false if xstate evaluated it after the FLOW transition had run.
    const twin = new Twin();
    twin.accept('Boot_ConfigOk');
    twin.accept('Boot_Licensed');
    expect(leavesOf(twin.snapshot)).toContain('LICENSE.LICENSED');
    expect(leavesOf(twin.snapshot)).toContain('FLOW.PROJECT_LIFECYCLE.Ingestion.DISCOVER');
  });
});

describe('model check: reducer and xstate agree at every step', () => {
  it('on 200 random sequences of up to 60 happy proposals', () => {
    const depth: number[] = [];
    fc.assert(
      fc.property(fc.array(stepArb, { minLength: 20, maxLength: 60 }), (steps) => {
        const twin = new Twin();
        for (const step of steps) twin.attempt(pick(twin, step), step.alt);
        depth.push(twin.log.filter((l) => l === 'Execution_AllReady → accepted').length);
      }),
      { seed: 20260101, numRuns: 200 },
    );
    expect(depth.filter((d) => d > 0).length, 'runs that reached EXECUTION').toBeGreaterThanOrEqual(20);
    const missing = NAMES.filter((n) => !coverage.accepted.has(n));
    expect(missing, 'transitions never accepted by the random sequences').toEqual([]);
    const branches = NAMES.flatMap((n) => Object.keys(spec.transitions[n]?.branches ?? {}).map((b) => `${n}[${b}]`));
    expect(
      branches.filter((b) => !coverage.branches.has(b)),
      'branches never taken',
    ).toEqual([]);
    // Happy proposals fail data guards only where the walk itself breaks a rule (an operator
    // approving twice in a beat, too few approvals in this beat, a bypass while bypassed or
    // a restore while not): anything else means the generator stopped building happy
    // proposals and the check lost its reach.
    const walkRules = ['guard_failed/approval', 'guard_failed/approvals', 'guard_failed/migration_bypass'];
    expect([...coverage.data.keys()].filter((k) => !walkRules.includes(k))).toEqual([]);
    for (const code of ['invalid_from_state', 'quarantined', 'terminated', 'guard_failed']) {
      expect(coverage.structural.get(code) ?? 0, `structural ${code} refusals`).toBeGreaterThan(0);
    }
  }, 240_000); // ~10 s alone; leave room for a loaded 2-core machine
});

describe('hand-written sequences', () => {
  const toExecution = (twin: Twin): void => {
    for (const n of ['Boot_ConfigOk', 'Boot_Licensed']) twin.accept(n);
    for (const n of ['Ingestion_SourcesResolved', 'Ingestion_BytesOk', 'Ingestion_SchemaOk', 'Ingestion_CorpusBuilt']) twin.accept(n);
    for (const n of ['Council_ProfilesLoaded', 'Council_QuorumCert', 'Council_McpGreen']) twin.accept(n);
    for (const n of ['Environment_CapacityOk', 'Environment_Installed', 'Environment_Green']) twin.accept(n);
    twin.accept('Execution_AllReady');
  };

  it('round the REVERB loop twice', () => {
    const twin = new Twin();
    toExecution(twin);
    for (let loop = 0; loop < 2; loop += 1) {
      twin.accept('Execution_PlanLocked');
      twin.accept('Execution_BeatReviewGate');
      twin.accept('Execution_Approve');
      twin.accept('Execution_Approve');
      twin.accept('Execution_ApprovalsThreshold');
      twin.accept('Execution_Approve'); // the third operator, in REVERB: targetless too
      twin.refuse('Execution_BeatReviewGate', 'invalid_from_state');
      twin.accept('Execution_Submit');
      twin.accept('Execution_NextWindow');
    }
    expect(twin.leaves).toContain('FLOW.EXECUTION.PLAN');
  });

  it('pause during recovery, then resume and recover', () => {
    const twin = new Twin();
    toExecution(twin);
    twin.accept('Execution_QuorumLost');
    expect(twin.leaves).toContain('FLOW.RECOVERY');
    twin.accept('Control_Pause');
    twin.refuse('Control_Recover', 'invalid_from_state');
    twin.accept('Policy_Update', 1); // when_paused: still accepted
    twin.accept('Control_Resume');
    twin.accept('Control_Recover');
    expect(twin.leaves).toEqual([
      'CONTROL.RUNNING',
      'FLOW.PROJECT_LIFECYCLE.Council.ELECT',
      'FLOW.PROJECT_LIFECYCLE.Environment.READY',
      'FLOW.PROJECT_LIFECYCLE.Ingestion.READY',
      'LICENSE.LICENSED',
      'POLICY.CLEAR',
    ]);
    twin.accept('Council_QuorumCert');
    twin.accept('Council_McpGreen');
    twin.accept('Execution_AllReady');
  });

  it('breach → quarantine (sticky) → release, and a lifting policy update', () => {
    const twin = new Twin();
    for (const n of ['Boot_ConfigOk', 'Boot_Licensed', 'Ingestion_SourcesResolved', 'Ingestion_BytesOk']) twin.accept(n);
    expect(twin.accept('Ingestion_SchemaOk', 1).event.branch).toBe('breach');
    expect(twin.leaves).toContain('POLICY.QUARANTINED');
    expect(twin.leaves).toContain('FLOW.PROJECT_LIFECYCLE.Ingestion.VALIDATE');
    twin.refuse('Ingestion_SchemaOk', 'quarantined', 0);
    twin.refuse('Council_ProfilesLoaded', 'quarantined');
    twin.refuse('Control_Pause', 'quarantined');
    twin.accept('Quarantine_Release');
    expect(twin.leaves).toContain('POLICY.CLEAR');
    twin.refuse('Quarantine_Release', 'invalid_from_state');
    // Breach again; this time a policy that no longer denies the finding lifts it.
    expect(twin.accept('Ingestion_SchemaOk', 1).event.branch).toBe('breach');
    expect(twin.accept('Policy_Update', 1).event.branch).toBe('keep');
    expect(twin.leaves).toContain('POLICY.QUARANTINED');
    expect(twin.accept('Policy_Update', 0).event.branch).toBe('lift');
    expect(twin.leaves).toContain('POLICY.CLEAR');
    expect(twin.accept('Ingestion_SchemaOk', 0).event.branch).toBe('clean');
  });

  it('confirm block → TERMINATED accepts nothing', () => {
    const twin = new Twin();
    for (const n of ['Boot_ConfigOk', 'Boot_Licensed', 'Control_Pause', 'Policy_Violation']) twin.accept(n);
    twin.accept('Quarantine_ConfirmBlock');
    expect(twin.leaves).toEqual(['CONTROL.PAUSED', 'FLOW.TERMINATED', 'LICENSE.LICENSED', 'POLICY.QUARANTINED']);
    for (const name of NAMES) {
      for (let alt = 0; alt < 3; alt += 1) {
        const a = twin.attempt(name, alt);
        expect(a.result.ok ? 'accepted' : a.result.rejection.code).toBe('terminated');
        expect(twin.snapshot.can(a.event)).toBe(false);
      }
    }
  });

  it('licence grace, past grace, refresh', () => {
    const twin = new Twin();
    for (const n of ['Boot_ConfigOk', 'Boot_Licensed', 'Ingestion_SourcesResolved']) twin.accept(n);
    expect(twin.accept('License_Refresh', 1).event.branch).toBe('grace');
    expect(twin.leaves).toContain('LICENSE.GRACE');
    expect(twin.sc.state.control.mode).toBe('DEGRADED');
    twin.accept('Ingestion_BytesOk'); // grace still lets work through
    expect(twin.accept('License_Refresh', 2).event.branch).toBe('expired');
    expect(twin.leaves).toContain('LICENSE.EXPIRED');
    const refused = twin.refuse('Ingestion_SchemaOk', 'guard_failed');
    expect(refused.result.ok ? null : refused.result.rejection.guard).toBe('license');
    twin.refuse('Control_Pause', 'guard_failed');
    twin.refuse('Policy_Violation', 'guard_failed');
    twin.accept('License_Refresh', 0);
    expect(twin.leaves).toContain('LICENSE.LICENSED');
    twin.accept('Ingestion_SchemaOk');
    // Past grace inside a quarantine: only licence-exempt transitions get through.
    twin.accept('Policy_Violation');
    twin.accept('License_Refresh', 2);
    twin.refuse('Quarantine_Release', 'guard_failed');
    twin.accept('License_Refresh', 0);
    twin.accept('Quarantine_Release');
  });

  it('migration routing is data: accepted in BOOT, PAUSED, QUARANTINED and past grace, the configuration unchanged', () => {
    const twin = new Twin();
    twin.accept('Migration_Route'); // BOOT.UNINITIALIZED, no licence yet
    twin.accept('Migration_Bypass');
    for (const n of ['Boot_ConfigOk', 'Boot_Licensed', 'Control_Pause']) twin.accept(n);
    twin.accept('Migration_Restore');
    twin.accept('Policy_Violation');
    expect(twin.leaves).toEqual([
      'CONTROL.PAUSED',
      'FLOW.PROJECT_LIFECYCLE.Council.PLAN_ROLES',
      'FLOW.PROJECT_LIFECYCLE.Environment.ALLOCATE',
      'FLOW.PROJECT_LIFECYCLE.Ingestion.DISCOVER',
      'LICENSE.LICENSED',
      'POLICY.QUARANTINED',
    ]);
    const before = twin.leaves;
    twin.accept('Migration_Route', 1);
    twin.accept('Migration_Bypass');
    expect(twin.leaves).toEqual(before);
    twin.accept('License_Refresh', 2); // past grace: only licence-exempt transitions
    twin.refuse('Quarantine_Release', 'guard_failed');
    twin.accept('Migration_Restore');
    twin.accept('Migration_Route', 2);
    expect(twin.sc.state.epoch.migration).toBe(7); // one per accepted migration transition
  });

  it('covers every transition over the whole file', () => {
    expect(NAMES.filter((n) => !coverage.accepted.has(n))).toEqual([]);
  });
});
