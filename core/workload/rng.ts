// A seeded PRNG for generated workloads (chaos, conformance vectors, property tests,
// benchmarks): integer-only arithmetic, so the same seed gives the same sequence on every
// platform. Pure: the state is a closure, no global randomness.

export interface Prng {
  /** Next unsigned 32-bit integer. */
  u32(): number;
  /** Uniform in [0, 1): u32 / 2^32. */
  unit(): number;
  /** Uniform-ish integer in [0, n), n >= 1. */
  int(n: number): number;
  /** True with probability pct / 100. */
  chance(pct: number): boolean;
  pick<T>(xs: readonly T[]): T;
  shuffle<T>(xs: readonly T[]): T[];
}

/** mulberry32 (Tommy Ettinger): 32-bit state, integer-only arithmetic, same sequence everywhere. */
export function mulberry32(seed: number): Prng {
  let a = seed >>> 0;
  const u32 = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  const int = (n: number): number => {
    if (!Number.isInteger(n) || n < 1) throw new RangeError(`int(n) needs a positive integer, got ${n}`);
    return u32() % n;
  };
  return {
    u32,
    unit: () => u32() / 4294967296,
    int,
    chance: (pct) => int(100) < pct,
    pick<T>(xs: readonly T[]): T {
      if (xs.length === 0) throw new RangeError('pick from an empty list');
      return xs[int(xs.length)] as T;
    },
    shuffle<T>(xs: readonly T[]): T[] {
      const out = [...xs];
      for (let i = out.length - 1; i > 0; i -= 1) {
        const j = int(i + 1);
        [out[i], out[j]] = [out[j] as T, out[i] as T];
      }
      return out;
    },
  };
}
