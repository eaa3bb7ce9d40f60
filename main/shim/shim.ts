// `swoosh shim`: the HTTP front WHOOSH callers point at during the migration
// (docs/migration.md). Per mapped route, the region's mode in SWOOSH's state decides:
//   legacy  forwarded to WHOOSH only;
//   shadow  forwarded to WHOOSH, whose answer is returned; mirrored to SWOOSH as a signed
//           proposal through the outbox (store.ts), then the map's comparison rules are
//           evaluated and any difference recorded as a divergence;
//   swoosh  SWOOSH decides, WHOOSH's mutation path is not called, and the caller gets the
//           map's legacy-shaped answer.
// Unmapped routes pass through untouched. The shim's own endpoints: GET /health,
// GET /metrics, GET /shadow/divergences?from&limit.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Registry } from 'prom-client';
import { canonicalize } from '../../core/canonical';
import { H } from '../../core/hash';
import { parseHlc, type Clock } from '../../core/hlc';
import type { Json } from '../../core/types';
import {
  atPointer,
  buildInputs,
  comparePath,
  matchRoute,
  REGIONS,
  renderTemplate,
  type Region,
  type RequestParts,
  type RouteSpec,
  type ShimMap,
} from './map';
import { OUTBOX_PENDING_MAX, PAGE_LIMIT_MAX, type OutboxRow, type ShimStore } from './store';
import { effectiveMode, type Mode, type ModeSource, type SwooshLink } from './swoosh';

export const BODY_BYTES_MAX = 1024 * 1024;
/** Rebuilds of one proposal after 409 stale_state_hash / hlc_regression. */
export const STALE_REBUILDS_MAX = 5;
/** Requests waiting for the SWOOSH writer lane; beyond this, 429. */
export const LANE_WAITING_MAX = 256;
/** Outbox rows settled per drain pass before yielding to the event loop. */
const DRAIN_BATCH = 32;
const DRAIN_BATCHES_MAX = 64;
const DRAIN_RETRY_MS_MAX = 10_000;
export const HLC_AHEAD_MS_MAX_DEFAULT = 1_000;
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;
export const WINDOW_ID = /^backbeat:W-(0|[1-9]\d{0,15})$/;
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
  'proxy-authorization',
  'proxy-authenticate',
  'host',
  'content-length',
]);

export interface ShimOptions {
  map: ShimMap;
  /** WHOOSH's base URL. */
  legacy: string;
  link: SwooshLink;
  modes: ModeSource;
  store: ShimStore;
  clock: Clock;
  /** Overrides the map's compare_interval_ms (0 turns the timer off). */
  compare_interval_ms?: number;
  /**
   * How far an X-HLC may be ahead of the shim's clock (default 1000 ms, the usual genesis
   * max_drift_ms): merged into the shim's HLC, a clock from the future would push every
   * later proposal into hlc_from_future.
   */
  hlc_ahead_ms_max?: number;
}

type Settled =
  | { kind: 'applied'; outcome: Record<string, Json> }
  | { kind: 'rejected'; outcome: Record<string, Json> }
  | { kind: 'unavailable'; reason: string };

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body: Buffer | Json;
}

const errorBody = (code: string, reason: string): Json => ({ error: { code, reason } });

export class Shim {
  private readonly server: Server;
  readonly registry = new Registry();
  private readonly compared: Counter<'region'>;
  private readonly diverged: Counter<'region'>;
  private readonly routed: Counter<'region' | 'mode'>;
  private readonly legacyBase: string;
  /** Requests forwarded to WHOOSH whose mirror is not yet in the outbox, per region. */
  private readonly inLegacy: Record<Region, number> = { council: 0, ingestion: 0, execution: 0 };
  /** Bumped by every routed request: a comparison that saw it move is inconclusive. */
  private readonly generation: Record<Region, number> = { council: 0, ingestion: 0, execution: 0 };
  /** Last recorded divergence per pair: a standing difference is recorded once. */
  private readonly memo = new Map<string, string>();
  private lane: Promise<unknown> = Promise.resolve();
  private laneWaiting = 0;
  private draining = false;
  private drainAgain = false;
  private drainRetry: NodeJS.Timeout | null = null;
  private drainRetryMs = 250;
  private timer: NodeJS.Timeout | null = null;
  private timerRun: Promise<void> | null = null;
  private drainRun: Promise<void> = Promise.resolve();
  private closed = false;
  url = '';

