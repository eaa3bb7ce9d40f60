// The operator key file format, one definition for the CLI (main/keys/keyfile.ts, node:crypto),
// the browser console (renderer/lib/keyfile.ts, WebCrypto) and the Electron key store
// (main/electron/keys.ts), so a key moves between them in any direction:
//
//   {"kind": "swoosh-ed25519-key", "version": 1, "signer": "hmmm:ed25519:…",
//    "secret_encrypted": {"kdf": "scrypt", "N", "r", "p", "salt", "cipher": "aes-256-gcm",
//                         "iv", "tag", "ciphertext"}}
//
// The secret is the 32-byte RFC 8032 seed, encrypted with AES-256-GCM under a key derived
// by scrypt from a passphrase; the AAD binds the signer, so a file whose `signer` was
// edited does not decrypt. Only the shape lives here: the crypto itself is each side's
// platform's (pure core has no CSPRNG).

import { b64uEncode } from './b64u';
import { publicKeyFromSecret, publicKeyFromSigner, signerFromPublicKey } from './crypto';
import { sha256Hex } from './hash';

export const KEY_KIND = 'swoosh-ed25519-key';
export const KEY_FORMAT_VERSION = 1;
/** scrypt cost: N = 2^15, r = 8, p = 1 (≈32 MiB, ~0.1 s native): fine for an operator, slow for a guesser. */
export const SCRYPT_PARAMS = { N: 1 << 15, r: 8, p: 1 } as const;
export const SCRYPT_MAXMEM = 256 * 1024 * 1024;
export const SECRET_BYTES = 32;
export const TAG_BYTES = 16;
export const IV_BYTES = 12;
export const SALT_BYTES = 16;

export interface EncryptedSecret {
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  cipher: 'aes-256-gcm';
  iv: string;
  tag: string;
  ciphertext: string;
}

export interface KeyFile {
  kind: typeof KEY_KIND;
  version: number;
  signer: string;
  secret_encrypted?: EncryptedSecret;
  /** Present only in files written with `swoosh keygen --insecure-plaintext`. */
  secret?: string;
}

/** The GCM additional data: the kind and the signer, so editing either breaks the tag. */
export function keyFileAad(signer: string): string {
  return `${KEY_KIND}\n${signer}`;
}

/** The document of a secret sealed under SCRYPT_PARAMS (each side seals with its own crypto). */
export function encryptedKeyFile(
  signer: string,
  sealed: { salt: Uint8Array; iv: Uint8Array; tag: Uint8Array; ciphertext: Uint8Array },
): KeyFile {
  return {
    kind: KEY_KIND,
    version: KEY_FORMAT_VERSION,
    signer,
    secret_encrypted: {
      kdf: 'scrypt',
      ...SCRYPT_PARAMS,
      salt: b64uEncode(sealed.salt),
      cipher: 'aes-256-gcm',
      iv: b64uEncode(sealed.iv),
      tag: b64uEncode(sealed.tag),
      ciphertext: b64uEncode(sealed.ciphertext),
    },
  };
}

/**
 * Why `doc` is not a key file (its object shape, kind, version, signer field), or null.
 * Secret presence and signer validity are left to the callers, which report them at
 * different points.
 */
export function keyFileShapeProblem(doc: unknown): string | null {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'not a key file (expected a JSON object)';
  const k = doc as Partial<KeyFile>;
  if (k.kind !== KEY_KIND) return `not a key file (kind is not "${KEY_KIND}")`;
  if (k.version !== KEY_FORMAT_VERSION) return `key file version ${String(k.version)} is not supported`;
  if (typeof k.signer !== 'string') return 'key file has no signer';
  return null;
}

/**
 * scrypt parameters within the CLI's bounds (N a power of two in 2..2^16, r ≤ 16, p ≤ 4):
 * a crafted file must not make anyone allocate or spin without limit.
 */
/**
 * At most twice the work of the parameters we write (N·r·p): unlocking runs on the host's
 * thread in Electron and in the page in browser mode, so a crafted key file must not be
 * able to stall either for seconds.
 */
const SCRYPT_WORK_MAX = 2 * (1 << 15) * 8;

export function scryptParamsSane(e: { N: number; r: number; p: number }): boolean {
  return (
    [e.N, e.r, e.p].every((n) => Number.isSafeInteger(n) && n >= 1) &&
    e.N > 1 &&
    e.N <= 1 << 16 &&
    (e.N & (e.N - 1)) === 0 &&
    e.r <= 16 &&
    e.p <= 4 &&
    e.N * e.r * e.p <= SCRYPT_WORK_MAX
  );
}

/** The signer id of a 32-byte RFC 8032 seed. */
export function signerOfSecret(secret: Uint8Array): string {
  return signerFromPublicKey(publicKeyFromSecret(secret));
}

/**
 * The fingerprint shown wherever an operator must recognise a key: the first 16 hex
 * characters of sha256(public key), in groups of four (`1a2b 3c4d 5e6f 7a8b`).
 */
export function fingerprintOf(signer: string): string {
  const pk = publicKeyFromSigner(signer);
  if (pk === null) return '—';
  return sha256Hex(pk)
    .slice(0, 16)
    .replace(/(.{4})(?=.)/g, '$1 ');
}

/** At most this many keys in one console key store (browser or Electron). */
export const KEYS_MAX = 64;
/** An unlocked key locks itself after this long without signing. */
export const AUTO_LOCK_MS = 15 * 60_000;
const LABEL_CHARS_MAX = 80;

/** A key store's id for a key: the same in browser and Electron mode, so ids agree across modes. */
export function keyIdOf(signer: string): string {
  return `k-${fingerprintOf(signer).replace(/ /g, '')}`;
}

/** A label trimmed, without control characters, at most 80 chars; empty → `key <fingerprint head>`. */
export function cleanKeyLabel(label: string, signer: string): string {
  const l = label
    .trim()
    .replace(/[\u0000-\u001f\u007f]/g, '')
    .slice(0, LABEL_CHARS_MAX);
  return l === '' ? `key ${fingerprintOf(signer).slice(0, 9)}` : l;
}
