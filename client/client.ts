// The typed SWOOSH client SDK (docs/protocol.md): reads, signed proposals, the event
// stream. Its wire types, error-body parsing and POST /transition outcome are protocol/'s,
// the same the console and its Electron bridge use. Used by the CLI, the simulators, the tests and the browser console, so it
// runs anywhere with a global `fetch`: no node:* imports. Time comes through an injected
// Clock, waiting through an injected sleep, so tests drive both.
//
// propose() never throws for an HTTP-level answer: it returns tagged data,
// `{ok: true, …}` or `{ok: false, code, reason, …}`. A connection failure is
// `{ok: false, status: 0, code: 'network'}`: the outcome is then unknown, and re-sending
// the returned `proposal` (submit) is safe because its idem_key is applied at most once.
// Reads (state, wal, …) throw SwooshError for a non-2xx answer and SwooshNetworkError for
// a connection failure: there is no outcome to report, only data or its absence.

import { CanonicalError } from '../core/canonical';
import { proposalSigningBytes, type Signer } from '../core/crypto';
import { H } from '../core/hash';
import { formatHlc, HlcClock, parseHlc, type Clock, type Hlc } from '../core/hlc';
import type { State } from '../core/state';
import type { DecisionRecord, Hash, JsonObject, Proposal } from '../core/types';
import { beatPosition, type Schedule } from '../core/window';
import type { RejectionRow, RejectionsPage, StateAt, WalPage as ProtocolWalPage } from '../protocol/api';
import { failureOf, parseMaybeJson } from '../protocol/errors';
import { routeOf } from '../protocol/http';
import { urlOf, type HostCallName } from '../protocol/methods';
import { transitionOutcomeOf } from '../protocol/outcome';

/** Time-gated transitions of the shipped statechart (statechart/swoosh.statechart.yaml) and their window classes. */
export const DEFAULT_GATED: Readonly<Record<string, readonly string[]>> = {
  Execution_BeatReviewGate: ['review'],
  Execution_Approve: ['review', 'reverb'],
  Execution_ApprovalsThreshold: ['reverb'],
  Execution_Submit: ['reverb'],
  Execution_NextWindow: ['reverb'],
};

/** Retries are bounded: a client must never loop on a server that keeps refusing. */
export const STALE_RETRIES_MAX = 5;
export const OVERLOADED_RETRIES_MAX = 3;
export const RETRY_AFTER_MAX_MS = 5_000;

export interface SwooshClientOptions {
  /** Base URL of the orchestrator, e.g. http://127.0.0.1:7420 */
  url: string;
  /** Signs proposals; optional for a read-only client. */
  signer?: Signer;
  /** Defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Physical clock under the client's HLC; defaults to Date.now. */
  clock?: Clock;
  /** Used for 429 Retry-After waits; defaults to setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Transitions that need a window_id: a spec, a name list, or DEFAULT_GATED when absent. */
  spec?: { transitions: Record<string, { window: readonly string[] | null }> };
  gated?: Iterable<string>;
  /** Random part of default idem keys; defaults to crypto.randomUUID. */
  uuid?: () => string;
  stale_retries_max?: number;
  overloaded_retries_max?: number;
  retry_after_max_ms?: number;
  /** Extra request headers (e.g. an auth token in front of the API). */
  headers?: Record<string, string>;
  /**
   * Cluster on etcd: the other nodes' URLs. A proposal answered 503 not_writer is re-sent
   * to the leader the answer names, 503 no_leader is retried after Retry-After, and an
   * unreachable node is replaced by the next one; always the same signed proposal (same
   * idem_key), so a retry can never apply it twice. Bounded by `leader_wait_ms_max`.
   */
  nodes?: readonly string[];
  /** How long a proposal may wait for a reachable leader in total (default 15 s). */
  leader_wait_ms_max?: number;
}

export interface ProposeOptions {
  /** HEAD to propose against; read from GET /state when absent. */
  current_state_hash?: Hash;
  /** Explicit HLC text; a fresh one from the client's HLC when absent. */
  hlc?: string;
  idem_key?: string;
  /** Explicit window id (null for none); computed from the HLC for gated transitions when absent. */
  window_id?: string | null;
  evidence?: string[];
  /**
   * Re-read HEAD and re-propose (fresh HLC, same idem_key) after 409 stale_state_hash or
   * hlc_regression. Default: true when current_state_hash and hlc were not given (the
   * caller let the client choose them), false otherwise.
   */
  rebase?: boolean;
}

