// Human-readable cluster chaos results (`swoosh chaos --cluster`): a table per run, one
// line per seed of a sweep, and the sweep's aggregate (what `--cluster --long` prints last
// and what docs/chaos.md records).

import type { ClusterChaosSummary } from './cluster';
import { formatViolation } from './report';
import type { ChaosViolation } from './run';

const short = (h: string): string => (h.startsWith('sha256-') ? `${h.slice(0, 19)}…` : h || '(none)');
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const ms = (v: number | null): string => (v === null ? '-' : `${v} ms`);

function firedText(s: ClusterChaosSummary): string {
  return (
    Object.entries(s.fired)
      .filter(([, n]) => n > 0)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ') || 'none'
  );
}

export function formatClusterTable(s: ClusterChaosSummary): string {
  const rejected =
    Object.entries(s.rejected)
      .sort((a, b) => b[1] - a[1])
      .map(([c, n]) => `${c} ${n}`)
      .join(', ') || 'none';
  const rows: Array<[string, string]> = [
    [
      'steps',
      `${s.steps}   requests ${s.sends}   accepted ${s.accepted}   acknowledged ${s.acknowledged}   200 duplicate ${s.duplicate_answers}   sent more than once ${s.in_doubt}`,
    ],
    ['rejected', rejected],
    ['network', `dropped ${s.net.dropped}, held back ${s.net.reordered}, re-sent ${s.net.duplicated}`],
    [
      'cluster',
      `${s.nodes} nodes, ${s.etcd_members} etcd members, lease ${s.lease_ms} ms; ${s.keep_records === null ? 'etcd not compacted (nodes keep 10,000 records)' : `etcd keeps ${s.keep_records} records behind a snapshot every ${s.snapshot_every}`}; catch-ups from a snapshot: ${s.snapshot_restores}`,
    ],
    ['faults', `${firedText(s)} (planned ${s.plan.length})`],
    [
      'failover',
      `${s.leader_changes} leader changes, p50 ${ms(s.failover_ms.p50)}, max ${ms(s.failover_ms.max)} over ${s.failover_ms.samples.length} (${s.failover_ms.over_target} past the ${s.failover_ms.target} ms target); zombie answers ${s.zombie_answers.map((z) => `${z.status}${z.code ? ` ${z.code}` : ''}`).join(', ') || 'none'}`,
    ],
    [
      'nodes',
      `${s.nodes_agree ? 'all agree' : 'DISAGREE'} on ${short(s.state_post_hash)}: ${s.node_heads.map((h) => `${h.node_id} ${h.role} @${h.index}${h.records < h.index ? ` (${h.records} records: restored from a snapshot)` : ''}`).join(', ')}`,
    ],
    [
      'checks',
      `${s.checks.model_answers} answers vs model, ${s.checks.replayed} records replayed on ${s.checks.nodes_compared} nodes, ${s.checks.windows} windows, ${s.checks.etcd_records} etcd records`,
    ],
    [
      'violations',
      `${s.violations.length}   lost ${s.lost.length}   duplicated ${s.duplicated.length}   unexpected ${s.unexpected.length}`,
    ],
    [
      'duration',
      `${seconds(s.duration_ms)} (start ${seconds(s.timings_ms.start)}, drive ${seconds(s.timings_ms.drive)}, end ${seconds(s.timings_ms.end)})`,
    ],
    ['result', s.ok ? 'PASS' : 'FAIL'],
    ['rerun', s.rerun],
  ];
  if (s.dir) rows.push(['kept', s.dir]);
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [`SWOOSH cluster chaos — seed ${s.seed}, faults ${s.faults}`, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)];
  for (const v of s.violations.slice(0, 10)) lines.push(`  ! ${formatViolation(v)}`);
  if (s.violations.length > 10) lines.push(`  ! … ${s.violations.length - 10} more`);
  return `${lines.join('\n')}\n`;
}

export function formatClusterSeedLine(s: ClusterChaosSummary): string {
  const head = `seed ${String(s.seed).padStart(6)}  ${s.ok ? 'PASS' : 'FAIL'}  steps ${s.steps}  accepted ${s.accepted}  faults ${firedText(s)}  leader changes ${s.leader_changes}  failover p50/max ${ms(s.failover_ms.p50)}/${ms(s.failover_ms.max)}  violations ${s.violations.length}  ${seconds(s.duration_ms)}`;
  if (s.ok) return head;
  return `${head}\n    rerun: ${s.rerun}\n    ${s.violations.slice(0, 3).map(formatViolation).join('\n    ')}`;
}

