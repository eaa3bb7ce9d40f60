// Turns an opened host into a cluster node (docs/cluster.md): the engine gets the node as
// its replicator (writes only while this node leads, each batch one fenced etcd txn),
// GET /health gets the `consensus` block and walLag, /metrics gets swoosh_is_leader,
// swoosh_leader_changes_total, swoosh_snapshot_restores_total and swoosh_wal_lag_records. The composition root calls
// attachCluster before the API listens and start() once the node's URL is known.

import { Counter, Gauge } from 'prom-client';
import type { Host } from '../host';
import type { HostMetrics } from '../observe/metrics';
import { ClusterNode, type Consensus, type NodeEvent } from './node';

export interface ClusterSettings {
  /** etcd client URLs. */
  endpoints: string[];
  node_id: string;
  /** The URL the other nodes and clients reach this node at; default: the listening URL. */
  advertise?: string;
  lease_ms: number;
  /** Records kept in etcd behind each snapshot (default DEFAULT_KEEP_RECORDS; 0: never delete). */
  keep_records?: number;
  /** Host names besides loopback that requests may name (the advertise URL's). */
  allowed_hosts?: string[];
}

export interface ClusterHandle {
  /** Starts the node's control loop; `url` is the listening URL (used when no advertise URL was given). */
  start(url: string): void;
  /** Facts merged into GET /health. */
  health(): Record<string, unknown>;
  readonly node: ClusterNode;
  stop(): Promise<void>;
}

/** How often walLag is refreshed for /metrics. */
const LAG_REFRESH_MS = 500;

export function attachCluster(
  host: Host,
  metrics: HostMetrics,
  s: ClusterSettings,
  onEvent: (e: NodeEvent) => void = () => {},
): ClusterHandle {
  // From here on the engine refuses writes; the node lets them through while it leads.
  const node = new ClusterNode({
    engine: host.engine,
    project: host.genesis.project,
    endpoints: s.endpoints,
    node_id: s.node_id,
    url: s.advertise,
    lease_ms: s.lease_ms,
    keep_records: s.keep_records,
    onEvent,
  });
  let timer: NodeJS.Timeout | null = null;
  let counted = 0;
  let restoresCounted = 0;
  new Gauge({
    name: 'swoosh_is_leader',
    help: '1 while this node is the cluster leader (its appends pass the fence)',
    registers: [metrics.registry],
    collect() {
      this.set(node.role === 'leader' ? 1 : 0);
    },
  });
  new Counter({
    name: 'swoosh_leader_changes_total',
    help: 'New leader keys (create revisions) this node has seen',
    registers: [metrics.registry],
    collect() {
      const seen = node.leader_changes;
      if (seen > counted) this.inc(seen - counted);
      counted = seen;
    },
  });
  new Counter({
    name: 'swoosh_snapshot_restores_total',
    help: "Catch-ups from a peer's snapshot (etcd had deleted the records this node needed)",
    registers: [metrics.registry],
    collect() {
      const seen = node.snapshot_restores;
      if (seen > restoresCounted) this.inc(seen - restoresCounted);
      restoresCounted = seen;
    },
  });
  return {
    node,
    start(url: string): void {
      node.start(url);
      timer = setInterval(() => {
        const c = node.consensus();
        metrics.walLag.set(c.etcd_index - c.applied_index);
      }, LAG_REFRESH_MS);
      timer.unref();
    },
    health(): Record<string, unknown> {
      const c: Consensus = node.consensus();
      const out: Record<string, unknown> = { consensus: c, walLag: c.etcd_index - c.applied_index };
      // A follower stopped on a record that does not check is not serving a trustworthy copy.
      if (c.problem) out.status = 'diverged';
      return out;
    },
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      await node.stop();
    },
  };
}
