// The time-travel cursor: the pure pieces (clamping, stepping, what the views see,
// playback's next move), and the store driving the real LiveStore and FrameLoader
// against an in-memory host built from a scripted scenario, whose answers can be made
// slower for some indexes so that a late answer arrives after a newer one.

import { describe, expect, it } from 'vitest';
import yamlText from '../../statechart/swoosh.statechart.yaml?raw';
import { H } from '../../core/hash';
import { Scenario } from '../../core/testing/scenario';
import type { WalRecord } from '../../core/types';
import type { ConsoleApi, StateAt } from '../api/ConsoleApi';
import { specFromYaml } from '../lib/spec';
import { clampIndex, cursorView, CursorStore, playbackStep, stepIndex, type CursorState, type CursorView } from './cursor';
import type { Frame } from './frames';
import { LiveStore } from './live';

const WAIT_MS = 5000;

function memoryHost() {
  const r = specFromYaml(yamlText);
  if (!r.ok) throw new Error(r.error);
  const spec = r.spec;
  const sc = new Scenario(spec);
  const states: StateAt[] = [{ index: 0, hash: sc.head.hash, hlc: null, state: sc.head.state }];
  sc.toExecution();
  const replay = new Scenario(spec);
  const records: WalRecord[] = sc.records.map((body, i) => {
    const res = replay.submit(body.proposal);
    if (!res.ok) throw new Error('replay failed');
    states.push({ index: i + 1, hash: res.hash, hlc: res.state.hlc_last, state: res.state });
    const rec = { ...body, index: i + 1, prev_record_hash: 'x', accepted_at_ms: 0 };
    return { ...rec, record_hash: H(rec) };
  });
  /** Answer latency by index: tests slow some indexes down. */
  const latency_ms = new Map<number, number>();
  const later = <T>(ms: number, v: T) => new Promise<T>((res) => setTimeout(() => res(v), ms));
  const api = {
    mode: 'browser',
    getState: async () => states[states.length - 1] as StateAt,
    getStateAt: (n: number) => later(latency_ms.get(n) ?? 0, states[n] as StateAt),
    getWal: (from: number, limit: number) => {
      const page = records.slice(from - 1, from - 1 + limit);
      return later(latency_ms.get(from) ?? 0, { from, count: page.length, head_index: records.length, records: page });
    },
  } as unknown as ConsoleApi;
  return { spec, api, states, records, latency_ms };
}

/** A cursor store over a live store that has read HEAD once; frame requests are counted. */
async function setup() {
  const host = memoryHost();
  const live = new LiveStore(host.api);
  live.loader.setSpec(host.spec);
  await live.refreshHead();
  const requested: number[] = [];
  const source = {
    loader: {
      frame: (n: number, h: number): Promise<Frame> => {
        requested.push(n);
        return live.loader.frame(n, h);
      },
    },
    getSnapshot: live.getSnapshot,
    subscribe: live.subscribe,
  };
  const store = new CursorStore(source);
  store.start();
  const seen: CursorView[] = [];
  store.subscribe(() => seen.push(store.getSnapshot()));
  return { ...host, live, store, requested, seen, head: host.records.length };
}

async function settled(store: CursorStore, what: (v: CursorView) => boolean): Promise<CursorView> {
  const until = Date.now() + WAIT_MS;
  while (Date.now() < until) {
    const v = store.getSnapshot();
    if (what(v)) return v;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`cursor did not settle: ${JSON.stringify({ ...store.getSnapshot(), frame: store.getSnapshot().frame?.index })}`);
}

