// HTTP API (docs/protocol.md §8) on node:http. Every bad request gets a precise 4xx with
// {error: {code, reason}}; nothing a client sends can take the process down or change
// state outside POST /transition's accepted path.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { projectState } from '../../core/state';
import { acceptedEventOf, healthEventOf, rejectedEventOf, sseDataOf } from '../../protocol/events';
import type { Host } from '../host';
import { HostError } from '../host';
import type { EngineEvent, SubmitResult } from '../engine/engine';
import { peerKey } from '../engine/peer-rate';
import type { HostMetrics } from '../observe/metrics';
import { openApiDocument } from './openapi';
import { checkHost, checkOrigin, hostAllowList, Slots, type HostAllowList } from './admission';
import { parseStrictJson } from './strict-json';

export const BODY_BYTES_MAX = 1024 * 1024;
const WAL_PAGE_MAX = 1000;
const SSE_CLIENTS_MAX = 256;
/** At most this many missed events are replayed to a reconnecting SSE client (then: reset). */
export const SSE_RESUME_MAX = 1000;
/** Request bodies read at once; beyond it POST answers 429 (each holds up to 1 MiB). */
export const BODIES_IN_FLIGHT_MAX = 32;
/** Open sockets; beyond it the kernel's backlog waits and Node drops new ones. */
export const CONNECTIONS_MAX = 1024;
const EXTRA_ROUTES_MAX = 8;

export interface ApiOptions {
  host: Host;
  metrics: HostMetrics;
  /** Extra routes (console static files, simulators' knobs) tried before the 404. */
  fallback?: (req: IncomingMessage, res: ServerResponse, url: URL) => boolean | Promise<boolean>;
  /** Extra health facts (provider breakers, consensus) merged into GET /health. */
  health?: () => Record<string, unknown>;
  /** Missed events replayed to a reconnecting SSE client before it is told to refetch (default SSE_RESUME_MAX). */
  sse_resume_max?: number;
  /** Host names besides loopback that requests may name (DNS-rebinding defence; see admission.ts). */
  allowed_hosts?: readonly string[];
}

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL, params: string[]) => Promise<void> | void;

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  reason: string,
  extra: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): void {
  sendJson(res, status, { error: { code, reason, ...extra } }, headers);
}

class BodyError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Reads at most BODY_BYTES_MAX bytes; a larger body is refused as soon as it is known. */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? '0');
    if (declared > BODY_BYTES_MAX) {
      reject(new BodyError(413, 'payload_too_large', `body of ${declared} bytes exceeds ${BODY_BYTES_MAX}`));
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_BYTES_MAX) {
        reject(new BodyError(413, 'payload_too_large', `body exceeds ${BODY_BYTES_MAX} bytes`));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', (err) => reject(err));
  });
}

function isJsonContentType(header: string | undefined): boolean {
  if (!header) return false;
  const [type, ...params] = header.split(';').map((s) => s.trim().toLowerCase());
  if (type !== 'application/json') return false;
  const charset = params.find((p) => p.startsWith('charset='));
  // RFC 9110 §8.3.1: a quoted parameter value means the same as the bare token.
  return charset === undefined || charset.slice('charset='.length).replace(/^"(.*)"$/, '$1') === 'utf-8';
}

/** `Last-Event-ID` (header, or `last_event_id` for clients that cannot set headers): an index, null, or why not. */
function lastEventId(req: IncomingMessage, url: URL): number | null | string {
  const raw = req.headers['last-event-id'] ?? url.searchParams.get('last_event_id');
  if (raw === undefined || raw === null || raw === '') return null;
  const text = Array.isArray(raw) ? (raw[0] ?? '') : raw;
  if (!/^\d{1,15}$/.test(text))
    return `Last-Event-ID must be a WAL index (a non-negative integer), got ${JSON.stringify(text.slice(0, 40))}`;
  return Number(text);
}

function intParam(url: URL, name: string, fallback: number, min: number, max: number): number | string {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  if (!/^\d{1,15}$/.test(raw)) return `${name} must be a non-negative integer`;
  const n = Number(raw);
  if (n < min || n > max) return `${name} must be within ${min}..${max}`;
  return n;
}

export class ApiServer {
  readonly server: Server;
  private readonly sse = new Set<ServerResponse>();
  private readonly routes: Array<{ method: string; pattern: RegExp; handler: Handler }>;
  private unsubscribe: (() => void) | null = null;
  private allow: HostAllowList = hostAllowList('127.0.0.1');
  private readonly bodies = new Slots(BODIES_IN_FLIGHT_MAX);
  /** Routes an attachment adds after start (the migration shim's proxy), tried before `fallback`. */
  private readonly extra: Array<NonNullable<ApiOptions['fallback']>> = [];

