// The Migration view's logic: the step history folded from Migration_* WAL records, the
// one-step moves the order rule allows, the shim's counters as chart points, and the
// bounded divergence list.

import { describe, expect, it } from 'vitest';
import type { WalRecord } from '../../core/types';
import type { MigrationState } from '../../core/state';
import type { ShadowDivergence } from '../api/ConsoleApi';
import {
  anySwoosh,
  mergeDivergences,
  migrationSteps,
  nextDivergenceSeq,
  routeSteps,
  shadowCounts,
  shadowPoint,
  showValue,
} from './migration';
import { parseProm } from './prom';

function rec(index: number, transition: string, inputs: Record<string, unknown>): WalRecord {
  return {
    index,
    transition,
    signer: 'hmmm:ed25519:op',
    hlc: `2026-01-01T00:00:0${index}.000+00:00#0`,
    accepted_at_ms: index * 1000,
    proposal: { inputs } as WalRecord['proposal'],
  } as WalRecord;
}

const m = (routes: MigrationState['routes'], bypass = false): MigrationState => ({
  routes,
  bypass,
  bypass_reason: bypass ? 'r' : null,
  last_justification: null,
});

describe('migrationSteps', () => {
  it('folds routes from genesis, in index order, ignoring other transitions, keeping the last max', () => {
    const records = [
      rec(5, 'Migration_Route', { region: 'council', mode: 'swoosh', justification: 'cut' }),
      rec(2, 'Migration_Route', { region: 'council', mode: 'shadow', justification: 'shadow it' }),
      rec(3, 'Execution_Approve', { note: 'n' }),
      rec(7, 'Migration_Bypass', { reason: 'split brain' }),
      rec(8, 'Migration_Restore', { justification: 'fixed' }),
    ];
    const steps = migrationSteps(records, { council: 'legacy', ingestion: 'legacy', execution: 'legacy' }, 10);
    expect(steps.map((s) => [s.index, s.region, s.from, s.to, s.text])).toEqual([
      [2, 'council', 'legacy', 'shadow', 'shadow it'],
      [5, 'council', 'shadow', 'swoosh', 'cut'],
      [7, null, null, null, 'split brain'],
      [8, null, null, null, 'fixed'],
    ]);
    expect(migrationSteps(records, { council: 'legacy', ingestion: 'legacy', execution: 'legacy' }, 2).map((s) => s.index)).toEqual([7, 8]);
  });
});

describe('routeSteps and anySwoosh', () => {
  it('offers one step each way, blocking what breaks the order rule', () => {
    const steps = routeSteps(m({ council: 'shadow', ingestion: 'shadow', execution: 'legacy' }));
    const of = (r: string, mode: string) => steps.find((s) => s.region === r && s.mode === mode);
    expect(of('council', 'swoosh')?.blocked).toBeNull();
    expect(of('ingestion', 'swoosh')?.blocked).toMatch(/council is "shadow"/);
    expect(of('execution', 'shadow')?.blocked).toBeNull();
    expect(steps.some((s) => s.region === 'execution' && s.mode === 'swoosh')).toBe(false);
  });

  it('is hot only while some region is swoosh and not bypassed', () => {
    expect(anySwoosh(m({ council: 'swoosh', ingestion: 'shadow', execution: 'legacy' }))).toBe(true);
    expect(anySwoosh(m({ council: 'swoosh', ingestion: 'shadow', execution: 'legacy' }, true))).toBe(false);
    expect(anySwoosh(m({ council: 'shadow', ingestion: 'legacy', execution: 'legacy' }))).toBe(false);
  });
});

describe('shadow counters', () => {
  const text = (c: number, d: number) =>
    [
      '# TYPE swoosh_shadow_compared_total counter',
      `swoosh_shadow_compared_total{region="council"} ${c}`,
      'swoosh_shadow_compared_total{region="ingestion"} 4',
      `swoosh_shadow_divergence_total{region="council"} ${d}`,
      'swoosh_shadow_divergence_total{region="ingestion"} 0',
    ].join('\n');

  it('reads per-region counts and rates between two scrapes', () => {
    const a = parseProm(text(10, 1), 0);
    const b = parseProm(text(30, 3), 2000);
    expect(shadowCounts(b)).toEqual({ council: { compared: 30, diverged: 3 }, ingestion: { compared: 4, diverged: 0 } });
    expect(shadowPoint(a, b)).toEqual({ t_ms: 2000, compared_per_s: 10, diverged_per_s: 1, diverged_total: 3 });
  });
});

describe('divergences', () => {
  const d = (seq: number): ShadowDivergence => ({
    seq,
    region: 'council',
    route: 'council.elect',
    legacy: [seq],
    swoosh: [],
    detail: '/members',
    at_ms: seq,
  });

  it('merge by seq, newest first, bounded; the next page starts past the newest', () => {
    const kept = mergeDivergences([d(1), d(2)], [d(2), d(3), d(4)], 3);
    expect(kept.map((x) => x.seq)).toEqual([4, 3, 2]);
    expect(nextDivergenceSeq(kept)).toBe(5);
    expect(nextDivergenceSeq([])).toBe(1);
  });

  it('shows any JSON value on one bounded line', () => {
    expect(showValue(['a', 'b'])).toBe('["a","b"]');
    expect(showValue(undefined)).toBe('—');
    const names: Record<string, string> = { 'hmmm:ed25519:AAA': 'op-1' };
    expect(showValue(['hmmm:ed25519:AAA', 'hmmm:ed25519:BBB'], 400, (k) => names[k] ?? null)).toBe('["op-1","hmmm:ed25519:BBB"]');
    expect(showValue('x'.repeat(50), 10)).toHaveLength(10);
  });
});
