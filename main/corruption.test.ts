// Damaged databases: recovery must route around bad snapshots (and never trust a forged
// one), and a damaged WAL must be reported by index, never replayed past: `swoosh verify`
// exits 1 naming the first bad record and `swoosh serve` refuses to start with one clear
// line. `swoosh replay --to N` must equal the pure reducer's state N.
//
// The WAL is realistic and deterministic: a Scenario lifecycle (boot, the three regions,
// three REVERB loops, then a short suffix) submitted through Host.open + engine.submit
// with snapshot_every 5, under a fixed clock.

import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalize } from '../core/canonical';
import { Scenario } from '../core/testing/scenario';
import type { ReduceResult } from '../core/reduce';
import type { Genesis, Proposal } from '../core/types';
import { headAt, Host } from './host';
import { loadMachine } from './machine';
import { genesisHead, replayRows } from './engine/replay';
import { proposalHashOf, recordHashOf, sha256HexNative, Store } from './store/store';
import { lastJsonLine, runSwoosh, startServe } from './testing/proc';

const spec = loadMachine();

/** A Scenario that keeps every accepted proposal, in order. */
class Recording extends Scenario {
  readonly proposals: Proposal[] = [];
  override submit(proposal: Proposal): ReduceResult {
    const r = super.submit(proposal);
    if (r.ok) this.proposals.push(proposal);
    return r;
  }
}

let root: string;
let template: string;
let sc: Recording;
let genesis: Genesis;
/** hashes[i] = state hash after record i (hashes[0] = state 0). */
let hashes: string[];
let hlcs: Array<string | null>;
let snapshotIndexes: number[];
let length: number;
let newestSnapshot: number;
let seq = 0;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'swoosh-corruption-'));
  sc = new Recording(spec);
  sc.toExecution().reverbLoop().reverbLoop().reverbLoop();
  sc.step('Execution_PlanLocked', { plan_hash: `sha256-${'a'.repeat(64)}` });
  sc.step('Control_Pause', { reason: 'suffix one' }, sc.operator);
  sc.step('Control_Resume', { reason: 'suffix two' }, sc.operator);
  sc.step('Control_Pause', { reason: 'suffix three' }, sc.operator);
  genesis = sc.genesis;
  hashes = [sc.records[0]!.state_pre_hash, ...sc.records.map((r) => r.state_post_hash)];
  hlcs = [null, ...sc.records.map((r) => r.hlc)];

  template = join(root, 'template.db');
  const fixed = sc.wall_ms + 1000; // every HLC is in the past of this clock: no hlc_from_future
  const host = Host.open({ db: template, genesis, snapshot_every: 5, clock: { now_ms: () => fixed } });
  try {
    for (const p of sc.proposals) {
      const r = await host.engine.submit(p);
      if (r.status !== 202) throw new Error(`${p.transition}: ${JSON.stringify(r)}`);
    }
    expect(host.head.hash).toBe(sc.head.hash);
    length = host.head.index;
    snapshotIndexes = host.store.snapshotIndexes();
  } finally {
    host.close();
  }
  // Fold SQLite's -wal file into the main file, so one file is the whole database.
  const c = new Database(template);
  c.pragma('wal_checkpoint(TRUNCATE)');
  c.close();
  newestSnapshot = Math.max(...snapshotIndexes);
});

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A fresh copy of the template database. */
function copyDb(): string {
  seq += 1;
  const path = join(root, `case-${seq}.db`);
  copyFileSync(template, path);
  if (existsSync(`${template}-wal`)) copyFileSync(`${template}-wal`, `${path}-wal`);
  return path;
}

function edit(path: string, f: (db: Database.Database) => void): void {
  const db = new Database(path);
  try {
    f(db);
  } finally {
    db.close();
  }
}

/** Changes one character of `text` at `at` (to another printable character, same length). */
function flipChar(text: string, at: number): string {
  const c = text.charCodeAt(at);
  const other = c === 0x41 ? 0x42 : 0x41; // 'A' ↔ 'B'
  return text.slice(0, at) + String.fromCharCode(other) + text.slice(at + 1);
}

function snapshotChecksum(index: number, stateHash: string, recordHash: string, stateText: string): string {
  return sha256HexNative(`${index}\n${stateHash}\n${recordHash}\n${stateText}`);
}

