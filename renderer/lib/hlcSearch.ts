// Jump-to-HLC: the first WAL index whose HLC is at or after a target, by binary search
// over single-record reads (≈20 requests for a million records). The WAL is in HLC order
// (the reducer refuses hlc_regression), which is what makes the search valid.

import { compareHlc, parseHlc, parseUtcMs, type Hlc } from '../../core/hlc';

/** `2026-…+00:00#3`, `2026-…Z` (counter 0), or epoch ms. Null if none of these. */
export function parseHlcTarget(text: string): Hlc | null {
  const t = text.trim();
  const h = parseHlc(t);
  if (h) return h;
  const ms = parseUtcMs(t);
  if (ms !== null) return { wall_ms: ms, counter: 0 };
  if (/^\d{10,15}$/.test(t)) return { wall_ms: Number(t), counter: 0 };
  return null;
}

/** Smallest index in [1, head] with hlc ≥ target, or null if every record is earlier. */
export async function findIndexAtHlc(target: Hlc, head: number, hlcAt: (index: number) => Promise<string | null>, steps_max = 64): Promise<number | null> {
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
