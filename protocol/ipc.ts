// The IPC side of the method table: the envelope every request resolves to, the object
// the preload exposes, and the payload check main runs before any handler.

import type { ApiFailure } from './errors';
import type { Answer } from './http';
import { callOfChannel, specOf, type RequestChannel } from './methods';
import { checkPayload } from './schema';

export { CHANNEL_PREFIX, EVENT_CHANNEL, isRequestChannel, REQUEST_CHANNELS, type RequestChannel } from './methods';

/** What every request resolves to: errors cross the boundary as tagged data, never thrown. */
export type Envelope<T = unknown> = Answer<T>;

/** The object the preload exposes on `window.swoosh` (contextBridge). */
export interface SwooshBridge {
  readonly kind: 'swoosh-electron';
  invoke(channel: RequestChannel, payload: unknown): Promise<Envelope>;
  /** Returns the unsubscribe function. */
  onEvent(listener: (event: unknown) => void): () => void;
}

/** The channel's schema applied to a payload: a 400 `malformed` naming the field, or null. */
export function validateRequest(channel: RequestChannel, payload: unknown): (ApiFailure & { code: 'malformed' }) | null {
  const problem = checkPayload(specOf(callOfChannel(channel)).schema, payload);
  return problem === null ? null : { code: 'malformed', reason: `${channel}: ${problem}`, status: 400 };
}