function open(path: string): Host {
  return Host.open({ db: path });
}

async function verify(path: string): Promise<{ code: number | null; out: Record<string, unknown>; stderr: string }> {
  const r = await runSwoosh(['verify', '--db', path]);
  return { code: r.code, out: lastJsonLine(r.stdout), stderr: r.stderr };
}

/** `swoosh serve` on a damaged database: must exit non-zero with one line naming `index`. */
async function expectServeRefuses(path: string, index: number): Promise<string> {
  let failure: unknown = null;
  try {
    const srv = await startServe({ db: path, ready_timeout_ms: 30_000 });
    await srv.stop();
  } catch (err) {
    failure = err;
  }
  expect(failure, 'swoosh serve started on a corrupt WAL').not.toBeNull();
  const f = failure as { exit: { code: number | null } | null; stderr: string; stdout: string };
  expect(f.exit?.code).toBe(1);
  const lines = f.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines, f.stderr).toHaveLength(1);
  const line = lines[0] as string;
  expect(line).toMatch(new RegExp(`^swoosh serve: WAL record ${index} is corrupt: `));
  expect(line).toContain(`swoosh verify --db ${path}`);
  expect(f.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(f.stdout).not.toContain('serving');
  return line;
}

describe('the generated database', () => {
  it('has several snapshots and a WAL suffix past the newest one', async () => {
    expect(length).toBe(38);
    expect(snapshotIndexes.length).toBeGreaterThanOrEqual(6);
    expect(newestSnapshot).toBe(35);
    const v = await verify(copyDb());
    expect(v.code, JSON.stringify(v)).toBe(0);
    expect(v.out).toMatchObject({ ok: true, verified: length, state_hash: hashes[length], snapshots: snapshotIndexes.length });
    const host = open(copyDb());
    expect(host.recovery).toMatchObject({ snapshot_index: newestSnapshot, skipped_snapshots: [], replayed: length - newestSnapshot });
    expect(host.head.hash).toBe(hashes[length]);
    host.close();
  });
});

describe('(a) damaged snapshots: recovery falls back to an older one', () => {
  it('skips the newest snapshot when its checksum is corrupt, and says so', async () => {
    const path = copyDb();
    edit(path, (db) => {
      const row = db.prepare('SELECT checksum FROM snapshots WHERE idx = ?').get(newestSnapshot) as { checksum: string };
      db.prepare('UPDATE snapshots SET checksum = ? WHERE idx = ?').run(flipChar(row.checksum, 7), newestSnapshot);
    });
    const host = open(path);
    const older = Math.max(...snapshotIndexes.filter((i) => i < newestSnapshot));
    expect(host.recovery.skipped_snapshots).toEqual([{ index: newestSnapshot, problem: 'checksum mismatch' }]);
    expect(host.recovery.snapshot_index).toBe(older);
    expect(host.recovery.replayed).toBe(length - older);
    expect(host.head.hash).toBe(hashes[length]);
    expect(host.head.index).toBe(length);
    host.close();
    const v = await verify(path);
    expect(v.code).toBe(1);
    expect(v.out).toMatchObject({ ok: false, first_bad_index: newestSnapshot });
    expect(String(v.out.problem)).toMatch(/snapshot: checksum mismatch/);
  });

  it('skips the two newest snapshots when bytes of their state are corrupt', () => {
    const path = copyDb();
    const [n1, n2] = [...snapshotIndexes].sort((a, b) => b - a) as [number, number];
    edit(path, (db) => {
      for (const idx of [n1, n2]) {
        const row = db.prepare('SELECT state FROM snapshots WHERE idx = ?').get(idx) as { state: string };
        const at = row.state.indexOf('"policy"') + 3;
        db.prepare('UPDATE snapshots SET state = ? WHERE idx = ?').run(flipChar(row.state, at), idx);
      }
    });
    const host = open(path);
    expect(host.recovery.skipped_snapshots.map((s) => s.index)).toEqual([n1, n2]);
    for (const s of host.recovery.skipped_snapshots) expect(s.problem).toBe('checksum mismatch');
    const older = Math.max(...snapshotIndexes.filter((i) => i < n2));
    expect(host.recovery.snapshot_index).toBe(older);
    expect(host.head.hash).toBe(hashes[length]);
    host.close();
  });

  it('recovers from an older snapshot when the newest rows are deleted', () => {
    const path = copyDb();
    const sorted = [...snapshotIndexes].sort((a, b) => b - a);
    const gone = sorted.slice(0, 3);
    edit(path, (db) => {
      for (const idx of gone) db.prepare('DELETE FROM snapshots WHERE idx = ?').run(idx);
    });
    const host = open(path);
    expect(host.recovery.skipped_snapshots).toEqual([]);
    expect(host.recovery.snapshot_index).toBe(sorted[3]);
    expect(host.head.hash).toBe(hashes[length]);
    expect(host.stateAt(sorted[0]! - 1).hash).toBe(hashes[sorted[0]! - 1]);
    host.close();
  });

  it('replays from genesis when every snapshot is corrupt', () => {
    const path = copyDb();
    edit(path, (db) => db.prepare("UPDATE snapshots SET checksum = 'x'").run());
    const host = open(path);
    expect(host.recovery.snapshot_index).toBeNull();
    expect(host.recovery.skipped_snapshots.map((s) => s.index)).toEqual([...snapshotIndexes].sort((a, b) => b - a));
    expect(host.recovery.replayed).toBe(length);
    expect(host.head.hash).toBe(hashes[length]);
    host.close();
  });
});

