import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { JSON_DEPTH_MAX, JSON_VALUES_MAX, parseStrictJson } from './strict-json';

function reason(text: string): string {
  const r = parseStrictJson(text);
  if (r.ok) throw new Error(`expected a refusal of ${text.slice(0, 80)}`);
  return r.reason;
}

describe('parseStrictJson', () => {
  it('parses what JSON.parse parses when names are unique and the size is sane', () => {
    const doc = { a: 1, b: [true, null, 'x', { c: -1.5e3, 'd"e': '\\' }], '': {} };
    const r = parseStrictJson(JSON.stringify(doc));
    expect(r).toEqual({ ok: true, value: doc });
  });

  it('refuses duplicate member names, also when they differ only in escapes, at any depth', () => {
    expect(reason('{"a":1,"a":2}')).toMatch(/duplicate member name "a" in \$\{\}/);
    expect(reason('{"a":1,"\\u0061":2}')).toMatch(/duplicate member name "a"/);
    expect(reason('{"x":[{"k":{},"k":[]}]}')).toMatch(/duplicate member name "k" in \$\{\}\[\]\{\}/);
    // The same name in sibling objects is fine; so are a name and an equal string value.
    expect(parseStrictJson('[{"a":1},{"a":2},{"a":"a"}]').ok).toBe(true);
  });

  it('bounds the number of values and stops early (the 340k-empty-arrays body)', () => {
    const body = `{"inputs":{"x":[${Array.from({ length: 340_000 }, () => '[]').join(',')}]}}`;
    expect(body.length).toBeGreaterThan(1_000_000);
    expect(reason(body)).toBe(`more than ${JSON_VALUES_MAX} JSON values in one body`);
    expect(reason(`[${'1,'.repeat(JSON_VALUES_MAX)}1]`)).toMatch(/more than/);
    expect(parseStrictJson(`[${'1,'.repeat(JSON_VALUES_MAX - 2)}1]`).ok).toBe(true);
  });

  it('bounds nesting', () => {
    expect(reason('['.repeat(JSON_DEPTH_MAX + 1) + ']'.repeat(JSON_DEPTH_MAX + 1))).toBe(`nesting deeper than ${JSON_DEPTH_MAX} levels`);
    expect(parseStrictJson('['.repeat(JSON_DEPTH_MAX) + ']'.repeat(JSON_DEPTH_MAX)).ok).toBe(true);
  });

  it('leaves syntax errors to JSON.parse, with its message', () => {
    expect(reason('{"a":')).toMatch(/^body is not JSON: /);
    expect(reason('{"a" 1}')).toMatch(/^body is not JSON: /);
    expect(reason('"unterminated')).toMatch(/^body is not JSON: /);
  });

  it('agrees with JSON.parse on every JSON text without duplicate names (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
        const text = JSON.stringify(v);
        const r = parseStrictJson(text);
        expect(r).toEqual({ ok: true, value: JSON.parse(text) });
      }),
      { seed: 0x150, numRuns: 500 },
    );
  });
});
