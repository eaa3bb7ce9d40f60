// `swoosh start` (npm start): the browser-mode fallback says why in one line, an old demo
// database is moved aside instead of failing, the terminal stays quiet after the URL (logs
// go to a file), and a busy port is reported before the console build.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoGenesis } from '../demo';
import { PACKAGE_DIR, SWOOSH_BIN } from '../testing/proc';
import { openServer as startServer } from '../app/server';
import { openDemoHost as startDemoHost } from '../app/demo';
import { findElectron } from '../app/electron-launch';
import { until } from '../testing/until';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function scratch(): string {
  const d = mkdtempSync(join(tmpdir(), 'swoosh-start-'));
  dirs.push(d);
  return d;
}

/** Runs `swoosh start` until it prints its URL, then stops it; returns what it printed. */
function startUntilOpen(args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SWOOSH_BIN, 'start', ...args], {
      cwd: PACKAGE_DIR,
      env: { ...process.env, ...env, SWOOSH_LOG_LEVEL: 'warn' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (/swoosh: open http/.test(stdout)) child.kill('SIGTERM');
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (!/swoosh: open http/.test(stdout)) reject(new Error(`start never opened: ${stdout}\n${stderr}`));
      else resolve({ stdout, code });
    });
  });
}

describe('swoosh start', () => {
  it('without a usable Electron, says so in one line and serves the console in browser mode', async () => {
    const dir = scratch();
    const probe = findElectron();
    // Here: the optional electron package was dropped (offline) or is forced off; either way one line.
    const { stdout } = await startUntilOpen(['--port', '0', '--db', join(dir, 'demo.db')], probe.ok ? { SWOOSH_BROWSER: '1' } : {});
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^swoosh: .*; serving the console in browser mode instead\.$/);
    if (!probe.ok) expect(lines[0]).toContain(probe.reason);
    expect(lines.filter((l) => /browser mode/.test(l))).toHaveLength(1);
    expect(stdout).toMatch(/swoosh: demo operator key .*demo-operator\.key \(op-1, passphrase "demo"\)/);
    expect(existsSync(join(dir, 'demo-operator.key'))).toBe(true);
  });

  it('--migration: browser mode on its own database, with where to look and the knob to turn', async () => {
    const dir = scratch();
    const { stdout } = await startUntilOpen(['--migration', '--port', '0'], { SWOOSH_DATA_DIR: dir });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toBe('swoosh: the migration demo runs in browser mode (--migration); serving the console in browser mode instead.');
    expect(stdout).toMatch(/swoosh: migration demo: .* open http:\/\/127\.0\.0\.1:\d+\/#\/migration\n/);
    expect(stdout).toMatch(/curl -X POST http:\/\/127\.0\.0\.1:\d+\/migration\/demo\/knobs -d '\{"split_brain_council":true\}'/);
    expect(stdout).toContain(`(database ${join(dir, 'demo-migration.db')})`);
  });

  it('moves a demo database made with another demo genesis aside and starts fresh', async () => {
    const dir = scratch();
    const db = join(dir, 'demo.db');
    const old = await startServer({
      db,
      genesis: demoGenesis({ period_ms: 1234 }),
      host: '127.0.0.1',
      port: 0,
      durability: 'FULL',
      quiet: true,
    });
    await old.stop();
    const said: string[] = [];
    const running = await startDemoHost({ db, port: 0, console: false, quiet: true, say: (l) => said.push(l) });
    try {
      expect(running.host.head.index).toBeGreaterThanOrEqual(0);
      expect(said).toHaveLength(1);
      expect(said[0]).toMatch(/demo\.db was made with an older demo genesis; moved it to .*demo\.db\.old-\d+/);
      expect(readdirSync(dir).some((f) => /^demo\.db\.old-\d+$/.test(f))).toBe(true);
    } finally {
      await running.stop();
    }
  });
});

/** A port the system just handed out (free at that moment). */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  return port;
}

describe('swoosh start keeps the terminal for a person', () => {
  it('after the URL line it prints at most a few lines over 20 s; the JSON logs go to swoosh.log in the data dir', async () => {
    const dir = scratch();
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, SWOOSH_DATA_DIR: dir, SWOOSH_BROWSER: '1' };
    delete env.SWOOSH_LOG_LEVEL;
    const child = spawn(process.execPath, [SWOOSH_BIN, 'start', '--port', String(port)], {
      cwd: PACKAGE_DIR,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    try {
      await until(
        'the URL line',
        () => /swoosh: open http/.test(out),
        45_000,
        () => out,
      );
      const at_url = out.length;
      await new Promise((r) => setTimeout(r, 20_000));
      const after = out
        .slice(at_url)
        .split('\n')
        .filter((l) => l.trim() !== '');
      expect(after.length, after.join('\n')).toBeLessThanOrEqual(3);
      const before = out
        .slice(0, at_url)
        .split('\n')
        .filter((l) => l.trim() !== '');
      expect(before.length, before.join('\n')).toBeLessThanOrEqual(6);
      expect(out).not.toMatch(/"event":"transition_accepted"/);
      expect(out).toContain(`logs (info and above, JSON lines) go to ${join(dir, 'swoosh.log')}`);
      // The demo ran meanwhile, and its transitions are in the log file.
      const logged = readFileSync(join(dir, 'swoosh.log'), 'utf8');
      expect(logged).toMatch(/"event":"transition_accepted"/);
      expect(logged).toMatch(/"event":"simulators"/);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }, 90_000);

  it('a busy port is reported first, naming --port, before any console build', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    const port = (taken.address() as AddressInfo).port;
    try {
      const r = spawnSync(process.execPath, [SWOOSH_BIN, 'start', '--build-console', '--port', String(port)], {
        cwd: PACKAGE_DIR,
        env: { ...process.env, SWOOSH_DATA_DIR: scratch(), SWOOSH_BROWSER: '1' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toContain(`swoosh start: port ${port} on 127.0.0.1 is in use (EADDRINUSE); choose another with --port`);
      expect(r.stdout).not.toContain('building the console');
    } finally {
      await new Promise<void>((r) => taken.close(() => r()));
    }
  });
});
