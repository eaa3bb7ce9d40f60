// Page-level damage (a truncated file, overwritten pages) makes SQLite itself fail with
// SQLITE_CORRUPT / SQLITE_NOTADB somewhere in the middle of a read. Corruption must be
// reported with the first bad index (docs/protocol.md §9, §10), never as a stack trace:
// this module finds it, on a connection of its own, after the failing one is closed.

import type Database from 'better-sqlite3';
import { openDatabase } from './native';

/** SQLite's result codes for a damaged file (better-sqlite3 puts them in `err.code`). */
const DAMAGE_CODES = new Set(['SQLITE_CORRUPT', 'SQLITE_NOTADB', 'SQLITE_CORRUPT_INDEX', 'SQLITE_CORRUPT_VTAB', 'SQLITE_IOERR_SHORT_READ']);

export function isDamageError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (DAMAGE_CODES.has(code) || code.startsWith('SQLITE_CORRUPT'));
}

export interface DamageReport {
  /** First WAL index that cannot be read (1 when not even the table can be read), or null if every row reads. */
  first_bad_index: number | null;
  /** The first lines of SQLite's own integrity check (or why it could not run). */
  integrity: string[];
  /** One sentence for a person. */
  problem: string;
}

/** At most this many integrity-check lines are kept in a report. */
const INTEGRITY_LINES_MAX = 5;

/** Examines a damaged database file: SQLite's integrity check, then the first unreadable record. */
export function diagnoseDamage(path: string): DamageReport {
  let db: Database.Database;
  try {
    db = openDatabase(path, { readonly: true });
  } catch (err) {
    return { first_bad_index: 1, integrity: [], problem: `the file cannot be opened as a SQLite database (${(err as Error).message})` };
  }
  try {
    const integrity = integrityLines(db);
    const first_bad_index = firstUnreadable(db);
    const where =
      first_bad_index === null
        ? 'every WAL record reads; the damage is elsewhere (snapshots, indexes or metadata)'
        : `WAL record ${first_bad_index} is the first that cannot be read`;
    return {
      first_bad_index,
      integrity,
      problem: `the database file is damaged at page level: ${where}; SQLite integrity check: ${integrity.join('; ')}`,
    };
  } finally {
    db.close();
  }
}

function integrityLines(db: Database.Database): string[] {
  try {
    const rows = db.prepare(`PRAGMA integrity_check(${INTEGRITY_LINES_MAX})`).all() as Array<{ integrity_check: string }>;
    return rows.map((r) => r.integrity_check);
  } catch (err) {
    return [`could not run: ${(err as Error).message}`];
  }
}

/**
 * The first index whose row cannot be read, reading in index order (so every record before
 * it is known to read); 1 when the table itself cannot be read; null when all rows read.
 */
function firstUnreadable(db: Database.Database): number | null {
  let length: number;
  try {
    length = (db.prepare('SELECT MAX(idx) AS n FROM wal').get() as { n: number | null }).n ?? 0;
  } catch {
    return 1;
  }
  const row = db.prepare('SELECT idx, body, record_hash FROM wal WHERE idx = ?');
  for (let index = 1; index <= length; index += 1) {
    try {
      const r = row.get(index) as { idx: number; body: string } | undefined;
      if (r === undefined) return index;
    } catch {
      return index;
    }
  }
  return null;
}
