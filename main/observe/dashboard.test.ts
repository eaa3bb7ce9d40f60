// The Grafana dashboard (assets/grafana/swoosh-dashboard.json) may only chart metrics the
// host really exports, must chart every metric docs/protocol.md §8 names, and must lay its panels
// out without overlap — a renamed metric would otherwise leave an empty panel nobody notices.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scenario } from '../../core/testing/scenario';
import { Host } from '../host';
import { loadMachine } from '../machine';
import { createMetrics } from './metrics';

const DASHBOARD = fileURLToPath(new URL('../../assets/grafana/swoosh-dashboard.json', import.meta.url));
const CONTRACT_METRICS = [
  'swoosh_transition_total',
  'swoosh_guard_fail_total',
  'swoosh_state_advance_latency_seconds',
  'swoosh_retry_count',
  'swoosh_quarantine_total',
  'swoosh_recovery_time_seconds',
  'swoosh_wal_lag_records',
];

interface Panel {
  id: number;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets: { expr: string }[];
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));

/** The exported family a series name belongs to (histograms export _bucket/_sum/_count). */
function familyOf(series: string, families: Set<string>): string | null {
  if (families.has(series)) return series;
  const base = series.replace(/_(bucket|sum|count)$/, '');
  return families.has(base) ? base : null;
}

let dir: string;
let families: Set<string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swoosh-dash-'));
  const sc = new Scenario(loadMachine());
  const host = Host.open({ db: join(dir, 'd.db'), genesis: sc.genesis });
  const metrics = createMetrics(host.engine);
  families = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
  host.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Grafana dashboard', () => {
  it('charts only metrics the host exports', () => {
    const used = new Set(exprs.flatMap((e) => e.match(/swoosh_[a-z_]+/g) ?? []));
    expect(used.size).toBeGreaterThan(0);
    const unknown = [...used].filter((s) => familyOf(s, families) === null);
    expect(unknown).toEqual([]);
  });

  it('charts every metric docs/protocol.md §8 names', () => {
    const missing = CONTRACT_METRICS.filter((m) => !exprs.some((e) => e.includes(m)));
    expect(missing).toEqual([]);
  });

  it('has unique panel ids and no overlapping panels on the 24-column grid', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    const cells = new Map<string, string>();
    for (const p of dashboard.panels) {
      const g = p.gridPos;
      expect(g.x + g.w, p.title).toBeLessThanOrEqual(24);
      for (let x = g.x; x < g.x + g.w; x += 1)
        for (let y = g.y; y < g.y + g.h; y += 1) {
          const key = `${x},${y}`;
          expect(cells.get(key), `${p.title} overlaps ${cells.get(key)}`).toBeUndefined();
          cells.set(key, p.title);
        }
    }
  });
});
