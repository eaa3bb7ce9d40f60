// What-if sandbox: fork the history at an index and run a list of proposals — the WAL's
// own, skipped, reordered, edited, or new — through the pure reducer (core/reduce.ts), in
// the console. Nothing here writes anywhere: the live WAL is only ever read.
//
// Honesty about signatures (docs/repro-files.md, "What-if sandbox"):
// - A WAL proposal judged byte-for-byte as recorded keeps its real signature, verified
//   here with noble (`verified`).
// - Skipping or reordering changes the state a later proposal is judged against. With
//   `rebase` on, its current_state_hash is rewritten to the sandbox HEAD (otherwise it
//   would only ever answer stale_state_hash); that changes the signed bytes, so its
//   signature can no longer be checked. Such a proposal, and every added or edited one
//   not signed with an operator key, is judged by a verifier that trusts exactly that
//   proposal's signature (`trusted`) and still verifies every fact signature inside it
//   (votes, licence tokens, MCP reports). Every outcome says which mode judged it.
// - An added/edited proposal may instead be signed with an unlocked operator key
//   (`signed`): its signer becomes that key, and the signature is verified for real.
//
// Also modelled: the host's idem index for keys applied inside the sandbox (same content
// → `duplicate`, no change; other content → idem_key_conflict). Keys applied before the
// fork are not known here. hlc_from_future needs the server's clock and is not judged.

import { nobleVerifier, proposalSigningBytes, type Verifier } from '../../core/crypto';
import { H } from '../../core/hash';
import { reduce, type ReduceResult } from '../../core/reduce';
import type { Spec } from '../../core/spec';
import type { State } from '../../core/state';
import { formatHlc, parseHlc } from '../../core/hlc';
import type { GuardOutcome, Hash, JsonObject, Proposal } from '../../core/types';
import { beatPosition, type Schedule } from '../../core/window';

export type StepOrigin = 'wal' | 'edited' | 'added';

export interface SandboxStep {
  /** Stable id within the sandbox (for React keys and selection). */
  id: string;
  origin: StepOrigin;
  /** The WAL index the proposal came from (wal and edited steps). */
  wal_index: number | null;
  proposal: Proposal;
  skip: boolean;
}

export type SignatureMode = 'verified' | 'trusted' | 'signed';

export interface StepOutcome {
  step_id: string;
  /** 'accepted', 'rejected', 'duplicate' (idem key already applied here), 'skipped'. */
  result: 'accepted' | 'rejected' | 'duplicate' | 'skipped';
  code: string | null;
  guard: string | null;
  reason: string | null;
  reasons: string[];
  guard_outcomes: GuardOutcome[];
  /** Sandbox index of the state the step was judged against. */
  at_index: number;
  /** Sandbox index after the step when accepted, else null. */
  index: number | null;
  /** Sandbox HEAD hash after the step (unchanged unless accepted). */
  hash: Hash;
  signature: SignatureMode | null;
  signature_note: string;
  rebased: boolean;
  /** The live timeline's state hash at `index` (null when not accepted or not loaded). */
  live_hash: Hash | null;
  /** Whether the sandbox state at `index` equals the live one (null: nothing to compare). */
  same_as_live: boolean | null;
  /** The proposal exactly as judged. */
  judged: Proposal | null;
  /** The state after the step (accepted only): for the diff against live. */
  state: State | null;
}

export interface SandboxBase {
  index: number;
  hash: Hash;
  state: State;
}

export interface SandboxOptions {
  spec: Spec;
  /** Rewrite current_state_hash to the sandbox HEAD (see above). */
  rebase: boolean;
  /** The live state hash after record i (state_post_hash), or null when not loaded. */
  liveHashAt: (index: number) => Hash | null;
  /** Signs added/edited steps with an operator key; absent = they are trusted. */
  sign?: { signer: string; label: string; sign: (unsigned: Omit<Proposal, 'signature'>) => Promise<Proposal> };
  /** The verifier for real signatures (noble by default; tests may inject a counting one). */
  verifier?: Verifier;
  /** Called every `yield_every` steps so a long run does not freeze the page. */
  pause?: () => Promise<void>;
  yield_every?: number;
}

