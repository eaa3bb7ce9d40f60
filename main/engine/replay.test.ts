// The chain-trusting replay path (recovery, time travel) must reach the same verdict as
// the checked path on every WAL: the same head on a sound one, and on a damaged one the
// same first bad index and problem, whatever the spacing of its state hash checks. The
// damage here is re-chained (record hashes and links recomputed), so that only the
// state hash checks can see it: the case the trusted path defers.
//
// One documented difference: a re-chained record whose wrong post-state heals before the
// end of its range (a changed Control_Pause reason, overwritten by the next Resume) is
// seen only by the checked path (`swoosh verify`); the trusted path then returns the
// head the records lead to, with its hash computed. Re-chaining a WAL is forgery, not
// damage (disk damage breaks a record hash), and a forger can as well write a
// consistent chain, which no chain-trusting replay can tell from a real one.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalize } from '../../core/canonical';
import { H } from '../../core/hash';
import { recordSubmissions, Scenario } from '../../core/testing/scenario';
import type { Genesis, WalRecord } from '../../core/types';
import { Host } from '../host';
import { loadMachine } from '../machine';
import { recordHashOf } from '../store/store';
import { CorruptionError, genesisHead, replayRows, type ReplayHead, type StoredRow } from './replay';
import { chainTrustingVerifier } from './verifier';

const spec = loadMachine();
let dir: string;
let rows: StoredRow[];
let genesis: Genesis;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swoosh-replay-'));
  const sc = new Scenario(spec, { start_ms: 1_800_000_000_000, epoch_ms: 1_799_990_000_000 });
  const proposals = recordSubmissions(sc);
  sc.toExecution().reverbLoop();
  for (let i = 0; i < 6; i += 1) {
    sc.step('Control_Pause', { reason: `p${i}` }, sc.operator);
    sc.step('Control_Resume', { reason: `r${i}` }, sc.operator);
  }
  genesis = sc.genesis;
  const host = Host.open({ db: join(dir, 'a.db'), genesis, clock: { now_ms: () => 1_800_000_000_000 + 3_600_000 } });
  try {
    for (const p of proposals) expect((await host.engine.submit(p)).status).toBe(202);
    rows = [...host.store.scan(1)];
  } finally {
    host.close();
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Outcome = { head: ReplayHead } | { index: number; problem: string };

function outcome(f: () => ReplayHead): Outcome {
  try {
    return { head: f() };
  } catch (err) {
    if (!(err instanceof CorruptionError)) throw err;
    return { index: err.index, problem: err.problem };
  }
}

const checked = (rs: StoredRow[], to?: number): Outcome =>
  outcome(() => replayRows(genesisHead(genesis, spec), rs, { spec, verifier: chainTrustingVerifier, to }));
const trusted = (rs: StoredRow[], check_every: number, to?: number): Outcome =>
  outcome(() => replayRows(genesisHead(genesis, spec), rs, { spec, check_every, to }));

/** Rows with record k's body edited, then every record hash and link from k on recomputed. */
function rechained(k: number, edit: (r: Omit<WalRecord, 'record_hash'>, all: Array<Omit<WalRecord, 'record_hash'>>) => void): StoredRow[] {
  const bodies = rows.map((r) => JSON.parse(r.body) as Omit<WalRecord, 'record_hash'>);
  edit(bodies[k - 1]!, bodies);
  const out: StoredRow[] = [];
  let prev = rows[0] ? (JSON.parse(rows[0].body) as WalRecord).prev_record_hash : '';
  for (const b of bodies) {
    if (b.index >= k) b.prev_record_hash = prev;
    const body = b.index >= k ? canonicalize(b) : rows[b.index - 1]!.body;
    const record_hash = b.index >= k ? recordHashOf(body) : rows[b.index - 1]!.record_hash;
    out.push({ index: b.index, body, record_hash });
    prev = record_hash;
  }
  return out;
}

const SPACINGS = [1, 3, 8, 1000];

describe('chain-trusting replay = checked replay', () => {
  it('reaches the same head (with a computed hash) on a sound WAL, to every index', () => {
    expect(rows.length).toBeGreaterThan(30);
    const full = checked(rows) as { head: ReplayHead };
    expect(full.head.index).toBe(rows.length);
    for (const every of SPACINGS) {
      expect(trusted(rows, every)).toEqual(full);
      for (const to of [0, 1, 7, 8, 9, 25, rows.length - 1]) expect(trusted(rows, every, to)).toEqual(checked(rows, to));
    }
    expect(full.head.hash).toBe(H(full.head.state));
  });

  const damages: Array<[string, (k: number) => StoredRow[]]> = [
    [
      'a wrong state_post_hash carried on as the next pre-state',
      (k) =>
        rechained(k, (r, all) => {
          r.state_post_hash = `sha256-${'0'.repeat(64)}`;
          if (all[k]) all[k]!.state_pre_hash = r.state_post_hash;
        }),
    ],
    [
      'a proposal the reducer rejects (transition swapped)',
      (k) =>
        rechained(k, (r) => {
          r.proposal.transition = r.proposal.transition === 'Control_Pause' ? 'Control_Resume' : 'Control_Pause';
        }),
    ],
    [
      'a body changed without rehashing',
      (k) => rows.map((r) => (r.index === k ? { ...r, body: r.body.replace('"hlc":"', '"hlc":" ') } : r)),
    ],
    ['a missing record', (k) => rows.filter((r) => r.index !== k)],
    [
      'an unreadable body (rehashed)',
      (k) => rows.map((r) => (r.index === k ? { ...r, body: '{oops', record_hash: recordHashOf('{oops') } : r)),
    ],
  ];

  it('a divergence that heals within a range: named when checked every record, else the head reached, hashed', () => {
    const changedReason = (k: number): StoredRow[] =>
      rechained(k, (r) => {
        const inputs = r.proposal.inputs as Record<string, unknown>;
        inputs.reason = `${String(inputs.reason)}!`;
        r.proposal.inputs_hash = H(r.proposal.inputs);
        r.inputs_hash = r.proposal.inputs_hash;
      });
    const pauses = rows.filter((r) => (JSON.parse(r.body) as WalRecord).transition === 'Control_Pause').map((r) => r.index);
    expect(pauses.length).toBeGreaterThan(3);
    for (const k of pauses) {
      const bad = changedReason(k);
      const expected = checked(bad) as { index: number; problem: string };
      expect(expected.index).toBe(k);
      expect(trusted(bad, 1)).toEqual(expected);
      for (const every of SPACINGS) {
        const got = trusted(bad, every);
        if ('head' in got) expect(got.head.hash).toBe(H(got.head.state));
        else expect(got).toEqual(expected);
      }
    }
  });

  for (const [name, damage] of damages) {
    it(`names the same first bad index and problem: ${name}`, () => {
      let found = 0;
      for (const k of [1, 5, 8, 9, 17, rows.length - 4, rows.length - 1, rows.length]) {
        const bad = damage(k);
        const expected = checked(bad);
        // Some edits are harmless at some records (an input the state does not keep, the
        // last record missing: the host checks the length itself); then both agree on the head.
        if ('index' in expected) {
          found += 1;
          expect(expected.index).toBeLessThanOrEqual(k + 1);
        }
        for (const every of SPACINGS) expect(trusted(bad, every), `damage at ${k}, checks every ${every}`).toEqual(expected);
      }
      expect(found).toBeGreaterThanOrEqual(4);
    });
  }
});
