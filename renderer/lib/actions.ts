// Signed operator actions (docs/protocol.md §2, §3, §5, §6): which ones the current state allows,
// and the exact unsigned proposal for one of them. Pure: the caller passes the clock
// reading and the random part of the idem key, so the same inputs build the same bytes.
//
// What is judged here and what is left to the orchestrator: the statechart configuration
// (source state active, not terminated, quarantine/pause gates), the signer's operator
// role and a non-empty justification are certain from the state, so they block. So is
// "one approval per operator per beat" for the payload shown: the reducer takes the beat
// from the proposal's HLC, which is in the payload, and the approvals from HEAD's state.
// The BACKBEAT window is shown as a warning: the console's clock is an estimate, the
// payload is restamped as it runs, and the orchestrator's answer is final.

import { canonicalize } from '../../core/canonical';
import { DOMAIN, proposalSigningBytes } from '../../core/crypto';
import { H, sha256Hex } from '../../core/hash';
import { aheadBy_ms, formatHlc, hlcSend, parseHlc, type Hlc } from '../../core/hlc';
import type { Spec } from '../../core/spec';
import { ROUTE_MODES, routeOrderProblem, signersWithRole, type State } from '../../core/state';
import { beatPosition, checkWindow, nextOpening_ms, type WindowCheck } from '../../core/window';
import type { Hash, JsonObject, MigrationRegion, Proposal, RouteMode } from '../../core/types';
import { enabledTransitions } from './spec';

export type UnsignedProposal = Omit<Proposal, 'signature'>;

export type OperatorTransition =
  | 'Execution_Approve'
  | 'Quarantine_Release'
  | 'Quarantine_ConfirmBlock'
  | 'Control_Pause'
  | 'Control_Resume'
  | MigrationTransition;
export type MigrationTransition = 'Migration_Route' | 'Migration_Bypass' | 'Migration_Restore';

export interface ActionDef {
  transition: OperatorTransition;
  /** The button's words: the dialog names the action it signs. */
  verb: string;
  /** The inputs field that carries the operator's justification. */
  field: 'note' | 'justification' | 'reason';
  fieldLabel: string;
  summary: string;
  tone: 'accent' | 'ok' | 'warn' | 'danger';
  /** Cannot be undone (TERMINATED is final). */
  irreversible: boolean;
  /** Inputs fixed by the button that opened the dialog (Migration_Route's region and mode). */
  fixed_inputs?: JsonObject;
}

export const OPERATOR_ACTIONS: readonly ActionDef[] = [
  {
    transition: 'Execution_Approve',
    verb: 'Approve REVERB',
    field: 'note',
    fieldLabel: 'Approval note',
    summary: 'Counts this operator towards the approvals that open REVERB in the current beat.',
    tone: 'accent',
    irreversible: false,
  },
  {
    transition: 'Quarantine_Release',
    verb: 'Release quarantine',
    field: 'justification',
    fieldLabel: 'Justification',
    summary: 'Lifts the quarantine and returns to the state before it.',
    tone: 'ok',
    irreversible: false,
  },
  {
    transition: 'Quarantine_ConfirmBlock',
    verb: 'Confirm block',
    field: 'justification',
    fieldLabel: 'Justification',
    summary: 'Confirms the breach: the project is TERMINATED and accepts nothing more.',
    tone: 'danger',
    irreversible: true,
  },
  {
    transition: 'Control_Pause',
    verb: 'Pause',
    field: 'reason',
    fieldLabel: 'Reason',
    summary: 'Pauses the orchestrator: only control, policy and licence transitions are accepted.',
    tone: 'warn',
    irreversible: false,
  },
  {
    transition: 'Control_Resume',
    verb: 'Resume',
    field: 'reason',
    fieldLabel: 'Reason',
    summary: 'Resumes from PAUSED.',
    tone: 'ok',
    irreversible: false,
  },
];

/** Longest justification the wire schema takes (docs/protocol.md §6 `reason`/`note`: 4096 chars). */
export const JUSTIFICATION_MAX = 4096;