export interface SandboxRun {
  outcomes: StepOutcome[];
  head: SandboxBase;
  /** The first sandbox index whose state differs from the live one, with why. */
  divergence: { index: number; step_id: string; live_hash: Hash; sandbox_hash: Hash; why: string } | null;
  /** Whether the live state at the sandbox HEAD's index equals it (null: not loaded). */
  head_same_as_live: boolean | null;
  accepted: number;
  rejected: number;
  skipped: number;
}

export const SANDBOX_STEPS_MAX = 500;

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Trusts the signature over exactly one proposal's signing bytes; every other signature
 * (votes, licence tokens, MCP reports carried in the inputs) is verified for real.
 */
export function trustingVerifier(p: Proposal, real: Verifier): Verifier {
  let trusted: Uint8Array | null = null;
  try {
    trusted = proposalSigningBytes(p);
  } catch {
    trusted = null;
  }
  return {
    verify: (signer, message, signature) =>
      (trusted !== null && signer === p.signer && bytesEqual(message, trusted)) || real.verify(signer, message, signature),
  };
}

/** Content identity for the idem check: what the proposer chose (not the rebased hash nor the signature). */
function idemContent(p: Proposal): string {
  try {
    const { signature: _s, current_state_hash: _c, ...rest } = p;
    return H(rest);
  } catch {
    return `unhashable:${p.idem_key}`;
  }
}

/** Inputs hash recomputed for proposals the operator wrote (a typo in a hash is not the point). */
function withInputsHash(p: Proposal): Proposal {
  try {
    return { ...p, inputs_hash: H(p.inputs as JsonObject) };
  } catch {
    return p;
  }
}

interface Prepared {
  proposal: Proposal;
  rebased: boolean;
  mode: SignatureMode;
  note: string;
}

async function prepare(step: SandboxStep, head: SandboxBase, opts: SandboxOptions): Promise<Prepared> {
  let p = step.origin === 'wal' ? step.proposal : withInputsHash(step.proposal);
  const rebased = opts.rebase && p.current_state_hash !== head.hash;
  if (rebased) p = { ...p, current_state_hash: head.hash };
  if (step.origin === 'wal' && !rebased) return { proposal: p, rebased, mode: 'verified', note: 'original WAL signature, verified here' };
  if (step.origin !== 'wal' && opts.sign) {
    const { signature: _s, ...unsigned } = { ...p, signer: opts.sign.signer };
    const signed = await opts.sign.sign(unsigned);
    return { proposal: signed, rebased, mode: 'signed', note: `signed with operator key ${opts.sign.label}, verified here` };
  }
  const why =
    step.origin === 'wal' ? 'rebased onto the sandbox HEAD, so the signed bytes changed' : `${step.origin} in the sandbox, unsigned`;
  return {
    proposal: p,
    rebased,
    mode: 'trusted',
    note: `not checked: ${why}; fact signatures inside (votes, licence tokens, MCP reports) are verified`,
  };
}

function baseOutcome(step: SandboxStep, head: SandboxBase): StepOutcome {
  return {
    step_id: step.id,
    result: 'skipped',
    code: null,
    guard: null,
    reason: null,
    reasons: [],
    guard_outcomes: [],
    at_index: head.index,
    index: null,
    hash: head.hash,
    signature: null,
    signature_note: '',
    rebased: false,
    live_hash: null,
    same_as_live: null,
    judged: null,
    state: null,
  };
}

