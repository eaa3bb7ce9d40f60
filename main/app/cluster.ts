// The seam for a cluster (several nodes, the WAL replicated through etcd; see
// docs/ and the host's single-writer rule). Not built yet: another change adds
//
//   export async function attachCluster(running: Running, settings: ClusterSettings): Promise<ClusterAttachment>
//
// here, in the same shape as attachDemo and attachProviders: it takes the running
// server, adopts itself (`running.adopt`) so it is stopped before the host, may report
// on /health (`running.setHealth`), and fails with an AppError code of its own. The
// serve command calls it after openServer, beside attachProviders, when cluster flags
// are given. Only the types are declared now, so the callers' shape is fixed.

import type { Attachment, Running } from './server';

/** What a cluster attachment needs; the etcd endpoints and this node's identity. */
export interface ClusterSettings {
  /** etcd client URLs. */
  endpoints: string[];
  /** This node's name in the leader election. */
  node_id: string;
}

export interface ClusterAttachment extends Attachment {
  /** Whether this node holds the leader key (is the writer) right now. */
  isLeader(): boolean;
}

export type AttachCluster = (running: Running, settings: ClusterSettings) => Promise<ClusterAttachment>;
