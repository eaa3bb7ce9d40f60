import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { H } from '../../core/hash';
import { ManualClock } from '../../core/hlc';
import { canonicalize } from '../../core/canonical';
import { nobleVerifier } from '../../core/crypto';
import { recordSubmissions, Scenario } from '../../core/testing/scenario';
import { signProposal } from '../../core/testing/kit';
import type { Proposal } from '../../core/types';
import { Host } from '../host';
import { loadMachine } from '../machine';
import { canonicalState, hashStateNative } from './hashing';
import { NodeVerifier } from './verifier';
import { createMetrics } from '../observe/metrics';

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
      state_hash: host.head.hash,
      transition: 'Control_Pause',
      inputs: { reason: 'x' },
      by: sc.operator,
      hlc: { wall_ms: Date.now(), counter: 0 },
      idem_key: first.idem_key,
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

describe('engine: hostile clocks and counters (a signed proposal must never kill the writer)', () => {
  /** Boot_ConfigOk, signed by the genesis operator, at the given HLC text. */
  function bootAt(sc: Scenario, hlc: string, idem_key: string): Proposal {
    return signProposal({
      state_hash: sc.head.hash,
      transition: 'Boot_ConfigOk',
      inputs: { config_hash: H(sc.genesis) },
      by: sc.operator,
      hlc,
      idem_key,
      window_id: null,
      evidence: [],
    });
  }

  function hlcText(wall_ms: number, counter: number | string): string {
    return `${new Date(wall_ms).toISOString().replace('Z', '+00:00')}#${counter}`;
  }

  it('answers a counter past the bound malformed (it used to throw in hlcReceive and end the process)', async () => {
    const sc = new Scenario(spec, { start_ms: Date.now() - 60_000, epoch_ms: Date.now() - 3_600_000 });
    const host = Host.open({ db: join(dir, 'a.db'), genesis: sc.genesis });
    const soon_ms = Date.now() + 500;
    const hostile = bootAt(sc, hlcText(soon_ms, '9007199254740991'), 'hostile');
    const honest = bootAt(sc, hlcText(Date.now() - 1000, 0), 'honest');
    const [a, b] = await Promise.all([host.engine.submit(hostile), host.engine.submit(honest)]);
    expect(a.status).toBe(400);
    expect('error' in a && a.error.code).toBe('malformed');
    expect('error' in a && a.error.reason).toMatch(/\$\.hlc: not a valid hlc: .*counter 0\.\.4294967295/);
    expect(b.status).toBe(202);
    expect(host.store.walLength()).toBe(1);
    host.close();
  });

  it('accepts the largest counter and carries the server clock into the next ms instead of throwing', async () => {
    const sc = new Scenario(spec, { start_ms: Date.now() - 60_000, epoch_ms: Date.now() - 3_600_000 });
    // A stopped clock: the carry is only visible while physical time is behind the proposal's.
    const clock = new ManualClock(Date.now());
    const host = Host.open({ db: join(dir, 'a.db'), genesis: sc.genesis, clock });
    const soon_ms = clock.now_ms() + 500;
    const edge = bootAt(sc, hlcText(soon_ms, 4_294_967_295), 'edge');
    const r = await host.engine.submit(edge);
    expect(r.status).toBe(202);
    expect(host.engine.current.server_hlc).toEqual({ wall_ms: soon_ms + 1, counter: 0 });
    host.close();
  });

  it('contains an exception thrown while judging: that proposal gets 500 internal, the batch and the writer go on', async () => {
    const { sc, proposals } = lifecycle();
    // A fractional physical clock is a programming error the HLC refuses (RangeError in
    // hlcReceive, after reduce has accepted): the engine must take that proposal back.
    let offset_ms = 0.5;
    const clock = { now_ms: () => Date.now() + offset_ms };
    const host = Host.open({ db: join(dir, 'a.db'), genesis: sc.genesis, clock, verify_workers: 0 });
    const metrics = createMetrics(host.engine);
    const internal: unknown[] = [];
    host.engine.subscribe((e) => e.type === 'internal' && internal.push(e));
    const first = await Promise.all(proposals.slice(0, 3).map((p) => host.engine.submit(p)));
    // The first is taken back, so the two built on it are stale, exactly as if it never came.
    expect(first.map((r) => r.status)).toEqual([500, 409, 409]);
    expect(first.map((r) => 'error' in r && r.error.code)).toEqual(['internal', 'stale_state_hash', 'stale_state_hash']);
    expect('error' in first[0]! && first[0].error.reason).toMatch(/RangeError: physical time must be a non-negative integer/);
    expect(host.store.walLength()).toBe(0);
    expect(host.head.index).toBe(0);
    expect(internal).toHaveLength(1);
    expect(await metrics.registry.getSingleMetricAsString('swoosh_internal_errors_total')).toMatch(/swoosh_internal_errors_total 1/);
    expect(host.store.rejections(0, 10).map((r) => r.code)).toEqual(['internal', 'stale_state_hash', 'stale_state_hash']);
    offset_ms = 0;
    const rest = await Promise.all(proposals.map((p) => host.engine.submit(p)));
    expect(rest.map((r) => r.status)).toEqual(proposals.map(() => 202));
    expect(host.head.hash).toBe(sc.head.hash);
    host.close();
  });
});

