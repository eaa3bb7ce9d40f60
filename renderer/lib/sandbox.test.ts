// The what-if sandbox's pure editing pieces (the reducer runs are in console-libs.test.ts):
// fork requests checked against HEAD, the step-list operations, the list's key bindings
// and the editor's inputs. An edit then a run shows the edited step judged by the reducer.

import { describe, expect, it } from 'vitest';
import yamlText from '../../statechart/swoosh.statechart.yaml?raw';
import { Scenario } from '../../core/testing/scenario';
import type { Proposal } from '../../core/types';
import {
  editStep,
  forkPlan,
  insertAfter,
  listCommand,
  moveStep,
  parseInputs,
  removeAdded,
  runSandbox,
  SANDBOX_STEPS_MAX,
  stepsFromWal,
  toggleSkip,
  type SandboxStep,
} from './sandbox';
import { specFromYaml } from './spec';

const loaded = specFromYaml(yamlText);
if (!loaded.ok) throw new Error(loaded.error);
const spec = loaded.spec;

const proposal = (transition: string) => ({ transition }) as Proposal;
const walStep = (i: number): SandboxStep => ({ id: `w${i}`, origin: 'wal', wal_index: i, proposal: proposal(`T${i}`), skip: false });
const added = (id: string): SandboxStep => ({ id, origin: 'added', wal_index: null, proposal: proposal('Added'), skip: false });
const ids = (steps: readonly SandboxStep[]) => steps.map((s) => s.id);

describe('sandbox fork requests', () => {
  it('takes an index of the WAL and bounds the count by HEAD and SANDBOX_STEPS_MAX', () => {
    expect(forkPlan(10, 40, 30)).toEqual({ ok: true, plan: { at: 10, count: 20 } });
    expect(forkPlan(0, 40, 30)).toEqual({ ok: true, plan: { at: 0, count: 30 } });
    expect(forkPlan(30, 40, 30)).toEqual({ ok: true, plan: { at: 30, count: 0 } });
    expect(forkPlan(0, 10_000, 1_000_000)).toEqual({ ok: true, plan: { at: 0, count: SANDBOX_STEPS_MAX } });
    expect(forkPlan(3, -5, 30)).toEqual({ ok: true, plan: { at: 3, count: 0 } });
    expect(forkPlan(3, 2.7, 30)).toEqual({ ok: true, plan: { at: 3, count: 2 } });
  });

  it('refuses an index outside 0..HEAD or not a whole number', () => {
    for (const at of [-1, 31, 2.5, Number.NaN]) expect(forkPlan(at, 40, 30)).toEqual({ ok: false, reason: 'fork index must be in 0..30' });
  });
});

describe('sandbox step list', () => {
  const steps = [walStep(1), walStep(2), added('a1'), walStep(3)];

  it('skips and includes a step, leaving the others and the input untouched', () => {
    const once = toggleSkip(steps, 'w2');
    expect(once.map((s) => s.skip)).toEqual([false, true, false, false]);
    expect(toggleSkip(once, 'w2').map((s) => s.skip)).toEqual([false, false, false, false]);
    expect(steps[1]?.skip).toBe(false);
  });

  it('removes added steps only: WAL steps are skipped, never removed', () => {
    expect(ids(removeAdded(steps, 'a1'))).toEqual(['w1', 'w2', 'w3']);
    expect(ids(removeAdded(steps, 'w2'))).toEqual(ids(steps));
  });

  it('an edited WAL step becomes `edited` and keeps its index; an added step stays `added`', () => {
    const p = proposal('Control_Pause');
    const e = editStep(steps, 'w2', p);
    expect(e[1]).toMatchObject({ id: 'w2', origin: 'edited', wal_index: 2, proposal: p });
    expect(editStep(steps, 'a1', p)[2]).toMatchObject({ origin: 'added', proposal: p });
  });

  it('inserts after the anchor, or at the end without one', () => {
    expect(ids(insertAfter(steps, 'w1', added('a2')))).toEqual(['w1', 'a2', 'w2', 'a1', 'w3']);
    expect(ids(insertAfter(steps, 'w3', added('a2')))).toEqual(['w1', 'w2', 'a1', 'w3', 'a2']);
    expect(ids(insertAfter(steps, null, added('a2')))).toEqual(['w1', 'w2', 'a1', 'w3', 'a2']);
    expect(ids(insertAfter([], null, added('a2')))).toEqual(['a2']);
  });

  it('maps the list keys: arrows select, Shift+arrows move, x e a Delete', () => {
    expect(listCommand('ArrowDown', false)).toEqual({ kind: 'select', delta: 1 });
    expect(listCommand('ArrowUp', false)).toEqual({ kind: 'select', delta: -1 });
    expect(listCommand('ArrowDown', true)).toEqual({ kind: 'move', delta: 1 });
    expect(listCommand('ArrowUp', true)).toEqual({ kind: 'move', delta: -1 });
    expect(listCommand('x', false)).toEqual({ kind: 'skip' });
    expect(listCommand('e', false)).toEqual({ kind: 'edit' });
    expect(listCommand('a', false)).toEqual({ kind: 'add' });
    expect(listCommand('Delete', false)).toEqual({ kind: 'remove' });
    expect(listCommand('Backspace', false)).toEqual({ kind: 'remove' });
    expect(listCommand('q', false)).toBeNull();
    expect(listCommand('Enter', false)).toBeNull();
  });

  it('the editor takes a JSON object as inputs, and says why not otherwise', () => {
    expect(parseInputs('{"reason": "what if"}')).toEqual({ ok: true, inputs: { reason: 'what if' } });
    expect(parseInputs('[1]')).toEqual({ ok: false, error: 'inputs must be a JSON object' });
    expect(parseInputs('null')).toEqual({ ok: false, error: 'inputs must be a JSON object' });
    const bad = parseInputs('{reason:');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatch(/^inputs: /);
  });
});

describe('sandbox edits, judged', () => {
  it('moving a WAL step ahead of its predecessor is judged by the reducer: the moved step is refused', async () => {
    const sc = new Scenario(spec);
    const genesis = { index: 0, hash: sc.head.hash, state: sc.head.state };
    sc.toExecution();
    const walLike = sc.records.slice(0, 6).map((body, i) => ({ index: i + 1, proposal: body.proposal }));
    const steps = stepsFromWal(walLike);
    const moved = moveStep(steps, 1, -1);
    expect(ids(moved).slice(0, 2)).toEqual(['w2', 'w1']);
    const run = await runSandbox(genesis, moved, { spec, rebase: true, liveHashAt: () => null });
    expect(run.outcomes[0]?.step_id).toBe('w2');
    expect(run.outcomes[0]?.result).toBe('rejected');
    expect(run.rejected).toBeGreaterThan(0);
  });
});