describe('(b) a damaged WAL record is reported by index and never replayed past', () => {
  const bad = 37; // after the newest snapshot (35): recovery must replay it

  it('one changed character in the stored body: verify names it, serve refuses', async () => {
    const path = copyDb();
    edit(path, (db) => {
      const row = db.prepare('SELECT body FROM wal WHERE idx = ?').get(bad) as { body: string };
      const at = row.body.indexOf('suffix two') + 2; // "suffix two" → "suAfix two": still valid JSON
      expect(at).toBeGreaterThan(2);
      db.prepare('UPDATE wal SET body = ? WHERE idx = ?').run(flipChar(row.body, at), bad);
    });
    const v = await verify(path);
    expect(v.code).toBe(1);
    expect(v.out).toMatchObject({ ok: false, first_bad_index: bad, verified: bad - 1, length });
    expect(String(v.out.problem)).toMatch(/record_hash does not match/);
    expect(() => open(path)).toThrow(new RegExp(`WAL record ${bad} is corrupt`));
    await expectServeRefuses(path, bad);
  });

  it('a flipped byte in the raw database file is found the same way', async () => {
    const path = copyDb();
    const bytes = readFileSync(path);
    const needle = Buffer.from('suffix two', 'utf8');
    const at = bytes.indexOf(needle);
    expect(at).toBeGreaterThan(0);
    bytes[at + 2] = (bytes[at + 2] as number) ^ 0x20; // 'f' → 'F': same length, still valid UTF-8 and JSON
    writeFileSync(path, bytes);
    const v = await verify(path);
    expect(v.code).toBe(1);
    expect(v.out).toMatchObject({ ok: false, first_bad_index: bad });
    await expectServeRefuses(path, bad);
  });

  it('a body rewritten with a recomputed record_hash breaks the link to the next record', async () => {
    const path = copyDb();
    const target = 12;
    edit(path, (db) => {
      const row = db.prepare('SELECT body FROM wal WHERE idx = ?').get(target) as { body: string };
      const body = JSON.parse(row.body) as { accepted_at_ms: number };
      body.accepted_at_ms += 1;
      const text = canonicalize(body);
      db.prepare('UPDATE wal SET body = ?, record_hash = ? WHERE idx = ?').run(text, `sha256-${sha256HexNative(text)}`, target);
    });
    const v = await verify(path);
    expect(v.code).toBe(1);
    expect(v.out).toMatchObject({ ok: false, first_bad_index: target + 1 });
    expect(String(v.out.problem)).toMatch(/prev_record_hash/);
  });

  it('a forged proposal re-chained as the store would: only its signature is wrong, and verify names it', async () => {
    const path = copyDb();
    const target = 9;
    edit(path, (db) => {
      forgeEvidenceAndRechain(db, target, 'bubble://forged/after-the-fact');
      // Control: the strict replay that trusts signatures reproduces every record's state
      // hash and body, to the end. The chain, the states and the head are all consistent.
      const store = rowsOf(db);
      const head = replayRows(genesisHead(genesis, spec), store, { spec, strict: true });
      expect(head.index).toBe(length);
      expect(head.hash).toBe(hashes[length]);
    });
    const v = await verify(path);
    expect(v.code).toBe(1);
    expect(v.out).toMatchObject({ ok: false, first_bad_index: target, verified: target - 1, length });
    expect(String(v.out.problem)).toMatch(/^the reducer rejects it on replay: bad_signature: signature does not verify/);
    // Recovery trusts the chain (decision 0018) and starts from a snapshot past the forgery:
    // the host opens; `swoosh verify`, which checks every signature, is what catches it.
    const host = open(path);
    expect(host.head).toMatchObject({ index: length, hash: hashes[length] });
    host.close();
  });
});