describe('engine: extreme but well-formed values in every field (property)', () => {
  const WALL_MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
  const hlcArb = fc.oneof(
    fc.constantFrom('1970-01-01T00:00:00.000+00:00#0', '9999-12-31T23:59:59.999+00:00#4294967295', '9999-12-31T23:59:59.999Z#0'),
    fc
      .record({
        wall_ms: fc.oneof(
          fc.constant(0),
          fc.constant(WALL_MAX_MS),
          fc.integer({ min: 0, max: WALL_MAX_MS }),
          fc.constant(Date.now() + 400),
        ),
        counter: fc.oneof(fc.constant(0), fc.constant(4_294_967_295), fc.nat({ max: 4_294_967_295 })),
      })
      .map(({ wall_ms, counter }) => `${new Date(wall_ms).toISOString().replace('Z', '+00:00')}#${counter}`),
  );
  const textArb = fc.oneof(
    fc.string({ minLength: 1, maxLength: 256, unit: 'binary' }),
    fc.constant('x'.repeat(256)),
    fc.constant('\u{10FFFF}'),
  );
  const idemArb = textArb.filter(
    (s) => s.length > 0 && !/[\u0000-\u001f\u007f]/.test(s) && !/[\uD800-\uDFFF]/.test(s.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '')),
  );
  const fieldsArb = fc.record({
    transition: fc.oneof(
      fc.constantFrom('Boot_ConfigOk', 'Execution_Approve', 'Migration_Route', 'Quarantine_Release', 'License_Refresh'),
      textArb,
    ),
    inputs: fc.oneof(
      fc.constant({}),
      fc.constant({ config_hash: 'GENESIS' }),
      fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 6 }),
    ),
    hlc: hlcArb,
    idem_key: idemArb,
    window_id: fc.oneof(fc.constant(null), fc.constantFrom('backbeat:W-0', `backbeat:W-${Number.MAX_SAFE_INTEGER}`, 'backbeat:W--1')),
    stale: fc.boolean(),
  });

  it('never answers internal, and the writer takes an honest proposal afterwards', async () => {
    const sc = new Scenario(spec, { start_ms: Date.now() - 60_000, epoch_ms: Date.now() - 3_600_000 });
    const host = Host.open({ db: join(dir, 'p.db'), genesis: sc.genesis, verify_workers: 0 });
    const statuses = new Set<number>();
    await fc.assert(
      fc.asyncProperty(fc.array(fieldsArb, { minLength: 1, maxLength: 6 }), async (drafts) => {
        const batch = drafts.map((d) => {
          const inputs = JSON.parse(JSON.stringify(d.inputs).replace('"GENESIS"', JSON.stringify(H(sc.genesis)))) as Record<string, never>;
          return signProposal({
            state_hash: d.stale ? sc.head.hash.replace(/.$/, '0') : host.head.hash,
            transition: d.transition,
            inputs,
            by: sc.operator,
            hlc: d.hlc,
            idem_key: d.idem_key,
            window_id: d.window_id,
            evidence: [],
          });
        });
        const answers = await Promise.all(batch.map((p) => host.engine.submit(p)));
        for (const a of answers) {
          statuses.add(a.status);
          expect([200, 202, 400, 409]).toContain(a.status);
        }
      }),
      { seed: 0x5_3700_6, numRuns: 80 },
    );
    expect(statuses.has(400)).toBe(true);
    expect(statuses.has(202)).toBe(true); // some reached the HLC receive rule, the extreme ones included
    host.close();
    const again = Host.open({ db: join(dir, 'p.db'), verify_workers: 0 });
    expect(again.head.index).toBe(host.head.index);
    again.close();
  });
});