export interface ProposeAccepted {
  ok: true;
  status: 200 | 202;
  index: number;
  state_post_hash: Hash;
  decision_id: string;
  duplicate: boolean;
  /** The proposal as last sent. */
  proposal: Proposal;
  attempts: number;
}

export interface ProposeRejected {
  ok: false;
  /** HTTP status; 0 when no answer was received (network) or the request was never sent. */
  status: number;
  code: string;
  reason: string;
  guard?: string;
  reasons?: string[];
  head_hash?: Hash;
  /** 503 not_writer: where the writer is. */
  writer?: string;
  /** 503 not_writer from a cluster follower: the leader's URL. */
  leader?: string;
  proposal?: Proposal;
  attempts: number;
}

export type ProposeResult = ProposeAccepted | ProposeRejected;

/** GET /state (the console's StateAt). */
export type StateResponse = StateAt;

export interface ProjectionResponse {
  hash: Hash;
  index: number;
  hlc: string | null;
  projection: Partial<Pick<State, 'boot' | 'ingestion' | 'council' | 'environment' | 'execution' | 'control' | 'policy'>>;
}

export interface HealthResponse {
  /** HTTP status: 200 ready, 503 not. */
  http_status: number;
  body: { status: string; consensus: unknown; lastSnapshotHLC: string | null; walLag: number; [k: string]: unknown };
}

export type WalPage = ProtocolWalPage;
export type RejectionEntry = RejectionRow;
export type RejectionPage = RejectionsPage;

export interface ServerEvent {
  event: string;
  id: string | null;
  /** Parsed JSON when the data is JSON, else the raw text. */
  data: unknown;
}

/** A non-2xx answer to a read. */
export class SwooshError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly reason: string,
    readonly body: unknown,
  ) {
    super(`${status} ${code}: ${reason}`);
    this.name = 'SwooshError';
  }
}

/** No answer at all (connection refused, reset, DNS, abort). */
export class SwooshNetworkError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SwooshNetworkError';
  }
}

export interface ProposalDraft {
  current_state_hash: Hash;
  transition: string;
  inputs: JsonObject;
  idem_key: string;
  hlc: string;
  window_id: string | null;
  evidence: string[];
}

/** inputs_hash = H(inputs); signature over SWOOSH-PROPOSAL-V1 + JCS(without signature and inputs). */
export function signProposal(signer: Signer, d: ProposalDraft): Proposal {
  const unsigned = {
    current_state_hash: d.current_state_hash,
    transition: d.transition,
    inputs: d.inputs,
    inputs_hash: H(d.inputs),
    signer: signer.signer,
    idem_key: d.idem_key,
    hlc: d.hlc,
    window_id: d.window_id,
    evidence: d.evidence,
  };
  return { ...unsigned, signature: signer.sign(proposalSigningBytes(unsigned)) };
}

/** Retry-After: delta-seconds or an HTTP date; bounded, never negative. */
export function retryAfterMs(header: string | null, now_ms: number, max_ms: number): number {
  if (header === null) return Math.min(1000, max_ms);
  const trimmed = header.trim();
  let ms: number;
  if (/^\d{1,9}$/.test(trimmed)) ms = Number(trimmed) * 1000;
  else {
    const at = Date.parse(trimmed);
    ms = Number.isNaN(at) ? 1000 : at - now_ms;
  }
  return Math.max(0, Math.min(ms, max_ms));
}

interface SharedClientState {
  hlc: HlcClock;
  clock: Clock;
  project: string | null;
  schedule: Schedule | null;
}

type HttpAnswer = { status: number; headers: Headers; body: unknown };

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function defaultUuid(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (!c?.randomUUID) throw new Error('crypto.randomUUID is unavailable: pass `uuid` to SwooshClient');
  return c.randomUUID();
}

export class SwooshClient {
  readonly url: string;
  readonly signer: Signer | null;
  private readonly fetcher: typeof fetch;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly gated: ReadonlySet<string>;
  private readonly uuid: () => string;
  private readonly headers: Record<string, string>;
  private readonly staleMax: number;
  private readonly overloadedMax: number;
  private readonly retryAfterMax: number;
  private readonly shared: SharedClientState;
  private readonly options: SwooshClientOptions;
  /** Where requests go: `url`, or the cluster node last found to lead (or to answer). */
  private base: string;
  private readonly nodes: string[];

