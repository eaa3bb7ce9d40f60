// Hybrid logical clock, docs/protocol.md §3; Kulkarni, Demirbas et al., "Logical Physical Clocks
// and Consistent Snapshots in Globally Distributed Databases" (2014).
//
// Pure: time enters only through the injected Clock (the host passes the real one, tests
// and simulations a ManualClock). Calendar arithmetic is done by hand (Hinnant's
// days-from-civil), so nothing depends on the local time zone.
import { compareUtf8 } from './canonical';

export interface Hlc {
  wall_ms: number;
  counter: number;
}

export interface Clock {
  now_ms(): number;
}

/** 1970-01-01T00:00:00.000 .. 9999-12-31T23:59:59.999 (UTC), the range of the text form. */
export const HLC_WALL_MS_MIN = 0;
export const HLC_WALL_MS_MAX = 253_402_300_799_999;
/**
 * The largest counter the text form may carry (2^32 − 1). A counter only grows while many
 * events share one wall ms, so real clocks stay far below it; a bound at parse time keeps
 * a hostile proposal from parking the server's clock at the edge of the safe-integer
 * range (docs/decisions/0100-hlc-counter-bound.md).
 */
export const HLC_COUNTER_MAX = 4_294_967_295;

const MS_PER_DAY = 86_400_000;

// Accepts `+00:00` or `Z`; counter: decimal, no leading zeros, at most 10 digits (then range-checked).
const HLC_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})(?:\+00:00|Z)#(0|[1-9]\d{0,9})$/;
const UTC_PATTERN = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{3})(?:\+00:00|Z)$/;

