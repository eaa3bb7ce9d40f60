// The BACKBEAT strip's model: where the current beat is and which windows are open, from
// the schedule in the state document and the console's own wall clock (display only; the
// reducer judges windows from each proposal's HLC).

import { beatPosition, checkWindow, inInterval, nextOpening_ms, type Schedule } from '../../core/window';

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

/** ms until the open window closes (through adjoining windows of the same action), or until one of the classes next opens. */
export function windowCountdown(
  schedule: Schedule,
  beat: number,
  classes: readonly string[],
  open: boolean,
  now_ms: number,
): number | null {
  const spans = classes.map((c) => schedule.windows[c]).filter((w): w is [number, number] => Array.isArray(w));
  if (spans.length === 0) return null;
  if (!open) {
    const next = Math.min(...classes.map((c) => nextOpening_ms(schedule, c, now_ms) ?? Infinity));
    return Number.isFinite(next) ? next - now_ms : null;
  }
  const beatStart_ms = schedule.epoch_ms + beat * schedule.period_ms;
  const offset_bp = Math.floor(((now_ms - beatStart_ms) * 10000) / schedule.period_ms);
  let end_bp = spans.find((w) => offset_bp >= w[0] && offset_bp < w[1])?.[1] ?? Math.max(...spans.map((w) => w[1]));
  // Bounded: each pass moves end_bp to a later span's end, so at most one pass per span.
  for (let i = 0; i < spans.length; i += 1) {
    const adjoining = spans.find((w) => w[0] === end_bp);
    if (!adjoining) break;
    end_bp = adjoining[1];
  }
  return beatStart_ms + Math.ceil((end_bp * schedule.period_ms) / 10000) - now_ms;
}

/** "Which window and how long" for an action gated by `classes`, at the console's clock. */
export interface ActionWindow {
  /** The beat's window id (`W-<beat>`), the one a proposal stamped now would carry. */
  window_id: string;
  beat: number;
  open: boolean;
  open_class: string | null;
  /** Open: ms until the action's windows close (review runs into reverb). Closed: until one opens. */
  countdown_ms: number | null;
  /** `review open · closes in 0:24` or `closed · opens in 0:14`. */
  label: string;
}

/**
 * The one source of truth for an action's window: the signing dialog, the Actions row and
 * the BACKBEAT strip all show this, so their window ids and countdowns agree (they used to
 * mix the proposal's stamp, the last gated record and single-class countdowns).
 */
export function actionWindow(schedule: Schedule, classes: readonly string[], now_ms: number): ActionWindow {
  const c = checkWindow(schedule, classes, now_ms);
  const countdown_ms = windowCountdown(schedule, c.position.beat, classes, c.open, now_ms);
  const when = countdown_ms === null ? '' : ` · ${c.open ? 'closes' : 'opens'} in ${formatCountdown(countdown_ms)}`;
  const label = `${c.open ? `${c.open_class} open` : 'closed'}${when}`;
  return { window_id: c.position.window_id, beat: c.position.beat, open: c.open, open_class: c.open_class, countdown_ms, label };
}
