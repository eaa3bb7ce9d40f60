// A real etcd cluster on loopback for the cluster tests (and, later, `swoosh cluster up`):
// N members of Debian's etcd 3.4 (`/usr/bin/etcd`, or SWOOSH_ETCD) on free ports in a
// temporary directory. Members are separate processes, stopped and restarted by PID, so a
// test can kill -9 one member and bring it back with its data dir intact.
//
// Cleanup is unconditional: stop() kills every member and removes the directory, and a
// process 'exit' hook kills whatever a crashed test run left behind, so no etcd outlives
// the test process.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, closeSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ETCD_BIN = process.env.SWOOSH_ETCD ?? '/usr/bin/etcd';

export function etcdAvailable(): boolean {
  return existsSync(ETCD_BIN);
}

export interface EtcdMember {
  readonly name: string;
  readonly client_url: string;
  readonly peer_url: string;
  readonly data_dir: string;
  child: ChildProcess | null;
}

export interface EtcdClusterOptions {
  /** Members (3 or 5 in production; 1 is allowed for quick tests). */
  members?: number;
  /** Raft heartbeat, ms (etcd default 100). */
  heartbeat_ms?: number;
  /** Raft election timeout, ms (etcd default 1000). */
  election_ms?: number;
  /** How long start() waits for every member to report healthy. */
  ready_timeout_ms?: number;
  /** Keep members in this directory (as etcd-<name>, kept on stop) instead of a temporary one: `swoosh cluster up`. */
  dir?: string;
  /** Fixed client/peer ports per member (a kept directory restarts on the ports its members recorded). */
  ports?: ReadonlyArray<{ client: number; peer: number }>;
}

/** Every harness alive in this process, killed on exit whatever happened. */
const alive = new Set<EtcdCluster>();
process.once('exit', () => {
  for (const c of alive) c.killAllSync();
});

