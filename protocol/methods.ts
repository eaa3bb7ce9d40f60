// THE METHOD TABLE: every ConsoleApi method once, with how each transport carries it.
//
// One definition, two transports (the model is VS Code's ProxyChannel): the browser
// adapter (renderer/api/http.ts) calls `http`, the Electron adapter (renderer/api/ipc.ts)
// invokes `channel`, main's validator (main/electron/ipc-contract.ts) checks `schema`,
// and main's bridge (main/electron/bridge.ts) answers a channel with the same `http`
// route on the host's loopback API, or with its operator keys. A new method is one row
// here; the type below refuses a table that misses a ConsoleApi method or names one twice.

import type { ConsoleApi, OperatorKeys } from './api';
import { int, jsonObject, text, type Payload, type Schema } from './schema';

type KeyOp = keyof OperatorKeys & string;
/** ConsoleApi's methods by name; operator-key methods as `keys.<op>`. */
export type MethodName = Exclude<keyof ConsoleApi, 'mode' | 'keys'> | `keys.${KeyOp}`;
export type MethodFn<K extends MethodName> = K extends `keys.${infer Op extends KeyOp}`
  ? NonNullable<OperatorKeys[Op]>
  : K extends keyof ConsoleApi
    ? ConsoleApi[K]
    : never;
export type ArgsOf<K extends MethodName> = Parameters<MethodFn<K>>;
/** One name per argument: a tuple as long as the method's parameter list. */
type NamesOf<A extends readonly unknown[]> = { readonly [I in keyof A]: string };

/** Every IPC channel is `console:`-prefixed (docs/electron.md); the preload and main refuse any other. */
export const CHANNEL_PREFIX = 'console:';
export type Channel = `console:${string}`;
/** Main → renderer: the live ConsoleEvent stream (webContents.send). */
export const EVENT_CHANNEL = 'console:event';

export interface HttpRoute {
  method: 'GET' | 'POST';
  /** The route as docs/console-protocol.md writes it, e.g. `/state/at/{n}`. */
  pattern: string;
  /** The path with the payload's parameters filled in. */
  path(p: Payload): string;
  query?(p: Payload): Record<string, number | string>;
  /** The JSON request body (POST). */
  body?(p: Payload): unknown;
  /** Statuses that are answers, not errors (GET /health answers 503 too). */
  ok_statuses: readonly number[];
  /** json: the parsed body; text: the raw body; outcome: a SubmitOutcome; events: an SSE stream. */
  answer: 'json' | 'text' | 'outcome' | 'events';
}

export interface MethodSpec<K extends MethodName> {
  /** call: request → answer; events: the live stream; bundled: built into the console, no transport. */
  kind: 'call' | 'events' | 'bundled';
  /** The IPC channel, or null when Electron does not carry it (see `note`). */
  channel: Channel | null;
  /** The host route, or null when browser mode answers it in the page (operator keys). */
  http: HttpRoute | null;
  /** Payload field names, in the method's argument order. */
  params: NamesOf<ArgsOf<K>>;
  /** One field per param (calls only); the IPC validator and the HTTP adapter both check it. */
  schema: Schema;
  note?: string;
}

const INDEX_MAX = Number.MAX_SAFE_INTEGER;
export const PAGE_LIMIT_MAX = 1000;
const LABEL_CHARS_MAX = 100;
const PASSPHRASE_CHARS_MAX = 1024;
const KEY_ID_CHARS_MAX = 64;
const KEY_FILE_CHARS_MAX = 64 * 1024;
/** Same bound as the HTTP API's body limit (1 MiB, docs/protocol.md). */
export const PROPOSAL_BYTES_MAX = 1024 * 1024;

/** A simulator or scenario name (the host's route takes 1..64 characters). */
const SIM_NAME_CHARS_MAX = 64;
/** Same bound as the host's knob body limit (main/app/simulators-routes.ts). */
const KNOB_PATCH_BYTES_MAX = 16 * 1024;

/** Same bound as the host's /migration/demo/knobs body limit (main/app/migration-demo.ts). */
const MIGRATION_KNOBS_BYTES_MAX = 4096;

const index = int(0, INDEX_MAX);
const simName = text(1, SIM_NAME_CHARS_MAX);
const limit = int(0, PAGE_LIMIT_MAX);
const keyId = text(1, KEY_ID_CHARS_MAX);
const label = text(1, LABEL_CHARS_MAX);
const passphrase = text(1, PASSPHRASE_CHARS_MAX);

const num = (p: Payload, name: string): number => p[name] as number;
/** A page of 0 asks for nothing; the host wants limit ≥ 1, so 0 reads one. */
const page = (p: Payload) => ({ from: num(p, 'from'), limit: Math.max(1, num(p, 'limit')) });

const get = (pattern: string, path: (p: Payload) => string, extra: Partial<HttpRoute> = {}): HttpRoute => ({
  method: 'GET',
  pattern,
  path,
  ok_statuses: [200],
  answer: 'json',
  ...extra,
});

