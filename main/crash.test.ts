// Crash safety of the real `swoosh serve` process (FULL durability): several concurrent
// clients drive proposals while the server is killed with SIGKILL at moments drawn from a
// seeded PRNG, then restarted on the same database. Afterwards:
//   - every proposal that was answered 202 (or 200 duplicate) is in the WAL at the index
//     it was given, with the same proposal and state hash (nothing acknowledged is lost);
//   - no proposal that was definitely rejected is in the WAL;
//   - every restart came back at or past the highest index acknowledged before the kill;
//   - re-sending acknowledged proposals after a restart answers 200 duplicate, same index;
//   - `swoosh verify` exits 0, and the final HEAD equals `swoosh replay` and an in-process
//     replay of the WAL from genesis with real signature checks.
//
// Default: 30 kills (well under a minute on 2 cores). SWOOSH_CRASH_LONG=1 runs 300;
// SWOOSH_CRASH_KILLS=N and SWOOSH_CRASH_SEED=S override.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { canonicalize } from '../core/canonical';
import { Scenario } from '../core/testing/scenario';
import { mulberry32 } from '../core/testing/streams';
import type { Genesis } from '../core/types';
import { genesisHead, replayRows } from './engine/replay';
import { NodeVerifier } from './engine/verifier';
import { Host } from './host';
import { loadMachine } from './machine';
import { openDatabase } from './store/native';
import { lastJsonLine, runSwoosh, spawnServe, startServe, writeGenesis, type ServeProcess } from './testing/proc';
import { bootOverHttp, getJson, Target, Workload } from './testing/workload';
import { Store } from './store/store';

const LONG = process.env.SWOOSH_CRASH_LONG === '1' || process.env.SWOOSH_CRASH_LONG === 'true';
const KILLS = Number(process.env.SWOOSH_CRASH_KILLS ?? (LONG ? 300 : 30));
const SEED = Number(process.env.SWOOSH_CRASH_SEED ?? 20261122);
const CLIENTS = 4;
const SNAPSHOT_EVERY = 25;

const spec = loadMachine();
const dirs: string[] = [];

afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

interface WalRow {
  idx: number;
  idem_key: string;
  state_post_hash: string;
  body: string;
}

