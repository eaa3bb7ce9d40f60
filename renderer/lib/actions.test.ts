// Operator actions: which the state allows, the exact proposal built for one, and that a
// proposal signed by the browser key store is accepted by core's reducer (and verifies
// with core's verifier) — or refused with the code the dialog must show.

import { beforeAll, describe, expect, it } from 'vitest';
import yamlText from '../../statechart/swoosh.statechart.yaml?raw';
import { nobleVerifier, proposalSigningBytes } from '../../core/crypto';
import { H } from '../../core/hash';
import { parseHlc, compareHlc } from '../../core/hlc';
import { reduce } from '../../core/reduce';
import { Scenario } from '../../core/testing/scenario';
import { validateProposal } from '../../core/wire';
import { createBrowserKeys, type BrowserKeys, type KeyStorage } from '../api/browserKeys';
import { encodeKeyFile, keyFileText } from './keyfile';
import {
  actionOptions,
  awaitingOperator,
  buildAction,
  migrationProblems,
  migrationRouteDef,
  nextHlc,
  payloadSubject,
  signingKeysFirst,
  submitBlock,
  windowCountdown,
  type OperatorTransition,
} from './actions';
import { specFromYaml } from './spec';

const loaded = specFromYaml(yamlText);
if (!loaded.ok) throw new Error(loaded.error);
const spec = loaded.spec;

function memoryStorage(): KeyStorage {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v) };
}

const allowed = (sc: Scenario): string[] =>
  actionOptions(spec, sc.state)
    .filter((o) => o.allowed)
    .map((o) => o.def.transition);

/** A scenario in EXECUTION.REVIEW with the review window open at its clock. */
function inReview(): Scenario {
  const sc = new Scenario(spec, { operators: 2, threshold: 2 }).toExecution();
  sc.step('Execution_PlanLocked', { plan_hash: H({ plan: 1 }) });
  sc.seekWindow(5100);
  sc.step('Execution_BeatReviewGate', {});
  return sc;
}

let keys: BrowserKeys;
let opKeyId: string;

beforeAll(async () => {
  keys = createBrowserKeys({ storage: memoryStorage(), auto_lock_ms: 0 });
  const sc = new Scenario(spec);
  // op-1 enters the console the way an operator's `swoosh keygen` file does.
  const info = await keys.importFile('op-1', keyFileText(await encodeKeyFile(sc.cast.operators[0]!.secret, 'pw')), 'pw');
  opKeyId = info.id;
});

async function signAndReduce(sc: Scenario, transition: OperatorTransition, text: string, now_ms = sc.wall_ms) {
  const built = buildAction({ spec, head: sc.head, transition, text, signer: sc.operator.signer, now_ms, uuid: 'u-1' });
  const signed = await keys.sign(opKeyId, built.unsigned);
  return { built, signed, result: reduce(sc.head, signed, { spec, verifier: nobleVerifier }, { now_ms }) };
}

describe('which operator actions the state allows', () => {
  it('in REVIEW: approve and pause; not release, block or resume', () => {
    const sc = inReview();
    expect(allowed(sc).sort()).toEqual(['Control_Pause', 'Execution_Approve']);
    expect(awaitingOperator(spec, sc.state).map((d) => d.transition)).toEqual(['Execution_Approve']);
    const release = actionOptions(spec, sc.state).find((o) => o.def.transition === 'Quarantine_Release');
    expect(release?.blocked).toEqual(['not quarantined']);
  });

  it('in REVIEW with the threshold of approvals reached: approve is still allowed, but nothing awaits a person', () => {
    const sc = inReview();
    const threshold = sc.state.council.threshold;
    expect(threshold).toBeGreaterThan(1);
    for (const op of sc.cast.operators.slice(0, threshold - 1)) sc.step('Execution_Approve', { note: 'ok' }, op);
    expect(awaitingOperator(spec, sc.state).map((d) => d.transition)).toEqual(['Execution_Approve']);
    sc.step('Execution_Approve', { note: 'ok' }, sc.cast.operators[threshold - 1]);
    expect(sc.state.execution.approvals.filter((a) => a.beat === sc.state.execution.beat)).toHaveLength(threshold);
    expect(allowed(sc)).toContain('Execution_Approve');
    expect(awaitingOperator(spec, sc.state)).toEqual([]);
  });

  it('quarantined: only release and confirm block', () => {
    const sc = inReview();
    sc.step('Policy_Violation', { rationale: 'secret in corpus', findings: [] });
    expect(allowed(sc).sort()).toEqual(['Quarantine_ConfirmBlock', 'Quarantine_Release']);
    const approve = actionOptions(spec, sc.state).find((o) => o.def.transition === 'Execution_Approve');
    expect(approve?.allowed).toBe(false);
    expect(approve?.blocked).toContain('quarantined');
  });

  it('paused: resume, not pause; in PLAN nothing awaits the operator', () => {
    const sc = new Scenario(spec).toExecution();
    expect(awaitingOperator(spec, sc.state)).toEqual([]);
    sc.step('Control_Pause', { reason: 'maintenance' }, sc.operator);
    expect(allowed(sc)).toEqual(['Control_Resume']);
  });
});

