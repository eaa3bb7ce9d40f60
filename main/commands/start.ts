// swoosh start (what `npm start` runs): the desktop console where Electron exists,
// otherwise the same host and console in browser mode, said in one line (docs/electron.md).
//
// Electron mode needs three things, checked in order (main/app/electron-launch.ts); the
// first one missing sends us to browser mode with one line naming it:
//   1. the Electron binary (an optional dependency: an offline `npm ci` drops it),
//   2. better-sqlite3 built for Electron's ABI, kept beside the Node build in
//      native/electron-abi<N>/ (npm run rebuild:electron; tried once here if missing),
//   3. the main/preload bundle (built here with esbuild every time: it takes ~1 s).
//
// The terminal is for a person: a few lines (mode, log file, key, URL) and then silence.
// The server's JSON lines go to <data dir>/swoosh.log (--log-file, --log-level); `swoosh
// serve` keeps them on stdout for machines. A busy port is said first, naming --port,
// before the console build (`npm start` passes --build-console) spends its ~20 s.

import { spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { writeDemoOperatorKey } from '../demo';
import { defaultDataDir, openDemoHost } from '../app/demo';
import { DEMO_KNOBS_PATH } from '../app/migration-demo';
import { findElectron, launchElectron, prepareElectronSqlite, REPO_DIR, type PreparedSqlite } from '../app/electron-launch';
import { createFileLogger } from '../observe/log';
import { parse, portOf, UsageError } from './args';
import { untilSignal } from './serve';

// main/electron/rebuild-sqlite.ts still imports these from here; they live in main/app now.
export { electronBindingPath, findElectron, REPO_DIR } from '../app/electron-launch';

/** The levels pino knows; anything else is a usage error rather than a crash at start. */
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const START_FLAGS = {
  port: { type: 'string', default: '7420' },
  db: { type: 'string' },
  browser: { type: 'boolean', default: false },
  'log-level': { type: 'string' },
  'log-file': { type: 'string' },
  'build-console': { type: 'boolean', default: false },
  migration: { type: 'boolean', default: false },
} as const;

const START_USAGE = `usage: swoosh start [--db PATH] [--port 7420] [--browser] [--log-level info] [--log-file PATH] [--build-console] [--migration]
  the operator console on the demo project: Electron where available, else (or with --browser) browser mode;
  the server's log goes to swoosh.log in the data dir unless --log-file says otherwise.
  --migration: the migration-from-WHOOSH demo instead (browser mode, its own database; docs/migration.md "Try it").
`;

/** npm start: the desktop console where Electron exists, otherwise the same host in browser mode. */
export async function startCommand(args: string[]): Promise<number> {
  const v = parse(args, START_FLAGS, START_USAGE);
  const port = portOf(v.port);
  const db = resolve(v.db ?? join(defaultDataDir(), v.migration ? 'demo-migration.db' : 'demo.db'));
  const level = logLevelOf(v['log-level'] ?? process.env.SWOOSH_LOG_LEVEL ?? 'info');
  const busy = await portBusy(port);
  if (busy) {
    process.stderr.write(
      `swoosh start: port ${port} on 127.0.0.1 is in use (${busy}); choose another with --port, e.g. npm start -- --port ${port === 65535 ? 7421 : port + 1}\n`,
    );
    return 1;
  }
  if (v['build-console'] && !buildConsole()) return 1;
  let why = v.migration ? 'the migration demo runs in browser mode (--migration)' : 'browser mode was asked for (--browser)';
  if (!v.browser && !v.migration && process.env.SWOOSH_BROWSER !== '1') {
    const electron = findElectron();
    const prepared: PreparedSqlite = electron.ok ? prepareElectronSqlite(electron.binary) : electron;
    if (electron.ok && prepared.ok) return launchElectron(electron.binary, prepared.binding, db, port);
    why = prepared.ok ? why : prepared.reason;
  }
  process.stdout.write(`swoosh: ${why}; serving the console in browser mode instead.\n`);
  const log_file = resolve(v['log-file'] ?? join(dirname(db), 'swoosh.log'));
  const log = createFileLogger(level, log_file);
  const shim_db = join(dirname(db), 'demo-migration-shim.db');
  const running = await openDemoHost({ db, port, console: true, log, migration: v.migration ? { shim_db } : undefined });
  const sims = running.demo.simulators();
  log.info({ event: 'simulators', simulators: sims }, `${Object.keys(sims).length} simulators on loopback`);
  process.stdout.write(
    `swoosh: logs (${level} and above, JSON lines) go to ${log_file}; simulator URLs and knobs are there and in GET /health\n`,
  );
  const key = writeDemoOperatorKey(dirname(db));
  process.stdout.write(`swoosh: demo operator key ${key.path} (op-1, passphrase "${key.passphrase}")\n`);
  if (running.migration) sayMigration(running.url);
  process.stdout.write(`swoosh: open ${running.url} (database ${db}); Ctrl-C to stop\n`);
  return untilSignal(running);
}

/** The migration demo's two steps for a person: where to look, and the knob to turn. */
function sayMigration(url: string): void {
  process.stdout.write(
    `swoosh: migration demo: WHOOSH's callers form the council through the shim, council in shadow; open ${url}/#/migration\n` +
      `swoosh: make WHOOSH split-brain: curl -X POST ${url}${DEMO_KNOBS_PATH} -d '{"split_brain_council":true}'\n`,
  );
}

function logLevelOf(raw: string): string {
  if (!(LOG_LEVELS as readonly string[]).includes(raw))
    throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got ${raw}`);
  return raw;
}

/** Why 127.0.0.1:port cannot be bound now ("EADDRINUSE"), or null; port 0 is always free. */
export function portBusy(port: number): Promise<string | null> {
  if (port === 0) return Promise.resolve(null);
  return new Promise((done) => {
    const probe = createServer();
    probe.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message));
    probe.listen(port, '127.0.0.1', () => probe.close(() => done(null)));
  });
}

/** npm run build:console, its output shown only when it fails; false if it failed. */
function buildConsole(): boolean {
  process.stdout.write('swoosh: building the console (dist/console) …\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const r = spawnSync(npm, ['run', '--silent', 'build:console'], { cwd: REPO_DIR, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.status === 0) return true;
  process.stderr.write(
    `${r.stdout ?? ''}${r.stderr ?? ''}swoosh start: the console build failed (${r.error?.message ?? `exit ${r.status}`})\n`,
  );
  return false;
}
