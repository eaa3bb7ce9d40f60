// KACHING licence: the token's signature and licensee, and its status at the proposal's
// HLC wall time (valid → grace → expired). Also the gate every licensed-phase transition
// passes through: past grace, only licence transitions are accepted (docs/protocol.md §6).

import { H } from '../hash';
import { licenseSigningBytes } from '../crypto';
import type { LicenseToken } from '../types';
import type { State } from '../state';
import { fail, pass, type GuardContext, type GuardResult } from './types';

export type LicenseStatus = 'valid' | 'grace' | 'expired';

export function licenseStatus(t: Pick<LicenseToken, 'issued_ms' | 'expires_ms' | 'grace_ms'>, wall_ms: number): LicenseStatus {
  if (wall_ms < t.expires_ms) return 'valid';
  if (wall_ms < t.expires_ms + t.grace_ms) return 'grace';
  return 'expired';
}

/** Signature, licensee and coherence of a token; the reasons name what is wrong. */
export function checkToken(state: State, token: LicenseToken, verifier: GuardContext['verifier']): string[] {
  const problems: string[] = [];
  if (!verifier.verify(state.boot.kaching_signer, licenseSigningBytes(token), token.signature)) {
    problems.push('token signature does not verify against the genesis KACHING signer');
  }
  if (token.licensee !== state.meta.project) problems.push(`token licensee "${token.licensee}" is not project "${state.meta.project}"`);
  if (token.expires_ms <= token.issued_ms) problems.push('token expires before it is issued');
  return problems;
}

/** Boot_Licensed and License_Refresh. */
export function licenseGuard(ctx: GuardContext): GuardResult {
  const token = ctx.proposal.inputs.token as unknown as LicenseToken;
  const problems = checkToken(ctx.state, token, ctx.verifier);
  const current = ctx.state.boot.license;
  if (current && token.issued_ms < current.issued_ms) {
    problems.push(`token issued at ${token.issued_ms} is older than the licence in force (issued ${current.issued_ms})`);
  }
  if (problems.length > 0) return fail('license', problems);
  const status = licenseStatus(token, ctx.wall_ms);
  const reasons = [describe(status, token, ctx.wall_ms), `token ${H(token)}`];
  if (ctx.transition.name === 'Boot_Licensed' && status !== 'valid') {
    return fail('license', [`boot needs a valid licence: ${reasons[0]}`]);
  }
  return pass('license', reasons, status);
}

function describe(status: LicenseStatus, t: Pick<LicenseToken, 'expires_ms' | 'grace_ms'>, wall_ms: number): string {
  if (status === 'valid') return `licence valid for ${t.expires_ms - wall_ms} ms more (expires_ms ${t.expires_ms})`;
  if (status === 'grace') return `licence expired at ${t.expires_ms}; in grace until ${t.expires_ms + t.grace_ms}`;
  return `licence expired at ${t.expires_ms}; grace ended at ${t.expires_ms + t.grace_ms}`;
}

/** The implicit gate for every transition that is not licence-exempt. */
export function licenseGate(ctx: GuardContext): GuardResult {
  const license = ctx.state.boot.license;
  if (license === null) return fail('license', ['no licence in force']);
  if (ctx.state.boot.phase === 'EXPIRED') {
    return fail('license', ['licence expired past grace; only License_Refresh is accepted']);
  }
  const status = licenseStatus(license, ctx.wall_ms);
  if (status === 'expired') {
    return fail('license', [`${describe(status, license, ctx.wall_ms)}; only License_Refresh is accepted`]);
  }
  return pass('license', [describe(status, license, ctx.wall_ms)]);
}