describe('building and signing an action', () => {
  it('approve in the window: the exact payload, signed by the key store, verifies and is accepted', async () => {
    const sc = inReview();
    const { built, signed, result } = await signAndReduce(sc, 'Execution_Approve', '  ship it  ');
    expect(built.problems).toEqual([]);
    expect(built.warnings).toEqual([]);
    expect(built.unsigned.inputs).toEqual({ note: 'ship it' });
    expect(built.unsigned.window_id).toBe(built.window?.position.window_id);
    expect(built.unsigned.current_state_hash).toBe(sc.head.hash);
    expect(built.payload_hash).toBe(H(built.unsigned));
    expect(built.signed_text.startsWith('SWOOSH-PROPOSAL-V1\n{"current_state_hash"')).toBe(true);
    expect(built.signed_text).not.toContain('"inputs":');
    const { signature, ...rest } = signed;
    expect(rest).toEqual(built.unsigned);
    expect(nobleVerifier.verify(signed.signer, proposalSigningBytes(signed), signature)).toBe(true);
    expect(validateProposal(signed).ok).toBe(true);
    expect(result.ok).toBe(true);
  });

  it('a second approval in the same beat blocks the payload (the reducer would refuse it: guard approval); the next beat takes one', async () => {
    const sc = inReview();
    const first = await signAndReduce(sc, 'Execution_Approve', 'one');
    if (!first.result.ok) throw new Error(first.result.rejection.reason);
    sc.head = { state: first.result.state, hash: first.result.hash };
    const again = await signAndReduce(sc, 'Execution_Approve', 'two', sc.wall_ms + 5);
    expect(again.built.problems).toEqual([
      `op-1 already approved beat ${first.built.window?.position.beat}: one approval per operator per beat (the next beat takes a new one)`,
    ]);
    expect(again.built.warnings).toEqual([]);
    expect(again.result.ok).toBe(false);
    if (!again.result.ok) expect(again.result.rejection).toMatchObject({ code: 'guard_failed', guard: 'approval' });
    // The same operator in the next beat's review window: nothing blocks, and it is accepted.
    sc.seekWindow(5100);
    const next = await signAndReduce(sc, 'Execution_Approve', 'three');
    expect(next.built.problems).toEqual([]);
    expect(next.result.ok).toBe(true);
  });

  it('outside the window: warned, and refused by the window guard', async () => {
    const sc = inReview();
    sc.seekWindow(1000);
    const { built, result } = await signAndReduce(sc, 'Execution_Approve', 'late');
    expect(built.window?.open).toBe(false);
    expect(built.warnings.join()).toMatch(/window is closed .*will answer guard_failed \(window\)/);
    expect(!result.ok && result.rejection).toMatchObject({ code: 'guard_failed', guard: 'window' });
  });

  it('release a quarantine: justification in inputs, no window, accepted', async () => {
    const sc = inReview();
    sc.step('Policy_Violation', { rationale: 'pii', findings: [] });
    const { built, result } = await signAndReduce(sc, 'Quarantine_Release', 'false positive, checked by hand', sc.wall_ms + 20);
    expect(built.unsigned.inputs).toEqual({ justification: 'false positive, checked by hand' });
    expect(built.unsigned.window_id).toBeNull();
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.state.policy.quarantined).toBe(false);
  });

  it('pause carries `reason`; the idem key names project, beat and transition', () => {
    const sc = inReview();
    const built = buildAction({
      spec,
      head: sc.head,
      transition: 'Control_Pause',
      text: 'lunch',
      signer: sc.operator.signer,
      now_ms: sc.wall_ms,
      uuid: 'abc',
    });
    expect(built.unsigned.inputs).toEqual({ reason: 'lunch' });
    expect(built.unsigned.idem_key).toMatch(/^demo:\d+:Control_Pause:abc$/);
  });

  it('blocks an empty justification, a non-operator key and an action the state does not allow', () => {
    const sc = inReview();
    const base = { spec, head: sc.head, now_ms: sc.wall_ms, uuid: 'u' };
    expect(buildAction({ ...base, transition: 'Execution_Approve', text: '   ', signer: sc.operator.signer }).problems).toEqual([
      'Approval note is required',
    ]);
    expect(buildAction({ ...base, transition: 'Execution_Approve', text: 'x', signer: sc.agent.signer }).problems).toEqual([
      'agent-1 does not hold the operator role',
    ]);
    expect(buildAction({ ...base, transition: 'Execution_Approve', text: 'x', signer: sc.cast.stranger.signer }).problems[0]).toMatch(
      /not a signer/,
    );
    expect(buildAction({ ...base, transition: 'Quarantine_Release', text: 'x', signer: sc.operator.signer }).problems).toEqual([
      'not allowed now: not quarantined',
    ]);
  });

  it('the HLC is strictly after hlc_last even when the console clock is behind', () => {
    const sc = inReview();
    const last = parseHlc(sc.state.hlc_last!)!;
    const behind = nextHlc(sc.state.hlc_last, last.wall_ms - 60_000);
    expect(compareHlc(behind, last)).toBe(1);
    expect(behind).toEqual({ wall_ms: last.wall_ms, counter: last.counter + 1 });
    expect(nextHlc(sc.state.hlc_last, last.wall_ms + 5)).toEqual({ wall_ms: last.wall_ms + 5, counter: 0 });
    expect(nextHlc(null, 1234.7)).toEqual({ wall_ms: 1234, counter: 0 });
    // Far behind: the HLC is in the console's future, which is worth a warning.
    const built = buildAction({
      spec,
      head: sc.head,
      transition: 'Control_Pause',
      text: 'x',
      signer: sc.operator.signer,
      now_ms: last.wall_ms - 60_000,
      uuid: 'u',
    });
    expect(built.warnings.join()).toMatch(/ahead of this console's clock/);
  });
});

