// Configuration and shared helpers of the host benchmarks (`swoosh bench`): what to run
// and at what size, the result shape each benchmark family returns, and the small
// statistics every family uses.

import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_SNAPSHOT_EVERY } from '../host';
import type { BenchRow, TimingOptions } from './harness';

export interface HostBenchConfig {
  /** Where databases are written: must be a real disk for the FULL figures to mean anything. */
  dir: string;
  /** Which parts to run. */
  parts: ReadonlyArray<'engine' | 'http' | 'wal' | 'cluster'>;
  /** Proposals through the engine per measured run (two runs, best kept). */
  engine_proposals: number;
  /** Proposals through a throw-away engine first (JIT warm-up). */
  engine_warmup: number;
  /** At most this many submissions outstanding (below the host's queue_max of 10,000). */
  engine_window: number;
  /** Offered rates for POST /transition, requests/s; a fresh server for each. */
  rates: number[];
  rate_duration_ms: number;
  /** Untimed warm-up at the lowest rate before each measured rate. */
  rate_warmup_ms: number;
  /** Records in the long WAL (the start-up, time-travel and RSS figures). */
  wal_records: number;
  /** The host's snapshot cadence (the default of `swoosh serve`). */
  snapshot_every: number;
  /** Records replayed from genesis for the replay-speed figure (at most the WAL)… */
  replay_records: number;
  /** …or fewer, if this much time has passed (checked every 1000 records). */
  replay_budget_ms: number;
  /** GET /state/at/N requests (random N), each beside a GET /state request… */
  time_travel_queries: number;
  /** …or fewer, if this much time has passed. */
  time_travel_budget_ms: number;
  /** Regenerate the long WAL even if a cached copy exists. */
  fresh_wal: boolean;
  /** For the throughput-loop ceilings (harness). */
  timing: TimingOptions;
  seed: number;
}

export const DEFAULT_HOST_CONFIG: HostBenchConfig = {
  dir: join(tmpdir(), 'swoosh-bench'),
  parts: ['engine', 'http', 'wal'],
  engine_proposals: 10_000,
  engine_warmup: 2_000,
  engine_window: 4_096,
  rates: [500, 1000, 2000],
  rate_duration_ms: 5_000,
  rate_warmup_ms: 3_000,
  wal_records: 200_000,
  snapshot_every: DEFAULT_SNAPSHOT_EVERY,
  replay_records: 100_000,
  replay_budget_ms: 15_000,
  time_travel_queries: 500,
  time_travel_budget_ms: 20_000,
  fresh_wal: false,
  timing: { warmup_ms: 300, duration_ms: 2_000 },
  seed: 7420,
};

export interface HostBenchResult {
  rows: BenchRow[];
  /** What each row's ceiling is, by row name. */
  ceilings: Record<string, string>;
  notes: string[];
  /** The targets, each with its verdict. */
  targets: TargetCheck[];
}

export interface TargetCheck {
  target: string;
  figure: string;
  met: boolean;
}

export type Log = (line: string) => void;

export function quantile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[i] as number;
}

export function sortedCopy(xs: ArrayLike<number>): Float64Array {
  return Float64Array.from(xs).sort();
}

export const MB = 1024 * 1024;

export function fileBytes(path: string): number {
  let total = 0;
  for (const p of [path, `${path}-wal`]) if (existsSync(p)) total += statSync(p).size;
  return total;
}

export function fmt(n: number, digits = 0): string {
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}
