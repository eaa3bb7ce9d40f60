// `swoosh start` (npm start): the browser-mode fallback says why in one line, and an old
// demo database is moved aside instead of failing.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { demoGenesis } from '../demo';
import { PACKAGE_DIR, SWOOSH_BIN } from '../testing/proc';
import { openServer as startServer } from '../app/server';
import { openDemoHost as startDemoHost } from '../app/demo';
import { findElectron } from '../app/electron-launch';

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
    const child = spawn(process.execPath, [SWOOSH_BIN, 'start', ...args], { cwd: PACKAGE_DIR, env: { ...process.env, ...env, SWOOSH_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
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

  it('moves a demo database made with another demo genesis aside and starts fresh', async () => {
    const dir = scratch();
    const db = join(dir, 'demo.db');
    const old = await startServer({ db, genesis: demoGenesis({ period_ms: 1234 }), host: '127.0.0.1', port: 0, durability: 'FULL', quiet: true });
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
