// The console on a cluster node, in Debian Chromium: one real etcd member (Debian's etcd,
// main/cluster/etcd-harness.ts) and two real `swoosh serve --etcd … --console` nodes.
//
// - the console opened on the follower says so in the header (node id and role) and its
//   Health view's Cluster panel names the leader, the indexes, the etcd member and
//   where writes go;
// - the leader is killed with SIGKILL: the follower's console shows the new leader
//   (itself: it is the only node left) in the header and the panel, and the leader
//   history it kept for the session lists the old leader, then the new one;
// - screenshots cluster-follower-dark and cluster-failover-dark; no page error.
//
// Bounded: lease 2 s, the failover is seen within 30 s; afterAll stops every process
// (nodes SIGTERM then SIGKILL, the etcd member) whatever happened.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoGenesis } from '../core/fixtures/demo';
import { H } from '../core/hash';
import { EtcdCluster, freePort } from '../main/cluster/etcd-harness';
import {
  assertConsoleBuilt,
  clientFor,
  demo,
  launchBrowser,
  shot,
  startServe,
  waitUntil,
  watchedPage,
  type Served,
  type WatchedPage,
} from './harness';

const LEASE_MS = 2000;
/** Lease expiry + election + the console's next /health poll (5 s), with room for 2 busy cores. */
const FAILOVER_SEEN_MS = 30_000;

interface ClusterNode {
  id: string;
  url: string;
  srv: Served;
}

let etcd: EtcdCluster | null = null;
let dir: string;
const nodes: ClusterNode[] = [];
let browser: Browser | null = null;
let w: WatchedPage;
let page: Page;

async function consensusOf(url: string): Promise<{ role?: string; leader?: { node_id: string } | null } | null> {
  try {
    const res = await fetch(`${url}/health`, { signal: AbortSignal.timeout(1000) });
    return ((await res.json()) as { consensus?: { role?: string; leader?: { node_id: string } | null } }).consensus ?? null;
  } catch {
    return null;
  }
}

async function startNode(id: string, genesis: string): Promise<ClusterNode> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const srv = await startServe([
    '--genesis',
    genesis,
    '--port',
    String(port),
    '--etcd',
    (etcd as EtcdCluster).endpoints.join(','),
    '--node-id',
    id,
    '--advertise',
    url,
    '--lease-ms',
    String(LEASE_MS),
    '--console',
  ]);
  const n = { id, url, srv };
  nodes.push(n);
  return n;
}

describe('console on a cluster node (1 etcd member, 2 nodes)', () => {
  beforeAll(async () => {
    assertConsoleBuilt();
    dir = mkdtempSync(join(tmpdir(), 'swoosh-cluster-e2e-'));
    const genesis = join(dir, 'genesis.json');
    writeFileSync(genesis, JSON.stringify(demoGenesis()));
    [etcd, browser] = await Promise.all([EtcdCluster.start({ members: 1 }), launchBrowser()]);
    // n1 first, so it is the leader when n2 joins; the console is opened on n2.
    const n1 = await startNode('n1', genesis);
    await waitUntil('n1 to lead', async () => ((await consensusOf(n1.url))?.role === 'leader' ? true : undefined), 20_000, 200);
    const n2 = await startNode('n2', genesis);
    await waitUntil('n2 to follow n1', async () => {
      const c = await consensusOf(n2.url);
      return c?.role === 'follower' && c.leader?.node_id === 'n1' ? true : undefined;
    });
    w = await watchedPage(browser, { colorScheme: 'dark' });
    page = w.page;
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all(nodes.map((n) => n.srv.stop()));
    await etcd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 30_000);

  it('the follower console names its node and role, and the Cluster panel names the leader and where writes go', async () => {
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    // One signed write through the leader (the first boot step), so the follower has something to apply.
    const op2 = clientFor(n1.url, demo.operators[1]);
    const r = await op2.propose('Boot_ConfigOk', { config_hash: H(demoGenesis()) });
    expect(r.ok, JSON.stringify(r)).toBe(true);
    await waitUntil('n2 to apply #1', async () => ((await clientFor(n2.url).state()).index >= 1 ? true : undefined));
    await page.goto(`${n2.url}/#/health`);
    await page.waitForSelector('[data-testid="node-role"] .stat-value:has-text("n2 · follower")');
    const panel = '[data-testid="health-cluster"]';
    await page.waitForSelector(`${panel} [data-testid="cluster-leader"][data-leader="n1"]`);
    expect(await page.textContent(`${panel} [data-testid="cluster-leader"]`)).toContain(n1.url);
    expect(await page.textContent(`${panel} [data-testid="cluster-self"]`)).toContain('n2');
    expect(await page.textContent(`${panel} [data-testid="cluster-writes-to"]`)).toContain(`writes go to ${n1.url}`);
    expect(await page.textContent(`${panel} [data-testid="cluster-members-summary"]`)).toBe('1 of 1 ok');
    expect(await page.textContent(`${panel} [data-testid="cluster-members"]`)).toContain((etcd as EtcdCluster).endpoints[0]);
    expect(await page.textContent(`${panel} [data-testid="cluster-indexes"]`)).toMatch(/^#1 \/ #1 · caught up/);
    const seen = await page.$$eval(`${panel} [data-testid="cluster-nodes"] li`, (els) => els.map((e) => e.getAttribute('data-node')));
    expect(seen.sort()).toEqual(['n1', 'n2']);
    await shot(page, 'cluster-follower-dark');
    w.assertClean();
  }, 30_000);

  it('kill -9 of the leader: the follower console shows the new leader, and its history keeps the old one', async () => {
    const [n1, n2] = nodes as [ClusterNode, ClusterNode];
    const t0 = Date.now();
    n1.srv.child.kill('SIGKILL');
    await page.waitForSelector('[data-testid="node-role"] .stat-value:has-text("n2 · leader · writer")', { timeout: FAILOVER_SEEN_MS });
    const panel = '[data-testid="health-cluster"]';
    await page.waitForSelector(`${panel} [data-testid="cluster-leader"][data-leader="n2"]`, { timeout: FAILOVER_SEEN_MS });
    expect(await page.textContent(`${panel} [data-testid="cluster-leader"]`)).toContain(n2.url);
    expect(await page.isVisible(`${panel} [data-testid="cluster-writes-to"]`)).toBe(false);
    // Newest first: n2, possibly a "no leader" gap the console happened to see, then n1.
    const history = await page.$$eval(`${panel} [data-testid="cluster-history"] li`, (els) =>
      els.map((e) => e.getAttribute('data-leader')),
    );
    expect(history[0]).toBe('n2');
    expect(history[history.length - 1]).toBe('n1');
    expect(history.filter((h) => h !== '')).toEqual(['n2', 'n1']);
    expect(Date.now() - t0).toBeLessThan(FAILOVER_SEEN_MS);
    await shot(page, 'cluster-failover-dark');
    // The killed leader's page requests are not this page's: the follower never went away.
    w.assertClean();
  }, 45_000);
});
