// The state document: state 0 as a pure function of genesis (and machine), projections,
// the derived control mode, and the statechart leaves each FLOW position stands for.

import { describe, expect, it } from 'vitest';
import { loadMachine } from '../main/machine';
import { H } from './hash';
import {
  activeLeaves,
  deriveMode,
  effectiveRoute,
  initialState,
  MIGRATION_ORDER,
  projectState,
  REGION_KEYS,
  signersWithRole,
  type State,
} from './state';
import { fakeHash, makeCast, makeGenesis } from './testing/kit';
import { Scenario } from './testing/scenario';
import type { Genesis } from './types';

const spec = loadMachine();
const cast = makeCast();
const genesis = makeGenesis(cast);

const clone = <T>(x: T): T => structuredClone(x);

describe('initialState', () => {
  it('is a pure function of the genesis: equal genesis documents give the same document and hash', () => {
    const a = initialState(genesis, spec.hash);
    const b = initialState(clone(genesis), spec.hash);
    expect(b).toEqual(a);
    expect(H(b)).toBe(H(a));
    expect(H(initialState(makeGenesis(makeCast()), spec.hash))).toBe(H(a));
    // Key order of the genesis does not matter (JCS).
    const reordered = Object.fromEntries(Object.entries(genesis).reverse()) as unknown as Genesis;
    expect(H(initialState(reordered, spec.hash))).toBe(H(a));
  });

  it('is state 0 of the contract: BOOT.UNINITIALIZED, epochs 0, no HLC', () => {
    const s = initialState(genesis, spec.hash);
    expect(Object.keys(s).sort()).toEqual(
      ['boot', 'control', 'council', 'environment', 'epoch', 'execution', 'hlc_last', 'ingestion', 'meta', 'migration', 'policy'].sort(),
    );
    expect(s.boot.phase).toBe('UNINITIALIZED');
    expect(s.ingestion.phase).toBe('DISCOVER');
    expect(s.council.phase).toBe('PLAN_ROLES');
    expect(s.environment.phase).toBe('ALLOCATE');
    expect(s.execution.phase).toBeNull();
    expect(s.control).toMatchObject({ mode: null, terminated: false });
    expect(s.policy).toMatchObject({ quarantined: false, rationale: [], version: 1, deny: genesis.policy.deny });
    expect(s.epoch).toEqual(Object.fromEntries(REGION_KEYS.map((k) => [k, 0])));
    expect(s.hlc_last).toBeNull();
    expect(s.meta).toMatchObject({ genesis_hash: H(genesis), spec_hash: spec.hash, project: 'demo', max_drift_ms: 1000 });
    expect(s.council.threshold).toBe(genesis.quorum.threshold);
  });

  const mutations: Array<[string, (g: Genesis) => void]> = [
    [
      'project',
      (g) => {
        g.project = 'demo2';
      },
    ],
    [
      'a signer id',
      (g) => {
        g.signers[0]!.id = 'op-x';
      },
    ],
    [
      'a signer key',
      (g) => {
        g.signers[0]!.signer = cast.stranger.signer;
      },
    ],
    [
      'a signer role',
      (g) => {
        g.signers[0]!.roles = ['operator', 'agent'];
      },
    ],
    [
      'signer order',
      (g) => {
        g.signers.reverse();
      },
    ],
    [
      'a removed signer',
      (g) => {
        g.signers.pop();
      },
    ],
    [
      'kaching signer',
      (g) => {
        g.kaching.signer = cast.stranger.signer;
      },
    ],
    [
      'mcp signer',
      (g) => {
        g.mcp.signer = cast.stranger.signer;
      },
    ],
    [
      'mcp max_age_ms',
      (g) => {
        g.mcp.max_age_ms += 1;
      },
    ],
    [
      'an mcp pin',
      (g) => {
        g.mcp.pins.search = '1.4.3';
      },
    ],
    [
      'an added mcp pin',
      (g) => {
        g.mcp.pins.extra = '1';
      },
    ],
    [
      'policy version',
      (g) => {
        g.policy.version = 2;
      },
    ],
    [
      'policy deny',
      (g) => {
        g.policy.deny = ['secret'];
      },
    ],
    [
      'quorum threshold',
      (g) => {
        g.quorum.threshold = 3;
      },
    ],
    [
      'backbeat epoch_ms',
      (g) => {
        g.backbeat.epoch_ms += 1;
      },
    ],
    [
      'backbeat period_ms',
      (g) => {
        g.backbeat.period_ms += 1000;
      },
    ],
    [
      'a backbeat window',
      (g) => {
        g.backbeat.windows.review = [5000, 7400];
      },
    ],
    [
      'max_drift_ms',
      (g) => {
        g.max_drift_ms += 1;
      },
    ],
  ];

  it.each(mutations)('changing %s changes the state hash', (_, mutate) => {
    const base = H(initialState(genesis, spec.hash));
    const g = clone(genesis);
    mutate(g);
    const s = initialState(g, spec.hash);
    expect(H(s)).not.toBe(base);
    expect(s.meta.genesis_hash).toBe(H(g));
  });

  it('a genesis without migration is a project born on SWOOSH: every route "swoosh", no bypass', () => {
    const s = initialState(genesis, spec.hash);
    expect(s.migration).toEqual({
      routes: { council: 'swoosh', ingestion: 'swoosh', execution: 'swoosh' },
      bypass: false,
      bypass_reason: null,
      last_justification: null,
    });
    expect(s.epoch.migration).toBe(0);
    expect(MIGRATION_ORDER.map((r) => effectiveRoute(s.migration, r))).toEqual(['swoosh', 'swoosh', 'swoosh']);
  });

  it('genesis migration.routes are the routes of state 0, copied (not aliased), and change the state hash', () => {
    const g = { ...clone(genesis), migration: { routes: { council: 'shadow', ingestion: 'legacy', execution: 'legacy' } } } as Genesis;
    const s = initialState(g, spec.hash);
    expect(s.migration.routes).toEqual({ council: 'shadow', ingestion: 'legacy', execution: 'legacy' });
    expect(H(s)).not.toBe(H(initialState(genesis, spec.hash)));
    const before = H(s);
    g.migration!.routes.council = 'swoosh';
    expect(H(s)).toBe(before);
  });

  it('while bypassed every region is served as "legacy", whatever its route', () => {
    const m = { ...initialState(genesis, spec.hash).migration, bypass: true, bypass_reason: 'incident 42' };
    expect(MIGRATION_ORDER.map((r) => effectiveRoute(m, r))).toEqual(['legacy', 'legacy', 'legacy']);
  });

  it('a different machine gives a different state 0', () => {
    expect(H(initialState(genesis, fakeHash('another machine')))).not.toBe(H(initialState(genesis, spec.hash)));
  });

  it('does not alias the genesis: mutating the genesis afterwards leaves the state alone', () => {
    const g = clone(genesis);
    const s = initialState(g, spec.hash);
    const before = H(s);
    g.signers[0]!.roles.push('agent');
    g.mcp.pins.search = 'x';
    g.policy.deny.push('y');
    g.backbeat.windows.review![0] = 1;
    expect(H(s)).toBe(before);
  });
});

