// The migration shim's read endpoints through the host, for the console (docs/migration.md):
// the console talks only to the host that served it (same origin, same Host/Origin checks),
// so a host started with a shim (`swoosh serve --shim URL`, or the migration demo) answers
//   GET /migration/divergences?from&limit  → the shim's GET /shadow/divergences
//   GET /migration/health                  → the shim's GET /health (200 or 503)
//   GET /migration/metrics                 → the shim's GET /metrics (Prometheus text)
// A host without a shim has no such routes (404 not_found), which the console reads as
// "no shim configured". Only GETs, only these three paths, bounded in time and size.

import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from '../api/server';
import type { Running } from './server';

const SHIM_TIMEOUT_MS = 5_000;
/** A divergences page of 1000 rows with their values stays well under this. */
const SHIM_BODY_BYTES_MAX = 4 * 1024 * 1024;
const PAGE_LIMIT_MAX = 1000;
const SEQ_MAX = Number.MAX_SAFE_INTEGER;

type Target = { path: string } | { status: number; code: string; reason: string };

/** Where a console path goes on the shim, or why it is refused; null when it is not ours. */
export function shimTarget(method: string, url: URL): Target | null {
  const p = url.pathname;
  if (p !== '/migration/divergences' && p !== '/migration/health' && p !== '/migration/metrics') return null;
  if (method !== 'GET') return { status: 405, code: 'method_not_allowed', reason: `${method} is not allowed on ${p}` };
  if (p === '/migration/health') return { path: '/health' };
  if (p === '/migration/metrics') return { path: '/metrics' };
  const from = intParam(url, 'from', 0, SEQ_MAX);
  const limit = intParam(url, 'limit', 100, PAGE_LIMIT_MAX);
  if (typeof from === 'string') return { status: 400, code: 'malformed', reason: from };
  if (typeof limit === 'string' || limit < 1)
    return { status: 400, code: 'malformed', reason: typeof limit === 'string' ? limit : 'limit must be ≥ 1' };
  // The shim numbers divergences from 1; the console's pages start at 0 like the WAL's.
  return { path: `/shadow/divergences?from=${Math.max(1, from)}&limit=${limit}` };
}

function intParam(url: URL, name: string, fallback: number, max: number): number | string {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  if (!/^\d{1,16}$/.test(raw) || Number(raw) > max)
    return `${name} must be an integer in [0, ${max}], got ${JSON.stringify(raw.slice(0, 32))}`;
  return Number(raw);
}

/** The route set for ApiServer.addFallback: answers the three paths from the shim at `shim_url`. */
export function shimProxy(shim_url: string) {
  const base = shim_url.replace(/\/+$/, '');
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    const target = shimTarget(req.method ?? 'GET', url);
    if (target === null) return false;
    req.resume();
    if (!('path' in target)) {
      sendError(res, target.status, target.code, target.reason);
      return true;
    }
    let answer: Response;
    let body: string;
    try {
      answer = await fetch(`${base}${target.path}`, { signal: AbortSignal.timeout(SHIM_TIMEOUT_MS) });
      body = await answer.text();
    } catch (err) {
      sendError(res, 502, 'shim_unreachable', `the migration shim at ${base} did not answer: ${(err as Error).message}`);
      return true;
    }
    if (body.length > SHIM_BODY_BYTES_MAX) {
      sendError(res, 502, 'shim_unreachable', `the migration shim's answer is over ${SHIM_BODY_BYTES_MAX} bytes`);
      return true;
    }
    res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json', 'cache-control': 'no-store' });
    res.end(body);
    return true;
  };
}

/** Registers the proxy on a running server: the console's Migration view finds the shim through it. */
export function attachShimProxy(running: Running, shim_url: string): void {
  running.api.addFallback(shimProxy(shim_url));
}
