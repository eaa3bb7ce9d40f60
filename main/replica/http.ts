// A small keep-alive HTTP/JSON client for the replicas and the chaos runner. node:http
// with a keep-alive agent costs about half of what `fetch` does per request on loopback,
// which matters when one run sends tens of thousands of proposals. Every request has a
// timeout; a network failure throws (the caller decides whether the outcome is in doubt).

import http from 'node:http';

export interface JsonAnswer<T = Record<string, unknown>> {
  status: number;
  body: T;
}

export class HttpFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Bound on a response body read into memory (a WAL page of 1000 records fits easily). */
const RESPONSE_BYTES_MAX = 64 * 1024 * 1024;

export class JsonClient {
  private agent: http.Agent;

  constructor(private readonly sockets_max = 4) {
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets_max });
  }

  /** Drops pooled sockets (after the server was killed, they are dead). */
  reset(): void {
    this.agent.destroy();
    this.agent = new http.Agent({ keepAlive: true, maxSockets: this.sockets_max });
  }

  close(): void {
    this.agent.destroy();
  }

  get<T = Record<string, unknown>>(url: string, timeout_ms = 15_000): Promise<JsonAnswer<T>> {
    return this.request<T>('GET', url, undefined, timeout_ms);
  }

  post<T = Record<string, unknown>>(url: string, body: unknown, timeout_ms = 15_000): Promise<JsonAnswer<T>> {
    return this.request<T>('POST', url, JSON.stringify(body), timeout_ms);
  }

  /** GET that insists on 200. */
  async getOk<T = Record<string, unknown>>(url: string, timeout_ms = 15_000): Promise<T> {
    const a = await this.get<T>(url, timeout_ms);
    if (a.status !== 200) throw new HttpFailure(`http_${a.status}`, `GET ${url}: ${a.status} ${JSON.stringify(a.body).slice(0, 300)}`);
    return a.body;
  }

  private request<T>(method: string, url: string, text: string | undefined, timeout_ms: number): Promise<JsonAnswer<T>> {
    return new Promise((resolve, reject) => {
      let u: URL;
      try {
        u = new URL(url);
      } catch {
        reject(new HttpFailure('bad_url', `not a URL: ${url}`));
        return;
      }
      const headers: Record<string, string | number> = {};
      if (text !== undefined) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(text);
      }
      const req = http.request(
        { host: u.hostname, port: u.port, path: `${u.pathname}${u.search}`, method, agent: this.agent, headers },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (size > RESPONSE_BYTES_MAX) {
              req.destroy(new HttpFailure('too_large', `response from ${url} exceeds ${RESPONSE_BYTES_MAX} bytes`));
              return;
            }
            chunks.push(c);
          });
          res.on('end', () => {
            const raw = Buffer.concat(chunks).toString('utf8');
            try {
              resolve({ status: res.statusCode ?? 0, body: (raw === '' ? {} : JSON.parse(raw)) as T });
            } catch (err) {
              reject(new HttpFailure('bad_json', `${method} ${url}: ${res.statusCode} answer is not JSON: ${(err as Error).message}`));
            }
          });
          res.on('error', (err) => reject(new HttpFailure('reset', err.message)));
        },
      );
      req.setTimeout(timeout_ms, () => req.destroy(new HttpFailure('timeout', `${method} ${url}: no answer within ${timeout_ms} ms`)));
      req.on('error', (err) =>
        reject(err instanceof HttpFailure ? err : new HttpFailure((err as NodeJS.ErrnoException).code ?? 'network', err.message)),
      );
      req.end(text);
    });
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
