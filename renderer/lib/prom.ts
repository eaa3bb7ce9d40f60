// Prometheus text exposition (format 0.0.4) for the Metrics view: a small, total parser
// (bad lines are counted, never thrown), sums by label, rates between two scrapes that
// survive counter resets, and a bounded ring buffer of scrapes.

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Scrape {
  /** When the console took it (its own clock: rates are per second of console time). */
  at_ms: number;
  samples: Sample[];
  /** Lines that were neither comments, blank, nor a valid sample. */
  bad_lines: number;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;

function parseValue(text: string): number | null {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
    default: {
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return null;
      return Number(text);
    }
  }
}

/** `{a="x",b="y\"z"}` starting at text[i] === '{'; returns the labels and the index after '}'. */
function parseLabels(text: string, start: number): { labels: Record<string, string>; end: number } | null {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (let guard = 0; guard < 1000; guard += 1) {
    while (text[i] === ' ' || text[i] === ',') i += 1;
    if (text[i] === '}') return { labels, end: i + 1 };
    const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
    if (!m) return null;
    const key = m[0];
    i += key.length;
    if (text[i] !== '=' || text[i + 1] !== '"') return null;
    i += 2;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) return null;
      if (c === '"') break;
      if (c === '\\') {
        const n = text[i + 1];
        value += n === 'n' ? '\n' : (n ?? '');
        i += 2;
      } else {
        value += c;
        i += 1;
      }
    }
    labels[key] = value;
    i += 1;
  }
  return null;
}

export function parseSampleLine(line: string): Sample | null {
  const m = NAME.exec(line);
  if (!m) return null;
  const name = m[0];
  let i = name.length;
  let labels: Record<string, string> = {};
  if (line[i] === '{') {
    const l = parseLabels(line, i);
    if (!l) return null;
    labels = l.labels;
    i = l.end;
  }
  const rest = line.slice(i).trim().split(/\s+/);
  if (rest.length < 1 || rest.length > 2 || rest[0] === '') return null;
  const value = parseValue(rest[0] as string);
  return value === null ? null : { name, labels, value };
}

export function parseProm(text: string, at_ms: number): Scrape {
  const samples: Sample[] = [];
  let bad = 0;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const s = parseSampleLine(line);
    if (s) samples.push(s);
    else bad += 1;
  }
  return { at_ms, samples, bad_lines: bad };
}

/** Sum of a metric's samples grouped by one label ('' = all into one group). */
export function sumBy(scrape: Scrape, name: string, label = ''): Map<string, number> {
  const out = new Map<string, number>();
  for (const s of scrape.samples) {
    if (s.name !== name || !Number.isFinite(s.value)) continue;
    const k = label === '' ? '' : (s.labels[label] ?? '');
    out.set(k, (out.get(k) ?? 0) + s.value);
  }
  return out;
}

/** Total of one metric (0 when absent). */
export function total(scrape: Scrape, name: string): number {
  return sumBy(scrape, name).get('') ?? 0;
}

/** Whether the scrape has the metric at all (so the view can say "not exported" honestly). */
export function has(scrape: Scrape, name: string): boolean {
  return scrape.samples.some((s) => s.name === name);
}

/**
 * Per-second increase of a counter between two scrapes. A drop means the counter reset
 * (host restart): the increase is then the new value, as Prometheus's rate() assumes.
 */
export function counterRate(prev: number, next: number, dt_ms: number): number {
  if (!(dt_ms > 0)) return 0;
  const inc = next >= prev ? next - prev : next;
  return (inc * 1000) / dt_ms;
}

/** Increase of each labelled series of a counter between two scrapes (reset-aware). */
export function increaseBy(prev: Scrape, next: Scrape, name: string, label: string): Map<string, number> {
  const a = sumBy(prev, name, label);
  const b = sumBy(next, name, label);
  const out = new Map<string, number>();
  for (const [k, v] of b) {
    const before = a.get(k) ?? 0;
    out.set(k, v >= before ? v - before : v);
  }
  return out;
}

/** A fixed-capacity ring of values: pushing past capacity drops the oldest. */
export class Ring<T> {
  private readonly items: T[] = [];
  private start = 0;

  constructor(readonly capacity: number) {
    if (!(Number.isInteger(capacity) && capacity >= 1)) throw new RangeError('capacity must be an integer ≥ 1');
  }

  push(x: T): void {
    if (this.items.length < this.capacity) {
      this.items.push(x);
      return;
    }
    this.items[this.start] = x;
    this.start = (this.start + 1) % this.capacity;
  }

  get size(): number {
    return this.items.length;
  }

  /** Oldest first. */
  toArray(): T[] {
    return [...this.items.slice(this.start), ...this.items.slice(0, this.start)];
  }

  last(): T | undefined {
    if (this.items.length === 0) return undefined;
    return this.items[(this.start + this.items.length - 1) % this.items.length];
  }
}

/** One chart point derived from two consecutive scrapes. */
export interface MetricsPoint {
  t_ms: number;
  transitions_per_s: number;
  rejections_per_s: number;
  wal_lag_records: number;
  quarantine_total: number;
  queue_depth: number;
  /** Guard failures in this interval, by guard. */
  guard_fail: Record<string, number>;
}

export function pointBetween(prev: Scrape, next: Scrape): MetricsPoint {
  const dt = next.at_ms - prev.at_ms;
  return {
    t_ms: next.at_ms,
    transitions_per_s: counterRate(total(prev, 'swoosh_transition_total'), total(next, 'swoosh_transition_total'), dt),
    rejections_per_s: counterRate(total(prev, 'swoosh_rejection_total'), total(next, 'swoosh_rejection_total'), dt),
    wal_lag_records: total(next, 'swoosh_wal_lag_records'),
    quarantine_total: total(next, 'swoosh_quarantine_total'),
    queue_depth: total(next, 'swoosh_queue_depth'),
    guard_fail: Object.fromEntries(increaseBy(prev, next, 'swoosh_guard_fail_total', 'guard')),
  };
}
