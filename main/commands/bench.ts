// swoosh bench [--json]: the host benchmarks (main/bench/), every figure beside a ceiling
// measured in the same run and the ratio. With --json the last line of stdout is the JSON
// array of {name, unit, value, ceiling, ratio}. Progress goes to stderr.
// (The reducer microbenchmark is a dev tool outside the product: npm run bench:core.)
//
//   swoosh bench                      engine + HTTP + a 200k-record WAL (a few minutes)
//   swoosh bench --full               the long WAL at 1,000,000 records
//   swoosh bench --only engine,http   any of: engine, http, wal, cluster (cluster: 3 etcd + 3 nodes, not in the default run)
//   swoosh bench --wal N              the long WAL at N records
//   swoosh bench --snapshot-every N   the long WAL's snapshot cadence (default 250, the host's default)
//   swoosh bench --fresh              rebuild the cached long WAL
//   swoosh bench --dir PATH           where the databases go (default $TMPDIR/swoosh-bench; use a real disk)
//   swoosh bench --write-docs         also replace the results block of docs/benchmarks.md (--docs FILE: another file)

import { DEFAULT_HOST_CONFIG, type HostBenchConfig } from '../bench/config';
import { DOCS_PATH, resultsMarkdown, writeResults } from '../bench/docs';
import { report } from '../bench/harness';
import { formatTargets, machineFacts, runHostBench } from '../bench/run';
import { parse, positiveInt, UsageError } from './args';

const PARTS = ['engine', 'http', 'wal', 'cluster'] as const;
/** Without --only: the single-node families (the cluster one needs etcd and takes its own minutes). */
const DEFAULT_PARTS: readonly Part[] = ['engine', 'http', 'wal'];
type Part = (typeof PARTS)[number];

const OPTIONS = {
  json: { type: 'boolean', default: false },
  full: { type: 'boolean', default: false },
  wal: { type: 'string' },
  'snapshot-every': { type: 'string' },
  only: { type: 'string' },
  fresh: { type: 'boolean', default: false },
  dir: { type: 'string' },
  'write-docs': { type: 'boolean', default: false },
  docs: { type: 'string' },
} as const;

const BENCH_USAGE = `usage: swoosh bench [--json] [--full] [--only PART,…] [--wal N] [--snapshot-every K] [--fresh] [--dir DIR]
                    [--write-docs] [--docs FILE]
  the product benchmarks (docs/benchmarks.md): --json one JSON line, --full the long sizes,
  --only a subset, --wal/--snapshot-every the database shape, --fresh rebuild it in --dir,
  --write-docs rewrites the benchmark tables in --docs.
`;

type BenchValues = ReturnType<typeof parse<typeof OPTIONS>>;

function partsOf(raw: string | undefined): Part[] {
  if (raw === undefined) return [...DEFAULT_PARTS];
  const parts = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const p of parts) {
    if (p === 'core') throw new UsageError('the core benchmark is a dev tool outside the product now: npm run bench:core');
    if (!(PARTS as readonly string[]).includes(p)) throw new UsageError(`--only takes ${PARTS.join(', ')}; got "${p}"`);
  }
  if (parts.length === 0) throw new UsageError('--only needs at least one part');
  return parts as Part[];
}

function configOf(v: BenchValues): HostBenchConfig {
  const config: HostBenchConfig = { ...DEFAULT_HOST_CONFIG, parts: partsOf(v.only), fresh_wal: v.fresh };
  if (v.full) config.wal_records = 1_000_000;
  if (v.wal !== undefined) config.wal_records = positiveInt(v.wal, '--wal');
  if (v['snapshot-every'] !== undefined) config.snapshot_every = positiveInt(v['snapshot-every'], '--snapshot-every');
  if (v.dir !== undefined) config.dir = v.dir;
  config.replay_records = Math.min(config.replay_records, config.wal_records);
  return config;
}

export async function benchCommand(args: string[]): Promise<number> {
  const v = parse(args, OPTIONS, BENCH_USAGE);
  const config = configOf(v);
  const started = performance.now();
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  const facts = machineFacts(config.dir);
  for (const f of facts) log(f);
  let r: Awaited<ReturnType<typeof runHostBench>>;
  try {
    r = await runHostBench(config, log);
  } catch (err) {
    process.stderr.write(`swoosh bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return 1;
  }
  const seconds = (performance.now() - started) / 1000;
  const targets = formatTargets(r.targets);
  const notes = [...r.notes, `total ${seconds.toFixed(1)} s`];
  report(r.rows, v.json ? ['--json'] : [], r.ceilings, [...facts, ...notes, ...(targets.length > 0 ? ['', 'targets:', ...targets] : [])]);
  // report() already wrote the JSON line last; nothing may follow it on stdout.
  if (v['write-docs'] || v.docs !== undefined) {
    const path = v.docs ?? DOCS_PATH;
    const shown = args.filter((a) => a !== '--write-docs' && a !== '--json');
    writeResults(
      path,
      resultsMarkdown({ args: shown, rows: r.rows, ceilings: r.ceilings, facts, targets, notes, seconds, at: new Date() }),
    );
    log(`results written to ${path}`);
  }
  return 0;
}
