// BACKBEAT windows (docs/protocol.md §4): a pure function of the schedule in state and a wall
// time taken from the proposal's HLC. The reducer never reads a clock.

import type { Genesis } from './types';

export type Schedule = Genesis['backbeat'];

export interface BeatPosition {
  /** n = floor((wall_ms - epoch_ms) / period_ms); negative before the epoch. */
  beat: number;
  /** Offset into the beat, ms. */
  offset_ms: number;
  /** Offset in basis points of the period, rounded down (for display and reasons). */
  offset_bp: number;
  window_id: string;
}

export function beatPosition(schedule: Schedule, wall_ms: number): BeatPosition {
  const since_ms = wall_ms - schedule.epoch_ms;
  const beat = Math.floor(since_ms / schedule.period_ms);
  const offset_ms = since_ms - beat * schedule.period_ms;
  const offset_bp = Math.floor((offset_ms * 10000) / schedule.period_ms);
  return { beat, offset_ms, offset_bp, window_id: `backbeat:W-${beat}` };
}

/** True when `offset_ms` lies in [from_bp, to_bp) of the period, in exact integer arithmetic. */
export function inInterval(schedule: Schedule, offset_ms: number, interval: readonly [number, number]): boolean {
  const scaled = offset_ms * 10000;
  return scaled >= interval[0] * schedule.period_ms && scaled < interval[1] * schedule.period_ms;
}

export interface WindowCheck {
  open: boolean;
  /** The first class whose window is open, or null. */
  open_class: string | null;
  position: BeatPosition;
  reasons: string[];
}

/** window.isOpen over one or more classes (docs/protocol.md §4, §6). */
export function checkWindow(schedule: Schedule, classes: readonly string[], wall_ms: number): WindowCheck {
  const position = beatPosition(schedule, wall_ms);
  const reasons: string[] = [];
  for (const cls of classes) {
    const interval = schedule.windows[cls];
    if (!interval) {
      reasons.push(`no ${cls} window in the schedule`);
      continue;
    }
    if (position.beat >= 0 && inInterval(schedule, position.offset_ms, interval)) {
      reasons.push(`${cls} window open: beat ${position.beat} at ${position.offset_bp} bp in [${interval[0]}, ${interval[1]})`);
      return { open: true, open_class: cls, position, reasons };
    }
    reasons.push(`${cls} window closed: beat ${position.beat} at ${position.offset_bp} bp, window is [${interval[0]}, ${interval[1]})`);
  }
  return { open: false, open_class: null, position, reasons };
}

/** Start (ms) of the next opening of `cls` at or after `wall_ms`, or null if no such window. */
export function nextOpening_ms(schedule: Schedule, cls: string, wall_ms: number): number | null {
  const interval = schedule.windows[cls];
  if (!interval) return null;
  const { beat, offset_ms } = beatPosition(schedule, Math.max(wall_ms, schedule.epoch_ms));
  const beatStart_ms = schedule.epoch_ms + beat * schedule.period_ms;
  const from_ms = Math.ceil((interval[0] * schedule.period_ms) / 10000);
  if (inInterval(schedule, offset_ms, interval)) return Math.max(wall_ms, beatStart_ms + from_ms);
  if (offset_ms < from_ms) return beatStart_ms + from_ms;
  return beatStart_ms + schedule.period_ms + from_ms;
}
