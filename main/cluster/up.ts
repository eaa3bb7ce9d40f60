// `swoosh cluster up`: a whole cluster on one machine for a person to try — a local etcd
// (etcd-harness.ts, members kept in DIR/etcd-m*) and N `swoosh serve --etcd …` nodes as
// child processes (DIR/node-K.db, logs DIR/node-K.log), all on the demo genesis
// (DIR/genesis.json). It prints a table of what runs (node, URL, role, PID; etcd members
// and PIDs) and how to kill the leader, re-prints it when the leader changes, and stops
// everything it started on stop() (SIGINT/SIGTERM in the command).
//
// Ports are fixed from the base port (nodes base..base+N-1, etcd clients base+100+i,
// peers base+200+i) so that a second `cluster up` on the same DIR finds its etcd members
// where their data says they are and the nodes recover from their databases.
//
// --sim: the demo bots must run once, not once per node. They run here, in the
// `cluster up` process, as plain HTTP clients of node 1 that follow the leader (the SDK
// re-sends a proposal answered 503 not_writer to the leader it names and moves to the
// next node when one is unreachable), so killing any node, the leader included, leaves
// exactly one bot driving the project.

import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { demoCast, demoGenesis, writeDemoOperatorKey } from '../demo';
import { systemClock } from '../host';
import { startDemo, type Demo } from '../sim/demo';
import { EtcdCluster } from './etcd-harness';
import type { Genesis } from '../../core/types';
import type { Consensus } from './node';

const SWOOSH_BIN = fileURLToPath(new URL('../../bin/swoosh.mjs', import.meta.url));
export const NODES_MAX = 7;
export const ETCD_MAX = 7;
const NODE_READY_MS = 30_000;
const STOP_GRACE_MS = 5_000;
const WATCH_EVERY_MS = 500;

export interface ClusterUpOptions {
  nodes: number;
  etcd: number;
  dir: string;
  base_port: number;
  console: boolean;
  sim: boolean;
  lease_ms?: number;
  /** Where the table and notices go (stdout in the command). */
  out: (text: string) => void;
}

export interface UpNode {
  readonly id: string;
  readonly url: string;
  readonly db: string;
  readonly child: ChildProcess;
  readonly pid: number;
  role: string;
}

export interface ClusterUp {
  readonly etcd: EtcdCluster;
  readonly nodes: readonly UpNode[];
  /** Stops the bots, every node (SIGTERM, then SIGKILL after a grace) and every etcd member. */
  stop(): Promise<void>;
}

/** The node's consensus view, or null when it does not answer. */
async function consensusOf(url: string): Promise<Consensus | null> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    return ((await res.json()) as { consensus?: Consensus }).consensus ?? null;
  } catch {
    return null;
  }
}

function alive(child: ChildProcess): boolean {
  return child.exitCode === null && child.signalCode === null;
}

function spawnNode(o: ClusterUpOptions, k: number, endpoints: string[], genesis: string): UpNode {
  const id = `n${k}`;
  const port = o.base_port + k - 1;
  const url = `http://127.0.0.1:${port}`;
  const db = join(o.dir, `node-${k}.db`);
  const args = [
    SWOOSH_BIN,
    'serve',
    '--db',
    db,
    '--genesis',
    genesis,
    '--port',
    String(port),
    '--etcd',
    endpoints.join(','),
    '--node-id',
    id,
    '--advertise',
    url,
  ];
  if (o.lease_ms !== undefined) args.push('--lease-ms', String(o.lease_ms));
  if (o.console) args.push('--console');
  const log = openSync(join(o.dir, `node-${k}.log`), 'a');
  const child = spawn(process.execPath, args, { stdio: ['ignore', log, log], env: { ...process.env, NO_COLOR: '1' } });
  closeSync(log);
  return { id, url, db, child, pid: child.pid as number, role: 'starting' };
}

