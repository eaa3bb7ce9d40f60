// The system under test: a real `swoosh serve` process (node bin/swoosh.mjs serve), on a
// fixed port so that replicas find it again after every restart, with the host's own
// invariant checks on (--check-invariants; a violation is an error-level log line, which
// is the only thing it logs at SWOOSH_LOG_LEVEL=error). It can be killed with SIGKILL at
// any moment, also while it is still recovering, and restarted on the same file.

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { PACKAGE_DIR, SWOOSH_BIN, type Exit } from '../testing/proc';
import { sleep } from '../replica/http';

export interface WriterOptions {
  db: string;
  genesis_path: string;
  port: number;
  snapshot_every: number;
  durability: 'FULL' | 'NORMAL';
  ready_timeout_ms?: number;
}

export interface LoggedViolation {
  index: number;
  violations: Array<{ invariant: string; detail: string }>;
}

const SERVING = /^swoosh: serving (.+) on (\S+) \(index (\d+)\)$/m;

export class WriterFailed extends Error {}

function tryPort(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A free TCP port on loopback for the writer to keep across restarts. It is taken below
 * Linux's ephemeral range (32768–60999), so that while the writer is down no server
 * started with `--port 0` (other tests) can be handed it and be tailed by our replicas.
 * Which port is irrelevant to the outcome, so Math.random is fine here.
 */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (await tryPort(port)) return port;
  }
  throw new WriterFailed('no free port in 20000..31999 for the writer');
}

export class WriterProcess {
  private child: ChildProcess | null = null;
  private exited: Promise<Exit> = Promise.resolve({ code: 0, signal: null });
  private expectingExit = false;
  /** Invariant violations the writer itself logged (--check-invariants). */
  readonly logged: LoggedViolation[] = [];
  /** Exits nobody asked for (a crash of the writer is a finding). */
  readonly crashes: string[] = [];
  /** Other error-level log lines. */
  readonly errors: string[] = [];
  starts = 0;
  index_at_start = 0;
  stderr = '';

  constructor(readonly o: WriterOptions) {}

  get url(): string {
    return `http://127.0.0.1:${this.o.port}`;
  }

  get running(): boolean {
    return this.child !== null && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts the writer and resolves once it serves; retries briefly while the port is still taken. */
  async start(): Promise<void> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        await this.spawnOnce();
        return;
      } catch (err) {
        if (attempt < 20 && /EADDRINUSE|cannot listen/.test((err as Error).message)) {
          await sleep(100);
          continue;
        }
        throw err;
      }
    }
  }

  /**
   * Starts a writer and kills it with SIGKILL after `after_ms`, whether or not it finished
   * recovering (crash during recovery). Resolves once it is gone.
   */
  async startAndKill(after_ms: number): Promise<void> {
    const ready = this.spawnOnce().catch(() => {});
    await Promise.race([sleep(after_ms), ready]);
    await this.kill9();
  }

  async kill9(): Promise<Exit> {
    return this.signal('SIGKILL');
  }

  /** Clean stop (SIGTERM, SIGKILL after 10 s). */
  async stop(): Promise<Exit> {
    const child = this.child;
    if (!child) return { code: 0, signal: null };
    const hard = setTimeout(() => child.kill('SIGKILL'), 10_000);
    try {
      return await this.signal('SIGTERM');
    } finally {
      clearTimeout(hard);
    }
  }

  private async signal(sig: NodeJS.Signals): Promise<Exit> {
    this.expectingExit = true;
    if (this.running) this.child!.kill(sig);
    const exit = await this.exited;
    this.child = null;
    return exit;
  }

  private spawnOnce(): Promise<void> {
    const o = this.o;
    const args = [
      SWOOSH_BIN,
      'serve',
      '--db',
      o.db,
      '--genesis',
      o.genesis_path,
      '--port',
      String(o.port),
      '--host',
      '127.0.0.1',
      '--snapshot-every',
      String(o.snapshot_every),
      '--durability',
      o.durability,
      '--check-invariants',
    ];
    const child = spawn(process.execPath, args, {
      cwd: PACKAGE_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SWOOSH_LOG_LEVEL: 'error', NO_COLOR: '1' },
    });
    this.child = child;
    this.expectingExit = false;
    this.starts += 1;
    let stdout = '';
    let stderr = '';
    let ready = false;
    this.exited = new Promise((resolve) =>
      child.on('exit', (code, signal) => {
        if (ready && !this.expectingExit)
          this.crashes.push(`writer exited on its own (${code ?? signal}): ${stderr.trim().slice(0, 2000)}`);
        resolve({ code, signal });
      }),
    );
    return new Promise((resolve, reject) => {
      const limit = o.ready_timeout_ms ?? 60_000;
      const timer = setTimeout(() => {
        if (ready) return;
        child.kill('SIGKILL');
        reject(new WriterFailed(`swoosh serve did not come up within ${limit} ms: ${stderr.trim()}`));
      }, limit);
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        if (stderr.length < 64 * 1024) stderr += d;
        this.stderr = stderr;
      });
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (!ready) {
          const m = SERVING.exec(stdout);
          if (!m) return;
          ready = true;
          clearTimeout(timer);
          this.index_at_start = Number(m[3]);
          stdout = stdout.slice(stdout.indexOf(m[0]) + m[0].length);
          resolve();
        }
        this.scan(stdout, (rest) => (stdout = rest));
      });
      child.on('error', (err) => {
        clearTimeout(timer);
        if (!ready) reject(err);
      });
      void this.exited.then((exit) => {
        clearTimeout(timer);
        if (!ready) reject(new WriterFailed(`swoosh serve exited (${exit.code ?? exit.signal}) before serving: ${stderr.trim()}`));
      });
    });
  }

  /** Error-level JSON log lines: invariant violations the host caught, anything else worth reporting. */
  private scan(text: string, keep: (rest: string) => void): void {
    let rest = text;
    let nl: number;
    while ((nl = rest.indexOf('\n')) >= 0) {
      const line = rest.slice(0, nl).trim();
      rest = rest.slice(nl + 1);
      if (!line.startsWith('{')) continue;
      try {
        const e = JSON.parse(line) as { event?: string; index?: number; violations?: LoggedViolation['violations']; msg?: string };
        if (e.event === 'invariant_violation') this.logged.push({ index: e.index ?? -1, violations: e.violations ?? [] });
        else if (this.errors.length < 100) this.errors.push(line.slice(0, 1000));
      } catch {
        // not a log line
      }
    }
    keep(rest);
  }
}
