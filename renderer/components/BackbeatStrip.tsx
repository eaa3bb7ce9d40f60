// BACKBEAT strip: the current beat drawn as a track (one period), its windows as bands,
// a needle at the console's clock, and countdowns to each window's next edge. Display
// only: the reducer judges windows from each proposal's HLC, never from this clock.

import { useEffect, useState } from 'react';
import { useCursor } from '../state/cursor';
import { beatView, formatCountdown } from '../lib/backbeat';
import { formatInt } from '../lib/format';
import { useLive } from '../state/context';

const TICK_MS = 250;

export function BackbeatStrip() {
  const cursor = useCursor();
  const live = useLive();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), TICK_MS);
    return () => clearInterval(t);
  }, []);
  const s = live.head?.state;
  if (!s) return <div className="backbeat" />;
  const schedule = s.execution.backbeat;
  const v = beatView(schedule, now);
  const exec = s.execution;
  // Approvals count in the beat of the last gated transition (the reducer's beat, by HLC).
  const approvals = exec.beat === null ? 0 : exec.approvals.filter((a) => a.beat === exec.beat).length;
  const travelHlc = cursor.index !== null ? cursor.frame?.at.hlc ?? null : null;

  return (
    <div className="backbeat" data-testid="backbeat">
      <div className="bb-title">
        <span className="bb-label">BACKBEAT</span>
        <span className="bb-beat mono" title={v.window_id}>beat {formatInt(v.beat)}</span>
      </div>
      <div className="bb-track" role="img" aria-label={`beat ${v.beat} at ${(v.offset_bp / 100).toFixed(0)}% of ${schedule.period_ms / 1000}s`}>
        {v.windows.map((w) => (
          <div
            key={w.cls}
            className={`bb-window bb-${w.cls}${w.open ? ' is-open' : ''}`}
            style={{ left: `${w.from_bp / 100}%`, width: `${(w.to_bp - w.from_bp) / 100}%` }}
            title={`${w.cls}: [${w.from_bp}, ${w.to_bp}) bp`}
          >
            <span>{w.cls}</span>
          </div>
        ))}
        <div className="bb-needle" style={{ left: `${v.offset_bp / 100}%` }} />
      </div>
      <div className="bb-windows">
        {v.windows.map((w) => (
          <span key={w.cls} className={`bb-chip${w.open ? ' is-open' : ''} bb-chip-${w.cls}`} data-testid={`window-${w.cls}`}>
            <span className="bb-chip-name">{w.cls}</span>
            <span className="bb-chip-state">{w.open ? 'open' : 'opens in'}</span>
            <span className="bb-chip-time mono">{w.open ? `closes ${formatCountdown(w.countdown_ms)}` : formatCountdown(w.countdown_ms)}</span>
          </span>
        ))}
      </div>
      <div className="bb-exec">
        <span className="bb-label">EXECUTION</span>
        <span className="bb-exec-phase">{exec.phase ?? '—'}</span>
        <span className="bb-exec-meta" title="approvals recorded in the beat of the last gated transition / quorum threshold">
          approvals {approvals}/{s.council.threshold}{exec.window_id ? ` in ${exec.window_id.replace('backbeat:', '')}` : ''} · loop {exec.loop}
        </span>
      </div>
      {travelHlc && <div className="bb-travel mono" title="HLC of the record at the cursor">cursor {travelHlc}</div>}
    </div>
  );
}
