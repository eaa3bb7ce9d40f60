// The durable store (better-sqlite3, WAL mode): the hash-chained WAL, checksummed
// snapshots, the idem-key index (a unique column of the WAL), and the rejections log.
// Decision records are derived from WAL records on read (core/decision.ts), so they can
// never disagree with the record they explain.
//
// One writer per database file: the connection holds SQLite's EXCLUSIVE lock, which the
// OS releases if the process dies (kill -9 included), so a crashed writer never leaves a
// stale lock behind.

import type Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { canonicalize } from '../../core/canonical';
import type { Hash, WalRecord } from '../../core/types';
import type { State } from '../../core/state';
import { openDatabase } from './native';

export type Durability = 'FULL' | 'NORMAL';

export const STORE_FORMAT = 1;
/** Rejections kept (oldest dropped first): hostile traffic must not grow the file without bound. */
export const REJECTIONS_MAX = 100_000;
/**
 * Rejections whose sender is not established (no valid signature from a genesis signer)
 * are kept apart under their own, smaller bound, so junk from anyone can never evict the
 * audit history of real signers (docs/decisions/0102-rejections-log-storage.md).
 */
export const UNAUTHENTICATED_REJECTIONS_MAX = 10_000;
/** Trim when a class is this far over its bound (one DELETE per ~1,000 rows, not per batch). */
const REJECTIONS_TRIM_SLACK = 1_000;
/** Of an unauthenticated proposal, only this many leading characters are kept (plus its hash and size). */
export const UNAUTHENTICATED_PREFIX_CHARS = 200;
/**
 * Codes decided before the proposal's signature and signer are established (docs/protocol.md
 * §5 order: malformed → idem → bad_signature → inputs_hash_mismatch → unknown_signer): such a
 * rejection says nothing about who sent it, so its body is not kept whole.
 */
export const UNAUTHENTICATED_CODES: ReadonlySet<string> = new Set([
  'malformed',
  'idem_key_conflict',
  'bad_signature',
  'inputs_hash_mismatch',
  'unknown_signer',
  'payload_too_large',
  'unsupported_media_type',
]);
/** Proposals larger than this are logged in the rejections table without their body. */
const REJECTED_PROPOSAL_BYTES_MAX = 16 * 1024;
const REJECTION_REASON_CHARS_MAX = 2_000;

/** A signed-by-a-known-signer proposal, whole (up to 16 KiB of JSON), or null. */
function fullProposalText(proposal: unknown): string | null {
  try {
    const text = JSON.stringify(proposal);
    return text !== undefined && text.length <= REJECTED_PROPOSAL_BYTES_MAX ? text : null;
  } catch {
    return null;
  }
}

/** Of a proposal from nobody in particular: its hash, size and a short prefix only. */
function proposalDigestText(proposal: unknown): string | null {
  let text: string | undefined;
  try {
    text = JSON.stringify(proposal);
  } catch {
    return null;
  }
  if (text === undefined) return null;
  return JSON.stringify({
    digest_only: true,
    sha256: sha256HexNative(text),
    chars: text.length,
    prefix: text.slice(0, UNAUTHENTICATED_PREFIX_CHARS),
  });
}

export interface StoredSnapshot {
  index: number;
  hlc: string | null;
  state: State;
  state_hash: Hash;
  record_hash: Hash;
}

export interface RejectionRow {
  id: number;
  at_ms: number;
  head_index: number;
  idem_key: string | null;
  transition: string | null;
  signer: string | null;
  hlc: string | null;
  code: string;
  guard: string | null;
  reason: string;
  reasons: string[];
  proposal: unknown;
}

export type NewRejection = Omit<RejectionRow, 'id'>;

export interface CommitBatch {
  records: WalRecord[];
  /**
   * Optional, aligned with `records`: each record's stored text (recordBodyText) and its
   * proposal's hash (proposalHashOf), when the writer already has them, so that they are
   * not computed twice. The engine's tests check them against the recomputed values.
   */
  encoded?: RecordEncoding[];
  rejections: NewRejection[];
  snapshots: StoredSnapshot[];
}

export interface RecordEncoding {
  body: string;
  proposal_hash: string;
}

