// Pure helpers of the console: chart layout geometry, JSON diff, BACKBEAT view, HLC
// search, rejection buckets, hash-chain status, enabled transitions.

import { describe, expect, it } from 'vitest';
import yamlText from '../../statechart/swoosh.statechart.yaml?raw';
import { H } from '../../core/hash';
import { initialState } from '../../core/state';
import { makeCast, makeGenesis } from '../../core/testing/kit';
import { Scenario } from '../../core/testing/scenario';
import type { WalRecord } from '../../core/types';
import { beatView, formatCountdown } from './backbeat';
import { chainStatus } from './chain';
import { flashLabelBox, layoutChart, type ChartBox } from './chartLayout';
import { stateLabel } from './format';
import { diffJson } from './diff';
import { findIndexAtHlc, parseHlcTarget } from './hlcSearch';
import { bucketize, bucketWidth_ms, seriesOf } from './rejections';
import { activeSet, enabledTransitions, leafDelta, specFromYaml } from './spec';

const loaded = specFromYaml(yamlText);
if (!loaded.ok) throw new Error(loaded.error);
const spec = loaded.spec;

const inside = (c: ChartBox, p: ChartBox) =>
  c.x >= p.x - 0.01 && c.y >= p.y - 0.01 && c.x + c.w <= p.x + p.w + 0.01 && c.y + c.h <= p.y + p.h + 0.01;
const overlap = (a: ChartBox, b: ChartBox) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

describe('layoutChart', () => {
  const layout = layoutChart(spec);

  it('draws every state once', () => {
    expect(layout.boxes.map((b) => b.path).sort()).toEqual(Object.keys(spec.states).sort());
  });

  it('nests every state inside its parent, and siblings never overlap', () => {
    for (const b of layout.boxes) {
      const node = spec.states[b.path];
      if (node?.parent) expect(inside(b, layout.byPath.get(node.parent) as ChartBox), b.path).toBe(true);
      const siblings = layout.boxes.filter((o) => o !== b && spec.states[o.path]?.parent === node?.parent);
      for (const o of siblings) expect(overlap(b, o), `${b.path} / ${o.path}`).toBe(false);
    }
  });

  it('fits in its bounds and is deterministic', () => {
    for (const b of layout.boxes) expect(b.x + b.w <= layout.width + 0.01 && b.y + b.h <= layout.height + 0.01, b.path).toBe(true);
    expect(JSON.stringify(layoutChart(spec).boxes)).toBe(JSON.stringify(layout.boxes));
  });

  it('marks parallel regions and initial children', () => {
    expect(layout.byPath.get('FLOW.PROJECT_LIFECYCLE.Council')?.region).toBe(true);
    expect(layout.byPath.get('FLOW.BOOT.UNINITIALIZED')?.initial).toBe(true);
    expect(layout.byPath.get('FLOW.BOOT.LICENSE_CHECK')?.initial).toBe(false);
    expect(layout.separators.length).toBe(2);
  });
});

describe('flash label', () => {
  const layout = layoutChart(spec);

  it('never covers a state, nor leaves its region, for every transition of the machine', () => {
    for (const [name, t] of Object.entries(spec.transitions)) {
      for (const from of t.from) {
        const label = flashLabelBox(layout, from, name);
        expect(label, name).not.toBeNull();
        const root = layout.byPath.get(from.split('.')[0] ?? '') as ChartBox;
        expect(inside(label as ChartBox, root), `${name} inside ${root.path}`).toBe(true);
        for (const b of layout.boxes.filter((x) => x.leaf)) expect(overlap(label as ChartBox, b), `${name} over ${b.path}`).toBe(false);
      }
    }
  });
});

describe('stateLabel', () => {
  it('writes the noun "licence" and leaves the verb and other names alone', () => {
    expect(stateLabel('LICENSE')).toBe('LICENCE');
    expect(stateLabel('LICENSE_CHECK')).toBe('LICENCE_CHECK');
    expect(stateLabel('FLOW.BOOT.LICENSE_CHECK')).toBe('FLOW.BOOT.LICENCE_CHECK');
    expect(stateLabel('LICENSED')).toBe('LICENSED');
    expect(stateLabel('UNLICENSED')).toBe('UNLICENSED');
    expect(stateLabel('REVIEW')).toBe('REVIEW');
  });
});