  constructor(opts: SwooshClientOptions, shared?: SharedClientState) {
    this.url = opts.url.replace(/\/+$/, '');
    this.base = this.url;
    this.nodes = [this.url, ...(opts.nodes ?? []).map((n) => n.replace(/\/+$/, ''))].filter((n, i, all) => all.indexOf(n) === i);
    this.signer = opts.signer ?? null;
    const f = opts.fetch ?? globalThis.fetch;
    // Bound: a browser's fetch throws "Illegal invocation" when called as a method of another object.
    this.fetcher = opts.fetch ? f : f.bind(globalThis);
    this.sleep = opts.sleep ?? defaultSleep;
    if (opts.spec) {
      this.gated = new Set(
        Object.entries(opts.spec.transitions)
          .filter(([, t]) => t.window !== null && t.window.length > 0)
          .map(([n]) => n),
      );
    } else {
      this.gated = new Set(opts.gated ?? Object.keys(DEFAULT_GATED));
    }
    this.uuid = opts.uuid ?? defaultUuid;
    this.headers = { ...(opts.headers ?? {}) };
    this.staleMax = opts.stale_retries_max ?? STALE_RETRIES_MAX;
    this.overloadedMax = opts.overloaded_retries_max ?? OVERLOADED_RETRIES_MAX;
    this.retryAfterMax = opts.retry_after_max_ms ?? RETRY_AFTER_MAX_MS;
    const clock = opts.clock ?? { now_ms: () => Date.now() };
    this.shared = shared ?? { hlc: new HlcClock(clock), clock, project: null, schedule: null };
    this.options = opts;
  }

  /** Same server, clock and HLC, another signer (one HLC for all of a process's keys). */
  withSigner(signer: Signer): SwooshClient {
    return new SwooshClient({ ...this.options, signer }, this.shared);
  }

  /** The last HLC this client issued or merged. */
  get lastHlc(): Hlc {
    return this.shared.hlc.peek();
  }

  /** Whether `transition` needs a window_id. */
  isGated(transition: string): boolean {
    return this.gated.has(transition);
  }

  /** The BACKBEAT window id of an HLC wall time (needs the schedule: read once from state). */
  async windowIdAt(wall_ms: number): Promise<string> {
    const schedule = this.shared.schedule ?? (await this.state()).state.execution.backbeat;
    return beatPosition(schedule, wall_ms).window_id;
  }

  // -------------------------------------------------------------------------
  // Reads

  state(): Promise<StateResponse>;
  state(projection: string | readonly string[]): Promise<ProjectionResponse>;
  async state(projection?: string | readonly string[]): Promise<StateResponse | ProjectionResponse> {
    const names = projection === undefined ? '' : typeof projection === 'string' ? projection : projection.join(',');
    const path = names === '' ? '/state' : `/state?projection=${encodeURIComponent(names)}`;
    const body = (await this.read(path)) as StateResponse | ProjectionResponse;
    this.observe(body);
    return body;
  }

  async health(): Promise<HealthResponse> {
    const a = await this.request('GET', '/health');
    if (a.status !== 200 && a.status !== 503) throw errorOf('GET', '/health', a);
    return { http_status: a.status, body: a.body as HealthResponse['body'] };
  }

  wal(from = 1, limit = 100): Promise<WalPage> {
    return this.read(hostPath('getWal', { from, limit })) as Promise<WalPage>;
  }

  decision(index: number): Promise<DecisionRecord> {
    return this.read(hostPath('getDecision', { n: index })) as Promise<DecisionRecord>;
  }

  rejections(from = 0, limit = 100): Promise<RejectionPage> {
    return this.read(hostPath('getRejections', { from, limit })) as Promise<RejectionPage>;
  }

  stateAt(index: number): Promise<StateResponse> {
    return this.read(hostPath('getStateAt', { n: index })) as Promise<StateResponse>;
  }

  async metrics(): Promise<string> {
    const res = await this.send('GET', '/metrics');
    const text = await res.text();
    if (res.status !== 200) throw errorOf('GET', '/metrics', { status: res.status, headers: res.headers, body: parseMaybeJson(text) });
    return text;
  }

  async openapi(): Promise<Record<string, unknown>> {
    return (await this.read('/openapi.json')) as Record<string, unknown>;
  }

