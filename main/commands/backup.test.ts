// swoosh backup / restore / serve --backup-* through the real command line: a stopped
// database is copied and restored; a live one is refused with the way to back it up; a
// real `swoosh serve` backs itself up on schedule and says so on /health; bad backup
// flags are exit 2 before anything opens.

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordSubmissions, Scenario } from '../../core/testing/scenario';
import type { Proposal } from '../../core/types';
import type { BackupStatus } from '../app/backup';
import { Host } from '../host';
import { loadMachine } from '../machine';
import { lastJsonLine, PACKAGE_DIR, runSwoosh, SWOOSH_BIN, writeGenesis } from '../testing/proc';
import { until } from '../testing/until';

let dir: string;
let sc: Scenario;
let proposals: Proposal[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'swoosh-backup-cmd-'));
  sc = new Scenario(loadMachine(), { start_ms: Date.now() - 60_000, epoch_ms: Date.now() - 3_600_000 });
  proposals = recordSubmissions(sc);
  sc.boot().ingest().elect();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('swoosh backup / restore', () => {
  it('backs up a stopped database, says how to back up a running one, and restores', async () => {
    const db = join(dir, 'cli.db');
    const host = Host.open({ db, genesis: sc.genesis });
    for (const p of proposals.slice(0, 3)) expect((await host.engine.submit(p)).status).toBe(202);
    const out = join(dir, 'cli.backup.db');
    const held = await runSwoosh(['backup', '--db', db, '--out', out]);
    expect(held.code).toBe(1);
    expect(held.stderr).toMatch(/in use by a running writer.*--backup-dir/);
    const head = host.head;
    host.close();
    const ok = await runSwoosh(['backup', '--db', db, '--out', out]);
    expect(ok.code).toBe(0);
    expect(lastJsonLine(ok.stdout)).toMatchObject({ ok: true, path: out, index: head.index, state_hash: head.hash });
    const restored = await runSwoosh(['restore', '--from', out, '--db', join(dir, 'cli-restored.db')]);
    expect(restored.code).toBe(0);
    expect(lastJsonLine(restored.stdout)).toMatchObject({ ok: true, kept_aside: null, index: head.index, state_hash: head.hash });
  });
});

describe('swoosh serve --backup-dir', () => {
  it('refuses half or malformed backup flags with exit 2', async () => {
    const half = await runSwoosh(['serve', '--db', join(dir, 'x.db'), '--backup-dir', join(dir, 'b')]);
    expect(half.code).toBe(2);
    expect(half.stderr).toMatch(/--backup-dir DIR and --backup-every DURATION go together/);
    const bad = await runSwoosh(['serve', '--db', join(dir, 'x.db'), '--backup-dir', join(dir, 'b'), '--backup-every', '15']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--backup-every is a duration of at least 1s/);
  });

  it('a running server backs itself up on schedule and reports it on /health', async () => {
    const backups = join(dir, 'serve-backups');
    const args = [
      'serve',
      '--db',
      join(dir, 'served.db'),
      '--genesis',
      writeGenesis(dir, sc.genesis),
      '--port',
      '0',
      '--backup-dir',
      backups,
      '--backup-every',
      '1s',
      '--backup-keep',
      '2',
    ];
    const child = spawn(process.execPath, [SWOOSH_BIN, ...args], {
      cwd: PACKAGE_DIR,
      env: { ...process.env, SWOOSH_LOG_LEVEL: 'error' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    try {
      await until(
        'swoosh serve to listen',
        () => /serving .* on (\S+)/.test(stdout),
        30_000,
        () => stdout,
      );
      const url = /serving .* on (\S+)/.exec(stdout)![1]!;
      let last: BackupStatus | undefined;
      const health = async () => (last = ((await (await fetch(`${url}/health`)).json()) as { backup: BackupStatus }).backup);
      await until(
        'scheduled backups, pruned to keep 2',
        async () =>
          (await health()).last_result === 'ok' &&
          readdirSync(backups).filter((f) => f.startsWith('swoosh-')).length === 2 &&
          (last?.failures ?? 0) === 0,
        20_000,
        () => JSON.stringify(last),
      );
      expect(last).toMatchObject({ last_result: 'ok', every_ms: 1000, keep: 2, failures: 0, last_index: 0 });
    } finally {
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    }
  });
});
