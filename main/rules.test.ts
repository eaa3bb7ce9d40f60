// A database written under other rules is refused plainly (rules_mismatch), not reported as
// corruption, and left untouched; the demo moves its own old file aside instead.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { RULES_VERSION } from '../core/rules';
import { Scenario } from '../core/testing/scenario';
import { Host, HostError } from './host';
import { loadMachine } from './machine';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'swoosh-rules-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

it('records the rules version, and refuses a database of older rules with the way forward', () => {
  const path = join(dir, 'a.db');
  const sc = new Scenario(loadMachine());
  Host.open({ db: path, genesis: sc.genesis, verify_workers: 0 }).close();
  const db = new Database(path);
  expect((db.prepare("SELECT value FROM meta WHERE key = 'rules_version'").get() as { value: string }).value).toBe(String(RULES_VERSION));
  // What a database from before the version was recorded looks like: no row (rules v1).
  db.prepare("DELETE FROM meta WHERE key = 'rules_version'").run();
  const contents = (d: Database.Database) =>
    JSON.stringify([d.prepare('SELECT * FROM meta ORDER BY key').all(), d.prepare('SELECT idx, record_hash FROM wal ORDER BY idx').all()]);
  const before = contents(db);
  db.close();
  let err: unknown = null;
  try {
    Host.open({ db: path, verify_workers: 0 }).close();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(HostError);
  expect((err as HostError).code).toBe('rules_mismatch');
  expect((err as HostError).message).toMatch(
    new RegExp(`written under SWOOSH rules v1 .* this build runs rules v${RULES_VERSION} .* not corruption .*docs/upgrading\\.md`),
  );
  expect((err as HostError).message).not.toMatch(/corrupt(ed)?-wal|is corrupt/);
  const after = new Database(path);
  expect(contents(after)).toBe(before);
  after.close();
});
