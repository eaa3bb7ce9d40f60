import { describe, it, expect } from 'vitest';
import * as nodeCrypto from 'node:crypto';
import fc from 'fast-check';
import { b64uDecode, b64uEncode } from './b64u';
import { CanonicalError, utf8 } from './canonical';
import {
  DOMAIN,
  SIGNER_PREFIX,
  isValidPublicKey,
  licenseSigningBytes,
  mcpSigningBytes,
  nobleSigner,
  nobleVerifier,
  proposalSigningBytes,
  publicKeyFromSecret,
  publicKeyFromSigner,
  signDoc,
  signerFromPublicKey,
  signingBytes,
  voteSigningBytes,
} from './crypto';
import { H } from './hash';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const text = (b: Uint8Array): string => new TextDecoder().decode(b);

// RFC 8032 §7.1
const RFC8032 = [
  {
    name: 'TEST 1',
    secret: '9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60',
    public: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature:
      'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    name: 'TEST 2',
    secret: '4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb',
    public: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature:
      '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    name: 'TEST 3',
    secret: 'c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7',
    public: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature:
      '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
  {
    name: 'TEST SHA(abc)',
    secret: '833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42',
    public: 'ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf',
    message:
      'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f',
    signature:
      'dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704',
  },
] as const;

function nodeKeyPair(): { secret: Uint8Array; pub: Uint8Array; privateKey: nodeCrypto.KeyObject } {
  const { privateKey } = nodeCrypto.generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  return { secret: b64uDecode(jwk.d!)!, pub: b64uDecode(jwk.x!)!, privateKey };
}

function nodePublicKey(pub: Uint8Array): nodeCrypto.KeyObject {
  return nodeCrypto.createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64uEncode(pub) }, format: 'jwk' });
}

function flipBit(s: string, byte: number): string {
  const b = b64uDecode(s)!;
  b[byte] = b[byte]! ^ 1;
  return b64uEncode(b);
}

describe('signer ids', () => {
  it('round-trip a public key', () => {
    const pk = hex(RFC8032[0].public);
    const id = signerFromPublicKey(pk);
    expect(id).toBe('hmmm:ed25519:11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo');
    expect(id.startsWith(SIGNER_PREFIX)).toBe(true);
    expect(publicKeyFromSigner(id)).toEqual(pk);
  });

  it('reject wrong prefix, wrong length and bad b64u', () => {
    const body = b64uEncode(hex(RFC8032[0].public));
    for (const bad of [
      'hmmm:ed25519:',
      'hmmm:ed448:' + body,
      'HMMM:ED25519:' + body,
      ' hmmm:ed25519:' + body,
      'hmmm:ed25519:' + body + 'A',
      'hmmm:ed25519:' + body.slice(0, -1),
      'hmmm:ed25519:' + b64uEncode(new Uint8Array(31)),
      'hmmm:ed25519:' + b64uEncode(new Uint8Array(33)),
      'hmmm:ed25519:' + body.slice(0, -1) + '+',
      'hmmm:ed25519:' + body.slice(0, -1) + 'p', // non-canonical trailing bits
    ]) {
      expect(publicKeyFromSigner(bad), bad).toBeNull();
    }
    expect(() => signerFromPublicKey(new Uint8Array(31))).toThrow(RangeError);
  });
});

describe('RFC 8032 §7.1 vectors', () => {
  for (const v of RFC8032) {
    it(v.name, () => {
      const secret = hex(v.secret);
      expect(toHex(publicKeyFromSecret(secret))).toBe(v.public);
      const signer = nobleSigner(secret);
      expect(signer.signer).toBe(signerFromPublicKey(hex(v.public)));
      const sig = signer.sign(hex(v.message));
      expect(toHex(b64uDecode(sig)!)).toBe(v.signature);
      expect(nobleVerifier.verify(signer.signer, hex(v.message), sig)).toBe(true);
      expect(nobleVerifier.verify(signer.signer, utf8('other'), sig)).toBe(false);
      // node:crypto produces the same bytes for the same seed (deterministic signing).
      const priv = nodeCrypto.createPrivateKey({
        key: { kty: 'OKP', crv: 'Ed25519', x: b64uEncode(hex(v.public)), d: b64uEncode(secret) },
        format: 'jwk',
      });
      expect(toHex(nodeCrypto.sign(null, hex(v.message), priv))).toBe(v.signature);
    });
  }

  it('rejects secret keys that are not 32 bytes', () => {
    expect(() => nobleSigner(new Uint8Array(64))).toThrow(RangeError);
    expect(() => publicKeyFromSecret(new Uint8Array(31))).toThrow(RangeError);
  });

  it('the signer keeps its own copy of the seed', () => {
    const seed = hex(RFC8032[0].secret);
    const signer = nobleSigner(seed);
    seed.fill(0);
    expect(toHex(b64uDecode(signer.sign(new Uint8Array(0)))!)).toBe(RFC8032[0].signature);
  });
});

