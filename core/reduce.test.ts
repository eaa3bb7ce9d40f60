// The pure reducer: docs/protocol.md §5 order of checks, every rejection code the core produces,
// totality on garbage, the bookkeeping of accepted transitions (hlc_last, epochs), the
// lifecycle paths (compensations, quarantine, pause, recovery, licence), decision records
// and the invariants. Proposals are really signed (core/testing/kit, Scenario).

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadMachine } from '../main/machine';
import { canonicalize } from './canonical';
import { nobleVerifier, proposalSigningBytes, type Signer } from './crypto';
import { decisionRecord, decisionUcxl, justification } from './decision';
import { H } from './hash';
import { formatHlc, parseHlc } from './hlc';
import { checkInvariants, QUARANTINE_ALLOWED } from './invariants';
import { reduce, regionChanged, type Head, type ReduceDeps, type ReduceResult } from './reduce';
import { activeLeaves, effectiveRoute, initialState, MIGRATION_ORDER, REGION_KEYS, type State } from './state';
import { fakeHash, quorumInputs, signProposal, wallAt } from './testing/kit';
import { Scenario } from './testing/scenario';
import type { JsonObject, MigrationRoutes, Proposal, RecordBody, Rejection, RejectionCode } from './types';
import { parseUcxl } from './ucxl';
import { beatPosition } from './window';
import { INPUT_SCHEMAS } from './wire';
import { EFFECTS } from './effects';

const spec = loadMachine();
const deps: ReduceDeps = { spec, verifier: nobleVerifier };
const DAY_MS = 86_400_000;

const ALL_CODES: readonly RejectionCode[] = [
  'malformed',
  'inputs_hash_mismatch',
  'bad_signature',
  'unknown_signer',
  'role_denied',
  'unknown_transition',
  'invalid_from_state',
  'guard_failed',
  'hlc_regression',
  'hlc_from_future',
  'wrong_window',
  'idem_key_conflict',
  'quarantined',
  'terminated',
  'stale_state_hash',
];

// ---------------------------------------------------------------------------
// helpers

function deepFreeze<T>(x: T): T {
  if (x !== null && typeof x === 'object' && !Object.isFrozen(x)) {
    Object.freeze(x);
    for (const v of Object.values(x as object)) deepFreeze(v);
  }
  return x;
}

interface Step {
  prev: State;
  next: State;
  body: RecordBody;
}

/** A Scenario that freezes HEAD before every reduce (any mutation would surface) and keeps every step. */
class Traced extends Scenario {
  readonly trail: Step[] = [];

  override submit(proposal: Proposal): ReduceResult {
    const prev = deepFreeze(this.head.state);
    const result = super.submit(proposal);
    if (result.ok) this.trail.push({ prev, next: result.state, body: result.body });
    return result;
  }
}

function rejected(res: ReduceResult, code: RejectionCode): Rejection {
  if (res.ok) throw new Error(`expected ${code}, but ${res.body.transition} was accepted`);
  expect(res.rejection.code, res.rejection.reason).toBe(code);
  expect(res.rejection.reason.length).toBeGreaterThan(0);
  expect(res.rejection.reason).not.toContain('internal error');
  return res.rejection;
}

function accepted(res: ReduceResult): Extract<ReduceResult, { ok: true }> {
  expect(res.ok ? 'accepted' : `rejected: ${res.rejection.code}: ${res.rejection.reason}`).toBe('accepted');
  return res as Extract<ReduceResult, { ok: true }>;
}

function resign(p: Proposal, by: Signer): Proposal {
  return { ...p, signature: by.sign(proposalSigningBytes(p)) };
}

function flipSig(p: Proposal): Proposal {
  return { ...p, signature: (p.signature[0] === 'A' ? 'B' : 'A') + p.signature.slice(1) };
}

interface Over {
  by?: Signer;
  hlc?: string;
  idem?: string;
  window_id?: string | null;
  state_hash?: string;
}

/** A correctly signed proposal against HEAD (fresh HLC and idem key) with overrides. */
function draft(sc: Scenario, transition: string, inputs: JsonObject, o: Over = {}): Proposal {
  const by = o.by ?? sc.agent;
  const base = sc.build(transition, inputs, by);
  return signProposal({
    state_hash: o.state_hash ?? base.current_state_hash,
    transition,
    inputs,
    by,
    hlc: o.hlc ?? base.hlc,
    idem_key: o.idem ?? base.idem_key,
    window_id: o.window_id !== undefined ? o.window_id : base.window_id,
    evidence: base.evidence,
  });
}

/** Reduce against HEAD and check that HEAD is exactly as it was when the answer is a rejection. */
function tryStep(sc: Scenario, p: Proposal): ReduceResult {
  const before = sc.head;
  const text = canonicalize(before.state);
  const res = sc.submit(p);
  if (!res.ok) {
    expect(sc.head).toBe(before);
    expect(canonicalize(sc.head.state)).toBe(text);
    expect(H(sc.head.state)).toBe(sc.head.hash);
  }
  return res;
}

const booted = () => new Traced(spec).boot();
const atExecution = () => new Traced(spec).toExecution();

function inReview(): Traced {
  const sc = atExecution();
  sc.step('Execution_PlanLocked', { plan_hash: fakeHash('plan') });
  sc.seekWindow(5100);
  sc.step('Execution_BeatReviewGate', {});
  return sc;
}

function atValidate(sc: Traced = booted()): Traced {
  sc.step('Ingestion_SourcesResolved', { sources: ['git://corpus/a'] });
  sc.step('Ingestion_BytesOk', { content_hash: fakeHash('bytes') });
  return sc;
}

const SECRET = { kind: 'secret', path: 'cfg/.env', detail: 'AWS key' };

function quarantinedByBreach(): Traced {
  const sc = atValidate();
  sc.step('Ingestion_SchemaOk', { findings: [SECRET, { kind: 'style', path: 'README', detail: 'long line' }] });
  return sc;
}

function terminated(): Traced {
  const sc = quarantinedByBreach();
  sc.step('Quarantine_ConfirmBlock', { justification: 'leaked credentials confirmed' }, sc.operator);
  return sc;
}

/** Region-by-region change, computed independently of reduce.regionChanged. */
function changedRegions(prev: State, next: State): string[] {
  return REGION_KEYS.filter((k) => JSON.stringify(canonicalize(prev[k])) !== JSON.stringify(canonicalize(next[k])));
}

function epochDelta(prev: State, next: State): string[] {
  return REGION_KEYS.filter((k) => next.epoch[k] !== prev.epoch[k]);
}

// ---------------------------------------------------------------------------

describe('machine and core tables agree', () => {
  it('every transition of the statechart has an input schema and an effect, and nothing else does', () => {
    const names = Object.keys(spec.transitions).sort();
    expect(Object.keys(INPUT_SCHEMAS).sort()).toEqual(names);
    expect(Object.keys(EFFECTS).sort()).toEqual(names);
  });
});

describe('docs/protocol.md §5 order of checks: the earlier failing check answers', () => {
  it('malformed before bad_signature', () => {
    const sc = booted();
    const p = flipSig(draft(sc, 'Ingestion_SourcesResolved', { sources: ['a'] }));
    rejected(tryStep(sc, { ...p, extra: 1 } as unknown as Proposal), 'malformed');
  });

  it('bad_signature before unknown_transition', () => {
    const sc = booted();
    rejected(tryStep(sc, flipSig(draft(sc, 'Nowhere_Nothing', {}))), 'bad_signature');
  });

  it('bad_signature before inputs_hash_mismatch', () => {
    const sc = booted();
    const p = draft(sc, 'Ingestion_SourcesResolved', { sources: ['a'] });
    rejected(tryStep(sc, flipSig({ ...p, inputs: { sources: ['b'] } })), 'bad_signature');
  });

  it('inputs_hash_mismatch before unknown_signer', () => {
    const sc = booted();
    const p = draft(sc, 'Ingestion_SourcesResolved', { sources: ['a'] }, { by: sc.cast.stranger });
    rejected(tryStep(sc, { ...p, inputs: { sources: ['b'] } }), 'inputs_hash_mismatch');
  });

  it('unknown_signer before unknown_transition', () => {
    const sc = booted();
    rejected(tryStep(sc, draft(sc, 'Nowhere_Nothing', {}, { by: sc.cast.stranger })), 'unknown_signer');
  });

  it('unknown_transition before stale_state_hash', () => {
    const sc = booted();
    rejected(tryStep(sc, draft(sc, 'Nowhere_Nothing', {}, { state_hash: fakeHash('old') })), 'unknown_transition');
  });

  it('role_denied before quarantined and before stale_state_hash', () => {
    const sc = quarantinedByBreach();
    rejected(tryStep(sc, draft(sc, 'Control_Pause', { reason: 'x' }, { by: sc.agent })), 'role_denied');
    rejected(
      tryStep(sc, draft(sc, 'Quarantine_Release', { justification: 'x' }, { by: sc.agent, state_hash: fakeHash('old') })),
      'role_denied',
    );
  });

  it('role_denied before terminated', () => {
    const sc = terminated();
    rejected(tryStep(sc, draft(sc, 'Quarantine_Release', { justification: 'x' }, { by: sc.agent })), 'role_denied');
  });

  it('terminated before quarantined and before stale_state_hash', () => {
    const sc = terminated();
    expect(sc.state.policy.quarantined).toBe(true);
    rejected(tryStep(sc, draft(sc, 'Environment_CapacityOk', { allocations: [] })), 'terminated');
    rejected(
      tryStep(sc, draft(sc, 'Quarantine_Release', { justification: 'x' }, { by: sc.operator, state_hash: fakeHash('old') })),
      'terminated',
    );
  });

  it('quarantined before stale_state_hash', () => {
    const sc = quarantinedByBreach();
    rejected(tryStep(sc, draft(sc, 'Environment_CapacityOk', { allocations: [] }, { state_hash: fakeHash('old') })), 'quarantined');
  });

  it('stale_state_hash before hlc_regression and invalid_from_state', () => {
    const sc = booted();
    const old = formatHlc({ wall_ms: sc.wall_ms - 60_000, counter: 0 });
    const r = rejected(
      tryStep(sc, draft(sc, 'Execution_PlanLocked', { plan_hash: fakeHash('p') }, { state_hash: fakeHash('old'), hlc: old })),
      'stale_state_hash',
    );
    expect(r.head_hash).toBe(sc.head.hash);
  });

  it('hlc_from_future and hlc_regression share a step: from_future is judged first', () => {
    const sc = booted();
    const last = parseHlc(sc.state.hlc_last!)!;
    // Before the last applied HLC (a regression) and 10 s ahead of a server clock that is behind.
    const p = draft(sc, 'Ingestion_SourcesResolved', { sources: ['a'] }, { hlc: formatHlc({ wall_ms: last.wall_ms - 1, counter: 0 }) });
    rejected(reduce(sc.head, p, deps, { now_ms: last.wall_ms - 10_000 }), 'hlc_from_future');
    rejected(reduce(sc.head, p, deps, { now_ms: last.wall_ms }), 'hlc_regression');
  });

  it('hlc_from_future before invalid_from_state (with an admission time)', () => {
    const sc = booted();
    const future = formatHlc({ wall_ms: sc.wall_ms + 5_000, counter: 0 });
    const p = draft(sc, 'Execution_PlanLocked', { plan_hash: fakeHash('p') }, { hlc: future });
    rejected(reduce(sc.head, p, deps, { now_ms: sc.wall_ms }), 'hlc_from_future');
    rejected(reduce(sc.head, p, deps), 'invalid_from_state');
  });

  it('hlc_regression before invalid_from_state', () => {
    const sc = booted();
    const old = formatHlc({ wall_ms: sc.wall_ms - 60_000, counter: 0 });
    rejected(tryStep(sc, draft(sc, 'Execution_PlanLocked', { plan_hash: fakeHash('p') }, { hlc: old })), 'hlc_regression');
  });

  it('invalid_from_state before wrong_window', () => {
    const sc = atExecution(); // PLAN, not WORK
    rejected(tryStep(sc, draft(sc, 'Execution_BeatReviewGate', {}, { window_id: 'backbeat:W-0' })), 'invalid_from_state');
  });

  it('PAUSED (invalid_from_state) before wrong_window', () => {
    const sc = atExecution();
    sc.step('Execution_PlanLocked', { plan_hash: fakeHash('plan') });
    sc.step('Control_Pause', { reason: 'coffee' }, sc.operator);
    const r = rejected(tryStep(sc, draft(sc, 'Execution_BeatReviewGate', {}, { window_id: null })), 'invalid_from_state');
    expect(r.reason).toContain('PAUSED');
  });

  it('wrong_window before guard_failed; the window guard before the other guards', () => {
    const sc = inReview(); // no approvals: the approvals guard would fail
    sc.seekWindow(1000); // next beat, outside every window
    const stale = `backbeat:W-${beatPosition(sc.genesis.backbeat, sc.wall_ms).beat - 1}`;
    rejected(tryStep(sc, draft(sc, 'Execution_ApprovalsThreshold', {}, { window_id: stale })), 'wrong_window');
    const closed = rejected(tryStep(sc, draft(sc, 'Execution_ApprovalsThreshold', {})), 'guard_failed');
    expect(closed.guard).toBe('window');
    sc.seekWindow(7600);
    const g = rejected(tryStep(sc, draft(sc, 'Execution_ApprovalsThreshold', {})), 'guard_failed');
    expect(g.guard).toBe('approvals');
  });
});

