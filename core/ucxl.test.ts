import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { URI_LENGTH_MAX, formatUcxl, isEvidenceUri, matchesUcxl, parseUcxl, parseUcxlQuery } from './ucxl';
import type { UcxlAddress } from './ucxl';

const CONTRACT_EXAMPLE = 'ucxl://agent-1:ingest@demo:index/corpus*^/';
const WAL_EXAMPLE = 'ucxl://swoosh:orchestrator@demo:Council_QuorumCert/wal/12*^/';

describe('parseUcxl', () => {
  it('parses the contract example', () => {
    expect(parseUcxl(CONTRACT_EXAMPLE)).toEqual({
      agent: 'agent-1',
      role: 'ingest',
      project: 'demo',
      task: 'index',
      path: 'corpus',
      temporal: { kind: 'latest' },
    });
  });

  it('parses the orchestrator decision-record address', () => {
    expect(parseUcxl(WAL_EXAMPLE)).toEqual({
      agent: 'swoosh',
      role: 'orchestrator',
      project: 'demo',
      task: 'Council_QuorumCert',
      path: 'wal/12',
      temporal: { kind: 'latest' },
    });
  });

  it('temporal forms', () => {
    expect(parseUcxl('ucxl://a:r@p:t/x*~/')?.temporal).toEqual({ kind: 'earliest' });
    expect(parseUcxl('ucxl://a:r@p:t/x*@2026-11-22T01:23:45.678+00:00#3/')?.temporal).toEqual({
      kind: 'at',
      at: '2026-11-22T01:23:45.678+00:00#3',
    });
    expect(parseUcxl('ucxl://a:r@p:t/x*@2026-11-22T01:23:45.678Z/')?.temporal).toEqual({
      kind: 'at',
      at: '2026-11-22T01:23:45.678Z',
    });
    expect(parseUcxl('ucxl://a:r@p:t/x*@1767225600000/')?.temporal).toEqual({ kind: 'at', at: '1767225600000' });
    expect(parseUcxl('ucxl://a:r@p:t/x*@0/')?.temporal).toEqual({ kind: 'at', at: '0' });
  });

  it('accepts non-ASCII fields and path characters other than * and whitespace', () => {
    expect(parseUcxl('ucxl://agént:rôle@projét:tâche/dossier/fiché.txt*^/')?.path).toBe('dossier/fiché.txt');
    expect(parseUcxl('ucxl://a:r@p:t/a:b/c@d/~e*^/')?.path).toBe('a:b/c@d/~e');
  });

  it('rejects malformed addresses', () => {
    for (const bad of [
      '',
      'ucxl://',
      'ucxl://a:r@p:t/x*^', // no trailing slash
      'UCXL://a:r@p:t/x*^/',
      'ucx://a:r@p:t/x*^/',
      ' ucxl://a:r@p:t/x*^/',
      'ucxl://a:r@p:t/x*^/ ',
      'ucxl://a@p:t/x*^/', // no role
      'ucxl://a:r:s@p:t/x*^/',
      'ucxl://a:r@p/x*^/', // no task
      'ucxl://a:r@p:t:u/x*^/',
      'ucxl://a:r@@p:t/x*^/',
      'ucxl://:r@p:t/x*^/',
      'ucxl://a:@p:t/x*^/',
      'ucxl://a:r@:t/x*^/',
      'ucxl://a:r@p:/x*^/',
      'ucxl://a b:r@p:t/x*^/',
      'ucxl://a\t:r@p:t/x*^/',
      'ucxl://a\u0000:r@p:t/x*^/',
      'ucxl://a\u0085:r@p:t/x*^/',
      'ucxl://a\u00a0:r@p:t/x*^/',
      'ucxl://a\uD800:r@p:t/x*^/',
      'ucxl://a:r@p:t/*^/', // empty path
      'ucxl://a:r@p:t//x*^/',
      'ucxl://a:r@p:t/x/*^/',
      'ucxl://a:r@p:t/x//y*^/',
      'ucxl://a:r@p:t/x/../y*^/',
      'ucxl://a:r@p:t/./x*^/',
      'ucxl://a:r@p:t/x y*^/',
      'ucxl://a:r@p:t/x\n*^/',
      'ucxl://a:r@p:t/x^/', // no *
      'ucxl://a:r@p:t/x*/', // no temporal
      'ucxl://a:r@p:t/x**/', // wildcard temporal is query-only
      'ucxl://a:r@p:t/x*^^/',
      'ucxl://a:r@p:t/x*^*~/',
      'ucxl://a:r@p:t/x*@/',
      'ucxl://a:r@p:t/x*@yesterday/',
      'ucxl://a:r@p:t/x*@01/',
      'ucxl://a:r@p:t/x*@2026-02-30T00:00:00.000Z/',
      'ucxl://a:r@p:t/x*@99999999999999999/',
      'ucxl://*:r@p:t/x*^/', // wildcards are query-only
      'ucxl://a:r@p:*/x*^/',
      'ucxl://a:r@p:t/**^/',
    ]) {
      expect(parseUcxl(bad), JSON.stringify(bad)).toBeNull();
    }
    expect(parseUcxl(42 as unknown as string)).toBeNull();
  });

  it('bounds the length', () => {
    const head = 'ucxl://a:r@p:t/';
    const tail = '*^/';
    const ok = head + 'x'.repeat(URI_LENGTH_MAX - head.length - tail.length) + tail;
    expect(ok.length).toBe(URI_LENGTH_MAX);
    expect(parseUcxl(ok)).not.toBeNull();
    expect(parseUcxl(head + 'x'.repeat(URI_LENGTH_MAX) + tail)).toBeNull();
  });
});