describe('crash safety (kill -9 of swoosh serve)', () => {
  it(
    `loses no acknowledged proposal across ${KILLS} SIGKILLs (seed ${SEED}, ${CLIENTS} clients)`,
    async () => {
      const started = performance.now();
      const dir = mkdtempSync(join(tmpdir(), 'swoosh-crash-'));
      dirs.push(dir);
      const db = join(dir, 'crash.db');
      const now = Date.now();
      const sc = new Scenario(spec, { start_ms: now - 5_000, epoch_ms: now - 3_600_000, operators: CLIENTS });
      const genesis = writeGenesis(dir, sc.genesis);
      const serveOpts = { db, genesis, snapshot_every: SNAPSHOT_EVERY };
      const rng = mulberry32(SEED);

      let srv: ServeProcess = await startServe(serveOpts);
      const boot = await bootOverHttp(srv.url, sc);
      const target = new Target();
      const load = new Workload({ scenario: sc, clients: CLIENTS, seed: SEED, target, prefix: `crash-${SEED}` });
      target.set(srv.url);
      load.start();

      let kills = 0;
      let startupKills = 0;
      const recoveredAt: number[] = [];
      const regressions: string[] = [];
      try {
        while (kills < KILLS) {
          // Mostly mid-load; sometimes right after the restart.
          await sleep(rng.chance(15) ? rng.int(30) : 40 + rng.int(300));
          target.down();
          const exit = await srv.kill9();
          expect(exit.signal).toBe('SIGKILL');
          kills += 1;
          // Now and then also crash the next process while it is still recovering.
          if (rng.chance(10)) {
            const early = spawnServe(serveOpts);
            await sleep(rng.int(400));
            await early.kill9();
            startupKills += 1;
          }
          const ackedBefore = Math.max(0, ...[...load.acks.values()].map((a) => a.index));
          const t0 = performance.now();
          srv = await startServe(serveOpts);
          if (process.env.SWOOSH_CRASH_DEBUG) console.log(`restart ${kills} took ${Math.round(performance.now() - t0)} ms at ${srv.index}`);
          recoveredAt.push(srv.index);
          if (srv.index < ackedBefore) regressions.push(`restart ${kills}: recovered index ${srv.index} < acknowledged ${ackedBefore}`);
          target.set(srv.url);
          await load.recheck(srv.url, 2);
        }
        await sleep(200);
      } finally {
        target.close();
        await load.stop();
      }

      // HEAD as the live server sees it, then a clean stop (the lock goes with it).
      const live = await getJson<{ hash: string; index: number }>(`${srv.url}/state?projection=control`);
      await load.recheck(srv.url, 20);
      // The decision records served for acknowledged indexes explain the same transitions.
      const sample = [...load.acks.values()].filter((_, i) => i % 10 === 0);
      for (const ack of sample) {
        const dr = await getJson<{ id: string; state_post_hash: string; transition: string }>(`${srv.url}/decisions/${ack.index}`);
        expect(dr).toMatchObject({
          id: `bubble://dr/${ack.index}`,
          state_post_hash: ack.state_post_hash,
          transition: ack.proposal.transition,
        });
      }
      const stop = await srv.stop();
      expect(stop.code).toBe(0);

      // 1. The WAL, read straight from the file.
      const conn = openDatabase(db, { readonly: true });
      const rows = conn.prepare('SELECT idx, idem_key, state_post_hash, body FROM wal ORDER BY idx').all() as WalRow[];
      conn.close();
      const byIndex = new Map(rows.map((r) => [r.idx, r]));
      const walKeys = new Map(rows.map((r) => [r.idem_key, r.idx]));
      expect(rows.length).toBe(live.index);
      expect(rows.map((r) => r.idx)).toEqual(rows.map((_, i) => i + 1));

      const lost: string[] = [];
      for (const ack of load.acks.values()) {
        const row = byIndex.get(ack.index);
        if (!row) lost.push(`${ack.idem_key}: index ${ack.index} missing`);
        else if (row.idem_key !== ack.idem_key) lost.push(`${ack.idem_key}: index ${ack.index} holds ${row.idem_key}`);
        else if (row.state_post_hash !== ack.state_post_hash)
          lost.push(`${ack.idem_key}: state ${row.state_post_hash} != acked ${ack.state_post_hash}`);
        else if (canonicalize((JSON.parse(row.body) as { proposal: unknown }).proposal) !== canonicalize(ack.proposal)) {
          lost.push(`${ack.idem_key}: stored proposal differs`);
        }
      }
      expect(lost).toEqual([]);
      const rejectedButWritten = [...load.rejectedKeys].filter((k) => walKeys.has(k));
      expect(rejectedButWritten).toEqual([]);
      const bootKeys = new Set(boot.map((p) => p.idem_key));
      const unaccounted = rows.filter((r) => !bootKeys.has(r.idem_key) && !load.acks.has(r.idem_key) && !load.inDoubt.has(r.idem_key));
      expect(unaccounted.map((r) => r.idem_key)).toEqual([]);
      expect(regressions).toEqual([]);
      expect(load.stats.idem_mismatches).toEqual([]);
      expect(load.stats.unexpected).toEqual([]);

      // 2. The chain verifies, and `swoosh replay` reaches the live HEAD.
      const verify = await runSwoosh(['verify', '--db', db]);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
      expect(lastJsonLine(verify.stdout)).toMatchObject({ ok: true, verified: live.index, state_hash: live.hash });
      const replay = await runSwoosh(['replay', '--db', db]);
      expect(replay.code, replay.stderr).toBe(0);
      expect(lastJsonLine(replay.stdout)).toMatchObject({ index: live.index, state_hash: live.hash });

      // 3. In process: full replay from genesis with real signatures, and host recovery.
      const store = new Store(db);
      let fromGenesis: ReturnType<typeof replayRows>;
      try {
        const stored = JSON.parse(store.getMeta('genesis') as string) as Genesis;
        fromGenesis = replayRows(genesisHead(stored, spec), store.scan(1), { spec, verifier: new NodeVerifier(), strict: true });
      } finally {
        store.close();
      }
      expect(fromGenesis.index).toBe(live.index);
      expect(fromGenesis.hash).toBe(live.hash);
      const host = Host.open({ db });
      try {
        expect(host.head.hash).toBe(live.hash);
        expect(host.recovery.skipped_snapshots).toEqual([]);
      } finally {
        host.close();
      }

      const acked = [...load.acks.values()];
      const summary = {
        seed: SEED,
        kills,
        startup_kills: startupKills,
        seconds: Math.round((performance.now() - started) / 100) / 10,
        wal_records: rows.length,
        acknowledged: acked.length,
        acknowledged_202: acked.filter((a) => a.status === 202).length,
        acknowledged_200_after_doubt: acked.filter((a) => a.status === 200).length,
        in_doubt_at_end: load.inDoubt.size,
        in_doubt_in_wal: [...load.inDoubt.keys()].filter((k) => walKeys.has(k)).length,
        recovered_min: Math.min(...recoveredAt),
        recovered_max: Math.max(...recoveredAt),
        ...load.stats,
        idem_mismatches: load.stats.idem_mismatches.length,
        unexpected: load.stats.unexpected.length,
      };
      console.log(`crash summary ${JSON.stringify(summary)}`);
      expect(kills).toBeGreaterThanOrEqual(KILLS);
      expect(acked.length).toBeGreaterThan(kills); // the workload really made progress between kills
      expect(load.stats.idem_checks).toBeGreaterThan(0);
      expect(Object.keys(load.stats.rejected).filter((c) => c !== 'hlc_regression' && c !== 'invalid_from_state')).toEqual([]);
    },
    LONG ? 3_600_000 : 240_000,
  );
});
