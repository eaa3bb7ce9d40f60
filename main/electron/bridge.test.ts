// Main's ConsoleApi answers against a real host (SQLite + engine + HTTP API on loopback).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServer as startServer, type Running } from '../app/server';
import { demoGenesis } from '../demo';
import type { EngineEvent } from '../engine/engine';
import { consoleEventOf, createBridge } from './bridge';
import { createMainKeys } from './keys';

let dir: string;
let running: Running;
let bridge: ReturnType<typeof createBridge>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swoosh-bridge-'));
  running = await startServer({
    db: join(dir, 'demo.db'),
    genesis: demoGenesis(),
    host: '127.0.0.1',
    port: 0,
    durability: 'FULL',
    quiet: true,
  });
  bridge = createBridge({ api_url: running.url, keys: createMainKeys({ dir: join(dir, 'keys'), confirm: async () => true }) });
});
afterAll(async () => {
  await running.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Electron main bridge against a real host', () => {
  it('answers reads with the HTTP API shapes', async () => {
    const state = await bridge.handle('console:getState', {});
    expect(state.ok && (state.value as { index: number }).index).toBe(0);
    const wal = await bridge.handle('console:getWal', { from: 1, limit: 10 });
    expect(wal.ok && wal.value).toMatchObject({ from: 1, count: 0 });
    const health = await bridge.handle('console:getHealth', {});
    expect(health.ok && typeof (health.value as { status: string }).status).toBe('string');
    const metrics = await bridge.handle('console:getMetricsText', {});
    expect(metrics.ok && String(metrics.value)).toMatch(/^# HELP/m);
  });

  it('turns a host error into a tagged error with its status', async () => {
    const missing = await bridge.handle('console:getDecision', { n: 99 });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.error).toMatchObject({ status: 404 });
  });

  it('resolves a refused proposal as an answer, and forwards the rejection event', async () => {
    const events: Array<{ type: string }> = [];
    const off = running.host.engine.subscribe((e: EngineEvent) => {
      const c = consoleEventOf(e);
      if (c) events.push(c);
    });
    const answer = await bridge.handle('console:submitProposal', { proposal: { transition: 'Nope' } });
    off();
    expect(answer.ok).toBe(true);
    const v = answer.ok ? (answer.value as { ok: boolean; status: number; error: { code: string } }) : null;
    expect(v?.ok).toBe(false);
    expect(v?.status).toBeGreaterThanOrEqual(400);
    expect(typeof v?.error.code).toBe('string');
    // The refusal reached the console's event stream too (a loop over an empty list proves nothing).
    expect(events.length).toBeGreaterThan(0);
    for (const e of events) expect(e.type).toBe('rejected');
  });

  it('routes key calls to main-held keys and tags their errors', async () => {
    const created = await bridge.handle('console:keys.create', { label: 'desk', passphrase: 'pw' });
    expect(created.ok && (created.value as { unlocked: boolean }).unlocked).toBe(true);
    const wrong = await bridge.handle('console:keys.unlock', { id: 'k-0000000000000000', passphrase: 'pw' });
    expect(wrong).toEqual({ ok: false, error: { code: 'unknown_key', reason: 'no key k-0000000000000000 in this console', status: 0 } });
  });
});
