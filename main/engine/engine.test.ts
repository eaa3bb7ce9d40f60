import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { H } from '../../core/hash';
import { canonicalize } from '../../core/canonical';
import { nobleVerifier } from '../../core/crypto';
import { recordSubmissions, Scenario } from '../../core/testing/scenario';
import { signProposal } from '../../core/testing/kit';
import type { Proposal } from '../../core/types';
import { Host } from '../host';
import { loadMachine } from '../machine';
import { canonicalState, hashStateNative } from './hashing';
import { NodeVerifier } from './verifier';

const spec = loadMachine();
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'swoosh-engine-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Proposals of a whole lifecycle, pre-built against the pure reducer. */
function lifecycle(): { sc: Scenario; proposals: Proposal[] } {
  const sc = new Scenario(spec, { start_ms: Date.now() - 60_000, epoch_ms: Date.now() - 3_600_000 });
  const proposals = recordSubmissions(sc);
  sc.boot().ingest().elect().provision().enterExecution();
  return { sc, proposals };
}

describe('engine', () => {
  it('accepts proposals submitted together in one batch and answers after commit', async () => {
    const { sc, proposals } = lifecycle();
    const host = Host.open({ db: join(dir, 'a.db'), genesis: sc.genesis, check_invariants: true });
    const violations: unknown[] = [];
    host.engine.subscribe((e) => e.type === 'violation' && violations.push(e));
    const results = await Promise.all(proposals.map((p) => host.engine.submit(p)));
    expect(results.map((r) => r.status)).toEqual(proposals.map(() => 202));
    expect(host.head.hash).toBe(sc.head.hash);
    expect(host.store.walLength()).toBe(proposals.length);
    expect(violations).toEqual([]);
    host.close();
  });

  it('closing with proposals queued answers them shutting_down, writes none of them and throws nothing later', async () => {
    const { sc, proposals } = lifecycle();
    const db = join(dir, 'a.db');
    const host = Host.open({ db, genesis: sc.genesis });
    const answers = proposals.map((p) => host.engine.submit(p));
    host.close(); // before the scheduled drain runs: the store is gone under it
    const results = await Promise.all(answers);
    expect(results.map((r) => ('error' in r ? r.error.code : r.status))).toEqual(proposals.map(() => 'shutting_down'));
    expect(results.every((r) => r.status === 503)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the stale drain and verify answers land here
    const again = Host.open({ db, genesis: sc.genesis });
    expect(again.store.walLength()).toBe(0);
    again.close();
  });

  it('answers a duplicate with the original outcome, also within the same batch', async () => {
    const { sc, proposals } = lifecycle();
    const host = Host.open({ db: join(dir, 'a.db'), genesis: sc.genesis });
    const first = proposals[0] as Proposal;
    const [a, b] = await Promise.all([host.engine.submit(first), host.engine.submit(first)]);
    expect(a.status).toBe(202);
    expect(b).toEqual({ status: 200, body: { ...(a as { body: object }).body, duplicate: true } });
    const later = await host.engine.submit(first);
    expect(later.status).toBe(200);
    expect(host.store.walLength()).toBe(1);
    host.close();
  });

  it('refuses the same idem key with different content', async () => {
    const { sc, proposals } = lifecycle();
    const host = Host.open({ db: join(dir, 'a.db'), genesis: sc.genesis });
    const first = proposals[0] as Proposal;
    await host.engine.submit(first);
    const other = signProposal({
      state_hash: host.head.hash, transition: 'Control_Pause', inputs: { reason: 'x' }, by: sc.operator,
      hlc: { wall_ms: Date.now(), counter: 0 }, idem_key: first.idem_key,
    });
    const r = await host.engine.submit(other);
    expect(r.status).toBe(400);
    expect('error' in r && r.error.code).toBe('idem_key_conflict');
    expect(host.store.rejections(0, 10).map((j) => j.code)).toEqual(['idem_key_conflict']);
    host.close();
  });

  it('recovers the same HEAD after reopening, from snapshots and the WAL suffix', async () => {
    const { sc, proposals } = lifecycle();
    const db = join(dir, 'a.db');
    const host = Host.open({ db, genesis: sc.genesis, snapshot_every: 4 });
    for (const p of proposals) await host.engine.submit(p);
    const hash = host.head.hash;
    host.close();
    const again = Host.open({ db, genesis: sc.genesis });
    expect(again.head.hash).toBe(hash);
    expect(again.recovery.snapshot_index).toBe(Math.floor(proposals.length / 4) * 4);
    expect(again.recovery.replayed).toBe(proposals.length % 4);
    expect(again.stateAt(3).hash).toBe(sc.records[2]?.state_post_hash);
    expect(again.stateAt(0).hash).toBe(sc.records[0]?.state_pre_hash);
    again.close();
  });

  it('refuses a second writer on the same database', () => {
    const { sc } = lifecycle();
    const db = join(dir, 'a.db');
    const host = Host.open({ db, genesis: sc.genesis });
    expect(() => Host.open({ db, genesis: sc.genesis })).toThrow(/in use by another SWOOSH process/);
    host.close();
  });

  it('refuses a different genesis for an existing database', () => {
    const { sc } = lifecycle();
    const db = join(dir, 'a.db');
    Host.open({ db, genesis: sc.genesis }).close();
    expect(() => Host.open({ db, genesis: { ...sc.genesis, project: 'other' } })).toThrow(/differs from the genesis/);
  });

  it('answers 429 beyond the queue bound without touching state', async () => {
    const { sc, proposals } = lifecycle();
    const host = Host.open({ db: join(dir, 'a.db'), genesis: sc.genesis, queue_max: 2 });
    const results = await Promise.all(proposals.slice(0, 4).map((p) => host.engine.submit(p)));
    expect(results.map((r) => r.status)).toEqual([202, 202, 429, 429]);
    expect(host.store.walLength()).toBe(2);
    host.close();
  });
});

describe('host hashing and verification', () => {
  it('hashStateNative equals H over whole lifecycles', () => {
    const sc = new Scenario(spec);
    sc.toExecution().reverbLoop();
    expect(hashStateNative(sc.state)).toBe(H(sc.state));
    expect(hashStateNative(sc.state)).toBe(sc.head.hash);
    expect(canonicalState(sc.state)).toBe(canonicalize(sc.state));
  });

  it('NodeVerifier agrees with noble on real signatures and refuses tampering and small-order keys', () => {
    const sc = new Scenario(spec);
    const p = sc.build('Boot_ConfigOk', { config_hash: H(sc.genesis) }, sc.operator);
    const node = new NodeVerifier();
    const msg = new TextEncoder().encode('hello');
    const sig = sc.operator.sign(msg);
    expect(node.verify(sc.operator.signer, msg, sig)).toBe(true);
    expect(nobleVerifier.verify(sc.operator.signer, msg, sig)).toBe(true);
    expect(node.verify(sc.operator.signer, new TextEncoder().encode('hellp'), sig)).toBe(false);
    expect(node.verify(sc.agent.signer, msg, sig)).toBe(false);
    expect(node.verify('hmmm:ed25519:garbage', msg, sig)).toBe(false);
    expect(node.verify(sc.operator.signer, msg, 'AAAA')).toBe(false);
    // The identity point (small order): OpenSSL would accept a fixed forged signature.
    const identity = `hmmm:ed25519:${Buffer.from([1, ...new Array(31).fill(0)]).toString('base64url')}`;
    const forged = Buffer.from([1, ...new Array(63).fill(0)]).toString('base64url');
    expect(node.verify(identity, msg, forged)).toBe(false);
    expect(p.signature.length).toBe(86);
  });
});