export interface ClusterSweepSummary {
  mode: 'cluster-sweep';
  seed: number;
  seeds: number[];
  steps: number;
  accepted: number;
  fired: Record<string, number>;
  leader_changes: number;
  /** Over every failover of every seed. */
  failover_ms: { p50: number | null; max: number | null; count: number };
  violations: Array<ChaosViolation & { seed: number }>;
  lost: string[];
  duplicated: string[];
  unexpected: string[];
  failing_seeds: number[];
  reruns: string[];
  runs: Array<
    Pick<
      ClusterChaosSummary,
      'seed' | 'steps' | 'accepted' | 'fired' | 'leader_changes' | 'failover_ms' | 'duration_ms' | 'ok' | 'state_post_hash'
    >
  >;
  seconds_per_seed: { min: number; median: number; max: number };
  duration_ms: number;
  ok: boolean;
}

export function summarizeCluster(runs: ClusterChaosSummary[], duration_ms: number): ClusterSweepSummary {
  const fails = runs.flatMap((r) => r.failover_ms.samples.map((f) => f.ms)).sort((a, b) => a - b);
  const secs = runs.map((r) => r.duration_ms / 1000).sort((a, b) => a - b);
  const pick = (xs: number[], q: number): number | null =>
    xs.length === 0 ? null : (xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] as number);
  const round = (x: number | null): number => Math.round((x ?? 0) * 10) / 10;
  const fired: Record<string, number> = {};
  for (const r of runs) for (const [k, n] of Object.entries(r.fired)) fired[k] = (fired[k] ?? 0) + n;
  return {
    mode: 'cluster-sweep',
    seed: runs[0]?.seed ?? 0,
    seeds: runs.map((r) => r.seed),
    steps: runs.reduce((n, r) => n + r.steps, 0),
    accepted: runs.reduce((n, r) => n + r.accepted, 0),
    fired,
    leader_changes: runs.reduce((n, r) => n + r.leader_changes, 0),
    failover_ms: { p50: pick(fails, 0.5), max: pick(fails, 1), count: fails.length },
    violations: runs.flatMap((r) => r.violations.map((v) => ({ seed: r.seed, ...v }))).slice(0, 1000),
    lost: runs.flatMap((r) => r.lost.map((k) => `${r.seed}:${k}`)),
    duplicated: runs.flatMap((r) => r.duplicated.map((k) => `${r.seed}:${k}`)),
    unexpected: runs.flatMap((r) => r.unexpected.map((k) => `${r.seed}:${k}`)),
    failing_seeds: runs.filter((r) => !r.ok).map((r) => r.seed),
    reruns: runs.filter((r) => !r.ok).map((r) => r.rerun),
    runs: runs.map((r) => ({
      seed: r.seed,
      steps: r.steps,
      accepted: r.accepted,
      fired: r.fired,
      leader_changes: r.leader_changes,
      failover_ms: r.failover_ms,
      duration_ms: r.duration_ms,
      ok: r.ok,
      state_post_hash: r.state_post_hash,
    })),
    seconds_per_seed: { min: round(pick(secs, 0)), median: round(pick(secs, 0.5)), max: round(pick(secs, 1)) },
    duration_ms,
    ok: runs.every((r) => r.ok),
  };
}

export function formatClusterSweep(s: ClusterSweepSummary): string {
  const fired = Object.entries(s.fired)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const lines = [
    `SWOOSH cluster chaos sweep: ${s.ok ? 'PASS' : 'FAIL'}`,
    `  seeds         ${s.runs.length} (${s.runs[0]?.seed ?? '-'}…${s.runs[s.runs.length - 1]?.seed ?? '-'}), ${s.failing_seeds.length} failing${s.failing_seeds.length > 0 ? `: ${s.failing_seeds.join(', ')}` : ''}`,
    `  totals        ${s.steps} steps, ${s.accepted} accepted, faults ${fired || 'none'}, ${s.leader_changes} leader changes, ${s.violations.length} violations, lost ${s.lost.length}, duplicated ${s.duplicated.length}, unexpected ${s.unexpected.length}`,
    `  failover      p50 ${ms(s.failover_ms.p50)}, max ${ms(s.failover_ms.max)} over ${s.failover_ms.count}`,
    `  per seed      ${s.seconds_per_seed.min} / ${s.seconds_per_seed.median} / ${s.seconds_per_seed.max} s (min / median / max)`,
    `  duration      ${seconds(s.duration_ms)}`,
    ...s.reruns.map((r) => `  rerun         ${r}`),
  ];
  return `${lines.join('\n')}\n`;
}