describe('the key store signs only what it holds', () => {
  it('refuses a locked key and a proposal naming another signer', async () => {
    const sc = inReview();
    const built = buildAction({
      spec,
      head: sc.head,
      transition: 'Control_Pause',
      text: 'x',
      signer: sc.cast.operators[1]!.signer,
      now_ms: sc.wall_ms,
      uuid: 'u',
    });
    await expect(keys.sign(opKeyId, built.unsigned)).rejects.toMatchObject({ code: 'wrong_signer' });
    const tampered = {
      ...buildAction({
        spec,
        head: sc.head,
        transition: 'Control_Pause',
        text: 'x',
        signer: sc.operator.signer,
        now_ms: sc.wall_ms,
        uuid: 'u',
      }).unsigned,
      inputs: { reason: 'y' },
    };
    await expect(keys.sign(opKeyId, tampered)).rejects.toMatchObject({ code: 'inputs_hash_mismatch' });
    await keys.lock(opKeyId);
    await expect(keys.sign(opKeyId, built.unsigned)).rejects.toMatchObject({ code: 'locked' });
    await keys.unlock(opKeyId, 'pw');
  });
});

describe('what the signing dialog decides', () => {
  const build = (sc: Scenario, text: string, now_ms = sc.wall_ms, signer = sc.operator.signer) =>
    buildAction({ spec, head: sc.head, transition: 'Execution_Approve', text, signer, now_ms, uuid: 'u' });

  it("offers the project's operators' keys first, unlocked before locked", () => {
    const sc = inReview();
    const op1 = sc.cast.operators[0]!;
    const op2 = sc.cast.operators[1]!;
    const keys = [
      { id: 'stranger', signer: sc.cast.stranger.signer, unlocked: true },
      { id: 'op2-locked', signer: op2.signer, unlocked: false },
      { id: 'op1', signer: op1.signer, unlocked: true },
    ];
    expect(signingKeysFirst(keys, sc.state).map((k) => k.id)).toEqual(['op1', 'op2-locked', 'stranger']);
    expect(signingKeysFirst(keys, null).map((k) => k.id)).toEqual(['stranger', 'op1', 'op2-locked']);
  });

  it('says why the button is disabled: no key, a problem, a locked key; nothing when it may sign', () => {
    const sc = inReview();
    const key = { id: 'k', signer: sc.operator.signer, unlocked: true };
    expect(submitBlock(build(sc, 'ok'), null)).toMatch(/^no key/);
    expect(submitBlock(null, key)).toBe('waiting for HEAD');
    expect(submitBlock(build(sc, ' '), key)).toBe('Approval note is required');
    expect(submitBlock(build(sc, 'ok'), { ...key, unlocked: false })).toBe('unlock the key first');
    expect(submitBlock(build(sc, 'ok'), key)).toBeNull();
  });

  it('the subject of a payload ignores a restamp in the same window, and changes with the window, text or HEAD', () => {
    const sc = inReview();
    const at = build(sc, 'ok');
    expect(at.window?.open).toBe(true);
    expect(payloadSubject(build(sc, 'ok', sc.wall_ms + 200))).toBe(payloadSubject(at));
    expect(build(sc, 'ok', sc.wall_ms + 200).unsigned.hlc).not.toBe(at.unsigned.hlc);
    expect(payloadSubject(build(sc, 'ok, checked'))).not.toBe(payloadSubject(at));
    // Next beat: its window closed, then open (same window_id): a refusal about the first is stale.
    const schedule = sc.state.execution.backbeat;
    const beatStart_ms = schedule.epoch_ms + ((at.window?.position.beat ?? 0) + 1) * schedule.period_ms;
    const closed = build(sc, 'ok', beatStart_ms + 1000);
    const open = build(sc, 'ok', beatStart_ms + schedule.period_ms * 0.6);
    expect(closed.window?.open).toBe(false);
    expect(closed.unsigned.window_id).toBe(open.unsigned.window_id);
    expect(payloadSubject(closed)).not.toBe(payloadSubject(open));
    sc.step('Control_Pause', { reason: 'moves HEAD' }, sc.operator);
    expect(payloadSubject(build(sc, 'ok'))).not.toBe(payloadSubject(at));
  });

  it("counts down to the window's close (through the adjoining reverb) or to its next opening", () => {
    const schedule = {
      epoch_ms: 0,
      period_ms: 10_000,
      windows: { review: [5000, 7500] as [number, number], reverb: [7500, 10000] as [number, number] },
    };
    // In review at 6 s: review ends at 7.5 s, reverb adjoins it up to 10 s.
    expect(windowCountdown(schedule, 0, ['review', 'reverb'], true, 6000)).toBe(4000);
    expect(windowCountdown(schedule, 0, ['review'], true, 6000)).toBe(1500);
    // Closed at 1 s: review opens at 5 s.
    expect(windowCountdown(schedule, 0, ['review', 'reverb'], false, 1000)).toBe(4000);
    expect(windowCountdown(schedule, 0, ['nonesuch'], false, 1000)).toBeNull();
  });
});

