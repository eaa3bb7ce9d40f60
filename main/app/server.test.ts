// openServer and its attachments, on a real database and real sockets: a taken port is a
// tagged AppError and leaves the database closed; attachments stop newest first and
// before the host; setHealth feeds GET /health; stop runs once however often it is called.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoGenesis } from '../demo';
import { AppError } from './errors';
import { ATTACHMENTS_MAX, openServer, type ServerSettings } from './server';

const dir = mkdtempSync(join(tmpdir(), 'swoosh-app-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const settings = (db: string, port = 0): ServerSettings => ({
  db: join(dir, db),
  genesis: demoGenesis(),
  host: '127.0.0.1',
  port,
  durability: 'NORMAL',
  quiet: true,
});

describe('openServer', () => {
  it('a port already taken is AppError listen_failed, and the database is closed again', async () => {
    const first = await openServer(settings('a.db'));
    try {
      const port = Number(new URL(first.url).port);
      const err = await openServer(settings('b.db', port)).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AppError);
      expect((err as AppError).code).toBe('listen_failed');
      expect((err as AppError).reason).toBe(`cannot listen on 127.0.0.1:${port}: EADDRINUSE`);
      expect(JSON.parse(JSON.stringify(err))).toEqual({ code: 'listen_failed', reason: `cannot listen on 127.0.0.1:${port}: EADDRINUSE` });
      // The failed open released b.db: it opens again.
      const again = await openServer(settings('b.db'));
      await again.stop();
    } finally {
      await first.stop();
    }
  });

  it('stops attachments newest first, before the host; stop runs once', async () => {
    const running = await openServer(settings('c.db'));
    const order: string[] = [];
    const hostOpenWhenStopped: boolean[] = [];
    for (const name of ['demo', 'providers']) {
      running.adopt({
        stop: async () => {
          order.push(name);
          hostOpenWhenStopped.push(running.host.store.db.open);
        },
      });
    }
    await Promise.all([running.stop(), running.stop()]);
    await running.stop();
    expect(order).toEqual(['providers', 'demo']);
    expect(hostOpenWhenStopped).toEqual([true, true]);
    expect(running.host.store.db.open).toBe(false);
  });

  it('GET /health carries what the latest health source says', async () => {
    const running = await openServer(settings('d.db'));
    try {
      const health = async () => (await (await fetch(`${running.url}/health`)).json()) as { status: string; extra?: number };
      expect((await health()).status).toBe('ok');
      running.setHealth(() => ({ status: 'degraded', extra: 7 }));
      expect(await health()).toMatchObject({ status: 'degraded', extra: 7 });
    } finally {
      await running.stop();
    }
  });

  it('takes at most ATTACHMENTS_MAX attachments', async () => {
    const running = await openServer(settings('e.db'));
    try {
      for (let i = 0; i < ATTACHMENTS_MAX; i += 1) running.adopt({ stop: async () => {} });
      expect(() => running.adopt({ stop: async () => {} })).toThrow(expect.objectContaining({ code: 'too_many_attachments' }));
    } finally {
      await running.stop();
    }
  });
});