describe('rejection codes', () => {
  describe('malformed', () => {
    const sc = booted();
    const good = draft(sc, 'Ingestion_SourcesResolved', { sources: ['git://a'] });
    const mutate = (f: (p: Record<string, unknown>) => void): unknown => {
      const copy = JSON.parse(JSON.stringify(good)) as Record<string, unknown>;
      f(copy);
      return copy;
    };

    it('accepts the unmutated proposal (control)', () => {
      accepted(reduce(sc.head, good, deps));
    });

    it.each(Object.keys(good))('missing %s names the field', (field) => {
      const r = rejected(
        reduce(
          sc.head,
          mutate((p) => delete p[field]),
          deps,
        ),
        'malformed',
      );
      expect(r.reason).toContain(`$.${field}`);
      expect(r.reason).toContain('required');
    });

    it.each([
      ['transition', 5, '$.transition'],
      ['inputs', [], '$.inputs'],
      ['inputs', 'x', '$.inputs'],
      ['window_id', 0, '$.window_id'],
      ['evidence', 'ucxl://a:b@c:d/e*^/', '$.evidence'],
      ['signer', 'ed25519:abc', '$.signer'],
      ['current_state_hash', 'sha256-ABC', '$.current_state_hash'],
      ['idem_key', '', '$.idem_key'],
      ['idem_key', 'a\nb', '$.idem_key'],
    ])('wrong type or shape of %s (%j)', (field, value, path) => {
      const r = rejected(
        reduce(
          sc.head,
          mutate((p) => {
            p[field] = value;
          }),
          deps,
        ),
        'malformed',
      );
      expect(r.reason.startsWith(`${path}:`)).toBe(true);
    });

    it('an extra top-level field', () => {
      const r = rejected(
        reduce(
          sc.head,
          mutate((p) => {
            p.priority = 1;
          }),
          deps,
        ),
        'malformed',
      );
      expect(r.reason).toBe('$.priority: unknown field');
    });

    it('floats anywhere: typed fields, extra input fields, free-form arrays', () => {
      const fl = rejected(reduce(sc.head, { ...good, inputs: { sources: ['a'], weight: 0.5 } }, deps), 'malformed');
      expect(fl.reason).toContain('$.inputs.weight');
      expect(fl.reason).toContain('integer');
      const sc2 = booted();
      const alloc = draft(sc2, 'Environment_CapacityOk', { allocations: [{ node: 'n1', cpu: 2 }] });
      const nested = rejected(reduce(sc2.head, { ...alloc, inputs: { allocations: [{ node: 'n1', cpu: 1.5 }] } }, deps), 'malformed');
      expect(nested.reason).toContain('$.inputs.allocations[0].cpu');
      for (const bad of [Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60, -0.0001]) {
        rejected(reduce(sc2.head, { ...alloc, inputs: { allocations: [{ cpu: bad }] } }, deps), 'malformed');
      }
    });

    it('a float where an integer is typed (vote council_epoch) names the path', () => {
      const s2 = booted();
      s2.step('Council_ProfilesLoaded', { roles: ['r'] });
      const q = quorumInputs(s2.cast.council, s2.state.epoch.council);
      const votes = (q.votes as JsonObject[]).map((v, i) => (i === 1 ? { ...v, council_epoch: 1.5 } : v));
      const r = rejected(reduce(s2.head, draft(s2, 'Council_QuorumCert', { ...q, votes }), deps), 'malformed');
      expect(r.reason).toContain('$.inputs.votes[1].council_epoch');
    });

    it('evidence that is not a ucxl:// or bubble:// URI', () => {
      for (const e of ['http://example.com/x', 'ucxl://agent@demo/x', 'ucxl://a:b@c:d/e*?/', 'bubble:///x', '']) {
        const r = rejected(
          reduce(
            sc.head,
            mutate((p) => {
              p.evidence = ['bubble://dr/1', e];
            }),
            deps,
          ),
          'malformed',
        );
        expect(r.reason).toContain('$.evidence[1]');
      }
      const dup = rejected(
        reduce(
          sc.head,
          mutate((p) => {
            p.evidence = ['bubble://dr/1', 'bubble://dr/1'];
          }),
          deps,
        ),
        'malformed',
      );
      expect(dup.reason).toContain('duplicate');
    });

    it('__proto__, constructor and prototype keys anywhere', () => {
      const proto = JSON.parse('{"sources":["a"],"__proto__":{"admin":true}}') as JsonObject;
      const r1 = rejected(reduce(sc.head, { ...good, inputs: proto }, deps), 'malformed');
      expect(r1.reason).toBe('$.inputs.__proto__: forbidden key');
      const r2 = rejected(reduce(sc.head, { ...good, inputs: { sources: ['a'], meta: { constructor: 1 } } }, deps), 'malformed');
      expect(r2.reason).toBe('$.inputs.meta.constructor: forbidden key');
      const top = JSON.parse(`{"__proto__":1,${JSON.stringify(good).slice(1)}`) as unknown;
      expect(rejected(reduce(sc.head, top, deps), 'malformed').reason).toContain('forbidden key');
      const r3 = rejected(reduce(sc.head, { ...good, inputs: { sources: ['a'], x: [{ prototype: 0 }] } }, deps), 'malformed');
      expect(r3.reason).toBe('$.inputs.x[0].prototype: forbidden key');
    });

    it.each([
      '2026-01-01T00:00:01.000+01:00#0',
      '2026-01-01T00:00:01.000+00:00',
      '2026-01-01T00:00:01.000+00:00#01',
      '2026-01-01T00:00:01.000+00:00#-1',
      '2026-02-30T00:00:01.000+00:00#0',
      '2026-01-01 00:00:01.000+00:00#0',
      '2026-01-01T00:00:01+00:00#0',
      '2026-01-01T24:00:00.000+00:00#0',
    ])('bad HLC text %s', (hlc) => {
      const r = rejected(reduce(sc.head, draft(sc, 'Ingestion_SourcesResolved', { sources: ['a'] }, { hlc }), deps), 'malformed');
      expect(r.reason).toContain('$.hlc');
    });

    it("inputs below the transition's minimum, naming the inputs path", () => {
      const cases: Array<[string, JsonObject, string]> = [
        ['Ingestion_SourcesResolved', {}, '$.inputs.sources'],
        ['Ingestion_SourcesResolved', { sources: [] }, '$.inputs.sources'],
        ['Ingestion_SourcesResolved', { sources: ['a', 'a'] }, '$.inputs.sources[1]'],
        ['Ingestion_BytesOk', { content_hash: 'abc' }, '$.inputs.content_hash'],
        ['Control_Pause', { reason: '' }, '$.inputs.reason'],
        ['Quarantine_Release', { justification: '' }, '$.inputs.justification'],
      ];
      for (const [t, inputs, path] of cases) {
        const r = rejected(reduce(sc.head, draft(sc, t, inputs, { by: sc.operator }), deps), 'malformed');
        expect(r.reason.startsWith(path), `${t}: ${r.reason}`).toBe(true);
      }
    });

    it('lone surrogates and non-JSON values', () => {
      rejected(reduce(sc.head, { ...good, inputs: { sources: ['a'], note: '\uD800' } }, deps), 'malformed');
      rejected(reduce(sc.head, { ...good, idem_key: 'k\uDC00' }, deps), 'malformed');
      rejected(reduce(sc.head, { ...good, inputs: { sources: ['a'], when: new Date(0) } }, deps), 'malformed');
      rejected(reduce(sc.head, { ...good, inputs: { sources: ['a'], big: 1n } }, deps), 'malformed');
      rejected(reduce(sc.head, { ...good, inputs: { sources: ['a'], u: undefined } }, deps), 'malformed');
      for (const x of [null, undefined, 0, 'proposal', [], [good], new Map()]) rejected(reduce(sc.head, x, deps), 'malformed');
    });
  });

  it('inputs_hash_mismatch: inputs swapped after signing, or a signed inputs_hash that is not H(inputs)', () => {
    const sc = booted();
    const p = draft(sc, 'Ingestion_SourcesResolved', { sources: ['a'] });
    const r = rejected(tryStep(sc, { ...p, inputs: { sources: ['evil'] } }), 'inputs_hash_mismatch');
    expect(r.reason).toContain(H({ sources: ['evil'] }));
    rejected(tryStep(sc, resign({ ...p, inputs_hash: fakeHash('x') }, sc.agent)), 'inputs_hash_mismatch');
  });

  it('bad_signature: flipped, moved to other content, or made by another key', () => {
    const sc = booted();
    const p = draft(sc, 'Ingestion_SourcesResolved', { sources: ['a'] });
    rejected(tryStep(sc, flipSig(p)), 'bad_signature');
    rejected(tryStep(sc, { ...p, idem_key: `${p.idem_key}x` }), 'bad_signature');
    rejected(tryStep(sc, { ...p, evidence: [] }), 'bad_signature');
    rejected(tryStep(sc, resign(p, sc.cast.stranger)), 'bad_signature');
    rejected(tryStep(sc, { ...p, signer: sc.operator.signer }), 'bad_signature');
    accepted(tryStep(sc, p));
  });

  it('unknown_signer names the signer', () => {
    const sc = booted();
    const r = rejected(tryStep(sc, draft(sc, 'Ingestion_SourcesResolved', { sources: ['a'] }, { by: sc.cast.stranger })), 'unknown_signer');
    expect(r.reason).toContain(sc.cast.stranger.signer);
    // The KACHING key signs tokens; it is not a proposer.
    rejected(tryStep(sc, draft(sc, 'Ingestion_SourcesResolved', { sources: ['a'] }, { by: sc.cast.kaching })), 'unknown_signer');
  });

  it('unknown_transition, including names that exist on Object.prototype', () => {
    const sc = booted();
    for (const t of ['Ingestion_Nope', 'toString', 'constructor', '__proto__', 'hasOwnProperty']) {
      const r = rejected(tryStep(sc, draft(sc, t, {})), 'unknown_transition');
      expect(r.reason).toContain(t);
    }
  });

  it('role_denied names who and what', () => {
    const sc = new Traced(spec);
    const r = rejected(tryStep(sc, draft(sc, 'Boot_ConfigOk', { config_hash: H(sc.genesis) }, { by: sc.agent })), 'role_denied');
    expect(r.reason).toContain('agent-1');
    expect(r.reason).toContain('Boot_ConfigOk');
    expect(r.reason).toContain('operator');
    sc.boot();
    rejected(tryStep(sc, draft(sc, 'Ingestion_SourcesResolved', { sources: ['a'] }, { by: sc.operator })), 'role_denied');
    rejected(tryStep(sc, draft(sc, 'Council_ProfilesLoaded', { roles: ['r'] }, { by: sc.cast.council[0]! })), 'role_denied');
  });

  it('terminated: nothing is accepted, not even release, policy update or licence refresh', () => {
    const sc = terminated();
    const hash = sc.head.hash;
    const tries: Array<[string, JsonObject, Signer]> = [
      ['Quarantine_Release', { justification: 'oops' }, sc.operator],
      ['Policy_Update', { policy: { version: 9, deny: [] } }, sc.operator],
      ['License_Refresh', sc.license(), sc.agent],
      ['Quarantine_ConfirmBlock', { justification: 'again' }, sc.operator],
      ['Control_Resume', { reason: 'x' }, sc.operator],
      ['Ingestion_SchemaOk', { findings: [] }, sc.agent],
    ];
    for (const [t, inputs, by] of tries) rejected(tryStep(sc, draft(sc, t, inputs, { by })), 'terminated');
    expect(sc.head.hash).toBe(hash);
  });

  it('quarantined names the rationale', () => {
    const sc = quarantinedByBreach();
    const r = rejected(tryStep(sc, draft(sc, 'Environment_CapacityOk', { allocations: [] })), 'quarantined');
    expect(r.reason).toContain('secret at cfg/.env: AWS key');
  });

  it('stale_state_hash carries head_hash', () => {
    const sc = booted();
    const p = draft(sc, 'Ingestion_SourcesResolved', { sources: ['a'] });
    sc.step('Environment_CapacityOk', { allocations: [] });
    const r = rejected(tryStep(sc, p), 'stale_state_hash');
    expect(r.head_hash).toBe(sc.head.hash);
    expect(r.reason).toContain(p.current_state_hash);
  });

  describe('hlc_from_future (only with an admission time)', () => {
    it('more than max_drift_ms ahead is rejected; exactly max_drift_ms is not; replay (no admission) accepts', () => {
      const sc = booted();
      const drift = sc.genesis.max_drift_ms;
      const wall = sc.wall_ms + 5_000;
      const p = draft(sc, 'Ingestion_SourcesResolved', { sources: ['a'] }, { hlc: formatHlc({ wall_ms: wall, counter: 0 }) });
      const r = rejected(reduce(sc.head, p, deps, { now_ms: wall - drift - 1 }), 'hlc_from_future');
      expect(r.reason).toContain(`${drift + 1} ms ahead`);
      accepted(reduce(sc.head, p, deps, { now_ms: wall - drift }));
      accepted(reduce(sc.head, p, deps, { now_ms: wall + 60_000 }));
      accepted(reduce(sc.head, p, deps));
    });
  });

  describe('hlc_regression', () => {
    it('an earlier HLC, or the very same order key again, is refused', () => {
      const sc = booted();
      const last = parseHlc(sc.state.hlc_last!)!;
      const earlier = formatHlc({ wall_ms: last.wall_ms, counter: last.counter - 1 });
      const r = rejected(tryStep(sc, draft(sc, 'Ingestion_SourcesResolved', { sources: ['a'] }, { hlc: earlier })), 'hlc_regression');
      expect(r.reason).toContain(sc.state.hlc_last!);
      const same = draft(
        sc,
        'Ingestion_SourcesResolved',
        { sources: ['a'] },
        { hlc: sc.state.hlc_last!, idem: sc.state.meta.last_idem_key!, by: sc.agent },
      );
      // Same (hlc, signer, idem_key) as the last applied (booted by an agent-signed Boot_Licensed).
      expect(sc.state.meta.last_signer).toBe(sc.agent.signer);
      rejected(tryStep(sc, same), 'hlc_regression');
    });

    it('equal HLC: ties are broken by signer, then idem_key, byte-wise (UTF-8, not UTF-16)', () => {
      const sc = new Traced(spec, { agents: 2 }).boot();
      const [lo, hi] = [...sc.cast.agents].sort((a, b) => Buffer.compare(Buffer.from(a.signer), Buffer.from(b.signer))) as unknown as [
        Signer,
        Signer,
      ];
      const at = formatHlc({ wall_ms: sc.wall_ms + 1000, counter: 0 });
      const refresh = () => sc.license(sc.state.boot.license!.issued_ms);
      accepted(tryStep(sc, draft(sc, 'License_Refresh', refresh(), { by: hi, hlc: at, idem: 'k-m' })));
      // Lower signer at the same HLC: refused even with a greater idem_key.
      rejected(tryStep(sc, draft(sc, 'License_Refresh', refresh(), { by: lo, hlc: at, idem: 'k-z' })), 'hlc_regression');
      // Same signer: smaller or equal idem_key refused, greater accepted.
      rejected(tryStep(sc, draft(sc, 'License_Refresh', refresh(), { by: hi, hlc: at, idem: 'k-a' })), 'hlc_regression');
      rejected(tryStep(sc, draft(sc, 'License_Refresh', refresh(), { by: hi, hlc: at, idem: 'k-m' })), 'hlc_regression');
      accepted(tryStep(sc, draft(sc, 'License_Refresh', refresh(), { by: hi, hlc: at, idem: 'k-n' })));
      // Byte-wise: U+FF61 (EF BD A1) < U+1F600 (F0 9F 98 80), though '\uFF61' > '\uD83D' in UTF-16.
      accepted(tryStep(sc, draft(sc, 'License_Refresh', refresh(), { by: hi, hlc: at, idem: 'k-n\uFF61' })));
      accepted(tryStep(sc, draft(sc, 'License_Refresh', refresh(), { by: hi, hlc: at, idem: 'k-n\u{1F600}' })));
      rejected(tryStep(sc, draft(sc, 'License_Refresh', refresh(), { by: hi, hlc: at, idem: 'k-n\uFFFF' })), 'hlc_regression');
      // A higher signer at the same HLC is after anything the lower signer sent.
      const at2 = formatHlc({ wall_ms: sc.wall_ms + 2000, counter: 0 });
      accepted(tryStep(sc, draft(sc, 'License_Refresh', refresh(), { by: lo, hlc: at2, idem: 'zzz' })));
      accepted(tryStep(sc, draft(sc, 'License_Refresh', refresh(), { by: hi, hlc: at2, idem: 'a' })));
    });
  });

  it('invalid_from_state names the transition and the active states', () => {
    const sc = booted();
    const r = rejected(tryStep(sc, draft(sc, 'Ingestion_BytesOk', { content_hash: fakeHash('b') })), 'invalid_from_state');
    expect(r.reason).toContain('Ingestion_BytesOk');
    expect(r.reason).toContain('FLOW.PROJECT_LIFECYCLE.Ingestion.DISCOVER');
    rejected(tryStep(sc, draft(sc, 'Boot_ConfigOk', { config_hash: H(sc.genesis) }, { by: sc.operator })), 'invalid_from_state');
    rejected(tryStep(sc, draft(sc, 'Quarantine_Release', { justification: 'x' }, { by: sc.operator })), 'invalid_from_state');
    rejected(tryStep(sc, draft(sc, 'Control_Recover', { reason: 'x' }, { by: sc.operator })), 'invalid_from_state');
    rejected(tryStep(sc, draft(sc, 'Control_Resume', { reason: 'x' }, { by: sc.operator })), 'invalid_from_state');
  });

  describe('wrong_window', () => {
    function inWork(): Traced {
      const sc = atExecution();
      sc.step('Execution_PlanLocked', { plan_hash: fakeHash('plan') });
      sc.seekWindow(5100);
      return sc;
    }

    it('a gated transition without window_id', () => {
      const sc = inWork();
      rejected(tryStep(sc, draft(sc, 'Execution_BeatReviewGate', {}, { window_id: null })), 'wrong_window');
    });

    it("a window_id that is not the window of the proposal's HLC", () => {
      const sc = inWork();
      const beat = beatPosition(sc.genesis.backbeat, sc.wall_ms).beat;
      for (const w of [`backbeat:W-${beat - 1}`, `backbeat:W-${beat + 1}`, 'backbeat:W-x', 'other:W-1']) {
        const r = rejected(tryStep(sc, draft(sc, 'Execution_BeatReviewGate', {}, { window_id: w })), 'wrong_window');
        expect(r.reason).toContain(`backbeat:W-${beat}`);
      }
    });

    it('the right window_id, but the window class is closed at that time: the window guard fails', () => {
      const sc = inWork();
      sc.seekWindow(7600); // reverb, not review
      const r = rejected(tryStep(sc, draft(sc, 'Execution_BeatReviewGate', {})), 'guard_failed');
      expect(r.guard).toBe('window');
      expect(r.reason).toMatch(/^guard window failed: .*review window closed/);
      expect(r.reasons?.join('; ')).toContain('review window closed');
      expect(r.guard_outcomes).toEqual([{ guard: 'window', ok: false, reasons: r.reasons }]);
      sc.seekWindow(4999);
      expect(rejected(tryStep(sc, draft(sc, 'Execution_BeatReviewGate', {})), 'guard_failed').guard).toBe('window');
      sc.seekWindow(5000);
      accepted(tryStep(sc, draft(sc, 'Execution_BeatReviewGate', {})));
    });

    it('a window_id on a transition that is not time-gated', () => {
      const sc = booted();
      const w = beatPosition(sc.genesis.backbeat, sc.wall_ms).window_id;
      const r = rejected(tryStep(sc, draft(sc, 'Ingestion_SourcesResolved', { sources: ['a'] }, { window_id: w })), 'wrong_window');
      expect(r.reason).toContain('not time-gated');
    });
  });

  it('guard_failed carries the guard, its reasons and the outcomes so far', () => {
    const sc = new Traced(spec);
    const r = rejected(
      tryStep(sc, draft(sc, 'Boot_ConfigOk', { config_hash: fakeHash('other genesis') }, { by: sc.operator })),
      'guard_failed',
    );
    expect(r.guard).toBe('config');
    expect(r.reasons?.[0]).toContain(H(sc.genesis));
    expect(r.guard_outcomes).toEqual([{ guard: 'config', ok: false, reasons: r.reasons }]);
  });
});

