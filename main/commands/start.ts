// swoosh start (what `npm start` runs): the desktop console where Electron exists,
// otherwise the same host and console in browser mode, said in one line (DESIGN §3).
//
// Electron mode needs three things, checked in order; the first one missing sends us to
// browser mode with one line naming it:
//   1. the Electron binary (an optional dependency: an offline `npm ci` drops it),
//   2. better-sqlite3 built for Electron's ABI, kept beside the Node build in
//      native/electron-abi<N>/ (npm run rebuild:electron; tried once here if missing),
//   3. the main/preload bundle (built here with esbuild every time: it takes ~1 s).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from '../cli';
import { demoGenesis, writeDemoOperatorKey } from '../demo';
import { HostError } from '../host';
import { demoHealth, portOf, printSimulators, startServer, untilSignal, type Running } from './serve';

export const REPO_DIR = fileURLToPath(new URL('../../', import.meta.url));

/** Where `npm start` keeps its database when none is given. */
export function defaultDataDir(): string {
  const base = process.env.SWOOSH_DATA_DIR ?? join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'swoosh');
  mkdirSync(base, { recursive: true });
  return base;
}

/** Moves a database and its -wal/-shm aside; returns where the main file went. */
export function moveAside(db: string, stamp_ms: number): string {
  const aside = `${db}.old-${stamp_ms}`;
  for (const suffix of ['', '-wal', '-shm']) if (existsSync(db + suffix)) renameSync(db + suffix, aside + suffix);
  return aside;
}

export interface DemoHostSettings {
  db: string;
  port: number;
  console: boolean;
  quiet?: boolean;
  /** Where messages for the operator go (stdout by default). */
  say?: (line: string) => void;
  /** Print each simulator's URL and knobs URL on stdout, as `serve --sim` does. */
  announce_simulators?: boolean;
}

/**
 * Opens the demo host. A demo database made with an older demo genesis cannot be reused
 * (its history was signed under other rules), so it is moved aside — said in one line,
 * kept for inspection — and a fresh one is started, instead of dying with a stack trace.
 */
export async function startDemoHost(s: DemoHostSettings): Promise<Running> {
  const say = s.say ?? ((line: string) => process.stdout.write(`${line}\n`));
  const open = async () => {
    const withDemo = demoHealth();
    const running = await startServer({ db: s.db, genesis: demoGenesis(), host: '127.0.0.1', port: s.port, durability: 'FULL', health: withDemo.health, console: s.console, quiet: s.quiet });
    await withDemo.attach(running);
    if (s.announce_simulators) printSimulators(withDemo.simulators());
    return running;
  };
  try {
    return await open();
  } catch (err) {
    if (!(err instanceof HostError) || err.code !== 'genesis_mismatch') throw err;
    const aside = moveAside(s.db, Date.now());
    say(`swoosh: ${basename(s.db)} was made with an older demo genesis; moved it to ${aside} and starting a fresh demo database`);
    return open();
  }
}

export type ElectronProbe = { ok: true; binary: string } | { ok: false; reason: string };

/** The Electron binary, if the optional `electron` package installed it. */
export function findElectron(): ElectronProbe {
  let binary: unknown;
  try {
    // electron/index.js returns the binary's path, or throws when its download failed.
    binary = createRequire(join(REPO_DIR, 'package.json'))('electron');
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND';
    return { ok: false, reason: missing ? 'the Electron binary is not installed (offline install?)' : 'the Electron package is installed but its binary is missing' };
  }
  if (typeof binary !== 'string' || !existsSync(binary)) return { ok: false, reason: 'the Electron package is installed but its binary is missing' };
  return { ok: true, binary };
}

/** Runs Electron's own Node (ELECTRON_RUN_AS_NODE) on a snippet; null if it fails. */
function electronNode(binary: string, code: string, args: string[] = []): { ok: boolean; out: string } {
  const r = spawnSync(binary, ['-e', code, ...args], { env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' }, encoding: 'utf8', timeout: 30_000 });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}`.trim() };
}

/** native/electron-abi<N>/better_sqlite3.node for the installed Electron. */
export function electronBindingPath(abi: string): string {
  return join(REPO_DIR, 'native', `electron-abi${abi}`, 'better_sqlite3.node');
}

type Prepared = { ok: true; binding: string } | { ok: false; reason: string };

/** Finds (or builds once) better-sqlite3 for Electron's ABI and proves it loads there. */
export function prepareElectronSqlite(binary: string): Prepared {
  const abi = electronNode(binary, 'process.stdout.write(process.versions.modules)');
  if (!abi.ok || !/^\d+$/.test(abi.out)) return { ok: false, reason: `the Electron binary does not run (${abi.out.split('\n')[0] ?? 'no output'})` };
  const binding = electronBindingPath(abi.out);
  if (!existsSync(binding)) {
    process.stdout.write(`swoosh: building better-sqlite3 for Electron (ABI ${abi.out}) into ${dirname(binding)} …\n`);
    const built = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_DIR, 'main/electron/rebuild-sqlite.ts')], { cwd: REPO_DIR, stdio: 'inherit', timeout: 600_000 });
    if (built.status !== 0 || !existsSync(binding)) return { ok: false, reason: 'better-sqlite3 could not be built for Electron (npm run rebuild:electron)' };
  }
  const probe = 'const D=require(process.argv[1]);new D(":memory:",{nativeBinding:process.argv[2]}).close()';
  const loads = electronNode(binary, probe, [createRequire(join(REPO_DIR, 'package.json')).resolve('better-sqlite3'), binding]);
  if (!loads.ok) return { ok: false, reason: `${binding} does not load in Electron (wrong ABI? run npm run rebuild:electron)` };
  return { ok: true, binding };
}

async function launchElectron(binary: string, binding: string, db: string, port: number): Promise<number> {
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

/** npm start: the desktop console where Electron exists, otherwise the same host in browser mode. */
export async function startCommand(args: string[]): Promise<number> {
  const v = parse(args, { port: { type: 'string', default: '7420' }, db: { type: 'string' }, browser: { type: 'boolean', default: false } });
  const port = portOf(v.port);
  const db = resolve(v.db ?? join(defaultDataDir(), 'demo.db'));
  let why = 'browser mode was asked for (--browser)';
  if (!v.browser && process.env.SWOOSH_BROWSER !== '1') {
    const electron = findElectron();
    const prepared: Prepared = electron.ok ? prepareElectronSqlite(electron.binary) : electron;
    if (electron.ok && prepared.ok) return launchElectron(electron.binary, prepared.binding, db, port);
    why = prepared.ok ? why : prepared.reason;
  }
  process.stdout.write(`swoosh: ${why}; serving the console in browser mode instead.\n`);
  const running = await startDemoHost({ db, port, console: true, announce_simulators: true });
  const key = writeDemoOperatorKey(dirname(db));
  process.stdout.write(`swoosh: demo operator key ${key.path} (op-1, passphrase "${key.passphrase}")\n`);
  process.stdout.write(`swoosh: open ${running.url} (database ${db}); Ctrl-C to stop\n`);
  return untilSignal(running);
}
