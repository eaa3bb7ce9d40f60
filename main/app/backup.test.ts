// Scheduled backups inside a real server (real database, real sockets): each one is
// verified and named, the oldest beyond `keep` are deleted, /health and /metrics carry the
// last result, a failure is counted and the server goes on, and the schedule runs by itself.

import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { recordSubmissions, Scenario } from '../../core/testing/scenario';
import { loadMachine } from '../machine';
import { verifyFile } from '../store/backup-verify';
import { until } from '../testing/until';
import { attachBackups, durationMs, type BackupStatus } from './backup';
import { AppError } from './errors';
import { openServer, type Running } from './server';

const dir = mkdtempSync(join(tmpdir(), 'swoosh-app-backup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function serverWithRecords(name: string): Promise<Running> {
  const sc = new Scenario(loadMachine(), { start_ms: Date.now() - 60_000, epoch_ms: Date.now() - 3_600_000 });
  const proposals = recordSubmissions(sc);
  sc.boot().ingest().elect();
  const running = await openServer({
    db: join(dir, name),
    genesis: sc.genesis,
    host: '127.0.0.1',
    port: 0,
    durability: 'NORMAL',
    quiet: true,
  });
  for (const p of proposals) expect((await running.host.engine.submit(p)).status).toBe(202);
  return running;
}

const health = async (r: Running) => ((await (await fetch(`${r.url}/health`)).json()) as { backup: BackupStatus }).backup;
/** The finished backups in `d` (a partial copy in progress is a dot-file beside them). */
const finished = (d: string) => readdirSync(d).filter((f) => f.startsWith('swoosh-'));
const metric = async (r: Running, name: string) =>
  Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(await (await fetch(`${r.url}/metrics`)).text())?.[1]);

describe('attachBackups', () => {
  it('writes verified backups, keeps the newest `keep`, and reports the last on /health and /metrics', async () => {
    const running = await serverWithRecords('s1.db');
    const out = join(dir, 'backups-1');
    let clock = Date.parse('2026-12-03T09:00:00Z');
    // An hour-long interval: the three backups below are the ones runNow asks for.
    const b = attachBackups(running, { dir: out, every_ms: 3_600_000, keep: 2, now_ms: () => clock });
    try {
      for (let i = 1; i <= 3; i++) {
        clock += 60_000;
        expect((await b.runNow()).last_result).toBe('ok');
      }
      const files = readdirSync(out).sort();
      expect(files).toEqual([
        `swoosh-20261203T090200.000Z-i${running.host.head.index}.db`,
        `swoosh-20261203T090300.000Z-i${running.host.head.index}.db`,
      ]);
      for (const f of files)
        expect(verifyFile(join(out, f))).toMatchObject({ ok: true, verified: running.host.head.index, state_hash: running.host.head.hash });
      const last = join(out, files[1]!);
      const h = await health(running);
      expect(h).toMatchObject({
        last_result: 'ok',
        last_path: last,
        last_size_bytes: statSync(last).size,
        last_success_at: '2026-12-03T09:03:00.000Z',
        failures: 0,
        keep: 2,
      });
      expect(await metric(running, 'swoosh_backup_last_size_bytes')).toBe(statSync(last).size);
      expect(await metric(running, 'swoosh_backup_last_success_timestamp_seconds')).toBe(Date.parse('2026-12-03T09:03:00Z') / 1000);
      expect(await metric(running, 'swoosh_backup_failures_total')).toBe(0);

      // The directory becomes a file: the next backup fails, is counted, and nothing else changes.
      rmSync(out, { recursive: true });
      writeFileSync(out, 'not a directory');
      clock += 60_000;
      const failed = await b.runNow();
      expect(failed).toMatchObject({ last_result: 'failed', failures: 1, last_path: last, last_success_at: '2026-12-03T09:03:00.000Z' });
      expect(failed.last_error).toBe(
        `backup to ${join(out, `swoosh-20261203T090400.000Z-i${running.host.head.index}.db`)} failed: ENOTDIR`,
      );
      expect(await metric(running, 'swoosh_backup_failures_total')).toBe(1);
      expect((await health(running)).last_result).toBe('failed');
      expect(running.host.head.index).toBeGreaterThan(0);
    } finally {
      await running.stop();
    }
  });

  it('runs on its own schedule and stops with the server', async () => {
    const running = await serverWithRecords('s2.db');
    const out = join(dir, 'backups-2');
    // A copy a crashed process left half-written is removed at start; other files are not ours to touch.
    mkdirSync(out);
    writeFileSync(join(out, '.swoosh-20261203T090000.000Z-i7.db.partial-4242'), 'half a copy');
    writeFileSync(join(out, 'notes.txt'), "the operator's");
    const b = attachBackups(running, { dir: out, every_ms: 200, keep: 3 });
    expect(readdirSync(out)).toEqual(['notes.txt']);
    await until(
      'two scheduled backups',
      () => finished(out).length >= 2 || b.status().failures > 0,
      20_000,
      () => JSON.stringify(b.status()),
      50,
    );
    expect(b.status()).toMatchObject({ last_result: 'ok', failures: 0 });
    await running.stop();
    const after = readdirSync(out);
    await new Promise((r) => setTimeout(r, 500));
    expect(readdirSync(out)).toEqual(after);
    expect(after.length).toBeLessThanOrEqual(3);
    expect(after.filter((f) => f !== 'notes.txt').every((f) => f.startsWith('swoosh-'))).toBe(true);
    expect(after).toContain('notes.txt');
  });

  it('refuses settings it cannot run with, and reads durations', async () => {
    const running = await serverWithRecords('s3.db');
    try {
      expect(() => attachBackups(running, { dir: join(dir, 'b3'), every_ms: 10, keep: 1 })).toThrow(AppError);
      expect(() => attachBackups(running, { dir: join(dir, 'b3'), every_ms: 1000, keep: 0 })).toThrow(/keep must be 1\.\./);
    } finally {
      await running.stop();
    }
    expect([durationMs('15m'), durationMs('30s'), durationMs('6h'), durationMs('1d'), durationMs('500ms')]).toEqual([
      900_000, 30_000, 21_600_000, 86_400_000, 500,
    ]);
    expect([durationMs('15'), durationMs('m'), durationMs('-1s'), durationMs('1.5h')]).toEqual([null, null, null, null]);
  });
});
