import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { b64uDecode, b64uEncode } from './b64u';

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('b64uEncode', () => {
  it('RFC 4648 §10 vectors, base64url alphabet, no padding', () => {
    const cases: Array<[string, string]> = [
      ['', ''],
      ['f', 'Zg'],
      ['fo', 'Zm8'],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg'],
      ['fooba', 'Zm9vYmE'],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [raw, enc] of cases) {
      expect(b64uEncode(bytes(raw))).toBe(enc);
      expect(b64uDecode(enc)).toEqual(bytes(raw));
    }
    expect(b64uEncode(Uint8Array.of(0xfb, 0xff, 0xbf))).toBe('-_-_');
    expect(b64uEncode(Uint8Array.of(0xff))).toBe('_w');
  });

  it('matches Buffer base64url (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        expect(b64uEncode(b)).toBe(Buffer.from(b).toString('base64url'));
      }),
    );
  });
});

describe('b64uDecode', () => {
  it('round-trips (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (b) => {
        const s = b64uEncode(b);
        expect(s).toMatch(/^[A-Za-z0-9_-]*$/);
        expect(b64uDecode(s)).toEqual(b);
      }),
    );
  });

  it('decode ∘ encode is the identity on every string it accepts (canonical spelling)', () => {
    const alphabet = fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ .'.split(''));
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 12 }), (s) => {
        const d = b64uDecode(s);
        if (d !== null) expect(b64uEncode(d)).toBe(s);
      }),
      { numRuns: 3000 },
    );
  });

  it('rejects padding, standard alphabet, whitespace and bad lengths', () => {
    for (const bad of ['Zg==', 'Zm8=', 'Z', 'Zm9vY', '+w', '/w', 'Zm 9v', 'Zm9v\n', ' Zm9v', 'Zm9v=', 'Zé', '\u0000\u0000']) {
      expect(b64uDecode(bad), JSON.stringify(bad)).toBeNull();
    }
  });

  it('rejects non-canonical trailing bits', () => {
    expect(b64uDecode('Zg')).toEqual(bytes('f'));
    expect(b64uDecode('Zh')).toBeNull(); // same byte, low 4 bits set
    expect(b64uDecode('Zm8')).toEqual(bytes('fo'));
    expect(b64uDecode('Zm9')).toBeNull(); // low 2 bits set
    expect(b64uDecode('_w')).toEqual(Uint8Array.of(0xff));
    expect(b64uDecode('__')).toBeNull();
  });

  it('returns null for non-strings instead of throwing', () => {
    expect(b64uDecode(undefined as unknown as string)).toBeNull();
    expect(b64uDecode(42 as unknown as string)).toBeNull();
  });
});
