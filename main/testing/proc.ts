// Test helpers that run the real `swoosh` command in a child process: `serve` (waits for
// its "serving … on <url>" line, so `--port 0` works), one-shot commands such as
// `verify` / `replay`, and SIGKILL / SIGTERM with a wait for the exit (the OS releases
// the writer's SQLite lock only once the process is gone).

import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SWOOSH_BIN = fileURLToPath(new URL('../../bin/swoosh.mjs', import.meta.url));
export const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CommandResult extends Exit {
  stdout: string;
  stderr: string;
}

/** Quiet logs unless the caller asks otherwise (rejection floods would fill the pipe). */
function childEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return { ...process.env, SWOOSH_LOG_LEVEL: 'error', NO_COLOR: '1', ...extra };
}

/** Runs `node bin/swoosh.mjs …args` to completion. */
export function runSwoosh(args: string[], opts: { env?: NodeJS.ProcessEnv; timeout_ms?: number } = {}): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SWOOSH_BIN, ...args], {
      cwd: PACKAGE_DIR,
      env: childEnv(opts.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeout_ms ?? 60_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** The last non-empty stdout line parsed as JSON (verify / replay print exactly one). */
export function lastJsonLine<T = Record<string, unknown>>(stdout: string): T {
  const lines = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const last = lines[lines.length - 1];
  if (last === undefined) throw new Error('no output');
  return JSON.parse(last) as T;
}

export interface ServeOptions {
  db: string;
  genesis?: string;
  port?: number;
  durability?: 'FULL' | 'NORMAL';
  snapshot_every?: number;
  env?: NodeJS.ProcessEnv;
  /** Further `serve` flags (e.g. a cluster node's --etcd, --node-id). */
  args?: string[];
  /** Give up waiting for the "serving" line after this long (the child is killed). */
  ready_timeout_ms?: number;
}

export interface ServeProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  /** The HEAD index the server reported when it came up. */
  readonly index: number;
  readonly exited: Promise<Exit>;
  stderr(): string;
  /** SIGKILL, then wait until the process is gone. */
  kill9(): Promise<Exit>;
  /** SIGTERM (graceful stop), then wait; SIGKILL after `grace_ms`. */
  stop(grace_ms?: number): Promise<Exit>;
}

export class ServeFailed extends Error {
  constructor(
    readonly exit: Exit | null,
    readonly stdout: string,
    readonly stderr: string,
    message: string,
  ) {
    super(message);
  }
}

const SERVING = /^swoosh: serving (.+) on (\S+) \(index (\d+)\)$/m;

export function serveArgs(o: ServeOptions): string[] {
  const args = ['serve', '--db', o.db, '--port', String(o.port ?? 0)];
  if (o.genesis) args.push('--genesis', o.genesis);
  if (o.durability) args.push('--durability', o.durability);
  if (o.snapshot_every !== undefined) args.push('--snapshot-every', String(o.snapshot_every));
  if (o.args) args.push(...o.args);
  return args;
}

export interface Spawned {
  readonly child: ChildProcess;
  /** Resolves once the server prints its URL; rejects with ServeFailed if it exits first. */
  readonly ready: Promise<ServeProcess>;
  readonly exited: Promise<Exit>;
  /** SIGKILL at any moment (also before it is ready: a crash during recovery), then wait. */
  kill9(): Promise<Exit>;
}

/** Spawns `swoosh serve`; `ready` resolves once it prints its URL. */
export function spawnServe(o: ServeOptions): Spawned {
  const child = spawn(process.execPath, [SWOOSH_BIN, ...serveArgs(o)], {
    cwd: PACKAGE_DIR,
    env: childEnv(o.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const exited = new Promise<Exit>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const signal = (sig: NodeJS.Signals): Promise<Exit> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(sig);
    return exited;
  };
  const ready = new Promise<ServeProcess>((resolve, reject) => {
    let isReady = false;
    const limit = o.ready_timeout_ms ?? 30_000;
    const timer = setTimeout(() => {
      if (isReady) return;
      child.kill('SIGKILL');
      reject(new ServeFailed(null, stdout, stderr, `swoosh serve did not report ready within ${limit} ms; stderr: ${stderr}`));
    }, limit);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      // Keep draining (logs must never block the child), but only remember the start.
      if (isReady) return;
      stdout += d;
      const m = SERVING.exec(stdout);
      if (!m) return;
      isReady = true;
      clearTimeout(timer);
      resolve({
        child,
        pid: child.pid as number,
        url: m[2] as string,
        index: Number(m[3]),
        exited,
        stderr: () => stderr,
        kill9: () => signal('SIGKILL'),
        stop: async (grace_ms = 10_000) => {
          const t = setTimeout(() => child.kill('SIGKILL'), grace_ms);
          try {
            return await signal('SIGTERM');
          } finally {
            clearTimeout(t);
          }
        },
      });
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      if (stderr.length < 64 * 1024) stderr += d;
    });
    child.on('error', (err) => {
      clearTimeout(timer);
      if (!isReady) reject(err);
    });
    void exited.then((exit) => {
      clearTimeout(timer);
      if (!isReady)
        reject(new ServeFailed(exit, stdout, stderr, `swoosh serve exited (${exit.code ?? exit.signal}) before serving: ${stderr.trim()}`));
    });
  });
  // A caller that kills before ready may never look at `ready`; keep that rejection quiet.
  ready.catch(() => {});
  return { child, ready, exited, kill9: () => signal('SIGKILL') };
}

/** Spawns `swoosh serve` and resolves once it prints its URL; rejects with ServeFailed if it exits first. */
export function startServe(o: ServeOptions): Promise<ServeProcess> {
  return spawnServe(o).ready;
}

/** Writes a genesis document to `dir/genesis.json` and returns its path. */
export function writeGenesis(dir: string, genesis: unknown, name = 'genesis.json'): string {
  const path = join(dir, name);
  writeFileSync(path, `${JSON.stringify(genesis, null, 2)}\n`);
  return path;
}