export const METHODS = {
  getState: { kind: 'call', channel: 'console:getState', http: get('/state', () => '/state'), params: [], schema: {} },
  getStateAt: {
    kind: 'call',
    channel: 'console:getStateAt',
    http: get('/state/at/{n}', (p) => `/state/at/${num(p, 'n')}`),
    params: ['n'],
    schema: { n: index },
  },
  getWal: {
    kind: 'call',
    channel: 'console:getWal',
    http: get('/wal', () => '/wal', { query: page }),
    params: ['from', 'limit'],
    schema: { from: index, limit },
  },
  getDecision: {
    kind: 'call',
    channel: 'console:getDecision',
    http: get('/decisions/{n}', (p) => `/decisions/${num(p, 'n')}`),
    params: ['n'],
    schema: { n: index },
  },
  getRejections: {
    kind: 'call',
    channel: 'console:getRejections',
    http: get('/rejections', () => '/rejections', { query: page }),
    params: ['from', 'limit'],
    schema: { from: index, limit },
  },
  getHealth: {
    kind: 'call',
    channel: 'console:getHealth',
    http: get('/health', () => '/health', { ok_statuses: [200, 503] }),
    params: [],
    schema: {},
  },
  getMetricsText: {
    kind: 'call',
    channel: 'console:getMetricsText',
    http: get('/metrics', () => '/metrics', { answer: 'text' }),
    params: [],
    schema: {},
  },
  getShadowDivergences: {
    kind: 'call',
    channel: 'console:getShadowDivergences',
    http: get('/migration/divergences', () => '/migration/divergences', { query: page }),
    params: ['from', 'limit'],
    schema: { from: index, limit },
    note: "the migration shim's GET /shadow/divergences, proxied by a host started with a shim (404 not_found otherwise)",
  },
  getShimHealth: {
    kind: 'call',
    channel: 'console:getShimHealth',
    http: get('/migration/health', () => '/migration/health', { ok_statuses: [200, 503] }),
    params: [],
    schema: {},
  },
  getShimMetricsText: {
    kind: 'call',
    channel: 'console:getShimMetricsText',
    http: get('/migration/metrics', () => '/migration/metrics', { answer: 'text' }),
    params: [],
    schema: {},
  },
  getSimulators: {
    kind: 'call',
    channel: 'console:getSimulators',
    http: get('/demo/simulators', () => '/demo/simulators'),
    params: [],
    schema: {},
    note: 'demo mode only (swoosh serve --sim, npm start); 404 not_demo otherwise',
  },
  setSimulatorKnobs: {
    kind: 'call',
    channel: 'console:setSimulatorKnobs',
    http: {
      method: 'POST',
      pattern: '/demo/simulators/{name}/knobs',
      path: (p) => `/demo/simulators/${encodeURIComponent(p.name as string)}/knobs`,
      body: (p) => p.knobs,
      ok_statuses: [200],
      answer: 'json',
    },
    params: ['name', 'knobs'],
    schema: { name: simName, knobs: jsonObject(KNOB_PATCH_BYTES_MAX) },
  },
  runSimulatorScenario: {
    kind: 'call',
    channel: 'console:runSimulatorScenario',
    http: {
      method: 'POST',
      pattern: '/demo/scenarios/{id}',
      path: (p) => `/demo/scenarios/${encodeURIComponent(p.id as string)}`,
      ok_statuses: [202],
      answer: 'json',
    },
    params: ['id'],
    schema: { id: simName },
  },
  getMigrationDemoKnobs: {
    kind: 'call',
    channel: 'console:getMigrationDemoKnobs',
    http: get('/migration/demo/knobs', () => '/migration/demo/knobs'),
    params: [],
    schema: {},
    note: 'the migration demo only (npm start -- --migration, serve --sim-migration)',
  },
  setMigrationDemoKnobs: {
    kind: 'call',
    channel: 'console:setMigrationDemoKnobs',
    http: {
      method: 'POST',
      pattern: '/migration/demo/knobs',
      path: () => '/migration/demo/knobs',
      body: (p) => p.knobs,
      ok_statuses: [200],
      answer: 'json',
    },
    params: ['knobs'],
    schema: { knobs: jsonObject(MIGRATION_KNOBS_BYTES_MAX) },
  },
  submitProposal: {
    kind: 'call',
    channel: 'console:submitProposal',
    http: {
      method: 'POST',
      pattern: '/transition',
      path: () => '/transition',
      body: (p) => p.proposal,
      ok_statuses: [200, 202],
      answer: 'outcome',
    },
    params: ['proposal'],
    schema: { proposal: jsonObject(PROPOSAL_BYTES_MAX) },
  },
  getStatechartYaml: {
    kind: 'bundled',
    channel: null,
    http: null,
    params: [],
    schema: {},
    note: 'the statechart YAML is bundled at build time; the host pins its hash in state.meta.spec_hash',
  },
  subscribe: {
    kind: 'events',
    channel: EVENT_CHANNEL,
    http: get('/events', () => '/events', { answer: 'events' }),
    params: ['listener'],
    schema: {},
    note: 'SSE `accepted` / `rejected` / `health` frames; over IPC the same objects on console:event',
  },
  'keys.list': { kind: 'call', channel: 'console:keys.list', http: null, params: [], schema: {} },
  'keys.create': {
    kind: 'call',
    channel: 'console:keys.create',
    http: null,
    params: ['label', 'passphrase'],
    schema: { label, passphrase },
  },
  'keys.importFile': {
    kind: 'call',
    channel: 'console:keys.importFile',
    http: null,
    params: ['label', 'keyFileText', 'passphrase'],
    schema: { label, keyFileText: text(1, KEY_FILE_CHARS_MAX), passphrase: text(0, PASSPHRASE_CHARS_MAX) },
  },
  'keys.unlock': {
    kind: 'call',
    channel: 'console:keys.unlock',
    http: null,
    params: ['id', 'passphrase'],
    schema: { id: keyId, passphrase },
  },
  'keys.lock': { kind: 'call', channel: 'console:keys.lock', http: null, params: ['id'], schema: { id: keyId } },
  'keys.remove': { kind: 'call', channel: 'console:keys.remove', http: null, params: ['id'], schema: { id: keyId } },
  'keys.sign': {
    kind: 'call',
    channel: 'console:keys.sign',
    http: null,
    params: ['id', 'unsigned'],
    schema: { id: keyId, unsigned: jsonObject(PROPOSAL_BYTES_MAX) },
  },
  'keys.exportFile': {
    kind: 'call',
    channel: null,
    http: null,
    params: ['id'],
    schema: { id: keyId },
    note: 'browser mode only: in Electron the key file stays in main',
  },
} as const satisfies { readonly [K in MethodName]: MethodSpec<K> };