describe('totality: the reducer never throws and never moves HEAD on garbage', () => {
  const positions: Array<[string, () => { sc: Traced; proposals: Proposal[] }]> = [
    [
      'boot',
      () => {
        const sc = new Traced(spec);
        return { sc, proposals: [draft(sc, 'Boot_ConfigOk', { config_hash: H(sc.genesis) }, { by: sc.operator })] };
      },
    ],
    [
      'lifecycle',
      () => {
        const sc = booted();
        sc.step('Council_ProfilesLoaded', { roles: ['r'] });
        return {
          sc,
          proposals: [
            draft(sc, 'Council_QuorumCert', quorumInputs(sc.cast.council, sc.state.epoch.council)),
            draft(sc, 'Environment_CapacityOk', { allocations: [{ node: 'n', cpu: 1 }] }),
            draft(sc, 'Policy_Update', { policy: { version: 2, deny: ['x'] } }, { by: sc.operator }),
          ],
        };
      },
    ],
    [
      'review',
      () => {
        const sc = inReview();
        return { sc, proposals: [draft(sc, 'Execution_Approve', { note: 'ok' }, { by: sc.operator })] };
      },
    ],
  ];

  it('fc.anything() is always malformed, with a reason, never an internal error', () => {
    const sc = booted();
    deepFreeze(sc.head);
    fc.assert(
      fc.property(
        fc.anything({
          withBigInt: true,
          withDate: true,
          withMap: true,
          withSet: true,
          withNullPrototype: true,
          withSparseArray: true,
          withTypedArray: true,
          withBoxedValues: true,
          withObjectString: true,
        }),
        (x) => {
          const res = reduce(sc.head, x, deps);
          expect(res.ok).toBe(false);
          if (!res.ok) {
            expect(res.rejection.code).toBe('malformed');
            expect(res.rejection.reason).not.toContain('internal error');
          }
        },
      ),
      { numRuns: 400 },
    );
  });

  it('object-shaped garbage with proposal keys is malformed too', () => {
    const sc = booted();
    deepFreeze(sc.head);
    const key = fc.constantFrom(
      'current_state_hash',
      'transition',
      'inputs',
      'inputs_hash',
      'signer',
      'idem_key',
      'hlc',
      'window_id',
      'evidence',
      'signature',
    );
    fc.assert(
      fc.property(fc.dictionary(key, fc.anything({ withNullPrototype: true, withBigInt: true })), (x) => {
        const res = reduce(sc.head, x, deps);
        expect(res.ok).toBe(false);
        if (!res.ok) expect(res.rejection.reason).not.toContain('internal error');
      }),
      { numRuns: 300 },
    );
  });

  for (const [name, make] of positions) {
    it(`mutated valid proposals (${name}) are judged, never thrown on; HEAD is untouched`, () => {
      const { sc, proposals } = make();
      const head: Head = deepFreeze(sc.head);
      const headText = canonicalize(head.state);
      for (const p of proposals) accepted(reduce(head, p, deps));
      const topKey = fc.constantFrom(...Object.keys(proposals[0]!));
      const mutation = fc.oneof(
        fc.record({ kind: fc.constant('set' as const), key: topKey, value: fc.anything({ withBigInt: true, withNullPrototype: true }) }),
        fc.record({ kind: fc.constant('delete' as const), key: topKey }),
        fc.record({
          kind: fc.constant('input' as const),
          key: fc.oneof(fc.string(), fc.constantFrom('sources', 'members', 'votes', 'policy', 'note', '__proto__')),
          value: fc.anything(),
        }),
        fc.record({ kind: fc.constant('append' as const), key: topKey, suffix: fc.string({ minLength: 1, maxLength: 3 }) }),
      );
      fc.assert(
        fc.property(fc.integer({ min: 0, max: proposals.length - 1 }), mutation, (i, m) => {
          const p = JSON.parse(JSON.stringify(proposals[i])) as Record<string, unknown>;
          if (m.kind === 'set') p[m.key] = m.value;
          else if (m.kind === 'delete') delete p[m.key];
          else if (m.kind === 'input') (p.inputs as Record<string, unknown>)[m.key] = m.value;
          else if (typeof p[m.key] === 'string') p[m.key] = `${p[m.key] as string}${m.suffix}`;
          const res = reduce(head, p, deps);
          if (res.ok) {
            expect(checkInvariants(head.state, res.state, res.body)).toEqual([]);
          } else {
            expect(ALL_CODES).toContain(res.rejection.code);
            expect(res.rejection.reason).not.toContain('internal error');
          }
        }),
        { numRuns: 300 },
      );
      expect(canonicalize(head.state)).toBe(headText);
      expect(H(head.state)).toBe(head.hash);
    });
  }
});

