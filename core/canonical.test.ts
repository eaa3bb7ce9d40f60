import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { CANONICAL_DEPTH_MAX, CanonicalError, canonicalize, compareUtf8, isPlainObject, utf8 } from './canonical';

function f64(hex: string): number {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt('0x' + hex));
  return view.getFloat64(0);
}

function errorOf(fn: () => unknown): CanonicalError {
  try {
    fn();
  } catch (e) {
    if (e instanceof CanonicalError) return e;
    throw e;
  }
  throw new Error('expected a CanonicalError');
}

function nest(levels: number): unknown {
  let v: unknown = 0;
  for (let i = 0; i < levels; i += 1) v = [v];
  return v;
}

describe('canonicalize — RFC 8785 examples', () => {
  it('§3.2.2 sample: literals, numbers and string escapes', () => {
    const input = JSON.parse(
      '{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001],' +
        '"string":"\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/","literals":[null,true,false]}',
    );
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' + '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it('§3.2.3 sorts keys by UTF-16 code units (non-ASCII and astral keys)', () => {
    const input = JSON.parse(
      '{"\\u20ac":"Euro Sign","\\r":"Carriage Return","\\ufb33":"Hebrew Letter Dalet With Dagesh",' +
        '"1":"One","\\ud83d\\ude00":"Emoji: Grinning Face","\\u0080":"Control",' +
        '"\\u00f6":"Latin Small Letter O With Diaeresis"}',
    );
    const out = canonicalize(input);
    expect(out).toBe(
      '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis",' +
        '"\u20ac":"Euro Sign","\u{1F600}":"Emoji: Grinning Face","\uFB33":"Hebrew Letter Dalet With Dagesh"}',
    );
  });

  it('Appendix B number serialization', () => {
    const cases: Array<[string, string]> = [
      ['0000000000000000', '0'],
      ['8000000000000000', '0'],
      ['0000000000000001', '5e-324'],
      ['8000000000000001', '-5e-324'],
      ['7fefffffffffffff', '1.7976931348623157e+308'],
      ['ffefffffffffffff', '-1.7976931348623157e+308'],
      ['4340000000000000', '9007199254740992'],
      ['c340000000000000', '-9007199254740992'],
      ['4430000000000000', '295147905179352830000'],
      ['44b52d02c7e14af5', '9.999999999999997e+22'],
      ['44b52d02c7e14af6', '1e+23'],
      ['44b52d02c7e14af7', '1.0000000000000001e+23'],
      ['444b1ae4d6e2ef4e', '999999999999999700000'],
      ['444b1ae4d6e2ef4f', '999999999999999900000'],
      ['444b1ae4d6e2ef50', '1e+21'],
      ['3eb0c6f7a0b5ed8c', '9.999999999999997e-7'],
      ['3eb0c6f7a0b5ed8d', '0.000001'],
      ['41b3de4355555553', '333333333.3333332'],
      ['41b3de4355555554', '333333333.33333325'],
      ['41b3de4355555555', '333333333.3333333'],
      ['41b3de4355555556', '333333333.3333334'],
      ['41b3de4355555557', '333333333.33333343'],
      ['becbf647612f3696', '-0.0000033333333333333333'],
      ['43143ff3c1cb0959', '1424953923781206.2'],
    ];
    for (const [hex, text] of cases) expect(canonicalize(f64(hex)), hex).toBe(text);
    for (const hex of ['7ff0000000000000', 'fff0000000000000', '7fffffffffffffff']) {
      expect(() => canonicalize(f64(hex)), hex).toThrow(CanonicalError);
    }
  });

  it('small number cases', () => {
    expect(canonicalize(1e21)).toBe('1e+21');
    expect(canonicalize(1e20)).toBe('100000000000000000000');
    expect(canonicalize(1e-7)).toBe('1e-7');
    expect(canonicalize(1e-6)).toBe('0.000001');
    expect(canonicalize(-0)).toBe('0');
    expect(canonicalize([-0, { a: -0 }])).toBe('[0,{"a":0}]');
    // biome-ignore lint/correctness/noPrecisionLoss: RFC 8785's own example literal, rounded on purpose
    expect(canonicalize(333333333.33333329)).toBe('333333333.3333333');
  });

  it('string escapes: controls as lowercase \\u00xx, short forms, raw non-ASCII', () => {
    expect(canonicalize('\u0000\u001f\b\t\n\f\r"\\/\u007f\u2028é😀')).toBe('"\\u0000\\u001f\\b\\t\\n\\f\\r\\"\\\\/\u007f\u2028é😀"');
  });

  it('empty containers and nesting', () => {
    expect(canonicalize({})).toBe('{}');
    expect(canonicalize([])).toBe('[]');
    expect(canonicalize({ b: [1, { d: 1, c: 2 }], a: null })).toBe('{"a":null,"b":[1,{"c":2,"d":1}]}');
  });
});

describe('canonicalize — hostile keys', () => {
  it('own __proto__ key (as JSON.parse creates) is serialized as data', () => {
    const parsed = JSON.parse('{"z":1,"__proto__":{"x":1},"a":2}') as object;
    expect(canonicalize(parsed)).toBe('{"__proto__":{"x":1},"a":2,"z":1}');
    const nullProto = Object.create(null) as Record<string, unknown>;
    // biome-ignore lint/suspicious/noProto: an own key named __proto__ is the case under test
    nullProto.__proto__ = 5;
    nullProto.b = true;
    expect(canonicalize(nullProto)).toBe('{"__proto__":5,"b":true}');
  });

  it('constructor, toString and hasOwnProperty keys are ordinary keys', () => {
    const parsed = JSON.parse('{"constructor":1,"toString":2,"hasOwnProperty":3,"valueOf":null}') as object;
    expect(canonicalize(parsed)).toBe('{"constructor":1,"hasOwnProperty":3,"toString":2,"valueOf":null}');
  });

  it('an inherited __proto__ (no own key) contributes nothing', () => {
    expect(canonicalize({ a: 1 })).toBe('{"a":1}');
  });
});

describe('canonicalize — errors', () => {
  it('rejects non-finite numbers with a path', () => {
    const e = errorOf(() => canonicalize({ inputs: { x: NaN } }));
    expect(e.code).toBe('not_canonicalizable');
    expect(e.path).toBe('$.inputs.x');
    expect(errorOf(() => canonicalize([1, [2, Infinity]])).path).toBe('$[1][1]');
    expect(errorOf(() => canonicalize({ 'a b': -Infinity })).path).toBe('$["a b"]');
  });

  it('rejects undefined (top level, property value, array element and hole)', () => {
    expect(errorOf(() => canonicalize(undefined)).path).toBe('$');
    expect(errorOf(() => canonicalize({ a: 1, b: undefined })).path).toBe('$.b');
    expect(errorOf(() => canonicalize([1, undefined])).path).toBe('$[1]');
    // eslint-disable-next-line no-sparse-arrays
    // biome-ignore lint/suspicious/noSparseArray: the hole is the case under test
    expect(errorOf(() => canonicalize([1, , 3])).path).toBe('$[1]');
  });

  it('rejects functions, symbols and bigint', () => {
    expect(() => canonicalize({ f: () => 1 })).toThrow(CanonicalError);
    expect(() => canonicalize(Symbol('s'))).toThrow(CanonicalError);
    expect(() => canonicalize({ n: 10n })).toThrow(CanonicalError);
    expect(() => canonicalize({ [Symbol('k')]: 1 })).toThrow(CanonicalError);
  });

  it('rejects non-plain objects', () => {
    class Point {
      x = 1;
    }
    class MyArray extends Array<number> {}
    for (const v of [new Date(0), new Map(), new Set(), new Point(), new Uint8Array(2), /x/, new MyArray(), new String('s')]) {
      expect(() => canonicalize({ v }), String(v)).toThrow(CanonicalError);
    }
    expect(errorOf(() => canonicalize({ d: new Date(0) })).message).toContain('Date');
  });

  it('rejects lone surrogates in strings and keys', () => {
    expect(() => canonicalize('a\uD800')).toThrow(CanonicalError);
    expect(() => canonicalize('\uDC00')).toThrow(CanonicalError);
    expect(errorOf(() => canonicalize({ 'k\uDFFF': 1 })).path).toBe('$["k\\udfff"]');
    expect(canonicalize('\uD83D\uDE00')).toBe('"😀"');
  });

  it('bounds depth: CANONICAL_DEPTH_MAX containers are fine, one more is not', () => {
    expect(CANONICAL_DEPTH_MAX).toBe(64);
    expect(canonicalize(nest(64))).toBe('['.repeat(64) + '0' + ']'.repeat(64));
    expect(() => canonicalize(nest(65))).toThrow(CanonicalError);
    expect(() => canonicalize(nest(200_000))).toThrow(CanonicalError);
  });

  it('rejects cycles (through the depth bound, without a stack overflow)', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => canonicalize(a)).toThrow(CanonicalError);
  });
});

