// The verify pool runs real worker threads (the same .mjs file the host loads) and the
// engine must give the same answers, the same HEAD and byte-identical WAL records with
// the pool as without it (verification inline in reduce).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { b64uDecode } from '../../core/b64u';
import { publicKeyFromSigner } from '../../core/crypto';
import { recordSubmissions, Scenario } from '../../core/testing/scenario';
import type { Proposal } from '../../core/types';
import { Host } from '../host';
import { loadMachine } from '../machine';
import { encodeProposal } from './encode';
import { VerifyPool } from './verify-pool';

const spec = loadMachine();
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'swoosh-pool-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function lifecycle(): { sc: Scenario; proposals: Proposal[] } {
  const sc = new Scenario(spec, { start_ms: 1_800_000_000_000, epoch_ms: 1_799_990_000_000 });
  const proposals = recordSubmissions(sc);
  sc.toExecution().reverbLoop();
  return { sc, proposals };
}

function item(p: Proposal) {
  return {
    key: publicKeyFromSigner(p.signer) as Uint8Array,
    message: encodeProposal(p).signing_text,
    signature: b64uDecode(p.signature) as Uint8Array,
  };
}

describe('VerifyPool', () => {
  it('verifies real signatures and refuses a changed message, another key and a changed signature', async () => {
    const { proposals } = lifecycle();
    const pool = VerifyPool.create(2);
    expect(pool).not.toBeNull();
    try {
      const good = proposals.slice(0, 5).map(item);
      const p0 = proposals[0] as Proposal;
      const p1 = proposals[1] as Proposal;
      const flipped = Uint8Array.from(item(p0).signature);
      flipped[5] = (flipped[5] as number) ^ 1;
      const bad = [
        { ...item(p0), message: `${item(p0).message} ` },
        { ...item(p0), key: item(p1.signer === p0.signer ? (proposals.find((p) => p.signer !== p0.signer) as Proposal) : p1).key },
        { ...item(p0), signature: flipped },
      ];
      const verdicts = await Promise.all([pool!.verify(good), pool!.verify(bad)]);
      expect([...verdicts[0]]).toEqual([1, 1, 1, 1, 1]);
      expect([...verdicts[1]]).toEqual([0, 0, 0]);
    } finally {
      pool?.close();
    }
    await expect(pool!.verify(proposals.slice(0, 1).map(item))).rejects.toThrow(/no verify worker is alive/);
  });

  it('engine with workers = engine inline: same answers, same rejections, same record bytes', async () => {
    const { sc, proposals } = lifecycle();
    const clock = { now_ms: () => 1_800_000_000_000 + 3_600_000 };
    const forged = { ...(proposals[3] as Proposal), signature: (proposals[4] as Proposal).signature };
    // A bad signature, a malformed one, a duplicate and a stale one among good proposals.
    const mix: unknown[] = [
      ...proposals.slice(0, 3),
      forged,
      { nope: 1 },
      proposals[0],
      ...proposals.slice(3, 6),
      proposals[2],
      ...proposals.slice(6),
    ];
    const run = async (verify_workers: number) => {
      const host = Host.open({ db: join(dir, `w${verify_workers}.db`), genesis: sc.genesis, clock, verify_workers });
      try {
        const results = await Promise.all(mix.map((p) => host.engine.submit(p)));
        const rows = host.store.db.prepare('SELECT idx, body, record_hash, proposal_hash FROM wal ORDER BY idx').all();
        const rejections = host.store.rejections(0, 100).map(({ id: _id, ...r }) => r);
        const off = host.verifiedOffThread;
        if (verify_workers === 0) expect(off).toBeNull();
        // Every well-formed proposal went to a worker (the duplicates too: verified when queued).
        else expect(off).toBe(mix.length - 1);
        return { results, rows, rejections, head: host.head.hash };
      } finally {
        host.close();
      }
    };
    const inline = await run(0);
    const pooled = await run(1);
    expect(pooled).toEqual(inline);
    expect(inline.head).toBe(sc.head.hash);
    expect(inline.results.map((r) => ('error' in r ? r.error.code : r.status))).toEqual([
      202,
      202,
      202,
      'bad_signature',
      'malformed',
      200,
      ...proposals.slice(3, 6).map(() => 202),
      200,
      ...proposals.slice(6).map(() => 202),
    ]);
  });
});