describe('accepted transitions: bookkeeping', () => {
  it('sets hlc_last and the order key, links pre/post hashes, records the proposal', () => {
    const sc = booted();
    const pre = sc.head;
    const p = draft(sc, 'Ingestion_SourcesResolved', { sources: ['git://a', 'git://b'] });
    const res = accepted(tryStep(sc, p));
    expect(res.state.hlc_last).toBe(p.hlc);
    expect(res.state.meta.last_signer).toBe(sc.agent.signer);
    expect(res.state.meta.last_idem_key).toBe(p.idem_key);
    expect(res.hash).toBe(H(res.state));
    expect(res.body).toMatchObject({
      state_pre_hash: pre.hash,
      state_post_hash: res.hash,
      transition: 'Ingestion_SourcesResolved',
      proposal: p,
      inputs_hash: p.inputs_hash,
      signer: p.signer,
      idem_key: p.idem_key,
      hlc: p.hlc,
      window_id: null,
      evidence: p.evidence,
    });
    expect(res.body.guard_outcomes.map((g) => g.guard)).toEqual(['license']);
    expect(res.branch).toBeNull();
    expect(res.state.ingestion).toMatchObject({ phase: 'FETCH', sources: ['git://a', 'git://b'] });
  });

  it('an HLC written with Z is accepted and stored as +00:00 (output is always +00:00)', () => {
    const sc = booted();
    const wall = sc.wall_ms + 100;
    const z = formatHlc({ wall_ms: wall, counter: 3 }).replace('+00:00', 'Z');
    const p = draft(sc, 'Ingestion_SourcesResolved', { sources: ['a'] }, { hlc: z });
    const res = accepted(tryStep(sc, p));
    expect(res.state.hlc_last).toBe(formatHlc({ wall_ms: wall, counter: 3 }));
    expect(res.body.hlc).toBe(formatHlc({ wall_ms: wall, counter: 3 }));
    expect(res.body.proposal.hlc).toBe(z);
  });

  it('the epoch of each region advances exactly once per accepted transition that changes it', () => {
    const sc = new Traced(spec).toExecution().reverbLoop();
    sc.step('Execution_PlanLocked', { plan_hash: fakeHash('p2') });
    sc.step('Execution_QuorumLost', { reason: 'c-2 and c-3 unreachable' });
    sc.step('Control_Recover', { reason: 'council back' }, sc.operator);
    expect(sc.trail).toHaveLength(13 + 7 + 3);
    for (const { prev, next, body } of sc.trail) {
      const changed = changedRegions(prev, next);
      expect(epochDelta(prev, next), body.transition).toEqual(changed);
      for (const k of REGION_KEYS) {
        expect(next.epoch[k] - prev.epoch[k], `${body.transition} epoch.${k}`).toBe(changed.includes(k) ? 1 : 0);
        expect(regionChanged(prev, next, k)).toBe(changed.includes(k));
      }
    }
    const byName = (t: string) => sc.trail.find((s) => s.body.transition === t)!;
    const delta = (t: string) => epochDelta(byName(t).prev, byName(t).next);
    expect(delta('Boot_ConfigOk')).toEqual(['boot']);
    expect(delta('Boot_Licensed')).toEqual(['boot']);
    expect(delta('Ingestion_SourcesResolved')).toEqual(['ingestion']);
    expect(delta('Council_QuorumCert')).toEqual(['council']);
    expect(delta('Execution_AllReady')).toEqual(['execution']);
    expect(delta('Execution_QuorumLost')).toEqual(['execution', 'control']);
    expect(delta('Control_Recover')).toEqual(['council', 'control']);
    expect(regionChanged(sc.state, sc.state, 'meta')).toBe(false);
  });

  it('an accepted transition that changes no region advances no epoch', () => {
    const sc = booted();
    const token = sc.license(sc.state.boot.license!.issued_ms);
    // The very token in force again: licence unchanged, only hlc_last and the order key move.
    const before = sc.state;
    const res = accepted(tryStep(sc, draft(sc, 'License_Refresh', token)));
    expect(res.state.epoch).toEqual(before.epoch);
    expect(res.hash).not.toBe(H(before));
  });
});

