// Bounded growth of the live demo (not a timed test: it waits for loops, and asserts
// sizes, never speeds). The project runs with a 1 s beat, SHHH raising runtime alerts
// (quarantine, then the operator bot's automatic release) and the MCP registry flapping,
// for several loops; between an early and a late sample nothing the process keeps may
// grow with history: the runtime's lanes, clients and corpus, the simulators' counters,
// the engine's queue, every list in the state document, /health, and the process's
// active handles. Only the WAL grows, by design (docs/providers.md, "Soak").

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalize } from '../../core/canonical';
import { openServer as startServer, type Running } from '../app/server';
import { demoCast, demoGenesis } from '../demo';
import { systemClock } from '../host';
import { startDemo, type Demo } from './demo';

const PERIOD_MS = 1000;
const LOOPS = 8;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** The longest array anywhere in a JSON value (a list that grows with history shows here). */
function longestList(v: unknown, path = '$'): { path: string; length: number } {
  let best = { path, length: Array.isArray(v) ? v.length : 0 };
  if (typeof v === 'object' && v !== null) {
    for (const [k, x] of Object.entries(v)) {
      const sub = longestList(x, `${path}.${k}`);
      if (sub.length > best.length) best = sub;
    }
  }
  return best;
}

interface Sample {
  loop: number;
  index: number;
  state_bytes: number;
  longest_list: { path: string; length: number };
  health_bytes: number;
  queue_depth: number;
  handles: number;
  runtime: ReturnType<Demo['runtime']['bounds']>;
  sim_paths_max: number;
}

describe('bounded growth of the demo project (1 s beat, alerts, auto-release, flapping registry)', () => {
  let dir: string;
  let running: Running;
  let demo: Demo;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'swoosh-bounds-'));
    const genesis = demoGenesis({ period_ms: PERIOD_MS, epoch_ms: Date.now() - 10_000 });
    running = await startServer({
      db: join(dir, 'bounds.db'),
      genesis,
      host: '127.0.0.1',
      port: 0,
      durability: 'NORMAL',
      quiet: true,
      health: () => (demo ? { providers: demo.runtime.health() } : {}),
    });
    demo = await startDemo({
      swoosh: running.url,
      cast: demoCast(),
      genesis,
      clock: systemClock,
      tick_ms: 50,
      auto_release_after_ms: 1500,
      knobs: { shhh: { alert_every_ms: 4000 }, mcp: { flap_every: 3 } },
    });
  });

  afterAll(async () => {
    await demo?.stop();
    await running?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  async function sample(): Promise<Sample> {
    const s = running.host.head.state;
    const health = await (await fetch(`${running.url}/health`)).text();
    return {
      loop: s.execution.loop,
      index: running.host.head.index,
      state_bytes: canonicalize(s).length,
      longest_list: longestList(s),
      health_bytes: health.length,
      queue_depth: running.host.engine.queueDepth,
      handles: process.getActiveResourcesInfo().length,
      runtime: demo.runtime.bounds(),
      sim_paths_max: Math.max(...Object.values(demo.sims).map((x) => x.bounds().stats_paths)),
    };
  }

  async function untilLoop(n: number): Promise<void> {
    const deadline = Date.now() + 30 * PERIOD_MS * n;
    while (running.host.head.state.execution.loop < n) {
      if (Date.now() > deadline)
        throw new Error(`loop ${running.host.head.state.execution.loop} of ${n}; lanes ${JSON.stringify(demo.runtime.health().lanes)}`);
      await sleep(100);
    }
  }

  it(`keeps every structure within its bound over ${LOOPS} loops, quarantines and releases`, async () => {
    await untilLoop(2);
    const early = await sample();
    await untilLoop(LOOPS);
    const late = await sample();
    const violations = await (async () =>
      (await (await fetch(`${running.url}/wal?from=1&limit=1000`)).json()) as { records: Array<{ transition: string }> })();
    const names = violations.records.map((r) => r.transition);
    // The paths that could leak were exercised.
    expect(names).toContain('Policy_Violation');
    expect(names).toContain('Quarantine_Release');
    expect(late.index).toBeGreaterThan(early.index);

    // Fixed-size runtime: 7 lanes, 9 clients (KACHING, BACKBEAT, MCP, SHHH, SLURP,
    // provisioner, 3 council agents), one corpus of at most the 3 sources, no lane stuck.
    for (const s of [early, late]) {
      expect(s.runtime.lanes).toBe(7);
      expect(s.runtime.clients).toBe(9);
      expect(s.runtime.corpus_texts).toBeLessThanOrEqual(3);
      expect(s.runtime.busy_lanes).toBeLessThanOrEqual(7);
      expect(s.sim_paths_max).toBeLessThanOrEqual(65);
      expect(s.queue_depth).toBeLessThanOrEqual(7); // one proposal in flight per lane at most
    }
    // No list in the state document grows with history, nor the document, nor /health.
    expect(late.longest_list.length, late.longest_list.path).toBeLessThanOrEqual(8);
    expect(late.state_bytes).toBeLessThanOrEqual(early.state_bytes + 512);
    expect(late.health_bytes).toBeLessThanOrEqual(early.health_bytes + 1024);
    // No timers, sockets or servers pile up (keep-alive sockets come and go: some slack).
    expect(late.handles).toBeLessThanOrEqual(early.handles + 16);
  });
});