/** A port the OS says is free now (closed again before etcd binds it: a tiny race, retried by start()). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}

export class EtcdCluster {
  readonly dir: string;
  readonly members: EtcdMember[] = [];
  private readonly heartbeat_ms: number;
  private readonly election_ms: number;
  /** A caller's directory is kept on stop; a temporary one is removed. */
  private readonly kept: boolean;

  private constructor(o: EtcdClusterOptions) {
    this.kept = o.dir !== undefined;
    this.dir = o.dir ?? mkdtempSync(join(tmpdir(), 'swoosh-etcd-'));
    this.heartbeat_ms = o.heartbeat_ms ?? 100;
    this.election_ms = o.election_ms ?? 1000;
  }

  /** Starts a new cluster and waits until every member is healthy. */
  static async start(o: EtcdClusterOptions = {}): Promise<EtcdCluster> {
    const n = o.members ?? 3;
    // No silent skip: the cluster tests are part of the suite, and CI installs etcd (.ci/run).
    if (!etcdAvailable())
      throw new Error(`etcd not found at ${ETCD_BIN}: install Debian's etcd-server (apt-get install etcd-server) or set SWOOSH_ETCD`);
    const cluster = new EtcdCluster(o);
    alive.add(cluster);
    try {
      // The OS may hand out a just-closed port again: never give two members (or a member's
      // client and peer) the same one (seen: m1 and m2 both on one peer port).
      const taken = new Set<number>(o.ports?.flatMap((p) => [p.client, p.peer]) ?? []);
      const distinctPort = async (): Promise<number> => {
        for (let tries = 0; tries < 50; tries += 1) {
          const port = await freePort();
          if (!taken.has(port)) {
            taken.add(port);
            return port;
          }
        }
        throw new Error('no distinct free port for an etcd member after 50 tries');
      };
      for (let i = 1; i <= n; i += 1) {
        const fixed = o.ports?.[i - 1];
        const client = fixed?.client ?? (await distinctPort());
        const peer = fixed?.peer ?? (await distinctPort());
        cluster.members.push({
          name: `m${i}`,
          client_url: `http://127.0.0.1:${client}`,
          peer_url: `http://127.0.0.1:${peer}`,
          data_dir: join(cluster.dir, cluster.kept ? `etcd-m${i}` : `m${i}.etcd`),
          child: null,
        });
      }
      for (const m of cluster.members) cluster.spawnMember(m, 'new');
      await cluster.waitHealthy(cluster.members, o.ready_timeout_ms ?? 20_000);
      return cluster;
    } catch (err) {
      await cluster.stop();
      throw err;
    }
  }

  /** Client URLs, for --etcd. */
  get endpoints(): string[] {
    return this.members.map((m) => m.client_url);
  }

  private initialCluster(): string {
    return this.members.map((m) => `${m.name}=${m.peer_url}`).join(',');
  }

  private spawnMember(m: EtcdMember, state: 'new' | 'existing'): void {
    const log = openSync(this.logPath(m.name), 'a');
    const args = [
      '--name',
      m.name,
      '--data-dir',
      m.data_dir,
      '--listen-client-urls',
      m.client_url,
      '--advertise-client-urls',
      m.client_url,
      '--listen-peer-urls',
      m.peer_url,
      '--initial-advertise-peer-urls',
      m.peer_url,
      '--initial-cluster',
      this.initialCluster(),
      '--initial-cluster-state',
      state,
      '--initial-cluster-token',
      `swoosh-${this.dir}`,
      '--heartbeat-interval',
      String(this.heartbeat_ms),
      '--election-timeout',
      String(this.election_ms),
      '--logger',
      'zap',
      '--log-outputs',
      'stderr',
    ];
    const child = spawn(ETCD_BIN, args, { stdio: ['ignore', log, log] });
    closeSync(log);
    m.child = child;
    child.on('exit', () => {
      if (m.child === child) m.child = null;
    });
  }

  logPath(name: string): string {
    return join(this.dir, this.kept ? `etcd-${name}.log` : `${name}.log`);
  }

  /** The tail of a member's log (for failure messages). */
  logTail(name: string, chars = 2000): string {
    try {
      const text = readFileSync(this.logPath(name), 'utf8');
      return text.slice(-chars);
    } catch {
      return '';
    }
  }

  async memberHealthy(m: EtcdMember): Promise<boolean> {
    try {
      const res = await fetch(`${m.client_url}/health`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { health?: string };
      return res.status === 200 && body.health === 'true';
    } catch {
      return false;
    }
  }

  async waitHealthy(members: EtcdMember[], timeout_ms: number): Promise<void> {
    const deadline = Date.now() + timeout_ms;
    for (const m of members) {
      while (!(await this.memberHealthy(m))) {
        if (m.child === null) throw new Error(`etcd member ${m.name} exited: ${this.logTail(m.name)}`);
        if (Date.now() > deadline) throw new Error(`etcd member ${m.name} not healthy after ${timeout_ms} ms: ${this.logTail(m.name)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  member(name: string): EtcdMember {
    const m = this.members.find((x) => x.name === name);
    if (!m) throw new Error(`no etcd member ${name}`);
    return m;
  }

  /** kill -9 one member by PID and wait until it is gone. */
  async kill9(name: string): Promise<void> {
    const m = this.member(name);
    const child = m.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const gone = new Promise<void>((r) => child.once('exit', () => r()));
    process.kill(child.pid as number, 'SIGKILL');
    await gone;
    m.child = null;
  }

  /** Restarts a stopped member on its old data dir and waits until it is healthy again. */
  async restart(name: string, timeout_ms = 20_000): Promise<void> {
    const m = this.member(name);
    if (m.child) throw new Error(`etcd member ${name} is still running`);
    this.spawnMember(m, 'existing');
    await this.waitHealthy([m], timeout_ms);
  }

  /** Kills every member synchronously (process exit hook). */
  killAllSync(): void {
    for (const m of this.members) {
      const pid = m.child?.pid;
      if (pid !== undefined && m.child?.exitCode === null && m.child.signalCode === null) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
    }
  }

  /** Kills every member, waits for them, and removes the data directory. */
  async stop(): Promise<void> {
    alive.delete(this);
    await Promise.all(this.members.map((m) => this.kill9(m.name)));
    if (!this.kept) rmSync(this.dir, { recursive: true, force: true });
  }
}
