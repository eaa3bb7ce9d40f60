// Guards of the EXECUTION region: the all-ready pins that let the project enter it, and
// the operator approvals that open REVERB.

import { beatPosition } from '../window';
import { fail, pass, type GuardContext, type GuardResult } from './types';

/** The pins the caller names must be exactly the READY pins of the three regions. */
export function allReadyGuard(ctx: GuardContext): GuardResult {
  const want = ctx.proposal.inputs as Record<string, unknown>;
  const s = ctx.state;
  const pins: Record<string, unknown> = {
    content_hash: s.ingestion.content_hash,
    version: s.ingestion.version,
    member_set_hash: s.council.member_set_hash,
    env_hash: s.environment.env_hash,
  };
  const problems: string[] = [];
  for (const [key, pinned] of Object.entries(pins)) {
    if (want[key] !== pinned) problems.push(`${key} ${String(want[key])} does not match the READY pin ${String(pinned)}`);
  }
  if (problems.length > 0) return fail('all_ready', problems);
  return pass('all_ready', [
    `pins match: corpus ${String(pins.version)} ${String(pins.content_hash)}, council ${String(pins.member_set_hash)}, env ${String(pins.env_hash)}`,
  ]);
}

/** Execution_Approve: one approval per operator per beat. */
export function approvalGuard(ctx: GuardContext): GuardResult {
  const beat = beatPosition(ctx.state.execution.backbeat, ctx.wall_ms).beat;
  const dup = ctx.state.execution.approvals.some((a) => a.signer === ctx.proposal.signer && a.beat === beat);
  if (dup) return fail('approval', [`${ctx.proposal.signer} already approved beat ${beat}`]);
  return pass('approval', [`first approval by this operator in beat ${beat}`]);
}

/** Execution_ApprovalsThreshold: approvals of this beat reach the quorum threshold. */
export function approvalsGuard(ctx: GuardContext): GuardResult {
  const beat = beatPosition(ctx.state.execution.backbeat, ctx.wall_ms).beat;
  const count = ctx.state.execution.approvals.filter((a) => a.beat === beat).length;
  const threshold = ctx.state.council.threshold;
  if (count < threshold) return fail('approvals', [`${count} operator approvals in beat ${beat}, threshold ${threshold}`]);
  return pass('approvals', [`${count} operator approvals in beat ${beat} (threshold ${threshold})`]);
}