export async function runSandbox(base: SandboxBase, steps: readonly SandboxStep[], opts: SandboxOptions): Promise<SandboxRun> {
  const real = opts.verifier ?? nobleVerifier;
  let head: SandboxBase = base;
  const applied = new Map<string, string>();
  const outcomes: StepOutcome[] = [];
  let divergence: SandboxRun['divergence'] = null;
  let accepted = 0;
  let rejected = 0;
  let skipped = 0;
  const every = opts.yield_every ?? 20;
  for (const [i, step] of steps.slice(0, SANDBOX_STEPS_MAX).entries()) {
    if (opts.pause && i > 0 && i % every === 0) await opts.pause();
    const out = baseOutcome(step, head);
    if (step.skip) {
      skipped += 1;
      outcomes.push(out);
      continue;
    }
    const prep = await prepare(step, head, opts);
    Object.assign(out, { judged: prep.proposal, rebased: prep.rebased, signature: prep.mode, signature_note: prep.note });
    const seen = applied.get(prep.proposal.idem_key);
    if (seen !== undefined) {
      const same = seen === idemContent(prep.proposal);
      Object.assign(
        out,
        same
          ? {
              result: 'duplicate',
              code: 'duplicate',
              reason: `idem_key ${prep.proposal.idem_key} was already applied in the sandbox: the host answers 200 and changes nothing`,
            }
          : { result: 'rejected', code: 'idem_key_conflict', reason: `idem_key ${prep.proposal.idem_key} was applied with other content` },
      );
      if (!same) rejected += 1;
      outcomes.push(out);
      continue;
    }
    const verifier = prep.mode === 'trusted' ? trustingVerifier(prep.proposal, real) : real;
    const r: ReduceResult = reduce({ state: head.state, hash: head.hash }, prep.proposal, { spec: opts.spec, verifier });
    if (!r.ok) {
      rejected += 1;
      Object.assign(out, {
        result: 'rejected',
        code: r.rejection.code,
        guard: r.rejection.guard ?? null,
        reason: r.rejection.reason,
        reasons: r.rejection.reasons ?? [],
        guard_outcomes: r.rejection.guard_outcomes ?? [],
      });
      outcomes.push(out);
      continue;
    }
    accepted += 1;
    applied.set(prep.proposal.idem_key, idemContent(prep.proposal));
    head = { index: head.index + 1, hash: r.hash, state: r.state };
    const live = opts.liveHashAt(head.index);
    Object.assign(out, {
      result: 'accepted',
      index: head.index,
      hash: r.hash,
      guard_outcomes: r.body.guard_outcomes,
      state: r.state,
      live_hash: live,
      same_as_live: live === null ? null : live === r.hash,
    });
    if (divergence === null && live !== null && live !== r.hash) {
      divergence = {
        index: head.index,
        step_id: step.id,
        live_hash: live,
        sandbox_hash: r.hash,
        why: `state #${head.index} differs from the live timeline`,
      };
    }
    outcomes.push(out);
  }
  // Also compare where the sandbox ended: same index, same state as live?
  const liveAtHead = head.index === base.index ? base.hash : opts.liveHashAt(head.index);
  const head_same_as_live = liveAtHead === null ? null : liveAtHead === head.hash;
  return { outcomes, head, divergence, head_same_as_live, accepted, rejected, skipped };
}

/** Steps from WAL records (in order), ids `w<index>`. */
export function stepsFromWal(records: ReadonlyArray<{ index: number; proposal: Proposal }>): SandboxStep[] {
  return records.map((r) => ({ id: `w${r.index}`, origin: 'wal', wal_index: r.index, proposal: r.proposal, skip: false }));
}

/** Moves step `i` by `delta` places (clamped); returns a new array. */
export function moveStep(steps: readonly SandboxStep[], i: number, delta: number): SandboxStep[] {
  const j = Math.max(0, Math.min(steps.length - 1, i + delta));
  if (i === j || i < 0 || i >= steps.length) return [...steps];
  const out = [...steps];
  const [s] = out.splice(i, 1);
  out.splice(j, 0, s as SandboxStep);
  return out;
}

/**
 * A new proposal for the sandbox: HLC one tick after `afterHlc` (same wall ms, counter+1)
 * unless given, window_id the window of that HLC for time-gated transitions (else null),
 * inputs_hash = H(inputs). current_state_hash and signature are settled when it runs.
 */
