// Consistent copies of a SWOOSH database, and putting one back.
//
// The writer holds its database with `locking_mode = EXCLUSIVE` (store.ts), so no second
// connection can read it while it runs — not even read-only: SQLite answers SQLITE_BUSY
// (main/store/backup.test.ts shows it). An online copy is therefore taken by the writer
// itself, through its own connection, with SQLite's backup API (better-sqlite3's
// `db.backup()`): pages are copied in steps on the event loop, and a commit the same
// connection makes in between is applied to the copy too, so the copy is the database as
// of one commit. `swoosh serve --backup-dir` does that (main/app/backup.ts); `swoosh
// backup --db` does the same on a stopped database, taking the lock itself.
//
// Every copy is made self-contained (journal_mode DELETE: one file, no -wal), then opened
// read-only and verified exactly as `swoosh verify` does (backup-verify.ts) before it is
// renamed into place: a file with the final name is always a verified backup.
// docs/runbooks/restore.md is the drill; docs/decisions/0026-online-backups.md the why.

import type Database from 'better-sqlite3';
import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { openDatabase } from './native';
import { verifyFile, type VerifyReport } from './backup-verify';

export type BackupErrorCode = 'exists' | 'unverified' | 'in_use' | 'not_found' | 'same_file' | 'io';

/** Tagged: the code for programs, the message (one line) for operators. */
export class BackupError extends Error {
  constructor(
    readonly code: BackupErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BackupError';
  }
}

export interface BackupResult {
  path: string;
  size_bytes: number;
  /** The copy's last record and its replayed state hash (from the verification). */
  index: number;
  state_hash: string;
  duration_ms: number;
}

/** SQLite's page-copy step: 4 MB at 4 kB pages, so a commit waits at most one step. */
const BACKUP_PAGES_PER_STEP = 1000;

/** Cleanup after a failure: the first error is the one to report, not this one. */
function removeQuietly(path: string): void {
  try {
    rmSync(path, { force: true });
  } catch {
    // e.g. ENOTDIR when the directory itself is what failed
  }
}

function fsyncPath(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** One self-contained file: the copy leaves WAL mode so it needs no -wal or -shm beside it. */
function selfContained(path: string): void {
  const copy = openDatabase(path);
  try {
    copy.pragma('journal_mode = DELETE');
  } finally {
    copy.close();
  }
}

function verifiedOrThrow(path: string, what: string): Extract<VerifyReport, { ok: true }> {
  let report: VerifyReport;
  try {
    report = verifyFile(path);
  } catch (err) {
    throw new BackupError('unverified', `${what} ${path} cannot be verified: ${(err as Error).message}`);
  }
  if (!report.ok)
    throw new BackupError('unverified', `${what} ${path} fails verification at record #${report.first_bad_index}: ${report.problem}`);
  return report;
}

/**
 * Copies the database open on `source` to `out`: backup API → self-contained → verified
 * read-only → fsync → rename. `out` is replaced only when `replace`; the partial file is
 * removed on any failure.
 */
export async function backupDatabase(
  source: Database.Database,
  out: string,
  opts: { replace?: boolean; now_ms?: () => number } = {},
): Promise<BackupResult> {
  const now_ms = opts.now_ms ?? Date.now;
  const started = now_ms();
  if (!opts.replace && existsSync(out)) throw new BackupError('exists', `${out} already exists (--force replaces it)`);
  const partial = join(dirname(out), `.${basename(out)}.partial-${process.pid}`);
  try {
    rmSync(partial, { force: true });
    await source.backup(partial, { progress: () => BACKUP_PAGES_PER_STEP });
    selfContained(partial);
    const report = verifiedOrThrow(partial, 'the new copy');
    fsyncPath(partial);
    renameSync(partial, out);
    fsyncPath(dirname(out));
    return {
      path: out,
      size_bytes: statSync(out).size,
      index: report.verified,
      state_hash: report.state_hash,
      duration_ms: now_ms() - started,
    };
  } catch (err) {
    removeQuietly(partial);
    if (err instanceof BackupError) throw err;
    throw new BackupError('io', `backup to ${out} failed: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

/** SQLite's companions of a database file; a stale -wal beside a restored file would be replayed into it. */
const COMPANIONS = ['-wal', '-shm', '-journal'] as const;

/**
 * Fails with BackupError `in_use` when a running writer holds `db` (its exclusive lock);
 * otherwise folds a left-over -wal into the file (journal_mode DELETE checkpoints it), so
 * moving the file aside moves all of it. A writer that starts between this check and the
 * rename is not excluded: the runbook says to stop the service first (docs/runbooks/restore.md).
 */
function quiesced(db: string): void {
  const probe = openDatabase(db);
  try {
    probe.pragma('locking_mode = EXCLUSIVE');
    probe.exec('BEGIN IMMEDIATE; COMMIT;');
    probe.pragma('journal_mode = DELETE');
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY')
      throw new BackupError('in_use', `${db} is in use by a running SWOOSH writer: stop it before restoring over it`);
    throw err;
  } finally {
    probe.close();
  }
}

export interface RestoreResult {
  db: string;
  /** Where the database that was at `db` went; null when there was none or --force dropped it. */
  kept_aside: string | null;
  index: number;
  state_hash: string;
}

function moveAside(db: string, suffix: string): string {
  const aside = `${db}.before-restore-${suffix}`;
  renameSync(db, aside);
  for (const c of COMPANIONS) if (existsSync(db + c)) renameSync(db + c, aside + c);
  return aside;
}

/**
 * Puts the verified backup `from` at `db`: verify `from` → copy beside `db` → fsync →
 * (refuse if a writer holds the old database, else move it aside) → rename → verify `db`
 * → with `force`, drop the old one.
 * `stamp` names the aside file (a UTC time, `20261203T0912Z`).
 */
export function restoreDatabase(from: string, db: string, opts: { force?: boolean; stamp: string }): RestoreResult {
  if (!existsSync(from)) throw new BackupError('not_found', `no backup at ${from}`);
  if (existsSync(db) && statSync(from).ino === statSync(db).ino) throw new BackupError('same_file', `${from} and ${db} are the same file`);
  verifiedOrThrow(from, 'backup');
  const partial = join(dirname(db), `.${basename(db)}.restoring-${process.pid}`);
  rmSync(partial, { force: true });
  let kept_aside: string | null = null;
  try {
    copyFileSync(from, partial);
    selfContained(partial);
    fsyncPath(partial);
    if (existsSync(db)) {
      quiesced(db);
      kept_aside = moveAside(db, opts.stamp);
    }
    renameSync(partial, db);
    fsyncPath(dirname(db));
  } finally {
    rmSync(partial, { force: true });
  }
  const after = verifiedOrThrow(db, 'the restored database');
  if (opts.force && kept_aside !== null) {
    for (const c of ['', ...COMPANIONS]) rmSync(kept_aside + c, { force: true });
    kept_aside = null;
  }
  return { db, kept_aside, index: after.verified, state_hash: after.state_hash };
}
