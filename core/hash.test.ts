import { describe, it, expect } from 'vitest';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { CanonicalError, canonicalize, utf8 } from './canonical';
import { H, hashText, isHash, sha256Hex } from './hash';

describe('sha256Hex', () => {
  it('FIPS 180-2 vectors', () => {
    expect(sha256Hex(utf8('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex(new Uint8Array(0))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex(utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq'))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
  });

  it('agrees with node:crypto (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        expect(sha256Hex(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
      }),
    );
  });
});

describe('H / hashText', () => {
  it('H(x) = sha256- + hex(sha256(JCS(x)))', () => {
    const doc = { b: 2, a: [1, 'x'] };
    expect(canonicalize(doc)).toBe('{"a":[1,"x"],"b":2}');
    const expected = 'sha256-' + createHash('sha256').update('{"a":[1,"x"],"b":2}', 'utf8').digest('hex');
    expect(H(doc)).toBe(expected);
    expect(H({ a: [1, 'x'], b: 2 })).toBe(expected);
    expect(hashText('{"a":[1,"x"],"b":2}')).toBe(expected);
  });

  it('H of the empty inputs object', () => {
    expect(H({})).toBe('sha256-44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a');
  });

  it('hashes non-ASCII text as UTF-8', () => {
    expect(H('é')).toBe('sha256-' + createHash('sha256').update('"é"', 'utf8').digest('hex'));
  });

  it('propagates CanonicalError', () => {
    expect(() => H({ x: NaN })).toThrow(CanonicalError);
  });

  it('hashText(canonicalize(x)) === H(x) (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => {
        const h = H(v);
        expect(hashText(canonicalize(v))).toBe(h);
        expect(isHash(h)).toBe(true);
      }),
      { numRuns: 200 },
    );
  });
});

describe('isHash', () => {
  it('accepts exactly sha256- + 64 lowercase hex', () => {
    const ok = 'sha256-' + 'a'.repeat(64);
    expect(isHash(ok)).toBe(true);
    expect(isHash('sha256-' + 'A'.repeat(64))).toBe(false);
    expect(isHash('sha256-' + 'a'.repeat(63))).toBe(false);
    expect(isHash('sha256-' + 'a'.repeat(65))).toBe(false);
    expect(isHash(ok + '\n')).toBe(false);
    expect(isHash('sha512-' + 'a'.repeat(64))).toBe(false);
    expect(isHash('a'.repeat(64))).toBe(false);
    expect(isHash(null)).toBe(false);
    expect(isHash(42)).toBe(false);
  });
});
