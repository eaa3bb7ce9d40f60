// swoosh start (what `npm start` runs): the desktop console where Electron exists,
// otherwise the same host and console in browser mode.

import { mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { parse } from '../cli';
import { demoGenesis } from '../demo';
import { demoHealth, portOf, startServer, untilSignal } from './serve';

/** Where `npm start` keeps its database when none is given. */
export function defaultDataDir(): string {
  const base = process.env.SWOOSH_DATA_DIR ?? join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'swoosh');
  mkdirSync(base, { recursive: true });
  return base;
}

/** npm start: the desktop console where Electron exists, otherwise the same host in browser mode. */
export async function startCommand(args: string[]): Promise<number> {
  const v = parse(args, { port: { type: 'string', default: '7420' }, db: { type: 'string' } });
  process.stdout.write('swoosh: the Electron binary is not available here; serving the console in browser mode instead.\n');
  const db = v.db ?? join(defaultDataDir(), 'demo.db');
  const withDemo = demoHealth();
  const running = await startServer({ db, genesis: demoGenesis(), host: '127.0.0.1', port: portOf(v.port), durability: 'FULL', health: withDemo.health, console: true });
  await withDemo.attach(running);
  process.stdout.write(`swoosh: open ${running.url} (database ${db}); Ctrl-C to stop\n`);
  return untilSignal(running);
}
