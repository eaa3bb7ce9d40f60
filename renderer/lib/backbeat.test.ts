// actionWindow: the one "which window and how long" that the signing dialog, the Actions
// row and the BACKBEAT strip all show.
import { describe, expect, it } from 'vitest';
import { actionWindow } from './backbeat';

const schedule = {
  epoch_ms: 0,
  period_ms: 10_000,
  windows: { review: [5000, 7500] as [number, number], reverb: [7500, 10000] as [number, number] },
};
const APPROVE = ['review', 'reverb'];

describe('actionWindow', () => {
  it("open in review: the beat's window id and the time until the approval window (review, then reverb) closes", () => {
    const w = actionWindow(schedule, APPROVE, 36_000);
    expect(w).toMatchObject({ beat: 3, open: true, open_class: 'review', countdown_ms: 4000, label: 'review open · closes in 0:04' });
    expect(w.window_id).toMatch(/W-3$/);
  });

  it("in reverb, the same close time; closed, the time until review opens, in the same beat's id", () => {
    expect(actionWindow(schedule, APPROVE, 38_000)).toMatchObject({
      open_class: 'reverb',
      countdown_ms: 2000,
      label: 'reverb open · closes in 0:02',
    });
    const closed = actionWindow(schedule, APPROVE, 41_000);
    expect(closed).toMatchObject({ beat: 4, open: false, open_class: null, countdown_ms: 4000, label: 'closed · opens in 0:04' });
    expect(closed.window_id).toMatch(/W-4$/);
  });
});
