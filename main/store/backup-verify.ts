// The full check `swoosh verify` runs, as a function: chain, every signature (node:crypto),
// every record body, every snapshot, and the committed head. `swoosh verify`, `swoosh
// backup`, `swoosh restore` and the scheduled backups (main/app/backup.ts) all call it, so
// "verified" means the same thing everywhere.

import { canonicalize } from '../../core/canonical';
import type { Genesis } from '../../core/types';
import { CorruptionError, genesisHead, replayRows } from '../engine/replay';
import { NodeVerifier } from '../engine/verifier';
import { loadMachine } from '../machine';
import { recordHashOf, Store, StoreError, type StoredSnapshot } from './store';

export type VerifyReport =
  | { ok: true; verified: number; state_hash: string; snapshots: number }
  | {
      ok: false;
      first_bad_index: number;
      problem: string;
      verified: number;
      length: number;
      snapshots_bad?: Array<{ index: number; problem: string }>;
    };

/** The genesis a SWOOSH database was bound to; StoreError `format` when it has none. */
export function genesisOf(store: Store): Genesis {
  const text = store.getMeta('genesis');
  if (text === null) throw new StoreError('format', `${store.path} has no genesis: not a SWOOSH database`);
  return JSON.parse(text) as Genesis;
}

function snapshotsOf(store: Store): Map<number, StoredSnapshot | string> {
  const snapshots = new Map<number, StoredSnapshot | string>();
  for (const s of store.snapshotsAtOrBefore(Number.MAX_SAFE_INTEGER)) snapshots.set(s.index, s.snapshot ?? (s.problem as string));
  return snapshots;
}

/** Replays `store` from its genesis; `tick(index)` every 1000 records (progress). */
export function verifyStore(store: Store, genesis: Genesis, tick: (index: number) => void = () => {}): VerifyReport {
  const spec = loadMachine();
  const length = store.walLength();
  const snapshots = snapshotsOf(store);
  let head = genesisHead(genesis, spec);
  const bad: Array<{ index: number; problem: string }> = [];
  try {
    for (const row of store.scan(1)) {
      head = replayRows(head, [row], { spec, verifier: new NodeVerifier(), strict: true });
      if (row.index % 1000 === 0) tick(row.index);
      const snap = snapshots.get(row.index);
      if (typeof snap === 'string') bad.push({ index: row.index, problem: `snapshot: ${snap}` });
      else if (
        snap &&
        (snap.state_hash !== head.hash ||
          canonicalize(snap.state) !== canonicalize(head.state) ||
          snap.record_hash !== recordHashOf(row.body))
      ) {
        bad.push({ index: row.index, problem: 'snapshot disagrees with the replayed state' });
      }
    }
  } catch (err) {
    if (!(err instanceof CorruptionError)) throw err;
    return { ok: false, first_bad_index: err.index, problem: err.problem, verified: head.index, length };
  }
  if (head.index !== length)
    return { ok: false, first_bad_index: head.index + 1, problem: 'missing record (gap)', verified: head.index, length };
  const truncated = store.headProblem();
  if (truncated !== null) return { ok: false, first_bad_index: truncated.index, problem: truncated.problem, verified: head.index, length };
  for (const i of snapshots.keys()) if (i > length) bad.push({ index: i, problem: 'snapshot beyond the end of the WAL' });
  if (bad.length > 0) {
    bad.sort((a, b) => a.index - b.index);
    return { ok: false, first_bad_index: bad[0]!.index, problem: bad[0]!.problem, snapshots_bad: bad, verified: head.index, length };
  }
  return { ok: true, verified: head.index, state_hash: head.hash, snapshots: snapshots.size };
}

/** Opens the file at `path` read-only (no lock taken, nothing written) and verifies it. */
export function verifyFile(path: string): VerifyReport {
  const store = new Store(path, 'FULL', { readonly: true });
  try {
    return verifyStore(store, genesisOf(store));
  } finally {
    store.close();
  }
}
