// Operator keys in the Electron main process (docs/architecture.md §3: the secret never reaches the
// renderer; keys at rest are encrypted).
//
// Layout under <userData>/operator-keys/:
//   index.json     [{id, label, created_ms}]  — labels only, no key material
//   <id>.key       a `swoosh keygen` key file (main/keys/keyfile.ts: scrypt + AES-256-GCM),
//                  so the same file works with `swoosh sign --key` and imports anywhere.
// A secret is decrypted by create/import/unlock, held in this closure as a node:crypto
// KeyObject, and dropped on lock, on removal and after auto_lock_ms without a signature:
// checked on every use and by a sweep timer, so an idle key does not stay in memory until
// someone next touches the key manager. close() stops the timer and drops every key.
// sign() asks `confirm` (main shows the exact payload in a native dialog) before signing,
// so a compromised renderer cannot get a signature the operator did not see.
// Errors are KeysError {code, reason} with the ConsoleApi's codes.

import { createPrivateKey, sign as edSign, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { b64uEncode } from '../../core/b64u';
import { proposalSigningBytes } from '../../core/crypto';
import { H } from '../../core/hash';
import { validateProposal } from '../../core/wire';
import { AUTO_LOCK_MS, cleanKeyLabel, fingerprintOf, keyIdOf, KEYS_MAX, type KeyFile } from '../../core/keyformat';
import type { Proposal } from '../../core/types';
import type { OperatorKeyInfo } from '../../protocol/api';
import { decodeKeyFile, encodeKeyFile, generateSecret, KeyFileError } from '../keys/keyfile';

export class KeysError extends Error {
  constructor(
    readonly code:
      | 'bad_passphrase'
      | 'locked'
      | 'unknown_key'
      | 'bad_key_file'
      | 'declined'
      | 'malformed'
      | 'duplicate_key'
      | 'too_many_keys',
    readonly reason: string,
  ) {
    super(`${code}: ${reason}`);
    this.name = 'KeysError';
  }
}

/** What the confirm dialog leads with, taken from the validated proposal (not the renderer's layout). */
export interface SigningSummary {
  transition: string;
  hlc: string;
  window_id: string | null;
  current_state_hash: string;
  inputs_json: string;
}

/** A placeholder that satisfies the signature's pattern, to run the full proposal schema before signing. */
const SIGNATURE_PLACEHOLDER = 'A'.repeat(86);

/**
 * The proposal about to be signed must be one the orchestrator would parse, and its
 * `inputs_hash` must be H(inputs): the signature covers the hash, not the inputs, so a
 * renderer that showed one `inputs` and hashed another would otherwise get a signature
 * over inputs the operator never saw.
 */
function checkedForSigning(unsigned: Record<string, unknown>): Proposal {
  const v = validateProposal({ ...unsigned, signature: SIGNATURE_PLACEHOLDER });
  if (!v.ok) throw new KeysError('malformed', `not a valid proposal: ${v.error.path}: ${v.error.reason}`);
  if (H(v.proposal.inputs) !== v.proposal.inputs_hash)
    throw new KeysError('malformed', 'inputs_hash is not H(inputs): refusing to sign inputs other than those shown');
  return v.proposal;
}

export interface MainKeysOptions {
  dir: string;
  /** Shows the operator exactly what will be signed; resolves true only on an explicit yes. */
  confirm: (request: { key: OperatorKeyInfo; payload_json: string; summary: SigningSummary }) => Promise<boolean>;
  now_ms?: () => number;
  auto_lock_ms?: number;
  /** Told when the sweep locks an idle key (main tells the console so its key list updates). */
  on_auto_lock?: (id: string) => void;
}

/** The sweep runs at least this often and at most every second: a key outlives its limit by one period at most. */
const SWEEP_MS_MAX = 60_000;
const SWEEP_MS_MIN = 1_000;

/** PKCS#8 DER prefix of an Ed25519 private key; the 32-byte RFC 8032 seed follows it. */
const ED25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

interface IndexEntry {
  id: string;
  label: string;
  created_ms: number;
}

function privateKeyOf(seed: Uint8Array): KeyObject {
  const der = Buffer.concat([ED25519_PKCS8_PREFIX, seed]);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

/** KeyFileError → the ConsoleApi's codes: a wrong passphrase is its own case. */
function fromKeyFileError(err: unknown): never {
  if (err instanceof KeyFileError) {
    throw new KeysError(/wrong passphrase/.test(err.message) ? 'bad_passphrase' : 'bad_key_file', err.message);
  }
  throw err;
}

export function createMainKeys(opts: MainKeysOptions) {
  const now_ms = opts.now_ms ?? (() => Date.now());
  const auto_lock_ms = opts.auto_lock_ms ?? AUTO_LOCK_MS;
  const unlocked = new Map<string, { key: KeyObject; used_ms: number }>();
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const indexPath = join(opts.dir, 'index.json');
  const fileOf = (id: string): string => join(opts.dir, `${id}.key`);

  function readIndex(): IndexEntry[] {
    if (!existsSync(indexPath)) return [];
    const parsed = JSON.parse(readFileSync(indexPath, 'utf8')) as unknown;
    if (!Array.isArray(parsed)) throw new KeysError('bad_key_file', `${indexPath} is not a list`);
    return parsed as IndexEntry[];
  }
  function writeIndex(entries: IndexEntry[]): void {
    const tmp = `${indexPath}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(entries, null, 2)}\n`, { mode: 0o600 });
    renameSync(tmp, indexPath);
  }
  function readKeyFile(id: string): KeyFile {
    try {
      return JSON.parse(readFileSync(fileOf(id), 'utf8')) as KeyFile;
    } catch (err) {
      // The errno code or "not JSON", never the parser's message: it quotes the file (ciphertext).
      const why = (err as NodeJS.ErrnoException).code ?? (err instanceof SyntaxError ? 'not JSON' : 'unreadable');
      throw new KeysError('bad_key_file', `cannot read the key file of ${id}: ${why}`);
    }
  }
  function entry(id: string): IndexEntry {
    return (
      readIndex().find((e) => e.id === id) ??
      (() => {
        throw new KeysError('unknown_key', `no key ${id} in this console`);
      })()
    );
  }
  /** Drops keys idle for longer than auto_lock_ms; returns the ids dropped. */
  function expire(): string[] {
    const dropped: string[] = [];
    for (const [id, k] of unlocked) {
      if (now_ms() - k.used_ms <= auto_lock_ms) continue;
      unlocked.delete(id);
      dropped.push(id);
    }
    return dropped;
  }
  const sweep_ms = Math.min(SWEEP_MS_MAX, Math.max(SWEEP_MS_MIN, Math.floor(auto_lock_ms / 2)));
  const sweeper = setInterval(() => {
    for (const id of expire()) opts.on_auto_lock?.(id);
  }, sweep_ms);
  // The sweep alone never keeps the process alive.
  sweeper.unref();
  function info(e: IndexEntry, signer: string): OperatorKeyInfo {
    expire();
    return { id: e.id, label: e.label, signer, fingerprint: fingerprintOf(signer), created_ms: e.created_ms, unlocked: unlocked.has(e.id) };
  }
  function hold(id: string, seed: Uint8Array): void {
    unlocked.set(id, { key: privateKeyOf(seed), used_ms: now_ms() });
    seed.fill(0);
  }
  function add(label: string, doc: KeyFile, seed: Uint8Array): OperatorKeyInfo {
    const entries = readIndex();
    const id = keyIdOf(doc.signer);
    if (entries.some((e) => e.id === id)) throw new KeysError('duplicate_key', `this console already holds ${doc.signer}`);
    if (entries.length >= KEYS_MAX) throw new KeysError('too_many_keys', `at most ${KEYS_MAX} keys`);
    writeFileSync(fileOf(id), `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600, flag: 'w' });
    const e = { id, label: cleanKeyLabel(label, doc.signer), created_ms: now_ms() };
    writeIndex([...entries, e]);
    hold(id, seed);
    return info(e, doc.signer);
  }

  return {
    /** How many keys are unlocked now, without expiring any (for the sweep's test). */
    heldCount: (): number => unlocked.size,
    /** Stops the sweep and drops every unlocked key (the window closed). */
    close(): void {
      clearInterval(sweeper);
      unlocked.clear();
    },
    async list(): Promise<OperatorKeyInfo[]> {
      return readIndex().map((e) => info(e, readKeyFile(e.id).signer));
    },
    async create(label: string, passphrase: string): Promise<OperatorKeyInfo> {
      if (passphrase === '') throw new KeysError('bad_passphrase', 'the passphrase is empty');
      const seed = generateSecret();
      return add(label, encodeKeyFile(seed, passphrase), seed);
    },
    async importFile(label: string, keyFileText: string, passphrase: string): Promise<OperatorKeyInfo> {
      let doc: unknown;
      try {
        doc = JSON.parse(keyFileText);
      } catch {
        throw new KeysError('bad_key_file', 'the key file is not JSON');
      }
      let secret: Uint8Array;
      try {
        secret = decodeKeyFile(doc, passphrase === '' ? null : passphrase).secret;
      } catch (err) {
        fromKeyFileError(err);
      }
      // Stored encrypted whatever it came as: a plaintext file is re-encrypted under the passphrase.
      if (passphrase === '') throw new KeysError('bad_passphrase', 'give a passphrase to store the key under');
      return add(label, encodeKeyFile(secret, passphrase), secret);
    },
    async unlock(id: string, passphrase: string): Promise<OperatorKeyInfo> {
      const e = entry(id);
      const doc = readKeyFile(id);
      let secret: Uint8Array;
      try {
        secret = decodeKeyFile(doc, passphrase).secret;
      } catch (err) {
        fromKeyFileError(err);
      }
      hold(id, secret);
      return info(e, doc.signer);
    },
    async lock(id: string): Promise<void> {
      entry(id);
      unlocked.delete(id);
    },
    async remove(id: string): Promise<void> {
      entry(id);
      unlocked.delete(id);
      writeIndex(readIndex().filter((e) => e.id !== id));
      rmSync(fileOf(id), { force: true });
    },
    /** Signs exactly `unsigned` (docs/protocol.md §2 bytes) once the operator confirmed that payload. */
    async sign(id: string, unsigned: Record<string, unknown>): Promise<Proposal> {
      const e = entry(id);
      expire();
      const held = unlocked.get(id);
      if (!held) throw new KeysError('locked', `key ${id} is locked: unlock it first`);
      if ('signature' in unsigned) throw new KeysError('malformed', 'the proposal to sign already has a signature');
      const signer = readKeyFile(id).signer;
      if (unsigned.signer !== signer) throw new KeysError('malformed', `the proposal's signer is not ${signer}`);
      const proposal = checkedForSigning(unsigned);
      const payload_json = JSON.stringify(unsigned, null, 2);
      const summary: SigningSummary = {
        transition: proposal.transition,
        hlc: proposal.hlc,
        window_id: proposal.window_id,
        current_state_hash: proposal.current_state_hash,
        inputs_json: JSON.stringify(proposal.inputs, null, 2),
      };
      if (!(await opts.confirm({ key: info(e, signer), payload_json, summary })))
        throw new KeysError('declined', 'the operator declined to sign');
      held.used_ms = now_ms();
      const signature = b64uEncode(new Uint8Array(edSign(null, proposalSigningBytes(unsigned), held.key)));
      return { ...unsigned, signature } as unknown as Proposal;
    },
  };
}

export type MainKeys = ReturnType<typeof createMainKeys>;
