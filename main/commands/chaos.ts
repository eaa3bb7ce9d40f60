// swoosh chaos (docs/protocol.md §10): seeded chaos runs against the real `swoosh serve`.
//
//   swoosh chaos --seed S --steps N --replicas R [--faults LIST] [--json]
//   swoosh chaos --seed S --seeds M …          M seeds: S, S+1, … S+M-1
//   swoosh chaos --long [--seed S] [--json]    the acceptance: one run of 10,000 accepted
//                                              transitions with 3 replicas, then 100 seeds
//   swoosh chaos --cluster [--nodes N] [--etcd M] [--lease-ms L] …
//                                              the same workload against N nodes on an
//                                              M-member etcd, with leader, etcd and follower
//                                              faults (main/chaos/cluster.ts); with --long,
//                                              a sweep of CLUSTER_LONG seeds
//
// With --json the last stdout line is one JSON object (a run's summary, or a sweep's
// aggregate with seed, steps, accepted, violations, lost and replica_hashes) and the human
// table goes to stderr; without it the table goes to stdout. Progress goes to a TTY stderr. Exit 0 when every run
// passed, 1 when any check failed (the summary prints the command that reruns the seed).
// docs/chaos.md explains the checks; docs/runbooks/rerun-failing-seed.md the rerun.

import { parse, UsageError } from './args';
import { runClusterChaos, type ClusterChaosSummary } from '../chaos/cluster';
import { formatClusterSeedLine, formatClusterSweep, formatClusterTable, summarizeCluster } from '../chaos/cluster-report';
import { FaultSpecError, parseFaults } from '../chaos/faults';
import { formatSeedLine, formatSweep, formatTable, summarize } from '../chaos/report';
import { DEFAULT_CHECK_EVERY, DEFAULT_FAULTS, runChaos, type ChaosOptions, type ChaosProgress, type ChaosSummary } from '../chaos/run';

const CHAOS_OPTIONS = {
  seed: { type: 'string' },
  steps: { type: 'string' },
  replicas: { type: 'string' },
  transitions: { type: 'string' },
  seeds: { type: 'string' },
  faults: { type: 'string', default: DEFAULT_FAULTS },
  'replica-mode': { type: 'string', default: 'process' },
  'check-every': { type: 'string', default: String(DEFAULT_CHECK_EVERY) },
  durability: { type: 'string', default: 'FULL' },
  workdir: { type: 'string' },
  keep: { type: 'boolean', default: false },
  long: { type: 'boolean', default: false },
  'fail-fast': { type: 'boolean', default: false },
  json: { type: 'boolean', default: false },
  sabotage: { type: 'string' },
  cluster: { type: 'boolean', default: false },
  nodes: { type: 'string' },
  etcd: { type: 'string' },
  'lease-ms': { type: 'string' },
  'keep-records': { type: 'string' },
} as const;

const CHAOS_USAGE = `usage: swoosh chaos --seed S --steps N --replicas R [--faults LIST] [--transitions N] [--seeds M] [--json]
       swoosh chaos --long [--seed S] [--json]
       swoosh chaos --cluster --seed S --steps N [--nodes 3] [--etcd 3] [--lease-ms 2000] [--keep-records N] [--seeds M | --long] [--json]
  options: [--replica-mode process|inproc] [--check-every K] [--durability FULL|NORMAL] [--workdir DIR] [--keep]
           [--fail-fast] [--sabotage NAME]
  seeded chaos runs against the real \`swoosh serve\` (docs/chaos.md); exit 1 when a check failed.
`;

/** The acceptance of `--long` (npm run chaos:long). */
export const LONG = { transitions: 10_000, seeds: 100, steps: 1000, replicas: 3 } as const;
/** The cluster sweep of `--cluster --long` (npm run chaos:long runs it after LONG). */
export const CLUSTER_LONG = { seeds: 10, steps: 600 } as const;

function int(raw: string | undefined, name: string, fallback: number, min: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d{1,12}$/.test(raw)) throw new UsageError(`--${name} must be a non-negative integer, got ${raw}`);
  const n = Number(raw);
  if (n < min) throw new UsageError(`--${name} must be at least ${min}`);
  return n;
}