describe('spec helpers', () => {
  const genesis = makeGenesis(makeCast());
  const s0 = initialState(genesis, spec.hash);

  it('activeSet includes every ancestor of every leaf', () => {
    const set = activeSet(['FLOW.PROJECT_LIFECYCLE.Ingestion.FETCH']);
    expect([...set]).toEqual([
      'FLOW',
      'FLOW.PROJECT_LIFECYCLE',
      'FLOW.PROJECT_LIFECYCLE.Ingestion',
      'FLOW.PROJECT_LIFECYCLE.Ingestion.FETCH',
    ]);
  });

  it('enabledTransitions offers Boot_ConfigOk at genesis and marks licence-gated ones', () => {
    const names = enabledTransitions(spec, s0)
      .filter((e) => e.blocked.length === 0)
      .map((e) => e.transition.name);
    expect(names).toContain('Boot_ConfigOk');
    const pause = enabledTransitions(spec, s0).find((e) => e.transition.name === 'Control_Pause');
    expect(pause?.blocked).toContain('no licence in force');
  });

  it('leafDelta names the states left and entered', () => {
    const sc = new Scenario(spec);
    const before = sc.state;
    sc.boot();
    const d = leafDelta(before, sc.state);
    expect(d.exited).toEqual(['FLOW.BOOT.UNINITIALIZED', 'LICENSE.UNLICENSED']);
    expect(d.entered).toContain('FLOW.PROJECT_LIFECYCLE.Council.PLAN_ROLES');
    expect(d.entered).toContain('LICENSE.LICENSED');
  });
});

describe('diffJson', () => {
  it('reports added, removed and changed paths', () => {
    const d = diffJson({ a: 1, b: { c: [1, 2] }, gone: true, 'odd key': 1 }, { a: 2, b: { c: [1, 2, 3] }, added: null, 'odd key': 1 });
    expect(d).toEqual([
      { path: 'a', kind: 'changed', before: 1, after: 2 },
      { path: 'added', kind: 'added', after: null },
      { path: 'b.c[2]', kind: 'added', after: 3 },
      { path: 'gone', kind: 'removed', before: true },
    ]);
  });

  it('is bounded', () => {
    const a = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]));
    const b = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, -i - 1]));
    expect(diffJson(a, b, 50)).toHaveLength(50);
  });
});

describe('beatView', () => {
  const schedule = {
    epoch_ms: 1_000_000,
    period_ms: 60_000,
    windows: { review: [5000, 7500] as [number, number], reverb: [7500, 10000] as [number, number] },
  };

  it('knows which window is open and when the others open', () => {
    const v = beatView(schedule, 1_000_000 + 2 * 60_000 + 31_000);
    expect(v.beat).toBe(2);
    const review = v.windows.find((w) => w.cls === 'review');
    const reverb = v.windows.find((w) => w.cls === 'reverb');
    expect(review).toMatchObject({ open: true, countdown_ms: 14_000 });
    expect(reverb).toMatchObject({ open: false, countdown_ms: 14_000 });
  });

  it('formats countdowns', () => {
    expect(formatCountdown(0)).toBe('0:00');
    expect(formatCountdown(61_001)).toBe('1:02');
    expect(formatCountdown(3_600_000)).toBe('1:00:00');
    expect(formatCountdown(null)).toBe('—');
  });
});

describe('HLC search', () => {
  it('parses the accepted forms', () => {
    expect(parseHlcTarget('2026-01-01T00:00:01.000+00:00#3')).toEqual({ wall_ms: 1767225601000, counter: 3 });
    expect(parseHlcTarget('2026-01-01T00:00:01.000Z')).toEqual({ wall_ms: 1767225601000, counter: 0 });
    expect(parseHlcTarget('1767225601000')).toEqual({ wall_ms: 1767225601000, counter: 0 });
    expect(parseHlcTarget('yesterday')).toBeNull();
  });

  it('accepts every form the console displays (times are UTC; a bare time takes the reference day)', () => {
    const ref_ms = Date.UTC(2026, 11, 3, 12, 0, 0);
    const at = (h: number, m: number, s: number, ms: number, day = 3) => Date.UTC(2026, 11, day, h, m, s, ms);
    expect(parseHlcTarget('06:48:30.295 #1', ref_ms)).toEqual({ wall_ms: at(6, 48, 30, 295), counter: 1 });
    expect(parseHlcTarget('06:48:30.295', ref_ms)).toEqual({ wall_ms: at(6, 48, 30, 295), counter: 0 });
    expect(parseHlcTarget('2026-12-01 06:48:30.295 #1', ref_ms)).toEqual({ wall_ms: at(6, 48, 30, 295, 1), counter: 1 });
    expect(parseHlcTarget('2026-12-03T06:48:30', ref_ms)).toEqual({ wall_ms: at(6, 48, 30, 0), counter: 0 });
    expect(parseHlcTarget('2026-12-03 06:48', ref_ms)).toEqual({ wall_ms: at(6, 48, 0, 0), counter: 0 });
    expect(parseHlcTarget('06:48:30.2#12', ref_ms)).toEqual({ wall_ms: at(6, 48, 30, 200), counter: 12 });
    expect(parseHlcTarget('06:48:30Z', ref_ms)).toEqual({ wall_ms: at(6, 48, 30, 0), counter: 0 });
    // Out of range or not a time: refused, not silently rolled over.
    expect(parseHlcTarget('25:00:00', ref_ms)).toBeNull();
    expect(parseHlcTarget('2026-02-31 06:00', ref_ms)).toBeNull();
    expect(parseHlcTarget('06:48:30.295 #', ref_ms)).toBeNull();
    expect(parseHlcTarget('abc 06:48', ref_ms)).toBeNull();
  });

  it('finds the first record at or after the target in ~log2(n) reads', async () => {
    const hlcs = Array.from({ length: 1_000_000 }, (_, i) => `2026-01-01T00:00:00.000+00:00#${i * 2}`);
    let reads = 0;
    const at = async (i: number) => {
      reads += 1;
      return hlcs[i - 1] ?? null;
    };
    expect(await findIndexAtHlc({ wall_ms: 1767225600000, counter: 1001 }, hlcs.length, at)).toBe(502);
    expect(reads).toBeLessThanOrEqual(21);
    expect(await findIndexAtHlc({ wall_ms: 1767225600000, counter: 0 }, hlcs.length, at)).toBe(1);
    expect(await findIndexAtHlc({ wall_ms: 1767225600001, counter: 0 }, hlcs.length, at)).toBeNull();
  });
});

