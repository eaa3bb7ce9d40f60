// A cluster node (docs/cluster.md): several nodes, the WAL replicated through etcd, one
// writer at a time. Same shape as attachDemo and attachProviders: it takes the running
// server, adopts itself (`running.adopt`) so it is stopped — and resigns leadership —
// before the host, and adds the `consensus` block to /health. The server must have been
// opened with `writes_closed` (and the advertised host in `allowed_hosts`), so that no
// write reaches SQLite alone between listening and joining.

import { attachCluster as attachNode } from '../cluster/attach';
import { createLogger } from '../observe/log';
import type { Attachment, Running } from './server';

/** What a cluster attachment needs; the etcd endpoints and this node's identity. */
export interface ClusterSettings {
  /** etcd client URLs. */
  endpoints: string[];
  /** This node's name in the leader election. */
  node_id: string;
  /** The URL other nodes and clients reach this node at; default: the listening URL. */
  advertise?: string;
  /** Leader lease, ms. */
  lease_ms: number;
  /** Records kept in etcd behind each snapshot (default 10 000; 0: never delete). */
  keep_records?: number;
}

export interface ClusterAttachment extends Attachment {
  /** Whether this node holds the leader key (is the writer) right now. */
  isLeader(): boolean;
}

export type AttachCluster = (running: Running, settings: ClusterSettings) => Promise<ClusterAttachment>;

export const attachCluster: AttachCluster = async (running, settings) => {
  const log = createLogger();
  const handle = attachNode(running.host, running.metrics, settings, (e) => log.info(e, `cluster: ${e.event}`));
  const before = running.healthSource();
  running.setHealth(() => ({ ...before?.(), ...handle.health() }));
  handle.start(running.url);
  return running.adopt({ stop: () => handle.stop(), isLeader: () => handle.node.role === 'leader' });
};
