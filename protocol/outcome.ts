// POST /transition: the answer as a SubmitOutcome (docs/protocol.md).
//
// 202 accepted, 200 the same body with `duplicate: true`; every other status is a
// refusal and resolves as data (ok: false), not as a thrown error: a 409 or a 429 is an
// answer the caller acts on. A 2xx whose body lacks the accepted fields is not taken as
// an acceptance: it is `bad_response`, as is a refusal without an error body.

import type { SubmitOutcome } from './api';
import { failureOf } from './errors';

/** Longest Retry-After the console reports; a larger header is clamped, not trusted. */
export const RETRY_AFTER_S_MAX = 3600;

/** Retry-After as delta-seconds, or null when absent or not delta-seconds (an HTTP date needs a clock). */
export function retryAfterSeconds(header: string | null): number | null {
  if (header === null) return null;
  const t = header.trim();
  return /^\d{1,9}$/.test(t) ? Math.min(Number(t), RETRY_AFTER_S_MAX) : null;
}

function acceptedBody(body: unknown): { index: number; state_post_hash: string; decision_id: string; duplicate: boolean } | null {
  if (typeof body !== 'object' || body === null) return null;
  const b = body as Record<string, unknown>;
  if (!Number.isSafeInteger(b.index) || typeof b.state_post_hash !== 'string' || typeof b.decision_id !== 'string') return null;
  return { index: b.index as number, state_post_hash: b.state_post_hash, decision_id: b.decision_id, duplicate: b.duplicate === true };
}

/** `body` is the parsed JSON answer, or its raw text when it was not JSON. */
export function transitionOutcomeOf(status: number, body: unknown, retry_after: string | null): SubmitOutcome {
  if (status === 200 || status === 202) {
    const b = acceptedBody(body);
    if (b) return { ok: true, status, ...b };
  }
  const { status: _status, ...error } = failureOf(status, body, `unexpected answer to POST /transition`, 'bad_response');
  return { ok: false, status, error, retry_after_s: retryAfterSeconds(retry_after) };
}