describe('projectState', () => {
  const s = initialState(genesis, spec.hash);

  it('takes region names case-insensitively and answers with lower-case keys', () => {
    const r = projectState(s, ['Council', 'INGESTION', 'environment', ' Policy ']);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Object.keys(r.projection).sort()).toEqual(['council', 'environment', 'ingestion', 'policy']);
    expect(r.projection.council).toEqual(s.council);
    expect(r.projection.policy).toEqual(s.policy);
  });

  it('every region key is a projection', () => {
    const r = projectState(
      s,
      REGION_KEYS.map((k) => k.toUpperCase()),
    );
    expect(r.ok && Object.keys(r.projection)).toEqual([...REGION_KEYS]);
  });

  it.each(['Nope', '', 'meta', 'epoch', 'hlc_last', '__proto__', 'constructor', 'toString', 'councils'])(
    'names the unknown projection %j',
    (name) => {
      expect(projectState(s, ['Council', name])).toEqual({ ok: false, unknown: name });
    },
  );

  it('no names is an empty projection', () => {
    expect(projectState(s, [])).toEqual({ ok: true, projection: {} });
  });
});

describe('deriveMode', () => {
  const s = initialState(genesis, spec.hash);
  const withFlags = (paused: boolean, recovery: boolean, phase: State['boot']['phase']) =>
    deriveMode({ control: { ...s.control, paused, recovery }, boot: { ...s.boot, phase } });

  it('PAUSED over RECOVERY over DEGRADED (licence GRACE or EXPIRED), else null', () => {
    expect(withFlags(false, false, 'LICENSED')).toBeNull();
    expect(withFlags(false, false, 'UNINITIALIZED')).toBeNull();
    expect(withFlags(false, false, 'GRACE')).toBe('DEGRADED');
    expect(withFlags(false, false, 'EXPIRED')).toBe('DEGRADED');
    expect(withFlags(false, true, 'EXPIRED')).toBe('RECOVERY');
    expect(withFlags(true, true, 'EXPIRED')).toBe('PAUSED');
    expect(withFlags(true, false, 'LICENSED')).toBe('PAUSED');
  });
});

describe('signersWithRole', () => {
  it('lists the genesis signers holding a role, sorted', () => {
    const s = initialState(genesis, spec.hash);
    const council = signersWithRole(s, 'council');
    expect(council).toEqual(cast.council.map((k) => k.signer).sort());
    expect(signersWithRole(s, 'operator')).toEqual(cast.operators.map((k) => k.signer).sort());
    expect(signersWithRole(s, 'nobody')).toEqual([]);
  });
});

