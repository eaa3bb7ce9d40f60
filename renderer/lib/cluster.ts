// The cluster as the console shows it, read from GET /health's `consensus` block
// (docs/protocol.md, docs/cluster.md): a single-writer host says {role: writer, mode:
// single-writer}; a cluster node says {mode: etcd, node_id, role, leader, applied_index,
// etcd_index, members}. The host reports only its own view (who it is, who leads now),
// so the console keeps what it has seen during the session: the nodes it learnt of and a
// bounded leader history. Pure: the session store feeds it answers and the clock.

import type { Health } from '../api/ConsoleApi';

export interface ClusterNodeRef {
  node_id: string;
  /** Advertise URL, when the host reported it (a leader's is always known). */
  url: string | null;
}

export interface ClusterView {
  mode: 'single-writer' | 'etcd' | 'unknown';
  /** This node's id (null for a single-writer host, which has none). */
  node_id: string | null;
  /** As reported: writer, leader, follower, candidate. */
  role: string;
  /** What the header says: "leader · writer", "follower", "single-writer". */
  role_label: string;
  leader: ClusterNodeRef | null;
  applied_index: number | null;
  etcd_index: number | null;
  members: Array<{ url: string; ok: boolean }>;
  /** A follower stopped on a record that does not check. */
  problem: { index: number; problem: string } | null;
}

function obj(x: unknown): Record<string, unknown> | null {
  return typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Record<string, unknown>) : null;
}

function num(x: unknown): number | null {
  return typeof x === 'number' && Number.isFinite(x) ? x : null;
}

function str(x: unknown): string | null {
  return typeof x === 'string' && x !== '' ? x : null;
}

function nodeRef(x: unknown): ClusterNodeRef | null {
  const o = obj(x);
  const id = o ? str(o.node_id) : null;
  return o && id ? { node_id: id, url: str(o.url) } : null;
}

/** The consensus block of a /health answer, read defensively (null when there is none). */
export function readCluster(h: Health | null | undefined): ClusterView | null {
  const c = obj(h?.consensus);
  if (!c || str(c.role) === null) return null;
  const role = str(c.role) as string;
  const mode = c.mode === 'etcd' ? 'etcd' : c.mode === 'single-writer' ? 'single-writer' : 'unknown';
  const members = Array.isArray(c.members)
    ? c.members.flatMap((m) => {
        const o = obj(m);
        const url = o ? str(o.url) : null;
        return o && url ? [{ url, ok: o.ok === true }] : [];
      })
    : [];
  const p = obj(c.problem);
  return {
    mode,
    node_id: str(c.node_id),
    role,
    role_label: roleLabel(mode, role),
    leader: nodeRef(c.leader),
    applied_index: num(c.applied_index),
    etcd_index: num(c.etcd_index),
    members,
    problem: p && num(p.index) !== null ? { index: num(p.index) as number, problem: String(p.problem ?? '') } : null,
  };
}

function roleLabel(mode: ClusterView['mode'], role: string): string {
  if (mode === 'single-writer') return 'single-writer';
  if (role === 'leader') return 'leader · writer';
  return role;
}

/** Where a follower sends writes (null when this node writes, or no leader is known). */
export function writesGoTo(v: ClusterView): string | null {
  if (v.mode !== 'etcd' || v.role === 'leader' || !v.leader) return null;
  return v.leader.url ?? v.leader.node_id;
}

export interface LeaderChange {
  /** null: no leader (the key expired, an election is under way). */
  leader: ClusterNodeRef | null;
  /** When this console first saw it (wall clock of the page, ms). */
  seen_ms: number;
}

export interface ClusterMemory {
  /** Newest first, at most LEADER_HISTORY_MAX. */
  leaders: LeaderChange[];
  /** Every node seen (this one, every leader), by id, at most NODES_MAX. */
  nodes: ClusterNodeRef[];
}

/** Bounds, not tuning knobs: a session sees a handful of failovers, a cluster 3–7 nodes. */
export const LEADER_HISTORY_MAX = 20;
export const NODES_MAX = 16;

export const EMPTY_MEMORY: ClusterMemory = { leaders: [], nodes: [] };

/**
 * Folds one /health answer into what the session remembers: a leader change (including
 * "no leader") is appended when it differs from the last one seen; nodes are merged by
 * id, a later URL filling in an unknown one. Returns `m` itself when nothing changed.
 */
export function observeCluster(m: ClusterMemory, v: ClusterView | null, now_ms: number, self_url: string | null = null): ClusterMemory {
  if (v?.mode !== 'etcd') return m;
  let nodes = m.nodes;
  const learn = (ref: ClusterNodeRef) => {
    const at = nodes.findIndex((n) => n.node_id === ref.node_id);
    if (at < 0) nodes = [...nodes, ref].slice(0, NODES_MAX);
    else if (nodes[at]?.url === null && ref.url !== null) nodes = nodes.map((n, i) => (i === at ? ref : n));
  };
  if (v.node_id) learn({ node_id: v.node_id, url: v.role === 'leader' && v.leader ? v.leader.url : self_url });
  if (v.leader) learn(v.leader);
  const last = m.leaders[0];
  const same = last !== undefined && (last.leader?.node_id ?? null) === (v.leader?.node_id ?? null);
  const leaders = same ? m.leaders : [{ leader: v.leader, seen_ms: now_ms }, ...m.leaders].slice(0, LEADER_HISTORY_MAX);
  return leaders === m.leaders && nodes === m.nodes ? m : { leaders, nodes };
}
