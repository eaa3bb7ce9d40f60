// Wire schemas: the genesis rules (schema + cross-field) and the proposal envelope and
// inputs, whose errors must name the JSON path of the first offending value.

import { describe, expect, it } from 'vitest';
import { loadMachine } from '../main/machine';
import { H } from './hash';
import { fakeHash, licenseToken, makeCast, makeGenesis, mcpReport, quorumInputs, signProposal } from './testing/kit';
import type { Genesis, JsonObject, Proposal } from './types';
import { findForbiddenKey, findNonJson, INPUT_SCHEMAS, validateGenesis, validateProposal } from './wire';

const spec = loadMachine();
const cast = makeCast();
const genesis = makeGenesis(cast);

type Loose = Record<string, unknown>;
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

function genesisErrors(mutate: (g: Loose & Genesis) => void): Array<{ path: string; reason: string }> {
  const g = clone(genesis) as Loose & Genesis;
  mutate(g);
  const r = validateGenesis(g);
  if (r.ok) throw new Error('expected the genesis to be refused');
  return r.errors;
}

describe('validateGenesis', () => {
  it('accepts the kit genesis and the contract example shape', () => {
    const r = validateGenesis(clone(genesis));
    expect(r.ok).toBe(true);
    const minimal = clone(genesis);
    minimal.mcp.pins = {};
    expect(validateGenesis(minimal).ok).toBe(true);
  });

  it('duplicate signer ids and duplicate keys are named by index', () => {
    const ids = genesisErrors((g) => {
      g.signers[1]!.id = g.signers[0]!.id;
    });
    expect(ids).toEqual([{ path: '$.signers[1].id', reason: 'duplicate id op-1' }]);
    const keys = genesisErrors((g) => {
      g.signers[4]!.signer = g.signers[3]!.signer;
    });
    expect(keys).toEqual([{ path: '$.signers[4].signer', reason: 'duplicate signer key' }]);
  });

  it('a threshold above the number of council signers', () => {
    const errs = genesisErrors((g) => {
      g.quorum.threshold = 4;
    });
    expect(errs).toEqual([{ path: '$.quorum.threshold', reason: 'threshold 4 exceeds the 3 council signers' }]);
    expect(validateGenesis({ ...clone(genesis), quorum: { threshold: 3 } }).ok).toBe(true);
    const none = genesisErrors((g) => {
      g.signers = g.signers.filter((s) => !s.roles.includes('council'));
      g.quorum.threshold = 1;
    });
    expect(none[0]?.path).toBe('$.quorum.threshold');
  });

  it.each([
    ['from == to', [5000, 5000]],
    ['from > to', [7500, 5000]],
    ['beyond the period', [5000, 10001]],
    ['negative', [-1, 5000]],
    ['floats', [5000.5, 7500]],
    ['three bounds', [0, 1, 2]],
    ['one bound', [5000]],
    ['not an array', '5000-7500'],
    ['an object', { from: 5000, to: 7500 }],
  ])('a bad window (%s) is named', (_, win) => {
    const errs = genesisErrors((g) => {
      (g.backbeat.windows as Loose).review = win;
    });
    expect(errs).toHaveLength(1);
    // A float is caught by the integer rule first, at the offending bound.
    expect(errs[0]!.path.startsWith('$.backbeat.windows.review')).toBe(true);
  });

  describe('migration (a project migrating from WHOOSH)', () => {
    const routes = (council: string, ingestion: string, execution: string): Loose => ({ council, ingestion, execution });

    it('accepts every route set whose "swoosh" regions come first in council → ingestion → execution', () => {
      for (const r of [
        routes('legacy', 'legacy', 'legacy'),
        routes('shadow', 'legacy', 'shadow'),
        routes('swoosh', 'shadow', 'legacy'),
        routes('swoosh', 'swoosh', 'shadow'),
        routes('swoosh', 'swoosh', 'swoosh'),
      ]) {
        expect(validateGenesis({ ...clone(genesis), migration: { routes: r } }).ok, JSON.stringify(r)).toBe(true);
      }
    });

    it('refuses a region on "swoosh" ahead of its order, naming the regions behind', () => {
      const errs = genesisErrors((g) => {
        g.migration = { routes: routes('shadow', 'legacy', 'swoosh') } as never;
      });
      expect(errs).toEqual([
        {
          path: '$.migration.routes',
          reason:
            'execution is "swoosh" while council is "shadow" and ingestion is "legacy"; regions reach "swoosh" in the order council → ingestion → execution',
        },
      ]);
    });

    it.each([
      [
        'an unknown mode',
        (g: Loose) => {
          g.migration = { routes: routes('legacy', 'whoosh', 'legacy') };
        },
        '$.migration.routes.ingestion',
        'must be one of "legacy", "shadow", "swoosh"',
      ],
      [
        'a missing region',
        (g: Loose) => {
          g.migration = { routes: { council: 'legacy', ingestion: 'legacy' } };
        },
        '$.migration.routes.execution',
        'required',
      ],
      [
        'an unknown region',
        (g: Loose) => {
          g.migration = { routes: { ...routes('legacy', 'legacy', 'legacy'), environment: 'legacy' } };
        },
        '$.migration.routes.environment',
        '',
      ],
      [
        'no routes',
        (g: Loose) => {
          g.migration = {};
        },
        '$.migration.routes',
        'required',
      ],
      [
        'routes not an object',
        (g: Loose) => {
          g.migration = { routes: 'legacy' };
        },
        '$.migration.routes',
        '',
      ],
    ])('refuses %s with the path', (_, mutate, path, reason) => {
      const errs = genesisErrors(mutate);
      expect(errs).toHaveLength(1);
      expect(errs[0]!.path).toBe(path);
      expect(errs[0]!.reason).toContain(reason);
    });
  });

  it('the full beat [0, 10000] is a valid window', () => {
    const g = clone(genesis);
    g.backbeat.windows.review = [0, 10000];
    expect(validateGenesis(g).ok).toBe(true);
  });

  it('review and reverb windows are required', () => {
    const noReview = genesisErrors((g) => {
      delete (g.backbeat.windows as Loose).review;
    });
    expect(noReview).toEqual([{ path: '$.backbeat.windows.review', reason: 'required' }]);
    const neither = genesisErrors((g) => {
      g.backbeat.windows = {};
    });
    expect(neither.map((e) => e.path)).toEqual(['$.backbeat.windows.review', '$.backbeat.windows.reverb']);
  });

  it('all cross-field problems are reported together', () => {
    const errs = genesisErrors((g) => {
      g.signers[1]!.id = g.signers[0]!.id;
      g.quorum.threshold = 9;
      g.backbeat.windows = { review: [1, 0] };
      (g.mcp.pins as Loose).search = 3;
    });
    expect(errs.map((e) => e.path).sort()).toEqual(
      ['$.backbeat.windows.review', '$.backbeat.windows.reverb', '$.mcp.pins.search', '$.quorum.threshold', '$.signers[1].id'].sort(),
    );
  });

  it.each<[string, (g: Loose & Genesis) => void, string]>([
    [
      'missing project',
      (g) => {
        delete (g as Loose).project;
      },
      '$.project',
    ],
    [
      'project with a space',
      (g) => {
        g.project = 'my project';
      },
      '$.project',
    ],
    [
      'no signers',
      (g) => {
        g.signers = [];
      },
      '$.signers',
    ],
    [
      'unknown role',
      (g) => {
        (g.signers[0]!.roles as string[]) = ['admin'];
      },
      '$.signers[0].roles[0]',
    ],
    [
      'duplicate role',
      (g) => {
        g.signers[0]!.roles = ['operator', 'operator'];
      },
      '$.signers[0].roles[1]',
    ],
    [
      'bad signer key',
      (g) => {
        g.signers[2]!.signer = 'hmmm:ed25519:short';
      },
      '$.signers[2].signer',
    ],
    [
      'extra field on a signer',
      (g) => {
        (g.signers[0] as unknown as Loose).email = 'x@y';
      },
      '$.signers[0].email',
    ],
    [
      'bad kaching signer',
      (g) => {
        g.kaching.signer = 'nope';
      },
      '$.kaching.signer',
    ],
    [
      'max_age_ms 0',
      (g) => {
        g.mcp.max_age_ms = 0;
      },
      '$.mcp.max_age_ms',
    ],
    [
      'a pin that is not a string',
      (g) => {
        (g.mcp.pins as Loose).search = 1;
      },
      '$.mcp.pins.search',
    ],
    [
      'an empty pin',
      (g) => {
        g.mcp.pins.search = '';
      },
      '$.mcp.pins.search',
    ],
    [
      'policy deny duplicates',
      (g) => {
        g.policy.deny = ['a', 'a'];
      },
      '$.policy.deny[1]',
    ],
    [
      'threshold 0',
      (g) => {
        g.quorum.threshold = 0;
      },
      '$.quorum.threshold',
    ],
    [
      'period below a second',
      (g) => {
        g.backbeat.period_ms = 999;
      },
      '$.backbeat.period_ms',
    ],
    [
      'float max_drift_ms',
      (g) => {
        (g as Loose).max_drift_ms = 1.5;
      },
      '$.max_drift_ms',
    ],
    [
      'unknown top-level field',
      (g) => {
        (g as Loose).extra = true;
      },
      '$.extra',
    ],
    [
      '__proto__ key',
      (g) => {
        Object.defineProperty(g.mcp.pins, '__proto__', { value: '1', enumerable: true });
      },
      '$.mcp.pins.__proto__',
    ],
    [
      'lone surrogate in an id',
      (g) => {
        g.signers[0]!.id = 'op-\uD800';
      },
      '$.signers[0].id',
    ],
  ])('%s is refused at %s', (_, mutate, path) => {
    const errs = genesisErrors(mutate);
    expect(errs[0]?.path).toBe(path);
  });

  it('non-objects are refused', () => {
    for (const x of [null, 1, 'genesis', [], undefined]) expect(validateGenesis(x).ok).toBe(false);
  });
});

