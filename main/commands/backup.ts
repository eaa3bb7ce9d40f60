// swoosh backup / swoosh restore (docs/runbooks/restore.md).
//
// `backup --db` copies a stopped database: the writer holds a live one exclusively, so a
// running server backs itself up instead (`swoosh serve --backup-dir DIR --backup-every
// 15m`, main/app/backup.ts); `backup` on a database in use says so. Both print one JSON
// line; exit 0 when the copy is written and verified, 1 otherwise.

import { existsSync } from 'node:fs';
import { backupDatabase, BackupError, restoreDatabase } from '../store/backup';
import { Store, StoreError } from '../store/store';
import { parse, UsageError } from './args';

const BACKUP_OPTIONS = { db: { type: 'string' }, out: { type: 'string' }, force: { type: 'boolean', default: false } } as const;
const BACKUP_USAGE = `usage: swoosh backup --db PATH --out FILE [--force]
  a consistent, verified copy of a stopped database (one self-contained file); --force replaces FILE.
  A running server backs itself up: swoosh serve --backup-dir DIR --backup-every 15m [--backup-keep 24].
`;

const RESTORE_OPTIONS = { from: { type: 'string' }, db: { type: 'string' }, force: { type: 'boolean', default: false } } as const;
const RESTORE_USAGE = `usage: swoosh restore --from FILE --db PATH [--force]
  verifies FILE, refuses a database a running writer holds, writes PATH atomically and verifies it;
  the database that was at PATH is kept as PATH.before-restore-<time> unless --force.
`;

/** A UTC time that sorts and fits in a file name: 20261203T091203Z. */
export function fileStamp(date: Date): string {
  return date
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
}

function openForBackup(db: string): Store {
  try {
    return new Store(db);
  } catch (err) {
    if (err instanceof StoreError && err.code === 'locked') {
      throw new BackupError(
        'in_use',
        `${db} is in use by a running writer, which holds it exclusively: back it up from that process with swoosh serve --backup-dir DIR --backup-every DURATION, or stop it first`,
      );
    }
    throw err;
  }
}

export async function backupCommand(args: string[]): Promise<number> {
  const v = parse(args, BACKUP_OPTIONS, BACKUP_USAGE);
  if (!v.db || !v.out) throw new UsageError('--db PATH and --out FILE are required');
  if (!existsSync(v.db)) throw new UsageError(`no database at ${v.db}`);
  const store = openForBackup(v.db);
  try {
    const r = await backupDatabase(store.db, v.out, { replace: v.force });
    process.stdout.write(`${JSON.stringify({ ok: true, ...r })}\n`);
    return 0;
  } finally {
    store.close();
  }
}

export async function restoreCommand(args: string[]): Promise<number> {
  const v = parse(args, RESTORE_OPTIONS, RESTORE_USAGE);
  if (!v.from || !v.db) throw new UsageError('--from FILE and --db PATH are required');
  const r = restoreDatabase(v.from, v.db, { force: v.force, stamp: fileStamp(new Date()) });
  process.stdout.write(`${JSON.stringify({ ok: true, ...r })}\n`);
  return 0;
}