/**
 * Adds `evidence` to record `target`'s proposal (a signed field the state does not hold),
 * then rewrites what the store derives from it, as Store.commit would: the record hash, every
 * later record's prev_record_hash and record hash, the snapshots' record hashes and
 * checksums, and the committed head. Only the signature can tell.
 */
function forgeEvidenceAndRechain(db: Database.Database, target: number, evidence: string): void {
  const rows = db.prepare('SELECT idx, body FROM wal WHERE idx >= ? ORDER BY idx').all(target) as Array<{ idx: number; body: string }>;
  const update = db.prepare('UPDATE wal SET body = ?, record_hash = ?, proposal_hash = ? WHERE idx = ?');
  let prev: string | null = null;
  const rechained = new Map<number, string>();
  for (const row of rows) {
    const record = JSON.parse(row.body) as { prev_record_hash: string; evidence: string[]; proposal: Proposal };
    if (row.idx === target) {
      record.proposal.evidence = [...record.proposal.evidence, evidence];
      record.evidence = record.proposal.evidence;
    }
    if (prev !== null) record.prev_record_hash = prev;
    const text = canonicalize(record);
    prev = recordHashOf(text);
    rechained.set(row.idx, prev);
    update.run(text, prev, proposalHashOf(record.proposal), row.idx);
  }
  const snaps = db.prepare('SELECT idx, state, state_hash FROM snapshots WHERE idx >= ?').all(target) as Array<{
    idx: number;
    state: string;
    state_hash: string;
  }>;
  for (const s of snaps) {
    const recordHash = rechained.get(s.idx) as string;
    db.prepare('UPDATE snapshots SET record_hash = ?, checksum = ? WHERE idx = ?').run(
      recordHash,
      snapshotChecksum(s.idx, s.state_hash, recordHash, s.state),
      s.idx,
    );
  }
  db.prepare("UPDATE meta SET value = ? WHERE key = 'committed_head'").run(JSON.stringify({ index: length, record_hash: prev }));
}

function rowsOf(db: Database.Database): Array<{ index: number; body: string; record_hash: string }> {
  return (
    db.prepare('SELECT idx, body, record_hash FROM wal ORDER BY idx').all() as Array<{ idx: number; body: string; record_hash: string }>
  ).map((r) => ({ index: r.idx, body: r.body, record_hash: r.record_hash }));
}

describe('(c) a gap in the WAL', () => {
  const missing = 36; // after the newest snapshot (35)

  it('verify reports it and serve refuses to start', async () => {
    const path = copyDb();
    edit(path, (db) => db.prepare('DELETE FROM wal WHERE idx = ?').run(missing));
    const v = await verify(path);
    expect(v.code).toBe(1);
    expect(v.out.ok).toBe(false);
    expect([missing, missing + 1]).toContain(v.out.first_bad_index);
    expect(String(v.out.problem)).toMatch(new RegExp(`expected index ${missing}|missing record`));
    expect(v.out.verified).toBe(missing - 1);
    expect(() => open(path)).toThrow(/is corrupt/);
  });

  it('a gap before the newest snapshot is found by verify', async () => {
    const path = copyDb();
    edit(path, (db) => db.prepare('DELETE FROM wal WHERE idx = ?').run(12));
    const v = await verify(path);
    expect(v.code).toBe(1);
    expect(v.out.verified).toBe(11);
  });

  // on the next stored row with CorruptionError(row.index, "expected index N"), so verify
  // prints first_bad_index N+1 and serve says "WAL record N+1 is corrupt", while a gap at
  // the end (and host.ts's own check) name the missing index N. The first bad index of a
  // WAL missing record N is N.
  it('verify and serve name the missing index itself', async () => {
    const path = copyDb();
    edit(path, (db) => db.prepare('DELETE FROM wal WHERE idx = ?').run(missing));
    const v = await verify(path);
    expect(v.out.first_bad_index).toBe(missing);
    await expectServeRefuses(path, missing);
  });
});

