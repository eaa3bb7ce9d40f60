// Shared helpers for benchmarks: a throughput loop (warm-up, then a fixed duration on
// process.hrtime.bigint), result rows in the `swoosh bench` shape, a table printer and the
// `--json` convention (the last line of stdout is the JSON array of rows).
//
// Project rule: speed is measured here, never asserted in unit tests. Every figure is
// printed beside a ceiling measured in the same run, with the ratio, so that numbers from
// different machines can be compared by their ratios.

/** One benchmark figure beside its ceiling: the `swoosh bench --json` row. */
export interface BenchRow {
  name: string;
  unit: string;
  value: number;
  ceiling: number;
  /** value / ceiling. */
  ratio: number;
}

export interface TimingOptions {
  warmup_ms: number;
  duration_ms: number;
  /** Hard bound on counted operations per phase (smoke tests set it small). */
  ops_max?: number;
}

export interface Throughput {
  ops: number;
  elapsed_ms: number;
  per_s: number;
}

const NS_PER_MS = 1_000_000n;

/**
 * Calls `op` until the duration has elapsed (after an untimed warm-up of the same op) and
 * returns operations per second. `op` does one unit of work and returns how many
 * operations it counts (usually 1; a batch may count more). The loop is bounded by the
 * duration and by `ops_max`, whichever comes first.
 */
export function throughput(op: () => number, opts: TimingOptions): Throughput {
  if (!(opts.duration_ms > 0) || !(opts.warmup_ms >= 0)) throw new RangeError('duration_ms must be > 0 and warmup_ms >= 0');
  const ops_max = opts.ops_max ?? Number.MAX_SAFE_INTEGER;
  runFor(op, opts.warmup_ms, ops_max);
  const { ops, elapsed_ns } = runFor(op, opts.duration_ms, ops_max);
  if (ops <= 0 || elapsed_ns <= 0n) throw new Error('throughput: no operation completed');
  const elapsed_ms = Number(elapsed_ns) / 1e6;
  return { ops, elapsed_ms, per_s: (ops * 1000) / elapsed_ms };
}

/**
 * Several throughputs measured in interleaved rounds: each op is warmed up once, then every
 * round gives each op `duration_ms / rounds` in turn, and each op keeps its best round.
 * On a shared machine a burst of outside load then hits one round of every op rather than
 * all of one op, so the ratios between ops stay meaningful.
 */
export function interleaved<K extends string>(
  ops: Readonly<Record<K, () => number>>,
  opts: TimingOptions & { rounds: number },
): Record<K, number> {
  if (!Number.isInteger(opts.rounds) || opts.rounds < 1) throw new RangeError('rounds must be a positive integer');
  const names = Object.keys(ops) as K[];
  const best = {} as Record<K, number>;
  for (const name of names) {
    runFor(ops[name], opts.warmup_ms, opts.ops_max ?? Number.MAX_SAFE_INTEGER);
    best[name] = 0;
  }
  const round: TimingOptions = { warmup_ms: 0, duration_ms: opts.duration_ms / opts.rounds };
  if (opts.ops_max !== undefined) round.ops_max = opts.ops_max;
  for (let r = 0; r < opts.rounds; r += 1) {
    for (const name of names) best[name] = Math.max(best[name], throughput(ops[name], round).per_s);
  }
  return best;
}

function runFor(op: () => number, duration_ms: number, ops_max: number): { ops: number; elapsed_ns: bigint } {
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(duration_ms)) * NS_PER_MS;
  let ops = 0;
  let now = start;
  // At least one call, so a zero warm-up still compiles nothing but a zero duration is never timed.
  do {
    ops += op();
    now = process.hrtime.bigint();
  } while (now < deadline && ops < ops_max);
  return { ops, elapsed_ns: now - start };
}

/** A row with the ratio computed and both figures checked. */
export function row(name: string, unit: string, value: number, ceiling: number): BenchRow {
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`${name}: value ${value} is not a finite non-negative number`);
  if (!Number.isFinite(ceiling) || ceiling <= 0) throw new RangeError(`${name}: ceiling ${ceiling} is not a finite positive number`);
  return { name, unit, value, ceiling, ratio: value / ceiling };
}

/** True when `x` has exactly the row shape with finite numbers. */
export function isBenchRow(x: unknown): x is BenchRow {
  if (typeof x !== 'object' || x === null) return false;
  const r = x as Record<string, unknown>;
  const keys = Object.keys(r).sort().join(',');
  return (
    keys === 'ceiling,name,ratio,unit,value' &&
    typeof r.name === 'string' &&
    r.name !== '' &&
    typeof r.unit === 'string' &&
    r.unit !== '' &&
    [r.value, r.ceiling, r.ratio].every((n) => typeof n === 'number' && Number.isFinite(n)) &&
    (r.ceiling as number) > 0
  );
}

function formatNumber(n: number): string {
  if (n >= 100) return Math.round(n).toLocaleString('en-US');
  if (n >= 1) return n.toFixed(2);
  return n.toPrecision(3);
}

/**
 * A plain-text table. `ceilings` optionally names what each row's ceiling is (by row
 * name); it is printed under the table so the rows stay narrow.
 */
export function formatTable(rows: readonly BenchRow[], ceilings: Readonly<Record<string, string>> = {}): string {
  const header = ['benchmark', 'value', 'unit', 'ceiling', 'ratio'];
  const body = rows.map((r) => [r.name, formatNumber(r.value), r.unit, formatNumber(r.ceiling), r.ratio.toFixed(3)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)));
  const right = [false, true, false, true, true];
  const line = (cells: string[]) =>
    cells.map((c, i) => (right[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number))).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)];
  const notes = rows.filter((r) => ceilings[r.name] !== undefined).map((r) => `  ${r.name}: ceiling = ${ceilings[r.name]}`);
  if (notes.length > 0) out.push('', 'ceilings:', ...notes);
  return out.join('\n');
}

/**
 * Prints the table (and `notes` lines) to stdout; with `--json`, the JSON array of rows
 * follows as the very last line.
 */
export function report(
  rows: readonly BenchRow[],
  argv: readonly string[],
  ceilings: Readonly<Record<string, string>> = {},
  notes: readonly string[] = [],
): void {
  for (const r of rows) if (!isBenchRow(r)) throw new Error(`malformed bench row: ${JSON.stringify(r)}`);
  const text = [formatTable(rows, ceilings), ...(notes.length > 0 ? ['', ...notes] : [])].join('\n');
  process.stdout.write(`${text}\n`);
  if (argv.includes('--json')) process.stdout.write(`${JSON.stringify(rows)}\n`);
}