  constructor(private readonly opts: ApiOptions) {
    this.routes = [
      { method: 'POST', pattern: /^\/transition$/, handler: (q, s) => this.postTransition(q, s) },
      { method: 'GET', pattern: /^\/state$/, handler: (_q, s, u) => this.getState(s, u) },
      { method: 'GET', pattern: /^\/state\/at\/(\d{1,15})$/, handler: (_q, s, _u, p) => this.getStateAt(s, Number(p[0])) },
      { method: 'GET', pattern: /^\/health$/, handler: (_q, s) => this.getHealth(s) },
      { method: 'GET', pattern: /^\/metrics$/, handler: (_q, s) => this.getMetrics(s) },
      { method: 'GET', pattern: /^\/wal$/, handler: (_q, s, u) => this.getWal(s, u) },
      { method: 'GET', pattern: /^\/decisions\/(\d{1,15})$/, handler: (_q, s, _u, p) => this.getDecision(s, Number(p[0])) },
      { method: 'GET', pattern: /^\/rejections$/, handler: (_q, s, u) => this.getRejections(s, u) },
      { method: 'GET', pattern: /^\/events$/, handler: (q, s, u) => this.getEvents(q, s, u) },
      { method: 'GET', pattern: /^\/snapshot\/latest$/, handler: (_q, s) => this.getLatestSnapshot(s) },
      { method: 'GET', pattern: /^\/openapi\.json$/, handler: (_q, s) => sendJson(s, 200, openApiDocument()) },
    ];
    // Slow or stalled headers are found within a second and cut at headersTimeout.
    this.server = createServer({ connectionsCheckingInterval: 1000 }, (req, res) => {
      this.dispatch(req, res).catch((err: unknown) => {
        if (!res.headersSent) sendError(res, 500, 'internal', (err as Error).message);
        else res.destroy();
      });
    });
    this.server.headersTimeout = 10_000;
    this.server.requestTimeout = 30_000;
    this.server.keepAliveTimeout = 5_000;
    this.server.maxConnections = CONNECTIONS_MAX;
    this.unsubscribe = opts.host.engine.subscribe((e) => this.broadcast(e));
  }

  /** Adds a route set tried before the 404 (bounded: attachments are few). */
  addFallback(route: NonNullable<ApiOptions['fallback']>): void {
    if (this.extra.length >= EXTRA_ROUTES_MAX) throw new Error(`at most ${EXTRA_ROUTES_MAX} extra route sets`);
    this.extra.push(route);
  }