function isLeapYear(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

function daysInMonth(y: number, m: number): number {
  if (m === 2) return isLeapYear(y) ? 29 : 28;
  return m === 4 || m === 6 || m === 9 || m === 11 ? 30 : 31;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (month 1..12). */
function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** Inverse of daysFromCivil: [year, month 1..12, day 1..31]. */
function civilFromDays(days: number): [number, number, number] {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return [yoe + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

/** ms since the epoch from the 7 captured date/time fields, or null if not a real UTC instant in range. */
function wallFromFields(fields: readonly string[]): number | null {
  const [year, month, day, hour, minute, second, ms] = fields.map(Number) as [number, number, number, number, number, number, number];
  if (year < 1970 || year > 9999) return null;
  if (month < 1 || month > 12) return null;
  if (day < 1 || day > daysInMonth(year, month)) return null;
  // No leap seconds: :60 is rejected (the epoch-ms timeline has none).
  if (hour > 23 || minute > 59 || second > 59) return null;
  return daysFromCivil(year, month, day) * MS_PER_DAY + ((hour * 60 + minute) * 60 + second) * 1000 + ms;
}

/** `YYYY-MM-DDTHH:MM:SS.mmm` followed by `+00:00` or `Z` → epoch ms, or null. */
export function parseUtcMs(text: string): number | null {
  if (typeof text !== 'string') return null;
  const m = UTC_PATTERN.exec(text);
  return m === null ? null : wallFromFields(m.slice(1, 8));
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0');
}

/** Epoch ms → `YYYY-MM-DDTHH:MM:SS.mmm+00:00`. Throws RangeError outside 1970..9999. */
export function formatUtcMs(wall_ms: number): string {
  if (!Number.isSafeInteger(wall_ms) || wall_ms < HLC_WALL_MS_MIN || wall_ms > HLC_WALL_MS_MAX) {
    throw new RangeError(`wall_ms out of range: ${wall_ms}`);
  }
  const days = Math.floor(wall_ms / MS_PER_DAY);
  let rest = wall_ms - days * MS_PER_DAY;
  const [year, month, day] = civilFromDays(days);
  const ms = rest % 1000;
  rest = (rest - ms) / 1000;
  const second = rest % 60;
  rest = (rest - second) / 60;
  const minute = rest % 60;
  const hour = (rest - minute) / 60;
  return `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}.${pad(ms, 3)}+00:00`;
}

export function isValidHlc(h: unknown): h is Hlc {
  if (h === null || typeof h !== 'object') return false;
  const { wall_ms, counter } = h as Partial<Hlc>;
  return (
    typeof wall_ms === 'number' &&
    Number.isSafeInteger(wall_ms) &&
    wall_ms >= HLC_WALL_MS_MIN &&
    wall_ms <= HLC_WALL_MS_MAX &&
    typeof counter === 'number' &&
    Number.isSafeInteger(counter) &&
    counter >= 0 &&
    counter <= HLC_COUNTER_MAX
  );
}

function assertHlc(h: Hlc, what: string): void {
  if (!isValidHlc(h)) throw new RangeError(`${what} is not a valid HLC: ${JSON.stringify(h)}`);
}

function assertPhysical(physical_ms: number): void {
  if (!Number.isSafeInteger(physical_ms) || physical_ms < 0) {
    throw new RangeError(`physical time must be a non-negative integer ms, got ${physical_ms}`);
  }
}

/** Strict parse of `YYYY-MM-DDTHH:MM:SS.mmm+00:00#<counter>` (`Z` also accepted). */
export function parseHlc(text: string): Hlc | null {
  if (typeof text !== 'string' || text.length > 48) return null;
  const m = HLC_PATTERN.exec(text);
  if (m === null) return null;
  const wall_ms = wallFromFields(m.slice(1, 8));
  if (wall_ms === null) return null;
  const counter = Number(m[8]);
  if (counter > HLC_COUNTER_MAX) return null;
  return { wall_ms, counter };
}

/** Text form, always with `+00:00`. Throws RangeError for an invalid Hlc. */
export function formatHlc(h: Hlc): string {
  assertHlc(h, 'formatHlc argument');
  return `${formatUtcMs(h.wall_ms)}#${h.counter}`;
}

export function compareHlc(a: Hlc, b: Hlc): -1 | 0 | 1 {
  if (a.wall_ms !== b.wall_ms) return a.wall_ms < b.wall_ms ? -1 : 1;
  if (a.counter !== b.counter) return a.counter < b.counter ? -1 : 1;
  return 0;
}

/**
 * The smallest HLC strictly after (wall_ms, counter). A full counter carries into the
 * wall time (one ms later, counter 0), which keeps the order total and never throws; at
 * the very end of the range the clock saturates there (a year-9999 clock has nowhere to
 * go, and refusing to tick beats taking the writer down).
 */
function successor(wall_ms: number, counter: number): Hlc {
  if (counter < HLC_COUNTER_MAX) return { wall_ms, counter: counter + 1 };
  if (wall_ms < HLC_WALL_MS_MAX) return { wall_ms: wall_ms + 1, counter: 0 };
  return { wall_ms, counter };
}

/**
 * Kulkarni send / local event: l' = max(l, pt); c' = (l' == l) ? c + 1 : 0.
 * The result is strictly greater than `last` (except at the saturated end of the range).
 */
export function hlcSend(last: Hlc, physical_ms: number): Hlc {
  assertHlc(last, 'last');
  assertPhysical(physical_ms);
  if (physical_ms > last.wall_ms) return { wall_ms: Math.min(physical_ms, HLC_WALL_MS_MAX), counter: 0 };
  return successor(last.wall_ms, last.counter);
}

/**
 * Kulkarni receive: l' = max(l, l_m, pt); c' = max(c, c_m) + 1 when l' == l == l_m,
 * c + 1 when only l' == l, c_m + 1 when only l' == l_m, else 0.
 * The result is strictly greater than both `last` and `remote` (except at the saturated end
 * of the range); a full counter carries into the wall time instead of throwing.
 */
export function hlcReceive(last: Hlc, remote: Hlc, physical_ms: number): Hlc {
  assertHlc(last, 'last');
  assertHlc(remote, 'remote');
  assertPhysical(physical_ms);
  const wall_ms = Math.min(Math.max(last.wall_ms, remote.wall_ms, physical_ms), HLC_WALL_MS_MAX);
  if (wall_ms === last.wall_ms && wall_ms === remote.wall_ms) return successor(wall_ms, Math.max(last.counter, remote.counter));
  if (wall_ms === last.wall_ms) return successor(wall_ms, last.counter);
  if (wall_ms === remote.wall_ms) return successor(wall_ms, remote.counter);
  return { wall_ms, counter: 0 };
}

/** How far h's wall time is ahead of the physical clock (negative when behind). */
export function aheadBy_ms(h: Hlc, physical_ms: number): number {
  return h.wall_ms - physical_ms;
}

/** True when h is more than max_drift_ms ahead of physical_ms (docs/protocol.md §3 `hlc_from_future`). */
export function isBeyondDrift(h: Hlc, physical_ms: number, max_drift_ms: number): boolean {
  return aheadBy_ms(h, physical_ms) > max_drift_ms;
}

/** A settable clock: plain data, for tests and simulations. */
export class ManualClock implements Clock {
  private ms: number;

  constructor(start_ms = 0) {
    this.ms = ManualClock.check(start_ms);
  }

  private static check(ms: number): number {
    if (!Number.isFinite(ms)) throw new RangeError(`clock time must be finite, got ${ms}`);
    return ms;
  }

  now_ms(): number {
    return this.ms;
  }

  /** Jump to ms (may move backwards, to simulate a skewed or corrected clock). */
  set(ms: number): void {
    this.ms = ManualClock.check(ms);
  }

  advance(ms: number): void {
    this.ms = ManualClock.check(this.ms + ms);
  }
}

/** A node's HLC: the Kulkarni rules over an injected physical Clock. */
export class HlcClock {
  private last: Hlc;
  private readonly clock: Clock;

  constructor(clock: Clock, last: Hlc = { wall_ms: 0, counter: 0 }) {
    assertHlc(last, 'initial HLC');
    this.clock = clock;
    this.last = { wall_ms: last.wall_ms, counter: last.counter };
  }

  private physical(): number {
    // Host clocks may report fractional ms; HLC wall time is integer ms.
    return Math.floor(this.clock.now_ms());
  }

  /** Timestamp for a send or local event; strictly greater than every earlier result. */
  now(): Hlc {
    this.last = hlcSend(this.last, this.physical());
    return this.peek();
  }

  /** Merge a remote timestamp; the result is strictly greater than it and than every earlier result. */
  receive(remote: Hlc): Hlc {
    this.last = hlcReceive(this.last, remote, this.physical());
    return this.peek();
  }

  /** The last issued timestamp (a copy), without ticking. */
  peek(): Hlc {
    return { wall_ms: this.last.wall_ms, counter: this.last.counter };
  }
}

export interface OrderKey {
  hlc: Hlc;
  signer: string;
  idem_key: string;
}

/** Total order of proposals (docs/protocol.md §3): hlc, then signer and idem_key byte-wise (UTF-8). */
export function compareOrderKey(a: OrderKey, b: OrderKey): -1 | 0 | 1 {
  return compareHlc(a.hlc, b.hlc) || compareUtf8(a.signer, b.signer) || compareUtf8(a.idem_key, b.idem_key);
}
