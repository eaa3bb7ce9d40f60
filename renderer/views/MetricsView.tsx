// Metrics: the host's Prometheus exposition (GET /metrics), polled and parsed here
// (lib/prom.ts), kept in a bounded ring of scrapes, and drawn with recharts: accepted
// transitions/s (and rejections/s), guard failures by guard, WAL lag and quarantines.
// The history belongs to the session (state/session.ts): polling starts on the first visit.
// Rates are per second of the console's clock between two scrapes, counter resets aware.

import { useEffect, useMemo } from 'react';
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { Chip, Empty, Panel } from '../components/ui';
import { formatInt } from '../lib/format';
import { has, sumBy, total } from '../lib/prom';
import { useConsole, useSession } from '../state/context';
import { METRICS_POLL_MS, METRICS_SAMPLES_MAX, type MetricsSeries } from '../state/session';

const POLL_MS = METRICS_POLL_MS;
const SAMPLES_MAX = METRICS_SAMPLES_MAX;
const PALETTE = [
  'var(--series-1)',
  'var(--series-2)',
  'var(--series-3)',
  'var(--series-4)',
  'var(--series-5)',
  'var(--series-6)',
  'var(--series-7)',
  'var(--series-8)',
];
const TOOLTIP = {
  background: 'var(--panel-raised)',
  border: '1px solid var(--border-strong)',
  borderRadius: 6,
  fontSize: 12,
  color: 'var(--text)',
};

function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** The session's metrics history (renderer/state/session.ts): it survives leaving the view. */
function useMetrics(): MetricsSeries {
  const { session } = useConsole();
  useEffect(() => session.ensureMetrics(), [session]);
  return useSession().metrics;
}