async function waitServing(n: UpNode): Promise<void> {
  const deadline = Date.now() + NODE_READY_MS;
  while ((await consensusOf(n.url)) === null) {
    if (!alive(n.child)) throw new Error(`node ${n.id} exited (see ${n.db.replace(/\.db$/, '.log')})`);
    if (Date.now() > deadline) throw new Error(`node ${n.id} not serving after ${NODE_READY_MS} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** SIGTERM (a clean stop resigns the leader key), SIGKILL after the grace; resolves once gone. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (!alive(child)) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => alive(child) && child.kill('SIGKILL'), STOP_GRACE_MS);
  await gone;
  clearTimeout(timer);
}

export function formatTable(c: { etcd: EtcdCluster; nodes: readonly UpNode[] }): string {
  const rows = c.nodes.map((n) => `  ${n.id.padEnd(6)}${n.url.padEnd(26)}${(alive(n.child) ? n.role : 'exited').padEnd(11)}${n.pid}`);
  const members = c.etcd.members.map((m) => `  ${m.name.padEnd(6)}${m.client_url.padEnd(26)}${'etcd'.padEnd(11)}${m.child?.pid ?? '-'}`);
  const leader = c.nodes.find((n) => n.role === 'leader' && alive(n.child));
  const lines = ['', `  ${'node'.padEnd(6)}${'url'.padEnd(26)}${'role'.padEnd(11)}pid`, ...rows, ...members];
  if (leader)
    lines.push(
      '',
      `  kill the leader:  kill -9 ${leader.pid}    (watch: curl -s ${c.nodes.find((n) => n !== leader)?.url ?? leader.url}/health)`,
    );
  lines.push('  stop everything:  Ctrl-C', '');
  return lines.join('\n') + '\n';
}

/** Polls every node's role; reprints the table when a role changes (a failover, a node gone). */
function watchRoles(c: { etcd: EtcdCluster; nodes: readonly UpNode[] }, out: (t: string) => void): () => void {
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  const tick = async (): Promise<void> => {
    const roles = await Promise.all(
      c.nodes.map(async (n) => (alive(n.child) ? ((await consensusOf(n.url))?.role ?? 'unreachable') : 'exited')),
    );
    if (stopped) return;
    let changed = false;
    c.nodes.forEach((n, i) => {
      if (n.role !== roles[i]) changed = true;
      n.role = roles[i] as string;
    });
    if (changed) out(formatTable(c));
    timer = setTimeout(() => void tick(), WATCH_EVERY_MS);
  };
  void tick();
  return () => {
    stopped = true;
    if (timer) clearTimeout(timer);
  };
}

function genesisFile(dir: string): string {
  const path = join(dir, 'genesis.json');
  // Written once: every node and every later `cluster up` on DIR must share it.
  if (!existsSync(path)) writeFileSync(path, `${JSON.stringify(demoGenesis(), null, 2)}\n`);
  return path;
}

/** Nodes of every cluster this process started: killed on exit whatever happened (etcd-harness.ts does the same for etcd). */
const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of started) if (alive(child)) child.kill('SIGKILL');
});

export async function clusterUp(o: ClusterUpOptions): Promise<ClusterUp> {
  const dir = resolve(o.dir);
  mkdirSync(dir, { recursive: true });
  const opts = { ...o, dir };
  const ports = Array.from({ length: o.etcd }, (_, i) => ({ client: o.base_port + 100 + i, peer: o.base_port + 200 + i }));
  const etcd = await EtcdCluster.start({ members: o.etcd, dir, ports });
  const nodes: UpNode[] = [];
  let demo: Demo | null = null;
  let unwatch: (() => void) | null = null;
  const stop = async (): Promise<void> => {
    unwatch?.();
    await demo?.stop();
    await Promise.all(nodes.map((n) => stopChild(n.child)));
    await etcd.stop();
  };
  try {
    const genesis = genesisFile(dir);
    for (let k = 1; k <= o.nodes; k += 1) {
      const n = spawnNode(opts, k, etcd.endpoints, genesis);
      started.add(n.child);
      n.child.once('exit', () => started.delete(n.child));
      nodes.push(n);
    }
    await Promise.all(nodes.map((n) => waitServing(n)));
    const key = writeDemoOperatorKey(dir);
    o.out(`swoosh: cluster in ${dir}; demo operator key ${key.path} (op-1, passphrase "${key.passphrase}")\n`);
    if (o.sim) {
      demo = await startDemo({
        swoosh: nodes[0]!.url,
        swoosh_nodes: nodes.slice(1).map((n) => n.url),
        cast: demoCast(),
        genesis: JSON.parse(readFileSync(genesis, 'utf8')) as Genesis,
        clock: systemClock,
      });
      o.out('swoosh: demo bots run in this process and follow the leader\n');
    }
    unwatch = watchRoles({ etcd, nodes }, o.out);
  } catch (err) {
    await stop();
    throw err;
  }
  return { etcd, nodes, stop };
}
