// The xstate feed against the reducer: a scripted project (core/testing/scenario.ts) runs
// through the lifecycle, a policy breach and its lift, two REVERB loops and licence refreshes
// (every branched transition of the YAML); the feed is given the frames the console would
// see, and its xstate configuration must equal activeLeaves(state document) at every step.

import { describe, expect, it } from 'vitest';
import yamlText from '../../statechart/swoosh.statechart.yaml?raw';
import { H } from '../../core/hash';
import { reduce } from '../../core/reduce';
import { activeLeaves, initialState, type State } from '../../core/state';
import { fakeHash } from '../../core/testing/kit';
import { Scenario } from '../../core/testing/scenario';
import type { JsonObject } from '../../core/types';
import { specFromYaml } from './spec';
import { eventFor, PENDING_MAX, RING_MAX, stateValueOf, XstateFeed, type FeedFrame } from './xstateFeed';

const loaded = specFromYaml(yamlText);
if (!loaded.ok) throw new Error(loaded.error);
const spec = loaded.spec;

interface Run {
  /** states[i]: the state document after record i (0: genesis). */
  states: State[];
  /** transitions[i]: record i's transition (index 0: genesis). */
  transitions: Array<string | null>;
}

const finding = (kind: string): JsonObject => ({ kind, path: 'corpus/a.txt', detail: 'seen by SHHH' });

/** Every branch of the YAML is taken: SchemaOk breach/clean, Policy_Update lift/keep, License_Refresh grace/valid/expired. */
function scenario(loops = 2): Run {
  const sc = new Scenario(spec);
  sc.boot();
  sc.step('Ingestion_SourcesResolved', { sources: ['git://corpus/a'] });
  sc.step('Ingestion_BytesOk', { content_hash: fakeHash('bytes') });
  sc.step('Ingestion_SchemaOk', { findings: [finding('secret')] }); // breach → POLICY.QUARANTINED
  sc.step('Policy_Update', { policy: { version: sc.state.policy.version + 1, deny: ['secret', 'pii'] } }, sc.operator); // keep
  sc.step('Policy_Update', { policy: { version: sc.state.policy.version + 1, deny: ['pii'] } }, sc.operator); // lift
  sc.step('Ingestion_SchemaOk', { findings: [] }); // clean
  sc.step('Ingestion_CorpusBuilt', { content_hash: fakeHash('corpus'), version: 'v1' });
  sc.elect().provision().enterExecution();
  for (let i = 0; i < loops; i += 1) sc.reverbLoop();
  sc.step('License_Refresh', sc.license(sc.wall_ms - 1000, 500, 86_400_000)); // grace
  sc.step('License_Refresh', sc.license()); // valid
  sc.step('License_Refresh', sc.license(sc.wall_ms - 1000, 100, 200)); // expired
  return { states: replayStates(sc), transitions: [null, ...sc.records.map((r) => r.transition)] };
}

/** The state document after every record, replayed through the reducer from genesis. */
function replayStates(sc: Scenario): State[] {
  let state = initialState(sc.genesis, spec.hash);
  let hash = H(state);
  const out = [state];
  for (const body of sc.records) {
    const r = reduce({ state, hash }, body.proposal, { spec, verifier: sc.verifier });
    if (!r.ok || r.hash !== body.state_post_hash) throw new Error(`replay disagrees at ${body.transition}`);
    state = r.state;
    hash = r.hash;
    out.push(state);
  }
  return out;
}

const frameAt = (run: Run, i: number): FeedFrame => ({ index: i, state: run.states[i] as State, transition: run.transitions[i] ?? null });

const RUN = scenario();

