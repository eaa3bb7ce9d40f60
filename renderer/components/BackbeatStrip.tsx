// BACKBEAT strip: the current beat drawn as a track (one period), its windows as bands,
// a needle at the console's clock, and countdowns to each window's next edge. Display
// only: the reducer judges windows from each proposal's HLC, never from this clock.

import { useNow } from '../state/clock';
import { useCursor } from '../state/cursor';
import { actionWindow, beatView, formatCountdown } from '../lib/backbeat';
import { formatInt } from '../lib/format';
import { useConsole, useLive } from '../state/context';

export function BackbeatStrip() {
  const cursor = useCursor();
  const live = useLive();
  const { spec } = useConsole();
  const now = useNow();
  const s = live.head?.state;
  if (!s) return <div className="backbeat" />;
  const schedule = s.execution.backbeat;
  const v = beatView(schedule, now);
  const exec = s.execution;
  // One source of truth with the Actions row and the dialog: the approval window now, its
  // beat's approvals (not the last gated record's window, which lags a beat behind).
  const approve = actionWindow(schedule, spec.transitions.Execution_Approve?.window ?? [], now);
  const approvals = exec.approvals.filter((a) => a.beat === approve.beat).length;
  const travelHlc = cursor.index !== null ? (cursor.frame?.at.hlc ?? null) : null;

  return (
    <div className="backbeat" data-testid="backbeat">
      <div className="bb-title">
        <span className="bb-label">BACKBEAT</span>
        <span className="bb-beat mono" title={v.window_id}>
          beat {formatInt(v.beat)}
        </span>
      </div>
      <div
        className="bb-track"
        role="img"
        aria-label={`beat ${v.beat} at ${(v.offset_bp / 100).toFixed(0)}% of ${schedule.period_ms / 1000}s`}
      >
        {v.windows.map((w) => (
          <div
            key={w.cls}
            className={`bb-window bb-${w.cls}${w.open ? ' is-open' : ''}`}
            style={{ left: `${w.from_bp / 100}%`, width: `${(w.to_bp - w.from_bp) / 100}%` }}
            title={`${w.cls}: [${w.from_bp}, ${w.to_bp}) bp (this class alone)`}
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
            <span className="bb-chip-time mono">
              {w.open ? `closes ${formatCountdown(w.countdown_ms)}` : formatCountdown(w.countdown_ms)}
            </span>
          </span>
        ))}
      </div>
      <div className="bb-exec">
        <span className="bb-label">EXECUTION</span>
        <span className="bb-exec-phase">{exec.phase ?? '—'}</span>
        <span
          className="bb-exec-meta"
          title="approvals this beat / threshold, and the approval window (review then reverb), as the Actions view and the signing dialog show it"
          data-testid="bb-approve"
        >
          approvals {approvals}/{s.council.threshold} in {approve.window_id.replace('backbeat:', '')} · approve: {approve.label} · loop{' '}
          {exec.loop}
        </span>
      </div>
      {travelHlc && (
        <div className="bb-travel mono" title="HLC of the record at the cursor">
          cursor {travelHlc}
        </div>
      )}
    </div>
  );
}
