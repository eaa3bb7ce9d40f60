// Ed25519 identities and domain-separated signatures, docs/protocol.md §2.
//
// Verification semantics: RFC 8032 / FIPS 186-5 strict mode of noble (`zip215: false`):
// non-canonical encodings of A and R are rejected, S must be < L, and small-order public
// keys are rejected. We choose strict over ZIP-215 so that noble agrees with the host's
// node:crypto (OpenSSL) verifier, which is also strict about encodings and S; ZIP-215
// would accept non-canonical encodings that OpenSSL rejects. Both agree on every honestly
// produced signature and on the RFC 8032 vectors. Known remaining differences, for
// hand-crafted inputs only: OpenSSL accepts small-order public keys (see isValidPublicKey,
// which the host should apply to signer keys), and its equation is cofactorless where
// noble's is cofactored (mixed-order R).
//
// No key generation and no randomness here: signing is deterministic (RFC 8032 §5.1.6).
import * as ed from '@noble/ed25519';
import { sha512 } from '@noble/hashes/sha2.js';
import { b64uDecode, b64uEncode } from './b64u';
import { CanonicalError, canonicalize, isPlainObject, utf8 } from './canonical';

// noble's synchronous API needs a sync SHA-512; this is a deterministic, idempotent setup.
ed.hashes.sha512 = sha512;

export const SIGNER_PREFIX = 'hmmm:ed25519:';
const PUBLIC_KEY_BYTES = 32;
const SECRET_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;
// 32 bytes in unpadded b64u are exactly 43 characters.
const SIGNER_LENGTH = SIGNER_PREFIX.length + 43;

export const DOMAIN = {
  proposal: 'SWOOSH-PROPOSAL-V1\n',
  vote: 'SWOOSH-VOTE-V1\n',
  license: 'KACHING-LICENSE-V1\n',
  mcp: 'MCP-HEALTH-V1\n',
  operator: 'SWOOSH-OPERATOR-V1\n',
} as const;

export function signerFromPublicKey(pk: Uint8Array): string {
  if (!(pk instanceof Uint8Array) || pk.length !== PUBLIC_KEY_BYTES) {
    throw new RangeError(`public key must be ${PUBLIC_KEY_BYTES} bytes`);
  }
  return SIGNER_PREFIX + b64uEncode(pk);
}

/** The 32-byte public key named by a signer id, or null if the text is not exactly that. */
export function publicKeyFromSigner(signer: string): Uint8Array | null {
  if (typeof signer !== 'string' || signer.length !== SIGNER_LENGTH || !signer.startsWith(SIGNER_PREFIX)) {
    return null;
  }
  const pk = b64uDecode(signer.slice(SIGNER_PREFIX.length));
  return pk !== null && pk.length === PUBLIC_KEY_BYTES ? pk : null;
}

/**
 * True when pk is a canonical encoding of a curve point that is not of small order, i.e.
 * a key nobleVerifier can ever accept. node:crypto (OpenSSL) does NOT reject small-order
 * keys (for the identity key it accepts a fixed signature on every message), so a host
 * that verifies with node:crypto must check signer keys with this to agree with noble.
 */
export function isValidPublicKey(pk: Uint8Array): boolean {
  try {
    if (!(pk instanceof Uint8Array) || pk.length !== PUBLIC_KEY_BYTES) return false;
    return !ed.Point.fromBytes(pk, false).isSmallOrder();
  } catch {
    return false;
  }
}

/**
 * utf8(domain + JCS(doc without the omitted top-level keys)). `doc` is not mutated.
 * Throws CanonicalError when doc (minus omitted keys) is not plain JSON.
 */
export function signingBytes(domain: string, doc: object, omit: readonly string[]): Uint8Array {
  if (!isPlainObject(doc)) throw new CanonicalError('$', 'signed document must be a plain object');
  // Null-prototype copy: an own `__proto__` key is copied as data, not as a prototype.
  const body: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  for (const key of Object.keys(doc)) {
    if (!omit.includes(key)) body[key] = doc[key];
  }
  return utf8(domain + canonicalize(body));
}

export function proposalSigningBytes(p: object): Uint8Array {
  return signingBytes(DOMAIN.proposal, p, ['signature', 'inputs']);
}
export function voteSigningBytes(v: object): Uint8Array {
  return signingBytes(DOMAIN.vote, v, ['signature']);
}
export function licenseSigningBytes(t: object): Uint8Array {
  return signingBytes(DOMAIN.license, t, ['signature']);
}
export function mcpSigningBytes(r: object): Uint8Array {
  return signingBytes(DOMAIN.mcp, r, ['signature']);
}

export interface Verifier {
  /** Synchronous; never throws: any malformed argument simply does not verify. */
  verify(signer: string, message: Uint8Array, signature_b64u: string): boolean;
}

export interface Signer {
  readonly signer: string;
  /** b64u of the 64-byte Ed25519 signature of message. */
  sign(message: Uint8Array): string;
}

export const nobleVerifier: Verifier = {
  verify(signer: string, message: Uint8Array, signature_b64u: string): boolean {
    try {
      if (!(message instanceof Uint8Array) || typeof signature_b64u !== 'string') return false;
      const pk = publicKeyFromSigner(signer);
      if (pk === null) return false;
      // 64 bytes are exactly 86 unpadded b64u characters; check before decoding garbage.
      if (signature_b64u.length !== 86) return false;
      const sig = b64uDecode(signature_b64u);
      if (sig === null || sig.length !== SIGNATURE_BYTES) return false;
      return ed.verify(sig, message, pk, { zip215: false });
    } catch {
      return false;
    }
  },
};

function assertSecretKey(secretKey32: Uint8Array): void {
  if (!(secretKey32 instanceof Uint8Array) || secretKey32.length !== SECRET_KEY_BYTES) {
    throw new RangeError(`secret key must be ${SECRET_KEY_BYTES} bytes (RFC 8032 seed)`);
  }
}

export function publicKeyFromSecret(secretKey32: Uint8Array): Uint8Array {
  assertSecretKey(secretKey32);
  return ed.getPublicKey(secretKey32);
}

/** Deterministic RFC 8032 signer over a 32-byte seed. The seed is copied. */
export function nobleSigner(secretKey32: Uint8Array): Signer {
  assertSecretKey(secretKey32);
  const seed = Uint8Array.from(secretKey32);
  const signer = signerFromPublicKey(ed.getPublicKey(seed));
  return {
    signer,
    sign(message: Uint8Array): string {
      return b64uEncode(ed.sign(message, seed));
    },
  };
}

/**
 * A new object: doc with `signature` set over domain + JCS(doc without the omit keys).
 * `signature` is always omitted from the signed bytes (even if absent from `omit`),
 * since it is the field being replaced.
 */
export function signDoc<T extends object>(
  signer: Signer,
  domain: string,
  doc: T,
  omit: readonly string[] = ['signature'],
): T & { signature: string } {
  const omitted = omit.includes('signature') ? omit : [...omit, 'signature'];
  const signature = signer.sign(signingBytes(domain, doc, omitted));
  return { ...doc, signature };
}
