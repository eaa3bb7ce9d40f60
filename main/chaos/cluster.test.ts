// `swoosh chaos --cluster` (main/chaos/cluster.ts, docs/chaos.md): the seeded fault plan
// (pure), then one short run of the real command — 3 etcd members and 3 nodes as
// processes, every cluster fault once — whose JSON report must pass every check, carry
// the cluster fields, end on the state the seed determines, and leave no process behind.
// What the cluster guarantees under each fault in detail is main/cluster/cluster.test.ts's.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeCast, makeGenesis } from '../../core/testing/kit';
import { clusterSettings } from '../cluster/flags';
import { UsageError } from '../commands/args';
import { NodeVerifier } from '../engine/verifier';
import { loadMachine } from '../machine';
import { lastJsonLine, runSwoosh } from '../testing/proc';
import { CLUSTER_KEEP_RECORDS, type ClusterChaosSummary } from './cluster';
import { ChaosDriver } from './driver';
import { CLUSTER_FAULTS, FaultSpecError, formatFaults, parseFaults, planClusterFaults, planFaults } from './faults';
import { CHAOS_EPOCH_MS, fastCast, ModelHost } from './model';

const SEED = 3;
const STEPS = 120;

/** The model's final hash for (seed, steps, faults): what the cluster must end on, whatever the faults did. */
function modelHash(seed: number, steps: number, faults: string): { hash: string; index: number } {
  const spec = loadMachine();
  const cast = fastCast(makeCast());
  const verifier = new NodeVerifier();
  const genesis = makeGenesis(cast, { epoch_ms: CHAOS_EPOCH_MS, project: 'chaos' });
  const model = new ModelHost(spec, genesis, verifier);
  const plan = planFaults(seed, parseFaults(faults, 'cluster'));
  const driver = new ChaosDriver(spec, seed, { cast, verifier, epoch_ms: CHAOS_EPOCH_MS, project: 'chaos' }, model, plan);
  driver.limit = steps;
  for (let n = 0; !driver.full && n < steps * 8; n += 1) {
    driver.act();
    driver.drain();
  }
  driver.flush();
  return { hash: model.head.hash, index: model.index };
}

describe('chaos --cluster: the fault plan', () => {
  it('parses the cluster fault universe and refuses faults of the other mode', () => {
    const all = parseFaults('all', 'cluster');
    for (const k of CLUSTER_FAULTS) expect(all.has(k)).toBe(true);
    expect(all.has('kill')).toBe(false);
    expect([...parseFaults('cluster', 'cluster')].sort()).toEqual([...CLUSTER_FAULTS].sort());
    expect(() => parseFaults('kill', 'cluster')).toThrow(FaultSpecError);
    expect(() => parseFaults('leader-kill')).toThrow(/needs --cluster/);
    expect(formatFaults(parseFaults('all,-etcd-kill', 'cluster'), 'cluster')).toBe('all,-etcd-kill');
    // Single-node parsing is unchanged: `all` there holds no cluster fault.
    expect([...parseFaults('all')].some((k) => (CLUSTER_FAULTS as readonly string[]).includes(k))).toBe(false);
  });

  it('draws every enabled kind, in order, from the seed alone', () => {
    const enabled = parseFaults('all', 'cluster');
    const a = planClusterFaults(11, enabled, 600);
    expect(planClusterFaults(11, enabled, 600)).toEqual(a);
    expect(planClusterFaults(12, enabled, 600)).not.toEqual(a);
    expect(a.length).toBeGreaterThanOrEqual(CLUSTER_FAULTS.length);
    expect(new Set(a.slice(0, CLUSTER_FAULTS.length).map((e) => e.kind)).size).toBe(CLUSTER_FAULTS.length);
    for (let i = 1; i < a.length; i += 1) expect(a[i]!.at_step).toBeGreaterThan(a[i - 1]!.at_step);
    for (const e of a) expect(e.at_step > 0 && e.at_step < 600 && e.restart_after_steps >= 3).toBe(true);
    expect(planClusterFaults(11, parseFaults('net,stream', 'cluster'), 600)).toEqual([]);
    expect(planClusterFaults(11, parseFaults('leader-kill', 'cluster'), 600).every((e) => e.kind === 'leader-kill')).toBe(true);
  });
});

/** Bound on the short cluster run (30–45 s here), under which the child is killed. */
const RUN_MS_MAX = 80_000;

