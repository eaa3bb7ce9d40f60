// Operator key files in the browser: the same format `swoosh keygen` writes
// (main/keys/keyfile.ts), so a key moves between the CLI and the console in either
// direction:
//
//   {"kind": "swoosh-ed25519-key", "version": 1, "signer": "hmmm:ed25519:…",
//    "secret_encrypted": {"kdf": "scrypt", "N", "r", "p", "salt", "cipher": "aes-256-gcm",
//                         "iv", "tag", "ciphertext"}}
//
// scrypt comes from @noble/hashes (async, so the page stays responsive for the ~1 s it
// takes), AES-256-GCM from WebCrypto, whose output is ciphertext‖tag where the file keeps
// them apart. The AAD binds the signer, so a file whose `signer` was edited does not
// decrypt. Errors are tagged (KeyFileError.code) and never carry secret bytes.

import { scryptAsync } from '@noble/hashes/scrypt.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';
import { b64uDecode, b64uEncode } from '../../core/b64u';
import { publicKeyFromSecret, publicKeyFromSigner, signerFromPublicKey } from '../../core/crypto';

export const KEY_KIND = 'swoosh-ed25519-key';
export const KEY_FORMAT_VERSION = 1;
/** The CLI's cost (main/keys/keyfile.ts): N = 2^15, r = 8, p = 1 (32 MiB). */
export const SCRYPT_PARAMS = { N: 1 << 15, r: 8, p: 1 } as const;
const SCRYPT_MAXMEM = 256 * 1024 * 1024;
const SECRET_BYTES = 32;
const TAG_BYTES = 16;
const IV_BYTES = 12;
const SALT_BYTES = 16;

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

export interface KeyFileDoc {
  kind: typeof KEY_KIND;
  version: number;
  signer: string;
  secret_encrypted?: EncryptedSecret;
  /** Plaintext files (`swoosh keygen --insecure-plaintext`) only; never written here. */
  secret?: string;
}

export type KeyFileErrorCode = 'bad_key_file' | 'bad_passphrase';