  constructor(private readonly o: ShimOptions) {
    this.legacyBase = o.legacy.replace(/\/+$/, '');
    this.compared = new Counter({
      name: 'swoosh_shadow_compared_total',
      help: 'Shadow comparisons evaluated (one per rule)',
      labelNames: ['region'],
      registers: [this.registry],
    });
    this.diverged = new Counter({
      name: 'swoosh_shadow_divergence_total',
      help: 'Divergences recorded (a difference appearing or changing, or a mirrored proposal SWOOSH rejected)',
      labelNames: ['region'],
      registers: [this.registry],
    });
    this.routed = new Counter({
      name: 'swoosh_shim_requests_total',
      help: 'Mapped requests by region and effective mode',
      labelNames: ['region', 'mode'],
      registers: [this.registry],
    });
    const store = o.store;
    new Gauge({
      name: 'swoosh_shim_mirror_pending',
      help: 'Mirrored proposals not yet settled in SWOOSH',
      registers: [this.registry],
      collect() {
        this.set(store.pendingCount());
      },
    });
    for (const region of REGIONS) {
      this.compared.inc({ region }, 0);
      this.diverged.inc({ region }, 0);
    }
    this.server = createServer((req, res) => {
      this.serve(req, res).catch((err: unknown) => send(res, { status: 500, body: errorBody('shim_error', (err as Error).message) }));
    });
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const a = this.server.address() as AddressInfo;
    this.url = `http://${host}:${a.port}`;
    // Mirrors left pending by a previous run (a crash) are settled first.
    this.kick();
    const every = this.o.compare_interval_ms ?? this.o.map.compare_interval_ms;
    if (every > 0) {
      this.timer = setInterval(() => {
        this.timerRun ??= this.compareOnTimer().finally(() => (this.timerRun = null));
      }, every);
      this.timer.unref();
    }
    return this.url;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    if (this.drainRetry) clearTimeout(this.drainRetry);
    this.o.modes.close();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    // In-flight work finishes before the caller closes the store under it.
    await Promise.all([this.lane.catch(() => undefined), this.drainRun, this.timerRun]);
  }