describe('canonicalize — properties', () => {
  it('is a fixed point of JSON.parse ∘ canonicalize', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        const text = canonicalize(v);
        expect(canonicalize(JSON.parse(text))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('agrees with JSON.stringify on values that have no objects (no key sorting involved)', () => {
    const leaf = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.double({ noNaN: true, noDefaultInfinity: true }),
      fc.boolean(),
      fc.constant(null),
    );
    fc.assert(
      fc.property(fc.array(leaf), (arr) => {
        expect(canonicalize(arr)).toBe(JSON.stringify(arr));
      }),
    );
  });

  it('does not depend on key insertion order', () => {
    // Once found by a random seed: a "__proto__" key (CI, 2026-11-26); pinned here.
    expect(canonicalize(JSON.parse('{"__proto__":0,"a":1}'))).toBe('{"__proto__":0,"a":1}');
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit: 'binary' }), fc.integer()), (dict) => {
        // A null prototype, so that a generated "__proto__" key becomes an own property
        // here too (on a literal, assigning it would set the prototype instead).
        const reversed = Object.create(null) as Record<string, number>;
        for (const k of Object.keys(dict).reverse()) reversed[k] = dict[k]!;
        expect(canonicalize(reversed)).toBe(canonicalize(dict));
      }),
    );
  });
});

