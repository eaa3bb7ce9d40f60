// Serves the built operator console (dist/console) for `swoosh serve --console`, as the
// ApiServer's fallback: API routes are matched first, so this only sees what they did not.
//
// - GET and HEAD only; anything else is left to the API's 404/405.
// - `/` and unknown paths that look like console routes get index.html (single page);
//   paths under an API prefix (/state/…, /wal/…) and missing files with an extension are
//   404, so a typo in an API call never comes back as HTML.
// - No directory traversal: the decoded path is resolved inside the root (real path,
//   symlinks included); NUL bytes, dot-files and anything escaping the root are refused.
// - Every answer carries the console's strict CSP (no inline scripts, same-origin only).
// - If the console was not built, a clear 503 page says how to build it.

import { createReadStream, existsSync, realpathSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONSOLE_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; object-src 'none'; frame-ancestors 'none'";

/** dist/console of this package. */
export const DEFAULT_CONSOLE_DIR = fileURLToPath(new URL('../../dist/console', import.meta.url));

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

/** First path segments that belong to the HTTP API (docs/protocol.md §8): never answered with HTML. */
const API_PREFIXES = new Set(['state', 'wal', 'decisions', 'rejections', 'events', 'health', 'metrics', 'openapi.json', 'transition']);

const PATH_BYTES_MAX = 1024;

export type FallbackHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => boolean;

function securityHeaders(): Record<string, string> {
  return {
    'content-security-policy': CONSOLE_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
  };
}

function sendText(
  res: ServerResponse,
  req: IncomingMessage,
  status: number,
  type: string,
  body: string,
  extra: Record<string, string> = {},
): void {
  res.writeHead(status, {
    ...securityHeaders(),
    'content-type': type,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    ...extra,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

function notBuiltPage(rootDir: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>SWOOSH console not built</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:48px;max-width:720px;color:#1b2129;background:#f3f4f6}
code{font:13px ui-monospace,monospace;background:#e4e7eb;padding:2px 6px;border-radius:4px}
h1{font-size:20px}</style></head>
<body><h1>The SWOOSH console has not been built</h1>
<p>This orchestrator was started with <code>--console</code>, but there is no built console in
<code>${escapeHtml(rootDir)}</code>.</p>
<p>Build it once, then reload this page:</p>
<p><code>npm run build:console</code></p>
<p>The HTTP API is unaffected: <code>/state</code>, <code>/health</code> and the rest answer as usual.</p>
</body></html>
`;
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The file under root that a request path names, or null when it must not be served. */
export function resolveInside(root: string, pathname: string): string | null {
  if (pathname.length > PATH_BYTES_MAX) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s !== '');
  // No dot-files, no `.`/`..` segments: nothing hidden and nothing upward is addressable.
  if (segments.some((s) => s.startsWith('.'))) return null;
  const target = resolve(root, ...segments);
  const rel = relative(root, target);
  if (rel.startsWith('..') || isAbsolute(rel)) return null;
  return target;
}

function realInside(root: string, file: string): boolean {
  try {
    const realRoot = realpathSync(root);
    const realFile = realpathSync(file);
    return realFile === realRoot || realFile.startsWith(realRoot + sep);
  } catch {
    return false;
  }
}

function serveFile(req: IncomingMessage, res: ServerResponse, file: string, immutable: boolean): void {
  const size = statSync(file).size;
  const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
  res.writeHead(200, {
    ...securityHeaders(),
    'content-type': type,
    'content-length': size,
    'cache-control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The ApiServer fallback that serves the console from `rootDir` (normally dist/console).
 * Returns true when it answered the request.
 */
export function consoleStatic(rootDir: string = DEFAULT_CONSOLE_DIR): FallbackHandler {
  const root = resolve(rootDir);
  const index = join(root, 'index.html');
  return (req, res, url) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false;
    const first = url.pathname.split('/')[1] ?? '';
    if (API_PREFIXES.has(first)) return false;
    if (!existsSync(index)) {
      sendText(res, req, 503, 'text/html; charset=utf-8', notBuiltPage(root), { 'retry-after': '30' });
      return true;
    }
    const target = resolveInside(root, url.pathname);
    if (target === null) {
      sendText(res, req, 404, 'text/plain; charset=utf-8', 'not found\n');
      return true;
    }
    if (target !== root && isFile(target) && realInside(root, target)) {
      const rel = relative(root, target);
      serveFile(req, res, target, rel.startsWith(`assets${sep}`));
      return true;
    }
    // A missing asset is a 404; anything else is a console route: the single page.
    if (extname(url.pathname) !== '' || url.pathname.startsWith('/assets/')) {
      sendText(res, req, 404, 'text/plain; charset=utf-8', 'not found\n');
      return true;
    }
    serveFile(req, res, index, false);
    return true;
  };
}