/**
 * The migration actions (docs/migration.md): offered by the Migration view, not the Actions
 * list, because a route step is chosen per region (migrationRouteDef fixes region and mode).
 */
export const MIGRATION_ACTIONS: readonly ActionDef[] = [
  {
    transition: 'Migration_Route',
    verb: 'Route one step',
    field: 'justification',
    fieldLabel: 'Justification',
    summary: 'Moves one region one step along legacy → shadow → swoosh (or back one step).',
    tone: 'accent',
    irreversible: false,
  },
  {
    transition: 'Migration_Bypass',
    verb: 'Bypass to WHOOSH',
    field: 'reason',
    fieldLabel: 'Reason',
    summary: 'Emergency rollback: every region is served by WHOOSH (legacy) from the next request on, until Migration_Restore.',
    tone: 'danger',
    irreversible: false,
  },
  {
    transition: 'Migration_Restore',
    verb: 'Restore routes',
    field: 'justification',
    fieldLabel: 'Justification',
    summary: 'Clears the bypass: the routes in force before it apply again.',
    tone: 'ok',
    irreversible: false,
  },
];

export function actionDef(transition: string): ActionDef | null {
  return OPERATOR_ACTIONS.find((a) => a.transition === transition) ?? MIGRATION_ACTIONS.find((a) => a.transition === transition) ?? null;
}

/** Migration_Route for one region and target mode: the dialog signs exactly this step. */
export function migrationRouteDef(region: MigrationRegion, mode: RouteMode): ActionDef {
  const base = actionDef('Migration_Route') as ActionDef;
  return { ...base, verb: `Route ${region} → ${mode}`, tone: mode === 'swoosh' ? 'warn' : 'accent', fixed_inputs: { region, mode } };
}

/** What the migration guards will refuse, known from the state (the reducer's answer stays final). */
export function migrationProblems(state: State, transition: string, fixed: JsonObject | undefined): string[] {
  const m = state.migration;
  if (transition === 'Migration_Bypass') return m.bypass ? [`already bypassed (${m.bypass_reason ?? ''}): restore first`] : [];
  if (transition === 'Migration_Restore') return m.bypass ? [] : ['not bypassed: nothing to restore'];
  if (transition !== 'Migration_Route') return [];
  const region = fixed?.region as MigrationRegion | undefined;
  const mode = fixed?.mode as RouteMode | undefined;
  if (!region || !mode || !(region in m.routes) || !ROUTE_MODES.includes(mode)) return ['choose a region and a mode'];
  const current = m.routes[region];
  if (mode === current) return [`${region} is already "${mode}"`];
  if (Math.abs(ROUTE_MODES.indexOf(mode) - ROUTE_MODES.indexOf(current)) !== 1) return [`${region} "${current}" → "${mode}" skips a step`];
  const order = routeOrderProblem({ ...m.routes, [region]: mode });
  return order === null ? [] : [order];
}

export interface ActionOption {
  def: ActionDef;
  /** The configuration allows it (its source state is active and no gate holds it). */
  allowed: boolean;
  /** Why not, when not allowed. */
  blocked: string[];
}

/** Every operator action with whether the current configuration allows it. */
export function actionOptions(spec: Spec, state: State, defs: readonly ActionDef[] = OPERATOR_ACTIONS): ActionOption[] {
  const enabled = new Map(enabledTransitions(spec, state).map((e) => [e.transition.name, e.blocked]));
  return defs
    .filter((def) => spec.transitions[def.transition] !== undefined)
    .map((def) => {
      const blocked = enabled.get(def.transition);
      if (blocked === undefined) return { def, allowed: false, blocked: [notHereReason(def, state)] };
      return { def, allowed: blocked.length === 0, blocked };
    });
}

function notHereReason(def: ActionDef, state: State): string {
  switch (def.transition) {
    case 'Execution_Approve':
      return state.execution.phase === null
        ? 'EXECUTION has not started'
        : `EXECUTION is in ${state.execution.phase}, approvals are taken in REVIEW or REVERB`;
    case 'Quarantine_Release':
    case 'Quarantine_ConfirmBlock':
      return 'not quarantined';
    case 'Control_Pause':
      return state.control.paused ? 'already paused' : state.control.terminated ? 'terminated' : 'CONTROL is not RUNNING';
    case 'Control_Resume':
      return 'not paused';
    case 'Migration_Route':
    case 'Migration_Bypass':
    case 'Migration_Restore':
      return 'terminated';
  }
}

