// The browser-mode operator key store (docs/architecture.md §3: keys at rest are encrypted).
//
// Keys live in localStorage as `swoosh keygen` key files (scrypt + AES-256-GCM, see
// lib/keyfile.ts), so any of them can be exported to the CLI and any CLI key imported.
// A secret is decrypted only by unlock/create/import, kept in this closure (never in
// React state, never in storage), and wiped on lock, on removal and after AUTO_LOCK_MS
// without a signature. In Electron the main process implements the same interface and
// the secret never reaches the renderer at all.

import { H } from '../../core/hash';
import { nobleSigner, proposalSigningBytes } from '../../core/crypto';
import { AUTO_LOCK_MS, cleanKeyLabel, fingerprintOf, keyIdOf, KEYS_MAX } from '../../core/keyformat';
import {
  checkKeyFile,
  decodeKeyFile,
  encodeKeyFile,
  KeyFileError,
  keyFileText,
  parseKeyFile,
  randomSecret,
  type KdfOptions,
  type KeyFile,
} from '../lib/keyfile';
import { ConsoleApiError, type OperatorKeyInfo, type OperatorKeys, type Proposal, type UnsignedProposal } from './ConsoleApi';

export const STORAGE_KEY = 'swoosh.operator-keys.v1';

/** The part of the Web Storage API the store uses (localStorage in the console). */
export interface KeyStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
}

interface StoredKey {
  id: string;
  label: string;
  created_ms: number;
  file: KeyFile;
}

export interface BrowserKeysOptions {
  storage?: KeyStorage;
  now_ms?: () => number;
  kdf?: KdfOptions;
  auto_lock_ms?: number;
}

function fail(code: string, reason: string): never {
  throw new ConsoleApiError(code, reason, 0);
}

/** KeyFileError → ConsoleApiError (the tagged error every ConsoleApi method rejects with). */
function tagged(err: unknown): never {
  if (err instanceof KeyFileError) fail(err.code, err.reason);
  throw err;
}

function readAll(storage: KeyStorage): StoredKey[] {
  const raw = storage.getItem(STORAGE_KEY);
  if (raw === null) return [];
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  const out: StoredKey[] = [];
  for (const x of list.slice(0, KEYS_MAX)) {
    try {
      const k = x as StoredKey;
      if (typeof k.id !== 'string' || typeof k.label !== 'string' || !Number.isSafeInteger(k.created_ms)) continue;
      out.push({ id: k.id, label: k.label, created_ms: k.created_ms, file: checkKeyFile(k.file) });
    } catch {
      // A damaged entry is skipped, not fatal: the others stay usable.
    }
  }
  return out;
}

function memoryStorage(): KeyStorage {
  const m = new Map<string, string>();
  return { getItem: (k) => m.get(k) ?? null, setItem: (k, v) => void m.set(k, v) };
}

function defaultStorage(): KeyStorage {
  try {
    if (typeof localStorage !== 'undefined') return localStorage;
  } catch {
    // Storage disabled (privacy mode): keys then last for this page only.
  }
  return memoryStorage();
}

/** The store plus exportFile (the encrypted key file text, as `swoosh keygen` writes it). */
export type BrowserKeys = OperatorKeys & { exportFile(id: string): Promise<string> };

