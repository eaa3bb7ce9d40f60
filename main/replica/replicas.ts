// Replica handles for the chaos runner and the tests: the same Follower either in this
// process (cheap: the test sweep) or as its own `swoosh follow` process (what `swoosh
// chaos` runs by default: a real process per replica, with its own SQLite file, that can be
// killed with SIGKILL and restarted from that file).

import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Genesis } from '../../core/types';
import { Follower, type FollowerEvent } from './follower';

export const FOLLOW_MAIN = fileURLToPath(new URL('./main.ts', import.meta.url));
const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));

export type ReplicaMode = 'process' | 'inproc';

export interface ReplicaSpec {
  id: string;
  mode: ReplicaMode;
  url: string;
  genesis: Genesis;
  /** Path of the genesis file (process replicas read it). */
  genesis_path: string;
  db: string;
  checkpoint_every: number;
}

export interface ReplicaHandle {
  readonly id: string;
  readonly mode: ReplicaMode;
  readonly index: number;
  readonly hash: string;
  /** index → hash at every multiple of checkpoint_every, across restarts. */
  readonly checkpoints: Map<number, string>;
  readonly problem: { index: number; problem: string } | null;
  /** Times the replica lost the writer and got it back. */
  readonly outages: number;
  readonly restarts: number;
  /** Resolves once the replica holds `index`; rejects on divergence or after `timeout_ms`. */
  waitFor(index: number, timeout_ms: number): Promise<{ index: number; hash: string }>;
  /** Kill (SIGKILL for a process) and start again from the replica's own file. */
  crashAndRestart(): Promise<void>;
  stop(): Promise<{ index: number; hash: string }>;
}

interface Waiter {
  index: number;
  resolve: (v: { index: number; hash: string }) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

/** Bookkeeping shared by both kinds: position, checkpoints, waiters. */
abstract class BaseReplica {
  index = 0;
  hash = '';
  readonly checkpoints = new Map<number, string>();
  problem: { index: number; problem: string } | null = null;
  outages = 0;
  restarts = 0;
  private waiters: Waiter[] = [];

  constructor(readonly spec: ReplicaSpec) {}

  get id(): string {
    return this.spec.id;
  }

  get mode(): ReplicaMode {
    return this.spec.mode;
  }

  protected onEvent(e: FollowerEvent): void {
    if (e.event === 'ready' || e.event === 'head' || e.event === 'checkpoint' || e.event === 'stopped') {
      if (e.index >= this.index) {
        this.index = e.index;
        this.hash = e.hash;
      }
    }
    if (e.event === 'checkpoint') {
      const prior = this.checkpoints.get(e.index);
      if (prior !== undefined && prior !== e.hash)
        this.fail(e.index, `checkpoint ${e.index} hashed ${e.hash} after a restart, ${prior} before`);
      this.checkpoints.set(e.index, e.hash);
    }
    if (e.event === 'writer_unreachable') this.outages += 1;
    if (e.event === 'diverged') this.fail(e.index, e.problem);
    this.settle();
  }

  protected fail(index: number, problem: string): void {
    if (this.problem === null) this.problem = { index, problem };
    this.settle();
  }

  private settle(): void {
    const keep: Waiter[] = [];
    for (const w of this.waiters) {
      if (this.problem) {
        clearTimeout(w.timer);
        w.reject(new Error(`replica ${this.id} diverged at ${this.problem.index}: ${this.problem.problem}`));
      } else if (this.index >= w.index) {
        clearTimeout(w.timer);
        w.resolve({ index: this.index, hash: this.hash });
      } else {
        keep.push(w);
      }
    }
    this.waiters = keep;
  }

  waitFor(index: number, timeout_ms: number): Promise<{ index: number; hash: string }> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w.timer !== timer);
        reject(new Error(`replica ${this.id} reached ${this.index}, not ${index}, within ${timeout_ms} ms`));
      }, timeout_ms);
      this.waiters.push({ index, resolve, reject, timer });
      this.settle();
    });
  }
}

class InprocReplica extends BaseReplica implements ReplicaHandle {
  private follower: Follower | null = null;

  async begin(): Promise<void> {
    const f = new Follower({
      url: this.spec.url,
      genesis: this.spec.genesis,
      db: this.spec.db,
      checkpoint_every: this.spec.checkpoint_every,
      onEvent: (e) => this.onEvent(e),
    });
    await f.open();
    this.follower = f;
    void f.start();
  }

  async crashAndRestart(): Promise<void> {
    // In process there is no SIGKILL: drop the follower (its store is closed), start anew from the file.
    if (this.follower) await this.follower.stop();
    this.restarts += 1;
    await this.begin();
  }

  async stop(): Promise<{ index: number; hash: string }> {
    if (this.follower) await this.follower.stop();
    this.follower = null;
    return { index: this.index, hash: this.hash };
  }
}

class ProcessReplica extends BaseReplica implements ReplicaHandle {
  private child: ChildProcess | null = null;
  private exited: Promise<void> = Promise.resolve();
  stderr = '';

  begin(): Promise<void> {
    const s = this.spec;
    const args = [
      '--import',
      'tsx',
      FOLLOW_MAIN,
      '--url',
      s.url,
      '--genesis',
      s.genesis_path,
      '--db',
      s.db,
      '--checkpoint-every',
      String(s.checkpoint_every),
      '--json',
      '--lifeline',
    ];
    const child = spawn(process.execPath, args, {
      cwd: PACKAGE_DIR,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    this.child = child;
    let buffer = '';
    let ready = false;
    return new Promise((resolve, reject) => {
      this.exited = new Promise((done) =>
        child.on('exit', (code, signal) => {
          if (!ready) reject(new Error(`replica ${this.id} exited (${code ?? signal}) before it was ready: ${this.stderr.trim()}`));
          else if (code !== 0 && signal !== 'SIGKILL' && this.problem === null)
            this.fail(this.index, `replica process exited with ${code ?? signal}: ${this.stderr.trim()}`);
          done();
        }),
      );
      child.on('error', (err) => {
        if (!ready) reject(err);
      });
      child.stderr!.setEncoding('utf8').on('data', (d: string) => {
        if (this.stderr.length < 64 * 1024) this.stderr += d;
      });
      child.stdout!.setEncoding('utf8').on('data', (d: string) => {
        buffer += d;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (line === '') continue;
          let e: FollowerEvent;
          try {
            e = JSON.parse(line) as FollowerEvent;
          } catch {
            continue;
          }
          this.onEvent(e);
          if (e.event === 'ready' && !ready) {
            ready = true;
            resolve();
          }
        }
      });
      // Keep the lifeline open; a write error only means the child is gone.
      child.stdin!.on('error', () => {});
    });
  }

  async crashAndRestart(): Promise<void> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    await this.exited;
    this.restarts += 1;
    await this.begin();
  }

  async stop(): Promise<{ index: number; hash: string }> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const hard = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.kill('SIGTERM');
      await this.exited;
      clearTimeout(hard);
    }
    this.child = null;
    return { index: this.index, hash: this.hash };
  }
}

/** Starts a replica and resolves once it has opened its file (the writer may still be down). */
export async function startReplica(spec: ReplicaSpec): Promise<ReplicaHandle> {
  const r = spec.mode === 'process' ? new ProcessReplica(spec) : new InprocReplica(spec);
  await r.begin();
  return r;
}
