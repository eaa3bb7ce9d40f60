// In-band faults for the seeded workload: duplicates, reorderings, wrong signers, stale
// hashes, out-of-window and regressing HLCs, tampered envelopes, breaches, pauses, quorum
// loss, compensations, licence changes, and an operator's migration routing steps (legal
// and refused), so chaos and the invariants cover Migration_*. Each builder looks at the driver's HEAD, declines
// (false) when it does not apply, or submits one to three proposals with the outcome it
// was built to provoke.

import { H } from '../hash';
import { DOMAIN, signDoc, type Signer } from '../crypto';
import { formatHlc, parseHlc, type Hlc } from '../hlc';
import { eligibleMembers, memberSetHash } from '../guards/quorum';
import { reduce } from '../reduce';
import { MIGRATION_ORDER, ROUTE_MODES, routeOrderProblem, type State } from '../state';
import type { JsonObject, MigrationRegion, MigrationRoutes, PolicyFinding, Proposal, RouteMode, SignerId } from '../types';
import type { NamedKey } from '../fixtures/cast';
import { fakeHash, licenseToken } from '../fixtures/documents';
import { windowIdAt } from '../fixtures/time';
import { ACCEPT, type Intent, type StreamDriver } from './driver';

const B64U_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

function clone<T>(x: T): T {
  return JSON.parse(JSON.stringify(x)) as T;
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
    // A window_id that is not the HLC's is wrong_window; the HLC's own window_id at a
    // time its class is closed fails the window guard (docs/protocol.md §5).
    const expect = d.rejectAs(d.state, i.transition, ['wrong_window']);
    if (t.window === null) {
      d.submit('out_of_window', d.build(i, { window_id: windowIdAt(d.schedule, i.at) }), expect);
      return true;
    }
    if (v(d, variant, 2) === 0) {
      const at = d.closedAt(Math.max(i.at, d.now_ms + 1), t.window);
      if (at === null) return false;
      // The server clock reads the proposal's time, so hlc_from_future does not answer first.
      const closed = d.rejectAs(d.state, i.transition, ['guard_failed'], 'window');
      d.submit('out_of_window', d.build(i, { hlc: { wall_ms: at, counter: 0 } }), closed, at);
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
      const i: Intent = {
        transition: 'Ingestion_SchemaOk',
        inputs: { findings: findings as unknown as JsonObject[] },
        by: ag,
        at: t,
        expect: ACCEPT,
      };
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
    const i: Intent = {
      transition: 'Control_Pause',
      inputs: { reason: 'operator break' },
      by: d.pickOperator(),
      at: d.draft(),
      expect: ACCEPT,
    };
    d.submit('pause', d.build(i), ACCEPT);
    return true;
  },

  quorum_loss(d) {
    const s = d.state;
    if (!licensed(s) || !calm(s) || s.execution.phase === null) return false;
    const i: Intent = {
      transition: 'Execution_QuorumLost',
      inputs: { reason: 'two council members unreachable' },
      by: d.agent,
      at: d.draft(),
      expect: ACCEPT,
    };
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
    const i: Intent = {
      transition: 'Quarantine_ConfirmBlock',
      inputs: { justification: 'confirmed leak' },
      by: d.pickOperator(),
      at: d.draft(),
      expect: ACCEPT,
    };
    d.submit('confirm_block', d.build(i), ACCEPT);
    return true;
  },

  /**
   * An operator's routing step of a migration from WHOOSH (docs/protocol.md §12), signed
   * like any operator action: a legal Migration_Route step (accepted), one the order rule
   * refuses (guard migration_order), a bypass or restore that applies (accepted), or one
   * that does not (guard migration_bypass). Accepted in every non-terminal state.
   */
  migration(d, variant) {
    const s = d.state;
    if (s.control.terminated) return false;
    const k = v(d, variant, 4);
    const op = d.pickOperator();
    const at = d.draft();
    let i: Intent;
    if (k < 2) {
      const moves = routeMoves(s.migration.routes).filter((m) => m.legal === (k === 0));
      if (moves.length === 0) return false;
      const m = d.rng.pick(moves);
      const expect = m.legal ? ACCEPT : d.rejectAs(s, 'Migration_Route', ['guard_failed'], 'migration_order');
      const inputs = { region: m.region, mode: m.mode, justification: `chaos: route ${m.region} to ${m.mode}` };
      i = { transition: 'Migration_Route', inputs, by: op, at, expect };
    } else {
      const applies = k === 2;
      // Bypass applies while not bypassed, Restore while bypassed.
      const transition = applies === s.migration.bypass ? 'Migration_Restore' : 'Migration_Bypass';
      const inputs: JsonObject =
        transition === 'Migration_Bypass' ? { reason: 'chaos: emergency rollback' } : { justification: 'chaos: cause fixed' };
      const expect = applies ? ACCEPT : d.rejectAs(s, transition, ['guard_failed'], 'migration_bypass');
      i = { transition, inputs, by: op, at, expect };
    }
    d.submit('migration', d.build(i), i.expect);
    return true;
  },
} satisfies Record<string, Fault>;

export type FaultKind = keyof typeof FAULTS;
export const FAULT_KINDS = Object.keys(FAULTS) as FaultKind[];

/** Relative weights; state-changing detours are rarer so that streams reach EXECUTION. */
const WEIGHTS: Readonly<Record<FaultKind, number>> = {
  duplicate: 8,
  reorder: 8,
  stranger: 4,
  wrong_role: 5,
  forged: 3,
  stale: 6,
  out_of_window: 8,
  hlc_regression: 6,
  future: 3,
  tamper_inputs: 4,
  tamper_signature: 4,
  tamper_envelope: 3,
  malformed: 4,
  unknown_transition: 2,
  invalid_from: 4,
  breach: 3,
  pause: 3,
  quorum_loss: 2,
  compensation: 4,
  guard_fail: 8,
  license: 3,
  policy_update: 2,
  // Applies only while QUARANTINED (usually one or two steps), hence the large weight.
  confirm_block: 15,
  migration: 3,
};

/** Every (region, mode) a Migration_Route could name, and whether the migration_order guard would accept it. */
export function routeMoves(routes: MigrationRoutes): Array<{ region: MigrationRegion; mode: RouteMode; legal: boolean }> {
  return MIGRATION_ORDER.flatMap((region) =>
    ROUTE_MODES.map((mode) => {
      const step = Math.abs(ROUTE_MODES.indexOf(mode) - ROUTE_MODES.indexOf(routes[region])) === 1;
      return { region, mode, legal: step && routeOrderProblem({ ...routes, [region]: mode }) === null };
    }),
  );
}

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
      const token = licenseToken(d.cast.kaching, {
        licensee: 'another-project',
        issued_ms: i.at - 1000,
        expires_ms: i.at + 86_400_000,
        grace_ms: 0,
      });
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
      const forged = good.members.map((m) =>
        signDoc(d.cast.stranger, DOMAIN.vote, { voter: m, member_set_hash: good.member_set_hash, council_epoch: s.epoch.council }),
      );
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

export function chooseFault(d: StreamDriver, excluded: ReadonlySet<string>): FaultKind {
  const kinds = FAULT_KINDS.filter((k) => !excluded.has(k));
  const total = kinds.reduce((n, k) => n + WEIGHTS[k], 0);
  let x = d.rng.int(Math.max(1, total));
  for (const k of kinds) {
    x -= WEIGHTS[k];
    if (x < 0) return k;
  }
  return kinds[0] as FaultKind;
}
