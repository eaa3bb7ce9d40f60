import type { Verifier } from '../crypto';
import type { TransitionSpec } from '../spec';
import type { State } from '../state';
import type { GuardOutcome, Proposal } from '../types';

/** What every guard sees: the state, the proposal, the machine entry, and HLC wall time. */
export interface GuardContext {
  state: State;
  proposal: Proposal;
  transition: TransitionSpec;
  /** Wall time of the proposal's HLC, ms. Guards never read a clock. */
  wall_ms: number;
  verifier: Verifier;
  /** Active leaves of the statechart before the transition. */
  leaves: readonly string[];
}

/** A guard's outcome; `branch` selects a data-dependent alternative of the transition. */
export interface GuardResult extends GuardOutcome {
  branch?: string;
}

export interface GuardDef {
  name: string;
  check(ctx: GuardContext): GuardResult;
  /** When set, a failing outcome takes this branch instead of rejecting (policy → quarantine). */
  divert?: string;
}

export function pass(guard: string, reasons: string[], branch?: string): GuardResult {
  return branch === undefined ? { guard, ok: true, reasons } : { guard, ok: true, reasons, branch };
}

export function fail(guard: string, reasons: string[]): GuardResult {
  return { guard, ok: false, reasons };
}
