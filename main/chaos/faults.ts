// Which faults a chaos run injects (`--faults`), and their rates, drawn from the seed.
//
// Three families:
//   net      faults between client and writer: a proposal re-sent later (net-dup), held
//            back and overtaken by the next one (net-reorder), lost on the way (net-drop);
//            each at 1–10 % of proposals, the rate drawn from the seed.
//   process  kill -9 of the writer at a random moment (between two requests, or with a
//            request in flight) and restart on the same file (kill); on some restarts the
//            newest snapshots are deleted, corrupted, or forged self-consistently while the
//            writer is down, so recovery has to start from an older one plus the WAL
//            (rollback); kill -9 of a replica and restart from its own file (replica-kill).
//   stream   in-band faults in the proposals themselves (core/workload/faults.ts: stale
//            hashes, wrong windows, bad signatures, breaches, licence grace/expiry, quorum
//            loss, compensations …) plus the simulated-service faults of main/chaos/driver.ts
//            (KACHING latency and denial, MCP registry flaps, capacity churn, far-future HLC).
//
//   cluster  (`swoosh chaos --cluster` only, in place of `process`) kill -9 of the SWOOSH
//            leader (leader-kill), SIGSTOP of the leader past its lease then SIGCONT
//            (leader-pause), kill -9 of an etcd member (etcd-kill) or of etcd's Raft leader
//            (etcd-leader-kill), each restarted later, and a follower killed and restarted
//            from an empty database (follower-wipe). Where and which: planClusterFaults.
//
// Syntax: a comma list of names or groups, `-name` removes: `all`, `all,-kill`,
// `net,stream`, `none`. Names: see FAULT_NAMES (CLUSTER_FAULT_NAMES with --cluster).

import { FAULT_KINDS, type FaultKind } from '../../core/workload/faults';
import { mulberry32 } from '../../core/workload/rng';

export const NET_FAULTS = ['net-dup', 'net-reorder', 'net-drop'] as const;
export const PROCESS_FAULTS = ['kill', 'rollback', 'replica-kill'] as const;
/** Faults of the chaos driver itself (simulated services and admission). */
export const CHAOS_STREAM_FAULTS = ['far_future', 'kaching_latency', 'kaching_denial', 'mcp_flap', 'capacity_churn'] as const;
/**
 * Stream faults from core/workload/faults.ts. `future` is left out: it places the HLC just
 * beyond max_drift_ms of the *stream's* clock, which a live writer (real clock, years
 * later) would accept; `far_future` is its replacement that both judge alike.
 */
export const STREAM_FAULTS: readonly FaultKind[] = FAULT_KINDS.filter((k) => k !== 'future');

export type ChaosStreamFault = (typeof CHAOS_STREAM_FAULTS)[number];
export type FaultName = (typeof NET_FAULTS)[number] | (typeof PROCESS_FAULTS)[number] | FaultKind | ChaosStreamFault;

export const FAULT_NAMES: readonly string[] = [...NET_FAULTS, ...PROCESS_FAULTS, ...STREAM_FAULTS, ...CHAOS_STREAM_FAULTS];

/** Process faults of a cluster run (`--cluster`). */
export const CLUSTER_FAULTS = ['leader-kill', 'leader-pause', 'etcd-kill', 'etcd-leader-kill', 'follower-wipe'] as const;
export type ClusterFault = (typeof CLUSTER_FAULTS)[number];
/** What `--faults` may name with `--cluster`: the single-node process faults make no sense there. */
export const CLUSTER_FAULT_NAMES: readonly string[] = [...NET_FAULTS, ...STREAM_FAULTS, ...CHAOS_STREAM_FAULTS, ...CLUSTER_FAULTS];

export type FaultMode = 'single' | 'cluster';

const STREAM_GROUP: readonly string[] = [...STREAM_FAULTS, ...CHAOS_STREAM_FAULTS];
const SERVICES_GROUP = [
  'kaching_latency',
  'kaching_denial',
  'mcp_flap',
  'capacity_churn',
  'breach',
  'license',
  'policy_update',
  'compensation',
];

const GROUPS: Record<FaultMode, Record<string, readonly string[]>> = {
  single: { all: FAULT_NAMES, none: [], net: NET_FAULTS, process: PROCESS_FAULTS, stream: STREAM_GROUP, services: SERVICES_GROUP },
  cluster: { all: CLUSTER_FAULT_NAMES, none: [], net: NET_FAULTS, cluster: CLUSTER_FAULTS, stream: STREAM_GROUP, services: SERVICES_GROUP },
};

const NAMES: Record<FaultMode, readonly string[]> = { single: FAULT_NAMES, cluster: CLUSTER_FAULT_NAMES };

export class FaultSpecError extends Error {}

function wrongMode(name: string, mode: FaultMode): string | null {
  if (mode === 'single' && (CLUSTER_FAULTS as readonly string[]).includes(name)) return `fault "${name}" needs --cluster`;
  if (mode === 'cluster' && (PROCESS_FAULTS as readonly string[]).includes(name))
    return `fault "${name}" is a single-node fault; with --cluster use ${CLUSTER_FAULTS.join(', ')}`;
  return null;
}

/** Parses `--faults`; the canonical form (sorted names) is what the rerun command prints. */
export function parseFaults(text: string, mode: FaultMode = 'single'): Set<string> {
  const groups = GROUPS[mode];
  const names_ = NAMES[mode];
  const out = new Set<string>();
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new FaultSpecError('--faults is empty; use none for a fault-free run');
  for (const item of items) {
    const remove = item.startsWith('-');
    const name = remove ? item.slice(1) : item;
    const names = groups[name] ?? (names_.includes(name) ? [name] : null);
    if (names === null) {
      const wrong = wrongMode(name, mode);
      if (wrong !== null) throw new FaultSpecError(wrong);
      throw new FaultSpecError(`unknown fault "${name}"; groups: ${Object.keys(groups).join(', ')}; names: ${names_.join(', ')}`);
    }
    for (const n of names) {
      if (remove) out.delete(n);
      else out.add(n);
    }
  }
  return out;
}

