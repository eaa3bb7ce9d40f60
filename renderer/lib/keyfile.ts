// Operator key files in the browser: the format `swoosh keygen` writes (core/keyformat.ts,
// shared with main/keys/keyfile.ts), so a key moves between the CLI and the console in
// either direction.
//
// scrypt comes from @noble/hashes (async, so the page stays responsive for the ~1 s it
// takes), AES-256-GCM from WebCrypto, whose output is ciphertext‖tag where the file keeps
// them apart. The AAD binds the signer, so a file whose `signer` was edited does not
// decrypt. Errors are tagged (KeyFileError.code) and never carry secret bytes.

import { scryptAsync } from '@noble/hashes/scrypt.js';
import { b64uDecode } from '../../core/b64u';
import { publicKeyFromSigner } from '../../core/crypto';
import {
  encryptedKeyFile,
  IV_BYTES,
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

export type KeyFileErrorCode = 'bad_key_file' | 'bad_passphrase';

export class KeyFileError extends Error {
  constructor(
    readonly code: KeyFileErrorCode,
    readonly reason: string,
  ) {
    super(reason);
    this.name = 'KeyFileError';
  }
}

export interface KdfOptions {
  /** Progress of the key derivation, 0..1 (for a progress bar). */
  onProgress?: (fraction: number) => void;
}

function webCrypto(): Crypto {
  const c = (globalThis as { crypto?: Crypto }).crypto;
  if (!c?.subtle)
    throw new KeyFileError('bad_key_file', 'WebCrypto is unavailable (the console needs a secure context: https or loopback)');
  return c;
}

function aadOf(signer: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(keyFileAad(signer));
}

async function deriveKey(
  passphrase: string,
  salt: Uint8Array,
  params: { N: number; r: number; p: number },
  o: KdfOptions,
): Promise<CryptoKey> {
  const raw = await scryptAsync(passphrase.normalize('NFC'), salt, {
    ...params,
    dkLen: 32,
    maxmem: SCRYPT_MAXMEM,
    onProgress: o.onProgress,
  });
  try {
    return await webCrypto().subtle.importKey('raw', Uint8Array.from(raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
  } finally {
    raw.fill(0);
  }
}

/** A fresh 32-byte seed from the platform's CSPRNG. */
export function randomSecret(): Uint8Array {
  return webCrypto().getRandomValues(new Uint8Array(SECRET_BYTES));
}

/** The key file document for `secret`, encrypted under `passphrase` (never plaintext here). */
export async function encodeKeyFile(secret: Uint8Array, passphrase: string, o: KdfOptions = {}): Promise<KeyFile> {
  if (secret.length !== SECRET_BYTES) throw new KeyFileError('bad_key_file', `a secret is ${SECRET_BYTES} bytes`);
  if (passphrase === '') throw new KeyFileError('bad_passphrase', 'the passphrase is empty');
  const signer = signerOfSecret(secret);
  const c = webCrypto();
  const salt = c.getRandomValues(new Uint8Array(SALT_BYTES));
  const iv = c.getRandomValues(new Uint8Array(IV_BYTES));
  const key = await deriveKey(passphrase, salt, SCRYPT_PARAMS, o);
  const sealed = new Uint8Array(
    await c.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aadOf(signer), tagLength: 128 }, key, Uint8Array.from(secret)),
  );
  const ciphertext = sealed.subarray(0, sealed.length - TAG_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  return encryptedKeyFile(signer, { salt, iv, tag, ciphertext });
}

function bytesField(v: unknown, name: string, length?: number): Uint8Array {
  const bytes = typeof v === 'string' ? b64uDecode(v) : null;
  if (bytes === null || (length !== undefined && bytes.length !== length)) {
    throw new KeyFileError('bad_key_file', `${name} is not ${length ?? 'some'} bytes of base64url`);
  }
  return bytes;
}

/** Parses key file text into a checked document (nothing decrypted yet). */
export function parseKeyFile(text: string): KeyFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new KeyFileError('bad_key_file', 'not a key file (not JSON)');
  }
  return checkKeyFile(doc);
}

export function checkKeyFile(doc: unknown): KeyFile {
  const problem = keyFileShapeProblem(doc);
  if (problem !== null) throw new KeyFileError('bad_key_file', problem);
  const k = doc as KeyFile;
  if (publicKeyFromSigner(k.signer) === null) throw new KeyFileError('bad_key_file', 'key file has no valid signer');
  if (k.secret_encrypted === undefined && k.secret === undefined) throw new KeyFileError('bad_key_file', 'key file holds no secret');
  return k;
}

/** The 32-byte secret of a key file; checks it belongs to the file's signer. */
export async function decodeKeyFile(doc: KeyFile, passphrase: string, o: KdfOptions = {}): Promise<Uint8Array> {
  let secret: Uint8Array;
  if (doc.secret_encrypted !== undefined) {
    if (passphrase === '') throw new KeyFileError('bad_passphrase', 'the key file is encrypted: give its passphrase');
    const e = doc.secret_encrypted;
    if (e.kdf !== 'scrypt' || e.cipher !== 'aes-256-gcm') throw new KeyFileError('bad_key_file', 'unsupported key encryption');
    if (!scryptParamsSane(e)) throw new KeyFileError('bad_key_file', 'bad scrypt parameters');
    const iv = bytesField(e.iv, 'iv', IV_BYTES);
    const tag = bytesField(e.tag, 'tag', TAG_BYTES);
    const ciphertext = bytesField(e.ciphertext, 'ciphertext', SECRET_BYTES);
    const key = await deriveKey(passphrase, bytesField(e.salt, 'salt'), { N: e.N, r: e.r, p: e.p }, o);
    const sealed = new Uint8Array(SECRET_BYTES + TAG_BYTES);
    sealed.set(ciphertext, 0);
    sealed.set(tag, SECRET_BYTES);
    try {
      secret = new Uint8Array(
        await webCrypto().subtle.decrypt(
          { name: 'AES-GCM', iv: Uint8Array.from(iv), additionalData: aadOf(doc.signer), tagLength: 128 },
          key,
          sealed,
        ),
      );
    } catch {
      throw new KeyFileError('bad_passphrase', 'cannot decrypt the key: wrong passphrase or a damaged file');
    }
  } else {
    secret = bytesField(doc.secret, 'secret', SECRET_BYTES);
  }
  if (signerOfSecret(secret) !== doc.signer) {
    secret.fill(0);
    throw new KeyFileError('bad_key_file', "the secret does not belong to the key file's signer");
  }
  return secret;
}

/** The text a key file is saved as (the CLI's layout: 2-space JSON and a newline). */
export function keyFileText(doc: KeyFile): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