/**
 * What awaits a person: a quarantine to release, or a REVIEW/REVERB whose approvals have
 * not yet reached the council's threshold (once they have, the loop goes on without one
 * more, so the header does not ask for it).
 */
export function awaitingOperator(spec: Spec, state: State): ActionDef[] {
  return actionOptions(spec, state)
    .filter(
      (o) => o.allowed && (o.def.transition === 'Quarantine_Release' || (o.def.transition === 'Execution_Approve' && !approvalsMet(state))),
    )
    .map((o) => o.def);
}

/** The gate's beat has as many approvals as the threshold asks (the approvals guard will pass). */
function approvalsMet(state: State): boolean {
  const gate_beat = state.execution.beat;
  const approved = state.execution.approvals.filter((a) => a.beat === gate_beat).length;
  return approved >= state.council.threshold;
}

/** The next HLC after `hlc_last` at physical time now_ms (Kulkarni send rule, docs/protocol.md §3). */
export function nextHlc(hlc_last: string | null, now_ms: number): Hlc {
  const physical_ms = Math.max(0, Math.floor(now_ms));
  const last = hlc_last === null ? null : parseHlc(hlc_last);
  return last === null ? { wall_ms: physical_ms, counter: 0 } : hlcSend(last, physical_ms);
}

export interface BuildInput {
  spec: Spec;
  head: { hash: Hash; state: State };
  transition: OperatorTransition;
  /** The operator's justification, as typed (trimmed here). */
  text: string;
  /** The key that will sign (`hmmm:ed25519:…`). */
  signer: string;
  now_ms: number;
  /** Random part of the idem key (crypto.randomUUID in the console). */
  uuid: string;
  /** Inputs fixed by the action (ActionDef.fixed_inputs); the justification is added to them. */
  fixed_inputs?: JsonObject;
}

export interface BuiltAction {
  unsigned: UnsignedProposal;
  /** H(unsigned): the hash of exactly the payload shown. */
  payload_hash: Hash;
  /** Hex sha256 of the bytes the signature covers (domain + JCS without inputs and signature). */
  signed_bytes_sha256: string;
  /** The signed text, for display: `SWOOSH-PROPOSAL-V1\n{…}`. */
  signed_text: string;
  /** For gated transitions: the window the HLC falls in, and whether it is open. */
  window: WindowCheck | null;
  /** Certain failures: the button stays disabled while any is present. */
  problems: string[];
  /** Likely failures the orchestrator will judge (window, duplicate approval, clock). */
  warnings: string[];
}

function identityOf(state: State, signer: string): { id: string; roles: string[] } | null {
  return state.boot.identities.find((i) => i.signer === signer) ?? null;
}