type Table = typeof METHODS;
export const METHOD_NAMES = Object.keys(METHODS) as MethodName[];

/** Calls the browser adapter sends to the host over HTTP. */
export type HostCallName = { [K in MethodName]: Table[K] extends { kind: 'call'; http: HttpRoute } ? K : never }[MethodName];
/** Calls the Electron adapter sends to main over IPC. */
export type IpcCallName = { [K in MethodName]: Table[K] extends { kind: 'call'; channel: Channel } ? K : never }[MethodName];
export type RequestChannel = Table[IpcCallName]['channel'];

export function specOf<K extends MethodName>(name: K): MethodSpec<K> {
  return METHODS[name] as unknown as MethodSpec<K>;
}

export const HOST_CALLS = METHOD_NAMES.filter((n) => specOf(n).kind === 'call' && specOf(n).http !== null) as HostCallName[];
export const IPC_CALLS = METHOD_NAMES.filter((n) => specOf(n).kind === 'call' && specOf(n).channel !== null) as IpcCallName[];
export const REQUEST_CHANNELS = IPC_CALLS.map((n) => specOf(n).channel) as RequestChannel[];

const CALL_OF_CHANNEL: ReadonlyMap<string, IpcCallName> = new Map(IPC_CALLS.map((n) => [specOf(n).channel as string, n]));

export function isRequestChannel(x: unknown): x is RequestChannel {
  return typeof x === 'string' && CALL_OF_CHANNEL.has(x);
}

export function callOfChannel(channel: RequestChannel): IpcCallName {
  return CALL_OF_CHANNEL.get(channel) as IpcCallName;
}

/** Arguments → payload: each argument under its param name. */
export function payloadOf(name: MethodName, args: readonly unknown[]): Payload {
  const params = specOf(name).params as readonly string[];
  const out: Payload = {};
  params.forEach((p, i) => {
    out[p] = args[i];
  });
  return out;
}

/** Payload → arguments, in the method's order (the payload was validated). */
export function argsOf(name: MethodName, payload: Payload): unknown[] {
  return (specOf(name).params as readonly string[]).map((p) => payload[p]);
}

/** `/wal?from=0&limit=50`: the route's path and query for a payload. */
export function urlOf(route: HttpRoute, p: Payload): string {
  const q = route.query ? Object.entries(route.query(p)) : [];
  const query = q.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&');
  return query === '' ? route.path(p) : `${route.path(p)}?${query}`;
}

/** Typed stubs for `names`, each forwarding its arguments to `invoke` (both adapters build on it). */
export function proxy<N extends MethodName>(
  names: readonly N[],
  invoke: (name: N, args: unknown[]) => Promise<unknown>,
): { [K in N]: MethodFn<K> } {
  const out: Record<string, unknown> = {};
  for (const name of names) out[name] = (...args: unknown[]) => invoke(name, args);
  return out as { [K in N]: MethodFn<K> };
}

type KeyStubs<N extends MethodName> = { [K in N as K extends `keys.${infer Op}` ? Op : never]: MethodFn<K> };

/** Like proxy, for the `keys.*` calls: the stubs under their OperatorKeys names. */
export function proxyKeys<N extends MethodName>(names: readonly N[], invoke: (name: N, args: unknown[]) => Promise<unknown>): KeyStubs<N> {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    if (name.startsWith('keys.')) out[name.slice('keys.'.length)] = (...args: unknown[]) => invoke(name, args);
  }
  return out as KeyStubs<N>;
}
