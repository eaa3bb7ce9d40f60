// reduce(head, proposal) → the next state with its WAL record body, or a rejection.
//
// Total: every input (including garbage) yields one of the two, never a throw. Checks run
// in the order docs/protocol.md §5 fixes, the first failing one answers:
//   malformed → (idem lookup: the host's, it owns the index) → bad_signature →
//   inputs_hash_mismatch → unknown_signer → unknown_transition → role_denied →
//   terminated / quarantined → stale_state_hash → hlc_from_future / hlc_regression →
//   invalid_from_state → wrong_window (a window_id that is not the HLC's) → guards
//   (guard_failed; the window guard first, then the licence gate and the others).
// hlc_from_future needs the server's clock, so it runs only when the caller passes an
// `admission` time (live proposals); replay passes none and judges the record exactly as
// it was judged when it was accepted.

import { canonicalize } from './canonical';
import { proposalSigningBytes, type Verifier } from './crypto';
import { EFFECTS, type EffectContext } from './effects';
import { GUARDS, type GuardContext, type GuardResult } from './guards';
import { licenseGate } from './guards/license';
import { H } from './hash';
import { compareOrderKey, formatHlc, parseHlc, type Hlc } from './hlc';
import { activeLeaves, deriveMode, isRegionKey, REGION_KEYS, type State } from './state';
import { isActive, type Spec, type TransitionSpec } from './spec';
import type { GuardOutcome, Hash, Proposal, RecordBody, Rejection, RejectionCode } from './types';
import { checkWindow } from './window';
import { validateProposal } from './wire';

export interface Head {
  state: State;
  hash: Hash;
}

export interface ReduceDeps {
  spec: Spec;
  verifier: Verifier;
  /** Optional faster state hasher (the host plugs in node:crypto); must equal H. */
  hashState?: (s: State) => Hash;
  /**
   * Optional faster canonicalize for state regions (the host plugs in a cache by object
   * identity, sound because effects replace regions and never mutate them); must equal
   * canonicalize.
   */
  canonicalRegion?: (region: unknown) => string;
}

/** Live admission only: the server's wall clock, for hlc_from_future. */
export interface Admission {
  now_ms: number;
}

export interface Accepted {
  ok: true;
  state: State;
  hash: Hash;
  body: RecordBody;
  /** The data-dependent branch taken (licence status, breach, lift), if the transition has branches. */
  branch: string | null;
}

export interface Rejected {
  ok: false;
  rejection: Rejection;
}

export type ReduceResult = Accepted | Rejected;

function reject(code: RejectionCode, reason: string, extra: Partial<Rejection> = {}): Rejected {
  return { ok: false, rejection: { code, reason, ...extra } };
}

/**
 * What the caller has already established about the input, so that reduce does not redo
 * it. Explicit, never inferred; the judgement and its result are the same either way.
 */
export interface Prechecked {
  /** `input` is the `proposal` of an ok `validateProposal(input)`: it is not validated again. */
  validated?: true;
  /**
   * The caller verified `p.signature` over `proposalSigningBytes(p)` under `p.signer` and it
   * holds (the host verifies on worker threads while proposals queue). Only a true verdict
   * is passed this way; without it reduce verifies through `deps.verifier` as usual.
   */
  signature_verified?: true;
}

/** Which envelope checks to run; everything after the envelope always runs. */
interface EnvelopeChecks {
  signature: boolean;
  inputs_hash: boolean;
}

export function reduce(head: Head, input: unknown, deps: ReduceDeps, admission?: Admission, pre: Prechecked = {}): ReduceResult {
  try {
    return reduceChecked(head, input, deps, admission, pre);
  } catch (err) {
    // Unreachable by construction (every input is validated first). A bug must never take
    // the host down or half-apply a proposal, and must never be blamed on the caller:
    // `internal` is answered 500, logged and counted by the host.
    return reject('internal', `internal error while judging the proposal: ${errorText(err)}`);
  }
}