describe('isPlainObject', () => {
  it('accepts literals and null-prototype objects only', () => {
    expect(isPlainObject({})).toBe(true);
    expect(isPlainObject(Object.create(null))).toBe(true);
    expect(isPlainObject([])).toBe(false);
    expect(isPlainObject(null)).toBe(false);
    expect(isPlainObject(new Date(0))).toBe(false);
    expect(isPlainObject(Object.create({}))).toBe(false);
  });
});

describe('utf8 / compareUtf8', () => {
  it('utf8 encodes', () => {
    expect(Array.from(utf8('aé€😀'))).toEqual([0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80]);
  });

  it('orders astral characters after high-BMP ones, unlike JS <', () => {
    const bmp = '\uFFFF';
    const astral = '\u{10000}';
    expect(bmp < astral).toBe(false); // UTF-16 order
    expect(compareUtf8(bmp, astral)).toBe(-1);
    expect(compareUtf8(astral, bmp)).toBe(1);
    expect(compareUtf8('x\uE000', 'x\u{1F600}')).toBe(-1);
  });

  it('basic cases', () => {
    expect(compareUtf8('', '')).toBe(0);
    expect(compareUtf8('', 'a')).toBe(-1);
    expect(compareUtf8('a', '')).toBe(1);
    expect(compareUtf8('abc', 'abd')).toBe(-1);
    expect(compareUtf8('abc', 'ab')).toBe(1);
    expect(compareUtf8('B', 'a')).toBe(-1);
    expect(compareUtf8('é', 'z')).toBe(1);
    // A lone high surrogate encodes as U+FFFD, which sorts below any astral character.
    expect(compareUtf8('\uD83D', '\uD83D\uDE00')).toBe(-1);
    expect(compareUtf8('\uD83D', '\uFFFD')).toBe(0);
  });

  const surrogateHeavy = fc.string({
    unit: fc.oneof(
      fc.integer({ min: 0xd7f0, max: 0xe010 }).map((c) => String.fromCharCode(c)),
      fc.integer({ min: 0xfff0, max: 0xffff }).map((c) => String.fromCharCode(c)),
      fc.constantFrom('a', 'b', '\u{1F600}', '\u{10000}', '\u{10FFFF}'),
    ),
    maxLength: 6,
  });
  const anyString = fc.oneof(fc.string({ unit: 'binary' }), surrogateHeavy, fc.string());

  it('equals Buffer.compare of the UTF-8 bytes (property)', () => {
    fc.assert(
      fc.property(anyString, anyString, (a, b) => {
        expect(compareUtf8(a, b)).toBe(Buffer.compare(Buffer.from(utf8(a)), Buffer.from(utf8(b))));
      }),
      { numRuns: 2000 },
    );
  });

  it('handles shared prefixes (property)', () => {
    fc.assert(
      fc.property(anyString, anyString, anyString, (p, a, b) => {
        const x = p + a;
        const y = p + b;
        expect(compareUtf8(x, y)).toBe(Buffer.compare(Buffer.from(utf8(x)), Buffer.from(utf8(y))));
      }),
      { numRuns: 2000 },
    );
  });
});
