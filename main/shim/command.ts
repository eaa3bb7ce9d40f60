// swoosh shim --map FILE --legacy URL --swoosh URL[,URL…] (--key FILE | --vault FILE --key-name NAME)
//             [--host 127.0.0.1] [--port 7430] [--db FILE] [--compare-interval-ms N]
// The migration front in front of WHOOSH and SWOOSH (docs/migration.md).

import { readFileSync } from 'node:fs';
import type { Signer } from '../../core/crypto';
import { AppError } from '../app/errors';
import { nonNegativeInt, parse, portOf, UsageError } from '../commands/args';
import { systemClock } from '../host';
import { KeyFileError, loadSigner } from '../keys/keyfile';
import { processPassphraseSource, unlockVault } from '../keys/unlock';
import { VaultError } from '../keys/vault';
import { loadMachine } from '../machine';
import { MapError, parseMap, type ShimMap } from './map';
import { Shim } from './shim';
import { ShimStore } from './store';
import { StateModeSource, SwooshLink, type ModeSource } from './swoosh';

const SHIM_OPTIONS = {
  map: { type: 'string' },
  legacy: { type: 'string' },
  swoosh: { type: 'string' },
  key: { type: 'string' },
  'passphrase-env': { type: 'string', default: 'SWOOSH_KEY_PASSPHRASE' },
  vault: { type: 'string' },
  'key-name': { type: 'string' },
  host: { type: 'string', default: '127.0.0.1' },
  port: { type: 'string', default: '7430' },
  db: { type: 'string', default: 'swoosh-shim.db' },
  'compare-interval-ms': { type: 'string' },
} as const;

export interface RunningShim {
  shim: Shim;
  url: string;
  stop: () => Promise<void>;
}

export interface ShimSettings {
  map: ShimMap;
  legacy: string;
  swoosh: string[];
  signer: Signer;
  db: string;
  host?: string;
  port?: number;
  compare_interval_ms?: number;
  /** A fixed routing instead of SWOOSH's state: a test seam, never set by the command. */
  modes?: ModeSource;
}

/** Opens the store, connects to SWOOSH and listens; used by the command and the tests. */
export async function startShim(s: ShimSettings): Promise<RunningShim> {
  const spec = loadMachine();
  const gated = Object.entries(spec.transitions)
    .filter(([, t]) => t.window !== null && t.window.length > 0)
    .map(([n]) => n);
  const link = new SwooshLink(s.swoosh, s.signer, systemClock, gated);
  let modes = s.modes;
  if (!modes) {
    const fromState = new StateModeSource(link, systemClock);
    await fromState.start();
    modes = fromState;
  }
  const store = new ShimStore(s.db);
  const shim = new Shim({
    map: s.map,
    legacy: s.legacy,
    link,
    modes,
    store,
    clock: systemClock,
    compare_interval_ms: s.compare_interval_ms,
  });
  let url: string;
  try {
    url = await shim.listen(s.port ?? 0, s.host ?? '127.0.0.1');
  } catch (err) {
    modes.close();
    store.close();
    throw new AppError(
      'listen_failed',
      `cannot listen on ${s.host ?? '127.0.0.1'}:${s.port ?? 0}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
    );
  }
  return {
    shim,
    url,
    stop: async () => {
      await shim.close();
      store.close();
    },
  };
}

function httpUrl(raw: string, flag: string): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new UsageError(`${flag} must be an http(s) URL, got ${raw}`);
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`${flag} must be an http(s) URL, got ${raw}`);
  return raw.replace(/\/+$/, '');
}

async function signerFrom(v: ReturnType<typeof parse<typeof SHIM_OPTIONS>>): Promise<Signer> {
  if (v.key !== undefined && v.vault !== undefined) throw new UsageError('give --key FILE or --vault FILE --key-name NAME, not both');
  if (v.key !== undefined) {
    const variable = v['passphrase-env'];
    const pass = process.env[variable];
    return loadSigner(v.key, pass === undefined || pass === '' ? null : pass);
  }
  if (v.vault === undefined || v['key-name'] === undefined)
    throw new UsageError('the shim signs proposals: give --key FILE or --vault FILE --key-name NAME');
  const vault = await unlockVault(v.vault, processPassphraseSource());
  try {
    return vault.signer(v['key-name']);
  } finally {
    vault.lock();
  }
}

function readMap(path: string): ShimMap {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read map ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  try {
    return parseMap(text, new Set(Object.keys(loadMachine().transitions)));
  } catch (err) {
    if (err instanceof MapError) throw new UsageError(`map ${path} is invalid:\n  ${err.errors.join('\n  ')}`);
    throw err;
  }
}

const SHIM_USAGE = `usage: swoosh shim --map FILE --legacy URL --swoosh URL[,URL…] (--key FILE [--passphrase-env VAR] | --vault FILE --key-name NAME)
                   [--host 127.0.0.1] [--port 7430] [--db FILE] [--compare-interval-ms 10000]
  the migration front for WHOOSH callers: legacy, shadow or swoosh per region (docs/migration.md)
`;

export async function shimCommand(args: string[]): Promise<number> {
  const v = parse(args, SHIM_OPTIONS, SHIM_USAGE);
  if (!v.map) throw new UsageError('--map FILE is required');
  if (!v.legacy) throw new UsageError('--legacy URL (WHOOSH) is required');
  if (!v.swoosh) throw new UsageError('--swoosh URL[,URL…] is required');
  const map = readMap(v.map);
  const legacy = httpUrl(v.legacy, '--legacy');
  const swoosh = v.swoosh
    .split(',')
    .filter((u: string) => u !== '')
    .map((u: string) => httpUrl(u, '--swoosh'));
  const port = portOf(v.port);
  const interval = v['compare-interval-ms'] === undefined ? undefined : nonNegativeInt(v['compare-interval-ms'], '--compare-interval-ms');
  let signer: Signer;
  try {
    signer = await signerFrom(v);
  } catch (err) {
    if (err instanceof KeyFileError || err instanceof VaultError) {
      process.stderr.write(`swoosh shim: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
  const running = await startShim({ map, legacy, swoosh, signer, db: v.db, host: v.host, port, compare_interval_ms: interval });
  process.stdout.write(`swoosh: shim on ${running.url} (legacy ${legacy}, swoosh ${swoosh.join(',')}, signer ${signer.signer})\n`);
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void running.stop().then(() => resolve(0));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
