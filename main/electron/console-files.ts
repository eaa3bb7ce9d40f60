// Maps a `swoosh://console/…` request to a file of the built console (dist/console).
//
// The Electron twin of main/api/console-static.ts's path rules: only the console's own
// host, no traversal (the decoded path must stay inside the root), no dot-files, no NUL;
// unknown extension-less paths are the single-page app's index.html. No Electron import.

import { existsSync, realpathSync, statSync } from 'node:fs';
import { extname, isAbsolute, join, relative, resolve, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
};

export type ConsoleFile = { ok: true; path: string; contentType: string } | { ok: false; status: number; reason: string };

export function consoleFile(root: string, url: string, origin: string): ConsoleFile {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { ok: false, status: 400, reason: 'bad URL' };
  }
  if (`${u.protocol}//${u.host}` !== origin) return { ok: false, status: 403, reason: 'not the console' };
  let path: string;
  try {
    path = decodeURIComponent(u.pathname);
  } catch {
    return { ok: false, status: 400, reason: 'bad escape' };
  }
  if (path.includes('\0') || path.split('/').some((part) => part.startsWith('.'))) return { ok: false, status: 404, reason: 'not found' };
  if (!existsSync(join(root, 'index.html'))) return { ok: false, status: 503, reason: 'the console is not built: npm run build:console' };
  const realRoot = realpathSync(root);
  let target = resolve(realRoot, `.${path}`);
  if (path === '/' || (!existsSync(target) && extname(path) === '')) target = join(realRoot, 'index.html');
  if (!existsSync(target) || !statSync(target).isFile()) return { ok: false, status: 404, reason: 'not found' };
  const real = realpathSync(target);
  const rel = relative(realRoot, real);
  if (rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel)) return { ok: false, status: 404, reason: 'not found' };
  return { ok: true, path: real, contentType: TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream' };
}
