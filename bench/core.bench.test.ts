// Smoke test of the core benchmark: runs it for a handful of operations on a small
// history and checks the rows are well-formed. No timing is asserted (project rule:
// speed is measured by `npm run bench:core`, never in unit tests).

import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nobleVerifier, proposalSigningBytes } from '../core/crypto';
import { buildFixture, DEFAULT_CONFIG, nodeHashState, nodeVerifier, replayOp, runCoreBench, type CoreBenchConfig } from './core.bench';
import { formatTable, isBenchRow, throughput } from '../main/bench/harness';
import { H } from '../core/hash';

const SMALL: CoreBenchConfig = {
  ...DEFAULT_CONFIG,
  history_short_loops: 1,
  history_long_loops: 3,
  replay_loops: 1,
  pause_pairs: 2,
  rounds: 2,
  timing: { warmup_ms: 0, duration_ms: 2, ops_max: 3 },
};

describe('bench/core', () => {
  it('produces well-formed rows (docs/protocol.md §10 shape) with ceilings and ratios', async () => {
    const { rows, ceilings, notes } = await runCoreBench(SMALL);
    expect(rows.length).toBe(10);
    for (const r of rows) {
      expect(isBenchRow(r)).toBe(true);
      expect(r.ratio).toBeCloseTo(r.value / r.ceiling, 12);
      expect(ceilings[r.name]).toBeTypeOf('string');
    }
    expect(new Set(rows.map((r) => r.name)).size).toBe(rows.length);
    // When core/xstate.ts exists, its machine is the one timed (the fallback is for before it did).
    const source = notes.find((n) => n.startsWith('xstate machine:'));
    const core = existsSync(new URL('../core/xstate.ts', import.meta.url));
    expect(source).toBe(
      core
        ? 'xstate machine: core/xstate.ts createSwooshMachine'
        : 'xstate machine: bench-generated from spec.states (no guards, no context)',
    );
    const table = formatTable(rows, ceilings);
    for (const r of rows) expect(table).toContain(r.name);
    // The JSON form round-trips to exactly the row shape.
    for (const r of JSON.parse(JSON.stringify(rows)) as unknown[]) expect(isBenchRow(r)).toBe(true);
  });

  it('replays the pre-built proposals from the same head, wrapping round', () => {
    const fx = buildFixture(SMALL);
    expect(fx.short.proposals.length).toBe(fx.loop_events.length);
    expect(fx.long.start.state.execution.loop).toBe(SMALL.history_long_loops);
    const op = replayOp(fx.short, fx.host);
    // Twice round the sequence: the end-hash check runs at each wrap.
    for (let i = 0; i < 2 * fx.short.proposals.length; i += 1) op();
    const t = throughput(replayOp(fx.pause, fx.core), { warmup_ms: 0, duration_ms: 1, ops_max: 2 });
    expect(t.ops).toBeGreaterThanOrEqual(1);
  });

  it('host helpers agree with core: node:crypto verifier with noble, nodeHashState with H', () => {
    const fx = buildFixture(SMALL);
    const v = nodeVerifier();
    for (const p of fx.short.proposals.slice(0, 4)) {
      const bytes = proposalSigningBytes(p);
      expect(v.verify(p.signer, bytes, p.signature)).toBe(true);
      expect(nobleVerifier.verify(p.signer, bytes, p.signature)).toBe(true);
      const flipped = Uint8Array.from(bytes);
      flipped[0] = (flipped[0] as number) ^ 1;
      expect(v.verify(p.signer, flipped, p.signature)).toBe(false);
      expect(v.verify('hmmm:ed25519:not-a-key', bytes, p.signature)).toBe(false);
    }
    expect(nodeHashState(fx.long.start.state)).toBe(H(fx.long.start.state));
  });
});