describe('compensations', () => {
  it('Ingestion_RollbackIndex from READY and from INDEX back to VALIDATE, unpinning the corpus', () => {
    const sc = booted().ingest();
    expect(sc.state.ingestion.content_hash).not.toBeNull();
    sc.step('Ingestion_RollbackIndex', { reason: 'corrupt shard' }, sc.operator);
    expect(sc.state.ingestion).toMatchObject({
      phase: 'VALIDATE',
      content_hash: null,
      version: null,
      rollbacks: 1,
      last_reason: 'corrupt shard',
    });
    sc.step('Ingestion_SchemaOk', { findings: [] });
    expect(sc.state.ingestion.phase).toBe('INDEX');
    sc.step('Ingestion_RollbackIndex', { reason: 'again' });
    expect(sc.state.ingestion).toMatchObject({ phase: 'VALIDATE', rollbacks: 2 });
    rejected(tryStep(sc, draft(sc, 'Ingestion_RollbackIndex', { reason: 'x' })), 'invalid_from_state');
    sc.step('Ingestion_SchemaOk', { findings: [] });
    sc.step('Ingestion_CorpusBuilt', { content_hash: fakeHash('corpus:v2'), version: 'v2' });
    expect(sc.state.ingestion).toMatchObject({ phase: 'READY', version: 'v2' });
  });

  it('Council_ReElect with eject: back to ELECT, certificate dropped, old votes and ejected members refused', () => {
    const sc = booted().elect();
    const oldVotes = quorumInputs(sc.cast.council, sc.state.epoch.council - 2);
    const [c1, c2, c3] = sc.cast.council as unknown as [Signer, Signer, Signer];
    sc.step('Council_ReElect', { reason: 'c-3 leaked a key', eject: [c3.signer] }, sc.operator);
    expect(sc.state.council).toMatchObject({
      phase: 'ELECT',
      members: [],
      member_set_hash: null,
      quorum_cert: null,
      tooling: null,
      ejected: [c3.signer],
      last_reason: 'c-3 leaked a key',
    });
    const replay = rejected(tryStep(sc, draft(sc, 'Council_QuorumCert', oldVotes)), 'guard_failed');
    expect(replay.guard).toBe('quorum');
    const withEjected = rejected(
      tryStep(sc, draft(sc, 'Council_QuorumCert', quorumInputs([c1, c2, c3], sc.state.epoch.council))),
      'guard_failed',
    );
    expect(withEjected.reasons?.join(' ')).toContain(`${c3.signer} was ejected`);
    sc.step('Council_QuorumCert', quorumInputs([c1, c2], sc.state.epoch.council));
    expect(sc.state.council.members).toEqual([c1.signer, c2.signer].sort());
    sc.step('Council_McpGreen', sc.mcpGreen());
    expect(sc.state.council.phase).toBe('READY');
    // Ejections accumulate and stay sorted and unique.
    sc.step('Council_ReElect', { reason: 'again', eject: [c3.signer, c1.signer] });
    expect(sc.state.council.ejected).toEqual([c1.signer, c3.signer].sort());
  });

  it('Environment_Deprovision from READY and from DEGRADED back to ALLOCATE', () => {
    const sc = booted().provision();
    sc.step('Environment_Deprovision', { reason: 'rebalance' }, sc.operator);
    expect(sc.state.environment).toMatchObject({
      phase: 'ALLOCATE',
      allocations: [],
      assets: [],
      env_hash: null,
      deprovisions: 1,
      last_reason: 'rebalance',
    });
    rejected(tryStep(sc, draft(sc, 'Environment_Deprovision', { reason: 'x' })), 'invalid_from_state');
    sc.step('Environment_CapacityOk', { allocations: [] });
    sc.step('Environment_Installed', { assets: [] });
    sc.step('Environment_Amber', { reasons: ['disk 91%'] });
    expect(sc.state.environment).toMatchObject({ phase: 'DEGRADED', health_reasons: ['disk 91%'] });
    rejected(tryStep(sc, draft(sc, 'Environment_Green', { env_hash: fakeHash('e') })), 'invalid_from_state');
    sc.step('Environment_Deprovision', { reason: 'amber' });
    expect(sc.state.environment).toMatchObject({ phase: 'ALLOCATE', deprovisions: 2, health_reasons: [] });
  });
});

describe('quarantine', () => {
  it('Ingestion_SchemaOk with a breach is accepted into QUARANTINED with the policy reasons; Ingestion stays VALIDATE', () => {
    const sc = atValidate();
    const res = accepted(tryStep(sc, draft(sc, 'Ingestion_SchemaOk', { findings: [SECRET, { kind: 'style', path: 'a', detail: 'b' }] })));
    expect(res.branch).toBe('breach');
    expect(res.state.policy.quarantined).toBe(true);
    expect(res.state.policy.rationale).toEqual(['secret at cfg/.env: AWS key (denied by policy v1)']);
    expect(res.state.policy.findings).toEqual([SECRET]);
    expect(res.state.policy.quarantines).toBe(1);
    expect(res.state.ingestion.phase).toBe('VALIDATE');
    expect(res.state.ingestion.findings).toHaveLength(2);
    expect(res.body.guard_outcomes.find((g) => g.guard === 'policy')).toMatchObject({ ok: false });
    expect(activeLeaves(res.state)).toContain('POLICY.QUARANTINED');
    expect(activeLeaves(res.state)).toContain('FLOW.PROJECT_LIFECYCLE.Ingestion.VALIDATE');
    expect(justification(res.body)).toContain('policy diverted: secret at cfg/.env');
  });

  it('a clean SchemaOk takes the clean branch to INDEX', () => {
    const sc = atValidate();
    const res = accepted(tryStep(sc, draft(sc, 'Ingestion_SchemaOk', { findings: [{ kind: 'style', path: 'a', detail: 'b' }] })));
    expect(res.branch).toBe('clean');
    expect(res.state.ingestion.phase).toBe('INDEX');
    expect(res.state.policy.quarantined).toBe(false);
  });

  it('is sticky: only Release, Policy_Update, ConfirmBlock and License_Refresh get through', () => {
    const sc = quarantinedByBreach();
    const blocked: Array<[string, JsonObject, Signer]> = [
      ['Environment_CapacityOk', { allocations: [] }, sc.agent],
      ['Council_ProfilesLoaded', { roles: ['r'] }, sc.agent],
      ['Ingestion_SchemaOk', { findings: [] }, sc.agent],
      ['Ingestion_RollbackIndex', { reason: 'x' }, sc.operator],
      ['Policy_Violation', { rationale: 'more', findings: [] }, sc.agent],
      ['Control_Pause', { reason: 'x' }, sc.operator],
    ];
    for (const [t, inputs, by] of blocked) rejected(tryStep(sc, draft(sc, t, inputs, { by })), 'quarantined');
    const allowed = Object.values(spec.transitions)
      .filter((t) => t.when_quarantined)
      .map((t) => t.name)
      .sort();
    expect(allowed).toEqual([...QUARANTINE_ALLOWED].sort());
    accepted(tryStep(sc, draft(sc, 'License_Refresh', sc.license(sc.state.boot.license!.issued_ms))));
    expect(sc.state.policy.quarantined).toBe(true);
  });

  it('Policy_Update that still denies the finding keeps the quarantine and re-words the rationale', () => {
    const sc = quarantinedByBreach();
    const res = accepted(
      tryStep(sc, draft(sc, 'Policy_Update', { policy: { version: 2, deny: ['secret', 'malware'] } }, { by: sc.operator })),
    );
    expect(res.branch).toBe('keep');
    expect(res.state.policy).toMatchObject({ quarantined: true, version: 2, deny: ['secret', 'malware'] });
    expect(res.state.policy.rationale).toEqual(['secret at cfg/.env: AWS key (denied by policy v2)']);
    const old = rejected(
      tryStep(sc, draft(sc, 'Policy_Update', { policy: { version: 2, deny: [] } }, { by: sc.operator })),
      'guard_failed',
    );
    expect(old.guard).toBe('policy_version');
  });

  it('Policy_Update lifts the quarantine when its findings no longer breach', () => {
    const sc = quarantinedByBreach();
    const res = accepted(tryStep(sc, draft(sc, 'Policy_Update', { policy: { version: 2, deny: ['pii'] } }, { by: sc.operator })));
    expect(res.branch).toBe('lift');
    expect(res.state.policy).toMatchObject({ quarantined: false, rationale: [], findings: [], version: 2 });
    sc.step('Ingestion_SchemaOk', { findings: [SECRET] });
    expect(sc.state.ingestion.phase).toBe('INDEX');
  });

  it('Policy_Violation quarantines from anywhere; a bare violation is not lifted by Policy_Update', () => {
    const sc = atExecution();
    const res = accepted(tryStep(sc, draft(sc, 'Policy_Violation', { rationale: 'exfiltration attempt seen by SHHH', findings: [] })));
    expect(res.state.policy).toMatchObject({ quarantined: true, rationale: ['exfiltration attempt seen by SHHH'] });
    expect(activeLeaves(res.state)).toContain('FLOW.EXECUTION.PLAN');
    const upd = accepted(tryStep(sc, draft(sc, 'Policy_Update', { policy: { version: 2, deny: [] } }, { by: sc.operator })));
    expect(upd.branch).toBe('keep');
    expect(upd.state.policy.quarantined).toBe(true);
    expect(upd.state.policy.rationale).toEqual(['exfiltration attempt seen by SHHH']);
    rejected(tryStep(sc, draft(sc, 'Quarantine_Release', { justification: '' }, { by: sc.operator })), 'malformed');
    const rel = accepted(
      tryStep(sc, draft(sc, 'Quarantine_Release', { justification: 'false positive, checked logs' }, { by: sc.operator })),
    );
    expect(rel.state.policy).toMatchObject({ quarantined: false, rationale: [], last_justification: 'false positive, checked logs' });
    expect(activeLeaves(rel.state)).toContain('FLOW.EXECUTION.PLAN');
    sc.step('Execution_PlanLocked', { plan_hash: fakeHash('p') });
  });

  it('a violation whose findings were never denied by policy is not lifted by an unrelated Policy_Update', () => {
    const sc = booted();
    sc.step('Policy_Violation', { rationale: 'malware in corpus', findings: [{ kind: 'malware', path: 'bin/x', detail: 'trojan' }] });
    const upd = accepted(
      tryStep(
        sc,
        draft(sc, 'Policy_Update', { policy: { version: 2, deny: ['secret', 'pii', 'license:gpl', 'tracking'] } }, { by: sc.operator }),
      ),
    );
    expect(upd.branch).toBe('keep');
    expect(upd.state.policy.quarantined).toBe(true);
  });

  it('a violation whose findings the policy denied is lifted when the policy stops denying them', () => {
    const sc = booted();
    sc.step('Policy_Violation', { rationale: 'pii found', findings: [{ kind: 'pii', path: 'users.csv', detail: 'emails' }] });
    const upd = accepted(tryStep(sc, draft(sc, 'Policy_Update', { policy: { version: 2, deny: ['secret'] } }, { by: sc.operator })));
    expect(upd.branch).toBe('lift');
    expect(upd.state.policy.quarantined).toBe(false);
  });

  it('Policy_Update outside a quarantine just installs the policy', () => {
    const sc = booted();
    const res = accepted(tryStep(sc, draft(sc, 'Policy_Update', { policy: { version: 5, deny: ['x'] } }, { by: sc.operator })));
    expect(res.branch).toBe('keep');
    expect(res.state.policy).toMatchObject({ version: 5, deny: ['x'], quarantined: false });
    expect(epochDelta(sc.trail.at(-1)!.prev, res.state)).toEqual(['policy']);
  });

  it('ConfirmBlock → TERMINATED, which accepts nothing', () => {
    const sc = terminated();
    expect(sc.state.control.terminated).toBe(true);
    expect(activeLeaves(sc.state)).toContain('FLOW.TERMINATED');
    expect(activeLeaves(sc.state).filter((l) => l.startsWith('FLOW.'))).toEqual(['FLOW.TERMINATED']);
    for (const t of Object.keys(spec.transitions)) {
      const t0 = spec.transitions[t]!;
      const by = t0.roles.includes('agent') ? sc.agent : sc.operator;
      const res = tryStep(sc, draft(sc, t, {}, { by }));
      // Inputs are empty: a schema failure may answer first for transitions with required inputs.
      expect(res.ok).toBe(false);
      if (!res.ok) expect(['terminated', 'malformed']).toContain(res.rejection.code);
    }
    rejected(tryStep(sc, draft(sc, 'Execution_NextWindow', {})), 'terminated');
  });
});