describe('XstateFeed', () => {
  it('the scenario takes every branch of the YAML', () => {
    const taken = new Set<string>();
    for (let i = 1; i < RUN.states.length; i += 1) {
      const e = eventFor(spec, RUN.transitions[i] as string, RUN.states[i] as State);
      if (e?.branch !== undefined) taken.add(`${e.type}[${e.branch}]`);
    }
    expect([...taken].sort()).toEqual([
      'Ingestion_SchemaOk[breach]',
      'Ingestion_SchemaOk[clean]',
      'License_Refresh[expired]',
      'License_Refresh[grace]',
      'License_Refresh[valid]',
      'Policy_Update[keep]',
      'Policy_Update[lift]',
    ]);
  });

  it('fed record by record, the latest @xstate.snapshot equals activeLeaves at every step, without re-creation', () => {
    const feed = new XstateFeed(spec);
    for (let i = 0; i < RUN.states.length; i += 1) {
      const v = feed.sync(frameAt(RUN, i));
      const want = activeLeaves(RUN.states[i] as State);
      expect(v.configuration, `#${i} ${RUN.transitions[i]}`).toEqual(want);
      expect(v.agrees, `#${i}`).toBe(true);
      expect(v.index).toBe(i);
      const lastSnapshot = [...v.entries].reverse().find((e) => e.type === '@xstate.snapshot');
      expect(lastSnapshot?.leaves).toEqual(want);
      if (i > 0) expect(lastSnapshot?.event.startsWith(RUN.transitions[i] as string)).toBe(true);
    }
    const v = feed.view();
    expect(v.recreated).toBe(1); // the start only: every record went through xstate as an event
    expect(v.sent).toBe(RUN.states.length - 1);
    feed.stop();
  });

  it('SSE transitions noted ahead fill the gaps between coalesced frames', () => {
    const feed = new XstateFeed(spec);
    feed.sync(frameAt(RUN, 0));
    for (let i = 1; i < RUN.states.length; i += 1) feed.noteAccepted(i, RUN.transitions[i] as string);
    const seen: number[] = [];
    for (let i = 4; i < RUN.states.length; i += 4) {
      const v = feed.sync(frameAt(RUN, i));
      expect(v.configuration, `#${i}`).toEqual(activeLeaves(RUN.states[i] as State));
      expect(v.agrees).toBe(true);
      seen.push(i);
    }
    expect(seen.length).toBeGreaterThan(5);
    // A branched transition in the middle of a burst cannot be told: those bursts re-create; the rest are sent.
    const v = feed.view();
    expect(v.sent).toBeGreaterThan(RUN.states.length / 2);
    expect(v.recreated).toBeLessThan(seen.length);
  });

  it('a jump, a step back or a gap re-creates the actor from the state document, and it agrees', () => {
    const feed = new XstateFeed(spec);
    // A fixed pseudo-random walk over every index (LCG), forward and back.
    let x = 7;
    const order: number[] = [];
    for (let k = 0; k < 60; k += 1) {
      x = (x * 1103515245 + 12345) % 2147483648;
      order.push(x % RUN.states.length);
    }
    let recreated = 0;
    let prev: number | null = null;
    for (const i of order) {
      const v = feed.sync({ ...frameAt(RUN, i), transition: null });
      expect(v.configuration, `at #${i}`).toEqual(activeLeaves(RUN.states[i] as State));
      expect(v.agrees).toBe(true);
      if (prev !== i) recreated += 1;
      expect(v.recreated).toBe(recreated);
      prev = i;
    }
    const why = feed
      .view()
      .entries.filter((e) => e.type === 'swoosh.recreate')
      .map((e) => e.event);
    expect(why.some((w) => w.startsWith('back to #'))).toBe(true);
    expect(why.some((w) => w.startsWith('gap #') || w.startsWith('jump to #'))).toBe(true);
  });

  it('the inspection ring stays bounded', () => {
    const long = scenario(20);
    const feed = new XstateFeed(spec);
    for (let i = 0; i < long.states.length; i += 1) feed.sync(frameAt(long, i));
    const v = feed.view();
    expect(v.sent).toBe(long.states.length - 1);
    expect(v.entries.length).toBe(RING_MAX);
    expect((v.entries.at(-1)?.seq ?? 0) - (v.entries[0]?.seq ?? 0)).toBe(RING_MAX - 1);
    expect(v.entries.at(-1)?.type).toBe('@xstate.snapshot');
    // Noted SSE transitions are bounded too: far more than PENDING_MAX, then a frame still syncs.
    for (let i = 1; i <= PENDING_MAX * 2; i += 1) feed.noteAccepted(long.states.length + i, 'Execution_Submit');
    expect(feed.sync(frameAt(long, 3)).agrees).toBe(true);
  });

  it('a wrong state document makes `agrees` false, names the difference, and the chart is re-drawn from the document', () => {
    const feed = new XstateFeed(spec);
    const i = RUN.transitions.indexOf('Ingestion_CorpusBuilt');
    feed.sync(frameAt(RUN, i - 1));
    // Record i's transition, but a document whose configuration did not move (the pre-state).
    const v = feed.sync({ index: i, state: RUN.states[i - 1] as State, transition: 'Ingestion_CorpusBuilt' });
    expect(v.agrees).toBe(false);
    expect(v.differs_at).toBe(i);
    expect(v.difference).toEqual({
      only_xstate: ['FLOW.PROJECT_LIFECYCLE.Ingestion.READY'],
      only_document: ['FLOW.PROJECT_LIFECYCLE.Ingestion.INDEX'],
    });
    expect(v.configuration).toEqual(activeLeaves(RUN.states[i - 1] as State));
    expect(v.entries.at(-1)?.type).toBe('@xstate.snapshot');
    // The disagreement stays shown while nothing moves, and clears when a transition agrees.
    expect(feed.sync({ index: i, state: RUN.states[i - 1] as State, transition: null }).agrees).toBe(false);
    // The right document now: the actor (re-created from the wrong one) differs the other way round.
    const back = feed.sync(frameAt(RUN, i));
    expect(back.agrees).toBe(false);
    expect(back.difference).toEqual({
      only_xstate: ['FLOW.PROJECT_LIFECYCLE.Ingestion.INDEX'],
      only_document: ['FLOW.PROJECT_LIFECYCLE.Ingestion.READY'],
    });
    expect(back.configuration).toEqual(activeLeaves(RUN.states[i] as State));
    const next = feed.sync({ index: i + 1, state: RUN.states[i + 1] as State, transition: RUN.transitions[i + 1] ?? null });
    expect(next.agrees).toBe(true);
    expect(next.difference).toEqual({ only_xstate: [], only_document: [] });
  });

  it('stateValueOf nests leaves as xstate values (atomic children as {})', () => {
    expect(stateValueOf(['A.B', 'A.C.D', 'E'])).toEqual({ A: { B: {}, C: { D: {} } }, E: {} });
  });
});
