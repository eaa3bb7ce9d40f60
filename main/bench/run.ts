// The host benchmarks as one run (what `swoosh bench` runs; docs/benchmarks.md): the
// engine with FULL durability and group commit, POST /transition latency at fixed
// offered rates on loopback, replay speed, start-up recovery, time travel (/state/at/N)
// and resident memory with a long WAL. Every figure sits beside a ceiling measured in the
// same run (harness.ts row shape), so runs on different machines compare by their ratios.
//
// One module per family: engine.ts, http.ts, wal.ts; the shared workload in chain.ts,
// the server child in child.ts, configuration and statistics in config.ts.

import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus, loadavg, release, totalmem } from 'node:os';
import Database from 'better-sqlite3';
import { loadMachine } from '../machine';
import { chainPrefix, ProposalChain } from './chain';
import { DEFAULT_HOST_CONFIG, fmt, type HostBenchConfig, type HostBenchResult, type Log, type TargetCheck } from './config';
import { benchCluster } from './cluster';
import { benchEngine } from './engine';
import { benchHttp } from './http';
import { benchWal } from './wal';

export function machineFacts(dir: string): string[] {
  const cpu = cpus();
  let fs = 'unknown';
  try {
    const mounts = readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => f.length > 3);
    let best: string[] | null = null;
    for (const m of mounts) {
      const mp = m[1] as string;
      if ((dir === mp || dir.startsWith(mp.endsWith('/') ? mp : `${mp}/`)) && (!best || mp.length > (best[1] as string).length)) best = m;
    }
    if (best) fs = `${best[2]} on ${best[0]} (${best[1]})`;
  } catch {
    // not Linux
  }
  const mem = new Database(':memory:');
  const sqlite = (mem.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
  mem.close();
  const require = createRequire(import.meta.url);
  const bs3 = (require('better-sqlite3/package.json') as { version: string }).version;
  return [
    `cpu: ${cpu[0]?.model ?? 'unknown'} × ${cpu.length}${cpu[0]?.speed ? ` (${cpu[0].speed} MHz)` : ''}; memory ${fmt(totalmem() / 1024 ** 3, 1)} GiB`,
    `os: ${process.platform} ${release()}; node ${process.version}; SQLite ${sqlite} (better-sqlite3 ${bs3})`,
    `bench files: ${dir} on ${fs}`,
    `load average at start: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  ];
}

export async function runHostBench(config: HostBenchConfig = DEFAULT_HOST_CONFIG, log: Log = () => {}): Promise<HostBenchResult> {
  mkdirSync(config.dir, { recursive: true });
  const out: HostBenchResult = { rows: [], ceilings: {}, notes: [], targets: [] };
  const merge = (r: HostBenchResult) => {
    out.rows.push(...r.rows);
    Object.assign(out.ceilings, r.ceilings);
    out.notes.push(...r.notes);
    out.targets.push(...r.targets);
  };
  const chain = new ProposalChain(loadMachine());
  if (config.parts.includes('engine') || config.parts.includes('http')) {
    const need = Math.max(
      config.parts.includes('engine') ? config.engine_proposals : 0,
      config.parts.includes('http')
        ? Math.round((Math.min(...config.rates) * config.rate_warmup_ms) / 1000) +
            Math.round((Math.max(...config.rates) * config.rate_duration_ms) / 1000) +
            2
        : 0,
    );
    const t0 = performance.now();
    chainPrefix(chain, need);
    log(`built ${fmt(need)} signed proposals in ${fmt((performance.now() - t0) / 1000, 1)} s`);
  }
  if (config.parts.includes('engine')) merge(await benchEngine(config, chain, log));
  if (config.parts.includes('http')) merge(await benchHttp(config, chain, log));
  if (config.parts.includes('wal')) merge(await benchWal(config, log));
  if (config.parts.includes('cluster')) merge(await benchCluster(config, chain, log));
  out.notes.push(
    `load average at end: ${loadavg()
      .map((x) => x.toFixed(2))
      .join(' ')}`,
  );
  return out;
}

export function formatTargets(targets: readonly TargetCheck[]): string[] {
  return targets.map((t) => `  [${t.met ? 'met' : 'MISSED'}] ${t.target}: ${t.figure}`);
}
