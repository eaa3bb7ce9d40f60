// Soak run of the demo project (`swoosh serve --sim`, in this process): samples resident
// memory, heap, WAL records and database bytes at a fixed interval and prints one JSON
// report. The WAL grows by design (every accepted transition is a record); memory and
// every runtime structure must not.
//
//   node --import tsx main/sim/soak.ts --minutes 10 --beat-ms 2000 [--db DIR]
//
// Figures are in docs/providers.md ("Soak").

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { canonicalize } from '../../core/canonical';
import { demoGenesis } from '../demo';
import { attachDemo } from '../app/demo';
import { providersHealth } from '../app/providers';
import { openServer } from '../app/server';

interface Sample {
  t_s: number;
  rss_mb: number;
  heap_mb: number;
  wal_index: number;
  db_bytes: number;
  state_bytes: number;
  loop: number;
}

const MB = 1024 * 1024;

function bytesOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string', default: '10' },
      'beat-ms': { type: 'string', default: '2000' },
      'sample-s': { type: 'string', default: '30' },
    },
  });
  const minutes = Number(values.minutes);
  const period_ms = Number(values['beat-ms']);
  const sample_ms = Number(values['sample-s']) * 1000;
  const dir = mkdtempSync(join(tmpdir(), 'swoosh-soak-'));
  const db = join(dir, 'soak.db');
  const running = await openServer({
    db,
    genesis: demoGenesis({ period_ms }),
    host: '127.0.0.1',
    port: 0,
    durability: 'FULL',
    quiet: true,
  });
  const { demo } = await attachDemo(running, { auto_release_after_ms: 10_000 });
  // Exercise the paths that could leak: runtime alerts → quarantine → automatic release.
  demo.sims.shhh?.setKnobs({ alert_every_ms: 60_000 });
  const t0 = Date.now();
  const samples: Sample[] = [];
  const sample = () => {
    const m = process.memoryUsage();
    const head = running.host.head;
    samples.push({
      t_s: Math.round((Date.now() - t0) / 1000),
      rss_mb: +(m.rss / MB).toFixed(1),
      heap_mb: +(m.heapUsed / MB).toFixed(1),
      wal_index: head.index,
      db_bytes: bytesOf(db) + bytesOf(`${db}-wal`),
      state_bytes: canonicalize(head.state).length,
      loop: head.state.execution.loop,
    });
    process.stderr.write(`${JSON.stringify(samples.at(-1))}\n`);
  };
  sample();
  while (Date.now() - t0 < minutes * 60_000) {
    await new Promise((r) => setTimeout(r, sample_ms));
    sample();
  }
  const first = samples.find((s) => s.t_s >= 60) ?? (samples[0] as Sample); // after warm-up
  const last = samples.at(-1) as Sample;
  const hours = (last.t_s - first.t_s) / 3600;
  const report = {
    minutes,
    period_ms,
    samples: samples.length,
    rss_mb: { after_warmup: first.rss_mb, end: last.rss_mb, max: Math.max(...samples.map((s) => s.rss_mb)) },
    heap_mb: { after_warmup: first.heap_mb, end: last.heap_mb, max: Math.max(...samples.map((s) => s.heap_mb)) },
    wal_records: last.wal_index,
    wal_records_per_hour: Math.round((last.wal_index - first.wal_index) / hours),
    db_bytes: last.db_bytes,
    db_bytes_per_hour: Math.round((last.db_bytes - first.db_bytes) / hours),
    state_bytes: { after_warmup: first.state_bytes, end: last.state_bytes },
    loops: last.loop,
    runtime: demo.runtime.bounds(),
    health_status: providersHealth(demo.runtime).status,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
  await running.stop();
  rmSync(dir, { recursive: true, force: true });
}

void main();
