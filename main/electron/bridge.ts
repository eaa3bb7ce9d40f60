// Main's side of the ConsoleApi: answers admitted IPC requests and forwards host events.
//
// No Electron import (vitest runs it against a real host). Reads go to the host's own
// HTTP API on loopback — the same handlers, limits and error bodies agents get, so the
// two console modes cannot drift apart; keys go to main/electron/keys.ts. Events come
// straight from the engine, shaped exactly like the SSE frames of main/api/server.ts.

import type { EngineEvent } from '../engine/engine';
import type { RequestChannel, Envelope } from './channels';
import { KeysError, type MainKeys } from './keys';

const REQUEST_TIMEOUT_MS = 15_000;

export interface BridgeOptions {
  /** The running host's API, e.g. http://127.0.0.1:7420. */
  api_url: string;
  keys: MainKeys;
}

type Payload = Record<string, unknown>;

function failure(code: string, reason: string, status: number): Envelope<never> {
  return { ok: false, error: { code, reason, status } };
}

function errorOf(body: unknown): { code: string; reason: string } | null {
  const e = typeof body === 'object' && body !== null ? (body as { error?: unknown }).error : null;
  if (typeof e !== 'object' || e === null) return null;
  const { code, reason } = e as { code?: unknown; reason?: unknown };
  return typeof code === 'string' && typeof reason === 'string' ? (e as { code: string; reason: string }) : null;
}

export function createBridge(opts: BridgeOptions) {
  async function request(path: string, init: RequestInit = {}): Promise<Response | Envelope<never>> {
    try {
      return await fetch(`${opts.api_url}${path}`, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    } catch (err) {
      return failure('unreachable', `${path}: ${(err as Error).message}`, 0);
    }
  }

  async function getJson(path: string, okStatuses: readonly number[] = [200]): Promise<Envelope> {
    const res = await request(path, { headers: { accept: 'application/json' } });
    if (!(res instanceof Response)) return res;
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      return failure('malformed', `${path}: answer is not JSON (HTTP ${res.status})`, res.status);
    }
    if (okStatuses.includes(res.status)) return { ok: true, value: body };
    const e = errorOf(body);
    return failure(e?.code ?? 'http_error', e?.reason ?? `${path}: HTTP ${res.status}`, res.status);
  }

  async function getText(path: string): Promise<Envelope> {
    const res = await request(path);
    if (!(res instanceof Response)) return res;
    if (!res.ok) return failure('http_error', `${path}: HTTP ${res.status}`, res.status);
    return { ok: true, value: await res.text() };
  }

  /** POST /transition; refusals are answers (ok: false inside the value), like the HTTP adapter. */
  async function submit(proposal: unknown): Promise<Envelope> {
    const res = await request('/transition', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(proposal),
    });
    if (!(res instanceof Response)) return res;
    const body = (await res.json().catch(() => null)) as Record<string, unknown> | null;
    if (res.status === 200 || res.status === 202) {
      const b = body ?? {};
      return { ok: true, value: { ok: true, status: res.status, index: b.index, state_post_hash: b.state_post_hash, decision_id: b.decision_id, duplicate: b.duplicate === true } };
    }
    const retry = res.headers.get('retry-after');
    return {
      ok: true,
      value: { ok: false, status: res.status, error: errorOf(body) ?? { code: 'http_error', reason: `HTTP ${res.status}` }, retry_after_s: retry === null ? null : Number(retry) },
    };
  }

  async function keys(op: () => Promise<unknown>): Promise<Envelope> {
    try {
      const value = await op();
      return { ok: true, value: value ?? null };
    } catch (err) {
      if (err instanceof KeysError) return failure(err.code, err.reason, 0);
      return failure('internal', (err as Error).message, 0);
    }
  }

  const k = opts.keys;
  const s = (p: Payload, name: string): string => p[name] as string;
  const n = (p: Payload, name: string): number => p[name] as number;
  const handlers: Record<RequestChannel, (p: Payload) => Promise<Envelope>> = {
    'console:getState': () => getJson('/state'),
    'console:getStateAt': (p) => getJson(`/state/at/${n(p, 'n')}`),
    'console:getWal': (p) => getJson(`/wal?from=${n(p, 'from')}&limit=${Math.max(1, n(p, 'limit'))}`),
    'console:getDecision': (p) => getJson(`/decisions/${n(p, 'n')}`),
    'console:getRejections': (p) => getJson(`/rejections?from=${n(p, 'from')}&limit=${Math.max(1, n(p, 'limit'))}`),
    'console:getHealth': () => getJson('/health', [200, 503]),
    'console:getMetricsText': () => getText('/metrics'),
    'console:submitProposal': (p) => submit(p.proposal),
    'console:keys.list': () => keys(() => k.list()),
    'console:keys.create': (p) => keys(() => k.create(s(p, 'label'), s(p, 'passphrase'))),
    'console:keys.importFile': (p) => keys(() => k.importFile(s(p, 'label'), s(p, 'keyFileText'), s(p, 'passphrase'))),
    'console:keys.unlock': (p) => keys(() => k.unlock(s(p, 'id'), s(p, 'passphrase'))),
    'console:keys.lock': (p) => keys(() => k.lock(s(p, 'id'))),
    'console:keys.remove': (p) => keys(() => k.remove(s(p, 'id'))),
    'console:keys.sign': (p) => keys(() => k.sign(s(p, 'id'), p.unsigned as Record<string, unknown>)),
  };

  return {
    /** Answers one request that ipc-contract's `admit` already let through. */
    handle(channel: RequestChannel, payload: Payload): Promise<Envelope> {
      return handlers[channel](payload);
    },
  };
}

/** An engine event as the console sees it (the SSE `accepted`/`rejected` frames), or null. */
export function consoleEventOf(e: EngineEvent): Record<string, unknown> | null {
  if (e.type === 'accepted') {
    const r = e.record;
    return {
      type: 'accepted', index: r.index, transition: r.transition, signer: r.signer, hlc: r.hlc, window_id: r.window_id,
      state_pre_hash: r.state_pre_hash, state_post_hash: r.state_post_hash, guard_outcomes: r.guard_outcomes, decision_id: e.decision.id,
    };
  }
  if (e.type === 'rejected') {
    const j = e.rejection;
    return { type: 'rejected', code: j.code, guard: j.guard, reason: j.reason, reasons: j.reasons, transition: j.transition, signer: j.signer, hlc: j.hlc, idem_key: j.idem_key, status: e.status };
  }
  return null;
}
