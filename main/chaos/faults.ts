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
// Syntax: a comma list of names or groups, `-name` removes: `all`, `all,-kill`,
// `net,stream`, `none`. Names: see FAULT_NAMES.

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

const GROUPS: Record<string, readonly string[]> = {
  all: FAULT_NAMES,
  none: [],
  net: NET_FAULTS,
  process: PROCESS_FAULTS,
  stream: [...STREAM_FAULTS, ...CHAOS_STREAM_FAULTS],
  services: ['kaching_latency', 'kaching_denial', 'mcp_flap', 'capacity_churn', 'breach', 'license', 'policy_update', 'compensation'],
};

export class FaultSpecError extends Error {}

/** Parses `--faults`; the canonical form (sorted names) is what the rerun command prints. */
export function parseFaults(text: string): Set<string> {
  const out = new Set<string>();
  const items = text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  if (items.length === 0) throw new FaultSpecError('--faults is empty; use none for a fault-free run');
  for (const item of items) {
    const remove = item.startsWith('-');
    const name = remove ? item.slice(1) : item;
    const names = GROUPS[name] ?? (FAULT_NAMES.includes(name) ? [name] : null);
    if (names === null)
      throw new FaultSpecError(`unknown fault "${name}"; groups: ${Object.keys(GROUPS).join(', ')}; names: ${FAULT_NAMES.join(', ')}`);
    for (const n of names) {
      if (remove) out.delete(n);
      else out.add(n);
    }
  }
  return out;
}

/** The shortest spelling of a fault set for the rerun command. */
export function formatFaults(set: ReadonlySet<string>): string {
  if (set.size === 0) return 'none';
  const missing = FAULT_NAMES.filter((n) => !set.has(n));
  if (missing.length === 0) return 'all';
  if (missing.length <= FAULT_NAMES.length / 2) return ['all', ...missing.map((n) => `-${n}`)].join(',');
  return FAULT_NAMES.filter((n) => set.has(n)).join(',');
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
