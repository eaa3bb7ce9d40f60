// The server side of the HTTP and long-WAL benchmarks: openServer (the `swoosh serve`
// path) in a child process, so that the load generator and the server do not share an
// event loop. The parent drives it over IPC, one request at a time (ServerChild); this
// same file is the child's entry point.

import { fork, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import type { Genesis } from '../../core/types';
import { openServer, type Running } from '../app/server';

const CHILD_FLAG = '--swoosh-host-bench-child';

export type ChildRequest = { cmd: 'open'; db: string; genesis?: Genesis; floor?: boolean } | { cmd: 'rss' } | { cmd: 'stop' };

export interface OpenedReply {
  type: 'opened';
  url: string;
  /** openServer wall time: store open, genesis check, recovery, engine, listen. */
  startup_ms: number;
  recovery: { snapshot_index: number | null; replayed: number; duration_ms: number };
  rss: number;
  rss_before_open: number;
  /** Raw floor for recovery: open + newest snapshot + tail rows, read and parsed. */
  floor_ms?: number;
  floor_rows?: number;
  wal_length: number;
}

type ChildReply = OpenedReply | { type: 'rss'; rss: number } | { type: 'stopped' } | { type: 'error'; message: string };

/** What recovery cannot avoid: open the file, read and check the newest snapshot, read and parse the tail. */
function recoveryFloor(db: string): { ms: number; rows: number } {
  const started = performance.now();
  const conn = new Database(db, { readonly: true, fileMustExist: true });
  try {
    const snap = conn
      .prepare<[], { idx: number; state: string; state_hash: string }>(
        'SELECT idx, state, state_hash FROM snapshots ORDER BY idx DESC LIMIT 1',
      )
      .get();
    let from = 0;
    if (snap) {
      if (`sha256-${createHash('sha256').update(snap.state, 'utf8').digest('hex')}` !== snap.state_hash)
        throw new Error('floor: snapshot hash mismatch');
      JSON.parse(snap.state);
      from = snap.idx;
    }
    let rows = 0;
    for (const r of conn.prepare<[number], { body: string }>('SELECT body FROM wal WHERE idx > ? ORDER BY idx').iterate(from)) {
      JSON.parse(r.body);
      rows += 1;
    }
    return { ms: performance.now() - started, rows };
  } finally {
    conn.close();
  }
}

async function childMain(): Promise<void> {
  let running: Running | null = null;
  const reply = (r: ChildReply) => process.send?.(r);
  process.on('message', (msg: ChildRequest) => {
    void (async () => {
      try {
        if (msg.cmd === 'open') {
          const rss_before_open = process.memoryUsage().rss;
          const floor = msg.floor ? recoveryFloor(msg.db) : null;
          const t0 = performance.now();
          running = await openServer({ db: msg.db, genesis: msg.genesis, host: '127.0.0.1', port: 0, durability: 'FULL', quiet: true });
          const startup_ms = performance.now() - t0;
          const rec = running.host.recovery;
          reply({
            type: 'opened',
            url: running.url,
            startup_ms,
            recovery: { snapshot_index: rec.snapshot_index, replayed: rec.replayed, duration_ms: rec.duration_ms },
            rss: process.memoryUsage().rss,
            rss_before_open,
            ...(floor ? { floor_ms: floor.ms, floor_rows: floor.rows } : {}),
            wal_length: running.host.head.index,
          });
        } else if (msg.cmd === 'rss') {
          reply({ type: 'rss', rss: process.memoryUsage().rss });
        } else if (msg.cmd === 'stop') {
          if (running) await running.stop();
          running = null;
          // Exit at once (and so write a --cpu-prof profile) once the answer is on its way.
          process.send?.({ type: 'stopped' } satisfies ChildReply, () => process.exit(0));
        }
      } catch (err) {
        reply({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
      }
    })();
  });
}

/** A server child process driven over IPC, one request at a time. */
export class ServerChild {
  private waiting: ((r: ChildReply) => void) | null = null;
  private exited: string | null = null;

  private constructor(private readonly proc: ChildProcess) {
    proc.on('message', (m: ChildReply) => {
      const w = this.waiting;
      this.waiting = null;
      w?.(m);
    });
    proc.on('exit', (code, signal) => {
      this.exited = `exited (${code ?? signal})`;
      const w = this.waiting;
      this.waiting = null;
      w?.({ type: 'error', message: `bench server child ${this.exited}` });
    });
  }

  static start(): ServerChild {
    const require = createRequire(import.meta.url);
    const tsx = pathToFileURL(require.resolve('tsx')).href;
    // SWOOSH_BENCH_CPU_PROF=DIR: the server child writes a V8 CPU profile there;
    // SWOOSH_BENCH_TRACE_GC=1: it prints its GC pauses (node --trace-gc) on its stdout.
    const prof = process.env.SWOOSH_BENCH_CPU_PROF;
    const proc = fork(fileURLToPath(import.meta.url), [CHILD_FLAG], {
      execArgv: [
        '--import',
        tsx,
        ...(prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : []),
        ...(process.env.SWOOSH_BENCH_TRACE_GC ? ['--trace-gc'] : []),
      ],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    return new ServerChild(proc);
  }

  ask(req: ChildRequest): Promise<ChildReply> {
    if (this.exited) return Promise.reject(new Error(`bench server child ${this.exited}`));
    if (this.waiting) return Promise.reject(new Error('one request at a time'));
    return new Promise((resolve, reject) => {
      this.waiting = (r) => (r.type === 'error' ? reject(new Error(r.message)) : resolve(r));
      this.proc.send(req);
    });
  }

  async open(req: Omit<Extract<ChildRequest, { cmd: 'open' }>, 'cmd'>): Promise<OpenedReply> {
    return (await this.ask({ cmd: 'open', ...req })) as OpenedReply;
  }

  async rss(): Promise<number> {
    return ((await this.ask({ cmd: 'rss' })) as { rss: number }).rss;
  }

  async stop(): Promise<void> {
    try {
      if (!this.exited) await this.ask({ cmd: 'stop' });
    } finally {
      if (!this.exited) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            this.proc.kill('SIGKILL');
            resolve();
          }, 5_000);
          this.proc.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
    }
  }
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain && process.argv.includes(CHILD_FLAG)) void childMain();
