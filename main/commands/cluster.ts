// swoosh cluster up --nodes 3 --etcd 3 --dir DIR [--base-port 7420] [--lease-ms 3000] [--console] [--sim]
// Flags only: main/cluster/up.ts starts the local etcd and the nodes; this waits in the
// foreground until SIGINT/SIGTERM and then stops everything that was started.

import { ETCD_MAX, NODES_MAX, clusterUp } from '../cluster/up';
import { HelpRequested, parse, portOf, positiveInt, UsageError } from './args';

const UP_OPTIONS = {
  nodes: { type: 'string', default: '3' },
  etcd: { type: 'string', default: '3' },
  dir: { type: 'string' },
  'base-port': { type: 'string', default: '7420' },
  'lease-ms': { type: 'string' },
  console: { type: 'boolean', default: false },
  sim: { type: 'boolean', default: false },
} as const;

function countOf(raw: string, flag: string, max: number): number {
  const n = positiveInt(raw, flag);
  if (n > max) throw new UsageError(`${flag} must be within 1..${max}, got ${n}`);
  return n;
}

const CLUSTER_USAGE = `usage: swoosh cluster up --nodes 3 --etcd 3 --dir DIR [--base-port 7420] [--lease-ms MS] [--console] [--sim]
  a local etcd cluster and N SWOOSH nodes on loopback, in the foreground until Ctrl-C (docs/cluster.md)
`;

export async function clusterCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub === '--help' || sub === '-h') throw new HelpRequested(CLUSTER_USAGE, UP_OPTIONS);
  if (sub !== 'up') throw new UsageError(CLUSTER_USAGE.split('\n')[0] ?? 'usage: swoosh cluster up');
  const v = parse(rest, UP_OPTIONS, CLUSTER_USAGE);
  if (!v.dir) throw new UsageError('--dir DIR is required (etcd members, node databases and logs go there)');
  const base_port = portOf(v['base-port']);
  const nodes = countOf(v.nodes, '--nodes', NODES_MAX);
  // etcd ports are base+100.. and base+200..: the whole range must stay below 65536.
  if (base_port === 0 || base_port + 200 + ETCD_MAX > 65_535) throw new UsageError('--base-port must be within 1..65000');
  const lease_ms = v['lease-ms'] === undefined ? undefined : positiveInt(v['lease-ms'], '--lease-ms');
  const up = await clusterUp({
    nodes,
    etcd: countOf(v.etcd, '--etcd', ETCD_MAX),
    dir: v.dir,
    base_port,
    console: v.console,
    sim: v.sim,
    lease_ms,
    out: (t) => process.stdout.write(t),
  });
  // The table comes from up.ts's role watcher, once the roles are known.
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      process.stdout.write('swoosh: stopping the cluster\n');
      void up.stop().then(() => resolve(0));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}
