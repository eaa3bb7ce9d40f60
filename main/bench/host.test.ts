// Smoke test of the host benchmarks: each one runs with tiny sizes and must produce
// well-formed rows (the `swoosh bench` row shape), a named ceiling per row and a verdict per target.
// Nothing about speed is asserted (project rule: speed is measured by `swoosh bench`).

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isBenchRow } from './harness';
import { ProposalChain } from './chain';
import { DEFAULT_HOST_CONFIG, type HostBenchConfig, type HostBenchResult } from './config';
import { resultsMarkdown, RESULTS_END, RESULTS_START, withResults } from './docs';
import { benchEngine } from './engine';
import { benchHttp } from './http';
import { benchWal, walFixture } from './wal';
import { loadMachine } from '../machine';
import { Host } from '../host';

const dir = mkdtempSync(join(tmpdir(), 'swoosh-host-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TINY: HostBenchConfig = {
  ...DEFAULT_HOST_CONFIG,
  dir,
  engine_proposals: 60,
  engine_warmup: 20,
  engine_window: 16,
  rates: [100, 200],
  rate_duration_ms: 200,
  rate_warmup_ms: 200,
  wal_records: 30,
  snapshot_every: 10,
  replay_records: 1_000,
  time_travel_queries: 5,
  fresh_wal: true,
  timing: { warmup_ms: 0, duration_ms: 1, ops_max: 5 },
};

function checkShape(r: HostBenchResult, rowsExpected: number, targetsExpected: number): void {
  expect(r.rows.length).toBe(rowsExpected);
  for (const x of r.rows) {
    expect(isBenchRow(x)).toBe(true);
    expect(x.ratio).toBeCloseTo(x.value / x.ceiling, 12);
    expect(r.ceilings[x.name]).toBeTypeOf('string');
  }
  expect(new Set(r.rows.map((x) => x.name)).size).toBe(r.rows.length);
  for (const x of JSON.parse(JSON.stringify(r.rows)) as unknown[]) expect(isBenchRow(x)).toBe(true);
  expect(r.targets.length).toBe(targetsExpected);
  for (const t of r.targets) expect(typeof t.met).toBe('boolean');
}

describe('bench/host', () => {
  it('the proposal chain is deterministic and starts from the genesis HEAD', () => {
    const spec = loadMachine();
    const a = new ProposalChain(spec).take(20);
    const b = new ProposalChain(spec).take(20);
    expect(a.map((p) => p.signature)).toEqual(b.map((p) => p.signature));
    expect(a.slice(13).map((p) => p.transition)).toEqual(
      Array.from({ length: 7 }, (_, i) => (i % 2 === 0 ? 'Control_Pause' : 'Control_Resume')),
    );
  });

  it('engine: every proposal accepted, two rows (verify and SQLite ceilings)', async () => {
    const r = await benchEngine(TINY, new ProposalChain(loadMachine()), () => {});
    checkShape(r, 2, 1);
  });

  it('http: p50, p99 and achieved rate per offered rate, through a child server', async () => {
    const r = await benchHttp(TINY, new ProposalChain(loadMachine()), () => {});
    checkShape(r, 3 * TINY.rates.length, 0);
    expect(r.notes.some((n) => n.includes('FAILED'))).toBe(false);
  });

  it('wal: the fast-path WAL is a chain the host recovers; replay, start-up, time travel and RSS rows', async () => {
    const r = await benchWal(TINY, () => {});
    checkShape(r, 5, 4);
    // The fixture opens as a real host would open it, past its last snapshot.
    const total = TINY.wal_records + TINY.snapshot_every - 1;
    const fixture = walFixture({ ...TINY, fresh_wal: false }, total, () => {});
    expect(fixture.built_ms).toBeNull();
    expect(existsSync(fixture.path)).toBe(true);
    const host = Host.open({ db: fixture.path });
    try {
      expect(host.head.index).toBe(total);
      expect(host.recovery.replayed).toBe(TINY.snapshot_every - 1);
      expect(host.stateAt(7).index).toBe(7);
    } finally {
      host.close();
    }
  });

  it('the docs block has the markers and one table line per row', () => {
    const rows = [{ name: 'x', unit: 'ops/s', value: 2, ceiling: 4, ratio: 0.5 }];
    const md = resultsMarkdown({
      args: [],
      rows,
      ceilings: { x: 'four' },
      facts: ['cpu: test'],
      targets: ['  [met] t: f'],
      notes: ['n'],
      seconds: 1,
      at: new Date(0),
    });
    expect(md.startsWith(RESULTS_START)).toBe(true);
    expect(md.endsWith(RESULTS_END)).toBe(true);
    expect(md).toContain('| x | 2.00 | ops/s | 4.00 | 0.500 | four |');
    expect(md).toContain('on 1970-01-01T00:00:00.000Z (1 s)');
  });

  it('the docs block replaces only what lies between the markers, or is appended once', () => {
    const page = `# Bench\n\nbefore\n${RESULTS_START}\nold\n${RESULTS_END}\nafter\n`;
    expect(withResults(page, `${RESULTS_START}\nnew\n${RESULTS_END}`)).toBe(
      `# Bench\n\nbefore\n${RESULTS_START}\nnew\n${RESULTS_END}\nafter\n`,
    );
    const appended = withResults('# Bench', 'BLOCK');
    expect(appended).toBe('# Bench\n\n## Latest results\n\nBLOCK\n');
  });
});