/** The unsigned proposal for one operator action, with what can be told about it in advance. */
export function buildAction(b: BuildInput): BuiltAction {
  const { spec, head, transition, signer } = b;
  const state = head.state;
  const def = actionDef(transition);
  const t = spec.transitions[transition];
  const problems: string[] = [];
  const warnings: string[] = [];
  if (!def || !t) problems.push(`${transition} is not an operator action of this machine`);
  const text = b.text.trim();
  if (text === '') problems.push(`${def?.fieldLabel ?? 'Justification'} is required`);
  if (text.length > JUSTIFICATION_MAX) problems.push(`at most ${JUSTIFICATION_MAX} characters (${text.length})`);
  const who = identityOf(state, signer);
  if (who === null) problems.push('this key is not a signer of the project (genesis)');
  else if (!who.roles.includes('operator')) problems.push(`${who.id} does not hold the operator role`);
  const option = def ? actionOptions(spec, state, [def]).find((o) => o.def.transition === transition) : undefined;
  if (option && !option.allowed) problems.push(...option.blocked.map((r) => `not allowed now: ${r}`));
  problems.push(...migrationProblems(state, transition, b.fixed_inputs));

  const hlc = nextHlc(state.hlc_last, b.now_ms);
  const schedule = state.execution.backbeat;
  const position = beatPosition(schedule, hlc.wall_ms);
  const classes = t?.window ?? null;
  const window = classes && classes.length > 0 ? checkWindow(schedule, classes, hlc.wall_ms) : null;
  if (window && !window.open) {
    const next = Math.min(...classes!.map((c) => nextOpening_ms(schedule, c, hlc.wall_ms) ?? Infinity));
    const when = Number.isFinite(next) ? ` (opens in ${Math.ceil((next - hlc.wall_ms) / 1000)} s)` : '';
    warnings.push(`the ${classes!.join(' / ')} window is closed at this HLC${when}: the orchestrator will answer guard_failed (window)`);
  }
  if (transition === 'Execution_Approve' && state.execution.approvals.some((a) => a.signer === signer && a.beat === position.beat)) {
    problems.push(
      `${who?.id ?? 'this key'} already approved beat ${position.beat}: one approval per operator per beat (the next beat takes a new one)`,
    );
  }
  const ahead_ms = aheadBy_ms(hlc, b.now_ms);
  if (ahead_ms > state.meta.max_drift_ms) {
    warnings.push(`the HLC is ${ahead_ms} ms ahead of this console's clock (HEAD's HLC is in its future): check the clock`);
  }

  const inputs: JsonObject = { ...(b.fixed_inputs ?? {}), [def?.field ?? 'justification']: text };
  const unsigned: UnsignedProposal = {
    current_state_hash: head.hash,
    transition,
    inputs,
    inputs_hash: H(inputs),
    signer,
    idem_key: `${state.meta.project}:${position.beat}:${transition}:${b.uuid}`,
    hlc: formatHlc(hlc),
    window_id: window ? position.window_id : null,
    evidence: [],
  };
  const signedBody: Record<string, unknown> = { ...unsigned };
  delete signedBody.inputs;
  return {
    unsigned,
    payload_hash: H(unsigned),
    signed_bytes_sha256: sha256Hex(proposalSigningBytes(unsigned)),
    signed_text: DOMAIN.proposal + canonicalize(signedBody),
    window,
    problems,
    warnings,
  };
}

/** Operators of the project (genesis identities with the operator role). */
export function operatorSigners(state: State): string[] {
  return signersWithRole(state, 'operator');
}

/** A key the dialog can sign with (the key store's listing, never a secret). */
export interface SigningKey {
  id: string;
  signer: string;
  unlocked: boolean;
}

/** Keys of the project's operators first, unlocked before locked: the dialog's default is the first. */
export function signingKeysFirst<K extends SigningKey>(keys: readonly K[], state: State | null): K[] {
  const ops = new Set(state ? operatorSigners(state) : []);
  return [...keys].sort((a, b) => Number(ops.has(b.signer)) - Number(ops.has(a.signer)) || Number(b.unlocked) - Number(a.unlocked));
}

/** Why the dialog's submit button is disabled, or null when it may sign (shown beside the button). */
export function submitBlock(built: BuiltAction | null, key: SigningKey | null): string | null {
  if (!key) return 'no key: import one in Actions › Operator keys';
  if (!built) return 'waiting for HEAD';
  if (built.problems.length > 0) return built.problems[0] as string;
  if (!key.unlocked) return 'unlock the key first';
  return null;
}

/**
 * What an answer about a payload is about: the payload apart from its clock reading (it is
 * restamped every few seconds within the same window), and the window it falls in. A
 * refusal stops applying once this changes: HEAD moved, the text, key or beat changed,
 * or the window opened or closed.
 */
export function payloadSubject(built: BuiltAction): Hash {
  const { hlc: _clock, ...rest } = built.unsigned;
  return H({ ...rest, window: built.window ? (built.window.open_class ?? 'closed') : null });
}

// windowCountdown lives beside actionWindow (the one source of "which window, how long").
export { windowCountdown } from './backbeat';
