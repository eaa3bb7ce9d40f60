// Seeded proposal streams for property tests, conformance vectors and the chaos workload:
// a mostly-happy project lifecycle (BOOT → the three PROJECT_LIFECYCLE regions →
// EXECUTION → REVERB loops) interleaved with faults drawn from the seeded PRNG.

import type { Spec } from '../spec';
import { happyStep, StreamDriver, type StreamOptions, type StreamRun } from './driver';
import { applyFault, chooseFault } from './faults';

/**
 * A seeded stream of exactly `steps` submitted proposals (fewer only if `steps` < 1),
 * generated against, and applied to, a fresh orchestrator. Deterministic for (spec, seed,
 * steps, opts).
 */
export function runStream(spec: Spec, seed: number, steps: number, opts: StreamOptions = {}): StreamRun {
  const d = new StreamDriver(spec, seed, opts);
  d.limit = steps;
  const fault_pct = opts.fault_pct ?? 35;
  const excluded = new Set<string>(opts.exclude ?? []);
  // Every action submits at least one proposal unless it declines; bound the attempts.
  for (let attempts = 0; !d.full && attempts < steps * 8; attempts += 1) {
    if (fault_pct > 0 && d.rng.chance(fault_pct)) {
      if (applyFault(d, chooseFault(d, excluded))) continue;
    }
    happyStep(d);
  }
  return {
    seed,
    genesis: d.genesis,
    cast: d.cast,
    initial: d.initial,
    proposals: d.entries.map((e) => e.proposal),
    results: d.entries.map((e) => e.result),
    heads: d.heads,
    entries: d.entries,
    wal: d.wal,
  };
}

/** A happy stream: the lifecycle to EXECUTION, then `loops` complete REVERB loops. */
export function runLoops(spec: Spec, seed: number, loops: number, opts: StreamOptions = {}): StreamDriver {
  const d = new StreamDriver(spec, seed, { ...opts, fault_pct: 0 });
  const bound = 64 + loops * 64;
  for (let n = 0; n < bound && !(d.state.execution.phase === 'PLAN' && d.state.execution.loop >= loops); n += 1) {
    happyStep(d);
    const last = d.entries[d.entries.length - 1];
    if (last && !last.result.ok)
      throw new RangeError(`happy step ${last.label} rejected: ${last.result.rejection.code}: ${last.result.rejection.reason}`);
  }
  return d;
}
