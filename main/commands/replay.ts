// swoosh replay / swoosh verify (CONTRACT §10).

import { canonicalize } from '../../core/canonical';
import { recordHashOf, Store, type StoredSnapshot } from '../store/store';
import { diagnoseDamage, isDamageError } from '../store/integrity';
import type { Genesis } from '../../core/types';
import { loadMachine } from '../machine';
import { headAt } from '../host';
import { CorruptionError, genesisHead, replayRows } from '../engine/replay';
import { NodeVerifier } from '../engine/verifier';
import { parse, UsageError } from './args';
import { existsSync, readFileSync } from 'node:fs';
import { replayRepro } from '../../core/repro';

function openExisting(db: string | undefined): { store: Store; genesis: Genesis } {
  if (!db) throw new UsageError('--db PATH is required');
  if (!existsSync(db)) throw new UsageError(`no database at ${db}`);
  const store = new Store(db);
  const text = store.getMeta('genesis');
  if (text === null) {
    store.close();
    throw new UsageError(`${db} has no genesis: not a SWOOSH database`);
  }
  return { store, genesis: JSON.parse(text) as Genesis };
}

function progress(total: number): (index: number) => void {
  if (!process.stderr.isTTY) return () => {};
  return (index) => process.stderr.write(`\r${index}/${total} records (${Math.floor((100 * index) / Math.max(1, total))}%)`);
}

/** `swoosh replay --repro FILE`: re-runs a console-exported slice (docs/repro-files.md), signatures checked. */
function replayReproFile(path: string): number {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UsageError(`cannot read repro file ${path}: ${(err as Error).message}`);
  }
  const out = replayRepro(doc, { spec: loadMachine(), verifier: new NodeVerifier() });
  process.stdout.write(`${JSON.stringify(out)}\n`);
  return out.ok ? 0 : 1;
}

export async function replayCommand(args: string[]): Promise<number> {
  const v = parse(args, { db: { type: 'string' }, to: { type: 'string' }, repro: { type: 'string' } });
  if (v.repro !== undefined) {
    if (v.db !== undefined || v.to !== undefined) throw new UsageError('--repro FILE takes no --db or --to: the file carries its own start state');
    return replayReproFile(v.repro);
  }
  const { store, genesis } = openExisting(v.db);
  try {
    const length = store.walLength();
    const to = v.to === undefined ? length : Number(v.to);
    if (!Number.isInteger(to) || to < 0 || to > length) throw new UsageError(`--to must be 0..${length}`);
    const spec = loadMachine();
    const head = headAt(store, genesis, spec, to);
    if (process.stderr.isTTY) process.stderr.write('\n');
    process.stdout.write(`${JSON.stringify({ index: head.index, hlc: head.state.hlc_last, state_hash: head.hash })}\n`);
    return 0;
  } catch (err) {
    if (err instanceof CorruptionError) {
      process.stdout.write(`${JSON.stringify({ ok: false, first_bad_index: err.index, problem: err.problem })}\n`);
      return 1;
    }
    throw err;
  } finally {
    store.close();
  }
}

/** Full check from genesis: chain, every signature (node:crypto), every record body, every snapshot. */
export async function verifyCommand(args: string[]): Promise<number> {
  const v = parse(args, { db: { type: 'string' } });
  try {
    return await verifyDatabase(v.db);
  } catch (err) {
    if (!isDamageError(err) || v.db === undefined) throw err;
    // SQLite failed on a damaged file: report the first unreadable record, as for any corruption.
    const report = diagnoseDamage(v.db);
    process.stdout.write(`${JSON.stringify({ ok: false, first_bad_index: report.first_bad_index, problem: report.problem, integrity: report.integrity })}\n`);
    return 1;
  }
}

async function verifyDatabase(db: string | undefined): Promise<number> {
  const { store, genesis } = openExisting(db);
  try {
    const spec = loadMachine();
    const length = store.walLength();
    const snapshots = new Map<number, StoredSnapshot | string>();
    for (const s of store.snapshotsAtOrBefore(Number.MAX_SAFE_INTEGER)) snapshots.set(s.index, s.snapshot ?? (s.problem as string));
    let head = genesisHead(genesis, spec);
    const bad: Array<{ index: number; problem: string }> = [];
    const tick = progress(length);
    try {
      for (const row of store.scan(1)) {
        head = replayRows(head, [row], { spec, verifier: new NodeVerifier(), strict: true });
        if (row.index % 1000 === 0) tick(row.index);
        const snap = snapshots.get(row.index);
        if (typeof snap === 'string') bad.push({ index: row.index, problem: `snapshot: ${snap}` });
        else if (snap && (snap.state_hash !== head.hash || canonicalize(snap.state) !== canonicalize(head.state) || snap.record_hash !== recordHashOf(row.body))) {
          bad.push({ index: row.index, problem: 'snapshot disagrees with the replayed state' });
        }
      }
    } catch (err) {
      if (!(err instanceof CorruptionError)) throw err;
      if (process.stderr.isTTY) process.stderr.write('\n');
      process.stdout.write(`${JSON.stringify({ ok: false, first_bad_index: err.index, problem: err.problem, verified: head.index, length })}\n`);
      return 1;
    }
    if (process.stderr.isTTY) process.stderr.write('\n');
    if (head.index !== length) {
      process.stdout.write(`${JSON.stringify({ ok: false, first_bad_index: head.index + 1, problem: 'missing record (gap)', verified: head.index, length })}\n`);
      return 1;
    }
    const truncated = store.headProblem();
    if (truncated !== null) {
      process.stdout.write(`${JSON.stringify({ ok: false, first_bad_index: truncated.index, problem: truncated.problem, verified: head.index, length })}\n`);
      return 1;
    }
    const orphan = [...snapshots.keys()].filter((i) => i > length);
    for (const i of orphan) bad.push({ index: i, problem: 'snapshot beyond the end of the WAL' });
    if (bad.length > 0) {
      bad.sort((a, b) => a.index - b.index);
      process.stdout.write(`${JSON.stringify({ ok: false, first_bad_index: bad[0]!.index, problem: bad[0]!.problem, snapshots_bad: bad, verified: head.index, length })}\n`);
      return 1;
    }
    process.stdout.write(`${JSON.stringify({ ok: true, verified: head.index, state_hash: head.hash, snapshots: snapshots.size })}\n`);
    return 0;
  } finally {
    store.close();
  }
}
