// A simulator of an outside CHORUS service: a real loopback HTTP server with fault knobs
// readable and settable at run time (GET/POST /_knobs) and request counters (GET
// /_stats), so tests can prove, for example, that nothing called out after a licence
// expired. Every simulator signs with its own Ed25519 key, like the real service.

import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BaseKnobs {
  /** Added before every answer, ms. */
  latency_ms: number;
  /** Answer 503 to everything but the knob and stats endpoints. */
  down: boolean;
  /**
   * When not empty, every service call must carry `authorization: Bearer <bearer>` (401
   * otherwise), like a real service with an API token. GET /_knobs shows it redacted.
   */
  bearer: string;
}

/** Distinct paths counted one by one in /_stats; the rest are summed under "(other)". */
const STATS_PATHS_MAX = 64;

export interface SimReply {
  status: number;
  body: unknown;
}

export interface SimRequest {
  method: string;
  url: URL;
  body: unknown;
  /** Request headers (lower-case names), for simulators that honour e.g. Idempotency-Key. */
  headers: IncomingHttpHeaders;
}

export type SimHandler = (req: SimRequest) => SimReply | Promise<SimReply>;

const BODY_BYTES_MAX = 256 * 1024;

export class SimServer<K extends BaseKnobs> {
  private readonly server: Server;
  private knobState: K;
  private counts = new Map<string, number>();
  url = '';

  constructor(
    readonly name: string,
    knobs: Omit<K, 'bearer'> & { bearer?: string },
    private readonly handle: SimHandler,
  ) {
    this.knobState = { ...knobs, bearer: knobs.bearer ?? '' } as K;
    this.server = createServer((req, res) => {
      this.serve(req, res).catch((err: unknown) => reply(res, 500, { error: { code: 'sim_error', reason: (err as Error).message } }));
    });
  }

  get knobs(): Readonly<K> {
    return this.knobState;
  }

  /** The knobs as GET /_knobs shows them: a bearer token is never echoed. */
  publicKnobs(): K {
    return { ...this.knobState, bearer: this.knobState.bearer === '' ? '' : '<redacted>' };
  }

  /** Sizes of what this simulator keeps, for the bounded-growth check. */
  bounds(): { stats_paths: number; stats_paths_max: number } {
    return { stats_paths: this.counts.size, stats_paths_max: STATS_PATHS_MAX + 1 };
  }

  /** Merges known knobs; unknown names or a changed type are refused with the reason. */
  setKnobs(patch: Record<string, unknown>): { ok: true } | { ok: false; reason: string } {
    for (const [key, value] of Object.entries(patch)) {
      if (!(key in this.knobState)) return { ok: false, reason: `${this.name} has no knob ${key}` };
      const current = (this.knobState as Record<string, unknown>)[key];
      const sameKind = Array.isArray(current)
        ? Array.isArray(value)
        : typeof current === typeof value && (current === null) === (value === null);
      if (!sameKind) return { ok: false, reason: `knob ${key} expects ${Array.isArray(current) ? 'array' : typeof current}` };
    }
    this.knobState = { ...this.knobState, ...(patch as Partial<K>) };
    return { ok: true };
  }

  /** Requests served per path (knob and stats endpoints excluded). */
  stats(): { requests: number; by_path: Record<string, number> } {
    const by_path = Object.fromEntries(this.counts);
    return { requests: [...this.counts.values()].reduce((a, b) => a + b, 0), by_path };
  }

  resetStats(): void {
    this.counts = new Map();
  }

  async listen(port = 0, host = '127.0.0.1'): Promise<string> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve());
    });
    const a = this.server.address() as AddressInfo;
    this.url = `http://${host}:${a.port}`;
    return this.url;
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim.local');
    const body = await readJson(req);
    if (url.pathname === '/_knobs') {
      if (req.method === 'GET') return reply(res, 200, this.publicKnobs());
      if (req.method === 'POST' && typeof body === 'object' && body !== null && !Array.isArray(body)) {
        const r = this.setKnobs(body as Record<string, unknown>);
        return r.ok ? reply(res, 200, this.publicKnobs()) : reply(res, 400, { error: { code: 'bad_knob', reason: r.reason } });
      }
      return reply(res, 400, { error: { code: 'malformed', reason: 'POST a JSON object of knobs' } });
    }
    if (url.pathname === '/_stats') return reply(res, 200, this.stats());
    // A caller probing random paths must not grow the counters without bound.
    const key = this.counts.has(url.pathname) || this.counts.size < STATS_PATHS_MAX ? url.pathname : '(other)';
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    if (this.knobState.latency_ms > 0) await new Promise((r) => setTimeout(r, this.knobState.latency_ms));
    if (this.knobState.down) return reply(res, 503, { error: { code: 'unavailable', reason: `${this.name} is down (knob)` } });
    if (this.knobState.bearer !== '' && req.headers.authorization !== `Bearer ${this.knobState.bearer}`) {
      return reply(res, 401, { error: { code: 'unauthorized', reason: `${this.name} needs a bearer token (knob bearer)` } });
    }
    const out = await this.handle({ method: req.method ?? 'GET', url, body, headers: req.headers });
    reply(res, out.status, out.body);
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= BODY_BYTES_MAX) chunks.push(c);
    });
    req.on('end', () => {
      if (chunks.length === 0 || size > BODY_BYTES_MAX) return resolve(null);
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown);
      } catch {
        resolve(null);
      }
    });
    req.on('error', () => resolve(null));
  });
}