function reduceChecked(head: Head, input: unknown, deps: ReduceDeps, admission: Admission | undefined, pre: Prechecked): ReduceResult {
  let p: Proposal;
  if (pre.validated) {
    p = input as Proposal;
  } else {
    const parsed = validateProposal(input);
    if (!parsed.ok) return reject('malformed', `${parsed.error.path}: ${parsed.error.reason}`);
    p = parsed.proposal;
  }
  const stepped = step(head, p, deps, admission, { signature: pre.signature_verified !== true, inputs_hash: true });
  if (!stepped.ok) return stepped;
  return finishRecord(head, p, stepped, deps);
}

/** A judged, applied transition before its state hash and record body. */
interface Stepped {
  ok: true;
  state: State;
  t: TransitionSpec;
  hlcText: string;
  judged: { outcomes: GuardOutcome[]; branch: string | null };
  branch: string | null;
}

function step(head: Head, p: Proposal, deps: ReduceDeps, admission: Admission | undefined, checks: EnvelopeChecks): Stepped | Rejected {
  const envelope = checkEnvelope(head.state, p, deps, checks);
  if (envelope) return envelope;
  const t = deps.spec.transitions[p.transition] as TransitionSpec;
  const leaves = activeLeaves(head.state);
  const hlc = parseHlc(p.hlc) as Hlc;
  const order = checkOrder(head, p, t, hlc, leaves, admission);
  if (order) return order;
  const windowResult = checkWindowFor(head.state, p, t, hlc);
  if (!windowResult.ok) return windowResult.rejected;
  const ctx: GuardContext = { state: head.state, proposal: p, transition: t, wall_ms: hlc.wall_ms, verifier: deps.verifier, leaves };
  const judged = runGuards(ctx, windowResult.outcome);
  if (!judged.ok) return judged.rejected;
  return apply(head, p, t, hlc, judged, windowResult, deps.canonicalRegion ?? canonicalize);
}

/**
 * Replay of a stored WAL record's proposal, for a host whose record-hash chain already
 * authenticates the record's bytes (it checks each record's hash and link before this).
 * Skips what the chain covers and what was established when the record was accepted:
 * schema validation, the signature and the inputs_hash binding; and it does not hash
 * the new state. The caller must compare the state's hash with the records'
 * state_post_hash at the end of every replayed range, and on a mismatch (or a rejection)
 * replay that range through `reduce` to name the first bad record. Every other check
 * (signer, role, order, window, guards) and the effect run exactly as in `reduce`.
 */
