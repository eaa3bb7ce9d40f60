// Rejections bucketed over time by guard (or by code when no guard failed), for the
// stacked chart; and totals by code.

import type { RejectionRow } from '../api/ConsoleApi';

export interface Bucket {
  t_ms: number;
  [series: string]: number;
}

const STEPS_MS = [1000, 5000, 10_000, 30_000, 60_000, 300_000, 600_000, 1_800_000, 3_600_000, 21_600_000, 86_400_000];

/** The series a rejection counts under: its failing guard, else its code. */
export function seriesOf(r: Pick<RejectionRow, 'guard' | 'code'>): string {
  return r.guard ? `guard:${r.guard}` : r.code;
}

/** A bucket width giving at most `buckets_max` buckets over the span. */
export function bucketWidth_ms(span_ms: number, buckets_max = 60): number {
  for (const s of STEPS_MS) if (span_ms / s <= buckets_max) return s;
  return STEPS_MS[STEPS_MS.length - 1] as number;
}

export function bucketize(rows: readonly RejectionRow[], buckets_max = 60): { buckets: Bucket[]; series: string[]; width_ms: number } {
  if (rows.length === 0) return { buckets: [], series: [], width_ms: 0 };
  let min = Infinity;
  let max = -Infinity;
  for (const r of rows) {
    if (r.at_ms < min) min = r.at_ms;
    if (r.at_ms > max) max = r.at_ms;
  }
  const width = bucketWidth_ms(Math.max(1, max - min), buckets_max);
  const start = Math.floor(min / width) * width;
  const n = Math.floor((max - start) / width) + 1;
  const totals = new Map<string, number>();
  const buckets: Bucket[] = Array.from({ length: n }, (_, i) => ({ t_ms: start + i * width }));
  for (const r of rows) {
    const s = seriesOf(r);
    const b = buckets[Math.floor((r.at_ms - start) / width)] as Bucket;
    b[s] = (b[s] ?? 0) + 1;
    totals.set(s, (totals.get(s) ?? 0) + 1);
  }
  const series = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([s]) => s);
  for (const b of buckets) for (const s of series) b[s] ??= 0;
  return { buckets, series, width_ms: width };
}

export function countBy<T>(rows: readonly T[], key: (r: T) => string): Array<{ key: string; count: number }> {
  const m = new Map<string, number>();
  for (const r of rows) m.set(key(r), (m.get(key(r)) ?? 0) + 1);
  return [...m.entries()].map(([k, count]) => ({ key: k, count })).sort((a, b) => b.count - a.count || a.key.localeCompare(b.key));
}