  // ---------------------------------------------------------------------------
  // HTTP

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://shim.local');
    const raw = await readBody(req);
    if (raw === null) return send(res, { status: 413, body: errorBody('payload_too_large', `body over ${BODY_BYTES_MAX} bytes`) });
    const method = req.method ?? 'GET';
    if (method === 'GET' && url.pathname === '/health') return send(res, await this.health());
    if (method === 'GET' && url.pathname === '/metrics') {
      return send(res, {
        status: 200,
        headers: { 'content-type': this.registry.contentType },
        body: Buffer.from(await this.registry.metrics()),
      });
    }
    if (method === 'GET' && url.pathname === '/shadow/divergences') return send(res, this.divergences(url));
    const match = matchRoute(this.o.map, method, url.pathname);
    if (!match) return send(res, await this.forward(req, url, raw));
    const mode = await this.o.modes.modeOf(match.route.region);
    if (mode === null)
      return send(res, {
        status: 503,
        body: errorBody('mode_unknown', `cannot read SWOOSH's routing for region ${match.route.region}, and none is cached`),
      });
    this.routed.inc({ region: match.route.region, mode });
    if (mode === 'legacy') return send(res, await this.forward(req, url, raw));
    const parts = requestParts(match.params, url, raw, req);
    const checked = checkHeaders(parts.headers, this.o.clock.now_ms() + (this.o.hlc_ahead_ms_max ?? HLC_AHEAD_MS_MAX_DEFAULT));
    if ('error' in checked) return send(res, { status: checked.status, body: checked.error });
    const key = `whoosh-shim:${match.route.name}:${checked.key}`;
    if (mode === 'shadow') return send(res, await this.shadow(match.route, parts, key, checked, req, url, raw));
    return send(res, await this.decide(match.route, parts, key, checked, raw));
  }

  private async health(): Promise<Answer> {
    const snap = this.o.modes.snapshot();
    const modes = snap.view ? Object.fromEntries(REGIONS.map((r) => [r, effectiveMode(snap.view!, r)])) : null;
    const body = {
      status: snap.view ? 'ok' : 'degraded',
      legacy: this.legacyBase,
      swoosh: this.o.link.urls,
      modes,
      bypass: snap.view?.bypass ?? null,
      swoosh_index: snap.index,
      events_connected: snap.connected,
      mirror_pending: this.o.store.pendingCount(),
      divergences: this.o.store.divergenceCount(),
    } as Json;
    return { status: snap.view ? 200 : 503, body };
  }

  private divergences(url: URL): Answer {
    const from = intParam(url, 'from', 1);
    const limit = intParam(url, 'limit', 100);
    if (from === null || from < 1 || limit === null || limit < 1 || limit > PAGE_LIMIT_MAX) {
      return { status: 400, body: errorBody('malformed', `from must be an integer ≥ 1 and limit 1..${PAGE_LIMIT_MAX}`) };
    }
    const list = this.o.store.divergences(from, limit);
    return { status: 200, body: { from, count: list.length, divergences: list } as unknown as Json };
  }

  /** Passes a request through to WHOOSH untouched (hop-by-hop headers aside). */
  private async forward(req: IncomingMessage, url: URL, raw: Buffer): Promise<Answer> {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = Array.isArray(v) ? v.join(', ') : v;
    const method = req.method ?? 'GET';
    let res: Response;
    try {
      res = await fetch(`${this.legacyBase}${url.pathname}${url.search}`, {
        method,
        headers,
        body: method === 'GET' || method === 'HEAD' ? undefined : raw,
        redirect: 'manual',
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      return { status: 502, body: errorBody('legacy_unreachable', `WHOOSH at ${this.legacyBase}: ${(err as Error).message}`) };
    }
    const out: Record<string, string> = {};
    res.headers.forEach((v, k) => {
      if (!HOP_BY_HOP.has(k) && k !== 'content-encoding') out[k] = v;
    });
    return { status: res.status, headers: out, body: Buffer.from(await res.arrayBuffer()) };
  }

  // ---------------------------------------------------------------------------
  // shadow and swoosh

  private async shadow(
    route: RouteSpec,
    parts: RequestParts,
    key: string,
    h: CheckedHeaders,
    req: IncomingMessage,
    url: URL,
    raw: Buffer,
  ): Promise<Answer> {
    const inputs = buildInputs(route, parts);
    const refused = inputs.ok ? this.refuseReuse(key, route, inputs.inputs) : null;
    if (refused) return refused;
    if (this.o.store.pendingCount() >= OUTBOX_PENDING_MAX) return backlog();
    const region = route.region;
    this.inLegacy[region] += 1;
    this.generation[region] += 1;
    try {
      const answer = await this.forward(req, url, raw);
      if (answer.status < 200 || answer.status > 299) return answer;
      if (!inputs.ok) {
        this.diverge(region, route.name, { status: answer.status }, null, `cannot mirror ${route.transition}: ${inputs.reason}`);
        return answer;
      }
      // Durable before the caller hears back: a crash from here on loses no mirror.
      this.o.store.enqueue({
        idem_key: key,
        route: route.name,
        region,
        mode: 'shadow',
        transition: route.transition,
        inputs: inputs.inputs,
        inputs_hash: H(inputs.inputs),
        hlc_hint: h.hlc,
        window_hint: h.window_id,
        created_ms: this.o.clock.now_ms(),
      });
      return answer;
    } finally {
      this.inLegacy[region] -= 1;
      this.kick();
    }
  }

  /** swoosh mode: SWOOSH decides; the caller gets the map's legacy-shaped answer. */
  private async decide(route: RouteSpec, parts: RequestParts, key: string, h: CheckedHeaders, raw: Buffer): Promise<Answer> {
    if (raw.length > 0 && parts.body === undefined) return { status: 400, body: errorBody('malformed', 'the request body is not JSON') };
    const inputs = buildInputs(route, parts);
    if (!inputs.ok) return { status: 400, body: errorBody('input_missing', inputs.reason) };
    const refused = this.refuseReuse(key, route, inputs.inputs);
    if (refused) return refused;
    if (this.o.store.pendingCount() >= OUTBOX_PENDING_MAX) return backlog();
    if (this.laneWaiting >= LANE_WAITING_MAX)
      return { status: 429, headers: { 'retry-after': '1' }, body: errorBody('overloaded', 'too many requests waiting for SWOOSH') };
    this.generation[route.region] += 1;
    const row = this.o.store.enqueue({
      idem_key: key,
      route: route.name,
      region: route.region,
      mode: 'swoosh',
      transition: route.transition,
      inputs: inputs.inputs,
      inputs_hash: H(inputs.inputs),
      hlc_hint: h.hlc,
      window_hint: h.window_id,
      created_ms: this.o.clock.now_ms(),
    });
    const settled = await this.inLane(() => this.settle(row.idem_key));
    if (settled.kind === 'unavailable') {
      return {
        status: 503,
        headers: { 'retry-after': '1' },
        body: errorBody('swoosh_unavailable', `${settled.reason}; the outcome is not known yet: retry with the same Idempotency-Key`),
      };
    }
    if (settled.kind === 'rejected') {
      const o = settled.outcome as { status: number; error: Json };
      return { status: o.status, body: { error: o.error } };
    }
    const index = settled.outcome.index;
    let state: unknown = null;
    try {
      state = typeof index === 'number' ? (await this.o.link.stateAt(index)).state : (await this.o.link.state()).state;
    } catch {
      // the decision stands; the template shows nulls for state fields it could not read
    }
    return { status: route.response.status, body: renderTemplate(route.response.body, { ...parts, result: settled.outcome, state }) };
  }

  /** The same Idempotency-Key on another route or with other inputs is a caller bug: 422. */
  private refuseReuse(key: string, route: RouteSpec, inputs: Record<string, Json>): Answer | null {
    const prior = this.o.store.byIdem(key);
    if (!prior || prior.inputs_hash === H(inputs)) return null;
    return {
      status: 422,
      body: errorBody('idempotency_key_reused', `Idempotency-Key was used for ${route.name} with other inputs (outbox seq ${prior.seq})`),
    };
  }

  /** One lane to the SWOOSH writer: proposals are built and sent one at a time, in order. */
  private inLane<T>(fn: () => Promise<T>): Promise<T> {
    this.laneWaiting += 1;
    const run = this.lane.then(fn, fn);
    this.lane = run.catch(() => undefined).finally(() => (this.laneWaiting -= 1));
    return run;
  }

  /** Settles one outbox row in SWOOSH: the stored proposal first, rebuilt only on a stale answer. */
  private async settle(idem_key: string): Promise<Settled> {
    const row = this.o.store.byIdem(idem_key);
    if (!row) return { kind: 'unavailable', reason: 'outbox row vanished' };
    if (row.status !== 'pending') return { kind: row.status, outcome: row.outcome ?? {} };
    let proposal = row.proposal;
    for (let rebuilds = 0; rebuilds <= STALE_REBUILDS_MAX; ) {
      if (!proposal) {
        try {
          proposal = this.o.link.build(draftOf(row), await this.o.link.state());
        } catch (err) {
          return { kind: 'unavailable', reason: (err as Error).message };
        }
        this.o.store.saveProposal(row.seq, proposal);
      }
      const a = await this.o.link.submit(proposal);
      if (a.kind === 'unavailable') return a;
      if (a.kind === 'accepted') return this.finish(row, 'applied', { ...a.body });
      const code = a.error.code;
      if (code === 'stale_state_hash' || code === 'hlc_regression') {
        proposal = null;
        rebuilds += 1;
        continue;
      }
      // Only this shim signs under its idem_key prefix: a conflict means an earlier
      // version of this very mirror was applied (its answer lost), so it is settled.
      if (code === 'idem_key_conflict')
        return this.finish(row, 'applied', { index: null, state_post_hash: null, decision_id: null, duplicate: true });
      return this.finish(row, 'rejected', { status: a.status, error: a.error as unknown as Json });
    }
    return { kind: 'unavailable', reason: `HEAD kept moving: still stale after ${STALE_REBUILDS_MAX} rebuilds` };
  }

  private finish(row: OutboxRow, status: 'applied' | 'rejected', outcome: Record<string, Json>): Settled {
    this.o.store.finish(row.seq, status, outcome);
    return { kind: status, outcome };
  }

  // ---------------------------------------------------------------------------
  // The mirror worker

  /** Drains pending outbox rows in order; one drain at a time, re-run when kicked meanwhile. */
  private kick(): void {
    if (this.closed) return;
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = true;
    this.drainRun = this.drain()
      .catch(() => undefined)
      .finally(() => {
        this.draining = false;
        if (this.drainAgain && !this.drainRetry) this.kick();
      });
  }

  private async drain(): Promise<void> {
    for (let batch = 0; batch < DRAIN_BATCHES_MAX && !this.closed; batch += 1) {
      this.drainAgain = false;
      const rows = this.o.store.pending(DRAIN_BATCH);
      for (const row of rows) {
        if (this.closed) return;
        const settled = await this.inLane(() => this.settle(row.idem_key));
        if (settled.kind === 'unavailable') return this.retryLater();
        this.drainRetryMs = 250;
        if (row.mode !== 'shadow') continue;
        if (settled.kind === 'rejected') this.mirrorRejected(row, settled.outcome);
        else await this.compareRegion(row.region, row.route);
      }
      if (rows.length < DRAIN_BATCH && !this.drainAgain) return;
    }
    this.drainAgain = true;
  }

  private retryLater(): void {
    if (this.drainRetry || this.closed) return;
    this.drainRetry = setTimeout(() => {
      this.drainRetry = null;
      this.kick();
    }, this.drainRetryMs);
    this.drainRetry.unref();
    this.drainRetryMs = Math.min(this.drainRetryMs * 2, DRAIN_RETRY_MS_MAX);
  }

  private mirrorRejected(row: OutboxRow, outcome: Record<string, Json>): void {
    const e = (outcome.error ?? {}) as { code?: string; reason?: string; guard?: string };
    const detail = `SWOOSH rejected the mirrored ${row.transition} that WHOOSH accepted: ${e.code ?? '?'}${e.guard ? ` (${e.guard})` : ''}: ${e.reason ?? ''}`;
    this.diverge(row.region, row.route, { accepted: true, inputs: row.inputs }, outcome.error ?? null, detail);
  }

  // ---------------------------------------------------------------------------
  // Comparison

  private async compareOnTimer(): Promise<void> {
    const view = this.o.modes.snapshot().view;
    for (const region of REGIONS) {
      if (this.closed) return;
      if (view && effectiveMode(view, region) === 'shadow') await this.compareRegion(region, 'timer');
    }
  }

  /**
   * Evaluates the region's comparison rules, but only at a quiet moment for the shim's own
   * traffic (nothing in flight to WHOOSH, nothing pending for SWOOSH, and nothing routed
   * while both sides were read), so that a mirror in transit is never called a divergence.
   */
  async compareRegion(region: Region, route: string): Promise<'compared' | 'skipped'> {
    const rules = this.o.map.compare.filter((r) => r.region === region);
    const quiet = () => this.inLegacy[region] === 0 && this.o.store.pendingCount(region) === 0;
    if (rules.length === 0 || this.closed || !quiet()) return 'skipped';
    const gen = this.generation[region];
    let legacy: unknown[];
    let swoosh: unknown;
    try {
      legacy = await Promise.all(rules.map((r) => this.readLegacy(comparePath(this.o.map, r))));
      swoosh = (await this.o.link.state()).state;
    } catch {
      return 'skipped';
    }
    if (this.closed || gen !== this.generation[region] || !quiet()) return 'skipped';
    rules.forEach((rule, i) => {
      this.compared.inc({ region });
      for (const pair of rule.pairs) {
        const lv = (atPointer(legacy[i], pair.legacy_tokens) ?? null) as Json;
        const sv = (atPointer(swoosh, pair.swoosh_tokens) ?? null) as Json;
        const slot = `${region} ${rule.legacy} ${pair.legacy} ${pair.swoosh}`;
        if (sameJson(lv, sv)) {
          this.memo.delete(slot);
          continue;
        }
        const seen = `${stable(lv)}|${stable(sv)}`;
        if (this.memo.get(slot) === seen) continue;
        this.memo.set(slot, seen);
        this.diverge(region, route, lv, sv, `${rule.legacy} ${pair.legacy} ≠ SWOOSH ${pair.swoosh}`);
      }
    });
    return 'compared';
  }

  private async readLegacy(path: string): Promise<unknown> {
    const res = await fetch(`${this.legacyBase}${path}`, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
    if (res.status !== 200) throw new Error(`WHOOSH ${path}: HTTP ${res.status}`);
    return (await res.json()) as unknown;
  }

  private diverge(region: Region, route: string, legacy: Json, swoosh: Json, detail: string): void {
    this.o.store.record({ region, route, legacy, swoosh, detail, at_ms: this.o.clock.now_ms() });
    this.diverged.inc({ region });
  }
}

// ---------------------------------------------------------------------------

interface CheckedHeaders {
  key: string;
  hlc: string | null;
  window_id: string | null;
}

/** Idempotency-Key is required in shadow/swoosh mode; X-HLC and X-Window-Id must be valid when present. */
function checkHeaders(headers: Record<string, string>, hlc_wall_ms_max: number): CheckedHeaders | { status: number; error: Json } {
  const key = headers['idempotency-key'];
  if (key === undefined || key === '') {
    return {
      status: 428,
      error: errorBody(
        'idempotency_key_required',
        'this route is served by SWOOSH (shadow or swoosh mode): send an Idempotency-Key header, unique per logical request and reused on retries',
      ),
    };
  }
  if (!IDEMPOTENCY_KEY.test(key))
    return {
      status: 400,
      error: errorBody('bad_idempotency_key', 'Idempotency-Key must be 1–128 printable ASCII characters without spaces'),
    };
  const hlc = headers['x-hlc'] ?? null;
  const parsed = hlc === null ? null : parseHlc(hlc);
  if (hlc !== null && parsed === null)
    return { status: 400, error: errorBody('bad_hlc', 'X-HLC must be YYYY-MM-DDTHH:MM:SS.mmm+00:00#<counter>') };
  if (parsed && parsed.wall_ms > hlc_wall_ms_max)
    return {
      status: 400,
      error: errorBody('bad_hlc', `X-HLC is ${parsed.wall_ms - hlc_wall_ms_max} ms further ahead of the shim's clock than allowed`),
    };
  const window_id = headers['x-window-id'] ?? null;
  if (window_id !== null && !WINDOW_ID.test(window_id))
    return { status: 400, error: errorBody('bad_window_id', 'X-Window-Id must be backbeat:W-<beat index>') };
  return { key, hlc, window_id };
}

function draftOf(row: OutboxRow) {
  return { transition: row.transition, inputs: row.inputs, idem_key: row.idem_key, hlc_hint: row.hlc_hint, window_hint: row.window_hint };
}

function requestParts(params: Record<string, string>, url: URL, raw: Buffer, req: IncomingMessage): RequestParts {
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) if (!(k in query)) query[k] = v;
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? (v[0] ?? '') : v;
  let body: unknown;
  try {
    body = raw.length === 0 ? undefined : (JSON.parse(raw.toString('utf8')) as unknown);
  } catch {
    body = undefined;
  }
  return { params, query, body, headers };
}

function backlog(): Answer {
  return {
    status: 503,
    headers: { 'retry-after': '5' },
    body: errorBody('mirror_backlog', `${OUTBOX_PENDING_MAX} mirrors are waiting for SWOOSH`),
  };
}

function intParam(url: URL, name: string, fallback: number): number | null {
  const v = url.searchParams.get(name);
  if (v === null) return fallback;
  return /^\d{1,12}$/.test(v) ? Number(v) : null;
}

function stable(v: Json): string {
  try {
    return canonicalize(v);
  } catch {
    return JSON.stringify(v);
  }
}

function sameJson(a: Json, b: Json): boolean {
  return stable(a) === stable(b);
}

function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= BODY_BYTES_MAX) chunks.push(c);
    });
    req.on('end', () => resolve(size > BODY_BYTES_MAX ? null : Buffer.concat(chunks)));
    req.on('error', () => resolve(null));
  });
}

function send(res: ServerResponse, a: Answer): void {
  if (res.headersSent) return;
  const isBuffer = Buffer.isBuffer(a.body);
  const bytes = isBuffer ? (a.body as Buffer) : Buffer.from(JSON.stringify(a.body));
  const headers: Record<string, string> = { ...(a.headers ?? {}) };
  if (!isBuffer) headers['content-type'] = 'application/json';
  headers['content-length'] = String(bytes.length);
  res.writeHead(a.status, headers);
  res.end(bytes);
}

export type { Mode };
