// Launching the desktop console from Node: find the optional Electron binary, make sure
// better-sqlite3 is built for Electron's ABI (native/electron-abi<N>/, built once with
// npm run rebuild:electron if missing), bundle main/preload and spawn Electron. Each
// probe answers with a reason instead of throwing, so `swoosh start` can fall back to
// browser mode saying why in one line (docs/electron.md).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_DIR = fileURLToPath(new URL('../../', import.meta.url));

/** Bound on each probe of Electron's own Node (it starts in well under a second). */
const ELECTRON_PROBE_MS_MAX = 30_000;
/** Bound on building better-sqlite3 for Electron (a compile, on a slow machine). */
const SQLITE_BUILD_MS_MAX = 600_000;

export type ElectronProbe = { ok: true; binary: string } | { ok: false; reason: string };

/** Bound on downloading the Electron binary on first start (≈ 100 MB). */
const ELECTRON_DOWNLOAD_MS_MAX = 180_000;

/**
 * The Electron binary, downloading it first if the package has none yet. Electron ≥ 42
 * has no install script: `require('electron')` itself downloads a missing binary, with
 * no time bound and its output on ours. So the download runs here first, bounded, its
 * output kept, and a failure (offline) stays one line (docs/electron.md).
 * ELECTRON_SKIP_BINARY_DOWNLOAD=1 skips the attempt.
 */
export function findElectron(): ElectronProbe {
  const require = createRequire(join(REPO_DIR, 'package.json'));
  let dir: string;
  try {
    dir = dirname(require.resolve('electron/package.json'));
  } catch {
    return { ok: false, reason: 'the Electron package is not installed' };
  }
  if (!hasBinary(dir)) {
    if (process.env.ELECTRON_SKIP_BINARY_DOWNLOAD)
      return { ok: false, reason: 'the Electron binary is not downloaded (ELECTRON_SKIP_BINARY_DOWNLOAD)' };
    process.stderr.write('swoosh: downloading the Electron binary (once) …\n');
    const got = spawnSync(process.execPath, [join(dir, 'install.js')], { encoding: 'utf8', timeout: ELECTRON_DOWNLOAD_MS_MAX });
    if (got.status !== 0) return { ok: false, reason: 'the Electron binary could not be downloaded (offline?)' };
  }
  if (!hasBinary(dir)) return { ok: false, reason: 'the Electron package is installed but its binary is missing' };
  let binary: unknown;
  try {
    // electron/index.js returns the binary's path (it is there: no download from here).
    binary = require('electron');
  } catch {
    return { ok: false, reason: 'the Electron package is installed but its binary is missing' };
  }
  if (typeof binary !== 'string' || !existsSync(binary))
    return { ok: false, reason: 'the Electron package is installed but its binary is missing' };
  return { ok: true, binary };
}

/** Whether the electron package at `dir` has its binary (path.txt names it under dist/). */
function hasBinary(dir: string): boolean {
  const pathFile = join(dir, 'path.txt');
  return existsSync(pathFile) && existsSync(join(dir, 'dist', readFileSync(pathFile, 'utf8')));
}

/** Runs Electron's own Node (ELECTRON_RUN_AS_NODE) on a snippet. */
function electronNode(binary: string, code: string, args: string[] = []): { ok: boolean; out: string } {
  const r = spawnSync(binary, ['-e', code, ...args], {
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    encoding: 'utf8',
    timeout: ELECTRON_PROBE_MS_MAX,
  });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/** native/electron-abi<N>/better_sqlite3.node for the installed Electron. */
export function electronBindingPath(abi: string): string {
  return join(REPO_DIR, 'native', `electron-abi${abi}`, 'better_sqlite3.node');
}

export type PreparedSqlite = { ok: true; binding: string } | { ok: false; reason: string };

/** Finds (or builds once) better-sqlite3 for Electron's ABI and proves it loads there. */
export function prepareElectronSqlite(binary: string): PreparedSqlite {
  const abi = electronNode(binary, 'process.stdout.write(process.versions.modules)');
  if (!abi.ok || !/^\d+$/.test(abi.out))
    return { ok: false, reason: `the Electron binary does not run (${abi.out.split('\n')[0] ?? 'no output'})` };
  const binding = electronBindingPath(abi.out);
  if (!existsSync(binding)) {
    process.stdout.write(`swoosh: building better-sqlite3 for Electron (ABI ${abi.out}) into ${dirname(binding)} …\n`);
    const built = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_DIR, 'main/electron/rebuild-sqlite.ts')], {
      cwd: REPO_DIR,
      stdio: 'inherit',
      timeout: SQLITE_BUILD_MS_MAX,
    });
    if (built.status !== 0 || !existsSync(binding))
      return { ok: false, reason: 'better-sqlite3 could not be built for Electron (npm run rebuild:electron)' };
  }
  const probe = 'const D=require(process.argv[1]);new D(":memory:",{nativeBinding:process.argv[2]}).close()';
  const loads = electronNode(binary, probe, [createRequire(join(REPO_DIR, 'package.json')).resolve('better-sqlite3'), binding]);
  if (!loads.ok) return { ok: false, reason: `${binding} does not load in Electron (wrong ABI? run npm run rebuild:electron)` };
  return { ok: true, binding };
}

/** Bundles main/preload and runs Electron on `db`, forwarding SIGINT/SIGTERM; resolves to its exit code. */
export async function launchElectron(binary: string, binding: string, db: string, port: number): Promise<number> {
  const { buildElectron } = await import('../electron/build');
  const out = await buildElectron();
  const env: NodeJS.ProcessEnv = { ...process.env, SWOOSH_SQLITE_BINDING: binding, SWOOSH_DB: db, SWOOSH_PORT: String(port) };
  delete env.ELECTRON_RUN_AS_NODE;
  const child = spawn(binary, [out.main], { cwd: REPO_DIR, env, stdio: 'inherit' });
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  return new Promise((done) => child.on('exit', (code) => done(code ?? 1)));
}
