// Jump-to-HLC: the first WAL index whose HLC is at or after a target, by binary search
// over single-record reads (≈20 requests for a million records). The WAL is in HLC order
// (the reducer refuses hlc_regression), which is what makes the search valid.

import { compareHlc, parseHlc, parseUtcMs, type Hlc } from '../../core/hlc';

/** What the jump box says when it cannot read the text: every form it takes, by example. */
export const HLC_TARGET_EXAMPLES =
  'an index (1234), a time as shown (06:48:30.295 #1, 2026-12-03 06:48:30.295 #1, 2026-12-03T06:48:30), a full HLC or epoch ms';

/** A time as the console shows it: optional date (`T` or space), h:m[:s[.ms]], optional Z/+00:00, optional `#n`. */
const SHOWN_TIME =
  /^(?:(\d{4})-(\d{2})-(\d{2})[T ]\s*)?(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?\s*(?:Z|\+00:00|UTC)?\s*(?:#\s*(\d+))?$/;

/**
 * A jump target, in any form the console displays: a full HLC (`2026-…+00:00#3`), an ISO
 * time (`…Z`), epoch ms, or the short forms of the timeline and header (`06:48:30.295 #1`,
 * `2026-12-03 06:48:30.295 #1`, `2026-12-03T06:48:30`). Times are UTC, as displayed; a time
 * without a date takes the date of `ref_ms` (the head record's time: what the view shows).
 * Null if none of these.
 */
export function parseHlcTarget(text: string, ref_ms: number = 0): Hlc | null {
  const t = text.trim();
  const h = parseHlc(t);
  if (h) return h;
  const ms = parseUtcMs(t);
  if (ms !== null) return { wall_ms: ms, counter: 0 };
  if (/^\d{10,15}$/.test(t)) return { wall_ms: Number(t), counter: 0 };
  return parseShownTime(t, ref_ms);
}

function parseShownTime(t: string, ref_ms: number): Hlc | null {
  const m = SHOWN_TIME.exec(t);
  if (!m) return null;
  const n = (i: number, dflt: number) => (m[i] === undefined ? dflt : Number(m[i]));
  const ref = new Date(ref_ms);
  const [year, month, day] =
    m[1] === undefined ? [ref.getUTCFullYear(), ref.getUTCMonth() + 1, ref.getUTCDate()] : [n(1, 0), n(2, 0), n(3, 0)];
  const [hour, minute, second] = [n(4, 0), n(5, 0), n(6, 0)];
  const milli = m[7] === undefined ? 0 : Number(m[7].padEnd(3, '0'));
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 59) return null;
  const wall_ms = Date.UTC(year, month - 1, day, hour, minute, second, milli);
  // Date.UTC rolls 02-31 over into March: refuse a day the month does not have.
  if (new Date(wall_ms).getUTCDate() !== day) return null;
  return { wall_ms, counter: n(8, 0) };
}

/** Smallest index in [1, head] with hlc ≥ target, or null if every record is earlier. */
export async function findIndexAtHlc(
  target: Hlc,
  head: number,
  hlcAt: (index: number) => Promise<string | null>,
  steps_max = 64,
): Promise<number | null> {
  let lo = 1;
  let hi = head;
  let found: number | null = null;
  for (let step = 0; lo <= hi && step < steps_max; step += 1) {
    const mid = Math.floor((lo + hi) / 2);
    const text = await hlcAt(mid);
    const h = text === null ? null : parseHlc(text);
    if (h === null) return null;
    if (compareHlc(h, target) >= 0) {
      found = mid;
      hi = mid - 1;
    } else {
      lo = mid + 1;
    }
  }
  return found;
}
