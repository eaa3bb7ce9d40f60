// Forced snapshot rollback, done to the writer's file while the writer is down: the
// newest snapshots are deleted, corrupted (bytes changed: the checksum no longer holds),
// or forged (state changed and every checksum recomputed, so only the comparison with the
// WAL record can tell). The next start must recover from an older snapshot plus the WAL
// (docs/runbooks/snapshot-restore.md) and reach exactly the same HEAD.
//
// Also the final audit of the snapshots table: every snapshot must agree with the state
// the model reached at its index, except those this run damaged on purpose.

import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { canonicalize } from '../../core/canonical';
import { openDatabase } from '../store/native';
import type { Prng } from '../../core/workload/rng';

export type RollbackKind = 'delete' | 'corrupt' | 'forge';

export interface RollbackAction {
  kind: RollbackKind;
  /** Snapshot indexes taken away (deleted) or damaged. */
  indexes: number[];
  /** What recovery must now start from: the newest undamaged snapshot (null = genesis). */
  expected_snapshot: number | null;
  /** Damaged snapshots newer than that one, which recovery must report as skipped. */
  expected_skipped: number[];
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The store's checksum formula (main/store/store.ts snapshotChecksum), to forge a self-consistent snapshot. */
function checksumOf(index: number, stateHash: string, recordHash: string, stateText: string): string {
  return sha256Hex(`${index}\n${stateHash}\n${recordHash}\n${stateText}`);
}

function withDb<T>(path: string, f: (db: Database.Database) => T): T {
  const db = openDatabase(path);
  try {
    return f(db);
  } finally {
    db.close();
  }
}

/** Where recovery must start given the snapshots on file and those damaged so far. */
export function expectedRecovery(path: string, damaged: ReadonlySet<number>): { snapshot: number | null; skipped: number[] } {
  return withDb(path, (db) => {
    const length = (db.prepare('SELECT MAX(idx) AS n FROM wal').get() as { n: number | null }).n ?? 0;
    const rows = db.prepare('SELECT idx FROM snapshots WHERE idx <= ? ORDER BY idx DESC').all(length) as Array<{ idx: number }>;
    const skipped: number[] = [];
    for (const r of rows) {
      if (!damaged.has(r.idx)) return { snapshot: r.idx, skipped };
      skipped.push(r.idx);
    }
    return { snapshot: null, skipped };
  });
}

/** Deletes, corrupts or forges the newest 1–3 snapshots. `damaged` accumulates what stays damaged on file. */
export function rollbackSnapshots(path: string, rng: Prng, damaged: Set<number>): RollbackAction | null {
  const kind = rng.pick<RollbackKind>(['delete', 'corrupt', 'forge']);
  const depth = 1 + rng.int(3);
  const indexes = withDb(path, (db) => {
    const rows = db
      .prepare(
        'SELECT idx, state, state_hash, record_hash FROM snapshots WHERE idx NOT IN (SELECT value FROM json_each(?)) ORDER BY idx DESC LIMIT ?',
      )
      .all(JSON.stringify([...damaged]), depth) as Array<{ idx: number; state: string; state_hash: string; record_hash: string }>;
    if (rows.length === 0) return [];
    const tx = db.transaction(() => {
      for (const r of rows) {
        if (kind === 'delete') {
          db.prepare('DELETE FROM snapshots WHERE idx = ?').run(r.idx);
        } else if (kind === 'corrupt') {
          // One character of the stored state changes; checksum and hash stay as they were.
          const at = Math.floor(r.state.length / 2);
          const flipped = r.state.slice(0, at) + (r.state[at] === '0' ? '1' : '0') + r.state.slice(at + 1);
          db.prepare('UPDATE snapshots SET state = ? WHERE idx = ?').run(flipped, r.idx);
        } else {
          // A well-formed, self-consistent snapshot of a state that never was: only the WAL
          // record's state_post_hash can expose it.
          const state = JSON.parse(r.state) as { ingestion: { rollbacks: number } };
          state.ingestion.rollbacks += 1000;
          const canonicalText = canonicalize(state);
          const hash = `sha256-${sha256Hex(canonicalText)}`;
          db.prepare('UPDATE snapshots SET state = ?, state_hash = ?, checksum = ? WHERE idx = ?').run(
            canonicalText,
            hash,
            checksumOf(r.idx, hash, r.record_hash, canonicalText),
            r.idx,
          );
        }
      }
    });
    tx();
    return rows.map((r) => r.idx);
  });
  if (indexes.length === 0) return null;
  if (kind !== 'delete') for (const i of indexes) damaged.add(i);
  const expected = expectedRecovery(path, damaged);
  return { kind, indexes, expected_snapshot: expected.snapshot, expected_skipped: expected.skipped };
}

export interface SnapshotAudit {
  checked: number;
  /** Snapshots that are damaged although this run never touched them, or intact although it did. */
  problems: string[];
}

/** Every snapshot on file agrees with the model's hash at its index, except the damaged ones. */
export function auditSnapshots(path: string, hashes: readonly string[], damaged: ReadonlySet<number>): SnapshotAudit {
  const rows = withDb(
    path,
    (db) =>
      db.prepare('SELECT idx, state, state_hash, record_hash, checksum FROM snapshots ORDER BY idx').all() as Array<{
        idx: number;
        state: string;
        state_hash: string;
        record_hash: string;
        checksum: string;
      }>,
  );
  const problems: string[] = [];
  for (const r of rows) {
    const sound =
      checksumOf(r.idx, r.state_hash, r.record_hash, r.state) === r.checksum &&
      `sha256-${sha256Hex(r.state)}` === r.state_hash &&
      r.state_hash === hashes[r.idx];
    if (damaged.has(r.idx) && sound) problems.push(`snapshot ${r.idx} was damaged by the run but checks out`);
    if (!damaged.has(r.idx) && !sound)
      problems.push(`snapshot ${r.idx} does not match the state at its index (${r.state_hash} vs ${hashes[r.idx] ?? 'no such index'})`);
  }
  return { checked: rows.length, problems };
}