describe('activeLeaves', () => {
  const flow = (s: State) => activeLeaves(s).filter((l) => l.startsWith('FLOW.'));

  /** Every leaf is an atomic or final state of the machine; one per root region, FLOW's parallel part aside. */
  function checkShape(s: State): void {
    const leaves = activeLeaves(s);
    expect(leaves).toEqual([...leaves].sort());
    for (const leaf of leaves) {
      const node = spec.states[leaf];
      expect(node, leaf).toBeDefined();
      expect(['atomic', 'final']).toContain(node!.kind);
    }
    for (const region of ['CONTROL', 'POLICY', 'LICENSE']) {
      expect(
        leaves.filter((l) => l.startsWith(`${region}.`)),
        region,
      ).toHaveLength(1);
    }
    const f = leaves.filter((l) => l.startsWith('FLOW.'));
    expect(f.length === 1 || (f.length === 3 && f.every((l) => l.startsWith('FLOW.PROJECT_LIFECYCLE.')))).toBe(true);
  }

  it('BOOT.UNINITIALIZED and BOOT.LICENSE_CHECK, unlicensed', () => {
    const sc = new Scenario(spec);
    expect(activeLeaves(sc.state)).toEqual(['CONTROL.RUNNING', 'FLOW.BOOT.UNINITIALIZED', 'LICENSE.UNLICENSED', 'POLICY.CLEAR']);
    sc.step('Boot_ConfigOk', { config_hash: H(sc.genesis) }, sc.operator);
    expect(flow(sc.state)).toEqual(['FLOW.BOOT.LICENSE_CHECK']);
    expect(activeLeaves(sc.state)).toContain('LICENSE.UNLICENSED');
    checkShape(sc.state);
  });

  it('PROJECT_LIFECYCLE: one leaf per parallel region, moving independently', () => {
    const sc = new Scenario(spec).boot();
    expect(flow(sc.state)).toEqual([
      'FLOW.PROJECT_LIFECYCLE.Council.PLAN_ROLES',
      'FLOW.PROJECT_LIFECYCLE.Environment.ALLOCATE',
      'FLOW.PROJECT_LIFECYCLE.Ingestion.DISCOVER',
    ]);
    expect(activeLeaves(sc.state)).toContain('LICENSE.LICENSED');
    sc.step('Ingestion_SourcesResolved', { sources: ['a'] });
    sc.step('Environment_CapacityOk', { allocations: [] });
    expect(flow(sc.state)).toEqual([
      'FLOW.PROJECT_LIFECYCLE.Council.PLAN_ROLES',
      'FLOW.PROJECT_LIFECYCLE.Environment.PROVISION',
      'FLOW.PROJECT_LIFECYCLE.Ingestion.FETCH',
    ]);
    checkShape(sc.state);
  });

  it('EXECUTION.PLAN, WORK, REVIEW and REVERB replace the lifecycle leaves', () => {
    const sc = new Scenario(spec).toExecution();
    const seen: string[][] = [flow(sc.state)];
    sc.step('Execution_PlanLocked', { plan_hash: fakeHash('p') });
    seen.push(flow(sc.state));
    sc.seekWindow(5100);
    sc.step('Execution_BeatReviewGate', {});
    seen.push(flow(sc.state));
    for (const op of sc.cast.operators) sc.step('Execution_Approve', { note: 'ok' }, op);
    sc.seekWindow(7600);
    sc.step('Execution_ApprovalsThreshold', {});
    seen.push(flow(sc.state));
    checkShape(sc.state);
    expect(seen).toEqual([['FLOW.EXECUTION.PLAN'], ['FLOW.EXECUTION.WORK'], ['FLOW.EXECUTION.REVIEW'], ['FLOW.EXECUTION.REVERB']]);
  });

  it('RECOVERY, PAUSED and DEGRADED licence', () => {
    const sc = new Scenario(spec).toExecution();
    sc.step('Execution_QuorumLost', { reason: 'lost' });
    expect(flow(sc.state)).toEqual(['FLOW.RECOVERY']);
    sc.step('Control_Pause', { reason: 'p' }, sc.operator);
    expect(activeLeaves(sc.state)).toEqual(['CONTROL.PAUSED', 'FLOW.RECOVERY', 'LICENSE.LICENSED', 'POLICY.CLEAR']);
    checkShape(sc.state);
    const grace: State = { ...sc.state, boot: { ...sc.state.boot, phase: 'GRACE' } };
    expect(activeLeaves(grace)).toContain('LICENSE.GRACE');
    const expired: State = { ...sc.state, boot: { ...sc.state.boot, phase: 'EXPIRED' } };
    expect(activeLeaves(expired)).toContain('LICENSE.EXPIRED');
  });

  it('QUARANTINED keeps the FLOW position; TERMINATED is the only FLOW leaf once confirmed', () => {
    const sc = new Scenario(spec).boot();
    sc.step('Policy_Violation', { rationale: 'r', findings: [] });
    expect(activeLeaves(sc.state)).toContain('POLICY.QUARANTINED');
    expect(flow(sc.state)).toHaveLength(3);
    sc.step('Quarantine_ConfirmBlock', { justification: 'j' }, sc.operator);
    expect(flow(sc.state)).toEqual(['FLOW.TERMINATED']);
    expect(activeLeaves(sc.state)).toEqual(['CONTROL.RUNNING', 'FLOW.TERMINATED', 'LICENSE.LICENSED', 'POLICY.QUARANTINED']);
    checkShape(sc.state);
  });
});
