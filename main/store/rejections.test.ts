// The rejections log under a flood from nobody in particular: junk is kept as a digest under
// its own bound, so it can neither fill the disk at 16 KiB a row nor evict the rejections
// of real signers, which are kept whole.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { REJECTIONS_MAX, Store, UNAUTHENTICATED_PREFIX_CHARS, UNAUTHENTICATED_REJECTIONS_MAX, type NewRejection } from './store';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'swoosh-rejections-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function rejection(code: string, n: number, proposal: unknown): NewRejection {
  return {
    at_ms: n,
    head_index: 0,
    idem_key: `k-${n}`,
    transition: 'Boot_ConfigOk',
    signer: null,
    hlc: null,
    code,
    guard: null,
    reason: `${code} #${n}`,
    reasons: [],
    proposal,
  };
}

const JUNK = { transition: 'x', inputs: { pad: 'z'.repeat(16_000) } };

describe('rejections log storage', () => {
  it('keeps a digest of unauthenticated proposals and the whole of authenticated ones', () => {
    const store = new Store(join(dir, 'a.db'));
    store.commit({ records: [], snapshots: [], rejections: [rejection('bad_signature', 1, JUNK), rejection('role_denied', 2, JUNK)] });
    const [junk, real] = store.rejections(0, 10);
    const digest = junk!.proposal as { digest_only: boolean; sha256: string; chars: number; prefix: string };
    expect(digest.digest_only).toBe(true);
    expect(digest.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(digest.chars).toBe(JSON.stringify(JUNK).length);
    expect(digest.prefix).toHaveLength(UNAUTHENTICATED_PREFIX_CHARS);
    expect(real!.proposal).toEqual(JUNK);
    store.close();
  });

  it("a flood of junk stays under its own bound and never evicts a real signer's rejection", () => {
    const path = join(dir, 'b.db');
    const store = new Store(path);
    const flood = UNAUTHENTICATED_REJECTIONS_MAX + 3_000;
    for (let n = 0; n < flood; n += 500) {
      const batch = Array.from({ length: 500 }, (_, i) => rejection('malformed', n + i, JUNK));
      if (n === 5_000) batch.push(rejection('guard_failed', -1, { real: true }));
      store.commit({ records: [], snapshots: [], rejections: batch });
    }
    const byClass = (a: number): number =>
      (store.db.prepare('SELECT COUNT(*) AS n FROM rejections WHERE authenticated = ?').get(a) as { n: number }).n;
    expect(byClass(0)).toBeLessThanOrEqual(UNAUTHENTICATED_REJECTIONS_MAX + 1_000);
    expect(byClass(0)).toBeGreaterThanOrEqual(UNAUTHENTICATED_REJECTIONS_MAX);
    expect(byClass(1)).toBe(1);
    const kept = store.db.prepare("SELECT proposal FROM rejections WHERE code = 'guard_failed'").get() as { proposal: string };
    expect(JSON.parse(kept.proposal)).toEqual({ real: true });
    // ≈ 13k junk rows of 16 KiB bodies cost well under 1 KiB each on disk.
    store.db.pragma('wal_checkpoint(TRUNCATE)');
    const bytesPerRow = statSync(path).size / flood;
    expect(bytesPerRow).toBeLessThan(1_024);
    expect(REJECTIONS_MAX).toBeGreaterThan(UNAUTHENTICATED_REJECTIONS_MAX);
    store.close();
  });

  it('a database from a build without the two classes gains the column; its rows count as authenticated', () => {
    const path = join(dir, 'old.db');
    const db = new Database(path);
    db.exec(`CREATE TABLE rejections (id INTEGER PRIMARY KEY AUTOINCREMENT, at_ms INTEGER NOT NULL, head_index INTEGER NOT NULL,
      idem_key TEXT, transition TEXT, signer TEXT, hlc TEXT, code TEXT NOT NULL, guard TEXT, reason TEXT NOT NULL, reasons TEXT NOT NULL, proposal TEXT);
      INSERT INTO rejections (at_ms, head_index, code, reason, reasons, proposal) VALUES (1, 0, 'malformed', 'old', '[]', '{"old":true}');`);
    db.close();
    const store = new Store(path);
    const row = store.db.prepare('SELECT authenticated, proposal FROM rejections').get() as { authenticated: number; proposal: string };
    expect(row).toEqual({ authenticated: 1, proposal: '{"old":true}' });
    expect(store.rejections(0, 5)).toHaveLength(1);
    store.close();
  });
});