/** The shortest spelling of a fault set for the rerun command. */
export function formatFaults(set: ReadonlySet<string>, mode: FaultMode = 'single'): string {
  const universe = NAMES[mode];
  if (set.size === 0) return 'none';
  const missing = universe.filter((n) => !set.has(n));
  if (missing.length === 0) return 'all';
  if (missing.length <= universe.length / 2) return ['all', ...missing.map((n) => `-${n}`)].join(',');
  return universe.filter((n) => set.has(n)).join(',');
}

export interface FaultPlan {
  enabled: ReadonlySet<string>;
  /** Per-proposal percentages (0 when the fault is off). */
  net_dup_pct: number;
  net_reorder_pct: number;
  net_drop_pct: number;
  /** Percentage of actions that are in-band stream faults. */
  stream_pct: number;
  /** Mean number of requests between two writer restarts (0: none). */
  kill_every: number;
  /** Restarts are kill -9 (`kill`); with only `rollback` enabled they are clean stops (SIGTERM). */
  kill9: boolean;
  /** Percentage of kills that hit a request in flight (the rest fall between requests). */
  kill_inflight_pct: number;
  /** Percentage of restarts that are themselves killed during recovery. */
  startup_kill_pct: number;
  /** Percentage of restarts preceded by a snapshot rollback (0 when off). */
  rollback_pct: number;
  /** Mean number of requests between two replica kills (0: none). */
  replica_kill_every: number;
  /** Writer snapshot interval: small, so rollbacks have snapshots to take away. */
  snapshot_every: number;
}

/** Rates drawn from the seed (a PRNG of its own, so the plan does not shift the stream). */
export function planFaults(seed: number, enabled: ReadonlySet<string>): FaultPlan {
  const rng = mulberry32((seed ^ 0x0c4a05) >>> 0);
  const pct = (name: string): number => {
    const p = 1 + rng.int(10);
    return enabled.has(name) ? p : 0;
  };
  const net_dup_pct = pct('net-dup');
  const net_reorder_pct = pct('net-reorder');
  const net_drop_pct = pct('net-drop');
  const stream_pct = 20 + rng.int(26);
  const kill_every = 250 + rng.int(350);
  const kill_inflight_pct = 40 + rng.int(41);
  const startup_kill_pct = 5 + rng.int(16);
  const rollback_pct = 30 + rng.int(51);
  const replica_kill_every = 600 + rng.int(900);
  const snapshot_every = 20 + rng.int(81);
  const anyStream = [...STREAM_FAULTS, ...CHAOS_STREAM_FAULTS].some((k) => enabled.has(k));
  return {
    enabled,
    net_dup_pct,
    net_reorder_pct,
    net_drop_pct,
    stream_pct: anyStream ? stream_pct : 0,
    kill_every: enabled.has('kill') || enabled.has('rollback') ? kill_every : 0,
    kill9: enabled.has('kill'),
    kill_inflight_pct,
    startup_kill_pct,
    rollback_pct: enabled.has('rollback') ? rollback_pct : 0,
    replica_kill_every: enabled.has('replica-kill') ? replica_kill_every : 0,
    snapshot_every,
  };
}

export interface ClusterFaultEvent {
  kind: ClusterFault;
  /** Fires just before the first delivery of this generated proposal (step) or a later one. */
  at_step: number;
  /** etcd faults: the member comes back this many steps later (or at the end of the run). */
  restart_after_steps: number;
}

/** Mean generated proposals between two cluster faults (at least one of each enabled kind per run). */
export const CLUSTER_FAULT_EVERY_STEPS = 60;
/** No fault before this step: the project boots first. */
const CLUSTER_WARMUP_STEPS = 15;
/** A bound on the plan, whatever --steps says. */
const CLUSTER_FAULTS_MAX = 500;

/**
 * Where the cluster faults fall and which they are, from the seed alone (a PRNG of its
 * own: the plan never shifts the proposal stream). Every enabled kind appears once, in a
 * seeded order, before kinds repeat; the events are spread evenly over the steps, each
 * jittered by up to a quarter of the spacing.
 */
export function planClusterFaults(seed: number, enabled: ReadonlySet<string>, steps: number): ClusterFaultEvent[] {
  const rng = mulberry32((seed ^ 0x636c7573) >>> 0);
  const kinds = CLUSTER_FAULTS.filter((k) => enabled.has(k));
  if (kinds.length === 0 || steps <= CLUSTER_WARMUP_STEPS) return [];
  const span = steps - CLUSTER_WARMUP_STEPS;
  const count = Math.min(CLUSTER_FAULTS_MAX, Math.max(kinds.length, Math.floor(span / CLUSTER_FAULT_EVERY_STEPS)));
  const order = [...kinds];
  for (let i = order.length - 1; i > 0; i -= 1) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j] as ClusterFault, order[i] as ClusterFault];
  }
  while (order.length < count) order.push(rng.pick(kinds));
  const spacing = span / (count + 1);
  const jitter = Math.max(1, Math.floor(spacing / 4));
  return order.map((kind, i) => ({
    kind,
    at_step: CLUSTER_WARMUP_STEPS + Math.max(1, Math.round((i + 1) * spacing) + rng.int(2 * jitter + 1) - jitter),
    restart_after_steps: 3 + rng.int(Math.max(1, Math.floor(spacing / 2))),
  }));
}