describe('pause and resume', () => {
  it('pause freezes FLOW where it is; only when_paused transitions and Resume get through', () => {
    const sc = atExecution();
    sc.step('Execution_PlanLocked', { plan_hash: fakeHash('p') });
    rejected(tryStep(sc, draft(sc, 'Control_Pause', { reason: 'x' }, { by: sc.agent })), 'role_denied');
    sc.step('Control_Pause', { reason: 'incident review' }, sc.operator);
    expect(sc.state.control).toMatchObject({ paused: true, mode: 'PAUSED', last_reason: 'incident review' });
    expect(activeLeaves(sc.state)).toEqual(expect.arrayContaining(['CONTROL.PAUSED', 'FLOW.EXECUTION.WORK']));
    sc.seekWindow(5100);
    const r = rejected(tryStep(sc, draft(sc, 'Execution_BeatReviewGate', {})), 'invalid_from_state');
    expect(r.reason).toContain('PAUSED (incident review)');
    rejected(tryStep(sc, draft(sc, 'Execution_QuorumLost', { reason: 'x' })), 'invalid_from_state');
    rejected(tryStep(sc, draft(sc, 'Control_Pause', { reason: 'twice' }, { by: sc.operator })), 'invalid_from_state');
    accepted(tryStep(sc, draft(sc, 'License_Refresh', sc.license(sc.state.boot.license!.issued_ms))));
    sc.step('Control_Resume', { reason: 'done' }, sc.operator);
    expect(sc.state.control).toMatchObject({ paused: false, mode: null });
    sc.step('Execution_BeatReviewGate', {});
    expect(sc.state.execution.phase).toBe('REVIEW');
  });
});

describe('QuorumLost → RECOVERY → Control_Recover', () => {
  it('goes back to Council.ELECT with Ingestion and Environment READY, then into EXECUTION again', () => {
    const sc = atExecution();
    const firstVotes = quorumInputs(sc.cast.council, sc.state.council.quorum_cert!.council_epoch);
    sc.step('Execution_PlanLocked', { plan_hash: fakeHash('p') });
    sc.step('Execution_QuorumLost', { reason: 'c-1 and c-2 partitioned' });
    expect(sc.state.control).toMatchObject({ recovery: true, mode: 'RECOVERY' });
    expect(sc.state.execution).toMatchObject({ phase: null, pins: null });
    expect(activeLeaves(sc.state).filter((l) => l.startsWith('FLOW.'))).toEqual(['FLOW.RECOVERY']);
    rejected(tryStep(sc, draft(sc, 'Execution_PlanLocked', { plan_hash: fakeHash('p') })), 'invalid_from_state');
    rejected(tryStep(sc, draft(sc, 'Council_QuorumCert', firstVotes)), 'invalid_from_state');
    rejected(tryStep(sc, draft(sc, 'Control_Recover', { reason: 'x' }, { by: sc.agent })), 'role_denied');
    sc.step('Control_Recover', { reason: 'partition healed' }, sc.operator);
    expect(sc.state.control).toMatchObject({ recovery: false, mode: null });
    expect(activeLeaves(sc.state).filter((l) => l.startsWith('FLOW.'))).toEqual([
      'FLOW.PROJECT_LIFECYCLE.Council.ELECT',
      'FLOW.PROJECT_LIFECYCLE.Environment.READY',
      'FLOW.PROJECT_LIFECYCLE.Ingestion.READY',
    ]);
    expect(sc.state.council).toMatchObject({ members: [], quorum_cert: null, member_set_hash: null });
    const stale = rejected(tryStep(sc, draft(sc, 'Council_QuorumCert', firstVotes)), 'guard_failed');
    expect(stale.reasons?.join(' ')).toContain('council_epoch');
    sc.elect().enterExecution();
    expect(sc.state.execution.phase).toBe('PLAN');
    sc.reverbLoop();
    expect(sc.trail.every((s) => checkInvariants(s.prev, s.next, s.body).length === 0)).toBe(true);
  });
});

describe('licence grace and expiry', () => {
  function shortLicence(): { sc: Traced; token: JsonObject; expires_ms: number; graceEnd_ms: number } {
    const sc = new Traced(spec);
    sc.step('Boot_ConfigOk', { config_hash: H(sc.genesis) }, sc.operator);
    const token = sc.license(sc.wall_ms - 1000, 60_000, 60_000);
    sc.step('Boot_Licensed', token);
    const lic = sc.state.boot.license!;
    return { sc, token, expires_ms: lic.expires_ms, graceEnd_ms: lic.expires_ms + lic.grace_ms };
  }

  it('Boot_Licensed refuses a token already in grace', () => {
    const sc = new Traced(spec);
    sc.step('Boot_ConfigOk', { config_hash: H(sc.genesis) }, sc.operator);
    const r = rejected(tryStep(sc, draft(sc, 'Boot_Licensed', sc.license(sc.wall_ms - 2000, 1000, DAY_MS))), 'guard_failed');
    expect(r.guard).toBe('license');
    expect(sc.state.boot.phase).toBe('LICENSE_CHECK');
  });

  it('grace → DEGRADED (work goes on); past grace → only License_Refresh; a fresh token restores', () => {
    const { sc, token, expires_ms, graceEnd_ms } = shortLicence();
    sc.wall_ms = expires_ms + 10;
    const g = accepted(tryStep(sc, draft(sc, 'License_Refresh', token)));
    expect(g.branch).toBe('grace');
    expect(g.state.boot.phase).toBe('GRACE');
    expect(g.state.control.mode).toBe('DEGRADED');
    expect(activeLeaves(g.state)).toContain('LICENSE.GRACE');
    expect(epochDelta(sc.trail.at(-1)!.prev, g.state)).toEqual(['boot', 'control']);
    const work = accepted(tryStep(sc, draft(sc, 'Ingestion_SourcesResolved', { sources: ['a'] })));
    expect(work.body.guard_outcomes[0]?.reasons[0]).toContain('in grace');

    // Past grace, even before a refresh records it, the gate refuses ordinary work.
    sc.wall_ms = graceEnd_ms + 10;
    const gate = rejected(tryStep(sc, draft(sc, 'Ingestion_BytesOk', { content_hash: fakeHash('b') })), 'guard_failed');
    expect(gate.guard).toBe('license');
    expect(gate.reason).toContain('only License_Refresh');

    const e = accepted(tryStep(sc, draft(sc, 'License_Refresh', token)));
    expect(e.branch).toBe('expired');
    expect(e.state.boot.phase).toBe('EXPIRED');
    expect(e.state.control.mode).toBe('DEGRADED');
    const blocked: Array<[string, JsonObject, Signer]> = [
      ['Ingestion_BytesOk', { content_hash: fakeHash('b') }, sc.agent],
      ['Control_Pause', { reason: 'x' }, sc.operator],
      ['Policy_Violation', { rationale: 'x', findings: [] }, sc.agent],
      ['Policy_Update', { policy: { version: 3, deny: [] } }, sc.operator],
      ['Environment_CapacityOk', { allocations: [] }, sc.agent],
    ];
    for (const [t, inputs, by] of blocked) {
      const r = rejected(tryStep(sc, draft(sc, t, inputs, { by })), 'guard_failed');
      expect(r.guard, t).toBe('license');
    }
    // A licence older than the one in force cannot come back.
    const older = rejected(tryStep(sc, draft(sc, 'License_Refresh', sc.license(sc.state.boot.license!.issued_ms - 1))), 'guard_failed');
    expect(older.reasons?.join(' ')).toContain('older than the licence in force');

    const fresh = accepted(tryStep(sc, draft(sc, 'License_Refresh', sc.license(sc.wall_ms - 10), { by: sc.operator })));
    expect(fresh.branch).toBe('valid');
    expect(fresh.state.boot.phase).toBe('LICENSED');
    expect(fresh.state.control.mode).toBeNull();
    sc.step('Ingestion_BytesOk', { content_hash: fakeHash('b') });
    for (const s of sc.trail) expect(checkInvariants(s.prev, s.next, s.body)).toEqual([]);
  });

  it("the licence gate runs before the transition's own guards", () => {
    const { sc, graceEnd_ms } = shortLicence();
    sc.step('Council_ProfilesLoaded', { roles: ['r'] });
    sc.wall_ms = graceEnd_ms + 1;
    const r = rejected(
      tryStep(sc, draft(sc, 'Council_QuorumCert', { members: [sc.agent.signer], member_set_hash: fakeHash('x'), votes: [] })),
      'guard_failed',
    );
    expect(r.guard).toBe('license');
    expect(r.guard_outcomes?.map((g) => g.guard)).toEqual(['license']);
  });
});

