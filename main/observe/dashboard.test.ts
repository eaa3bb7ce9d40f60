// The Grafana dashboard (assets/grafana/swoosh-dashboard.json) may only chart metrics the
// host really exports, must chart every metric docs/protocol.md §8 names, and must lay its panels
// out without overlap — a renamed metric would otherwise leave an empty panel nobody notices.
// The Cluster row charts what only a cluster node exports: those series are checked
// against GET /metrics of a real `swoosh serve --etcd …` node on a one-member etcd.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scenario } from '../../core/testing/scenario';
import { EtcdCluster, freePort } from '../cluster/etcd-harness';
import { Host } from '../host';
import { loadMachine } from '../machine';
import { startServe, writeGenesis, type ServeProcess } from '../testing/proc';
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

/** What the Cluster row must chart (docs/cluster.md, Observability). */
const CLUSTER_METRICS = ['swoosh_is_leader', 'swoosh_leader_changes_total', 'swoosh_wal_lag_records'];

interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  targets: { expr: string }[];
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Panel[] };
const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
const seriesOf = (e: string): string[] => e.match(/swoosh_[a-z_]+/g) ?? [];

/** Panels below the row titled `title`, up to the next row. */
function rowPanels(title: string): Panel[] {
  const sorted = [...dashboard.panels].sort((a, b) => a.gridPos.y - b.gridPos.y || a.gridPos.x - b.gridPos.x);
  const start = sorted.findIndex((p) => p.type === 'row' && p.title === title);
  if (start < 0) return [];
  const end = sorted.findIndex((p, i) => i > start && p.type === 'row');
  return sorted.slice(start + 1, end < 0 ? undefined : end);
}

/** The exported family a series name belongs to (histograms export _bucket/_sum/_count). */
function familyOf(series: string, families: Set<string>): string | null {
  if (families.has(series)) return series;
  const base = series.replace(/_(bucket|sum|count)$/, '');
  return families.has(base) ? base : null;
}

let dir: string;
let families: Set<string>;
/** Metric families on GET /metrics of a cluster node (`# TYPE` lines). */
let clusterFamilies: Set<string>;
let etcd: EtcdCluster | undefined;
let node: ServeProcess | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swoosh-dash-'));
  const sc = new Scenario(loadMachine());
  const host = Host.open({ db: join(dir, 'd.db'), genesis: sc.genesis });
  const metrics = createMetrics(host.engine);
  families = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
  host.close();
  etcd = await EtcdCluster.start({ members: 1 });
  node = await startServe({
    db: join(dir, 'n1.db'),
    genesis: writeGenesis(dir, sc.genesis),
    port: await freePort(),
    args: ['--etcd', etcd.endpoints.join(','), '--node-id', 'n1', '--lease-ms', '2000'],
  });
  const text = await (await fetch(`${node.url}/metrics`)).text();
  clusterFamilies = new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
}, 60_000);

afterAll(async () => {
  await node?.kill9();
  await etcd?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Grafana dashboard', () => {
  it('charts only metrics the host exports (a single-node host, or a cluster node for the Cluster row)', () => {
    const cluster = new Set(rowPanels('Cluster').map((p) => p.id));
    const used = new Set(dashboard.panels.filter((p) => !cluster.has(p.id)).flatMap((p) => p.targets.flatMap((t) => seriesOf(t.expr))));
    expect(used.size).toBeGreaterThan(0);
    const unknown = [...used].filter((s) => familyOf(s, families) === null);
    expect(unknown).toEqual([]);
  });

  it("has a Cluster row charting leadership, leader changes and per-node lag, all on a cluster node's /metrics", () => {
    const panels = rowPanels('Cluster');
    expect(panels.length).toBeGreaterThanOrEqual(4);
    const rowExprs = panels.flatMap((p) => p.targets.map((t) => t.expr));
    const used = new Set(rowExprs.flatMap(seriesOf));
    for (const m of CLUSTER_METRICS) expect(used.has(m), m).toBe(true);
    expect([...used].filter((s) => familyOf(s, clusterFamilies) === null)).toEqual([]);
    // Per node: lag and leadership broken down by instance; the change rate over 5 minutes.
    expect(rowExprs).toContainEqual(expect.stringMatching(/by \(instance\) \(swoosh_is_leader\{/));
    expect(rowExprs).toContainEqual(expect.stringMatching(/by \(instance\) \(swoosh_wal_lag_records\{/));
    expect(rowExprs).toContainEqual(expect.stringMatching(/rate\(swoosh_leader_changes_total\{[^}]*\}\[5m\]\)/));
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