export function draftProposal(d: {
  spec: Spec;
  schedule: Schedule;
  transition: string;
  signer: string;
  inputs: JsonObject;
  hlc?: string | null;
  afterHlc: string | null;
  idem_key: string;
  evidence?: string[];
}): Proposal {
  const prev = d.afterHlc ? parseHlc(d.afterHlc) : null;
  const hlcText =
    d.hlc && parseHlc(d.hlc)
      ? (d.hlc as string)
      : formatHlc(prev ? { wall_ms: prev.wall_ms, counter: prev.counter + 1 } : { wall_ms: d.schedule.epoch_ms, counter: 0 });
  const wall = (parseHlc(hlcText) as { wall_ms: number }).wall_ms;
  const gated = (d.spec.transitions[d.transition]?.window ?? null) !== null;
  let inputs_hash = '';
  try {
    inputs_hash = H(d.inputs);
  } catch {
    inputs_hash = 'sha256-unhashable';
  }
  return {
    current_state_hash: '',
    transition: d.transition,
    inputs: d.inputs,
    inputs_hash,
    signer: d.signer,
    idem_key: d.idem_key,
    hlc: hlcText,
    window_id: gated ? beatPosition(d.schedule, wall).window_id : null,
    evidence: d.evidence ?? [],
    signature: '',
  };
}

export interface ForkPlan {
  at: number;
  /** How many WAL records after `at` become steps (bounded by SANDBOX_STEPS_MAX and HEAD). */
  count: number;
}

/** Checks a fork request against HEAD: the index must be a record of the WAL (0 = genesis). */
export function forkPlan(at: number, count: number, headIndex: number): { ok: true; plan: ForkPlan } | { ok: false; reason: string } {
  if (!Number.isInteger(at) || at < 0 || at > headIndex) return { ok: false, reason: `fork index must be in 0..${headIndex}` };
  const n = Number.isFinite(count) ? Math.floor(count) : 0;
  return { ok: true, plan: { at, count: Math.max(0, Math.min(SANDBOX_STEPS_MAX, n, headIndex - at)) } };
}

export function toggleSkip(steps: readonly SandboxStep[], id: string): SandboxStep[] {
  return steps.map((x) => (x.id === id ? { ...x, skip: !x.skip } : x));
}

/** Removes an added step; steps from the WAL are skipped, never removed. */
export function removeAdded(steps: readonly SandboxStep[], id: string): SandboxStep[] {
  return steps.filter((x) => x.id !== id || x.origin === 'wal');
}

/** Replaces a step's proposal; a WAL step becomes `edited` (keeping its index for comparison). */
export function editStep(steps: readonly SandboxStep[], id: string, proposal: Proposal): SandboxStep[] {
  return steps.map((x) => (x.id === id ? { ...x, proposal, origin: x.origin === 'wal' ? 'edited' : x.origin } : x));
}

/** Inserts `step` after the step `afterId` (at the end when null or not found). */
export function insertAfter(steps: readonly SandboxStep[], afterId: string | null, step: SandboxStep): SandboxStep[] {
  const i = afterId === null ? -1 : steps.findIndex((x) => x.id === afterId);
  const at = i < 0 ? steps.length : i + 1;
  return [...steps.slice(0, at), step, ...steps.slice(at)];
}

/** What a key does in the step list (↑/↓ select · Shift+↑/↓ move · x skip · e edit · a add · Delete remove). */
export type ListCommand = { kind: 'select' | 'move'; delta: number } | { kind: 'skip' | 'edit' | 'add' | 'remove' };

export function listCommand(key: string, shift: boolean): ListCommand | null {
  if (key === 'ArrowDown' || key === 'ArrowUp') return { kind: shift ? 'move' : 'select', delta: key === 'ArrowDown' ? 1 : -1 };
  if (key === 'x') return { kind: 'skip' };
  if (key === 'e') return { kind: 'edit' };
  if (key === 'a') return { kind: 'add' };
  if (key === 'Delete' || key === 'Backspace') return { kind: 'remove' };
  return null;
}

/** The editor's inputs text as a JSON object, or why not. */
export function parseInputs(text: string): { ok: true; inputs: JsonObject } | { ok: false; error: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { ok: false, error: `inputs: ${(e as Error).message}` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { ok: false, error: 'inputs must be a JSON object' };
  return { ok: true, inputs: parsed as JsonObject };
}