  /**
   * Server-Sent Events (`accepted`, `rejected`, `health`) as an async iterable; stop with
   * `break` or the signal. Works over fetch, so also where EventSource does not exist.
   */
  async *events(opts: { signal?: AbortSignal } = {}): AsyncGenerator<ServerEvent> {
    const res = await this.send('GET', '/events', undefined, opts.signal);
    if (res.status !== 200 || !res.body) {
      throw errorOf('GET', '/events', { status: res.status, headers: res.headers, body: parseMaybeJson(await res.text()) });
    }
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    let event = 'message';
    let id: string | null = null;
    let data: string[] = [];
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        buffer += decoder.decode(value, { stream: true });
        let nl: number;
        while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
          const line = buffer.slice(0, nl);
          buffer = buffer.slice(nl + (buffer.startsWith('\r\n', nl) ? 2 : 1));
          if (line === '') {
            if (data.length > 0) yield { event, id, data: parseMaybeJson(data.join('\n')) };
            event = 'message';
            data = [];
            continue;
          }
          if (line.startsWith(':')) continue;
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
          if (field === 'event') event = value;
          else if (field === 'data') data.push(value);
          else if (field === 'id') id = value;
        }
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  // -------------------------------------------------------------------------
  // Proposals

  /**
   * Builds, signs and sends a proposal; follows 409 stale_state_hash (and hlc_regression)
   * by re-reading HEAD and re-proposing with a fresh HLC and the same idem_key, and 429 by
   * waiting Retry-After. Both bounded.
   */
  async propose(transition: string, inputs: JsonObject, opts: ProposeOptions = {}): Promise<ProposeResult> {
    const signer = this.requireSigner();
    const rebase = opts.rebase ?? (opts.current_state_hash === undefined && opts.hlc === undefined);
    let attempts = 0;
    let rebases = 0;
    let head: Hash;
    let idem_key: string;
    try {
      head = opts.current_state_hash ?? (await this.state()).hash;
      idem_key = opts.idem_key ?? `${await this.project()}:${transition}:${this.uuid()}`;
    } catch (err) {
      return readFailure(err, attempts);
    }
    for (;;) {
      let proposal: Proposal;
      try {
        const hlc = opts.hlc ?? formatHlc(this.shared.hlc.now());
        const window_id = opts.window_id !== undefined ? opts.window_id : await this.windowIdFor(transition, hlc);
        proposal = signProposal(signer, {
          current_state_hash: head,
          transition,
          inputs,
          idem_key,
          hlc,
          window_id,
          evidence: opts.evidence ?? [],
        });
      } catch (err) {
        if (err instanceof CanonicalError)
          return { ok: false, status: 0, code: 'malformed', reason: `inputs are not canonical JSON: ${err.message}`, attempts };
        return readFailure(err, attempts);
      }
      const result = await this.submit(proposal);
      attempts += result.attempts;
      const retryable = result.ok === false && (result.code === 'stale_state_hash' || result.code === 'hlc_regression');
      if (!retryable || !rebase || rebases >= this.staleMax) return { ...result, attempts };
      rebases += 1;
      try {
        head = (await this.state()).hash;
      } catch (err) {
        if (result.ok === false && result.head_hash) head = result.head_hash;
        else return readFailure(err, attempts);
      }
    }
  }

  /** Sends an already signed proposal as is (429 Retry-After honoured, a cluster's leader followed; bounded). */
  async submit(proposal: Proposal): Promise<ProposeResult> {
    let attempts = 0;
    let overloaded = 0;
    let waits = 0;
    const cluster = this.nodes.length > 1;
    const deadline_ms = this.shared.clock.now_ms() + (this.options.leader_wait_ms_max ?? 15_000);
    const mayWait = (): boolean => cluster && this.shared.clock.now_ms() < deadline_ms;
    for (;;) {
      attempts += 1;
      let a: HttpAnswer;
      try {
        a = await this.request('POST', '/transition', JSON.stringify(proposal));
      } catch (err) {
        if (!mayWait()) return { ok: false, status: 0, code: 'network', reason: (err as Error).message, proposal, attempts };
        this.base = this.nodes[(this.nodes.indexOf(this.base) + 1) % this.nodes.length] as string;
        await this.sleep(100);
        continue;
      }
      if (a.status === 429 && overloaded < this.overloadedMax) {
        overloaded += 1;
        await this.sleep(retryAfterMs(a.headers.get('retry-after'), this.shared.clock.now_ms(), this.retryAfterMax));
        continue;
      }
      const code = a.status === 503 ? errorFields(a.body)?.code : undefined;
      const leader = code === 'not_writer' ? errorFields(a.body)?.leader : undefined;
      if (typeof leader === 'string' && leader.replace(/\/+$/, '') !== this.base && mayWait()) {
        this.base = leader.replace(/\/+$/, '');
        continue;
      }
      if ((code === 'no_leader' || code === 'not_writer') && mayWait()) {
        // Backoff 100, 200, 400 ms, never past the server's Retry-After: an election ends
        // at an unknown moment within about a lease, and a short poll finds the winner soon.
        waits += 1;
        await this.sleep(
          Math.min(100 * 2 ** Math.min(waits - 1, 2), retryAfterMs(a.headers.get('retry-after'), this.shared.clock.now_ms(), 1000) || 1000),
        );
        continue;
      }
      return outcomeOf(a, proposal, attempts);
    }
  }