describe('cross-check with node:crypto', () => {
  it('node-signed messages verify with nobleVerifier; tampering fails', () => {
    for (let i = 0; i < 8; i += 1) {
      const { pub, privateKey } = nodeKeyPair();
      const signer = signerFromPublicKey(pub);
      const msg = utf8(`message ${i} é😀`);
      const sig = b64uEncode(nodeCrypto.sign(null, msg, privateKey));
      expect(nobleVerifier.verify(signer, msg, sig)).toBe(true);
      expect(nobleVerifier.verify(signer, utf8(`message ${i} é😀!`), sig)).toBe(false);
      expect(nobleVerifier.verify(signer, msg, flipBit(sig, i))).toBe(false);
      expect(nobleVerifier.verify(signer, msg, flipBit(sig, 40 + i))).toBe(false);
      expect(nobleVerifier.verify(signerFromPublicKey(nodeKeyPair().pub), msg, sig)).toBe(false);
    }
  });

  it('noble-signed messages verify with node:crypto; same public key from the same seed', () => {
    for (let i = 0; i < 8; i += 1) {
      const { secret, pub } = nodeKeyPair();
      expect(publicKeyFromSecret(secret)).toEqual(pub);
      const signer = nobleSigner(secret);
      const msg = utf8(`noble ${i}`);
      const sig = b64uDecode(signer.sign(msg))!;
      expect(sig).toHaveLength(64);
      expect(nodeCrypto.verify(null, msg, nodePublicKey(pub), sig)).toBe(true);
      expect(nodeCrypto.verify(null, utf8(`noble ${i}?`), nodePublicKey(pub), sig)).toBe(false);
    }
  });

  it('rejects S + L (malleability), as node:crypto does', () => {
    const v = RFC8032[1];
    const sig = hex(v.signature);
    const L = (1n << 252n) + 27742317777372353535851937790883648493n;
    let s = 0n;
    for (let i = 31; i >= 0; i -= 1) s = (s << 8n) | BigInt(sig[32 + i]!);
    let t = s + L;
    const forged = Uint8Array.from(sig);
    for (let i = 0; i < 32; i += 1) {
      forged[32 + i] = Number(t & 255n);
      t >>= 8n;
    }
    expect(nodeCrypto.verify(null, hex(v.message), nodePublicKey(hex(v.public)), forged)).toBe(false);
    expect(nobleVerifier.verify(signerFromPublicKey(hex(v.public)), hex(v.message), b64uEncode(forged))).toBe(false);
  });

  it('small-order public key: noble strict rejects, node:crypto accepts (so hosts must use isValidPublicKey)', () => {
    const identity = new Uint8Array(32);
    identity[0] = 1; // y = 1: the neutral element
    const sig = new Uint8Array(64);
    sig[0] = 1; // R = neutral element, S = 0: "valid" for every message under a cofactorless check
    const msg = utf8('anything');
    expect(nodeCrypto.verify(null, msg, nodePublicKey(identity), sig)).toBe(true);
    expect(nobleVerifier.verify(signerFromPublicKey(identity), msg, b64uEncode(sig))).toBe(false);
    expect(isValidPublicKey(identity)).toBe(false);
    expect(isValidPublicKey(hex(RFC8032[0].public))).toBe(true);
    expect(isValidPublicKey(new Uint8Array(32).fill(0xff))).toBe(false); // non-canonical y
    expect(isValidPublicKey(new Uint8Array(31))).toBe(false);
  });
});

describe('nobleVerifier never throws', () => {
  it('on arbitrary garbage (property)', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), fc.anything(), (a, b, c) => {
        const r = nobleVerifier.verify(a as string, b as Uint8Array, c as string);
        expect(r).toBe(false);
      }),
      { numRuns: 500 },
    );
  });

  it('on random keys and signatures of the right shapes (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 64, maxLength: 64 }),
        fc.uint8Array(),
        (pk, sig, msg) => {
          expect(typeof nobleVerifier.verify(signerFromPublicKey(pk), msg, b64uEncode(sig))).toBe('boolean');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('on wrong signature lengths and encodings', () => {
    const v = RFC8032[0];
    const signer = signerFromPublicKey(hex(v.public));
    const good = b64uEncode(hex(v.signature));
    expect(nobleVerifier.verify(signer, new Uint8Array(0), good)).toBe(true);
    for (const bad of [good.slice(0, -1), good + 'A', good + '==', Buffer.from(hex(v.signature)).toString('base64'), '', '!'.repeat(86)]) {
      expect(nobleVerifier.verify(signer, new Uint8Array(0), bad)).toBe(false);
    }
    expect(nobleVerifier.verify(signer, 'not bytes' as unknown as Uint8Array, good)).toBe(false);
  });
});

