// Operator key files (DESIGN §3: keys at rest are encrypted).
//
//   {"kind": "swoosh-ed25519-key", "version": 1, "signer": "hmmm:ed25519:…",
//    "secret_encrypted": {"kdf": "scrypt", "N", "r", "p", "salt", "cipher": "aes-256-gcm",
//                         "iv", "tag", "ciphertext"}}
//
// The secret is the 32-byte RFC 8032 seed. It is encrypted with AES-256-GCM under a key
// derived by scrypt from a passphrase; the signer id is the GCM additional data, so a file
// whose `signer` was edited does not decrypt. A plaintext file (`"secret": b64u`) exists
// only when the operator asked for it explicitly. Nothing here prints or logs a secret;
// errors name the file and the problem, never the bytes.

import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { b64uDecode, b64uEncode } from '../../core/b64u';
import { nobleSigner, publicKeyFromSecret, signerFromPublicKey, type Signer } from '../../core/crypto';

export const KEY_KIND = 'swoosh-ed25519-key';
export const KEY_FORMAT_VERSION = 1;
/** scrypt cost: N = 2^15, r = 8 (≈32 MiB, ~0.1 s): fine for an operator, slow for a guesser. */
const SCRYPT = { N: 1 << 15, r: 8, p: 1 } as const;
const SCRYPT_MAXMEM = 256 * 1024 * 1024;

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
  /** Present only in files written with --insecure-plaintext. */
  secret?: string;
}

export class KeyFileError extends Error {}

export function generateSecret(): Uint8Array {
  return new Uint8Array(randomBytes(32));
}

export function signerIdOf(secret: Uint8Array): string {
  return signerFromPublicKey(publicKeyFromSecret(secret));
}

function deriveKey(passphrase: string, salt: Uint8Array, params: { N: number; r: number; p: number }): Buffer {
  return scryptSync(passphrase.normalize('NFC'), salt, 32, { ...params, maxmem: SCRYPT_MAXMEM });
}

/** The key file document for `secret`; encrypted unless passphrase is null. */
export function encodeKeyFile(secret: Uint8Array, passphrase: string | null): KeyFile {
  const signer = signerIdOf(secret);
  if (passphrase === null) return { kind: KEY_KIND, version: KEY_FORMAT_VERSION, signer, secret: b64uEncode(secret) };
  if (passphrase === '') throw new KeyFileError('the passphrase is empty');
  const salt = randomBytes(16);
  const iv = randomBytes(12);
  const key = deriveKey(passphrase, salt, SCRYPT);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(`${KEY_KIND}\n${signer}`, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
  key.fill(0);
  return {
    kind: KEY_KIND,
    version: KEY_FORMAT_VERSION,
    signer,
    secret_encrypted: {
      kdf: 'scrypt', ...SCRYPT, salt: b64uEncode(salt), cipher: 'aes-256-gcm',
      iv: b64uEncode(iv), tag: b64uEncode(cipher.getAuthTag()), ciphertext: b64uEncode(ciphertext),
    },
  };
}

function bytesField(v: unknown, name: string, length?: number): Uint8Array {
  const bytes = typeof v === 'string' ? b64uDecode(v) : null;
  if (bytes === null || (length !== undefined && bytes.length !== length)) {
    throw new KeyFileError(`${name} is not ${length ?? 'some'} bytes of base64url`);
  }
  return bytes;
}

/** The 32-byte secret of a key file document; checks it against the file's signer. */
export function decodeKeyFile(doc: unknown, passphrase: string | null): { secret: Uint8Array; signer: string; encrypted: boolean } {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new KeyFileError('not a key file (expected a JSON object)');
  const k = doc as Partial<KeyFile>;
  if (k.kind !== KEY_KIND) throw new KeyFileError(`not a key file (kind is not "${KEY_KIND}")`);
  if (k.version !== KEY_FORMAT_VERSION) throw new KeyFileError(`key file version ${String(k.version)} is not supported`);
  if (typeof k.signer !== 'string') throw new KeyFileError('key file has no signer');
  let secret: Uint8Array;
  let encrypted: boolean;
  if (k.secret_encrypted !== undefined) {
    encrypted = true;
    if (passphrase === null || passphrase === '') throw new KeyFileError('the key file is encrypted: give its passphrase (--passphrase-env VAR)');
    const e = k.secret_encrypted;
    if (e.kdf !== 'scrypt' || e.cipher !== 'aes-256-gcm') throw new KeyFileError('unsupported key encryption');
    // Bounded so that a crafted file cannot make us allocate or spin without limit.
    const sane = [e.N, e.r, e.p].every((n) => Number.isSafeInteger(n) && n >= 1) && e.N <= 1 << 16 && e.r <= 16 && e.p <= 4;
    if (!sane) throw new KeyFileError('bad scrypt parameters');
    let key: Buffer;
    try {
      key = deriveKey(passphrase, bytesField(e.salt, 'salt'), { N: e.N, r: e.r, p: e.p });
    } catch (err) {
      if (err instanceof KeyFileError) throw err;
      throw new KeyFileError('bad scrypt parameters');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, bytesField(e.iv, 'iv', 12));
      decipher.setAAD(Buffer.from(`${KEY_KIND}\n${k.signer}`, 'utf8'));
      decipher.setAuthTag(bytesField(e.tag, 'tag', 16));
      secret = new Uint8Array(Buffer.concat([decipher.update(bytesField(e.ciphertext, 'ciphertext', 32)), decipher.final()]));
    } catch (err) {
      if (err instanceof KeyFileError) throw err;
      throw new KeyFileError('cannot decrypt the key: wrong passphrase or a damaged file');
    } finally {
      key.fill(0);
    }
  } else if (k.secret !== undefined) {
    encrypted = false;
    secret = bytesField(k.secret, 'secret', 32);
  } else {
    throw new KeyFileError('key file holds no secret');
  }
  if (signerIdOf(secret) !== k.signer) throw new KeyFileError('the secret does not belong to the key file\'s signer');
  return { secret, signer: k.signer, encrypted };
}

/** Writes a new key file (mode 0600); refuses to overwrite one unless `force`. */
export function writeKeyFile(path: string, doc: KeyFile, force = false): void {
  writeFileSync(path, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600, flag: force ? 'w' : 'wx' });
}

export function loadSigner(path: string, passphrase: string | null): Signer {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new KeyFileError(`cannot read key file ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new KeyFileError(`key file ${path} is not JSON`);
  }
  try {
    const { secret } = decodeKeyFile(doc, passphrase);
    const signer = nobleSigner(secret);
    secret.fill(0);
    return signer;
  } catch (err) {
    if (err instanceof KeyFileError) throw new KeyFileError(`key file ${path}: ${err.message}`);
    throw err;
  }
}
