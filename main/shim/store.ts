// The shim's own SQLite file: the mirror outbox and the divergence log.
//
// The outbox is what makes mirroring survive a kill -9: a shadow request's mirror is
// written here (synchronous, fsync'd) before the caller gets WHOOSH's answer, and each
// signed proposal is stored before it is sent, so after a restart the shim re-sends the
// very same bytes (SWOOSH answers 200 duplicate if it had applied them) instead of
// signing a new proposal under the same idem_key (which SWOOSH would refuse as
// idem_key_conflict). Finished rows and divergences are pruned oldest first.

import type Database from 'better-sqlite3';
import { openDatabase } from '../store/native';
import type { Json, Proposal } from '../../core/types';
import type { Region } from './map';

export const DIVERGENCES_MAX = 10_000;
export const OUTBOX_DONE_MAX = 20_000;
/** Mirrors not yet settled; beyond this, shadow and swoosh requests are refused with 503. */
export const OUTBOX_PENDING_MAX = 5_000;
export const PAGE_LIMIT_MAX = 1_000;

export type RowStatus = 'pending' | 'applied' | 'rejected';

export interface OutboxRow {
  seq: number;
  idem_key: string;
  route: string;
  region: Region;
  mode: 'shadow' | 'swoosh';
  transition: string;
  inputs: Record<string, Json>;
  inputs_hash: string;
  hlc_hint: string | null;
  window_hint: string | null;
  proposal: Proposal | null;
  status: RowStatus;
  outcome: Record<string, Json> | null;
  created_ms: number;
}

export interface Divergence {
  seq: number;
  region: Region;
  route: string;
  legacy: Json;
  swoosh: Json;
  detail: string;
  at_ms: number;
}

type RawRow = Omit<OutboxRow, 'inputs' | 'proposal' | 'outcome'> & { inputs: string; proposal: string | null; outcome: string | null };

export interface ShimStoreLimits {
  divergences_max?: number;
  outbox_done_max?: number;
}

export class ShimStore {
  private readonly db: Database.Database;
  private readonly divergencesMax: number;
  private readonly doneMax: number;

  constructor(path: string, limits: ShimStoreLimits = {}) {
    this.divergencesMax = limits.divergences_max ?? DIVERGENCES_MAX;
    this.doneMax = limits.outbox_done_max ?? OUTBOX_DONE_MAX;
    this.db = openDatabase(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS outbox (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        idem_key TEXT NOT NULL UNIQUE,
        route TEXT NOT NULL, region TEXT NOT NULL, mode TEXT NOT NULL, transition TEXT NOT NULL,
        inputs TEXT NOT NULL, inputs_hash TEXT NOT NULL, hlc_hint TEXT, window_hint TEXT,
        proposal TEXT, status TEXT NOT NULL, outcome TEXT, created_ms INTEGER NOT NULL
      );
      CREATE INDEX IF NOT EXISTS outbox_pending ON outbox(status, seq);
      CREATE TABLE IF NOT EXISTS divergences (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        region TEXT NOT NULL, route TEXT NOT NULL, legacy TEXT NOT NULL, swoosh TEXT NOT NULL,
        detail TEXT NOT NULL, at_ms INTEGER NOT NULL
      );
    `);
  }

  close(): void {
    this.db.close();
  }

  byIdem(idem_key: string): OutboxRow | null {
    const r = this.db.prepare('SELECT * FROM outbox WHERE idem_key = ?').get(idem_key) as RawRow | undefined;
    return r ? decodeRow(r) : null;
  }

  /** Inserts a pending mirror; an existing row under the same idem_key is returned as is. */
  enqueue(row: Omit<OutboxRow, 'seq' | 'proposal' | 'status' | 'outcome'>): OutboxRow {
    this.db
      .prepare(`INSERT OR IGNORE INTO outbox (idem_key, route, region, mode, transition, inputs, inputs_hash, hlc_hint, window_hint, status, created_ms)
      VALUES (@idem_key, @route, @region, @mode, @transition, @inputs, @inputs_hash, @hlc_hint, @window_hint, 'pending', @created_ms)`)
      .run({ ...row, inputs: JSON.stringify(row.inputs) });
    return this.byIdem(row.idem_key) as OutboxRow;
  }

  pending(limit: number): OutboxRow[] {
    const rows = this.db.prepare("SELECT * FROM outbox WHERE status = 'pending' ORDER BY seq LIMIT ?").all(limit) as RawRow[];
    return rows.map(decodeRow);
  }

  pendingCount(region?: Region): number {
    const sql = region
      ? "SELECT count(*) AS n FROM outbox WHERE status = 'pending' AND region = ?"
      : "SELECT count(*) AS n FROM outbox WHERE status = 'pending'";
    const r = (region ? this.db.prepare(sql).get(region) : this.db.prepare(sql).get()) as { n: number };
    return r.n;
  }

  /** Stores the signed proposal before it is sent (see the header comment). */
  saveProposal(seq: number, proposal: Proposal): void {
    this.db.prepare('UPDATE outbox SET proposal = ? WHERE seq = ?').run(JSON.stringify(proposal), seq);
  }

  finish(seq: number, status: Exclude<RowStatus, 'pending'>, outcome: Record<string, Json>): void {
    this.db.prepare('UPDATE outbox SET status = ?, outcome = ? WHERE seq = ?').run(status, JSON.stringify(outcome), seq);
    this.db.prepare("DELETE FROM outbox WHERE status != 'pending' AND seq <= (SELECT max(seq) FROM outbox) - ?").run(this.doneMax);
  }

  record(d: Omit<Divergence, 'seq'>): Divergence {
    const info = this.db
      .prepare('INSERT INTO divergences (region, route, legacy, swoosh, detail, at_ms) VALUES (?, ?, ?, ?, ?, ?)')
      .run(d.region, d.route, JSON.stringify(d.legacy), JSON.stringify(d.swoosh), d.detail, d.at_ms);
    const seq = Number(info.lastInsertRowid);
    this.db.prepare('DELETE FROM divergences WHERE seq <= ?').run(seq - this.divergencesMax);
    return { seq, ...d };
  }

  divergences(from: number, limit: number): Divergence[] {
    const rows = this.db
      .prepare('SELECT * FROM divergences WHERE seq >= ? ORDER BY seq LIMIT ?')
      .all(from, Math.min(limit, PAGE_LIMIT_MAX)) as Array<Omit<Divergence, 'legacy' | 'swoosh'> & { legacy: string; swoosh: string }>;
    return rows.map((r) => ({ ...r, legacy: JSON.parse(r.legacy) as Json, swoosh: JSON.parse(r.swoosh) as Json }));
  }

  divergenceCount(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM divergences').get() as { n: number }).n;
  }
}

function decodeRow(r: RawRow): OutboxRow {
  return {
    ...r,
    inputs: JSON.parse(r.inputs) as Record<string, Json>,
    proposal: r.proposal === null ? null : (JSON.parse(r.proposal) as Proposal),
    outcome: r.outcome === null ? null : (JSON.parse(r.outcome) as Record<string, Json>),
  };
}