export function MetricsView() {
  const { points, last, error, scrapes } = useMetrics();
  const guards = useMemo(() => {
    const names = new Set<string>();
    for (const p of points) for (const g of Object.keys(p.guard_fail)) names.add(g);
    if (last) for (const g of sumBy(last, 'swoosh_guard_fail_total', 'guard').keys()) names.add(g);
    return [...names].sort();
  }, [points, last]);
  const rows = useMemo(
    () =>
      points.map((p) => ({
        ...p,
        transitions_per_s: round(p.transitions_per_s),
        rejections_per_s: round(p.rejections_per_s),
        ...Object.fromEntries(guards.map((g) => [`g:${g}`, p.guard_fail[g] ?? 0])),
      })),
    [points, guards],
  );
  const guardTotals = useMemo(
    () => (last ? [...sumBy(last, 'swoosh_guard_fail_total', 'guard').entries()].sort((a, b) => b[1] - a[1]) : []),
    [last],
  );
  const latest = points[points.length - 1];
  const walLag = last ? total(last, 'swoosh_wal_lag_records') : 0;
  const quarantines = last ? total(last, 'swoosh_quarantine_total') : 0;

  return (
    <div className="view view-metrics" data-testid="metrics-view">
      <div className="view-head">
        <h1>Metrics</h1>
        <span className="view-sub">
          GET /metrics every {POLL_MS / 1000} s · {formatInt(points.length)} of {SAMPLES_MAX} samples kept
          {last && last.bad_lines > 0 ? ` · ${last.bad_lines} unparsed lines` : ''}
        </span>
        {error && (
          <span className="view-tools">
            <Chip tone="danger" title={error}>
              scrape failed: {error}
            </Chip>
          </span>
        )}
      </div>
      <div className="mx-tiles">
        <Tile
          label="Transitions"
          value={last ? formatInt(total(last, 'swoosh_transition_total')) : '—'}
          sub={latest ? `${round(latest.transitions_per_s)} /s now` : 'waiting for a second scrape'}
          testId="tile-transitions"
        />
        <Tile
          label="Rejections"
          value={last ? formatInt(total(last, 'swoosh_rejection_total')) : '—'}
          sub={latest ? `${round(latest.rejections_per_s)} /s now` : '—'}
          testId="tile-rejections"
        />
        <Tile
          label="Guard failures"
          value={last ? formatInt(total(last, 'swoosh_guard_fail_total')) : '—'}
          sub={guardTotals[0] ? `most: ${guardTotals[0][0]} (${formatInt(guardTotals[0][1])})` : 'none'}
          testId="tile-guard-failures"
        />
        <Tile
          label="WAL lag"
          value={last && has(last, 'swoosh_wal_lag_records') ? `${formatInt(walLag)}` : 'n/a'}
          sub="records behind the writer"
          tone={walLag > 0 ? 'warn' : undefined}
          testId="tile-wal-lag"
        />
        <Tile
          label="Quarantines"
          value={last ? formatInt(quarantines) : '—'}
          sub="transitions into QUARANTINED"
          tone={quarantines > 0 ? 'danger' : undefined}
          testId="tile-quarantines"
        />
        <Tile
          label="Queue"
          value={last && has(last, 'swoosh_queue_depth') ? formatInt(total(last, 'swoosh_queue_depth')) : 'n/a'}
          sub="proposals waiting for the writer"
          testId="tile-queue"
        />
      </div>
      {scrapes < 2 && !error ? (
        <Empty>Collecting: rates need two scrapes ({POLL_MS / 1000} s apart).</Empty>
      ) : (
        <div className="mx-grid">
          <Panel title="Transitions per second" extra={<span className="muted">accepted · rejected · UTC</span>} testId="chart-transitions">
            <ResponsiveContainer width="100%" height="100%">
              <AreaChart data={rows} margin={{ top: 8, right: 10, bottom: 0, left: -18 }}>
                <CartesianGrid stroke="var(--grid)" vertical={false} />
                <XAxis dataKey="t_ms" tickFormatter={clock} stroke="var(--text-faint)" fontSize={11} tickLine={false} minTickGap={40} />
                <YAxis stroke="var(--text-faint)" fontSize={11} tickLine={false} axisLine={false} allowDecimals />
                <Tooltip contentStyle={TOOLTIP} labelFormatter={(v) => clock(Number(v))} />
                <Legend iconType="square" iconSize={9} wrapperStyle={{ fontSize: 12, color: 'var(--text-muted)' }} />
                <Area
                  type="monotone"
                  dataKey="transitions_per_s"
                  name="accepted/s"
                  stroke="var(--series-1)"
                  fill="var(--accent-weak)"
                  strokeWidth={1.6}
                  isAnimationActive={false}
                />
                <Area
                  type="monotone"
                  dataKey="rejections_per_s"
                  name="rejected/s"
                  stroke="var(--series-3)"
                  fill="var(--danger-weak)"
                  strokeWidth={1.4}
                  isAnimationActive={false}
                />
              </AreaChart>
            </ResponsiveContainer>
          </Panel>
          <Panel title="Guard failures by guard" extra={<span className="muted">per {POLL_MS / 1000} s scrape</span>} testId="chart-guards">
            {guards.length === 0 ? (
              <Empty>No guard has failed since the host started.</Empty>
            ) : (
              <ResponsiveContainer width="100%" height="100%">
                <BarChart data={rows} margin={{ top: 8, right: 10, bottom: 0, left: -18 }} barCategoryGap={1}>
                  <CartesianGrid stroke="var(--grid)" vertical={false} />
                  <XAxis dataKey="t_ms" tickFormatter={clock} stroke="var(--text-faint)" fontSize={11} tickLine={false} minTickGap={40} />
                  <YAxis allowDecimals={false} stroke="var(--text-faint)" fontSize={11} tickLine={false} axisLine={false} />
                  <Tooltip contentStyle={TOOLTIP} cursor={{ fill: 'var(--hover)' }} labelFormatter={(v) => clock(Number(v))} />
                  <Legend iconType="square" iconSize={9} wrapperStyle={{ fontSize: 12, color: 'var(--text-muted)' }} />
                  {guards.map((g, i) => (
                    <Bar key={g} dataKey={`g:${g}`} name={g} stackId="g" fill={PALETTE[i % PALETTE.length]} isAnimationActive={false} />
                  ))}
                </BarChart>
              </ResponsiveContainer>
            )}
          </Panel>
          <Panel title="WAL lag" extra={<span className="muted">records behind the writer (0 on the writer)</span>} testId="chart-wal-lag">
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={rows} margin={{ top: 8, right: 10, bottom: 0, left: -18 }}>
                <CartesianGrid stroke="var(--grid)" vertical={false} />
                <XAxis dataKey="t_ms" tickFormatter={clock} stroke="var(--text-faint)" fontSize={11} tickLine={false} minTickGap={40} />
                <YAxis allowDecimals={false} stroke="var(--text-faint)" fontSize={11} tickLine={false} axisLine={false} />
                <Tooltip contentStyle={TOOLTIP} labelFormatter={(v) => clock(Number(v))} />
                <Line
                  type="stepAfter"
                  dataKey="wal_lag_records"
                  name="WAL lag"
                  stroke="var(--series-2)"
                  dot={false}
                  strokeWidth={1.6}
                  isAnimationActive={false}
                />
                <Line
                  type="stepAfter"
                  dataKey="queue_depth"
                  name="queue"
                  stroke="var(--series-6)"
                  dot={false}
                  strokeWidth={1.2}
                  isAnimationActive={false}
                />
                <Legend iconType="square" iconSize={9} wrapperStyle={{ fontSize: 12, color: 'var(--text-muted)' }} />
              </LineChart>
            </ResponsiveContainer>
          </Panel>
          <Panel title="Quarantines" extra={<span className="muted">cumulative since the host started</span>} testId="chart-quarantines">
            <ResponsiveContainer width="100%" height="100%">
              <LineChart data={rows} margin={{ top: 8, right: 10, bottom: 0, left: -18 }}>
                <CartesianGrid stroke="var(--grid)" vertical={false} />
                <XAxis dataKey="t_ms" tickFormatter={clock} stroke="var(--text-faint)" fontSize={11} tickLine={false} minTickGap={40} />
                <YAxis allowDecimals={false} stroke="var(--text-faint)" fontSize={11} tickLine={false} axisLine={false} />
                <Tooltip contentStyle={TOOLTIP} labelFormatter={(v) => clock(Number(v))} />
                <Line
                  type="stepAfter"
                  dataKey="quarantine_total"
                  name="quarantines"
                  stroke="var(--series-3)"
                  dot={false}
                  strokeWidth={1.6}
                  isAnimationActive={false}
                />
              </LineChart>
            </ResponsiveContainer>
          </Panel>
        </div>
      )}
    </div>
  );
}

function Tile({
  label,
  value,
  sub,
  tone,
  testId,
}: {
  label: string;
  value: string;
  sub: string;
  tone?: 'warn' | 'danger';
  testId: string;
}) {
  return (
    <div className={`mx-tile${tone ? ` tone-${tone}` : ''}`} data-testid={testId}>
      <div className="mx-tile-label">{label}</div>
      <div className="mx-tile-value mono">{value}</div>
      <div className="mx-tile-sub">{sub}</div>
    </div>
  );
}
