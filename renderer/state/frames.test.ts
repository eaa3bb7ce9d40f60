// FrameLoader against an in-memory host built from a scripted scenario: frames carry the
// right states, stepping forward is replayed in the console (and hash-checked), and a
// record that does not reproduce its state_post_hash falls back to the host.

import { describe, expect, it } from 'vitest';
import yamlText from '../../statechart/swoosh.statechart.yaml?raw';
import { H } from '../../core/hash';
import { Scenario } from '../../core/testing/scenario';
import type { WalRecord } from '../../core/types';
import type { ConsoleApi, StateAt } from '../api/ConsoleApi';
import { specFromYaml } from '../lib/spec';
import { FrameLoader } from './frames';

function fakeHost() {
  const r = specFromYaml(yamlText);
  if (!r.ok) throw new Error(r.error);
  const spec = r.spec;
  const sc = new Scenario(spec);
  const states: StateAt[] = [{ index: 0, hash: sc.head.hash, hlc: null, state: sc.head.state }];
  sc.toExecution();
  // Rebuild the states by replaying the scenario's own record bodies.
  const replay = new Scenario(spec);
  const records: WalRecord[] = sc.records.map((body, i) => {
    const res = replay.submit(body.proposal);
    if (!res.ok) throw new Error('replay failed');
    states.push({ index: i + 1, hash: res.hash, hlc: res.state.hlc_last, state: res.state });
    const rec = { ...body, index: i + 1, prev_record_hash: 'x', accepted_at_ms: 0 };
    return { ...rec, record_hash: H(rec) };
  });
  const calls = { stateAt: 0, wal: 0 };
  const api = {
    mode: 'browser',
    getStateAt: async (n: number) => {
      calls.stateAt += 1;
      return states[n] as StateAt;
    },
    getWal: async (from: number, limit: number) => {
      calls.wal += 1;
      const page = records.slice(from - 1, from - 1 + limit);
      return { from, count: page.length, head_index: records.length, records: page };
    },
  } as unknown as ConsoleApi;
  return { spec, api, states, records, calls };
}

describe('FrameLoader', () => {
  it('loads frames: state, previous state and record', async () => {
    const { spec, api, states, records } = fakeHost();
    const loader = new FrameLoader(api);
    loader.setSpec(spec);
    const head = records.length;
    const f = await loader.frame(5, head);
    expect(f.index).toBe(5);
    expect(f.at.hash).toBe(states[5]?.hash);
    expect(f.prev?.hash).toBe(states[4]?.hash);
    expect(f.record?.transition).toBe(records[4]?.transition);
    const g = await loader.frame(0, head);
    expect(g.prev).toBeNull();
    expect(g.record).toBeNull();
  });

  it('replays forward steps locally, checked against state_post_hash', async () => {
    const { spec, api, states, records, calls } = fakeHost();
    const loader = new FrameLoader(api);
    loader.setSpec(spec);
    const head = records.length;
    await loader.frame(3, head);
    const before = calls.stateAt;
    for (let n = 4; n <= head; n += 1) {
      const f = await loader.frame(n, head);
      expect(f.at.source).toBe('replayed');
      expect(f.at.hash).toBe(states[n]?.hash);
    }
    expect(calls.stateAt).toBe(before);
  });

  it('falls back to the host when a record does not reproduce its state', async () => {
    const { spec, api, states, records } = fakeHost();
    const rec = records[6] as WalRecord;
    records[6] = { ...rec, state_post_hash: H({ wrong: true }) };
    const loader = new FrameLoader(api);
    loader.setSpec(spec);
    await loader.frame(6, records.length);
    const f = await loader.frame(7, records.length);
    expect(f.at.source).toBe('host');
    expect(f.at.hash).toBe(states[7]?.hash);
  });
});
