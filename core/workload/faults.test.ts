// The workload's migration steps: an operator's Migration_Route / Migration_Bypass /
// Migration_Restore, legal and refused, each judged by the pure reducer as its author
// meant; seeded streams draw them (so chaos and the invariants see them) and stay
// deterministic by seed.

import { describe, expect, it } from 'vitest';
import { H } from '../hash';
import { checkInvariants } from '../invariants';
import type { RouteMode } from '../types';
import { loadMachine } from '../../main/machine';
import { happyStep, StreamDriver } from './driver';
import { applyFault, routeMoves } from './faults';
import { runStream } from './streams';

const spec = loadMachine();
const MIGRATION = ['Migration_Route', 'Migration_Bypass', 'Migration_Restore'];

describe('routeMoves', () => {
  it('from a project born on SWOOSH only execution may step back; skips, no-ops and order breaks are illegal', () => {
    const all: Record<'council' | 'ingestion' | 'execution', RouteMode> = { council: 'swoosh', ingestion: 'swoosh', execution: 'swoosh' };
    expect(routeMoves(all).filter((m) => m.legal)).toEqual([{ region: 'execution', mode: 'shadow', legal: true }]);
    const mixed = routeMoves({ council: 'swoosh', ingestion: 'shadow', execution: 'legacy' }).filter((m) => m.legal);
    expect(mixed).toEqual([
      { region: 'council', mode: 'shadow', legal: true },
      { region: 'ingestion', mode: 'legacy', legal: true },
      { region: 'ingestion', mode: 'swoosh', legal: true },
      { region: 'execution', mode: 'shadow', legal: true },
    ]);
  });
});

describe('the migration fault', () => {
  it('every variant, in lifecycle and execution states: judged as built (accepted, or the named guard refuses), invariants hold', () => {
    const seen = new Set<string>();
    for (const seed of [1, 2, 3]) {
      const d = new StreamDriver(spec, seed, { fault_pct: 0 });
      for (let n = 0; n < 120; n += 1) {
        if (n % 3 === 0) applyFault(d, 'migration', n % 4);
        else happyStep(d);
      }
      for (const e of d.entries.filter((x) => x.label === 'migration')) {
        const p = e.proposal as { transition: string };
        expect(MIGRATION).toContain(p.transition);
        if (e.expect.accepted) {
          expect(e.result.ok, JSON.stringify(e.result)).toBe(true);
          seen.add(`${p.transition} accepted`);
        } else {
          expect(e.result.ok).toBe(false);
          if (e.result.ok) continue;
          expect(e.expect.codes).toContain(e.result.rejection.code);
          expect(e.result.rejection.guard).toBe(e.expect.guard);
          seen.add(`${p.transition} ${e.result.rejection.guard}`);
        }
      }
      for (const [i, e] of d.entries.entries())
        if (e.result.ok) expect(checkInvariants(d.heads[i]!.state, e.result.state, e.result.body)).toEqual([]);
      // The project still moved on around the routing steps.
      expect(d.state.execution.phase).not.toBeNull();
    }
    expect([...seen].sort()).toEqual([
      'Migration_Bypass accepted',
      'Migration_Bypass migration_bypass',
      'Migration_Restore accepted',
      'Migration_Restore migration_bypass',
      'Migration_Route accepted',
      'Migration_Route migration_order',
    ]);
  });

  it('seeded streams draw Migration_* steps, and the same seed gives the same stream', () => {
    const a = runStream(spec, 42, 600);
    const b = runStream(spec, 42, 600);
    expect(H(a.proposals as never)).toBe(H(b.proposals as never));
    const routed = a.entries.filter((e) => e.label === 'migration');
    expect(routed.length).toBeGreaterThan(0);
    for (const e of routed) expect(e.result.ok).toBe(e.expect.accepted);
  });
});
