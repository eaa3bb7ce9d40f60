// SHHH policy: a finding whose kind the policy denies is a breach. On Ingestion_SchemaOk a
// breach is not a rejection: the proposal is accepted into QUARANTINED with these reasons
// as rationale (the guard's `divert`).

import type { PolicyFinding } from '../types';
import { fail, pass, type GuardContext, type GuardResult } from './types';

export function breaches(findings: readonly PolicyFinding[], deny: readonly string[]): PolicyFinding[] {
  const denied = new Set(deny);
  return findings.filter((f) => denied.has(f.kind));
}

export function describeBreach(f: PolicyFinding, version: number): string {
  const where = f.path === '' ? '' : ` at ${f.path}`;
  const detail = f.detail === '' ? '' : `: ${f.detail}`;
  return `${f.kind}${where}${detail} (denied by policy v${version})`;
}

export function policyGuard(ctx: GuardContext): GuardResult {
  const findings = ctx.proposal.inputs.findings as unknown as PolicyFinding[];
  const { deny, version } = ctx.state.policy;
  const found = breaches(findings, deny);
  if (found.length > 0)
    return fail(
      'policy',
      found.map((f) => describeBreach(f, version)),
    );
  return pass('policy', [`${findings.length} findings, none denied by policy v${version}`]);
}

/** Policy_Update: versions only move forward, so an old policy cannot be replayed. */
export function policyUpdateGuard(ctx: GuardContext): GuardResult {
  const next = ctx.proposal.inputs.policy as unknown as { version: number };
  const current = ctx.state.policy.version;
  if (next.version <= current) return fail('policy_version', [`policy version ${next.version} is not newer than ${current}`]);
  return pass('policy_version', [`policy v${current} → v${next.version}`]);
}