describe('chaos --cluster: a short run of the real command', () => {
  it(
    'passes every check under every cluster fault and reports leader changes, failover and node heads',
    async () => {
      // Its own temp dir (etcd data dirs and node databases), to look for leftovers after.
      const tmp = mkdtempSync(join(tmpdir(), 'swoosh-cc-test-'));
      try {
        const args = [
          'chaos',
          '--cluster',
          '--seed',
          String(SEED),
          '--steps',
          String(STEPS),
          '--keep-records',
          String(CLUSTER_KEEP_RECORDS),
          '--json',
        ];
        const out = await runSwoosh(args, { env: { TMPDIR: tmp }, timeout_ms: RUN_MS_MAX });
        expect(out.code, out.stderr + out.stdout.slice(-2000)).toBe(0);
        const s = lastJsonLine<ClusterChaosSummary>(out.stdout);
        expect(s).toMatchObject({ mode: 'cluster', seed: SEED, steps: STEPS, nodes: 3, etcd_members: 3, ok: true });
        expect({ violations: s.violations, lost: s.lost, duplicated: s.duplicated, unexpected: s.unexpected }).toEqual({
          violations: [],
          lost: [],
          duplicated: [],
          unexpected: [],
        });
        for (const k of CLUSTER_FAULTS) expect(s.fired[k], k).toBeGreaterThanOrEqual(1);
        // The first election, the killed leader's successor and the paused leader's.
        expect(s.leader_changes).toBeGreaterThanOrEqual(3);
        expect(s.failover_ms.samples.map((f) => f.fault).sort()).toEqual(['leader-kill', 'leader-pause']);
        expect(s.failover_ms.p50).toBeGreaterThan(0);
        expect(s.failover_ms.max).toBeGreaterThanOrEqual(s.failover_ms.p50!);
        expect(s.zombie_answers).toHaveLength(1);
        expect(s.zombie_answers[0]!.status).not.toBe(202);
        // Per-node heads: every node at the model's head, and the model's head is the seed's.
        const want = modelHash(SEED, STEPS, 'all');
        expect(s.model_hash).toBe(want.hash);
        expect(s.accepted).toBe(want.index);
        expect(s.node_heads.map((h) => h.node_id)).toEqual(['n1', 'n2', 'n3']);
        for (const h of s.node_heads) expect(h).toMatchObject({ index: want.index, hash: want.hash });
        for (const h of s.node_heads) expect(h.records).toBeLessThanOrEqual(want.index - h.first + 1);
        expect(s.node_heads.filter((h) => h.role === 'leader')).toHaveLength(1);
        // etcd was compacted (the seed's follower-wipe falls near record 38, past the first
        // snapshot-covered window): the wiped follower restored from the leader's snapshot,
        // so its copy starts there; the others hold the whole history and are replayed.
        expect(s).toMatchObject({ keep_records: CLUSTER_KEEP_RECORDS });
        expect(s.snapshot_restores).toBeGreaterThanOrEqual(1);
        const restored = s.node_heads.filter((h) => h.records < want.index);
        expect(restored.length).toBeGreaterThanOrEqual(1);
        expect(restored.length).toBeLessThan(3);
        expect(s.checks.etcd_records).toBeGreaterThanOrEqual(CLUSTER_KEEP_RECORDS);
        expect(s.checks.etcd_records).toBeLessThan(want.index);
        expect(s.checks).toMatchObject({ nodes_compared: 3, replayed: (3 - restored.length) * want.index });
        expect(s.checks.model_answers).toBe(s.sends);
        expect(s.rerun).toBe(
          `npx swoosh chaos --cluster --seed ${SEED} --steps ${STEPS} --keep-records ${CLUSTER_KEEP_RECORDS} --faults all --json`,
        );
        // Nothing left running: no etcd member, no node (all of their paths are under tmp).
        const ps = execFileSync('ps', ['-eo', 'args'], { encoding: 'utf8' });
        expect(ps.split('\n').filter((l) => l.includes(tmp))).toEqual([]);
      } finally {
        rmSync(tmp, { recursive: true, force: true });
      }
    },
    RUN_MS_MAX + 10_000,
  );

  it('refuses a --keep-records that is not a whole number of at least 1, before anything opens', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'swoosh-cc-flag-'));
    try {
      const node = { etcd: 'http://127.0.0.1:1', node_id: 'n1' };
      for (const bad of ['0', '-3', '2.5', 'ten', '', '1e3', '100000001'])
        expect(() => clusterSettings({ ...node, keep_records: bad }), bad).toThrow(
          new UsageError(`--keep-records must be an integer within 1..100000000, got ${bad}`),
        );
      expect(clusterSettings({ ...node, keep_records: '40' })?.keep_records).toBe(40);
      expect(clusterSettings(node)?.keep_records).toBeUndefined();
      // Through the CLI: a usage error (exit 2) before the database opens.
      const db = join(tmp, 'n1.db');
      const out = await runSwoosh(['serve', '--db', db, '--etcd', node.etcd, '--node-id', 'n1', '--keep-records=0']);
      expect(out.code).toBe(2);
      expect(out.stderr).toContain('--keep-records must be an integer within 1..100000000, got 0');
      const alone = await runSwoosh(['serve', '--db', db, '--keep-records', '40']);
      expect(alone.code).toBe(2);
      expect(alone.stderr).toMatch(/--keep-records are for a cluster node: add --etcd/);
      expect(existsSync(db)).toBe(false);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 30_000);
});