describe('(c2) the newest records deleted (the chain that is left still links)', () => {
  it('verify names the first missing index and serve refuses to start', async () => {
    const path = copyDb();
    edit(path, (db) => db.prepare('DELETE FROM wal WHERE idx > ?').run(length - 3));
    const v = await verify(path);
    expect(v.code).toBe(1);
    expect(v.out).toMatchObject({ ok: false, first_bad_index: length - 2 });
    expect(String(v.out.problem)).toMatch(new RegExp(`newest records are missing: the last commit ended at #${length}`));
    const line = await expectServeRefuses(path, length - 2);
    expect(line).toMatch(/newest records are missing/);
  });

  it('a database from a build without the head row adopts its end on first open, then checks it', () => {
    const path = copyDb();
    edit(path, (db) => db.prepare("DELETE FROM meta WHERE key = 'committed_head'").run());
    const host = open(path);
    expect(host.store.committedHead()).toEqual({ index: length, record_hash: host.head.record_hash });
    host.close();
    edit(path, (db) => db.prepare('DELETE FROM wal WHERE idx = ?').run(length));
    expect(() => open(path)).toThrow(new RegExp(`WAL record ${length} is corrupt: the newest records are missing`));
  });

  it('a record rewritten at the end (same index, other hash) is named too', async () => {
    const path = copyDb();
    edit(path, (db) => db.prepare('UPDATE wal SET record_hash = ? WHERE idx = ?').run('sha256-' + '0'.repeat(64), length));
    const v = await verify(path);
    expect(v.code).toBe(1);
    expect(v.out.first_bad_index).toBe(length);
  });
});

