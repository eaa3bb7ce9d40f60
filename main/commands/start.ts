// swoosh start (what `npm start` runs): the desktop console where Electron exists,
// otherwise the same host and console in browser mode, said in one line (docs/electron.md).
//
// Electron mode needs three things, checked in order (main/app/electron-launch.ts); the
// first one missing sends us to browser mode with one line naming it:
//   1. the Electron binary (an optional dependency: an offline `npm ci` drops it),
//   2. better-sqlite3 built for Electron's ABI, kept beside the Node build in
//      native/electron-abi<N>/ (npm run rebuild:electron; tried once here if missing),
//   3. the main/preload bundle (built here with esbuild every time: it takes ~1 s).

import { dirname, join, resolve } from 'node:path';
import { writeDemoOperatorKey } from '../demo';
import { defaultDataDir, openDemoHost } from '../app/demo';
import { findElectron, launchElectron, prepareElectronSqlite, type PreparedSqlite } from '../app/electron-launch';
import { parse, portOf } from './args';
import { printSimulators, untilSignal } from './serve';

// main/electron/rebuild-sqlite.ts still imports these from here; they live in main/app now.
export { electronBindingPath, findElectron, REPO_DIR } from '../app/electron-launch';

const START_OPTIONS = { port: { type: 'string', default: '7420' }, db: { type: 'string' }, browser: { type: 'boolean', default: false } } as const;
const START_USAGE = `usage: swoosh start [--db PATH] [--port 7420] [--browser]
  the operator console on the demo project: Electron where available, else (or with --browser) browser mode.
`;

/** npm start: the desktop console where Electron exists, otherwise the same host in browser mode. */
export async function startCommand(args: string[]): Promise<number> {
  const v = parse(args, START_OPTIONS, START_USAGE);
  const port = portOf(v.port);
  const db = resolve(v.db ?? join(defaultDataDir(), 'demo.db'));
  let why = 'browser mode was asked for (--browser)';
  if (!v.browser && process.env.SWOOSH_BROWSER !== '1') {
    const electron = findElectron();
    const prepared: PreparedSqlite = electron.ok ? prepareElectronSqlite(electron.binary) : electron;
    if (electron.ok && prepared.ok) return launchElectron(electron.binary, prepared.binding, db, port);
    why = prepared.ok ? why : prepared.reason;
  }
  process.stdout.write(`swoosh: ${why}; serving the console in browser mode instead.\n`);
  const running = await openDemoHost({ db, port, console: true });
  printSimulators(running.demo.simulators());
  const key = writeDemoOperatorKey(dirname(db));
  process.stdout.write(`swoosh: demo operator key ${key.path} (op-1, passphrase "${key.passphrase}")\n`);
  process.stdout.write(`swoosh: open ${running.url} (database ${db}); Ctrl-C to stop\n`);
  return untilSignal(running);
}