describe('signing bytes', () => {
  const vote = { voter: 'hmmm:ed25519:x', member_set_hash: 'sha256-00', council_epoch: 3, signature: 'zzz' };

  it('vote: domain + JCS without signature', () => {
    expect(text(voteSigningBytes(vote))).toBe('SWOOSH-VOTE-V1\n{"council_epoch":3,"member_set_hash":"sha256-00","voter":"hmmm:ed25519:x"}');
    expect(text(signingBytes(DOMAIN.vote, vote, ['signature']))).toBe(text(voteSigningBytes(vote)));
  });

  it('proposal: omits signature and inputs, keeps inputs_hash', () => {
    const p = { transition: 'T', inputs: { a: 1 }, inputs_hash: H({ a: 1 }), signature: 's', window_id: null };
    expect(text(proposalSigningBytes(p))).toBe(`SWOOSH-PROPOSAL-V1\n{"inputs_hash":"${H({ a: 1 })}","transition":"T","window_id":null}`);
  });

  it('license and mcp domains', () => {
    const t = { licensee: 'demo', issued_ms: 1, expires_ms: 2, grace_ms: 3, signature: 'x' };
    expect(text(licenseSigningBytes(t))).toBe('KACHING-LICENSE-V1\n{"expires_ms":2,"grace_ms":3,"issued_ms":1,"licensee":"demo"}');
    const r = { registry: 'https://r', observed_ms: 5, tools: [], signer: 'hmmm:ed25519:y', signature: 'x' };
    expect(text(mcpSigningBytes(r))).toBe('MCP-HEALTH-V1\n{"observed_ms":5,"registry":"https://r","signer":"hmmm:ed25519:y","tools":[]}');
    expect(DOMAIN.operator).toBe('SWOOSH-OPERATOR-V1\n');
  });

  it('does not mutate the document', () => {
    const doc = { a: 1, signature: 'keep', nested: { b: [1, 2] } };
    const before = JSON.stringify(doc);
    signingBytes(DOMAIN.vote, doc, ['signature', 'a']);
    expect(JSON.stringify(doc)).toBe(before);
  });

  it('keeps an own __proto__ key as data', () => {
    const doc = JSON.parse('{"__proto__":{"x":1},"b":2,"signature":"s"}') as object;
    expect(text(signingBytes('D\n', doc, ['signature']))).toBe('D\n{"__proto__":{"x":1},"b":2}');
  });

  it('throws CanonicalError for non-plain documents and bad values', () => {
    expect(() => signingBytes('D\n', new Date(0), [])).toThrow(CanonicalError);
    expect(() => signingBytes('D\n', [1, 2], [])).toThrow(CanonicalError);
    expect(() => signingBytes('D\n', { a: NaN }, [])).toThrow(CanonicalError);
    // An omitted key may hold anything: it is not part of the signed bytes.
    expect(text(signingBytes('D\n', { a: 1, signature: undefined }, ['signature']))).toBe('D\n{"a":1}');
  });
});

describe('signDoc', () => {
  const signer = nobleSigner(hex(RFC8032[2].secret));

  it('returns a new signed object that verifies; the input is untouched', () => {
    const vote = { voter: signer.signer, member_set_hash: H(['a']), council_epoch: 1 };
    const signed = signDoc(signer, DOMAIN.vote, vote);
    expect(signed).not.toBe(vote);
    expect('signature' in vote).toBe(false);
    expect(nobleVerifier.verify(signer.signer, voteSigningBytes(signed), signed.signature)).toBe(true);
    expect(nobleVerifier.verify(signer.signer, voteSigningBytes({ ...signed, council_epoch: 2 }), signed.signature)).toBe(false);
    // Replacing an existing signature signs the same bytes.
    expect(signDoc(signer, DOMAIN.vote, signed).signature).toBe(signed.signature);
    expect(signDoc(signer, DOMAIN.vote, { ...vote, signature: 'old' }, []).signature).toBe(signed.signature);
  });

  it('proposal signatures bind inputs_hash, not inputs', () => {
    const inputs = { reason: 'x' };
    const p = signDoc(signer, DOMAIN.proposal, { transition: 'Control_Pause', inputs, inputs_hash: H(inputs), signer: signer.signer }, [
      'signature',
      'inputs',
    ]);
    expect(nobleVerifier.verify(signer.signer, proposalSigningBytes(p), p.signature)).toBe(true);
    expect(nobleVerifier.verify(signer.signer, proposalSigningBytes({ ...p, inputs: { reason: 'y' } }), p.signature)).toBe(true);
    expect(nobleVerifier.verify(signer.signer, proposalSigningBytes({ ...p, inputs_hash: H({ reason: 'y' }) }), p.signature)).toBe(false);
  });

  it('domains separate: a vote signature is not a license signature', () => {
    const doc = { licensee: 'demo', issued_ms: 1, expires_ms: 2, grace_ms: 3 };
    const asVote = signDoc(signer, DOMAIN.vote, doc);
    expect(nobleVerifier.verify(signer.signer, licenseSigningBytes(asVote), asVote.signature)).toBe(false);
    expect(nobleVerifier.verify(signer.signer, voteSigningBytes(asVote), asVote.signature)).toBe(true);
  });
});