export function createBrowserKeys(opts: BrowserKeysOptions = {}): BrowserKeys {
  const storage = opts.storage ?? defaultStorage();
  const now_ms = opts.now_ms ?? (() => Date.now());
  const autoLock_ms = opts.auto_lock_ms ?? AUTO_LOCK_MS;
  const secrets = new Map<string, { secret: Uint8Array; timer: ReturnType<typeof setTimeout> | null }>();

  const writeAll = (keys: StoredKey[]): void => {
    try {
      storage.setItem(STORAGE_KEY, JSON.stringify(keys));
    } catch (err) {
      fail('storage_failed', `cannot save the key store: ${(err as Error).message}`);
    }
  };

  const find = (id: string): StoredKey => readAll(storage).find((k) => k.id === id) ?? fail('unknown_key', `no key ${id} in this console`);

  const forget = (id: string): void => {
    const s = secrets.get(id);
    if (!s) return;
    s.secret.fill(0);
    if (s.timer !== null) clearTimeout(s.timer);
    secrets.delete(id);
  };

  const hold = (id: string, secret: Uint8Array): void => {
    const held = secrets.get(id);
    if (held && held.secret !== secret) forget(id);
    if (held?.timer != null) clearTimeout(held.timer);
    // Restarted on every use: the key locks after AUTO_LOCK_MS without signing.
    const timer = autoLock_ms > 0 ? setTimeout(() => forget(id), autoLock_ms) : null;
    secrets.set(id, { secret, timer });
  };

  const info = (k: StoredKey): OperatorKeyInfo => ({
    id: k.id,
    label: k.label,
    signer: k.file.signer,
    fingerprint: fingerprintOf(k.file.signer),
    created_ms: k.created_ms,
    unlocked: secrets.has(k.id),
  });

  const add = (label: string, file: KeyFile, secret: Uint8Array): OperatorKeyInfo => {
    const keys = readAll(storage);
    const id = keyIdOf(file.signer);
    const existing = keys.find((k) => k.id === id);
    if (existing) {
      secret.fill(0);
      fail('duplicate_key', `this key is already in the console as "${existing.label}"`);
    }
    if (keys.length >= KEYS_MAX) fail('too_many_keys', `the console keeps at most ${KEYS_MAX} keys`);
    const stored: StoredKey = { id, label: cleanKeyLabel(label, file.signer), created_ms: now_ms(), file };
    writeAll([...keys, stored]);
    hold(id, secret);
    return info(stored);
  };

  return {
    list: async () => readAll(storage).map(info),
    create: async (label, passphrase) => {
      const secret = randomSecret();
      const file = await encodeKeyFile(secret, passphrase, opts.kdf).catch(tagged);
      return add(label, file, secret);
    },
    importFile: async (label, text, passphrase) => {
      let doc: KeyFile;
      let secret: Uint8Array;
      try {
        doc = parseKeyFile(text);
        secret = await decodeKeyFile(doc, passphrase, opts.kdf);
        // A plaintext CLI file is stored encrypted under the passphrase given here.
        if (doc.secret_encrypted === undefined) doc = await encodeKeyFile(secret, passphrase, opts.kdf);
      } catch (err) {
        return tagged(err);
      }
      return add(label, { kind: doc.kind, version: doc.version, signer: doc.signer, secret_encrypted: doc.secret_encrypted }, secret);
    },
    unlock: async (id, passphrase) => {
      const k = find(id);
      const secret = await decodeKeyFile(k.file, passphrase, opts.kdf).catch(tagged);
      hold(id, secret);
      return info(k);
    },
    lock: async (id) => {
      find(id);
      forget(id);
    },
    remove: async (id) => {
      const keys = readAll(storage);
      if (!keys.some((k) => k.id === id)) fail('unknown_key', `no key ${id} in this console`);
      forget(id);
      writeAll(keys.filter((k) => k.id !== id));
    },
    sign: async (id, unsigned: UnsignedProposal): Promise<Proposal> => {
      const k = find(id);
      const held = secrets.get(id) ?? fail('locked', `key "${k.label}" is locked: unlock it with its passphrase`);
      if (unsigned.signer !== k.file.signer) fail('wrong_signer', `the proposal names signer ${unsigned.signer}, not this key`);
      if (unsigned.inputs_hash !== H(unsigned.inputs)) fail('inputs_hash_mismatch', 'inputs_hash is not H(inputs)');
      const signer = nobleSigner(held.secret);
      hold(id, held.secret);
      // Exactly the fields given, in a fresh object: what the dialog showed is what is signed.
      const body: UnsignedProposal = {
        current_state_hash: unsigned.current_state_hash,
        transition: unsigned.transition,
        inputs: unsigned.inputs,
        inputs_hash: unsigned.inputs_hash,
        signer: unsigned.signer,
        idem_key: unsigned.idem_key,
        hlc: unsigned.hlc,
        window_id: unsigned.window_id,
        evidence: unsigned.evidence,
      };
      return { ...body, signature: signer.sign(proposalSigningBytes(body)) };
    },
    exportFile: async (id) => keyFileText(find(id).file),
  };
}