describe('migration actions (signed through the same dialog)', () => {
  /** HEAD of a scenario whose routes are `routes` (as a migrating genesis would start). */
  function migrating(sc: Scenario, routes: Record<string, string>, bypass = false) {
    const state = {
      ...sc.state,
      migration: { ...sc.state.migration, routes: routes as never, bypass, bypass_reason: bypass ? 'incident' : null },
    };
    return { state, hash: H(state) };
  }

  it('Migration_Route carries the fixed region and mode beside the justification, and the reducer applies it', async () => {
    const sc = new Scenario(spec);
    const head = migrating(sc, { council: 'shadow', ingestion: 'legacy', execution: 'legacy' });
    const def = migrationRouteDef('council', 'swoosh');
    const built = buildAction({
      spec,
      head,
      transition: 'Migration_Route',
      text: ' CHG-1 cut council ',
      signer: sc.operator.signer,
      now_ms: sc.wall_ms,
      uuid: 'u-m',
      fixed_inputs: def.fixed_inputs,
    });
    expect(built.problems).toEqual([]);
    expect(built.unsigned.inputs).toEqual({ region: 'council', mode: 'swoosh', justification: 'CHG-1 cut council' });
    expect(validateProposal({ ...built.unsigned, signature: 'x'.repeat(86) }).ok).toBe(true);
    const signed = await keys.sign(opKeyId, built.unsigned);
    const result = reduce(head, signed, { spec, verifier: nobleVerifier }, { now_ms: sc.wall_ms });
    expect(result.ok && result.state.migration.routes.council).toBe('swoosh');
  });

  it('a step the migration guards refuse is a problem before signing, and the reducer refuses it too', async () => {
    const sc = new Scenario(spec);
    const head = migrating(sc, { council: 'shadow', ingestion: 'legacy', execution: 'legacy' });
    const skip = buildAction({
      spec,
      head,
      transition: 'Migration_Route',
      text: 'x',
      signer: sc.operator.signer,
      now_ms: sc.wall_ms,
      uuid: 'u',
      fixed_inputs: { region: 'ingestion', mode: 'swoosh' },
    });
    expect(skip.problems.join(' ')).toMatch(/skips a step/);
    const order = buildAction({
      spec,
      head: migrating(sc, { council: 'shadow', ingestion: 'shadow', execution: 'legacy' }),
      transition: 'Migration_Route',
      text: 'x',
      signer: sc.operator.signer,
      now_ms: sc.wall_ms,
      uuid: 'u',
      fixed_inputs: { region: 'ingestion', mode: 'swoosh' },
    });
    expect(order.problems.join(' ')).toMatch(/council → ingestion → execution/);
    const signed = await keys.sign(opKeyId, order.unsigned);
    const result = reduce(
      migrating(sc, { council: 'shadow', ingestion: 'shadow', execution: 'legacy' }),
      signed,
      { spec, verifier: nobleVerifier },
      { now_ms: sc.wall_ms },
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.rejection.guard).toBe('migration_order');
  });

  it('bypass takes a reason and is refused while bypassed; restore only while bypassed', () => {
    const sc = new Scenario(spec);
    const live = migrating(sc, { council: 'swoosh', ingestion: 'shadow', execution: 'legacy' });
    const bypass = buildAction({
      spec,
      head: live,
      transition: 'Migration_Bypass',
      text: 'split brain',
      signer: sc.operator.signer,
      now_ms: sc.wall_ms,
      uuid: 'u',
    });
    expect(bypass.problems).toEqual([]);
    expect(bypass.unsigned.inputs).toEqual({ reason: 'split brain' });
    expect(
      buildAction({
        spec,
        head: live,
        transition: 'Migration_Restore',
        text: 'ok',
        signer: sc.operator.signer,
        now_ms: sc.wall_ms,
        uuid: 'u',
      }).problems,
    ).toContain('not bypassed: nothing to restore');
    const down = migrating(sc, { council: 'swoosh', ingestion: 'shadow', execution: 'legacy' }, true);
    expect(
      buildAction({
        spec,
        head: down,
        transition: 'Migration_Bypass',
        text: 'again',
        signer: sc.operator.signer,
        now_ms: sc.wall_ms,
        uuid: 'u',
      }).problems.join(' '),
    ).toMatch(/already bypassed/);
    expect(migrationProblems(down.state, 'Migration_Restore', undefined)).toEqual([]);
  });

  it('the Actions list is unchanged: migration actions are offered by the Migration view only', () => {
    expect(actionOptions(spec, new Scenario(spec).state).map((o) => o.def.transition)).not.toContain('Migration_Route');
  });
});