  /** The node requests go to now (the cluster leader once one answered). */
  get currentUrl(): string {
    return this.base;
  }

  // -------------------------------------------------------------------------
  // Internals

  private requireSigner(): Signer {
    if (!this.signer) throw new Error('this SwooshClient has no signer: pass `signer` to propose');
    return this.signer;
  }

  private async project(): Promise<string> {
    if (this.shared.project === null) await this.state();
    return this.shared.project as string;
  }

  private async windowIdFor(transition: string, hlcText: string): Promise<string | null> {
    if (!this.gated.has(transition)) return null;
    const hlc = parseHlc(hlcText);
    if (hlc === null) return null; // the server answers malformed; nothing to compute
    return this.windowIdAt(hlc.wall_ms);
  }

  /** Learns the project and schedule, and merges the server's last HLC so ours orders after it. */
  private observe(body: StateResponse | ProjectionResponse): void {
    if ('state' in body && body.state) {
      this.shared.project = body.state.meta.project;
      this.shared.schedule = body.state.execution.backbeat;
    }
    const execution = 'projection' in body ? body.projection?.execution : undefined;
    if (execution?.backbeat) this.shared.schedule = execution.backbeat;
    const remote = body.hlc === null ? null : parseHlc(body.hlc);
    if (remote) this.shared.hlc.receive(remote);
  }

  private async read(path: string): Promise<unknown> {
    const a = await this.request('GET', path);
    if (a.status < 200 || a.status > 299) throw errorOf('GET', path, a);
    return a.body;
  }

  private async send(method: string, path: string, body?: string, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', ...this.headers };
    if (body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await this.fetcher(`${this.base}${path}`, { method, headers, body, signal });
    } catch (err) {
      throw new SwooshNetworkError(`${method} ${this.base}${path}: ${describeFetchError(err)}`);
    }
  }

  private async request(method: string, path: string, body?: string): Promise<HttpAnswer> {
    const res = await this.send(method, path, body);
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      throw new SwooshNetworkError(`${method} ${this.base}${path}: body lost: ${describeFetchError(err)}`);
    }
    return { status: res.status, headers: res.headers, body: parseMaybeJson(text) };
  }
}

/** A read's path and query, from the console's method table (the same routes the console calls). */
function hostPath(name: HostCallName, payload: Record<string, unknown>): string {
  return urlOf(routeOf(name), payload);
}

function describeFetchError(err: unknown): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  return e.cause?.code ?? e.cause?.message ?? e.message ?? String(err);
}

type ErrorBody = {
  code?: unknown;
  reason?: unknown;
  guard?: unknown;
  reasons?: unknown;
  head_hash?: unknown;
  writer?: unknown;
  leader?: unknown;
};

function errorFields(body: unknown): ErrorBody | null {
  if (typeof body !== 'object' || body === null) return null;
  const e = (body as { error?: unknown }).error;
  return typeof e === 'object' && e !== null ? (e as ErrorBody) : null;
}

function errorOf(method: string, path: string, a: HttpAnswer): SwooshError {
  const f = failureOf(a.status, a.body, `${method} ${path}`);
  return new SwooshError(a.status, f.code, f.reason, a.body);
}

/** protocol/'s outcome, flattened into the SDK's result with the proposal and attempt count. */
function outcomeOf(a: HttpAnswer, proposal: Proposal, attempts: number): ProposeResult {
  const o = transitionOutcomeOf(a.status, a.body, a.headers.get('retry-after'));
  if (o.ok) {
    const { ok: _ok, status, ...accepted } = o;
    return { ok: true, status: status as 200 | 202, ...accepted, proposal, attempts };
  }
  return { ok: false, status: o.status, ...o.error, proposal, attempts };
}

function readFailure(err: unknown, attempts: number): ProposeRejected {
  if (err instanceof SwooshNetworkError) return { ok: false, status: 0, code: 'network', reason: err.message, attempts };
  if (err instanceof SwooshError) return { ok: false, status: err.status, code: err.code, reason: err.reason, attempts };
  throw err;
}
