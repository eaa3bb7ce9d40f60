// Backups and restore of a real database written by a real host (signed transitions from
// the core scenario). The writer's exclusive lock keeps every other connection out, even a
// read-only one, which is why the online copy is taken through the writer's own
// connection; every copy is verified like `swoosh verify`, and restore refuses a database
// a writer holds, keeps the old one aside and writes the new one whole.

import Database from 'better-sqlite3';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordSubmissions, Scenario } from '../../core/testing/scenario';
import type { Proposal } from '../../core/types';
import { rejectionOf } from '../../core/testing/rejection';
import { Host } from '../host';
import { loadMachine } from '../machine';
import { backupDatabase, BackupError, restoreDatabase } from './backup';
import { verifyFile } from './backup-verify';
import { openDatabase } from './native';

let dir: string;
let sc: Scenario;
let proposals: Proposal[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'swoosh-backup-'));
  sc = new Scenario(loadMachine(), { start_ms: Date.now() - 60_000, epoch_ms: Date.now() - 3_600_000 });
  proposals = recordSubmissions(sc);
  sc.boot().ingest().elect();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A database with the first `n` scenario proposals accepted; the host is left open. */
async function hostWith(name: string, n: number): Promise<Host> {
  const host = Host.open({ db: join(dir, name), genesis: sc.genesis });
  for (const p of proposals.slice(0, n)) expect((await host.engine.submit(p)).status).toBe(202);
  return host;
}

const failure = (p: Promise<unknown> | (() => unknown)) =>
  rejectionOf(typeof p === 'function' ? Promise.resolve().then(p) : p, BackupError);

/** Overwrites record `index`'s body in a stopped database, as a disk fault or an editor would. */
function tamper(db: string, index: number): void {
  const raw = new Database(db);
  raw.prepare('UPDATE wal SET body = replace(body, \'"hlc"\', \'"hlc "\') WHERE idx = ?').run(index);
  raw.close();
}

describe('online backup through the writer', () => {
  it('a second connection cannot read a database the writer holds, not even read-only', async () => {
    const host = await hostWith('held.db', 2);
    try {
      const reader = openDatabase(join(dir, 'held.db'), { readonly: true });
      try {
        expect(() => reader.prepare('SELECT COUNT(*) AS n FROM wal').get()).toThrow(expect.objectContaining({ code: 'SQLITE_BUSY' }));
      } finally {
        reader.close();
      }
    } finally {
      host.close();
    }
  });

  it('copies a live database while it commits; the copy is one verified file at a commit boundary', async () => {
    expect(proposals.length).toBeGreaterThanOrEqual(6);
    const host = await hostWith('live.db', 3);
    const out = join(dir, 'live.backup.db');
    try {
      const copying = backupDatabase(host.store.db, out);
      const rest = Promise.all(proposals.slice(3).map((p) => host.engine.submit(p)));
      const r = await copying;
      for (const s of await rest) expect(s.status).toBe(202);
      expect(r.index).toBeGreaterThanOrEqual(3);
      expect(r.index).toBeLessThanOrEqual(host.head.index);
      expect(r.state_hash).toBe(host.stateAt(r.index).hash);
      expect(r.size_bytes).toBe(statSync(out).size);
      // Self-contained: no -wal beside it, and it verifies on its own, read-only.
      expect(existsSync(`${out}-wal`)).toBe(false);
      expect(verifyFile(out)).toMatchObject({ ok: true, verified: r.index, state_hash: r.state_hash });
      // A second backup of the settled host has every record.
      const full = await backupDatabase(host.store.db, join(dir, 'live.full.db'));
      expect(full).toMatchObject({ index: host.head.index, state_hash: host.head.hash });
      expect((await failure(backupDatabase(host.store.db, out))).code).toBe('exists');
    } finally {
      host.close();
    }
  });

  it('refuses to name a copy that fails verification, and leaves no partial file', async () => {
    const db = join(dir, 'bad.db');
    (await hostWith('bad.db', 4)).close();
    tamper(db, 3);
    const source = openDatabase(db);
    try {
      const e = await failure(backupDatabase(source, join(dir, 'bad.backup.db')));
      expect(e.code).toBe('unverified');
      expect(e.message).toMatch(/fails verification at record #3/);
    } finally {
      source.close();
    }
    expect(readdirSync(dir).filter((f) => f.includes('bad.backup'))).toEqual([]);
  });
});

describe('restore', () => {
  it('refuses a database a writer holds and leaves it as it was', async () => {
    const backup = join(dir, 'r1.backup.db');
    const host = await hostWith('r1.db', 2);
    await backupDatabase(host.store.db, backup);
    try {
      const before = host.head;
      const e = await failure(() => restoreDatabase(backup, join(dir, 'r1.db'), { stamp: 'T1' }));
      expect(e.code).toBe('in_use');
      expect(host.head).toEqual(before);
      expect(readdirSync(dir).filter((f) => f.startsWith('r1.db.before-restore') || f.includes('restoring'))).toEqual([]);
    } finally {
      host.close();
    }
  });

  it('puts a backup back whole, keeps the old database aside, and the host opens it at the backup head', async () => {
    const source = await hostWith('r2-source.db', 3);
    const backup = join(dir, 'r2.backup.db');
    const taken = await backupDatabase(source.store.db, backup);
    source.close();
    const target = join(dir, 'r2.db');
    const newer = await hostWith('r2.db', proposals.length);
    const newerHead = newer.head;
    newer.close();

    const r = restoreDatabase(backup, target, { stamp: '20261203T091200Z' });
    expect(r).toEqual({
      db: target,
      kept_aside: `${target}.before-restore-20261203T091200Z`,
      index: taken.index,
      state_hash: taken.state_hash,
    });
    expect(verifyFile(r.kept_aside as string)).toMatchObject({ ok: true, verified: newerHead.index, state_hash: newerHead.hash });
    const reopened = Host.open({ db: target, genesis: sc.genesis });
    try {
      expect(reopened.head.index).toBe(taken.index);
      expect(reopened.head.hash).toBe(taken.state_hash);
    } finally {
      reopened.close();
    }

    const forced = restoreDatabase(backup, target, { stamp: 'T2', force: true });
    expect(forced.kept_aside).toBeNull();
    expect(existsSync(`${target}.before-restore-T2`)).toBe(false);
  });

  it('refuses a damaged backup before touching the database', async () => {
    const db = join(dir, 'r3.db');
    (await hostWith('r3.db', 2)).close();
    const damaged = join(dir, 'r3.damaged.db');
    (await hostWith('r3.damaged.db', 4)).close();
    tamper(damaged, 2);
    const size = statSync(db).size;
    const e = await failure(() => restoreDatabase(damaged, db, { stamp: 'T3' }));
    expect(e.code).toBe('unverified');
    expect(e.message).toMatch(/record #2/);
    expect(statSync(db).size).toBe(size);
    expect(verifyFile(db)).toMatchObject({ ok: true, verified: 2 });
  });
});
