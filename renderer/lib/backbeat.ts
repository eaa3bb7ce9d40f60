// The BACKBEAT strip's model: where the current beat is and which windows are open, from
// the schedule in the state document and the console's own wall clock (display only; the
// reducer judges windows from each proposal's HLC).

import { beatPosition, inInterval, nextOpening_ms, type Schedule } from '../../core/window';

export interface WindowView {
  cls: string;
  from_bp: number;
  to_bp: number;
  open: boolean;
  /** Open: ms until it closes. Closed: ms until it next opens (null if never). */
  countdown_ms: number | null;
}

export interface BeatView {
  beat: number;
  offset_bp: number;
  period_ms: number;
  window_id: string;
  windows: WindowView[];
}

export function beatView(schedule: Schedule, now_ms: number): BeatView {
  const pos = beatPosition(schedule, now_ms);
  const windows = Object.entries(schedule.windows)
    .map(([cls, [from_bp, to_bp]]): WindowView => {
      const open = pos.beat >= 0 && inInterval(schedule, pos.offset_ms, [from_bp, to_bp]);
      let countdown_ms: number | null;
      if (open) {
        const close_ms = schedule.epoch_ms + pos.beat * schedule.period_ms + Math.ceil((to_bp * schedule.period_ms) / 10000);
        countdown_ms = close_ms - now_ms;
      } else {
        const next = nextOpening_ms(schedule, cls, now_ms);
        countdown_ms = next === null ? null : next - now_ms;
      }
      return { cls, from_bp, to_bp, open, countdown_ms };
    })
    .sort((a, b) => a.from_bp - b.from_bp);
  return { beat: pos.beat, offset_bp: pos.offset_bp, period_ms: schedule.period_ms, window_id: pos.window_id, windows };
}

/** `m:ss` (or `h:mm:ss`), for countdowns. */
export function formatCountdown(ms: number | null): string {
  if (ms === null) return '—';
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const ss = String(s).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`;
}