export function replayStored(head: Head, proposal: Proposal, deps: ReduceDeps): { ok: true; state: State } | Rejected {
  try {
    const stepped = step(head, proposal, deps, undefined, { signature: false, inputs_hash: false });
    return stepped.ok ? { ok: true, state: stepped.state } : stepped;
  } catch (err) {
    // A record whose bytes are not a valid proposal can only come from a forged chain;
    // reject it so that the caller re-runs the range through `reduce`, which names it.
    return reject('internal', `internal error while replaying the record: ${errorText(err)}`);
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/** Signature, inputs binding, signer, transition and role: who may say what. */
function checkEnvelope(s: State, p: Proposal, deps: ReduceDeps, checks: EnvelopeChecks): Rejected | null {
  if (checks.signature && !deps.verifier.verify(p.signer, proposalSigningBytes(p), p.signature)) {
    return reject('bad_signature', 'signature does not verify over SWOOSH-PROPOSAL-V1 + JCS(proposal without signature and inputs)');
  }
  if (checks.inputs_hash) {
    const inputsHash = H(p.inputs);
    if (inputsHash !== p.inputs_hash) return reject('inputs_hash_mismatch', `inputs_hash ${p.inputs_hash} is not H(inputs) ${inputsHash}`);
  }
  const identity = s.boot.identities.find((i) => i.signer === p.signer);
  if (!identity) return reject('unknown_signer', `${p.signer} is not a signer of the genesis`);
  const t = Object.hasOwn(deps.spec.transitions, p.transition) ? deps.spec.transitions[p.transition] : undefined;
  if (!t) return reject('unknown_transition', `no transition named ${p.transition}`);
  if (!identity.roles.some((r) => t.roles.includes(r))) {
    return reject('role_denied', `${identity.id} has roles [${identity.roles.join(', ')}]; ${t.name} needs one of [${t.roles.join(', ')}]`);
  }
  if (s.control.terminated) return reject('terminated', 'the project is TERMINATED and accepts nothing');
  if (s.policy.quarantined && !t.when_quarantined) {
    return reject(
      'quarantined',
      `the project is QUARANTINED (${s.policy.rationale.join('; ') || 'no rationale'}); only Quarantine_Release, Policy_Update, Quarantine_ConfirmBlock and License_Refresh are accepted`,
    );
  }
  return null;
}

/** Optimistic concurrency, then HLC admission and order, then the statechart source. */
function checkOrder(
  head: Head,
  p: Proposal,
  t: TransitionSpec,
  hlc: Hlc,
  leaves: readonly string[],
  admission?: Admission,
): Rejected | null {
  if (p.current_state_hash !== head.hash) {
    return reject('stale_state_hash', `current_state_hash ${p.current_state_hash} is not HEAD`, { head_hash: head.hash });
  }
  const s = head.state;
  if (admission && hlc.wall_ms - admission.now_ms > s.meta.max_drift_ms) {
    return reject(
      'hlc_from_future',
      `hlc is ${hlc.wall_ms - admission.now_ms} ms ahead of the server clock; max_drift_ms ${s.meta.max_drift_ms}`,
    );
  }
  if (s.hlc_last !== null) {
    const last = { hlc: parseHlc(s.hlc_last) as Hlc, signer: s.meta.last_signer ?? '', idem_key: s.meta.last_idem_key ?? '' };
    if (compareOrderKey({ hlc, signer: p.signer, idem_key: p.idem_key }, last) <= 0) {
      return reject(
        'hlc_regression',
        `(hlc, signer, idem_key) is not after the last applied (${s.hlc_last}, ${last.signer}, ${last.idem_key})`,
      );
    }
  }
  if (!t.from.some((path) => isActive(leaves, path))) {
    return reject('invalid_from_state', `${t.name} is enabled in [${t.from.join(', ')}]; active: [${leaves.join(', ')}]`);
  }
  if (s.control.paused && !t.when_paused) {
    return reject('invalid_from_state', `the project is PAUSED (${s.control.last_reason ?? ''}); ${t.name} waits for Control_Resume`);
  }
  return null;
}

type WindowResult = { ok: true; outcome: GuardOutcome | null; beat: number; window_id: string | null } | { ok: false; rejected: Rejected };

function checkWindowFor(s: State, p: Proposal, t: TransitionSpec, hlc: Hlc): WindowResult {
  const check = checkWindow(s.execution.backbeat, t.window ?? [], hlc.wall_ms);
  if (t.window === null) {
    if (p.window_id !== null) return { ok: false, rejected: reject('wrong_window', `${t.name} is not time-gated; window_id must be null`) };
    return { ok: true, outcome: null, beat: check.position.beat, window_id: null };
  }
  if (p.window_id !== check.position.window_id) {
    return {
      ok: false,
      rejected: reject(
        'wrong_window',
        `window_id ${String(p.window_id)} is not the window of the proposal's hlc (${check.position.window_id})`,
      ),
    };
  }
  // The window_id is the HLC's window, so what remains is the window guard itself
  // (docs/protocol.md §5): a closed window is guard_failed, the first guard outcome.
  if (!check.open) return { ok: false, rejected: windowGuardFailed(check.reasons) };
  return { ok: true, outcome: { guard: 'window', ok: true, reasons: check.reasons }, beat: check.position.beat, window_id: p.window_id };
}

function windowGuardFailed(reasons: string[]): Rejected {
  const outcome: GuardOutcome = { guard: 'window', ok: false, reasons };
  return reject('guard_failed', `guard window failed: ${reasons.join('; ')}`, { guard: 'window', reasons, guard_outcomes: [outcome] });
}

type Judged = { ok: true; outcomes: GuardOutcome[]; branch: string | null } | { ok: false; rejected: Rejected };

/** Licence gate, structural requirements, then the transition's guards in YAML order. */
function runGuards(ctx: GuardContext, windowOutcome: GuardOutcome | null): Judged {
  const outcomes: GuardOutcome[] = windowOutcome ? [windowOutcome] : [];
  let branch: string | null = null;
  const steps: Array<{ result: () => GuardResult; divert?: string }> = [];
  if (!ctx.transition.license_exempt) steps.push({ result: () => licenseGate(ctx) });
  if (ctx.transition.requires_in.length > 0) steps.push({ result: () => requiresIn(ctx) });
  for (const name of ctx.transition.guards) {
    const def = GUARDS[name];
    if (def) steps.push({ result: () => def.check(ctx), divert: def.divert });
  }
  for (const step of steps) {
    const r = step.result();
    outcomes.push({ guard: r.guard, ok: r.ok, reasons: r.reasons });
    if (r.branch !== undefined) branch = r.branch;
    if (!r.ok && step.divert !== undefined) {
      branch = step.divert;
    } else if (!r.ok) {
      const reason = `guard ${r.guard} failed: ${r.reasons.join('; ')}`;
      return { ok: false, rejected: reject('guard_failed', reason, { guard: r.guard, reasons: r.reasons, guard_outcomes: outcomes }) };
    }
  }
  return { ok: true, outcomes, branch };
}

function requiresIn(ctx: GuardContext): GuardResult {
  const missing = ctx.transition.requires_in.filter((path) => !isActive(ctx.leaves, path));
  if (missing.length === 0) return { guard: 'in_state', ok: true, reasons: [`in ${ctx.transition.requires_in.join(', ')}`] };
  return { guard: 'in_state', ok: false, reasons: missing.map((path) => `not in ${path}`) };
}

function apply(
  head: Head,
  p: Proposal,
  t: TransitionSpec,
  hlc: Hlc,
  judged: { outcomes: GuardOutcome[]; branch: string | null },
  win: { beat: number; window_id: string | null },
  canonical: (v: unknown) => string,
): Stepped {
  const effect = EFFECTS[t.name];
  const ctx: EffectContext = {
    inputs: p.inputs,
    signer: p.signer,
    wall_ms: hlc.wall_ms,
    beat: win.beat,
    window_id: win.window_id,
    branch: judged.branch,
    guard_outcomes: judged.outcomes,
  };
  const effected = effect ? effect(head.state, ctx) : { state: head.state, branch: judged.branch };
  // docs/protocol.md §3: `Z` may come in, `+00:00` always goes out (state and record).
  const hlcText = formatHlc(hlc);
  const next = finish(head.state, effected.state, p, hlcText, canonical);
  return { ok: true, state: next, t, hlcText, judged, branch: t.branches ? effected.branch : null };
}

/** The state hash and the record body of an applied transition. */
function finishRecord(head: Head, p: Proposal, s: Stepped, deps: ReduceDeps): Accepted {
  const hash = deps.hashState ? deps.hashState(s.state) : H(s.state);
  const body: RecordBody = {
    state_pre_hash: head.hash,
    transition: s.t.name,
    proposal: p,
    inputs_hash: p.inputs_hash,
    signer: p.signer,
    idem_key: p.idem_key,
    hlc: s.hlcText,
    window_id: p.window_id,
    guard_outcomes: s.judged.outcomes,
    evidence: p.evidence,
    state_post_hash: hash,
  };
  return { ok: true, state: s.state, hash, body, branch: s.branch };
}

/** Bookkeeping shared by every transition: order key, derived mode, and region epochs. */
function finish(prev: State, next: State, p: Proposal, hlcText: string, canonical: (v: unknown) => string): State {
  const mode = deriveMode(next);
  const control = mode === next.control.mode ? next.control : { ...next.control, mode };
  const withMode: State = {
    ...next,
    control,
    meta: { ...next.meta, last_signer: p.signer, last_idem_key: p.idem_key },
    hlc_last: hlcText,
  };
  const epoch = { ...prev.epoch };
  for (const key of REGION_KEYS) {
    if (regionChanged(prev, withMode, key, canonical)) epoch[key] += 1;
  }
  return { ...withMode, epoch };
}

/** Identity first (effects share unchanged regions), then canonical bytes. */
export function regionChanged(prev: State, next: State, key: string, canonical: (v: unknown) => string = canonicalize): boolean {
  if (!isRegionKey(key)) return false;
  const a = prev[key];
  const b = next[key];
  return a !== b && canonical(a) !== canonical(b);
}
