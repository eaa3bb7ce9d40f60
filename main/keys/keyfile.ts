// Operator key files (docs/architecture.md §3: keys at rest are encrypted), with node:crypto. The format
// (fields, constants, shape checks) is core/keyformat.ts, shared with the browser console.
//
// The secret is the 32-byte RFC 8032 seed. It is encrypted with AES-256-GCM under a key
// derived by scrypt from a passphrase; the signer id is the GCM additional data, so a file
// whose `signer` was edited does not decrypt. A plaintext file (`"secret": b64u`) exists
// only when the operator asked for it explicitly. Nothing here prints or logs a secret;
// errors name the file and the problem, never the bytes.

import { createCipheriv, createDecipheriv, randomBytes, scryptSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { b64uDecode, b64uEncode } from '../../core/b64u';
import { nobleSigner, type Signer } from '../../core/crypto';
import {
  encryptedKeyFile,
  IV_BYTES,
  KEY_FORMAT_VERSION,
  KEY_KIND,
  keyFileAad,
  keyFileShapeProblem,
  SALT_BYTES,
  SCRYPT_MAXMEM,
  SCRYPT_PARAMS,
  scryptParamsSane,
  SECRET_BYTES,
  signerOfSecret,
  TAG_BYTES,
  type KeyFile,
} from '../../core/keyformat';

export type { EncryptedSecret, KeyFile } from '../../core/keyformat';

export class KeyFileError extends Error {}

export function generateSecret(): Uint8Array {
  return new Uint8Array(randomBytes(SECRET_BYTES));
}

function deriveKey(passphrase: string, salt: Uint8Array, params: { N: number; r: number; p: number }): Buffer {
  return scryptSync(passphrase.normalize('NFC'), salt, 32, { ...params, maxmem: SCRYPT_MAXMEM });
}

/** The key file document for `secret`; encrypted unless passphrase is null. */
export function encodeKeyFile(secret: Uint8Array, passphrase: string | null): KeyFile {
  const signer = signerOfSecret(secret);
  if (passphrase === null) return { kind: KEY_KIND, version: KEY_FORMAT_VERSION, signer, secret: b64uEncode(secret) };
  if (passphrase === '') throw new KeyFileError('the passphrase is empty');
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(IV_BYTES);
  const key = deriveKey(passphrase, salt, SCRYPT_PARAMS);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(keyFileAad(signer), 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(secret), cipher.final()]);
  key.fill(0);
  return encryptedKeyFile(signer, { salt, iv, tag: cipher.getAuthTag(), ciphertext });
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
  const problem = keyFileShapeProblem(doc);
  if (problem !== null) throw new KeyFileError(problem);
  const k = doc as KeyFile;
  let secret: Uint8Array;
  let encrypted: boolean;
  if (k.secret_encrypted !== undefined) {
    encrypted = true;
    if (passphrase === null || passphrase === '')
      throw new KeyFileError('the key file is encrypted: give its passphrase (--passphrase-env VAR)');
    const e = k.secret_encrypted;
    if (e.kdf !== 'scrypt' || e.cipher !== 'aes-256-gcm') throw new KeyFileError('unsupported key encryption');
    if (!scryptParamsSane(e)) throw new KeyFileError('bad scrypt parameters');
    let key: Buffer;
    try {
      key = deriveKey(passphrase, bytesField(e.salt, 'salt'), { N: e.N, r: e.r, p: e.p });
    } catch (err) {
      if (err instanceof KeyFileError) throw err;
      throw new KeyFileError('bad scrypt parameters');
    }
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, bytesField(e.iv, 'iv', IV_BYTES));
      decipher.setAAD(Buffer.from(keyFileAad(k.signer), 'utf8'));
      decipher.setAuthTag(bytesField(e.tag, 'tag', TAG_BYTES));
      secret = new Uint8Array(Buffer.concat([decipher.update(bytesField(e.ciphertext, 'ciphertext', SECRET_BYTES)), decipher.final()]));
    } catch (err) {
      if (err instanceof KeyFileError) throw err;
      throw new KeyFileError('cannot decrypt the key: wrong passphrase or a damaged file');
    } finally {
      key.fill(0);
    }
  } else if (k.secret !== undefined) {
    encrypted = false;
    secret = bytesField(k.secret, 'secret', SECRET_BYTES);
  } else {
    throw new KeyFileError('key file holds no secret');
  }
  if (signerOfSecret(secret) !== k.signer) throw new KeyFileError("the secret does not belong to the key file's signer");
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