  listen(port: number, hostname = '127.0.0.1'): Promise<AddressInfo> {
    this.allow = hostAllowList(hostname, this.opts.allowed_hosts);
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, hostname, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    for (const res of this.sse) res.end();
    this.sse.clear();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://swoosh.local');
    } catch {
      sendError(res, 400, 'malformed', 'unparseable request target');
      return;
    }
    const refused = checkHost(req.headers.host, this.allow) ?? (req.method === 'POST' ? checkOrigin(req.headers.origin, this.allow) : null);
    if (refused !== null) {
      req.resume();
      if (req.method === 'POST' && req.headers.origin !== undefined && checkHost(req.headers.host, this.allow) === null)
        sendError(res, 403, 'forbidden_origin', refused);
      else sendError(res, 421, 'misdirected_request', refused);
      return;
    }
    const matching = this.routes.filter((r) => r.pattern.test(url.pathname));
    const route = matching.find((r) => r.method === req.method);
    if (route) {
      const params = (route.pattern.exec(url.pathname) ?? []).slice(1);
      await route.handler(req, res, url, params);
      return;
    }
    for (const extra of this.extra) if (await extra(req, res, url)) return;
    if (this.opts.fallback && (await this.opts.fallback(req, res, url))) return;
    if (matching.length > 0) {
      sendError(
        res,
        405,
        'method_not_allowed',
        `${req.method} is not allowed on ${url.pathname}`,
        {},
        { allow: matching.map((r) => r.method).join(', ') },
      );
      return;
    }
    sendError(res, 404, 'not_found', `no route ${req.method} ${url.pathname}`);
  }

  private async postTransition(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!isJsonContentType(req.headers['content-type'])) {
      req.resume();
      sendError(res, 415, 'unsupported_media_type', `content-type must be application/json, got ${req.headers['content-type'] ?? 'none'}`);
      return;
    }
    if (!this.bodies.take()) {
      req.resume();
      sendError(
        res,
        429,
        'overloaded',
        `${this.bodies.max} request bodies are being read; retry later`,
        {},
        { 'retry-after': '1', connection: 'close' },
      );
      return;
    }
    let parsed: unknown;
    try {
      const read = await this.readJsonBody(req, res);
      if (!read.ok) return;
      parsed = read.value;
    } finally {
      this.bodies.give();
    }
    // The peer is the socket's address: a rejection past its rate is answered, not stored.
    const result = await this.opts.host.engine.submit(parsed, { peer: peerKey(req.socket.remoteAddress) });
    this.answer(res, result);
  }

  /** The body as strict JSON (unique member names, bounded size); on failure the answer is sent. */
  private async readJsonBody(req: IncomingMessage, res: ServerResponse): Promise<{ ok: true; value: unknown } | { ok: false }> {
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch (err) {
      if (err instanceof BodyError) sendError(res, err.status, err.code, err.message, {}, { connection: 'close' });
      else sendError(res, 400, 'malformed', `could not read the body: ${(err as Error).message}`);
      return { ok: false };
    }
    let text: string;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(body);
    } catch (err) {
      sendError(res, 400, 'malformed', `body is not UTF-8: ${(err as Error).message}`);
      return { ok: false };
    }
    const parsed = parseStrictJson(text);
    if (!parsed.ok) {
      sendError(res, 400, 'malformed', parsed.reason);
      return { ok: false };
    }
    return parsed;
  }

  private answer(res: ServerResponse, result: SubmitResult): void {
    if ('body' in result) {
      sendJson(res, result.status, result.body);
      return;
    }
    const headers: Record<string, string> = {};
    if (result.retry_after_s !== undefined) headers['retry-after'] = String(result.retry_after_s);
    // A cluster follower names the leader (docs/cluster.md): clients follow the Location.
    if (result.error.leader !== undefined) headers.location = result.error.leader;
    sendJson(res, result.status, { error: result.error }, headers);
  }

  /** The newest stored snapshot that checks (a lagging cluster node restores from it; it re-checks the hash). */
  private getLatestSnapshot(res: ServerResponse): void {
    for (const c of this.opts.host.store.snapshotsAtOrBefore(this.opts.host.head.index)) {
      if (c.snapshot === null) continue;
      const s = c.snapshot;
      sendJson(res, 200, { index: s.index, hlc: s.hlc, state_hash: s.state_hash, record_hash: s.record_hash, state: s.state });
      return;
    }
    sendError(res, 404, 'not_found', 'no snapshot is stored yet');
  }

  private getState(res: ServerResponse, url: URL): void {
    const head = this.opts.host.head;
    const base = { hash: head.hash, index: head.index, hlc: head.state.hlc_last };
    const raw = url.searchParams.get('projection');
    if (raw === null || raw.trim() === '') {
      sendJson(res, 200, { ...base, state: head.state });
      return;
    }
    const names = raw.split(',').filter((n) => n.trim() !== '');
    const projected = projectState(head.state, names);
    if (!projected.ok) {
      sendError(
        res,
        400,
        'malformed',
        `unknown projection "${projected.unknown}"; use region names: boot, ingestion, council, environment, execution, control, policy`,
      );
      return;
    }
    sendJson(res, 200, { ...base, projection: projected.projection });
  }

  private getStateAt(res: ServerResponse, index: number): void {
    try {
      const at = this.opts.host.stateAt(index);
      sendJson(res, 200, { index: at.index, hash: at.hash, hlc: at.state.hlc_last, state: at.state });
    } catch (err) {
      if (err instanceof HostError) sendError(res, 404, err.code, err.message);
      else throw err;
    }
  }

  private getHealth(res: ServerResponse): void {
    const host = this.opts.host;
    const extra = this.opts.health?.() ?? {};
    const failing = host.engine.storeFailure;
    // Commits failing (disk full, I/O errors) outrank every other fact: nothing can be accepted.
    const status = failing !== null ? 'failing' : ((extra.status as string | undefined) ?? 'ok');
    const body = {
      consensus: { role: 'writer', mode: 'single-writer', nodes: 1 },
      lastSnapshotHLC: host.engine.lastSnapshotHlc,
      walLag: 0,
      index: host.head.index,
      hash: host.head.hash,
      hlc: host.head.state.hlc_last,
      queue: host.engine.queueDepth,
      ...(failing !== null ? { store: { ok: false, error: failing.reason, since_ms: failing.since_ms, failures: failing.failures } } : {}),
      recovery: host.recovery,
      ...extra,
      status,
    };
    sendJson(res, status === 'ok' || status === 'degraded' ? 200 : 503, body);
  }

  private async getMetrics(res: ServerResponse): Promise<void> {
    const text = await this.opts.metrics.registry.metrics();
    res.writeHead(200, { 'content-type': this.opts.metrics.registry.contentType });
    res.end(text);
  }

  private getWal(res: ServerResponse, url: URL): void {
    const from = intParam(url, 'from', 1, 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(url, 'limit', 100, 1, WAL_PAGE_MAX);
    if (typeof from === 'string' || typeof limit === 'string') {
      sendError(res, 400, 'malformed', typeof from === 'string' ? from : (limit as string));
      return;
    }
    const records = this.opts.host.store.range(from, limit);
    sendJson(res, 200, { from, count: records.length, head_index: this.opts.host.head.index, records });
  }

  private getDecision(res: ServerResponse, index: number): void {
    const dr = this.opts.host.decision(index);
    if (!dr) sendError(res, 404, 'not_found', `no WAL record ${index}`);
    else sendJson(res, 200, dr);
  }

  private getRejections(res: ServerResponse, url: URL): void {
    const from = intParam(url, 'from', 0, 0, Number.MAX_SAFE_INTEGER);
    const limit = intParam(url, 'limit', 100, 1, WAL_PAGE_MAX);
    if (typeof from === 'string' || typeof limit === 'string') {
      sendError(res, 400, 'malformed', typeof from === 'string' ? from : (limit as string));
      return;
    }
    const rejections = this.opts.host.store.rejections(from, limit);
    sendJson(res, 200, { from, count: rejections.length, rejections });
  }

  private getEvents(req: IncomingMessage, res: ServerResponse, url: URL): void {
    if (this.sse.size >= SSE_CLIENTS_MAX) {
      sendError(res, 429, 'overloaded', `${SSE_CLIENTS_MAX} event streams open`, {}, { 'retry-after': '5' });
      return;
    }
    const last = lastEventId(req, url);
    if (typeof last === 'string') {
      sendError(res, 400, 'malformed', last);
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(`retry: 2000\n\n`);
    // Replayed and added to the live set in one turn of the event loop: no record can fall
    // between the two (the engine publishes on this thread).
    if (last !== null) this.resume(res, last);
    const head = this.opts.host.head;
    res.write(`event: health\ndata: ${JSON.stringify(sseDataOf(healthEventOf('ok', head.index, head.hash)))}\n\n`);
    this.sse.add(res);
    req.on('close', () => this.sse.delete(res));
  }

  /**
   * A reconnecting client (EventSource sends `Last-Event-ID`) gets the `accepted` events it
   * missed, from the WAL, up to SSE_RESUME_MAX of them; past that, or when it claims an index
   * this node does not have, one `reset` event tells it to refetch the state instead.
   */
  private resume(res: ServerResponse, last: number): void {
    const head = this.opts.host.head.index;
    const max = this.opts.sse_resume_max ?? SSE_RESUME_MAX;
    if (last > head || head - last > max) {
      const reason = last > head ? `event ${last} is past this node's head ${head}` : `${head - last} events missed (more than ${max})`;
      res.write(`event: reset\ndata: ${JSON.stringify({ reason, head_index: head })}\n\n`);
      return;
    }
    for (const r of this.opts.host.store.range(last + 1, head - last)) {
      res.write(`id: ${r.index}\nevent: accepted\ndata: ${JSON.stringify(sseDataOf(acceptedEventOf(r, `bubble://dr/${r.index}`)))}\n\n`);
    }
  }

  private broadcast(e: EngineEvent): void {
    if (this.sse.size === 0) return;
    let frame: string | null = null;
    if (e.type === 'accepted') {
      const r = e.record;
      frame = `id: ${r.index}\nevent: accepted\ndata: ${JSON.stringify(sseDataOf(acceptedEventOf(r, e.decision.id)))}\n\n`;
    } else if (e.type === 'rejected' && e.stored) {
      // An unstored row (its peer past its rate) is not streamed either: the stream mirrors the log.
      const j = e.rejection;
      frame = `event: rejected\ndata: ${JSON.stringify(sseDataOf(rejectedEventOf(j, e.status)))}\n\n`;
    }
    if (frame === null) return;
    for (const res of this.sse) {
      // A client that stops reading is dropped rather than buffered without bound.
      if (res.writableLength > 1024 * 1024) {
        res.destroy();
        this.sse.delete(res);
      } else {
        res.write(frame);
      }
    }
  }
}
