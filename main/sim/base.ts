// A simulator of an outside CHORUS service: a real loopback HTTP server with fault knobs
// readable and settable at run time (GET/POST /_knobs) and request counters (GET
// /_stats), so tests can prove, for example, that nothing called out after a licence
// expired. Every simulator signs with its own Ed25519 key, like the real service.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface BaseKnobs {
  /** Added before every answer, ms. */
  latency_ms: number;
  /** Answer 503 to everything but the knob and stats endpoints. */
  down: boolean;
}

export interface SimReply {
  status: number;
  body: unknown;
}

export interface SimRequest {
  method: string;
  url: URL;
  body: unknown;
}

export type SimHandler = (req: SimRequest) => SimReply | Promise<SimReply>;

const BODY_BYTES_MAX = 256 * 1024;

export class SimServer<K extends BaseKnobs> {
  private readonly server: Server;
  private knobState: K;
  private counts = new Map<string, number>();
  url = '';

  constructor(readonly name: string, knobs: K, private readonly handle: SimHandler) {
    this.knobState = { ...knobs };
    this.server = createServer((req, res) => {
      this.serve(req, res).catch((err: unknown) => reply(res, 500, { error: { code: 'sim_error', reason: (err as Error).message } }));
    });
  }

  get knobs(): Readonly<K> {
    return this.knobState;
  }

  /** Merges known knobs; unknown names or a changed type are refused with the reason. */
  setKnobs(patch: Record<string, unknown>): { ok: true } | { ok: false; reason: string } {
    for (const [key, value] of Object.entries(patch)) {
      if (!(key in this.knobState)) return { ok: false, reason: `${this.name} has no knob ${key}` };
      const current = (this.knobState as Record<string, unknown>)[key];
      const sameKind = Array.isArray(current) ? Array.isArray(value) : typeof current === typeof value && (current === null) === (value === null);
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
      if (req.method === 'GET') return reply(res, 200, this.knobState);
      if (req.method === 'POST' && typeof body === 'object' && body !== null && !Array.isArray(body)) {
        const r = this.setKnobs(body as Record<string, unknown>);
        return r.ok ? reply(res, 200, this.knobState) : reply(res, 400, { error: { code: 'bad_knob', reason: r.reason } });
      }
      return reply(res, 400, { error: { code: 'malformed', reason: 'POST a JSON object of knobs' } });
    }
    if (url.pathname === '/_stats') return reply(res, 200, this.stats());
    this.counts.set(url.pathname, (this.counts.get(url.pathname) ?? 0) + 1);
    if (this.knobState.latency_ms > 0) await new Promise((r) => setTimeout(r, this.knobState.latency_ms));
    if (this.knobState.down) return reply(res, 503, { error: { code: 'unavailable', reason: `${this.name} is down (knob)` } });
    const out = await this.handle({ method: req.method ?? 'GET', url, body });
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
