// The live event shapes: the SSE frames of GET /events and the Electron event channel
// carry the same `accepted` / `rejected` / `health` objects, built here from the host's
// record and rejection so the two streams cannot drift apart.

import type { AcceptedEvent, ConsoleEvent, HealthEvent, RejectedEvent } from './api';
import type { GuardOutcome, Hash } from '../core/types';

/** The SSE event names the console listens to (`event:` lines of GET /events). */
export const SSE_EVENT_TYPES = ['accepted', 'rejected', 'health'] as const;
export type SseEventType = (typeof SSE_EVENT_TYPES)[number];

/** The fields of a WAL record an `accepted` event carries (structural: no host import). */
export interface AcceptedSource {
  index: number;
  transition: string;
  signer: string;
  hlc: string;
  window_id: string | null;
  state_pre_hash: Hash;
  state_post_hash: Hash;
  guard_outcomes: GuardOutcome[];
}

/** The fields of a rejections-log row a `rejected` event carries. */
export interface RejectedSource {
  code: string;
  guard: string | null;
  reason: string;
  reasons: string[];
  transition: string | null;
  signer: string | null;
  hlc: string | null;
  idem_key: string | null;
}

export function acceptedEventOf(r: AcceptedSource, decision_id: string): AcceptedEvent {
  return {
    type: 'accepted',
    index: r.index,
    transition: r.transition,
    signer: r.signer,
    hlc: r.hlc,
    window_id: r.window_id,
    state_pre_hash: r.state_pre_hash,
    state_post_hash: r.state_post_hash,
    guard_outcomes: r.guard_outcomes,
    decision_id,
  };
}

export function rejectedEventOf(j: RejectedSource, status: number): RejectedEvent {
  return {
    type: 'rejected',
    code: j.code,
    guard: j.guard,
    reason: j.reason,
    reasons: j.reasons,
    transition: j.transition,
    signer: j.signer,
    hlc: j.hlc,
    idem_key: j.idem_key,
    status,
  };
}

export function healthEventOf(status: string, index: number, hash: Hash): HealthEvent {
  return { type: 'health', status, index, hash };
}

/** An event's data without its `type`: the JSON of an SSE `data:` line. */
export function sseDataOf(e: AcceptedEvent | RejectedEvent | HealthEvent): Record<string, unknown> {
  const { type: _type, ...data } = e;
  return data;
}

/**
 * One incoming event (an SSE frame's name and data text, or an IPC event object) as a
 * ConsoleEvent, or null when it is not one of ours or not a JSON object. Only the type
 * is checked: the host is trusted for the rest, as it is for every read.
 */
export function consoleEventOf(type: string, data: unknown): ConsoleEvent | null {
  if (!(SSE_EVENT_TYPES as readonly string[]).includes(type)) return null;
  let value = data;
  if (typeof data === 'string') {
    try {
      value = JSON.parse(data) as unknown;
    } catch {
      return null;
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  return { ...(value as Record<string, unknown>), type } as ConsoleEvent;
}