describe('cursor: pure pieces', () => {
  it('clamps and steps within 0..HEAD; a step from live starts at HEAD', () => {
    expect(clampIndex(-3, 10)).toBe(0);
    expect(clampIndex(12, 10)).toBe(10);
    expect(stepIndex(null, -1, 10)).toBe(9);
    expect(stepIndex(null, 1, 10)).toBe(10);
    expect(stepIndex(2, -10, 10)).toBe(0);
    expect(stepIndex(4, 3, 10)).toBe(7);
  });

  it('shows the loaded frame only for the cursor index; loading until the answer is for it', () => {
    const frame = (index: number) => ({ index }) as Frame;
    const live = { head: { index: 9 } as StateAt, frame: frame(9), error: null };
    const base: CursorState = { index: null, playing: false, speed: 4, travel: { index: null, frame: null, error: null } };
    expect(cursorView(base, live)).toMatchObject({ index: null, frame: live.frame, loading: false, headIndex: 9 });
    expect(cursorView(base, { ...live, frame: null })).toMatchObject({ loading: true, frame: null });
    const ahead = { ...base, index: 5, travel: { index: 4, frame: frame(4), error: 'old' } };
    expect(cursorView(ahead, live)).toMatchObject({ index: 5, frame: null, loading: true, error: null });
    const there = { ...base, index: 5, travel: { index: 5, frame: frame(5), error: null } };
    expect(cursorView(there, live)).toMatchObject({ frame: there.travel.frame, loading: false });
    const failed = { ...base, index: 5, travel: { index: 5, frame: null, error: 'http 500' } };
    expect(cursorView(failed, live)).toMatchObject({ frame: null, loading: false, error: 'http 500' });
  });

  it('playback waits for the frame, advances below HEAD and stops at it', () => {
    const v = (p: Partial<CursorView>): CursorView => ({
      index: 3,
      playing: true,
      speed: 4,
      frame: { index: 3 } as Frame,
      loading: false,
      error: null,
      headIndex: 9,
      ...p,
    });
    expect(playbackStep(v({}))).toBe('advance');
    expect(playbackStep(v({ playing: false }))).toBe('wait');
    expect(playbackStep(v({ loading: true, frame: null }))).toBe('wait');
    expect(playbackStep(v({ index: null }))).toBe('wait');
    expect(playbackStep(v({ index: 9, frame: { index: 9 } as Frame }))).toBe('stop');
  });
});

describe('CursorStore', () => {
  it('follows HEAD when live, and loads the frame at a set index', async () => {
    const { store, states, head } = await setup();
    expect(store.getSnapshot()).toMatchObject({ index: null, headIndex: head });
    expect(store.getSnapshot().frame?.index).toBe(head);
    store.set(5);
    expect(store.getSnapshot()).toMatchObject({ index: 5, loading: true, frame: null });
    const v = await settled(store, (x) => !x.loading);
    expect(v.frame?.at.hash).toBe(states[5]?.hash);
    expect(v.frame?.prev?.hash).toBe(states[4]?.hash);
    store.step(-2);
    expect((await settled(store, (x) => x.index === 3 && !x.loading)).frame?.at.hash).toBe(states[3]?.hash);
    store.set(head + 50);
    expect(store.getSnapshot().index).toBe(head);
    store.set(null);
    expect(store.getSnapshot()).toMatchObject({ index: null, playing: false, loading: false });
    expect(store.getSnapshot().frame?.index).toBe(head);
  });

  it('lets only the latest answer land when an older one arrives after it', async () => {
    const { store, latency_ms, states, seen } = await setup();
    latency_ms.set(2, 150);
    latency_ms.set(3, 150);
    store.set(3);
    store.set(8);
    const v = await settled(store, (x) => !x.loading);
    expect(v.frame?.at.hash).toBe(states[8]?.hash);
    await new Promise((r) => setTimeout(r, 300));
    expect(store.getSnapshot()).toMatchObject({ index: 8, loading: false });
    expect(seen.some((x) => x.frame?.index === 3)).toBe(false);
  });

  it('loads a discrete move at once, and a run of continuous moves only where it rests', async () => {
    const { store, requested } = await setup();
    store.set(2);
    expect(requested).toEqual([2]);
    await settled(store, (x) => !x.loading);
    for (let i = 0; i < 6; i += 1) store.step(1, { continuous: true });
    expect(requested).toEqual([2]);
    const v = await settled(store, (x) => x.index === 8 && !x.loading);
    expect(v.frame?.index).toBe(8);
    expect(requested).toEqual([2, 8]);
  });

  it('plays from genesis to HEAD, one landed frame at a time, then stops', async () => {
    const { store, head, requested, seen } = await setup();
    store.setSpeed(1000);
    store.setPlaying(true);
    expect(store.getSnapshot()).toMatchObject({ index: 0, playing: true });
    const v = await settled(store, (x) => !x.playing);
    expect(v.index).toBe(head);
    expect(requested).toEqual(Array.from({ length: head + 1 }, (_, i) => i));
    // Every index was shown with its frame before the next step.
    const shown = new Set(seen.filter((x) => x.frame?.index === x.index).map((x) => x.index));
    expect(shown.size).toBe(head + 1);
  });

  it('pausing stops playback where it is', async () => {
    const { store, head } = await setup();
    store.setSpeed(50);
    store.setPlaying(true);
    await settled(store, (x) => (x.index ?? 0) >= 2);
    store.setPlaying(false);
    const at = store.getSnapshot().index;
    await new Promise((r) => setTimeout(r, 100));
    expect(store.getSnapshot()).toMatchObject({ index: at, playing: false });
    expect(at).toBeLessThan(head);
  });
});