describe('formatUcxl', () => {
  it('formats the examples back exactly', () => {
    expect(formatUcxl(parseUcxl(CONTRACT_EXAMPLE)!)).toBe(CONTRACT_EXAMPLE);
    expect(formatUcxl(parseUcxl(WAL_EXAMPLE)!)).toBe(WAL_EXAMPLE);
    expect(
      formatUcxl({
        agent: 'swoosh',
        role: 'orchestrator',
        project: 'demo',
        task: 'Boot_ConfigOk',
        path: 'wal/1',
        temporal: { kind: 'latest' },
      }),
    ).toBe('ucxl://swoosh:orchestrator@demo:Boot_ConfigOk/wal/1*^/');
  });

  it('throws on addresses that would not parse back', () => {
    const base: UcxlAddress = { agent: 'a', role: 'r', project: 'p', task: 't', path: 'x', temporal: { kind: 'latest' } };
    expect(() => formatUcxl({ ...base, project: 'my project' })).toThrow(RangeError);
    expect(() => formatUcxl({ ...base, agent: 'a:b' })).toThrow(RangeError);
    expect(() => formatUcxl({ ...base, path: '' })).toThrow(RangeError);
    expect(() => formatUcxl({ ...base, path: 'a*b' })).toThrow(RangeError);
    expect(() => formatUcxl({ ...base, temporal: { kind: 'at', at: 'soon' } })).toThrow(RangeError);
  });

  const field = fc.string({
    unit: fc.constantFrom(...'abcXYZ019-_.~!é€😀^+'.split(/(?:)/u)),
    minLength: 1,
    maxLength: 6,
  });
  const segment = field.filter((s) => s !== '.' && s !== '..');
  const address: fc.Arbitrary<UcxlAddress> = fc.record({
    agent: field,
    role: field,
    project: field,
    task: field,
    path: fc.array(segment, { minLength: 1, maxLength: 4 }).map((segs) => segs.join('/')),
    temporal: fc.oneof(
      fc.constant({ kind: 'latest' as const }),
      fc.constant({ kind: 'earliest' as const }),
      fc.nat().map((n) => ({ kind: 'at' as const, at: String(n) })),
      fc.constant({ kind: 'at' as const, at: '2026-11-22T01:23:45.678+00:00#0' }),
    ),
  });

  it('round-trips (property)', () => {
    fc.assert(
      fc.property(address, (a) => {
        const text = formatUcxl(a);
        expect(parseUcxl(text)).toEqual(a);
        expect(isEvidenceUri(text)).toBe(true);
        expect(matchesUcxl(text, text)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('matchesUcxl', () => {
  it('exact and wildcard fields', () => {
    expect(matchesUcxl(CONTRACT_EXAMPLE, CONTRACT_EXAMPLE)).toBe(true);
    expect(matchesUcxl('ucxl://*:ingest@demo:index/corpus*^/', CONTRACT_EXAMPLE)).toBe(true);
    expect(matchesUcxl('ucxl://*:*@*:*/corpus*^/', CONTRACT_EXAMPLE)).toBe(true);
    expect(matchesUcxl('ucxl://*:*@demo:*/**^/', CONTRACT_EXAMPLE)).toBe(true);
    expect(matchesUcxl('ucxl://*:*@demo:*/***/', CONTRACT_EXAMPLE)).toBe(true);
    expect(matchesUcxl('ucxl://agent-1:ingest@demo:index/corpus**/', CONTRACT_EXAMPLE)).toBe(true);
    expect(matchesUcxl('ucxl://swoosh:*@demo:*/***/', WAL_EXAMPLE)).toBe(true);
  });

  it('non-matches', () => {
    expect(matchesUcxl('ucxl://agent-2:ingest@demo:index/corpus*^/', CONTRACT_EXAMPLE)).toBe(false);
    expect(matchesUcxl('ucxl://*:*@other:*/***/', CONTRACT_EXAMPLE)).toBe(false);
    expect(matchesUcxl('ucxl://*:*@*:*/corpus2*^/', CONTRACT_EXAMPLE)).toBe(false);
    expect(matchesUcxl('ucxl://*:*@*:*/corpus*~/', CONTRACT_EXAMPLE)).toBe(false);
    expect(matchesUcxl('ucxl://*:*@*:*/wal*^/', WAL_EXAMPLE)).toBe(false); // no partial paths
    expect(matchesUcxl('ucxl://*:*@*:*/x*@1/', 'ucxl://a:r@p:t/x*@2/')).toBe(false);
    expect(matchesUcxl('ucxl://*:*@*:*/x*@1/', 'ucxl://a:r@p:t/x*@1/')).toBe(true);
  });

  it('malformed query or address never matches', () => {
    expect(matchesUcxl('ucxl://*:*@*:*', CONTRACT_EXAMPLE)).toBe(false);
    expect(matchesUcxl('ucxl://*:*@*:*/***/', 'ucxl://*:*@*:*/***/')).toBe(false); // address must be concrete
    expect(matchesUcxl('nonsense', 'nonsense')).toBe(false);
  });

  it('a wildcard query matches every address (property)', () => {
    const all = 'ucxl://*:*@*:*/***/';
    expect(parseUcxlQuery(all)).toEqual({ agent: '*', role: '*', project: '*', task: '*', path: '*', temporal: { kind: 'any' } });
    expect(formatUcxl(parseUcxlQuery(all)!)).toBe(all);
    fc.assert(
      fc.property(fc.constantFrom(CONTRACT_EXAMPLE, WAL_EXAMPLE, 'ucxl://a:r@p:t/x*@5/'), (addr) => {
        expect(matchesUcxl(all, addr)).toBe(true);
      }),
    );
  });
});

describe('isEvidenceUri', () => {
  it('accepts ucxl addresses and bubble URIs', () => {
    expect(isEvidenceUri(CONTRACT_EXAMPLE)).toBe(true);
    expect(isEvidenceUri(WAL_EXAMPLE)).toBe(true);
    expect(isEvidenceUri('bubble://dr/12')).toBe(true);
    expect(isEvidenceUri('bubble://dr/12?x=1')).toBe(false);
    expect(isEvidenceUri('bubble://a/b%20c')).toBe(true);
    expect(isEvidenceUri("bubble://a-b.c_d~e!$&'()*+,;=:@/f")).toBe(true);
  });

  it('rejects everything else', () => {
    for (const bad of [
      'bubble://',
      'bubble:///x',
      'bubble://a b',
      'bubble://a\n',
      'bubble://a#frag',
      'bubble://a%2',
      'bubble://a%zz',
      'bubble://é',
      'BUBBLE://x',
      'https://example.com',
      'ucxl://a:r@p:t/x*^',
      'ucxl://*:*@*:*/***/',
      '',
    ]) {
      expect(isEvidenceUri(bad), JSON.stringify(bad)).toBe(false);
    }
    for (const v of [null, undefined, 42, {}, ['bubble://x']]) expect(isEvidenceUri(v)).toBe(false);
    expect(isEvidenceUri('bubble://' + 'x'.repeat(URI_LENGTH_MAX - 9))).toBe(true);
    expect(isEvidenceUri('bubble://' + 'x'.repeat(URI_LENGTH_MAX - 8))).toBe(false);
  });

  it('never throws (property)', () => {
    fc.assert(
      fc.property(fc.anything(), (v) => {
        expect(typeof isEvidenceUri(v)).toBe('boolean');
      }),
    );
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom(...':/@*^~ab-.'.split('')), maxLength: 24 }).map((s) => 'ucxl://' + s),
        (s) => {
          const a = parseUcxl(s);
          if (a !== null) expect(formatUcxl(a)).toBe(s);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
