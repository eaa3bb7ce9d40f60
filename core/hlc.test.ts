import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  HLC_COUNTER_MAX,
  HLC_WALL_MS_MAX,
  HlcClock,
  ManualClock,
  aheadBy_ms,
  compareHlc,
  compareOrderKey,
  formatHlc,
  formatUtcMs,
  hlcReceive,
  hlcSend,
  isBeyondDrift,
  isValidHlc,
  parseHlc,
  parseUtcMs,
} from './hlc';
import type { Hlc, OrderKey } from './hlc';

const hlcArb = fc.record({
  wall_ms: fc.integer({ min: 0, max: HLC_WALL_MS_MAX }),
  counter: fc.oneof(fc.nat({ max: 1000 }), fc.nat({ max: HLC_COUNTER_MAX }), fc.constant(HLC_COUNTER_MAX)),
});

describe('parseHlc / formatHlc', () => {
  it('parses the contract example', () => {
    const h = parseHlc('2026-11-22T01:23:45.678+00:00#0');
    expect(h).toEqual({ wall_ms: Date.UTC(2026, 10, 22, 1, 23, 45, 678), counter: 0 });
    expect(formatHlc(h!)).toBe('2026-11-22T01:23:45.678+00:00#0');
  });

  it('accepts Z on input, always writes +00:00', () => {
    const h = parseHlc('2026-01-01T00:00:00.000Z#17');
    expect(h).toEqual({ wall_ms: 1767225600000, counter: 17 });
    expect(formatHlc(h!)).toBe('2026-01-01T00:00:00.000+00:00#17');
  });

  it('range ends', () => {
    expect(parseHlc('1970-01-01T00:00:00.000+00:00#0')).toEqual({ wall_ms: 0, counter: 0 });
    expect(parseHlc('9999-12-31T23:59:59.999+00:00#4294967295')).toEqual({
      wall_ms: HLC_WALL_MS_MAX,
      counter: HLC_COUNTER_MAX,
    });
    // Past the counter bound: refused at parse time (a signed proposal carrying it once
    // crashed the writer in hlcReceive).
    expect(parseHlc('2026-01-01T00:00:00.000+00:00#4294967296')).toBeNull();
    expect(parseHlc('2026-01-01T00:00:00.000+00:00#9007199254740991')).toBeNull();
    expect(parseHlc('2026-01-01T00:00:00.000+00:00#99999999999')).toBeNull();
    expect(HLC_WALL_MS_MAX).toBe(Date.UTC(9999, 11, 31, 23, 59, 59, 999));
  });

  it('validates the calendar (leap years)', () => {
    expect(parseHlc('2024-02-29T00:00:00.000+00:00#0')).not.toBeNull();
    expect(parseHlc('2000-02-29T00:00:00.000+00:00#0')).not.toBeNull();
    expect(parseHlc('2023-02-29T00:00:00.000+00:00#0')).toBeNull();
    expect(parseHlc('1900-02-29T00:00:00.000+00:00#0')).toBeNull(); // also < 1970
    expect(parseHlc('2100-02-29T00:00:00.000+00:00#0')).toBeNull();
    expect(parseHlc('2026-02-30T00:00:00.000+00:00#0')).toBeNull();
    expect(parseHlc('2026-04-31T00:00:00.000+00:00#0')).toBeNull();
    expect(parseHlc('2026-12-31T00:00:00.000+00:00#0')).not.toBeNull();
  });

  it('rejects malformed text', () => {
    for (const bad of [
      '',
      '2026-11-22T01:23:45.678+00:00',
      '2026-11-22T01:23:45.678+00:00#',
      '2026-11-22T01:23:45.678+00:00#01',
      '2026-11-22T01:23:45.678+00:00#-1',
      '2026-11-22T01:23:45.678+00:00#1.5',
      '2026-11-22T01:23:45.678+00:00#1e3',
      '2026-11-22T01:23:45.678+00:00#9007199254740992',
      '2026-11-22T01:23:45.678+00:00#99999999999999999',
      '2026-11-22T01:23:45.678+01:00#0',
      '2026-11-22T01:23:45.678-00:00#0',
      '2026-11-22T01:23:45.678z#0',
      '2026-11-22T01:23:45+00:00#0',
      '2026-11-22T01:23:45.67+00:00#0',
      '2026-11-22T01:23:45.6789+00:00#0',
      '2026-11-22 01:23:45.678+00:00#0',
      '2026-11-22t01:23:45.678+00:00#0',
      '26-11-22T01:23:45.678+00:00#0',
      '+2026-11-22T01:23:45.678+00:00#0',
      '1969-12-31T23:59:59.999+00:00#0',
      '2026-13-01T00:00:00.000+00:00#0',
      '2026-00-01T00:00:00.000+00:00#0',
      '2026-01-00T00:00:00.000+00:00#0',
      '2026-01-01T24:00:00.000+00:00#0',
      '2026-01-01T23:60:00.000+00:00#0',
      '2026-01-01T23:59:60.000+00:00#0',
      ' 2026-11-22T01:23:45.678+00:00#0',
      '2026-11-22T01:23:45.678+00:00#0\n',
      '２026-11-22T01:23:45.678+00:00#0',
      '2026-11-22T01:23:45.678+00:00#٣',
    ]) {
      expect(parseHlc(bad), JSON.stringify(bad)).toBeNull();
    }
    expect(parseHlc(42 as unknown as string)).toBeNull();
  });

  it('round-trips (property) and agrees with Date', () => {
    fc.assert(
      fc.property(hlcArb, (h) => {
        const t = formatHlc(h);
        expect(t).toBe(`${new Date(h.wall_ms).toISOString().replace('Z', '+00:00')}#${h.counter}`);
        expect(parseHlc(t)).toEqual(h);
        expect(parseHlc(t.replace('+00:00', 'Z'))).toEqual(h);
      }),
      { numRuns: 2000 },
    );
  });

  it('parse ∘ format is the identity on accepted text (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1960, max: 10010 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.nat(99),
        (y, mo, d, n) => {
          const p2 = (x: number): string => String(x).padStart(2, '0');
          const t = `${String(y).padStart(4, '0')}-${p2(mo)}-${p2(d)}T12:00:00.000+00:00#${n}`;
          const h = parseHlc(t);
          const real = new Date(Date.UTC(y, mo - 1, d, 12));
          const valid = y >= 1970 && y <= 9999 && real.getUTCMonth() === mo - 1 && real.getUTCDate() === d;
          expect(h !== null).toBe(valid);
          if (h !== null) expect(formatHlc(h)).toBe(t);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('formatHlc rejects invalid values', () => {
    expect(() => formatHlc({ wall_ms: -1, counter: 0 })).toThrow(RangeError);
    expect(() => formatHlc({ wall_ms: 1.5, counter: 0 })).toThrow(RangeError);
    expect(() => formatHlc({ wall_ms: HLC_WALL_MS_MAX + 1, counter: 0 })).toThrow(RangeError);
    expect(() => formatHlc({ wall_ms: 0, counter: -1 })).toThrow(RangeError);
    expect(() => formatHlc({ wall_ms: 0, counter: 2 ** 53 })).toThrow(RangeError);
    expect(isValidHlc({ wall_ms: 0, counter: 0 })).toBe(true);
    expect(isValidHlc({ wall_ms: '0', counter: 0 })).toBe(false);
    expect(isValidHlc(null)).toBe(false);
  });

  it('parseUtcMs / formatUtcMs', () => {
    expect(parseUtcMs('2026-01-01T00:00:00.000Z')).toBe(1767225600000);
    expect(parseUtcMs('2026-01-01T00:00:00.000+00:00')).toBe(1767225600000);
    expect(parseUtcMs('2026-01-01T00:00:00.000+00:00#0')).toBeNull();
    expect(parseUtcMs('2026-02-29T00:00:00.000Z')).toBeNull();
    expect(formatUtcMs(1767225600000)).toBe('2026-01-01T00:00:00.000+00:00');
  });
});

describe('compareHlc', () => {
  it('orders by wall, then counter', () => {
    expect(compareHlc({ wall_ms: 1, counter: 9 }, { wall_ms: 2, counter: 0 })).toBe(-1);
    expect(compareHlc({ wall_ms: 2, counter: 0 }, { wall_ms: 1, counter: 9 })).toBe(1);
    expect(compareHlc({ wall_ms: 2, counter: 1 }, { wall_ms: 2, counter: 2 })).toBe(-1);
    expect(compareHlc({ wall_ms: 2, counter: 2 }, { wall_ms: 2, counter: 2 })).toBe(0);
  });

  it('agrees with text order for same-width counters (property)', () => {
    fc.assert(
      fc.property(hlcArb, hlcArb, (a, b) => {
        expect(compareHlc(a, b)).toBe(-compareHlc(b, a) || 0);
        if (a.counter < 10 && b.counter < 10) {
          const ta = formatHlc(a);
          const tb = formatHlc(b);
          expect(compareHlc(a, b)).toBe(ta < tb ? -1 : ta > tb ? 1 : 0);
        }
      }),
    );
  });
});

describe('Kulkarni send/receive', () => {
  it('send: counter increments while physical time is behind, resets when it moves ahead', () => {
    let h: Hlc = { wall_ms: 1000, counter: 5 };
    h = hlcSend(h, 900);
    expect(h).toEqual({ wall_ms: 1000, counter: 6 });
    h = hlcSend(h, 1000);
    expect(h).toEqual({ wall_ms: 1000, counter: 7 });
    h = hlcSend(h, 1001);
    expect(h).toEqual({ wall_ms: 1001, counter: 0 });
  });

  it('receive: the four cases', () => {
    const last = { wall_ms: 100, counter: 3 };
    expect(hlcReceive(last, { wall_ms: 100, counter: 7 }, 50)).toEqual({ wall_ms: 100, counter: 8 });
    expect(hlcReceive(last, { wall_ms: 90, counter: 70 }, 50)).toEqual({ wall_ms: 100, counter: 4 });
    expect(hlcReceive(last, { wall_ms: 120, counter: 2 }, 50)).toEqual({ wall_ms: 120, counter: 3 });
    expect(hlcReceive(last, { wall_ms: 120, counter: 2 }, 130)).toEqual({ wall_ms: 130, counter: 0 });
    expect(hlcReceive(last, { wall_ms: 120, counter: 2 }, 120)).toEqual({ wall_ms: 120, counter: 3 });
  });

  it('send is strictly increasing and never behind physical time (property)', () => {
    fc.assert(
      fc.property(
        hlcArb.filter((h) => h.wall_ms < HLC_WALL_MS_MAX - 100),
        fc.array(fc.nat({ max: 2 ** 45 }), { maxLength: 50 }),
        (start, times) => {
          let h = start;
          for (const pt of times) {
            const next = hlcSend(h, pt);
            expect(compareHlc(next, h)).toBe(1);
            expect(next.wall_ms).toBeGreaterThanOrEqual(pt);
            // A full counter carries into the next ms.
            const carried = pt <= h.wall_ms && h.counter === HLC_COUNTER_MAX;
            expect(next.wall_ms).toBe(carried ? h.wall_ms + 1 : Math.max(h.wall_ms, pt));
            if (pt > h.wall_ms || carried) expect(next.counter).toBe(0);
            h = next;
          }
        },
      ),
    );
  });

  it('receive is strictly greater than both last and remote (property)', () => {
    const small = fc.record({ wall_ms: fc.integer({ min: 0, max: 50 }), counter: fc.nat(20) });
    fc.assert(
      fc.property(small, small, fc.integer({ min: 0, max: 60 }), (last, remote, pt) => {
        const r = hlcReceive(last, remote, pt);
        expect(compareHlc(r, last)).toBe(1);
        expect(compareHlc(r, remote)).toBe(1);
        expect(r.wall_ms).toBe(Math.max(last.wall_ms, remote.wall_ms, pt));
        if (pt > last.wall_ms && pt > remote.wall_ms) expect(r.counter).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('counter stays bounded by the number of events under a stuck clock', () => {
    // Kulkarni Thm: c is bounded by the events since wall time last advanced.
    const clock = new ManualClock(5000);
    const a = new HlcClock(clock);
    const b = new HlcClock(clock);
    let events = 0;
    for (let i = 0; i < 500; i += 1) {
      const m = a.now();
      b.receive(m);
      const reply = b.now();
      a.receive(reply);
      events += 4;
    }
    expect(a.peek().wall_ms).toBe(5000);
    expect(a.peek().counter).toBeLessThanOrEqual(events);
    expect(b.peek().counter).toBeLessThanOrEqual(events);
    // One tick of physical time resets both counters.
    clock.advance(1);
    expect(a.now()).toEqual({ wall_ms: 5001, counter: 0 });
    expect(b.receive({ wall_ms: 5000, counter: 10 ** 6 })).toEqual({ wall_ms: 5001, counter: 0 });
  });

  it('a node fed a future remote timestamp stays ahead, then rejoins physical time', () => {
    const clock = new ManualClock(1000);
    const c = new HlcClock(clock);
    expect(c.receive({ wall_ms: 1500, counter: 4 })).toEqual({ wall_ms: 1500, counter: 5 });
    clock.set(1200);
    expect(c.now()).toEqual({ wall_ms: 1500, counter: 6 });
    clock.set(1501);
    expect(c.now()).toEqual({ wall_ms: 1501, counter: 0 });
  });

  it('tolerates a clock that jumps backwards and floors fractional ms', () => {
    const clock = new ManualClock(2000.9);
    const c = new HlcClock(clock, { wall_ms: 10, counter: 3 });
    expect(c.peek()).toEqual({ wall_ms: 10, counter: 3 });
    expect(c.now()).toEqual({ wall_ms: 2000, counter: 0 });
    clock.set(100);
    expect(c.now()).toEqual({ wall_ms: 2000, counter: 1 });
    const seen = c.peek();
    seen.counter = 99; // peek returns a copy
    expect(c.peek().counter).toBe(1);
  });

  it('rejects invalid arguments', () => {
    expect(() => hlcSend({ wall_ms: 0, counter: 0 }, -1)).toThrow(RangeError);
    expect(() => hlcSend({ wall_ms: 0, counter: 0 }, 1.5)).toThrow(RangeError);
    expect(() => hlcSend({ wall_ms: 0, counter: 0 }, NaN)).toThrow(RangeError);
    expect(() => hlcSend({ wall_ms: 0, counter: -1 }, 0)).toThrow(RangeError);
    expect(() => hlcSend({ wall_ms: 5, counter: HLC_COUNTER_MAX + 1 }, 0)).toThrow(RangeError);
    expect(() => hlcReceive({ wall_ms: 0, counter: 0 }, { wall_ms: -5, counter: 0 }, 0)).toThrow(RangeError);
    expect(() => new ManualClock(Infinity)).toThrow(RangeError);
    expect(() => new HlcClock(new ManualClock(), { wall_ms: 0.5, counter: 0 })).toThrow(RangeError);
  });
});

describe('counter bound: carry, never throw', () => {
  it('a full counter carries into the next ms (send and all receive cases)', () => {
    const full = { wall_ms: 100, counter: HLC_COUNTER_MAX };
    expect(hlcSend(full, 50)).toEqual({ wall_ms: 101, counter: 0 });
    expect(hlcReceive(full, { wall_ms: 100, counter: 3 }, 50)).toEqual({ wall_ms: 101, counter: 0 });
    expect(hlcReceive({ wall_ms: 100, counter: 3 }, full, 50)).toEqual({ wall_ms: 101, counter: 0 });
    expect(hlcReceive({ wall_ms: 90, counter: 3 }, full, 50)).toEqual({ wall_ms: 101, counter: 0 });
    expect(hlcReceive(full, { wall_ms: 90, counter: HLC_COUNTER_MAX }, 50)).toEqual({ wall_ms: 101, counter: 0 });
  });

  it('saturates at the very end of the range instead of throwing', () => {
    const end = { wall_ms: HLC_WALL_MS_MAX, counter: HLC_COUNTER_MAX };
    expect(hlcSend(end, 0)).toEqual(end);
    expect(hlcReceive(end, end, HLC_WALL_MS_MAX + 10)).toEqual(end);
    expect(hlcSend({ wall_ms: 0, counter: 0 }, HLC_WALL_MS_MAX + 10)).toEqual({ wall_ms: HLC_WALL_MS_MAX, counter: 0 });
  });

  it('receive never throws for valid inputs and is strictly after both, short of saturation (property)', () => {
    fc.assert(
      fc.property(hlcArb, hlcArb, fc.nat({ max: HLC_WALL_MS_MAX }), (last, remote, pt) => {
        const next = hlcReceive(last, remote, pt);
        expect(isValidHlc(next)).toBe(true);
        const saturated = next.wall_ms === HLC_WALL_MS_MAX && next.counter === HLC_COUNTER_MAX;
        if (!saturated) {
          expect(compareHlc(next, last)).toBe(1);
          expect(compareHlc(next, remote)).toBe(1);
        }
        expect(formatHlc(next)).toMatch(/#\d+$/);
        expect(parseHlc(formatHlc(next))).toEqual(next);
      }),
      { seed: 0x41c, numRuns: 2000 },
    );
  });
});

describe('drift', () => {
  it('aheadBy_ms / isBeyondDrift', () => {
    const h = { wall_ms: 10_000, counter: 0 };
    expect(aheadBy_ms(h, 9_000)).toBe(1000);
    expect(aheadBy_ms(h, 11_000)).toBe(-1000);
    expect(isBeyondDrift(h, 9_000, 1000)).toBe(false); // exactly max_drift is allowed
    expect(isBeyondDrift(h, 8_999, 1000)).toBe(true);
    expect(isBeyondDrift(h, 20_000, 0)).toBe(false);
  });
});

describe('ManualClock', () => {
  it('set / advance', () => {
    const c = new ManualClock();
    expect(c.now_ms()).toBe(0);
    c.advance(250);
    expect(c.now_ms()).toBe(250);
    c.set(10);
    expect(c.now_ms()).toBe(10);
  });
});

describe('compareOrderKey', () => {
  const hlc = { wall_ms: 1, counter: 0 };
  const key = (over: Partial<OrderKey>): OrderKey => ({ hlc, signer: 'hmmm:ed25519:A', idem_key: 'k', ...over });

  it('hlc first, then signer, then idem_key', () => {
    expect(compareOrderKey(key({ hlc: { wall_ms: 0, counter: 9 }, signer: 'z' }), key({}))).toBe(-1);
    expect(compareOrderKey(key({ signer: 'hmmm:ed25519:B', idem_key: 'a' }), key({ idem_key: 'z' }))).toBe(1);
    expect(compareOrderKey(key({ idem_key: 'a' }), key({ idem_key: 'b' }))).toBe(-1);
    expect(compareOrderKey(key({}), key({}))).toBe(0);
  });

  it('ties are broken byte-wise (UTF-8), not by UTF-16', () => {
    // U+FFFF vs U+10000: UTF-16 says the astral one is smaller, UTF-8 bytes say larger.
    expect(compareOrderKey(key({ idem_key: '\uFFFF' }), key({ idem_key: '\u{10000}' }))).toBe(-1);
    expect(compareOrderKey(key({ signer: 'a\u{10000}' }), key({ signer: 'a\uFFFF' }))).toBe(1);
    expect(compareOrderKey(key({ signer: 'B' }), key({ signer: 'a' }))).toBe(-1);
  });

  it('is a total order: antisymmetric and transitive (property)', () => {
    const small = fc.record({
      hlc: fc.record({ wall_ms: fc.nat(2), counter: fc.nat(2) }),
      signer: fc.constantFrom('a', 'b', '\uFFFF', '\u{10000}'),
      idem_key: fc.constantFrom('x', 'y', 'é'),
    });
    fc.assert(
      fc.property(small, small, small, (a, b, c) => {
        expect(compareOrderKey(a, b)).toBe(-compareOrderKey(b, a) || 0);
        if (compareOrderKey(a, b) <= 0 && compareOrderKey(b, c) <= 0) expect(compareOrderKey(a, c)).toBeLessThanOrEqual(0);
        if (compareOrderKey(a, b) === 0) expect(a).toEqual(b);
      }),
      { numRuns: 1000 },
    );
  });
});