export async function chaosCommand(args: string[]): Promise<number> {
  const v = parse(args, CHAOS_OPTIONS, CHAOS_USAGE);
  try {
    parseFaults(v.faults, v.cluster ? 'cluster' : 'single');
  } catch (err) {
    if (err instanceof FaultSpecError) throw new UsageError(err.message);
    throw err;
  }
  if (v['replica-mode'] !== 'process' && v['replica-mode'] !== 'inproc') throw new UsageError('--replica-mode is process or inproc');
  if (v.durability !== 'FULL' && v.durability !== 'NORMAL') throw new UsageError('--durability is FULL or NORMAL');
  if (v.sabotage !== undefined && v.sabotage !== 'lose-last-record')
    throw new UsageError('--sabotage is lose-last-record (a self-test: the run must fail)');
  if (v.cluster) return clusterChaos(v);
  for (const flag of ['nodes', 'etcd', 'lease-ms', 'keep-records'] as const)
    if (v[flag] !== undefined) throw new UsageError(`--${flag} is for a cluster run: add --cluster`);
  const seed = int(v.seed, 'seed', v.long ? 1 : Date.now() % 1_000_000, 0);
  const replicas = int(v.replicas, 'replicas', v.long ? LONG.replicas : 3, 0);
  const steps = int(v.steps, 'steps', v.long ? LONG.steps : 2000, 1);
  const transitions = v.transitions === undefined ? null : int(v.transitions, 'transitions', 0, 1);
  const seeds = int(v.seeds, 'seeds', v.long ? LONG.seeds : 1, 1);
  const base: Omit<ChaosOptions, 'seed' | 'steps'> = {
    replicas,
    faults: v.faults,
    replica_mode: v['replica-mode'] as 'process' | 'inproc',
    check_every: int(v['check-every'], 'check-every', DEFAULT_CHECK_EVERY, 1),
    durability: v.durability as 'FULL' | 'NORMAL',
    workdir: v.workdir,
    keep: v.keep,
    sabotage: (v.sabotage as 'lose-last-record' | undefined) ?? null,
  };
  const tty = process.stderr.isTTY === true;
  // With --json, stdout carries only JSON; the human table and per-seed lines go to stderr.
  const human = (text: string): void => {
    (v.json ? process.stderr : process.stdout).write(text);
  };
  const onProgress = tty
    ? (p: ChaosProgress): void => {
        process.stderr.write(
          `\rseed ${p.seed}: step ${p.step}/${p.steps}, accepted ${p.accepted}, kills ${p.kills}, violations ${p.violations}   `,
        );
      }
    : undefined;
  const clear = (): void => {
    if (tty) process.stderr.write('\r\x1b[K');
  };
  const started = performance.now();

  // One run, the docs/protocol.md §10 form.
  if (!v.long && seeds === 1) {
    const s = await runChaos({ ...base, seed, steps: transitions ? Math.max(steps, transitions * 4) : steps, transitions, onProgress });
    clear();
    human(formatTable(s));
    if (v.json) process.stdout.write(`${JSON.stringify(s)}\n`);
    return s.ok ? 0 : 1;
  }

  // --long: the 10k-transition run first, then the sweep.
  let long: ChaosSummary | null = null;
  if (v.long) {
    const target = transitions ?? LONG.transitions;
    long = await runChaos({ ...base, seed, steps: target * 4, transitions: target, onProgress });
    clear();
    human(formatTable(long));
  }
  const runs: ChaosSummary[] = [];
  const first = v.long ? seed + 1 : seed;
  for (let i = 0; i < seeds; i += 1) {
    const s = await runChaos({ ...base, seed: first + i, steps, onProgress });
    clear();
    runs.push(s);
    human(`${formatSeedLine(s)}\n`);
    if (!s.ok && v['fail-fast']) break;
  }
  const sweep = summarize(v.long ? 'long' : 'sweep', runs, long, Math.round(performance.now() - started));
  human(formatSweep(sweep));
  if (v.json) process.stdout.write(`${JSON.stringify(sweep)}\n`);
  return sweep.ok ? 0 : 1;
}

type ChaosValues = ReturnType<typeof parse<typeof CHAOS_OPTIONS>>;

/** `--cluster`: one seed, `--seeds M`, or the `--long` sweep, against a real etcd cluster. */
async function clusterChaos(v: ChaosValues): Promise<number> {
  for (const flag of ['replicas', 'transitions', 'sabotage'] as const)
    if (v[flag] !== undefined) throw new UsageError(`--${flag} is for a single-node run; --cluster takes --nodes, --etcd, --lease-ms`);
  const seed = int(v.seed, 'seed', v.long ? 1 : Date.now() % 1_000_000, 0);
  const steps = int(v.steps, 'steps', v.long ? CLUSTER_LONG.steps : 300, 1);
  const seeds = int(v.seeds, 'seeds', v.long ? CLUSTER_LONG.seeds : 1, 1);
  const base = {
    steps,
    nodes: int(v.nodes, 'nodes', 3, 1),
    etcd: int(v.etcd, 'etcd', 3, 1),
    lease_ms: int(v['lease-ms'], 'lease-ms', 2000, 2000),
    ...(v['keep-records'] !== undefined ? { keep_records: int(v['keep-records'], 'keep-records', 0, 1) } : {}),
    faults: v.faults,
    workdir: v.workdir,
    keep: v.keep,
  };
  if (base.nodes > 7 || base.etcd > 7) throw new UsageError('--nodes and --etcd are at most 7');
  // Ctrl-C or a kill: exit through process.exit, so the exit hooks kill every etcd member
  // and node this run started (a signal's default action would leave them running).
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => process.exit(sig === 'SIGINT' ? 130 : 143));
  const human = (text: string): void => {
    (v.json ? process.stderr : process.stdout).write(text);
  };
  const tty = process.stderr.isTTY === true;
  const onProgress = tty
    ? (p: { seed: number; step: number; steps: number; accepted: number; faults: number; violations: number }): void => {
        process.stderr.write(
          `\rseed ${p.seed}: step ${p.step}/${p.steps}, accepted ${p.accepted}, faults ${p.faults}, violations ${p.violations}   `,
        );
      }
    : undefined;
  const clear = (): void => {
    if (tty) process.stderr.write('\r\x1b[K');
  };
  if (seeds === 1 && !v.long) {
    const s = await runClusterChaos({ ...base, seed, onProgress });
    clear();
    human(formatClusterTable(s));
    if (v.json) process.stdout.write(`${JSON.stringify(s)}\n`);
    return s.ok ? 0 : 1;
  }
  const started = performance.now();
  const runs: ClusterChaosSummary[] = [];
  for (let i = 0; i < seeds; i += 1) {
    const s = await runClusterChaos({ ...base, seed: seed + i, onProgress });
    clear();
    runs.push(s);
    human(`${formatClusterSeedLine(s)}\n`);
    if (!s.ok && v['fail-fast']) break;
  }
  const sweep = summarizeCluster(runs, Math.round(performance.now() - started));
  human(formatClusterSweep(sweep));
  if (v.json) process.stdout.write(`${JSON.stringify(sweep)}\n`);
  return sweep.ok ? 0 : 1;
}
