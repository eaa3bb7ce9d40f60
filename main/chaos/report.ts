// Human-readable chaos results: a table per run, one line per seed of a sweep, and the
// aggregate of a sweep (what `swoosh chaos --seeds N` and `--long` print last).

import type { ChaosSummary, ChaosViolation } from './run';

const short = (h: string): string => (h.startsWith('sha256-') ? `${h.slice(0, 19)}…` : h || '(none)');

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

export function formatTable(s: ChaosSummary): string {
  const rejected =
    Object.entries(s.rejected)
      .sort((a, b) => b[1] - a[1])
      .map(([c, n]) => `${c} ${n}`)
      .join(', ') || 'none';
  const rk = Object.entries(s.rollback_kinds)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const rows: Array<[string, string]> = [
    [
      'steps',
      `${s.steps}${s.transitions_target ? ` (until ${s.transitions_target} transitions)` : ''}   requests ${s.sends}   accepted ${s.accepted}   acknowledged ${s.acknowledged}   200 duplicate ${s.duplicate_answers}`,
    ],
    ['rejected', rejected],
    ['network', `dropped ${s.net.dropped}, held back ${s.net.reordered}, re-sent ${s.net.duplicated}`],
    [
      'writer',
      `kills ${s.kills} (${s.kills_in_flight} with a request in flight, ${s.startup_kills} more during recovery), restarts ${s.restarts}, answers lost ${s.in_doubt} (${s.in_doubt_committed} had committed)`,
    ],
    ['rollbacks', `${s.rollbacks}${rk ? ` (${rk})` : ''}`],
    [
      'replicas',
      `${s.replicas} ${s.replica_mode}, ${s.replicas_agree ? 'all agree' : 'DISAGREE'} on ${short(s.state_post_hash)}, ${s.checks.replica_checkpoints} checkpoints, ${s.replica_kills} replica kills`,
    ],
    [
      'checks',
      `${s.checks.model_answers} answers vs model, ${s.checks.head_compares} HEAD compares, ${s.checks.replayed} records replayed, ${s.checks.windows} windows, ${s.checks.decisions} decision records, ${s.checks.snapshots} snapshots`,
    ],
    [
      'violations',
      `${s.violations.length}   lost ${s.lost.length}   duplicated ${s.duplicated.length}   unexpected ${s.unexpected.length}${s.first_failing_step !== null ? `   first failing step ${s.first_failing_step}` : ''}`,
    ],
    ['duration', `${seconds(s.duration_ms)} (${s.ms_per_step} ms/step)`],
    ['result', s.ok ? 'PASS' : 'FAIL'],
    ['rerun', s.rerun],
  ];
  if (s.dir) rows.push(['kept', s.dir]);
  const width = Math.max(...rows.map(([k]) => k.length));
  const head = `SWOOSH chaos — seed ${s.seed}, faults ${s.faults}`;
  const lines = [head, ...rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`)];
  for (const v of s.violations.slice(0, 10)) lines.push(`  ! ${formatViolation(v)}`);
  if (s.violations.length > 10) lines.push(`  ! … ${s.violations.length - 10} more`);
  return `${lines.join('\n')}\n`;
}

export function formatViolation(v: ChaosViolation): string {
  const where = [v.step !== null ? `step ${v.step}` : null, v.index !== null ? `index ${v.index}` : null]
    .filter((x) => x !== null)
    .join(', ');
  return `[${v.check}]${where ? ` ${where}:` : ''} ${v.detail}`;
}

/** One line per seed of a sweep. */
export function formatSeedLine(s: ChaosSummary): string {
  return `seed ${String(s.seed).padStart(6)}  ${s.ok ? 'PASS' : 'FAIL'}  steps ${s.steps}  accepted ${s.accepted}  kills ${s.kills}  rollbacks ${s.rollbacks}  violations ${s.violations.length}  lost ${s.lost.length}  ${seconds(s.duration_ms)}  ${short(s.state_post_hash)}${s.ok ? '' : `\n    rerun: ${s.rerun}\n    ${s.violations.slice(0, 3).map(formatViolation).join('\n    ')}`}`;
}

export interface SweepSummary {
  mode: 'sweep' | 'long';
  /** First seed (docs/protocol.md §10 field). */
  seed: number;
  seeds: number[];
  /** Totals over every run. */
  steps: number;
  accepted: number;
  violations: Array<ChaosViolation & { seed: number }>;
  lost: string[];
  /** Final state hash of every replica of every run (the long run's first). */
  replica_hashes: string[];
  kills: number;
  kills_in_flight: number;
  startup_kills: number;
  replica_kills: number;
  rollbacks: number;
  rollback_kinds: Record<string, number>;
  failing_seeds: number[];
  reruns: string[];
  /** The 10k-transition run of --long. */
  long_run: ChaosSummary | null;
  runs: Array<
    Pick<
      ChaosSummary,
      | 'seed'
      | 'steps'
      | 'accepted'
      | 'kills'
      | 'kills_in_flight'
      | 'startup_kills'
      | 'rollbacks'
      | 'replica_kills'
      | 'duration_ms'
      | 'ok'
      | 'state_post_hash'
      | 'replicas_agree'
    > & { violations: number; lost: number }
  >;
  seconds_per_seed: { min: number; median: number; max: number };
  duration_ms: number;
  ok: boolean;
}

export function summarize(mode: 'sweep' | 'long', runs: ChaosSummary[], long: ChaosSummary | null, duration_ms: number): SweepSummary {
  const all = long ? [long, ...runs] : runs;
  const secs = runs.map((r) => r.duration_ms / 1000).sort((a, b) => a - b);
  const pick = (q: number): number => Math.round((secs[Math.min(secs.length - 1, Math.floor(q * secs.length))] ?? 0) * 10) / 10;
  return {
    mode,
    seed: all[0]?.seed ?? 0,
    seeds: all.map((r) => r.seed),
    steps: all.reduce((n, r) => n + r.steps, 0),
    accepted: all.reduce((n, r) => n + r.accepted, 0),
    violations: all.flatMap((r) => r.violations.map((v) => ({ seed: r.seed, ...v }))).slice(0, 1000),
    lost: all.flatMap((r) => r.lost.map((k) => `${r.seed}:${k}`)),
    replica_hashes: all.flatMap((r) => r.replica_hashes),
    kills: all.reduce((n, r) => n + r.kills, 0),
    kills_in_flight: all.reduce((n, r) => n + r.kills_in_flight, 0),
    startup_kills: all.reduce((n, r) => n + r.startup_kills, 0),
    replica_kills: all.reduce((n, r) => n + r.replica_kills, 0),
    rollbacks: all.reduce((n, r) => n + r.rollbacks, 0),
    rollback_kinds: all.reduce<Record<string, number>>((acc, r) => {
      for (const [k, n] of Object.entries(r.rollback_kinds)) acc[k] = (acc[k] ?? 0) + n;
      return acc;
    }, {}),
    failing_seeds: all.filter((r) => !r.ok).map((r) => r.seed),
    reruns: all.filter((r) => !r.ok).map((r) => r.rerun),
    long_run: long,
    runs: runs.map((r) => ({
      seed: r.seed,
      steps: r.steps,
      accepted: r.accepted,
      kills: r.kills,
      kills_in_flight: r.kills_in_flight,
      startup_kills: r.startup_kills,
      rollbacks: r.rollbacks,
      replica_kills: r.replica_kills,
      duration_ms: r.duration_ms,
      ok: r.ok,
      state_post_hash: r.state_post_hash,
      replicas_agree: r.replicas_agree,
      violations: r.violations.length,
      lost: r.lost.length,
    })),
    seconds_per_seed: { min: pick(0), median: pick(0.5), max: pick(1) },
    duration_ms,
    ok: all.every((r) => r.ok),
  };
}

export function formatSweep(s: SweepSummary): string {
  const lines = [
    `SWOOSH chaos ${s.mode === 'long' ? 'long acceptance' : 'sweep'}: ${s.ok ? 'PASS' : 'FAIL'}`,
    ...(s.long_run
      ? [
          `  long run      seed ${s.long_run.seed}: ${s.long_run.accepted} transitions, ${s.long_run.replicas} replicas ${s.long_run.replicas_agree ? 'agree' : 'DISAGREE'} on ${s.long_run.state_post_hash}, ${s.long_run.violations.length} violations, ${s.long_run.lost.length} lost, ${seconds(s.long_run.duration_ms)}`,
        ]
      : []),
    `  seeds         ${s.runs.length} (${s.runs[0]?.seed ?? '-'}…${s.runs[s.runs.length - 1]?.seed ?? '-'}), ${s.failing_seeds.length} failing${s.failing_seeds.length > 0 ? `: ${s.failing_seeds.join(', ')}` : ''}`,
    `  totals        ${s.steps} steps, ${s.accepted} accepted, ${s.kills} kills (${s.kills_in_flight} in flight, +${s.startup_kills} during recovery), ${s.rollbacks} rollbacks, ${s.replica_kills} replica kills, ${s.violations.length} violations, ${s.lost.length} lost`,
    `  per seed      ${s.seconds_per_seed.min} / ${s.seconds_per_seed.median} / ${s.seconds_per_seed.max} s (min / median / max)`,
    `  duration      ${seconds(s.duration_ms)}`,
    ...s.reruns.map((r) => `  rerun         ${r}`),
  ];
  return `${lines.join('\n')}\n`;
}
