// swoosh replay / swoosh verify (docs/protocol.md §10).

import { Store } from '../store/store';
import { verifyStore } from '../store/backup-verify';
import { diagnoseDamage, isDamageError } from '../store/integrity';
import type { Genesis } from '../../core/types';
import { loadMachine } from '../machine';
import { headAt } from '../host';
import { CorruptionError } from '../engine/replay';
import { NodeVerifier } from '../engine/verifier';
import { parse, UsageError } from './args';
import { existsSync, readFileSync } from 'node:fs';
import { replayRepro } from '../../core/repro';

const REPLAY_OPTIONS = { db: { type: 'string' }, to: { type: 'string' }, repro: { type: 'string' } } as const;
const REPLAY_USAGE = `usage: swoosh replay --db PATH [--to N]  |  swoosh replay --repro FILE
  the head at record N (default: the last); --repro re-runs a console-exported slice, exit 1 at the first difference.
`;
const VERIFY_OPTIONS = { db: { type: 'string' } } as const;
const VERIFY_USAGE = `usage: swoosh verify --db PATH
  full check from genesis: chain, signatures, record bodies, snapshots; one JSON line, exit 1 at the first problem.
`;

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
  const v = parse(args, REPLAY_OPTIONS, REPLAY_USAGE);
  if (v.repro !== undefined) {
    if (v.db !== undefined || v.to !== undefined)
      throw new UsageError('--repro FILE takes no --db or --to: the file carries its own start state');
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
  const v = parse(args, VERIFY_OPTIONS, VERIFY_USAGE);
  try {
    return verifyDatabase(v.db);
  } catch (err) {
    if (!isDamageError(err) || v.db === undefined) throw err;
    // SQLite failed on a damaged file: report the first unreadable record, as for any corruption.
    const report = diagnoseDamage(v.db);
    process.stdout.write(
      `${JSON.stringify({ ok: false, first_bad_index: report.first_bad_index, problem: report.problem, integrity: report.integrity })}\n`,
    );
    return 1;
  }
}

function verifyDatabase(db: string | undefined): number {
  const { store, genesis } = openExisting(db);
  try {
    const report = verifyStore(store, genesis, progress(store.walLength()));
    if (process.stderr.isTTY) process.stderr.write('\n');
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return report.ok ? 0 : 1;
  } finally {
    store.close();
  }
}
