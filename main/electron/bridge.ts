// Main's side of the ConsoleApi: answers admitted IPC requests and forwards host events.
//
// Table-driven (protocol/methods.ts): a channel whose row has an `http` route is answered
// by that route on the host's own HTTP API on loopback — the same handlers, limits and
// error bodies agents get, and the same request and answer mapping as the browser
// adapter, so the two console modes cannot drift apart; a `keys.*` row goes to
// main/electron/keys.ts. No Electron import (vitest runs it against a real host). Events
// come straight from the engine, shaped by protocol/events.ts like the SSE frames.

import {
  acceptedEventOf,
  argsOf,
  callHost,
  callOfChannel,
  rejectedEventOf,
  specOf,
  type ConsoleEvent,
  type Envelope,
  type HostCallName,
  type IpcCallName,
  type Payload,
  type RequestChannel,
  type Send,
} from '../../protocol';
import type { EngineEvent } from '../engine/engine';
import { KeysError, type MainKeys } from './keys';

const REQUEST_TIMEOUT_MS = 15_000;

export interface BridgeOptions {
  /** The running host's API, e.g. http://127.0.0.1:7420. */
  api_url: string;
  keys: MainKeys;
}

type KeyOp<N> = N extends `keys.${infer Op}` ? Op : never;
type KeyCallName = Extract<IpcCallName, `keys.${string}`>;
/** Every `keys.*` row must name a method main's key store has: this fails to compile otherwise. */
type KeyMethods = { [Op in KeyOp<KeyCallName>]: MainKeys[Op & keyof MainKeys] };

function failure(code: string, reason: string, status: number): Envelope<never> {
  return { ok: false, error: { code, reason, status } };
}

export function createBridge(opts: BridgeOptions) {
  const send: Send = async (req) => {
    const res = await fetch(`${opts.api_url}${req.url}`, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    return { status: res.status, text: await res.text(), retry_after: res.headers.get('retry-after') };
  };

  const keyMethods: KeyMethods = opts.keys;

  async function keys(name: KeyCallName, payload: Payload): Promise<Envelope> {
    const op = name.slice('keys.'.length) as KeyOp<KeyCallName>;
    const method = keyMethods[op] as (...args: unknown[]) => Promise<unknown>;
    try {
      const value = await method(...argsOf(name, payload));
      return { ok: true, value: value ?? null };
    } catch (err) {
      if (err instanceof KeysError) return failure(err.code, err.reason, 0);
      return failure('internal', (err as Error).message, 0);
    }
  }

  return {
    /** Answers one request that ipc-contract's `admit` already let through. */
    handle(channel: RequestChannel, payload: Payload): Promise<Envelope> {
      const name = callOfChannel(channel);
      if (specOf(name).http !== null) return callHost(name as HostCallName, payload, send);
      return keys(name as KeyCallName, payload);
    },
  };
}

/** An engine event as the console sees it (the SSE `accepted`/`rejected` frames), or null. */
export function consoleEventOf(e: EngineEvent): ConsoleEvent | null {
  if (e.type === 'accepted') return acceptedEventOf(e.record, e.decision.id);
  if (e.type === 'rejected') return rejectedEventOf(e.rejection, e.status);
  return null;
}
