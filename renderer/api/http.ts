// ConsoleApi over HTTP + Server-Sent Events, against the origin that served the console
// (browser mode: `swoosh serve --console`). The statechart YAML is bundled at build time:
// it is the same file the host loads, and the host pins its hash in every state document
// (state.meta.spec_hash), which the console checks before drawing.

import { createBrowserKeys } from './browserKeys';
import yamlText from '../../statechart/swoosh.statechart.yaml?raw';
import {
  ConsoleApiError,
  type ApiErrorBody, type ConsoleApi, type ConsoleEvent, type DecisionRecord, type Health, type Proposal,
  type RejectionsPage, type StateAt, type SubmitOutcome, type WalPage,
} from './ConsoleApi';
import { eventFanout } from './fanout';

const REQUEST_TIMEOUT_MS = 15_000;
const WAL_LIMIT_MAX = 1000;

export interface HttpApiOptions {
  /** Prefix for every request, '' for the same origin (default). */
  base?: string;
  /** Injected for tests; defaults to the global fetch / EventSource. */
  fetch?: typeof fetch;
  EventSource?: typeof EventSource;
}

function errorBody(x: unknown): ApiErrorBody | null {
  if (typeof x !== 'object' || x === null || !('error' in x)) return null;
  const e = (x as { error: unknown }).error;
  if (typeof e !== 'object' || e === null) return null;
  const { code, reason } = e as { code?: unknown; reason?: unknown };
  if (typeof code !== 'string' || typeof reason !== 'string') return null;
  return e as ApiErrorBody;
}

function checkIndex(name: string, n: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(n) || n < 0 || n > max) throw new ConsoleApiError('malformed', `${name} must be an integer in 0..${max}, got ${n}`, 0);
}

export function createHttpApi(opts: HttpApiOptions = {}): ConsoleApi {
  const base = opts.base ?? '';
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const ES = opts.EventSource ?? (typeof EventSource === 'undefined' ? undefined : EventSource);

  async function request(path: string, init: RequestInit = {}): Promise<Response> {
    try {
      return await doFetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS), cache: 'no-store' });
    } catch (err) {
      const timedOut = (err as Error).name === 'TimeoutError';
      throw new ConsoleApiError(timedOut ? 'timeout' : 'unreachable', `${path}: ${(err as Error).message}`, 0);
    }
  }

  async function getJson<T>(path: string, okStatuses: readonly number[] = [200]): Promise<T> {
    const res = await request(path, { headers: { accept: 'application/json' } });
    let body: unknown;
    try {
      body = await res.json();
    } catch {
      throw new ConsoleApiError('malformed', `${path}: answer is not JSON (HTTP ${res.status})`, res.status);
    }
    if (!okStatuses.includes(res.status)) {
      const e = errorBody(body);
      throw new ConsoleApiError(e?.code ?? 'http_error', e?.reason ?? `${path}: HTTP ${res.status}`, res.status);
    }
    return body as T;
  }

  const parse = (ev: MessageEvent<string>): Record<string, unknown> | null => {
    try {
      const x = JSON.parse(ev.data) as unknown;
      return typeof x === 'object' && x !== null ? (x as Record<string, unknown>) : null;
    } catch {
      return null;
    }
  };

  // One EventSource shared by every subscriber, opened on the first and closed with the last.
  const { subscribe } = eventFanout((emit) => {
    if (!ES) {
      emit({ type: 'link', status: 'down' });
      return null;
    }
    const source = new ES(`${base}/events`);
    emit({ type: 'link', status: 'connecting' });
    source.onopen = () => emit({ type: 'link', status: 'open' });
    source.onerror = () => emit({ type: 'link', status: source.readyState === 2 ? 'down' : 'connecting' });
    for (const type of ['accepted', 'rejected', 'health'] as const) {
      source.addEventListener(type, (ev) => {
        const data = parse(ev as MessageEvent<string>);
        if (data) emit({ ...data, type } as ConsoleEvent);
      });
    }
    return () => source.close();
  });

  return {
    mode: 'browser',
    keys: createBrowserKeys(),
    getState: () => getJson<StateAt>('/state'),
    getStateAt: async (n) => {
      checkIndex('index', n);
      return getJson<StateAt>(`/state/at/${n}`);
    },
    getWal: async (from, limit) => {
      checkIndex('from', from);
      checkIndex('limit', limit, WAL_LIMIT_MAX);
      return getJson<WalPage>(`/wal?from=${from}&limit=${Math.max(1, limit)}`);
    },
    getDecision: async (n) => {
      checkIndex('index', n);
      return getJson<DecisionRecord>(`/decisions/${n}`);
    },
    getRejections: async (from, limit) => {
      checkIndex('from', from);
      checkIndex('limit', limit, WAL_LIMIT_MAX);
      return getJson<RejectionsPage>(`/rejections?from=${from}&limit=${Math.max(1, limit)}`);
    },
    getHealth: () => getJson<Health>('/health', [200, 503]),
    getMetricsText: async () => {
      const res = await request('/metrics');
      if (!res.ok) throw new ConsoleApiError('http_error', `/metrics: HTTP ${res.status}`, res.status);
      return res.text();
    },
    getStatechartYaml: async () => yamlText,
    submitProposal: async (signed: Proposal): Promise<SubmitOutcome> => {
      const res = await request('/transition', {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(signed),
      });
      let body: unknown = null;
      try {
        body = await res.json();
      } catch {
        // Fall through: a refusal without a JSON body is still a refusal.
      }
      if (res.status === 200 || res.status === 202) {
        const b = body as { index: number; state_post_hash: string; decision_id: string; duplicate?: boolean };
        return { ok: true, status: res.status, index: b.index, state_post_hash: b.state_post_hash, decision_id: b.decision_id, duplicate: b.duplicate === true };
      }
      const retry = res.headers.get('retry-after');
      return {
        ok: false,
        status: res.status,
        error: errorBody(body) ?? { code: 'http_error', reason: `HTTP ${res.status}` },
        retry_after_s: retry === null ? null : Number(retry),
      };
    },
    subscribe,
  };
}