describe('validateProposal', () => {
  const g = genesis;
  const base = (transition: string, inputs: JsonObject, over: Partial<Proposal> = {}): Loose => ({
    ...signProposal({
      state_hash: fakeHash('head'),
      transition,
      inputs,
      by: cast.agents[0]!,
      hlc: { wall_ms: g.backbeat.epoch_ms + 1000, counter: 0 },
      idem_key: 'k1',
    }),
    ...over,
  });
  const errorOf = (input: unknown) => {
    const r = validateProposal(input);
    if (r.ok) throw new Error('expected an error');
    return r.error;
  };

  it('accepts a well-formed proposal and returns it as is', () => {
    const p = base('Ingestion_SourcesResolved', { sources: ['a'] });
    const r = validateProposal(p);
    expect(r.ok && r.proposal).toBe(p);
  });

  it('accepts a known transition with more inputs than the minimum, and an unknown transition with any inputs', () => {
    expect(validateProposal(base('Control_Pause', { reason: 'x', ticket: 'OPS-1', level: 3 })).ok).toBe(true);
    expect(validateProposal(base('Made_Up', { anything: [1, 'two', null] })).ok).toBe(true);
  });

  it.each<[string, unknown, string]>([
    ['envelope: extra field', { ...base('Control_Pause', { reason: 'x' }), extra: 1 }, '$.extra'],
    [
      'envelope: missing hlc',
      (() => {
        const p = base('Control_Pause', { reason: 'x' });
        delete p.hlc;
        return p;
      })(),
      '$.hlc',
    ],
    ['envelope: bad hlc', base('Control_Pause', { reason: 'x' }, { hlc: '2026-01-01T00:00:00.000+00:00#007' }), '$.hlc'],
    [
      'envelope: evidence item',
      base('Control_Pause', { reason: 'x' }, { evidence: ['bubble://dr/1', 'file:///etc/passwd'] }),
      '$.evidence[1]',
    ],
    ['envelope: window_id type', base('Control_Pause', { reason: 'x' }, { window_id: 5 as unknown as string }), '$.window_id'],
    ['inputs: missing minimum', base('Control_Pause', {}), '$.inputs.reason'],
    [
      'inputs: nested vote voter',
      base('Council_QuorumCert', {
        ...quorumInputs(cast.council, 1),
        votes: [{ voter: 'x', member_set_hash: fakeHash('m'), council_epoch: 1, signature: 'A'.repeat(86) }],
      }),
      '$.inputs.votes[0].voter',
    ],
    [
      'inputs: extra field on a vote',
      base(
        'Council_QuorumCert',
        (() => {
          const q = quorumInputs(cast.council, 1);
          return { ...q, votes: [(q.votes as JsonObject[])[0]!, { ...(q.votes as JsonObject[])[1]!, weight: 2 }] };
        })(),
      ),
      '$.inputs.votes[1].weight',
    ],
    [
      'inputs: negative council_epoch',
      base(
        'Council_QuorumCert',
        (() => {
          const q = quorumInputs(cast.council, 1);
          return { ...q, votes: [{ ...(q.votes as JsonObject[])[0]!, council_epoch: -1 }] };
        })(),
      ),
      '$.inputs.votes[0].council_epoch',
    ],
    [
      'inputs: token field',
      base('Boot_Licensed', {
        token: {
          ...licenseToken(cast.kaching, { licensee: 'demo', issued_ms: 1, expires_ms: 2, grace_ms: 0 }),
          grace_ms: '0',
        } as unknown as JsonObject,
      }),
      '$.inputs.token.grace_ms',
    ],
    [
      'inputs: token missing signature',
      base('Boot_Licensed', { token: { licensee: 'demo', issued_ms: 1, expires_ms: 2, grace_ms: 0 } }),
      '$.inputs.token.signature',
    ],
    [
      'inputs: report tool reachable',
      base('Council_McpGreen', {
        report: {
          ...mcpReport(cast.mcp, 'http://r', 1, [{ name: 's', version: '1', reachable: true }]),
          tools: [{ name: 's', version: '1', reachable: 'yes' }],
        } as unknown as JsonObject,
      }),
      '$.inputs.report.tools[0].reachable',
    ],
    [
      'inputs: finding kind empty',
      base('Ingestion_SchemaOk', {
        findings: [
          { kind: 'pii', path: '', detail: '' },
          { kind: '', path: 'a', detail: 'b' },
        ],
      }),
      '$.inputs.findings[1].kind',
    ],
    ['inputs: policy version', base('Policy_Update', { policy: { version: 'two', deny: [] } }), '$.inputs.policy.version'],
    ['inputs: amber reasons empty', base('Environment_Amber', { reasons: [] }), '$.inputs.reasons'],
    [
      'inputs: float in free-form allocations',
      base('Environment_CapacityOk', { allocations: [{ cpu: 1 }, { cpu: 0.25 }] }),
      '$.inputs.allocations[1].cpu',
    ],
    ['inputs: float in an extra field', base('Control_Pause', { reason: 'x', ratio: 0.5 }), '$.inputs.ratio'],
    [
      'inputs: forbidden key',
      base('Control_Pause', JSON.parse('{"reason":"x","nested":{"__proto__":{}}}') as JsonObject),
      '$.inputs.nested.__proto__',
    ],
  ])('%s → %s', (_, input, path) => {
    const err = errorOf(input);
    expect(err.path).toBe(path);
    expect(err.reason.length).toBeGreaterThan(0);
  });

  it('a float where an integer is typed says that numbers are integers', () => {
    const err = errorOf(
      base('Boot_Licensed', {
        token: {
          ...licenseToken(cast.kaching, { licensee: 'demo', issued_ms: 1, expires_ms: 2, grace_ms: 0 }),
          expires_ms: 2.5,
        } as unknown as JsonObject,
      }),
    );
    expect(err.path).toBe('$.inputs.token.expires_ms');
    expect(err.reason).toContain('integer');
  });

  it('every transition of the machine has an input schema, and every schema requires an object', () => {
    for (const name of Object.keys(spec.transitions)) {
      expect(INPUT_SCHEMAS[name], name).toBeDefined();
      expect(INPUT_SCHEMAS[name]!.type).toBe('object');
    }
  });

  it('the contract example shapes validate (one per transition with minimum inputs)', () => {
    const samples: Record<string, JsonObject> = {
      Boot_ConfigOk: { config_hash: H(genesis) },
      Boot_Licensed: {
        token: licenseToken(cast.kaching, { licensee: 'demo', issued_ms: 1, expires_ms: 2, grace_ms: 0 }) as unknown as JsonObject,
      },
      Ingestion_SourcesResolved: { sources: ['git://a'] },
      Ingestion_SchemaOk: { findings: [{ kind: 'pii', path: 'a', detail: '' }] },
      Ingestion_CorpusBuilt: { content_hash: fakeHash('c'), version: 'v1' },
      Council_QuorumCert: quorumInputs(cast.council, 0),
      Council_McpGreen: { report: mcpReport(cast.mcp, 'http://r', 1, []) as unknown as JsonObject },
      Council_ReElect: { reason: 'r', eject: [] },
      Environment_CapacityOk: { allocations: [] },
      Execution_AllReady: { content_hash: fakeHash('c'), version: 'v', member_set_hash: fakeHash('m'), env_hash: fakeHash('e') },
      Execution_BeatReviewGate: {},
      Execution_Approve: { note: '' },
      Policy_Violation: { rationale: 'r', findings: [] },
      Policy_Update: { policy: { version: 2, deny: [] } },
    };
    for (const [t, inputs] of Object.entries(samples)) {
      const r = validateProposal(base(t, inputs));
      expect(r.ok, `${t}: ${r.ok ? '' : `${r.error.path} ${r.error.reason}`}`).toBe(true);
    }
  });
});

