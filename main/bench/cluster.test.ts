// Smoke test of `swoosh bench --only cluster` at a tiny size: 3 real etcd members and 3
// real nodes, 40 proposals, one leader kill. It checks the row shape, that every row has
// a named ceiling, and that the figures are real measurements (finite, positive), never
// anything about speed (project rule: speed is measured by `swoosh bench`).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadMachine } from '../machine';
import { ProposalChain } from './chain';
import { benchCluster } from './cluster';
import { DEFAULT_HOST_CONFIG } from './config';
import { isBenchRow } from './harness';

const dir = mkdtempSync(join(tmpdir(), 'swoosh-cluster-bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('cluster benchmark (tiny)', () => {
  it('measures throughput beside both ceilings and failover over a real leader kill', async () => {
    const lines: string[] = [];
    const r = await benchCluster(
      { ...DEFAULT_HOST_CONFIG, dir, timing: { warmup_ms: 0, duration_ms: 1, ops_max: 5 } },
      new ProposalChain(loadMachine()),
      (l) => lines.push(l),
      { proposals: 40, kills: 1, lease_ms: 2000 },
    );
    expect(r.rows).toHaveLength(4);
    for (const row of r.rows) {
      expect(isBenchRow(row)).toBe(true);
      expect(r.ceilings[row.name]).toBeTruthy();
      expect(Number.isFinite(row.value) && row.value > 0).toBe(true);
      expect(Number.isFinite(row.ceiling) && row.ceiling > 0).toBe(true);
    }
    // The failover was measured from a real kill: at least the lease must have run out
    // before another node could take the leader key (etcd rounds 2000 ms to 2 s).
    const p50 = r.rows.find((x) => x.name.includes('failover p50'));
    expect(p50!.value).toBeGreaterThan(1000);
    expect(lines.some((l) => l.startsWith('failover 1/1:'))).toBe(true);
    expect(r.targets).toHaveLength(1);
  }, 120_000);
});
