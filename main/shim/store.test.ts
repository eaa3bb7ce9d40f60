// The shim's SQLite file: the outbox keeps one row per idem_key and survives a reopen with
// the stored proposal; settled rows and divergences are pruned oldest first, pending
// rows never.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Proposal } from '../../core/types';
import { ShimStore } from './store';

let dir = '';
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const row = (idem_key: string, inputs: Record<string, string> = { reason: 'r' }) => ({
  idem_key,
  route: 'ingestion.rollback',
  region: 'ingestion' as const,
  mode: 'shadow' as const,
  transition: 'Ingestion_RollbackIndex',
  inputs,
  inputs_hash: `h-${JSON.stringify(inputs)}`,
  hlc_hint: null,
  window_hint: null,
  created_ms: 1,
});

describe('shim store', () => {
  it('enqueue is idempotent per idem_key; the signed proposal and the outcome survive a reopen', () => {
    dir = mkdtempSync(join(tmpdir(), 'shim-store-'));
    const path = join(dir, 'shim.db');
    let s = new ShimStore(path);
    const first = s.enqueue(row('k-1'));
    const again = s.enqueue(row('k-1', { reason: 'other' }));
    expect(again).toEqual(first);
    expect(again.inputs).toEqual({ reason: 'r' });
    s.saveProposal(first.seq, { idem_key: 'k-1', signature: 'sig' } as unknown as Proposal);
    s.close();
    s = new ShimStore(path);
    expect(s.pending(10).map((r) => [r.idem_key, r.proposal?.signature])).toEqual([['k-1', 'sig']]);
    s.finish(first.seq, 'applied', { index: 4 });
    expect(s.pendingCount()).toBe(0);
    expect(s.byIdem('k-1')).toMatchObject({ status: 'applied', outcome: { index: 4 } });
    s.close();
  });

  it('prunes settled rows and divergences beyond their bounds, never a pending row', () => {
    dir = mkdtempSync(join(tmpdir(), 'shim-store-'));
    const s = new ShimStore(join(dir, 'shim.db'), { divergences_max: 3, outbox_done_max: 2 });
    const pending = s.enqueue(row('keep'));
    for (let i = 0; i < 6; i += 1) s.finish(s.enqueue(row(`done-${i}`)).seq, 'applied', {});
    expect(s.byIdem('keep')?.seq).toBe(pending.seq);
    expect(s.byIdem('done-0')).toBeNull();
    expect(s.byIdem('done-5')).not.toBeNull();
    for (let i = 0; i < 5; i += 1) s.record({ region: 'council', route: 'r', legacy: i, swoosh: null, detail: `d${i}`, at_ms: i });
    expect(s.divergenceCount()).toBe(3);
    expect(s.divergences(1, 10).map((d) => d.legacy)).toEqual([2, 3, 4]);
    expect(s.divergences(4, 1).map((d) => d.seq)).toEqual([4]);
    s.close();
  });
});