describe('findForbiddenKey and findNonJson', () => {
  it('name the path of the first offender', () => {
    expect(findForbiddenKey({ a: [{ b: 1 }, JSON.parse('{"__proto__":1}')] })).toBe('$.a[1].__proto__');
    expect(findForbiddenKey({ a: { prototype: 1 } })).toBe('$.a.prototype');
    expect(findForbiddenKey({ a: ['constructor'] })).toBeNull();
    expect(findNonJson({ a: [1, { b: 1.5 }] })).toMatchObject({ path: '$.a[1].b' });
    expect(findNonJson({ a: [1, { b: -0 }, null, true, 'x'] })).toBeNull();
    expect(findNonJson({ a: Number.MAX_SAFE_INTEGER + 1 })).toMatchObject({ path: '$.a' });
    expect(findNonJson({ d: new Date(0) })).toMatchObject({ path: '$.d', reason: 'not a plain JSON object' });
    expect(findNonJson({ f: () => 1 })).toMatchObject({ path: '$.f' });
    expect(findNonJson({ 'k\uDBFF': 1 })).toMatchObject({ reason: 'key contains a lone surrogate' });
    let deep: unknown = 1;
    for (let i = 0; i < 60; i += 1) deep = [deep];
    expect(findNonJson(deep)?.reason).toContain('nested deeper');
  });
});
