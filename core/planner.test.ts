// The planner lists only proposals the statechart enables, never leaves a live project
// without a next step, and says what the state calls for at each point of the lifecycle.

import { describe, expect, it } from 'vitest';
import { H } from './hash';
import { nextIntents, type NextIntent } from './planner';
import { isActive } from './spec';
import { activeLeaves, type State } from './state';
import { Scenario } from './testing/scenario';
import { runStream } from './testing/streams';
import { loadMachine } from '../main/machine';

const spec = loadMachine();

const names = (xs: readonly NextIntent[]): string[] => xs.map((x) => x.transition);
const due = (xs: readonly NextIntent[]): string[] => names(xs.filter((x) => x.due));

/** Why the reducer would refuse `i` in `s` before any guard runs, or null. */
function notEnabled(s: State, i: NextIntent): string | null {
  const t = spec.transitions[i.transition];
  if (!t) return 'unknown transition';
  const leaves = activeLeaves(s);
  if (!t.from.some((p) => isActive(leaves, p))) return `not enabled in [${leaves.join(', ')}]`;
  if (s.policy.quarantined && !t.when_quarantined) return 'quarantined';
  if (s.control.paused && !t.when_paused) return 'paused';
  if (s.boot.phase === 'EXPIRED' && !t.license_exempt) return 'licence expired';
  return null;
}

describe('nextIntents over seeded streams', () => {
  // Faulty streams visit pauses, quarantines, recoveries, lapsed licences and terminations.
  const runs = [1, 2, 3, 4].map((seed) => runStream(spec, seed, 250, { fault_pct: 45 }));
  const states = runs.flatMap((r) => r.heads.map((h) => h.state));

  it('visits the states that matter', () => {
    expect(states.some((s) => s.policy.quarantined)).toBe(true);
    expect(states.some((s) => s.control.paused)).toBe(true);
    expect(states.some((s) => s.execution.phase === 'REVIEW')).toBe(true);
    expect(states.some((s) => s.boot.phase === 'GRACE' || s.boot.phase === 'EXPIRED')).toBe(true);
  });

  it('lists only transitions the statechart enables in that state', () => {
    const problems: string[] = [];
    for (const s of states) {
      for (const i of nextIntents(s, spec, { now_ms: 0 })) {
        const why = notEnabled(s, i);
        if (why) problems.push(`${i.transition}: ${why}`);
      }
    }
    expect([...new Set(problems)]).toEqual([]);
  });

  it('always has a due step for a project that is not terminated, and none for one that is', () => {
    for (const s of states) {
      const listed = nextIntents(s, spec, { now_ms: 0 });
      if (s.control.terminated) expect(listed).toEqual([]);
      else expect(listed.filter((i) => i.due).length).toBeGreaterThan(0);
    }
  });

  it('takes roles and windows from the statechart, and lists due intents first', () => {
    for (const s of states.slice(0, 200)) {
      const listed = nextIntents(s, spec, { now_ms: 0 });
      for (const i of listed) {
        expect(i.roles).toEqual(spec.transitions[i.transition]?.roles);
        expect(i.window).toEqual(spec.transitions[i.transition]?.window);
      }
      const firstFact = listed.findIndex((i) => !i.due);
      if (firstFact >= 0) expect(listed.slice(firstFact).every((i) => !i.due)).toBe(true);
    }
  });
});

describe('nextIntents along the lifecycle', () => {
  it('boots with the genesis hash as the config hash, then asks for a licence', () => {
    const sc = new Scenario(spec);
    const [boot] = nextIntents(sc.state, spec);
    expect(boot).toMatchObject({
      transition: 'Boot_ConfigOk',
      region: 'license',
      given: { config_hash: H(sc.genesis) },
      needs: [],
      due: true,
    });
    sc.step('Boot_ConfigOk', boot?.given ?? {}, sc.operator);
    expect(nextIntents(sc.state, spec)).toMatchObject([{ transition: 'Boot_Licensed', needs: ['token'], roles: ['agent', 'operator'] }]);
  });

  it('moves the three regions side by side, ingestion first, then into EXECUTION with the pins as given', () => {
    const sc = new Scenario(spec).boot();
    expect(due(nextIntents(sc.state, spec))).toEqual(['Ingestion_SourcesResolved', 'Council_ProfilesLoaded', 'Environment_CapacityOk']);
    sc.ingest().elect().provision();
    const [ready] = nextIntents(sc.state, spec);
    const s = sc.state;
    expect(ready).toMatchObject({
      transition: 'Execution_AllReady',
      given: {
        content_hash: s.ingestion.content_hash,
        version: s.ingestion.version,
        member_set_hash: s.council.member_set_hash,
        env_hash: s.environment.env_hash,
      },
    });
  });

  it('lists what only an outside fact calls for after the due steps', () => {
    const sc = new Scenario(spec).boot();
    sc.step('Ingestion_SourcesResolved', { sources: ['git://a'] });
    sc.step('Ingestion_BytesOk', { content_hash: H({ label: 'b' }) });
    sc.provision();
    const listed = nextIntents(sc.state, spec);
    expect(names(listed.filter((i) => !i.due))).toEqual(['License_Refresh', 'Policy_Update']);
    sc.step('Environment_Deprovision', { reason: 'again' });
    sc.step('Environment_CapacityOk', { allocations: [] });
    sc.step('Environment_Installed', { assets: [] });
    expect(names(nextIntents(sc.state, spec).filter((i) => !i.due))).toContain('Environment_Amber');
  });

  it('in REVIEW: approvals of the beat first, then across into REVERB; a new beat starts over', () => {
    const sc = new Scenario(spec, { operators: 3 }).toExecution();
    sc.step('Execution_PlanLocked', { plan_hash: H({ label: 'p' }) });
    sc.seekWindow(5100);
    sc.step('Execution_BeatReviewGate', {});
    const ops = sc.cast.operators;
    const at = () => ({ now_ms: sc.wall_ms });
    const [first] = nextIntents(sc.state, spec, at());
    expect(first).toMatchObject({ transition: 'Execution_Approve', due: true, window: ['review', 'reverb'] });
    expect(first?.approvers).toEqual(ops.map((o) => o.signer).sort());
    sc.step('Execution_Approve', { note: 'one' }, ops[0]);
    sc.step('Execution_Approve', { note: 'two' }, ops[1]);
    const after = nextIntents(sc.state, spec, at());
    expect(due(after)).toEqual(['Execution_ApprovalsThreshold']);
    expect(after.find((i) => i.transition === 'Execution_Approve')).toMatchObject({ due: false, approvers: [ops[2]?.signer] });
    const nextBeat = { now_ms: sc.wall_ms + sc.genesis.backbeat.period_ms };
    expect(due(nextIntents(sc.state, spec, nextBeat))).toEqual(['Execution_Approve']);
  });

  it('holds come before progress: a pause asks for a resume only', () => {
    const sc = new Scenario(spec).boot();
    sc.step('Control_Pause', { reason: 'lunch' }, sc.operator);
    expect(due(nextIntents(sc.state, spec))).toEqual(['Control_Resume']);
  });
});
