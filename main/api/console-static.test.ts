// The console's static file handler: content types, CSP, the single-page fallback, the
// 503 page when the console is not built, and no way out of the root directory (raw
// request targets, so nothing normalizes the path before the server sees it).

import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCast, makeGenesis } from '../../core/testing/kit';
import { Host } from '../host';
import { createMetrics } from '../observe/metrics';
import { CONSOLE_CSP, consoleStatic, resolveInside } from './console-static';
import { ApiServer } from './server';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with the target exactly as given (no client-side normalization). */
function raw(port: number, target: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: target, method }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end();
  });
}

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

let dir: string;
let root: string;
let server: Server;
let port: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swoosh-console-static-'));
  root = join(dir, 'console');
  mkdirSync(join(root, 'assets'), { recursive: true });
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>console</title><script type="module" src="./assets/app.js"></script>');
  writeFileSync(join(root, 'assets', 'app.js'), 'console.log("app")');
  writeFileSync(join(root, 'assets', 'app.css'), 'body{}');
  writeFileSync(join(root, '.env'), 'SECRET=1');
  writeFileSync(join(dir, 'secret.txt'), 'top secret');
  symlinkSync(join(dir, 'secret.txt'), join(root, 'assets', 'link.txt'));
  const handler = consoleStatic(root);
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://swoosh.local');
    if (!handler(req, res, url)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":{"code":"not_found","reason":"api"}}');
    }
  });
  port = await listen(server);
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});

describe('consoleStatic', () => {
  it('serves index.html at / with the strict CSP and no caching', async () => {
    const a = await raw(port, '/');
    expect(a.status).toBe(200);
    expect(a.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(a.headers['content-security-policy']).toBe(CONSOLE_CSP);
    expect(a.headers['x-content-type-options']).toBe('nosniff');
    expect(a.headers['cache-control']).toBe('no-cache');
    expect(a.body).toContain('<title>console</title>');
  });

  it('serves assets with their content types, cached as immutable', async () => {
    const js = await raw(port, '/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.headers['cache-control']).toContain('immutable');
    expect(js.body).toBe('console.log("app")');
    const css = await raw(port, '/assets/app.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
  });

  it('answers HEAD without a body', async () => {
    const a = await raw(port, '/assets/app.js', 'HEAD');
    expect(a.status).toBe(200);
    expect(a.headers['content-length']).toBe(String('console.log("app")'.length));
    expect(a.body).toBe('');
  });

  it('falls back to index.html for console routes, 404 for missing files', async () => {
    expect((await raw(port, '/timeline')).body).toContain('<title>console</title>');
    expect((await raw(port, '/some/deep/route')).status).toBe(200);
    expect((await raw(port, '/assets/missing.js')).status).toBe(404);
    expect((await raw(port, '/missing.png')).status).toBe(404);
  });

  it('leaves API paths and other methods to the API', async () => {
    for (const target of ['/state/whatever', '/wal/x', '/decisions/abc', '/events/1', '/health/x', '/openapi.json']) {
      const a = await raw(port, target);
      expect(a.status, target).toBe(404);
      expect(a.headers['content-type'], target).toBe('application/json');
    }
    const post = await raw(port, '/', 'POST');
    expect(post.headers['content-type']).toBe('application/json');
  });

  it('never leaves the root directory', async () => {
    const attempts = [
      '/../secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e/secret.txt',
      '/%2e%2e%2fsecret.txt',
      '/assets/..%2f..%2fsecret.txt',
      '/assets/%2e%2e/%2e%2e/secret.txt',
      '/..%5csecret.txt',
      '/%252e%252e/secret.txt',
      '/assets/app.js%00.html',
      '/.env',
      '/assets/link.txt',
      '//etc/passwd',
      '/%ff',
    ];
    for (const target of attempts) {
      const a = await raw(port, target);
      expect(a.body, target).not.toContain('top secret');
      expect(a.body, target).not.toContain('SECRET=1');
      expect(a.body, target).not.toContain('root:');
      expect([200, 400, 404], target).toContain(a.status);
      if (a.status === 200) expect(a.body, target).toContain('<title>console</title>');
    }
  });

  it('resolveInside refuses traversal, NUL, backslashes and dot-files', () => {
    expect(resolveInside('/srv/c', '/assets/a.js')).toBe('/srv/c/assets/a.js');
    expect(resolveInside('/srv/c', '/')).toBe('/srv/c');
    expect(resolveInside('/srv/c', '/..%2f..%2fetc/passwd')).toBeNull();
    expect(resolveInside('/srv/c', '/a%00b')).toBeNull();
    expect(resolveInside('/srv/c', '/a%5c..%5cb')).toBeNull();
    expect(resolveInside('/srv/c', '/.git/config')).toBeNull();
    expect(resolveInside('/srv/c', '/%E0%A4%A')).toBeNull();
    expect(resolveInside('/srv/c', `/${'a'.repeat(2000)}`)).toBeNull();
  });

  it('answers 503 with build instructions when the console is not built', async () => {
    const empty = join(dir, 'not-built');
    mkdirSync(empty);
    const handler = consoleStatic(empty);
    const s = createServer((req, res) => {
      if (!handler(req, res, new URL(req.url ?? '/', 'http://x'))) res.end('api');
    });
    const p = await listen(s);
    try {
      const a = await raw(p, '/');
      expect(a.status).toBe(503);
      expect(a.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(a.headers['content-security-policy']).toBe(CONSOLE_CSP);
      expect(a.body).toContain('npm run build:console');
    } finally {
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  });
});

describe('consoleStatic behind the ApiServer', () => {
  it('API routes win; the console gets the rest', async () => {
    const cast = makeCast();
    const host = Host.open({ db: join(dir, 'api.db'), genesis: makeGenesis(cast) });
    const api = new ApiServer({ host, metrics: createMetrics(host.engine), fallback: consoleStatic(root) });
    try {
      const { port: p } = await api.listen(0);
      const state = await raw(p, '/state');
      expect(state.status).toBe(200);
      expect(JSON.parse(state.body)).toHaveProperty('hash');
      const page = await raw(p, '/');
      expect(page.body).toContain('<title>console</title>');
      const unknownApi = await raw(p, '/state/at/x');
      expect(unknownApi.status).toBe(404);
      expect(JSON.parse(unknownApi.body).error.code).toBe('not_found');
      const wrongMethod = await raw(p, '/state', 'POST');
      expect(wrongMethod.status).toBe(405);
    } finally {
      await api.close();
      host.close();
    }
  });
});
