// An encrypted store for operator keys and provider credentials (docs/architecture.md §3: keys at rest
// are encrypted; the issue: "encrypted with age, unlocked at start, never logged").
//
// The file is one age file (https://age-encryption.org/v1), passphrase mode (scrypt
// recipient), ASCII-armored, so `age -d vault.age` opens it too. Its plaintext is JSON:
//
//   {"kind": "swoosh-vault", "version": 1, "scrypt_log_n": 18,
//    "entries": {"op-1": {"kind": "ed25519-seed", "value": b64u, "signer": "hmmm:ed25519:…"},
//                "kaching-token": {"kind": "credential", "value": b64u}}}
//
// Secrets live only in this object's private fields, are handed out as copies (`get`) or
// as a Signer that signs without exposing its seed (`signer`), and never appear in an
// error message, in `JSON.stringify(vault)` or in `util.inspect(vault)`. Every write is
// atomic (temporary file in the same folder, fsync, rename) and the file is mode 0600.

import { closeSync, constants, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { inspect } from 'node:util';
import { armor, Decrypter, Encrypter } from 'age-encryption';
import { b64uDecode, b64uEncode } from '../../core/b64u';
import { nobleSigner, publicKeyFromSecret, signerFromPublicKey, type Signer } from '../../core/crypto';

export const VAULT_KIND = 'swoosh-vault';
export const VAULT_FORMAT_VERSION = 1;
/** age's own default: about 1 s of scrypt per unlock on this class of machine. */
export const SCRYPT_LOG_N_DEFAULT = 18;
/**
 * The floor for new encryptions: 2^15 (32 MiB of scrypt memory, ~0.1 s) is what OWASP's
 * password-storage guidance sets for scrypt at r = 8; below that, guessing a passphrase
 * from a stolen vault gets cheap. A vault written below it by an older build still opens
 * (refusing would lock operators out of their own keys; the file is as weak as it is
 * either way): `weakKdf()` says so, unlockVault warns naming `swoosh vault passwd`, and
 * the next write re-encrypts it at the default. docs/decisions/0026-online-backups.md.
 */
export const SCRYPT_LOG_N_MIN = 15;
/** age refuses work factors above 20 when decrypting. */
const SCRYPT_LOG_N_MAX = 20;
const ENTRIES_MAX = 1024;
const ENTRY_BYTES_MAX = 64 * 1024;
const FILE_BYTES_MAX = 16 * 1024 * 1024;
const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
const SEED_BYTES = 32;

export type EntryKind = 'ed25519-seed' | 'credential';

export type VaultErrorCode =
  | 'exists'
  | 'not_found'
  | 'unreadable'
  | 'bad_passphrase'
  | 'damaged'
  | 'insecure_permissions'
  | 'bad_name'
  | 'bad_secret'
  | 'no_entry'
  | 'wrong_kind'
  | 'full'
  | 'locked'
  | 'bad_options';

/** Tagged error: the code for programs, the message for operators. Never carries key bytes. */
export class VaultError extends Error {
  constructor(
    readonly code: VaultErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'VaultError';
  }
}

export interface VaultOptions {
  /** scrypt work factor (log2 N) for new encryptions, SCRYPT_LOG_N_MIN..20; tests use the minimum. */
  scrypt_log_n?: number;
}

interface Entry {
  kind: EntryKind;
  value: Uint8Array;
  signer?: string;
}

interface VaultDoc {
  kind: typeof VAULT_KIND;
  version: number;
  scrypt_log_n: number;
  entries: Record<string, { kind: EntryKind; value: string; signer?: string }>;
}

export class Vault {
  readonly #entries = new Map<string, Entry>();
  #passphrase: string | null;
  #logN: number;
  /** The work factor the file on disk was encrypted with (from its age header), until the next write. */
  #fileLogN: number | null = null;

  private constructor(
    readonly path: string,
    passphrase: string,
    logN: number,
  ) {
    this.#passphrase = passphrase;
    this.#logN = logN;
  }

  /** Writes a new, empty vault; refuses to replace an existing file. */
  static async create(path: string, passphrase: string, opts: VaultOptions = {}): Promise<Vault> {
    checkPassphrase(passphrase);
    const logN = opts.scrypt_log_n ?? SCRYPT_LOG_N_DEFAULT;
    if (!Number.isInteger(logN) || logN < SCRYPT_LOG_N_MIN || logN > SCRYPT_LOG_N_MAX) {
      throw new VaultError(
        'bad_options',
        `scrypt_log_n must be an integer in ${SCRYPT_LOG_N_MIN}..${SCRYPT_LOG_N_MAX}, got ${String(logN)}`,
      );
    }
    if (exists(path)) throw new VaultError('exists', `vault ${path} already exists; open it instead of creating it`);
    const vault = new Vault(path, passphrase, logN);
    await vault.save();
    return vault;
  }

  /** Decrypts an existing vault; a wrong passphrase is a clear `bad_passphrase` error. */
  static async open(path: string, passphrase: string): Promise<Vault> {
    checkPassphrase(passphrase);
    let mode: number;
    let text: string;
    try {
      const st = statSync(path);
      if (st.size > FILE_BYTES_MAX) throw new VaultError('damaged', `vault ${path} is ${st.size} bytes, over the ${FILE_BYTES_MAX} limit`);
      mode = st.mode;
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if (err instanceof VaultError) throw err;
      const code = (err as NodeJS.ErrnoException).code;
      throw new VaultError(code === 'ENOENT' ? 'not_found' : 'unreadable', `cannot read vault ${path}: ${code ?? (err as Error).message}`);
    }
    // Like ssh with its keys: a vault others may read is refused before it is unlocked.
    if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
      throw new VaultError(
        'insecure_permissions',
        `vault ${path} is readable by others (mode ${(mode & 0o777).toString(8)}); run chmod 600 ${path}`,
      );
    }
    let sealed: Uint8Array;
    try {
      sealed = armor.decode(text);
    } catch {
      throw new VaultError('damaged', `vault ${path} is not an ASCII-armored age file`);
    }
    let plain: Uint8Array;
    try {
      const d = new Decrypter();
      d.addPassphrase(passphrase);
      plain = await d.decrypt(sealed);
    } catch (err) {
      const m = (err as Error).message;
      if (/no identity matched/.test(m)) throw new VaultError('bad_passphrase', `cannot unlock vault ${path}: wrong passphrase`);
      throw new VaultError('damaged', `cannot unlock vault ${path}: the file is damaged (${m})`);
    }
    const vault = new Vault(path, passphrase, SCRYPT_LOG_N_DEFAULT);
    vault.#fileLogN = scryptLogNOf(sealed);
    try {
      vault.load(plain);
    } finally {
      plain.fill(0);
    }
    return vault;
  }

  /**
   * The file's scrypt work factor (log2 N) when it is below SCRYPT_LOG_N_MIN, else null.
   * Any write (`swoosh vault passwd` is the one meant for it) re-encrypts at the default.
   */
  weakKdf(): number | null {
    return this.#fileLogN !== null && this.#fileLogN < SCRYPT_LOG_N_MIN ? this.#fileLogN : null;
  }

  /** Entry names, sorted (names are not secret). */
  names(): string[] {
    return [...this.#entries.keys()].sort();
  }

  has(name: string): boolean {
    return this.#entries.has(name);
  }

  kind(name: string): EntryKind {
    return this.entry(name).kind;
  }

  /** Stores `secret` under `name` (replacing any entry of that name) and writes the file. */
  async put(name: string, secret: Uint8Array, kind: EntryKind = 'credential'): Promise<void> {
    await this.putAll([[name, secret, kind]]);
  }

  /** Several entries, one scrypt and one atomic write. */
  async putAll(items: ReadonlyArray<readonly [string, Uint8Array, EntryKind?]>): Promise<void> {
    this.unlocked();
    const staged = new Map<string, Entry>();
    for (const [name, secret, kind = 'credential'] of items) staged.set(name, makeEntry(name, secret, kind));
    const fresh = [...staged.keys()].filter((n) => !this.#entries.has(n)).length;
    if (this.#entries.size + fresh > ENTRIES_MAX) throw new VaultError('full', `a vault holds at most ${ENTRIES_MAX} entries`);
    const previous = new Map(this.#entries);
    for (const [name, e] of staged) this.#entries.set(name, e);
    try {
      await this.save();
    } catch (err) {
      this.#entries.clear();
      for (const [n, e] of previous) this.#entries.set(n, e);
      throw err;
    }
    for (const [name, old] of previous) if (this.#entries.get(name) !== old) old.value.fill(0);
  }

  /** Stores a 32-byte Ed25519 seed; returns its public signer id. */
  async putKey(name: string, seed: Uint8Array): Promise<string> {
    await this.put(name, seed, 'ed25519-seed');
    return this.signerId(name);
  }

  /** A fresh random Ed25519 key that never leaves the vault; returns its signer id. */
  async generateKey(name: string): Promise<string> {
    const seed = new Uint8Array(randomBytes(SEED_BYTES));
    try {
      return await this.putKey(name, seed);
    } finally {
      seed.fill(0);
    }
  }

  /** A provider credential (API token, password) as UTF-8 text. */
  async putCredential(name: string, text: string): Promise<void> {
    const bytes = new TextEncoder().encode(text);
    try {
      await this.put(name, bytes, 'credential');
    } finally {
      bytes.fill(0);
    }
  }

  /** A copy of the secret bytes; the caller should zero it when done. */
  get(name: string): Uint8Array {
    return Uint8Array.from(this.entry(name).value);
  }

  credential(name: string): string {
    const e = this.entry(name);
    if (e.kind !== 'credential') throw new VaultError('wrong_kind', `vault entry ${name} is an ${e.kind}, not a credential`);
    return new TextDecoder().decode(e.value);
  }

  /** The public signer id of a key entry. */
  signerId(name: string): string {
    const e = this.entry(name);
    if (e.kind !== 'ed25519-seed' || e.signer === undefined)
      throw new VaultError('wrong_kind', `vault entry ${name} is a ${e.kind}, not an ed25519-seed`);
    return e.signer;
  }

  /** A Signer over the key `name`; the seed stays inside it and is never returned. */
  signer(name: string): Signer {
    this.signerId(name);
    const seed = this.get(name);
    try {
      const inner = nobleSigner(seed);
      const id = inner.signer;
      const signer: Signer = { signer: id, sign: (m) => inner.sign(m) };
      // The closure holds the seed; printing or serializing the signer shows only its id.
      Object.defineProperty(signer, 'toJSON', { value: () => ({ signer: id }), enumerable: false });
      Object.defineProperty(signer, inspect.custom, { value: () => `Signer(${id})`, enumerable: false });
      return signer;
    } finally {
      seed.fill(0);
    }
  }

  async delete(name: string): Promise<boolean> {
    this.unlocked();
    const e = this.#entries.get(name);
    if (!e) return false;
    this.#entries.delete(name);
    try {
      await this.save();
    } catch (err) {
      this.#entries.set(name, e);
      throw err;
    }
    e.value.fill(0);
    return true;
  }

  /** Re-encrypts the vault under a new passphrase (atomically: old file or new file). */
  async changePassphrase(next: string): Promise<void> {
    this.unlocked();
    checkPassphrase(next);
    const old = this.#passphrase;
    this.#passphrase = next;
    try {
      await this.save();
    } catch (err) {
      this.#passphrase = old;
      throw err;
    }
  }

  /** Zeroes every secret held in memory and forgets the passphrase. */
  lock(): void {
    for (const e of this.#entries.values()) e.value.fill(0);
    this.#entries.clear();
    this.#passphrase = null;
  }

  // Loggers may serialize a shallow clone of the object (pino's redaction does), which has
  // no private fields: these two read only the public `path` so they never throw.
  toJSON(): { kind: typeof VAULT_KIND; path: string } {
    return { kind: VAULT_KIND, path: this.path };
  }

  [inspect.custom](): string {
    return `Vault(${this.path})`;
  }

  // ---------------------------------------------------------------------------

  private unlocked(): void {
    if (this.#passphrase === null) throw new VaultError('locked', `vault ${this.path} is locked`);
  }

  private entry(name: string): Entry {
    this.unlocked();
    const e = this.#entries.get(name);
    if (!e)
      throw new VaultError(
        'no_entry',
        `vault ${this.path} has no entry ${JSON.stringify(name)} (it has: ${this.names().join(', ') || 'none'})`,
      );
    return e;
  }

  private load(plain: Uint8Array): void {
    let doc: VaultDoc;
    try {
      doc = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plain)) as VaultDoc;
    } catch {
      throw new VaultError('damaged', `vault ${this.path} decrypts to something that is not JSON`);
    }
    if (typeof doc !== 'object' || doc === null || doc.kind !== VAULT_KIND)
      throw new VaultError('damaged', `vault ${this.path} is an age file but not a SWOOSH vault`);
    if (doc.version !== VAULT_FORMAT_VERSION)
      throw new VaultError(
        'damaged',
        `vault ${this.path} has format version ${String(doc.version)}; this build reads ${VAULT_FORMAT_VERSION}`,
      );
    const logN = doc.scrypt_log_n;
    this.#logN = Number.isInteger(logN) && logN >= SCRYPT_LOG_N_MIN && logN <= SCRYPT_LOG_N_MAX ? logN : SCRYPT_LOG_N_DEFAULT;
    const entries = typeof doc.entries === 'object' && doc.entries !== null ? Object.entries(doc.entries) : [];
    if (entries.length > ENTRIES_MAX) throw new VaultError('damaged', `vault ${this.path} holds more than ${ENTRIES_MAX} entries`);
    for (const [name, raw] of entries) {
      const value = typeof raw?.value === 'string' ? b64uDecode(raw.value) : null;
      if (value === null) throw new VaultError('damaged', `vault ${this.path}: entry ${JSON.stringify(name)} is not base64url`);
      let entry: Entry;
      try {
        entry = makeEntry(name, value, raw.kind);
      } catch (err) {
        throw new VaultError('damaged', `vault ${this.path}: ${(err as Error).message}`);
      } finally {
        value.fill(0);
      }
      if (raw.signer !== undefined && raw.signer !== entry.signer) {
        throw new VaultError('damaged', `vault ${this.path}: entry ${JSON.stringify(name)} does not belong to signer ${raw.signer}`);
      }
      this.#entries.set(name, entry);
    }
  }

  /** Encrypts the whole vault and replaces the file atomically (0600 from the first byte). */
  private async save(): Promise<void> {
    this.unlocked();
    const doc: VaultDoc = { kind: VAULT_KIND, version: VAULT_FORMAT_VERSION, scrypt_log_n: this.#logN, entries: {} };
    for (const name of this.names()) {
      const e = this.#entries.get(name) as Entry;
      doc.entries[name] = { kind: e.kind, value: b64uEncode(e.value), ...(e.signer ? { signer: e.signer } : {}) };
    }
    const plain = new TextEncoder().encode(JSON.stringify(doc));
    let text: string;
    try {
      const enc = new Encrypter();
      enc.setScryptWorkFactor(this.#logN);
      enc.setPassphrase(this.#passphrase as string);
      text = armor.encode(await enc.encrypt(plain));
    } finally {
      plain.fill(0);
    }
    writeAtomic(this.path, text);
    this.#fileLogN = this.#logN;
  }
}

function checkPassphrase(passphrase: string): void {
  if (typeof passphrase !== 'string' || passphrase.length === 0) throw new VaultError('bad_passphrase', 'the vault passphrase is empty');
}

function makeEntry(name: string, secret: Uint8Array, kind: EntryKind): Entry {
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new VaultError(
      'bad_name',
      `entry name ${JSON.stringify(name)} must be 1-128 of [A-Za-z0-9._:@-], starting with a letter or digit`,
    );
  }
  if (!(secret instanceof Uint8Array) || secret.length === 0 || secret.length > ENTRY_BYTES_MAX) {
    throw new VaultError('bad_secret', `entry ${name} must be 1..${ENTRY_BYTES_MAX} bytes`);
  }
  if (kind === 'ed25519-seed') {
    if (secret.length !== SEED_BYTES)
      throw new VaultError('bad_secret', `entry ${name}: an Ed25519 seed is ${SEED_BYTES} bytes, got ${secret.length}`);
    return { kind, value: Uint8Array.from(secret), signer: signerFromPublicKey(publicKeyFromSecret(secret)) };
  }
  if (kind !== 'credential') throw new VaultError('bad_secret', `entry ${name} has unknown kind ${JSON.stringify(kind)}`);
  return { kind, value: Uint8Array.from(secret) };
}

function exists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Temp file in the same folder (so rename is atomic), fsync, rename, fsync the folder. */
function writeAtomic(path: string, text: string): void {
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
  try {
    const dfd = openSync(dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // Some platforms cannot fsync a directory; the rename is still atomic.
  }
}

/**
 * The passphrase from the environment variable `name` (the way `swoosh serve` should unlock
 * a vault at start, as `swoosh sign --passphrase-env VAR` does for key files).
 */
export function passphraseFromEnv(name: string, env: NodeJS.ProcessEnv = process.env): string {
  const v = env[name];
  if (v === undefined || v === '') throw new VaultError('bad_passphrase', `environment variable ${name} holds no vault passphrase`);
  return v;
}

/** The work factor in an age file's scrypt stanza (`-> scrypt <salt> <logN>`); null when there is none. */
function scryptLogNOf(sealed: Uint8Array): number | null {
  const header = new TextDecoder('latin1').decode(sealed.subarray(0, 512));
  const m = /^-> scrypt \S+ (\d{1,2})$/m.exec(header);
  return m ? Number(m[1]) : null;
}