/** sha256 hex via node:crypto (the host's fast path; equal to core/hash sha256Hex). */
export function sha256HexNative(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function recordHashOf(bodyText: string): Hash {
  return `sha256-${sha256HexNative(bodyText)}`;
}

/** The canonical text a record is stored and hashed as: JCS of the record without record_hash. */
export function recordBodyText(record: Omit<WalRecord, 'record_hash'> | WalRecord): string {
  const { record_hash: _omit, ...body } = record as WalRecord;
  return canonicalize(body);
}

function snapshotChecksum(index: number, stateHash: Hash, recordHash: Hash, stateText: string): string {
  return sha256HexNative(`${index}\n${stateHash}\n${recordHash}\n${stateText}`);
}

/** The WAL table, as the store creates it (exported so benchmarks build the same table). */
export const WAL_TABLE_DDL = `CREATE TABLE IF NOT EXISTS wal (
        idx INTEGER PRIMARY KEY,
        body TEXT NOT NULL,
        record_hash TEXT NOT NULL,
        idem_key TEXT NOT NULL UNIQUE,
        proposal_hash TEXT NOT NULL,
        transition TEXT NOT NULL,
        signer TEXT NOT NULL,
        hlc TEXT NOT NULL,
        state_post_hash TEXT NOT NULL,
        accepted_at_ms INTEGER NOT NULL
      )`;

/** One WAL row in WAL_TABLE_DDL's column order; the parameters of WAL_INSERT_SQL. */
export const WAL_INSERT_SQL =
  'INSERT INTO wal (idx, body, record_hash, idem_key, proposal_hash, transition, signer, hlc, state_post_hash, accepted_at_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

/** A row of the WAL table. */
export interface WalRow {
  idx: number;
  body: string;
  record_hash: string;
  idem_key: string;
  proposal_hash: string;
  transition: string;
  signer: string;
  hlc: string;
  state_post_hash: string;
  accepted_at_ms: number;
}

/** meta key of the head written in each commit's transaction. */
const HEAD_META_KEY = 'committed_head';

export interface CommittedHead {
  index: number;
  record_hash: Hash;
}

export class StoreError extends Error {
  constructor(
    readonly code: 'locked' | 'format',
    message: string,
  ) {
    super(message);
  }
}

export class Store {
  readonly db: Database.Database;
  private readonly stmt;
  /** Rows per class in the rejections log: [unauthenticated, authenticated]. */
  private readonly rejectionCounts: [number, number];

  /** `readonly` opens an existing file for reading only (a backup being verified): no lock, no migration, no writes. */
  constructor(
    readonly path: string,
    durability: Durability = 'FULL',
    opts: { readonly?: boolean } = {},
  ) {
    this.db = openDatabase(path, { readonly: opts.readonly });
    if (opts.readonly) {
      this.stmt = this.prepareReadonly();
      this.rejectionCounts = [0, 0]; // a read-only store never writes rejections
      return;
    }
    try {
      // Before the first table exists (a no-op on an existing file): pages freed by trimming
      // the rejections log go back to the file system (incremental_vacuum), not only to a free list.
      this.db.pragma('auto_vacuum = INCREMENTAL');
      this.db.pragma('locking_mode = EXCLUSIVE');
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${durability}`);
      // Checkpoint the -wal file into the database every 100 pages (≈ 400 kB) rather than
      // SQLite's 1000: a checkpoint runs inside a commit, on the event loop, and at 1000
      // pages it stalled one commit in ~180 by 3 – 4 ms (p99 of POST /transition); at 100
      // the worst commit is ≈ 1.4 ms. Same pages written in total; more, smaller fsyncs.
      this.db.pragma('wal_autocheckpoint = 100');
      // Take the exclusive lock now, so a second writer fails at start, not at first write.
      this.db.exec('BEGIN IMMEDIATE; COMMIT;');
      this.migrate();
    } catch (err) {
      this.db.close();
      if ((err as { code?: string }).code === 'SQLITE_BUSY') {
        throw new StoreError(
          'locked',
          `${path} is in use by another SWOOSH process (the writer holds it exclusively); stop it, or read through its HTTP API`,
        );
      }
      throw err;
    }
    this.stmt = this.prepare();
    this.rejectionCounts = [this.stmt.rejectionClassCount.get(0)?.n ?? 0, this.stmt.rejectionClassCount.get(1)?.n ?? 0];
  }

  private migrate(): void {
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      ${WAL_TABLE_DDL};
      CREATE TABLE IF NOT EXISTS snapshots (
        idx INTEGER PRIMARY KEY,
        hlc TEXT,
        state TEXT NOT NULL,
        state_hash TEXT NOT NULL,
        record_hash TEXT NOT NULL,
        checksum TEXT NOT NULL
      );
      CREATE TABLE IF NOT EXISTS rejections (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at_ms INTEGER NOT NULL,
        head_index INTEGER NOT NULL,
        idem_key TEXT, transition TEXT, signer TEXT, hlc TEXT,
        code TEXT NOT NULL, guard TEXT, reason TEXT NOT NULL, reasons TEXT NOT NULL,
        proposal TEXT,
        authenticated INTEGER NOT NULL DEFAULT 1
      );
      CREATE INDEX IF NOT EXISTS rejections_code ON rejections(code);
    `);
    // Databases from builds before the two classes: every old row counts as authenticated.
    const columns = this.db
      .prepare<[], { name: string }>('PRAGMA table_info(rejections)')
      .all()
      .map((c) => c.name);
    if (!columns.includes('authenticated')) this.db.exec('ALTER TABLE rejections ADD COLUMN authenticated INTEGER NOT NULL DEFAULT 1');
    this.db.exec('CREATE INDEX IF NOT EXISTS rejections_class ON rejections(authenticated, id)');
    const format = this.getMeta('store_format');
    if (format === null) this.setMeta('store_format', String(STORE_FORMAT));
    else if (format !== String(STORE_FORMAT))
      throw new StoreError('format', `store format ${format} is not supported (this build reads ${STORE_FORMAT})`);
  }

  private prepareReadonly() {
    try {
      const format = this.getMeta('store_format');
      if (format !== String(STORE_FORMAT))
        throw new StoreError('format', `${this.path}: store format ${String(format)} is not supported (this build reads ${STORE_FORMAT})`);
      return this.prepare();
    } catch (err) {
      this.db.close();
      if (err instanceof StoreError) throw err;
      throw new StoreError('format', `${this.path} is not a SWOOSH database: ${(err as Error).message}`);
    }
  }

  private prepare() {
    const db = this.db;
    return {
      getMeta: db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?'),
      setMeta: db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      insertRecord: db.prepare(WAL_INSERT_SQL),
      insertSnapshot: db.prepare(
        'INSERT OR REPLACE INTO snapshots (idx, hlc, state, state_hash, record_hash, checksum) VALUES (?, ?, ?, ?, ?, ?)',
      ),
      insertRejection: db.prepare(
        'INSERT INTO rejections (at_ms, head_index, idem_key, transition, signer, hlc, code, guard, reason, reasons, proposal, authenticated) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      trimRejections: db.prepare(
        'DELETE FROM rejections WHERE id IN (SELECT id FROM rejections WHERE authenticated = ? ORDER BY id LIMIT ?)',
      ),
      rejectionClassCount: db.prepare<[number], { n: number }>('SELECT COUNT(*) AS n FROM rejections WHERE authenticated = ?'),
      idem: db.prepare<[string], { idx: number; proposal_hash: string; state_post_hash: string }>(
        'SELECT idx, proposal_hash, state_post_hash FROM wal WHERE idem_key = ?',
      ),
      count: db.prepare<[], { n: number | null }>('SELECT MAX(idx) AS n FROM wal'),
      record: db.prepare<[number], { body: string; record_hash: string }>('SELECT body, record_hash FROM wal WHERE idx = ?'),
      range: db.prepare<[number, number], { idx: number; body: string; record_hash: string }>(
        'SELECT idx, body, record_hash FROM wal WHERE idx >= ? ORDER BY idx LIMIT ?',
      ),
      rangeTo: db.prepare<[number, number, number], { idx: number; body: string; record_hash: string }>(
        'SELECT idx, body, record_hash FROM wal WHERE idx >= ? AND idx <= ? ORDER BY idx LIMIT ?',
      ),
      snapshotAtOrBefore: db.prepare<[number], SnapshotRow>('SELECT * FROM snapshots WHERE idx <= ? ORDER BY idx DESC'),
      snapshotIndexes: db.prepare<[], { idx: number }>('SELECT idx FROM snapshots ORDER BY idx'),
      rejections: db.prepare<[number, number], RejectionDbRow>('SELECT * FROM rejections WHERE id >= ? ORDER BY id LIMIT ?'),
      rejectionCount: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM rejections'),
    };
  }

  getMeta(key: string): string | null {
    const row = this.db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?').get(key);
    return row ? row.value : null;
  }

  setMeta(key: string, value: string): void {
    this.db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }

  /** The head written with the last commit (index and record hash), or null before the first. */
  committedHead(): CommittedHead | null {
    const text = this.getMeta(HEAD_META_KEY);
    if (text === null) return null;
    try {
      const h = JSON.parse(text) as Partial<CommittedHead>;
      if (Number.isSafeInteger(h.index) && typeof h.record_hash === 'string')
        return { index: h.index as number, record_hash: h.record_hash };
    } catch {
      // fall through: an unreadable head row is reported like a missing one below
    }
    return { index: -1, record_hash: '' };
  }

  /**
   * Does the WAL end where the last commit left it? Null when it does (or when the head row
   * predates this check: a database written by an older build adopts its current end on
   * first open, see adoptHead); otherwise the first index that is wrong and why.
   */
  headProblem(): { index: number; problem: string } | null {
    const head = this.committedHead();
    if (head === null) return null;
    const length = this.walLength();
    if (head.index < 0) return { index: length + 1, problem: 'the committed-head row is unreadable' };
    if (head.index > length) {
      return {
        index: length + 1,
        problem: `the newest records are missing: the last commit ended at #${head.index} (${head.record_hash}) but the WAL ends at #${length}`,
      };
    }
    if (head.index < length)
      return { index: head.index + 1, problem: `records past the last commit (#${head.index}) were written outside SWOOSH` };
    const row = length === 0 ? null : this.recordText(length);
    if (row !== null && row.record_hash !== head.record_hash) {
      return { index: length, problem: `record #${length} is not the one the last commit wrote (${head.record_hash})` };
    }
    return null;
  }

  /** For a database from a build without the head row: record where it ends now. */
  adoptHead(): void {
    if (this.committedHead() !== null) return;
    const length = this.walLength();
    if (length === 0) return;
    const row = this.recordText(length);
    if (row !== null) this.setMeta(HEAD_META_KEY, JSON.stringify({ index: length, record_hash: row.record_hash }));
  }

  /** Number of WAL records (the last index; indexes are contiguous from 1). */
  walLength(): number {
    return this.stmt.count.get()?.n ?? 0;
  }

  /** One transaction: records, their snapshots and the batch's rejections land together or not at all. */
  commit(batch: CommitBatch): void {
    this.commitTx(batch);
  }

  private readonly commitTx = (batch: CommitBatch): void => {
    this.db.transaction(() => {
      const encoded = batch.encoded;
      if (encoded !== undefined && encoded.length !== batch.records.length) throw new Error('commit: encoded is not aligned with records');
      for (let i = 0; i < batch.records.length; i += 1) {
        const r = batch.records[i] as WalRecord;
        const e = encoded?.[i];
        const body = e ? e.body : recordBodyText(r);
        const proposal_hash = e ? e.proposal_hash : proposalHash(r);
        this.stmt.insertRecord.run(
          r.index,
          body,
          r.record_hash,
          r.idem_key,
          proposal_hash,
          r.transition,
          r.signer,
          r.hlc,
          r.state_post_hash,
          r.accepted_at_ms,
        );
      }
      for (const s of batch.snapshots) this.writeSnapshot(s);
      for (const j of batch.rejections) this.writeRejection(j);
      if (batch.rejections.length > 0) this.trimRejections();
      const last = batch.records[batch.records.length - 1];
      // The head, in the same transaction as its records: deleting the newest records
      // (which leaves a chain that still links) no longer goes unnoticed (headProblem).
      if (last !== undefined) this.stmt.setMeta.run(HEAD_META_KEY, JSON.stringify({ index: last.index, record_hash: last.record_hash }));
    })();
  };

  private writeSnapshot(s: StoredSnapshot): void {
    const text = canonicalize(s.state);
    this.stmt.insertSnapshot.run(
      s.index,
      s.hlc,
      text,
      s.state_hash,
      s.record_hash,
      snapshotChecksum(s.index, s.state_hash, s.record_hash, text),
    );
  }

  private writeRejection(j: NewRejection): void {
    const authenticated = !UNAUTHENTICATED_CODES.has(j.code);
    const proposal = authenticated ? fullProposalText(j.proposal) : proposalDigestText(j.proposal);
    this.stmt.insertRejection.run(
      j.at_ms,
      j.head_index,
      j.idem_key,
      j.transition,
      j.signer,
      j.hlc,
      j.code,
      j.guard,
      j.reason.slice(0, REJECTION_REASON_CHARS_MAX),
      JSON.stringify(j.reasons.slice(0, 64)),
      proposal,
      authenticated ? 1 : 0,
    );
    this.rejectionCounts[authenticated ? 1 : 0] += 1;
  }

  /** Oldest rows of a class past its bound go, then their pages are returned to the file system. */
  private trimRejections(): void {
    let trimmed = false;
    for (const cls of [0, 1] as const) {
      const max = cls === 1 ? REJECTIONS_MAX : UNAUTHENTICATED_REJECTIONS_MAX;
      const over = this.rejectionCounts[cls] - max;
      if (over < REJECTIONS_TRIM_SLACK) continue;
      this.stmt.trimRejections.run(cls, over);
      this.rejectionCounts[cls] -= over;
      trimmed = true;
    }
    if (trimmed) this.db.pragma('incremental_vacuum(2000)');
  }

  /** The applied outcome of an idem key, if any. */
  idemLookup(idem_key: string): { index: number; proposal_hash: string; state_post_hash: string } | null {
    const row = this.stmt.idem.get(idem_key);
    return row ? { index: row.idx, proposal_hash: row.proposal_hash, state_post_hash: row.state_post_hash } : null;
  }

  /** Raw stored text of record `index` (for verification), or null. */
  recordText(index: number): { body: string; record_hash: string } | null {
    return this.stmt.record.get(index) ?? null;
  }

  record(index: number): WalRecord | null {
    const row = this.recordText(index);
    return row ? parseRecord(row.body, row.record_hash) : null;
  }

  /**
   * Stored rows from `from` on (up to `to`, when given), in order; raw text so callers can
   * verify before trusting. `to` keeps time travel from reading a page past what it needs.
   */
  *scan(from: number, batch = 2000, to?: number): Generator<{ index: number; body: string; record_hash: string }> {
    let next = Math.max(1, from);
    for (;;) {
      if (to !== undefined && next > to) return;
      const rows = to === undefined ? this.stmt.range.all(next, batch) : this.stmt.rangeTo.all(next, to, batch);
      for (const row of rows) yield { index: row.idx, body: row.body, record_hash: row.record_hash };
      if (rows.length < batch) return;
      next = (rows[rows.length - 1] as { idx: number }).idx + 1;
    }
  }

  range(from: number, limit: number): WalRecord[] {
    return this.stmt.range.all(Math.max(1, from), limit).map((r) => parseRecord(r.body, r.record_hash));
  }

  /** Snapshots at or before `index`, newest first, each with its checksum verdict. */
  *snapshotsAtOrBefore(index: number): Generator<{ snapshot: StoredSnapshot | null; index: number; problem: string | null }> {
    for (const row of this.stmt.snapshotAtOrBefore.iterate(index)) {
      yield decodeSnapshot(row);
    }
  }

  snapshotIndexes(): number[] {
    return this.stmt.snapshotIndexes.all().map((r) => r.idx);
  }

  rejections(from: number, limit: number): RejectionRow[] {
    return this.stmt.rejections.all(Math.max(0, from), limit).map((r) => ({
      id: r.id,
      at_ms: r.at_ms,
      head_index: r.head_index,
      idem_key: r.idem_key,
      transition: r.transition,
      signer: r.signer,
      hlc: r.hlc,
      code: r.code,
      guard: r.guard,
      reason: r.reason,
      reasons: JSON.parse(r.reasons) as string[],
      proposal: r.proposal === null ? null : (JSON.parse(r.proposal) as unknown),
    }));
  }

  rejectionCount(): number {
    return this.stmt.rejectionCount.get()?.n ?? 0;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

interface SnapshotRow {
  idx: number;
  hlc: string | null;
  state: string;
  state_hash: string;
  record_hash: string;
  checksum: string;
}

interface RejectionDbRow {
  id: number;
  at_ms: number;
  head_index: number;
  idem_key: string | null;
  transition: string | null;
  signer: string | null;
  hlc: string | null;
  code: string;
  guard: string | null;
  reason: string;
  reasons: string;
  proposal: string | null;
}

function proposalHash(r: WalRecord): string {
  return recordHashOf(canonicalize(r.proposal));
}

export function proposalHashOf(proposal: unknown): string {
  return recordHashOf(canonicalize(proposal));
}

export function parseRecord(body: string, record_hash: string): WalRecord {
  return { ...(JSON.parse(body) as Omit<WalRecord, 'record_hash'>), record_hash };
}

function decodeSnapshot(row: SnapshotRow): { snapshot: StoredSnapshot | null; index: number; problem: string | null } {
  if (snapshotChecksum(row.idx, row.state_hash, row.record_hash, row.state) !== row.checksum) {
    return { snapshot: null, index: row.idx, problem: 'checksum mismatch' };
  }
  if (`sha256-${sha256HexNative(row.state)}` !== row.state_hash) return { snapshot: null, index: row.idx, problem: 'state hash mismatch' };
  try {
    const state = JSON.parse(row.state) as State;
    return {
      snapshot: { index: row.idx, hlc: row.hlc, state, state_hash: row.state_hash, record_hash: row.record_hash },
      index: row.idx,
      problem: null,
    };
  } catch (err) {
    return { snapshot: null, index: row.idx, problem: `unreadable: ${(err as Error).message}` };
  }
}
