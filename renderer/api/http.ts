// ConsoleApi over HTTP + Server-Sent Events, against the origin that served the console
// (browser mode: `swoosh serve --console`). Built from protocol/'s method table: every
// host call is a row's `http` route, checked against the row's schema before it is sent;
// operator keys stay in the page (browserKeys.ts). The statechart YAML is bundled at build
// time: it is the same file the host loads, and the host pins its hash in every state
// document (state.meta.spec_hash), which the console checks before drawing.

import { createBrowserKeys } from './browserKeys';
import yamlText from '../../statechart/swoosh.statechart.yaml?raw';
import {
  callHost,
  checkPayload,
  ConsoleApiError,
  consoleEventOf,
  HOST_CALLS,
  METHODS,
  payloadOf,
  proxy,
  specOf,
  SSE_EVENT_TYPES,
  type ConsoleApi,
  type HostCallName,
  type Send,
} from '../../protocol';
import { eventFanout } from './fanout';

const REQUEST_TIMEOUT_MS = 15_000;
/** EventSource.readyState when it gave up (no more retries). */
const EVENT_SOURCE_CLOSED = 2;

export interface HttpApiOptions {
  /** Prefix for every request, '' for the same origin (default). */
  base?: string;
  /** Injected for tests; defaults to the global fetch / EventSource. */
  fetch?: typeof fetch;
  EventSource?: typeof EventSource;
}

export function createHttpApi(opts: HttpApiOptions = {}): ConsoleApi {
  const base = opts.base ?? '';
  const doFetch = opts.fetch ?? ((input: RequestInfo | URL, init?: RequestInit) => fetch(input, init));
  const ES = opts.EventSource ?? (typeof EventSource === 'undefined' ? undefined : EventSource);

  const send: Send = async (req) => {
    const res = await doFetch(`${base}${req.url}`, {
      method: req.method,
      headers: req.headers,
      body: req.body,
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      cache: 'no-store',
    });
    return { status: res.status, text: await res.text(), retry_after: res.headers.get('retry-after') };
  };

  /** Checked here with the same schema main applies over IPC, so both modes refuse alike. */
  async function invoke(name: HostCallName, args: unknown[]): Promise<unknown> {
    const payload = payloadOf(name, args);
    const problem = checkPayload(specOf(name).schema, payload);
    if (problem !== null) throw new ConsoleApiError('malformed', `${name}: ${problem}`, 0);
    const answer = await callHost(name, payload, send);
    if (!answer.ok) throw ConsoleApiError.of(answer.error);
    return answer.value;
  }

  // One EventSource shared by every subscriber, opened on the first and closed with the last.
  const { subscribe } = eventFanout((emit) => {
    if (!ES) {
      emit({ type: 'link', status: 'down' });
      return null;
    }
    const source = new ES(`${base}${METHODS.subscribe.http.path({})}`);
    emit({ type: 'link', status: 'connecting' });
    source.onopen = () => emit({ type: 'link', status: 'open' });
    source.onerror = () => emit({ type: 'link', status: source.readyState === EVENT_SOURCE_CLOSED ? 'down' : 'connecting' });
    for (const type of SSE_EVENT_TYPES) {
      source.addEventListener(type, (ev) => {
        const event = consoleEventOf(type, (ev as MessageEvent<string>).data);
        if (event) emit(event);
      });
    }
    return () => source.close();
  });

  return {
    mode: 'browser',
    keys: createBrowserKeys(),
    ...proxy(HOST_CALLS, invoke),
    getStatechartYaml: async () => yamlText,
    subscribe,
  };
}
