// Guard rejections: the rejections log (GET /rejections, paged, newest kept, bounded),
// a stacked chart of rejections over time by failing guard (or code), totals by code, and
// a virtualized table. Refreshes on every `rejected` event (coalesced).

import { useVirtualizer } from '@tanstack/react-virtual';
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { RejectionRow } from '../api/ConsoleApi';
import { describeError } from '../api/ConsoleApi';
import { Chip, Empty, Panel } from '../components/ui';
import { formatInt, nameSigners, shortHlc, signerName } from '../lib/format';
import { bucketize, countBy } from '../lib/rejections';
import { useConsole, useLive } from '../state/context';

const PAGE = 1000;
const ROWS_MAX = 20_000;
const PAGES_PER_REFRESH = 20;
const ROW_H = 26;

/** Stable, distinguishable series colours (CSS variables, so both themes work). */
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

function timeLabel(ms: number, width_ms: number): string {
  const d = new Date(ms);
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  const ss = String(d.getUTCSeconds()).padStart(2, '0');
  return width_ms >= 60_000 ? `${hh}:${mm}` : `${hh}:${mm}:${ss}`;
}

export function RejectionsView() {
  const { api } = useConsole();
  const live = useLive();
  const [rows, setRows] = useState<RejectionRow[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<RejectionRow | null>(null);
  const nextId = useRef(0);
  const busy = useRef(false);
  const again = useRef(false);

  const refresh = useCallback(async () => {
    if (busy.current) {
      again.current = true;
      return;
    }
    busy.current = true;
    try {
      do {
        again.current = false;
        const fresh: RejectionRow[] = [];
        for (let i = 0; i < PAGES_PER_REFRESH; i += 1) {
          const page = await api.getRejections(nextId.current, PAGE);
          fresh.push(...page.rejections);
          const lastRow = page.rejections[page.rejections.length - 1];
          if (lastRow) nextId.current = lastRow.id + 1;
          if (page.count < PAGE) break;
        }
        if (fresh.length > 0) setRows((old) => [...old, ...fresh].slice(-ROWS_MAX));
        setError(null);
      } while (again.current);
    } catch (err) {
      setError(describeError(err));
    } finally {
      busy.current = false;
    }
  }, [api]);

  useEffect(() => {
    void refresh();
  }, [refresh, live.rejected]);

  const chart = useMemo(() => bucketize(rows), [rows]);
  const byCode = useMemo(() => countBy(rows, (r) => r.code), [rows]);
  const byGuard = useMemo(
    () =>
      countBy(
        rows.filter((r) => r.guard),
        (r) => r.guard as string,
      ),
    [rows],
  );
  const newestFirst = useMemo(() => [...rows].reverse(), [rows]);
  const state = live.head?.state ?? null;

  return (
    <div className="view view-rejections">
      <div className="view-head">
        <h1>Guard rejections</h1>
        <span className="view-sub">
          {formatInt(rows.length)} loaded{rows.length >= ROWS_MAX ? ` (newest ${formatInt(ROWS_MAX)})` : ''} · {live.rejected} since this
          page opened
        </span>
      </div>
      {error && <div className="inline-error">rejections: {error}</div>}
      <div className="rejections-top">
        <Panel
          title="Rejections over time"
          extra={
            chart.width_ms > 0 && (
              <span className="muted">
                per {chart.width_ms >= 60_000 ? `${chart.width_ms / 60_000} min` : `${chart.width_ms / 1000} s`} · UTC
              </span>
            )
          }
          className="chart-card"
          testId="rejections-chart"
        >
          {rows.length === 0 ? (
            <Empty>No proposal has been refused.</Empty>
          ) : (
            <ResponsiveContainer width="100%" height={220}>
              <BarChart data={chart.buckets} margin={{ top: 8, right: 8, bottom: 0, left: -18 }} barCategoryGap={1}>
                <CartesianGrid stroke="var(--grid)" vertical={false} />
                <XAxis
                  dataKey="t_ms"
                  tickFormatter={(v: number) => timeLabel(v, chart.width_ms)}
                  stroke="var(--text-faint)"
                  fontSize={11}
                  tickLine={false}
                  minTickGap={24}
                />
                <YAxis allowDecimals={false} stroke="var(--text-faint)" fontSize={11} tickLine={false} axisLine={false} />
                <Tooltip
                  cursor={{ fill: 'var(--hover)' }}
                  contentStyle={{
                    background: 'var(--panel-raised)',
                    border: '1px solid var(--border-strong)',
                    borderRadius: 6,
                    fontSize: 12,
                    color: 'var(--text)',
                  }}
                  labelFormatter={(v) => timeLabel(Number(v), chart.width_ms)}
                />
                <Legend iconType="square" iconSize={9} wrapperStyle={{ fontSize: 12, color: 'var(--text-muted)' }} />
                {chart.series.map((s, i) => (
                  <Bar key={s} dataKey={s} stackId="r" fill={PALETTE[i % PALETTE.length]} isAnimationActive={false} />
                ))}
              </BarChart>
            </ResponsiveContainer>
          )}
        </Panel>
        <Panel title="By code" className="totals-card">
          <Totals rows={byCode} />
        </Panel>
        <Panel title="By guard" className="totals-card">
          {byGuard.length === 0 ? <Empty>No guard has failed.</Empty> : <Totals rows={byGuard} />}
        </Panel>
      </div>
      <div className="rejections-bottom">
        <Panel title="Rejections log" extra={<span className="muted">newest first</span>} className="table-card">
          <RejectionTable rows={newestFirst} state={state} selected={selected} onSelect={setSelected} />
        </Panel>
        <Panel title="Detail" className="detail-card">
          {selected ? <RejectionDetail r={selected} state={state} /> : <Empty>Select a row.</Empty>}
        </Panel>
      </div>
    </div>
  );
}

function Totals({ rows }: { rows: Array<{ key: string; count: number }> }) {
  const max = Math.max(1, ...rows.map((r) => r.count));
  return (
    <ul className="totals">
      {rows.map((r) => (
        <li key={r.key}>
          <span className="totals-key">{r.key}</span>
          <span className="totals-bar">
            <i style={{ width: `${(100 * r.count) / max}%` }} />
          </span>
          <span className="totals-n mono">{formatInt(r.count)}</span>
        </li>
      ))}
    </ul>
  );
}

function RejectionTable({
  rows,
  state,
  selected,
  onSelect,
}: {
  rows: RejectionRow[];
  state: Parameters<typeof signerName>[0];
  selected: RejectionRow | null;
  onSelect: (r: RejectionRow) => void;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const v = useVirtualizer({ count: rows.length, getScrollElement: () => ref.current, estimateSize: () => ROW_H, overscan: 10 });
  if (rows.length === 0) return <Empty>Nothing refused yet.</Empty>;
  return (
    <div className="rtable" data-testid="rejections-table">
      <div className="rtable-head">
        <span className="r-id">id</span>
        <span className="r-time">received UTC</span>
        <span className="r-code">code</span>
        <span className="r-guard">guard</span>
        <span className="r-tr">transition</span>
        <span className="r-signer">signer</span>
        <span className="r-reason">reason</span>
      </div>
      <div className="rtable-scroll" ref={ref}>
        <div style={{ height: v.getTotalSize(), position: 'relative' }}>
          {v.getVirtualItems().map((it) => {
            const r = rows[it.index] as RejectionRow;
            return (
              <div
                key={r.id}
                className={`rtable-row${selected?.id === r.id ? ' is-selected' : ''}${it.index % 2 ? ' is-odd' : ''}`}
                style={{ top: it.start, height: ROW_H }}
                onClick={() => onSelect(r)}
              >
                <span className="r-id mono">{r.id}</span>
                <span className="r-time mono">{new Date(r.at_ms).toISOString().slice(11, 23)}</span>
                <span className="r-code">
                  <Chip
                    tone={r.code === 'guard_failed' ? 'warn' : r.code === 'quarantined' || r.code === 'terminated' ? 'danger' : 'neutral'}
                  >
                    {r.code}
                  </Chip>
                </span>
                <span className="r-guard mono">{r.guard ?? ''}</span>
                <span className="r-tr">{r.transition ?? '—'}</span>
                <span className="r-signer">{signerName(state, r.signer)}</span>
                <span className="r-reason" title={r.reason}>
                  {r.reason}
                </span>
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

function RejectionDetail({ r, state }: { r: RejectionRow; state: Parameters<typeof signerName>[0] }) {
  return (
    <div className="rdetail">
      <div className="big-name">
        {r.code}
        {r.guard ? ` · ${r.guard}` : ''}
      </div>
      <p className="reason" title={r.reason}>
        {nameSigners(r.reason, state)}
      </p>
      {r.reasons.length > 0 && (
        <ul className="reasons">
          {r.reasons.map((x, i) => (
            <li key={i} title={x}>
              {nameSigners(x, state)}
            </li>
          ))}
        </ul>
      )}
      <dl className="kv">
        <div className="kv-row">
          <dt>Transition</dt>
          <dd>{r.transition ?? '—'}</dd>
        </div>
        <div className="kv-row">
          <dt>Signer</dt>
          <dd title={r.signer ?? undefined} data-testid="rejection-signer">
            {signerName(state, r.signer)}
          </dd>
        </div>
        <div className="kv-row">
          <dt>HLC</dt>
          <dd className="mono">{shortHlc(r.hlc)}</dd>
        </div>
        <div className="kv-row">
          <dt>Idem key</dt>
          <dd className="mono">{r.idem_key ?? '—'}</dd>
        </div>
        <div className="kv-row">
          <dt>At HEAD</dt>
          <dd className="mono">#{formatInt(r.head_index)}</dd>
        </div>
      </dl>
    </div>
  );
}