describe('two full REVERB loops', () => {
  it('PLAN → WORK → REVIEW → approvals → REVERB → submit → PLAN, twice, with every invariant holding', () => {
    const sc = atExecution();
    const start = sc.state.epoch.execution;
    sc.reverbLoop().reverbLoop();
    const s = sc.state;
    expect(s.execution).toMatchObject({
      phase: 'PLAN',
      loop: 2,
      submissions: 2,
      approvals: [],
      plan_hash: null,
      last_artifact_hash: fakeHash('artifact:1'),
    });
    // 7 steps per loop (lock, gate, 2 approvals, threshold, submit, next), each changing EXECUTION.
    expect(s.epoch.execution - start).toBe(2 * 7);
    const beats = sc.trail.filter((t) => t.body.transition === 'Execution_NextWindow').map((t) => t.next.execution.beat!);
    expect(beats).toHaveLength(2);
    expect(beats[1]!).toBeGreaterThan(beats[0]!);
    for (const t of sc.trail.filter((x) => spec.transitions[x.body.transition]!.window !== null)) {
      expect(t.body.window_id).toBe(beatPosition(sc.genesis.backbeat, parseHlc(t.body.hlc)!.wall_ms).window_id);
      expect(t.body.guard_outcomes[0]).toMatchObject({ guard: 'window', ok: true });
    }
    expect(spec.transitions.Execution_NextWindow!.snapshot).toBe(true);
    for (const t of sc.trail) expect(checkInvariants(t.prev, t.next, t.body), t.body.transition).toEqual([]);
  });

  it('Execution_Approve is accepted in the reverb window too, and approvals of another beat do not count', () => {
    const sc = inReview();
    const [op1, op2] = sc.cast.operators as unknown as [Signer, Signer];
    sc.step('Execution_Approve', { note: 'review' }, op1);
    sc.seekWindow(7600);
    sc.step('Execution_Approve', { note: 'reverb' }, op2);
    expect(sc.state.execution.approvals).toHaveLength(2);
    // Next beat: the two approvals are of the previous beat.
    sc.wall_ms = wallAt(sc.genesis.backbeat, beatPosition(sc.genesis.backbeat, sc.wall_ms).beat + 1, 7600);
    const r = rejected(tryStep(sc, draft(sc, 'Execution_ApprovalsThreshold', {})), 'guard_failed');
    expect(r.reasons?.[0]).toContain('0 operator approvals');
    sc.step('Execution_Approve', { note: 'again' }, op1);
    expect(sc.state.execution.approvals).toHaveLength(1);
  });
});

describe('decision records', () => {
  it('one per accepted transition: id, hashes, guards, evidence, a parseable ucxl backlink and a justification', () => {
    const sc = atExecution().reverbLoop();
    sc.trail.forEach(({ body }, i) => {
      const index = i + 1;
      const dr = decisionRecord(index, body, 'demo');
      expect(dr.id).toBe(`bubble://dr/${index}`);
      expect(dr).toMatchObject({
        transition: body.transition,
        signer: body.signer,
        state_pre_hash: body.state_pre_hash,
        state_post_hash: body.state_post_hash,
        inputs_hash: body.inputs_hash,
        hlc: body.hlc,
        window_id: body.window_id,
        guards: body.guard_outcomes,
        evidence: body.evidence,
      });
      expect(dr.ucxl).toBe(`ucxl://swoosh:orchestrator@demo:${body.transition}/wal/${index}*^/`);
      expect(parseUcxl(dr.ucxl)).toEqual({
        agent: 'swoosh',
        role: 'orchestrator',
        project: 'demo',
        task: body.transition,
        path: `wal/${index}`,
        temporal: { kind: 'latest' },
      });
      expect(dr.ucxl).toBe(decisionUcxl('demo', body.transition, index));
      for (const g of body.guard_outcomes) expect(dr.justification).toContain(`${g.guard} ok: ${g.reasons.join('; ')}`);
    });
    const approve = sc.trail.find((t) => t.body.transition === 'Execution_Approve')!;
    const j = justification(approve.body);
    expect(j.startsWith('note: ok loop 0 | window ok: review window open')).toBe(true);
    expect(j).toContain('approval ok: first approval by this operator');
  });

  it("quotes the signer's own words (justification, rationale, reason, note) first", () => {
    const sc = terminated();
    const body = sc.trail.at(-1)!.body;
    expect(body.transition).toBe('Quarantine_ConfirmBlock');
    expect(justification(body)).toMatch(/^justification: leaked credentials confirmed \| license ok: licence valid/);
    const noWords = { ...body, transition: 'X_Y', proposal: { ...body.proposal, inputs: {} }, guard_outcomes: [] };
    expect(justification(noWords)).toBe('X_Y has no guards; accepted from an enabled state');
  });
});