describe('(g) page-level damage (overwritten file pages)', () => {
  /** Overwrites the file page that holds record `index`'s body with garbage; returns that page's number. */
  function smashPageOf(path: string, index: number): number {
    const db = new Database(path);
    const body = (db.prepare('SELECT body FROM wal WHERE idx = ?').get(index) as { body: string }).body;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();
    const file = readFileSync(path);
    const needle = Buffer.from(body.slice(0, 120), 'utf8');
    const at = file.indexOf(needle);
    expect(at, 'the record body is in the main file').toBeGreaterThan(0);
    const page = Math.floor(at / pageSize);
    file.fill(0xa5, page * pageSize, (page + 1) * pageSize);
    writeFileSync(path, file);
    return page;
  }

  it("verify names the first unreadable record with SQLite's integrity check, and serve refuses in one line, no stack", async () => {
    const path = copyDb();
    // A record recovery must read (after the newest snapshot), so that serve meets the damage too.
    const target = newestSnapshot + 1;
    expect(target).toBeLessThanOrEqual(length);
    smashPageOf(path, target);
    const v = await verify(path);
    expect(v.code).toBe(1);
    expect(v.out.ok).toBe(false);
    const first = v.out.first_bad_index as number;
    expect(first).toBeGreaterThanOrEqual(1);
    expect(first).toBeLessThanOrEqual(target);
    expect(String(v.out.problem)).toMatch(new RegExp(`damaged at page level: WAL record ${first} is the first that cannot be read`));
    expect((v.out.integrity as string[]).length).toBeGreaterThan(0);
    expect(v.stderr).not.toMatch(/SqliteError|\n\s+at /);
    let failure: unknown = null;
    try {
      const srv = await startServe({ db: path, ready_timeout_ms: 30_000 });
      await srv.stop();
    } catch (err) {
      failure = err;
    }
    const f = failure as { exit: { code: number | null } | null; stderr: string };
    expect(f.exit?.code).toBe(1);
    const lines = f.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^swoosh serve: WAL record ${first} is unreadable: the database file is damaged at page level`));
  });
});

describe('(d) a forged snapshot (wrong state, recomputed hashes) is not trusted', () => {
  function forge(path: string, idx: number, recomputeStateHash: boolean): void {
    edit(path, (db) => {
      const row = db.prepare('SELECT state, state_hash, record_hash FROM snapshots WHERE idx = ?').get(idx) as {
        state: string;
        state_hash: string;
        record_hash: string;
      };
      const state = JSON.parse(row.state) as { control: { paused: boolean; last_reason: string | null } };
      state.control = { ...state.control, paused: !state.control.paused, last_reason: 'forged' };
      const text = canonicalize(state);
      const stateHash = recomputeStateHash ? `sha256-${sha256HexNative(text)}` : row.state_hash;
      db.prepare('UPDATE snapshots SET state = ?, state_hash = ?, checksum = ? WHERE idx = ?').run(
        text,
        stateHash,
        snapshotChecksum(idx, stateHash, row.record_hash, text),
        idx,
      );
    });
  }

  it('recomputed state hash and checksum: disagrees with the WAL record, skipped', async () => {
    const path = copyDb();
    forge(path, newestSnapshot, true);
    const host = open(path);
    expect(host.recovery.skipped_snapshots).toEqual([
      { index: newestSnapshot, problem: `record ${newestSnapshot} state_post_hash differs from the snapshot's` },
    ]);
    expect(host.head.hash).toBe(hashes[length]);
    expect(host.head.state.control.last_reason).not.toBe('forged');
    // Time travel through the forged snapshot's range must not use it either.
    expect(host.stateAt(newestSnapshot).hash).toBe(hashes[newestSnapshot]);
    expect(host.stateAt(newestSnapshot + 1).hash).toBe(hashes[newestSnapshot + 1]);
    host.close();
    const v = await verify(path);
    expect(v.code).toBe(1);
    expect(v.out).toMatchObject({ ok: false, first_bad_index: newestSnapshot, problem: 'snapshot disagrees with the replayed state' });
    const r = await runSwoosh(['replay', '--db', path, '--to', String(newestSnapshot + 1)]);
    expect(lastJsonLine(r.stdout)).toEqual({
      index: newestSnapshot + 1,
      hlc: hlcs[newestSnapshot + 1],
      state_hash: hashes[newestSnapshot + 1],
    });
  });

  it('original state hash, recomputed checksum: state hash mismatch, skipped', () => {
    const path = copyDb();
    forge(path, newestSnapshot, false);
    const host = open(path);
    expect(host.recovery.skipped_snapshots).toEqual([{ index: newestSnapshot, problem: 'state hash mismatch' }]);
    expect(host.head.hash).toBe(hashes[length]);
    host.close();
  });

  it('a forged older snapshot does not poison time travel to its index', () => {
    const path = copyDb();
    const older = [...snapshotIndexes].sort((a, b) => a - b)[1] as number;
    forge(path, older, true);
    const store = new Store(path);
    try {
      for (let n = older; n < Math.min(length, older + 6); n += 1) {
        expect(headAt(store, genesis, spec, n).hash).toBe(hashes[n]);
      }
    } finally {
      store.close();
    }
  });
});

describe('(e) swoosh replay --to N equals the in-process scenario', () => {
  it('in process: headAt(N) for every N', () => {
    const store = new Store(copyDb());
    try {
      for (let n = 0; n <= length; n += 1) {
        const head = headAt(store, genesis, spec, n);
        expect(head.index).toBe(n);
        expect(head.hash, `index ${n}`).toBe(hashes[n]);
      }
    } finally {
      store.close();
    }
  });

  it('the command line, at genesis, a snapshot, between snapshots and at the end', async () => {
    const path = copyDb();
    const points = [0, 7, newestSnapshot, newestSnapshot + 1, length];
    for (const n of points) {
      const r = await runSwoosh(['replay', '--db', path, '--to', String(n)]);
      expect(r.code, r.stderr).toBe(0);
      expect(lastJsonLine(r.stdout), `--to ${n}`).toEqual({ index: n, hlc: hlcs[n], state_hash: hashes[n] });
    }
    const all = await runSwoosh(['replay', '--db', path]);
    expect(lastJsonLine(all.stdout)).toEqual({ index: length, hlc: hlcs[length], state_hash: hashes[length] });
  });
});