export class KeyFileError extends Error {
  constructor(readonly code: KeyFileErrorCode, readonly reason: string) {
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
  if (!c?.subtle) throw new KeyFileError('bad_key_file', 'WebCrypto is unavailable (the console needs a secure context: https or loopback)');
  return c;
}

function aadOf(signer: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${KEY_KIND}\n${signer}`);
}

async function deriveKey(passphrase: string, salt: Uint8Array, params: { N: number; r: number; p: number }, o: KdfOptions): Promise<CryptoKey> {
  const raw = await scryptAsync(passphrase.normalize('NFC'), salt, { ...params, dkLen: 32, maxmem: SCRYPT_MAXMEM, onProgress: o.onProgress });
  try {
    return await webCrypto().subtle.importKey('raw', Uint8Array.from(raw), { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
  } finally {
    raw.fill(0);
  }
}

/** The signer id of a 32-byte RFC 8032 seed. */
export function signerOfSecret(secret: Uint8Array): string {
  return signerFromPublicKey(publicKeyFromSecret(secret));
}

/** A fresh 32-byte seed from the platform's CSPRNG. */
export function randomSecret(): Uint8Array {
  return webCrypto().getRandomValues(new Uint8Array(SECRET_BYTES));
}

/** The key file document for `secret`, encrypted under `passphrase` (never plaintext here). */
export async function encodeKeyFile(secret: Uint8Array, passphrase: string, o: KdfOptions = {}): Promise<KeyFileDoc> {
  if (secret.length !== SECRET_BYTES) throw new KeyFileError('bad_key_file', `a secret is ${SECRET_BYTES} bytes`);
  if (passphrase === '') throw new KeyFileError('bad_passphrase', 'the passphrase is empty');
  const signer = signerOfSecret(secret);
  const c = webCrypto();
  const salt = c.getRandomValues(new Uint8Array(SALT_BYTES));
  const iv = c.getRandomValues(new Uint8Array(IV_BYTES));
  const key = await deriveKey(passphrase, salt, SCRYPT_PARAMS, o);
  const sealed = new Uint8Array(await c.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: aadOf(signer), tagLength: 128 }, key, Uint8Array.from(secret)));
  const ciphertext = sealed.subarray(0, sealed.length - TAG_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  return {
    kind: KEY_KIND,
    version: KEY_FORMAT_VERSION,
    signer,
    secret_encrypted: {
      kdf: 'scrypt', ...SCRYPT_PARAMS, salt: b64uEncode(salt), cipher: 'aes-256-gcm',
      iv: b64uEncode(iv), tag: b64uEncode(tag), ciphertext: b64uEncode(ciphertext),
    },
  };
}

function bytesField(v: unknown, name: string, length?: number): Uint8Array {
  const bytes = typeof v === 'string' ? b64uDecode(v) : null;
  if (bytes === null || (length !== undefined && bytes.length !== length)) {
    throw new KeyFileError('bad_key_file', `${name} is not ${length ?? 'some'} bytes of base64url`);
  }
  return bytes;
}

/** Parses key file text into a checked document (nothing decrypted yet). */
export function parseKeyFile(text: string): KeyFileDoc {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new KeyFileError('bad_key_file', 'not a key file (not JSON)');
  }
  return checkKeyFile(doc);
}

export function checkKeyFile(doc: unknown): KeyFileDoc {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new KeyFileError('bad_key_file', 'not a key file (expected a JSON object)');
  const k = doc as Partial<KeyFileDoc>;
  if (k.kind !== KEY_KIND) throw new KeyFileError('bad_key_file', `not a key file (kind is not "${KEY_KIND}")`);
  if (k.version !== KEY_FORMAT_VERSION) throw new KeyFileError('bad_key_file', `key file version ${String(k.version)} is not supported`);
  if (typeof k.signer !== 'string' || publicKeyFromSigner(k.signer) === null) throw new KeyFileError('bad_key_file', 'key file has no valid signer');
  if (k.secret_encrypted === undefined && k.secret === undefined) throw new KeyFileError('bad_key_file', 'key file holds no secret');
  return k as KeyFileDoc;
}

/** The 32-byte secret of a key file; checks it belongs to the file's signer. */
export async function decodeKeyFile(doc: KeyFileDoc, passphrase: string, o: KdfOptions = {}): Promise<Uint8Array> {
  let secret: Uint8Array;
  if (doc.secret_encrypted !== undefined) {
    if (passphrase === '') throw new KeyFileError('bad_passphrase', 'the key file is encrypted: give its passphrase');
    const e = doc.secret_encrypted;
    if (e.kdf !== 'scrypt' || e.cipher !== 'aes-256-gcm') throw new KeyFileError('bad_key_file', 'unsupported key encryption');
    // The CLI's bounds: a crafted file must not make the page allocate or spin without limit.
    const sane = [e.N, e.r, e.p].every((n) => Number.isSafeInteger(n) && n >= 1) && e.N <= 1 << 16 && (e.N & (e.N - 1)) === 0 && e.N > 1 && e.r <= 16 && e.p <= 4;
    if (!sane) throw new KeyFileError('bad_key_file', 'bad scrypt parameters');
    const iv = bytesField(e.iv, 'iv', IV_BYTES);
    const tag = bytesField(e.tag, 'tag', TAG_BYTES);
    const ciphertext = bytesField(e.ciphertext, 'ciphertext', SECRET_BYTES);
    const key = await deriveKey(passphrase, bytesField(e.salt, 'salt'), { N: e.N, r: e.r, p: e.p }, o);
    const sealed = new Uint8Array(SECRET_BYTES + TAG_BYTES);
    sealed.set(ciphertext, 0);
    sealed.set(tag, SECRET_BYTES);
    try {
      secret = new Uint8Array(await webCrypto().subtle.decrypt({ name: 'AES-GCM', iv: Uint8Array.from(iv), additionalData: aadOf(doc.signer), tagLength: 128 }, key, sealed));
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
export function keyFileText(doc: KeyFileDoc): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/**
 * The fingerprint shown wherever an operator must recognise a key: the first 16 hex
 * characters of sha256(public key), in groups of four (`1a2b 3c4d 5e6f 7a8b`).
 */
export function fingerprintOf(signer: string): string {
  const pk = publicKeyFromSigner(signer);
  if (pk === null) return '—';
  const hex = bytesToHex(sha256(pk)).slice(0, 16);
  return hex.replace(/(.{4})(?=.)/g, '$1 ');
}