describe('migration from WHOOSH', () => {
  /** A project whose genesis declares routes: state 0 from that genesis, still in BOOT. */
  function migrating(routes: MigrationRoutes): Traced {
    const sc = new Traced(spec);
    const s0 = initialState({ ...sc.genesis, migration: { routes } }, spec.hash);
    sc.head = { state: s0, hash: H(s0) };
    return sc;
  }
  const route = (sc: Scenario, region: string, mode: string, o: Over = {}): ReduceResult =>
    tryStep(
      sc,
      draft(sc, 'Migration_Route', { region, mode, justification: `${region} to ${mode}: shadow clean` }, { by: sc.operator, ...o }),
    );
  const bypass = (sc: Scenario): ReduceResult =>
    tryStep(sc, draft(sc, 'Migration_Bypass', { reason: 'divergence storm' }, { by: sc.operator }));
  const restore = (sc: Scenario): ReduceResult =>
    tryStep(sc, draft(sc, 'Migration_Restore', { justification: 'WHOOSH drained' }, { by: sc.operator }));
  const served = (s: State): string[] => MIGRATION_ORDER.map((r) => effectiveRoute(s.migration, r));

  it('walks legacy → shadow → swoosh region by region; each step changes only the migration region and its epoch', () => {
    const sc = migrating({ council: 'legacy', ingestion: 'legacy', execution: 'legacy' });
    const plan: Array<[string, string]> = [
      ['council', 'shadow'],
      ['ingestion', 'shadow'],
      ['council', 'swoosh'],
      ['execution', 'shadow'],
      ['ingestion', 'swoosh'],
      ['execution', 'swoosh'],
    ];
    for (const [n, [region, mode]] of plan.entries()) {
      const prev = sc.state;
      const r = accepted(route(sc, region, mode));
      expect(changedRegions(prev, r.state)).toEqual(['migration']);
      expect(epochDelta(prev, r.state)).toEqual(['migration']);
      expect(r.state.epoch.migration).toBe(n + 1);
      expect(r.state.migration.last_justification).toBe(`${region} to ${mode}: shadow clean`);
      expect(r.body.guard_outcomes.map((g) => [g.guard, g.ok])).toEqual([['migration_order', true]]);
      expect(activeLeaves(r.state)).toEqual(activeLeaves(prev));
    }
    expect(sc.state.migration.routes).toEqual({ council: 'swoosh', ingestion: 'swoosh', execution: 'swoosh' });
    for (const s of sc.trail) expect(checkInvariants(s.prev, s.next, s.body)).toEqual([]);
  });

  it('the order rule and the one-step rule answer guard_failed migration_order; HEAD does not move', () => {
    const sc = migrating({ council: 'shadow', ingestion: 'shadow', execution: 'legacy' });
    const early = rejected(route(sc, 'ingestion', 'swoosh'), 'guard_failed');
    expect(early.guard).toBe('migration_order');
    expect(early.reason).toBe('guard migration_order failed: ingestion may become "swoosh" only after council (now "shadow")');
    expect(rejected(route(sc, 'execution', 'swoosh'), 'guard_failed').reasons).toEqual([
      'execution "legacy" → "swoosh" skips a step; routes move one step along legacy → shadow → swoosh',
    ]);
    expect(rejected(route(sc, 'council', 'shadow'), 'guard_failed').reasons).toEqual(['council is already "shadow"']);
    accepted(route(sc, 'council', 'swoosh'));
    accepted(route(sc, 'ingestion', 'swoosh'));
    expect(rejected(route(sc, 'council', 'shadow'), 'guard_failed').reasons).toEqual([
      'council may leave "swoosh" only after ingestion leaves "swoosh"',
    ]);
    expect(sc.state.epoch.migration).toBe(2);
  });

  it('a project born on SWOOSH may step back from the last region only', () => {
    const sc = booted();
    expect(sc.state.migration.routes).toEqual({ council: 'swoosh', ingestion: 'swoosh', execution: 'swoosh' });
    expect(rejected(route(sc, 'ingestion', 'shadow'), 'guard_failed').guard).toBe('migration_order');
    accepted(route(sc, 'execution', 'shadow'));
    accepted(route(sc, 'ingestion', 'shadow'));
    expect(sc.state.migration.routes).toEqual({ council: 'swoosh', ingestion: 'shadow', execution: 'shadow' });
  });

  it('bypass serves every region as legacy until restored; bypass twice and restore unbypassed are refused', () => {
    const sc = migrating({ council: 'swoosh', ingestion: 'shadow', execution: 'legacy' });
    expect(rejected(restore(sc), 'guard_failed').reasons).toEqual(['not bypassed: nothing to restore']);
    const b = accepted(bypass(sc));
    expect(b.state.migration).toMatchObject({
      bypass: true,
      bypass_reason: 'divergence storm',
      routes: { council: 'swoosh', ingestion: 'shadow', execution: 'legacy' },
    });
    expect(served(b.state)).toEqual(['legacy', 'legacy', 'legacy']);
    const twice = rejected(bypass(sc), 'guard_failed');
    expect(twice).toMatchObject({ guard: 'migration_bypass', reasons: ['already bypassed (divergence storm); Migration_Restore first'] });
    // Routes still move while bypassed (prepared for the restore), and are served after it.
    accepted(route(sc, 'ingestion', 'swoosh'));
    expect(served(sc.state)).toEqual(['legacy', 'legacy', 'legacy']);
    const r = accepted(restore(sc));
    expect(r.state.migration).toMatchObject({ bypass: false, bypass_reason: null, last_justification: 'WHOOSH drained' });
    expect(served(r.state)).toEqual(['swoosh', 'swoosh', 'legacy']);
    expect(r.state.epoch.migration).toBe(3);
  });

  it('accepted in BOOT without a licence, while PAUSED, while QUARANTINED and past grace; refused once TERMINATED', () => {
    const sc = new Traced(spec);
    accepted(route(sc, 'execution', 'shadow')); // BOOT.UNINITIALIZED, no licence
    sc.boot();
    sc.step('Control_Pause', { reason: 'incident' }, sc.operator);
    accepted(bypass(sc));
    sc.step('Policy_Violation', { rationale: 'SHHH flagged a secret', findings: [SECRET] });
    expect(sc.state.control.paused && sc.state.policy.quarantined).toBe(true);
    accepted(restore(sc));
    const expired = sc.license(sc.state.boot.license!.issued_ms, 1, 1); // not older than the licence in force, long past grace
    accepted(tryStep(sc, draft(sc, 'License_Refresh', expired)));
    expect(sc.state.boot.phase).toBe('EXPIRED');
    rejected(tryStep(sc, draft(sc, 'Quarantine_Release', { justification: 'x' }, { by: sc.operator })), 'guard_failed');
    accepted(route(sc, 'execution', 'swoosh'));
    for (const s of sc.trail) expect(checkInvariants(s.prev, s.next, s.body), s.body.transition).toEqual([]);
    const t = terminated();
    expect(rejected(route(t, 'execution', 'shadow'), 'terminated').reason).toContain('TERMINATED');
    rejected(bypass(t), 'terminated');
  });

  it('operator only: an agent gets role_denied', () => {
    const sc = booted();
    const r = rejected(route(sc, 'execution', 'shadow', { by: sc.agent }), 'role_denied');
    expect(r.reason).toContain('Migration_Route needs one of [operator]');
    rejected(tryStep(sc, draft(sc, 'Migration_Bypass', { reason: 'x' })), 'role_denied');
  });

  it.each([
    ['a blank justification', { region: 'execution', mode: 'shadow', justification: '  ' }, '$.inputs.justification'],
    ['an empty justification', { region: 'execution', mode: 'shadow', justification: '' }, '$.inputs.justification'],
    ['an over-long justification', { region: 'execution', mode: 'shadow', justification: 'x'.repeat(4097) }, '$.inputs.justification'],
    ['an unknown region', { region: 'environment', mode: 'shadow', justification: 'x' }, '$.inputs.region'],
    ['an unknown mode', { region: 'execution', mode: 'whoosh', justification: 'x' }, '$.inputs.mode'],
    ['no justification', { region: 'execution', mode: 'shadow' }, '$.inputs.justification'],
  ])('Migration_Route with %s is malformed, naming the field', (_, inputs, path) => {
    const sc = booted();
    expect(
      rejected(tryStep(sc, draft(sc, 'Migration_Route', inputs as JsonObject, { by: sc.operator })), 'malformed').reason.startsWith(
        `${path}:`,
      ),
    ).toBe(true);
  });

  it('Migration_Bypass needs a non-blank reason, Migration_Restore a non-blank justification', () => {
    const sc = booted();
    expect(rejected(tryStep(sc, draft(sc, 'Migration_Bypass', { reason: '\t' }, { by: sc.operator })), 'malformed').reason).toContain(
      '$.inputs.reason',
    );
    expect(rejected(tryStep(sc, draft(sc, 'Migration_Restore', {}, { by: sc.operator })), 'malformed').reason).toContain(
      '$.inputs.justification',
    );
  });
});

describe('checkInvariants', () => {
  const sc = atExecution();
  sc.step('Execution_PlanLocked', { plan_hash: fakeHash('p') });
  sc.seekWindow(5100);
  sc.step('Execution_BeatReviewGate', {});
  const find = (t: string): Step => {
    const s = sc.trail.find((x) => x.body.transition === t);
    if (!s) throw new Error(`no ${t}`);
    return { prev: structuredClone(s.prev), next: structuredClone(s.next), body: structuredClone(s.body) };
  };
  const names = (st: Step) => checkInvariants(st.prev, st.next, st.body).map((v) => v.invariant);

  it('returns [] for every step of the happy path', () => {
    for (const s of sc.trail) expect(checkInvariants(s.prev, s.next, s.body), s.body.transition).toEqual([]);
  });

  it('hlc_monotonic: order key not advanced, or missing', () => {
    const s = find('Environment_Green');
    s.next.hlc_last = s.prev.hlc_last;
    s.next.meta.last_signer = s.prev.meta.last_signer;
    s.next.meta.last_idem_key = s.prev.meta.last_idem_key;
    expect(names(s)).toContain('hlc_monotonic');
    const t = find('Environment_Green');
    t.next.hlc_last = null;
    expect(names(t)).toContain('hlc_monotonic');
  });

  it('epoch_once: an epoch that moved without a change, or did not move with one, or moved twice', () => {
    const a = find('Boot_ConfigOk');
    a.next.epoch.policy += 1;
    expect(checkInvariants(a.prev, a.next, a.body)).toEqual([
      { invariant: 'epoch_once', detail: 'epoch.policy advanced by 1, expected 0' },
    ]);
    const b = find('Boot_ConfigOk');
    b.next.epoch.boot -= 1;
    expect(names(b)).toEqual(['epoch_once']);
    const c = find('Ingestion_BytesOk');
    c.next.epoch.ingestion += 1;
    expect(names(c)).toEqual(['epoch_once']);
  });

  it('execution_ready_pins: EXECUTION with a pin that does not match, or a region not READY', () => {
    const a = find('Execution_AllReady');
    a.next.execution.pins!.env_hash = fakeHash('drifted env');
    expect(names(a)).toContain('execution_ready_pins');
    const b = find('Execution_PlanLocked');
    b.next.environment.phase = 'DEGRADED';
    expect(names(b)).toContain('execution_ready_pins');
  });

  it('quorum_cert: READY council without a certificate, with too few voters, or over another set', () => {
    const a = find('Council_McpGreen');
    a.next.council.quorum_cert = null;
    expect(names(a)).toContain('quorum_cert');
    const b = find('Council_McpGreen');
    b.next.council.quorum_cert!.voters = b.next.council.quorum_cert!.voters.slice(0, 1);
    expect(names(b)).toContain('quorum_cert');
    const c = find('Council_McpGreen');
    c.next.council.quorum_cert!.member_set_hash = fakeHash('other set');
    expect(names(c)).toContain('quorum_cert');
    const d = find('Council_McpGreen');
    d.next.council.quorum_cert!.voters = [...d.next.council.quorum_cert!.voters.slice(0, 2), sc.agent.signer];
    expect(names(d)).toContain('quorum_cert');
  });

  it('quarantine_sticky and terminated_absorbing', () => {
    const a = find('Environment_CapacityOk');
    a.prev.policy.quarantined = true;
    expect(names(a)).toContain('quarantine_sticky');
    const ok = find('Environment_CapacityOk');
    ok.prev.policy.quarantined = true;
    ok.body.transition = 'Quarantine_Release';
    expect(names(ok)).not.toContain('quarantine_sticky');
    const b = find('Environment_CapacityOk');
    b.prev.control.terminated = true;
    expect(names(b)).toContain('terminated_absorbing');
  });

  it('window: REVIEW entered at an HLC outside the review window', () => {
    const a = find('Execution_BeatReviewGate');
    const hlc = parseHlc(a.body.hlc)!;
    const beat = beatPosition(sc.genesis.backbeat, hlc.wall_ms).beat;
    a.body.hlc = formatHlc({ wall_ms: wallAt(sc.genesis.backbeat, beat, 100), counter: hlc.counter });
    expect(names(a)).toContain('window');
  });

  it('migration: routes out of order, a skipped step, a bad mode, a change outside a migration transition', () => {
    const a = find('Environment_Installed');
    a.next.migration = { ...a.next.migration, routes: { council: 'shadow', ingestion: 'swoosh', execution: 'swoosh' } };
    expect(names(a).sort()).toEqual(['epoch_once', 'migration_epoch', 'migration_order']);
    const b = find('Environment_Installed');
    b.prev.migration = { ...b.prev.migration, routes: { council: 'swoosh', ingestion: 'swoosh', execution: 'legacy' } };
    b.body.transition = 'Migration_Route';
    b.next.epoch.migration += 1;
    expect(names(b)).toEqual(['migration_step']);
    const c = find('Environment_Installed');
    (c.next.migration.routes as Record<string, string>).execution = 'whoosh';
    expect(names(c)).toContain('migration_routes');
    const d = find('Environment_Installed');
    d.body.transition = 'Migration_Bypass';
    expect(checkInvariants(d.prev, d.next, d.body)).toContainEqual({
      invariant: 'migration_epoch',
      detail: 'Migration_Bypass left the migration region',
    });
  });

  it('control_mode: a mode the flags do not say', () => {
    const a = find('Environment_Installed');
    a.next.control.mode = 'PAUSED';
    expect(names(a)).toContain('control_mode');
    const b = find('Environment_Installed');
    b.next.control.paused = true;
    expect(names(b)).toContain('control_mode');
  });
});