describe('rejections', () => {
  const row = (at_ms: number, code: string, guard: string | null) => ({
    id: at_ms,
    at_ms,
    head_index: 0,
    idem_key: null,
    transition: null,
    signer: null,
    hlc: null,
    code,
    guard,
    reason: '',
    reasons: [],
    proposal: null,
  });

  it('buckets by guard, else code, with a width that keeps the bucket count bounded', () => {
    const rows = [row(0, 'guard_failed', 'quorum'), row(500, 'malformed', null), row(2500, 'guard_failed', 'quorum')];
    const b = bucketize(rows);
    expect(b.width_ms).toBe(1000);
    expect(b.series).toEqual(['guard:quorum', 'malformed']);
    expect(b.buckets).toEqual([
      { t_ms: 0, 'guard:quorum': 1, malformed: 1 },
      { t_ms: 1000, 'guard:quorum': 0, malformed: 0 },
      { t_ms: 2000, 'guard:quorum': 1, malformed: 0 },
    ]);
    expect(seriesOf({ guard: null, code: 'stale_state_hash' })).toBe('stale_state_hash');
    expect(bucketWidth_ms(86_400_000)).toBe(1_800_000);
  });
});

describe('chainStatus', () => {
  const sc = new Scenario(spec);
  const s0hash = sc.head.hash;
  sc.boot();
  const records: WalRecord[] = [];
  let prevHash = s0hash;
  for (const [i, body] of sc.records.entries()) {
    const r = { ...body, index: i + 1, prev_record_hash: prevHash, accepted_at_ms: 0 };
    const full = { ...r, record_hash: H(r) };
    records.push(full);
    prevHash = full.record_hash;
  }
  const [r1, r2] = records as [WalRecord, WalRecord];

  it('accepts a linked, correctly hashed chain', () => {
    expect(chainStatus(r1, null, s0hash).mark).toBe('ok');
    expect(chainStatus(r2, r1, s0hash).mark).toBe('ok');
    expect(chainStatus(r2, null, s0hash).mark).toBe('unknown');
  });

  it('flags a tampered record and a broken link', () => {
    expect(chainStatus({ ...r2, signer: 'someone else' }, r1, s0hash).mark).toBe('bad_hash');
    // Correctly hashed on its own, but linked to state 0 instead of record 1.
    const { record_hash: _drop, ...body } = { ...r2, prev_record_hash: s0hash };
    expect(chainStatus({ ...body, record_hash: H(body) }, r1, s0hash).mark).toBe('bad_link');
  });
});

describe('VirtualRows geometry', async () => {
  const { geometry, SCROLL_PX_MAX } = await import('../components/VirtualRows');

  it('scrolls 1:1 below the cap', () => {
    const g = geometry(1000, 24, 600);
    expect(g.inner).toBe(24_000);
    expect(g.offsetOf(1234)).toBe(1234);
    expect(g.scrollTopOf(1234)).toBe(1234);
    expect(g.offsetOf(1e9)).toBe(24_000 - 600);
  });

  it('caps a million rows under 2^24 px and maps both ends exactly', () => {
    const g = geometry(1_000_001, 24, 600);
    expect(g.inner).toBe(SCROLL_PX_MAX);
    expect(SCROLL_PX_MAX).toBeLessThan(2 ** 24);
    expect(g.offsetOf(0)).toBe(0);
    expect(g.offsetOf(SCROLL_PX_MAX - 600)).toBe(g.total - 600);
    for (const o of [0, 24, 12_000_000, g.total - 600]) {
      expect(Math.abs(g.offsetOf(g.scrollTopOf(o)) - o)).toBeLessThanOrEqual(Math.ceil(g.total / g.inner));
    }
  });
});
