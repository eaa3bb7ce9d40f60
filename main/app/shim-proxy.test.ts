// The host's GET /migration/* routes, on real sockets: absent (404 not_found) until a shim
// is attached, then refusing bad paging and other methods with precise 4xx, and telling a
// shim that does not answer (502 shim_unreachable) from one that does. The pass-through of
// a real shim's answers is covered by migration-demo.test.ts.

import { createServer } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoGenesis } from '../demo';
import { openServer, type Running } from './server';
import { attachShimProxy, shimTarget } from './shim-proxy';

const dir = mkdtempSync(join(tmpdir(), 'swoosh-shim-proxy-'));
let running: Running;

beforeAll(async () => {
  running = await openServer({
    db: join(dir, 'p.db'),
    genesis: demoGenesis(),
    host: '127.0.0.1',
    port: 0,
    durability: 'NORMAL',
    quiet: true,
  });
});
afterAll(async () => {
  await running.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A loopback port nothing listens on (bound, read, released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function get(path: string, method = 'GET') {
  const res = await fetch(`${running.url}${path}`, { method });
  return { status: res.status, body: (await res.json()) as { error?: { code: string; reason: string } } };
}

describe('shimTarget', () => {
  it("maps the three paths, pages from the shim's seq 1, and ignores the rest", () => {
    expect(shimTarget('GET', new URL('http://h/migration/divergences?from=0&limit=5'))).toEqual({
      path: '/shadow/divergences?from=1&limit=5',
    });
    expect(shimTarget('GET', new URL('http://h/migration/divergences?from=9'))).toEqual({ path: '/shadow/divergences?from=9&limit=100' });
    expect(shimTarget('GET', new URL('http://h/migration/health'))).toEqual({ path: '/health' });
    expect(shimTarget('GET', new URL('http://h/migration/metrics'))).toEqual({ path: '/metrics' });
    expect(shimTarget('GET', new URL('http://h/migration/other'))).toBeNull();
    expect(shimTarget('GET', new URL('http://h/state'))).toBeNull();
  });
});

describe('GET /migration/*', () => {
  it('is 404 not_found while no shim is attached (the console says "no shim configured")', async () => {
    expect(await get('/migration/divergences')).toMatchObject({ status: 404, body: { error: { code: 'not_found' } } });
  });

  it('with a shim that does not answer: 502 shim_unreachable; bad paging 400; POST 405; the host stays up', async () => {
    attachShimProxy(running, `http://127.0.0.1:${await closedPort()}`);
    expect(await get('/migration/health')).toMatchObject({ status: 502, body: { error: { code: 'shim_unreachable' } } });
    expect(await get('/migration/divergences?limit=1001')).toMatchObject({ status: 400, body: { error: { code: 'malformed' } } });
    expect(await get('/migration/divergences?limit=0')).toMatchObject({ status: 400, body: { error: { code: 'malformed' } } });
    expect(await get('/migration/divergences?from=-1')).toMatchObject({ status: 400, body: { error: { code: 'malformed' } } });
    expect(await get('/migration/divergences', 'POST')).toMatchObject({ status: 405, body: { error: { code: 'method_not_allowed' } } });
    expect((await fetch(`${running.url}/state`)).status).toBe(200);
  });
});
