// KACHING licence service simulator: issues tokens signed with its own key.

import { DOMAIN, signDoc, type Signer } from '../../core/crypto';
import type { Clock } from '../../core/hlc';
import { SimServer, type BaseKnobs } from './base';

export interface KachingKnobs extends BaseKnobs {
  /** Refuse licences (403 license_denied). */
  deny: boolean;
  /** Validity of a fresh token, ms. */
  lifetime_ms: number;
  grace_ms: number;
  /** Issue tokens this far in the past (to produce tokens in grace or expired). */
  backdate_ms: number;
}

export const KACHING_DEFAULTS: KachingKnobs = {
  latency_ms: 0,
  down: false,
  bearer: '',
  deny: false,
  lifetime_ms: 10 * 60_000,
  grace_ms: 2 * 60_000,
  backdate_ms: 0,
};

export function kachingSim(key: Signer, clock: Clock, knobs: Partial<KachingKnobs> = {}): SimServer<KachingKnobs> {
  const sim: SimServer<KachingKnobs> = new SimServer('kaching-sim', { ...KACHING_DEFAULTS, ...knobs }, ({ method, url }) => {
    if (method !== 'GET' || url.pathname !== '/v1/license')
      return { status: 404, body: { error: { code: 'not_found', reason: url.pathname } } };
    const licensee = url.searchParams.get('licensee');
    if (!licensee) return { status: 400, body: { error: { code: 'malformed', reason: 'licensee is required' } } };
    const k = sim.knobs;
    if (k.deny) return { status: 403, body: { error: { code: 'license_denied', reason: `no licence for ${licensee} (knob deny)` } } };
    const issued_ms = clock.now_ms() - k.backdate_ms;
    const token = signDoc(key, DOMAIN.license, { licensee, issued_ms, expires_ms: issued_ms + k.lifetime_ms, grace_ms: k.grace_ms });
    return { status: 200, body: { token } };
  });
  return sim;
}
