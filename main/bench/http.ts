// POST /transition at fixed offered rates on loopback: a server child per rate
// (child.ts) and an open-loop generator that pipelines on one keep-alive connection
// (chained proposals must arrive in order, and one TCP stream is the only transport that
// guarantees it; autocannon's `overallRate` is a per-second cap on a closed loop, which
// bursts and then idles, so it is not used). The floor is one synchronous=FULL commit.

import { mkdtempSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { Genesis } from '../../core/types';
import { chainPrefix, type ProposalChain } from './chain';
import { ServerChild } from './child';
import { fmt, quantile, sortedCopy, type HostBenchConfig, type HostBenchResult, type Log, type TargetCheck } from './config';
import { row, type BenchRow } from './harness';

interface OpenLoopResult {
  /** Response time minus send time, ms, in request order. */
  latency_ms: Float64Array;
  status: Uint16Array;
  /** Actual send time minus scheduled send time, ms. */
  lag_ms: Float64Array;
  received: number;
  /** First scheduled send to last response, ms. */
  span_ms: number;
  first_error: string | null;
}

export function requestBuffer(hostPort: string, body: string): Buffer {
  const bytes = Buffer.from(body, 'utf8');
  const head = `POST /transition HTTP/1.1\r\nHost: ${hostPort}\r\nContent-Type: application/json\r\nContent-Length: ${bytes.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), bytes]);
}

/**
 * Open loop on one pipelined keep-alive connection: request i leaves at t0 + i/rate
 * whatever the answers do (so a slow server cannot slow the offered rate down: no
 * coordinated omission); responses come back in order (HTTP/1.1). Latency runs from the
 * moment the request was written to the moment its response was parsed; how late the
 * writes were against the schedule is returned as lag_ms.
 */
export function openLoop(url: URL, requests: readonly Buffer[], rate: number, give_up_ms: number): Promise<OpenLoopResult> {
  const n = requests.length;
  const latency_ms = new Float64Array(n);
  const lag_ms = new Float64Array(n);
  const status = new Uint16Array(n);
  const sentAt = new Float64Array(n);
  return new Promise((resolve, reject) => {
    const sock: Socket = connect(Number(url.port), url.hostname);
    sock.setNoDelay(true);
    let pending: Buffer = Buffer.alloc(0);
    let sent = 0;
    let received = 0;
    let first_error: string | null = null;
    let t0 = 0;
    let finished = false;
    const interval = 1000 / rate;
    const finish = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(guard);
      sock.destroy();
      resolve({ latency_ms, status, lag_ms, received, span_ms: performance.now() - t0, first_error });
    };
    const guard = setTimeout(finish, (n / rate) * 1000 + give_up_ms);
    const tick = (): void => {
      if (finished) return;
      const now = performance.now();
      while (sent < n && t0 + sent * interval <= now) {
        lag_ms[sent] = now - (t0 + sent * interval);
        sentAt[sent] = now;
        sock.write(requests[sent] as Buffer);
        sent += 1;
      }
      if (sent >= n) return;
      // Timers, not a busy loop: on a small machine a spinning client would take the CPU
      // the server needs. Requests due together leave together (timers tick about every
      // millisecond); the lateness is reported as the send lag.
      const wait = t0 + sent * interval - performance.now();
      setTimeout(tick, Math.max(0, wait - 0.5));
    };
    sock.on('data', (chunk: Buffer) => {
      const now = performance.now();
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      for (;;) {
        const end = pending.indexOf('\r\n\r\n');
        if (end < 0) break;
        const head = pending.toString('latin1', 0, end);
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? '0');
        if (pending.length < end + 4 + length) break;
        const code = Number(head.slice(9, 12));
        if (code !== 202 && first_error === null)
          first_error = `request ${received}: ${code} ${pending.toString('utf8', end + 4, end + 4 + length)}`;
        status[received] = code;
        latency_ms[received] = now - sentAt[received]!;
        received += 1;
        pending = pending.subarray(end + 4 + length);
      }
      if (received === n) finish();
    });
    sock.on('error', (err) => {
      if (!finished) {
        finished = true;
        clearTimeout(guard);
        reject(err);
      }
    });
    sock.on('connect', () => {
      t0 = performance.now() + 2;
      tick();
    });
  });
}

interface RatePhase {
  rate: number;
  sent: number;
  accepted: number;
  achieved_per_s: number;
  p50: number;
  p99: number;
  max: number;
  lag_p99: number;
  first_error: string | null;
}

async function ratePhase(
  config: HostBenchConfig,
  dir: string,
  genesis: Genesis,
  bodies: readonly string[],
  rate: number,
  warmRate: number,
): Promise<RatePhase> {
  const warmCount = Math.max(1, Math.round((warmRate * config.rate_warmup_ms) / 1000));
  const count = Math.max(1, Math.round((rate * config.rate_duration_ms) / 1000));
  if (bodies.length < warmCount + count) throw new Error(`need ${warmCount + count} proposals, have ${bodies.length}`);
  const db = join(dir, `http-${rate}.db`);
  const child = ServerChild.start();
  try {
    const opened = await child.open({ db, genesis });
    const url = new URL(opened.url);
    const hostPort = `${url.hostname}:${url.port}`;
    const warmReqs = bodies.slice(0, warmCount).map((b) => requestBuffer(hostPort, b));
    const reqs = bodies.slice(warmCount, warmCount + count).map((b) => requestBuffer(hostPort, b));
    const warm = await openLoop(url, warmReqs, warmRate, 30_000);
    const warmBad = warm.status.findIndex((s) => s !== 202);
    if (warm.received !== warmCount || warmBad >= 0)
      throw new Error(`warm-up at ${warmRate}/s: ${warm.received}/${warmCount} answered; ${warm.first_error ?? 'no answer'}`);
    const r = await openLoop(url, reqs, rate, 30_000);
    let accepted = 0;
    while (accepted < r.received && r.status[accepted] === 202) accepted += 1;
    const lat = sortedCopy(r.latency_ms.subarray(0, accepted));
    const lag = sortedCopy(r.lag_ms);
    return {
      rate,
      sent: count,
      accepted,
      achieved_per_s: (accepted * 1000) / r.span_ms,
      p50: quantile(lat, 0.5),
      p99: quantile(lat, 0.99),
      max: quantile(lat, 1),
      lag_p99: quantile(lag, 0.99),
      first_error: r.first_error ?? (r.received < count ? `${count - r.received} requests unanswered` : null),
    };
  } finally {
    await child.stop();
    for (const p of [db, `${db}-wal`, `${db}-shm`]) rmSync(p, { force: true });
  }
}

/** The durability floor every 202 waits for: one small synchronous=FULL commit, sequentially. */
function fsyncCommitLatency(dir: string, bodyBytes: number, count: number): { p50: number; p99: number } {
  const path = join(dir, 'fsync-floor.db');
  const db = new Database(path);
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE t (idx INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const insert = db.prepare('INSERT INTO t (body) VALUES (?)');
    const body = 'x'.repeat(bodyBytes);
    const tx = db.transaction(() => insert.run(body));
    const lat = new Float64Array(count);
    for (let i = 0; i < count; i += 1) {
      const t = performance.now();
      tx();
      lat[i] = performance.now() - t;
    }
    lat.sort();
    return { p50: quantile(lat, 0.5), p99: quantile(lat, 0.99) };
  } finally {
    db.close();
    for (const p of [path, `${path}-wal`, `${path}-shm`]) rmSync(p, { force: true });
  }
}

export async function benchHttp(config: HostBenchConfig, chain: ProposalChain, log: Log): Promise<HostBenchResult> {
  const warmRate = Math.min(...config.rates);
  const warmCount = Math.max(1, Math.round((warmRate * config.rate_warmup_ms) / 1000));
  const maxCount = Math.max(...config.rates.map((r) => Math.max(1, Math.round((r * config.rate_duration_ms) / 1000))));
  const bodies = chainPrefix(chain, warmCount + maxCount).map((p) => JSON.stringify(p));
  const work = mkdtempSync(join(config.dir, 'http-'));
  const rows: BenchRow[] = [];
  const ceilings: Record<string, string> = {};
  const notes: string[] = [];
  const targets: TargetCheck[] = [];
  try {
    const floorCount = Math.max(50, Math.min(1000, Math.round(config.rate_duration_ms / 5)));
    const floor = fsyncCommitLatency(work, 1500, floorCount);
    log(`fsync floor: one FULL commit p50 ${floor.p50.toFixed(2)} ms, p99 ${floor.p99.toFixed(2)} ms`);
    for (const rate of config.rates) {
      const p = await ratePhase(config, work, chain.genesis, bodies, rate, warmRate);
      log(
        `POST /transition @${rate}/s: achieved ${fmt(p.achieved_per_s)}/s, p50 ${p.p50.toFixed(2)} ms, p99 ${p.p99.toFixed(2)} ms, ` +
          `max ${p.max.toFixed(2)} ms, ${p.accepted}/${p.sent} accepted`,
      );
      const n50 = `POST /transition p50 @${rate} req/s offered`;
      const n99 = `POST /transition p99 @${rate} req/s offered`;
      const nr = `POST /transition achieved rate @${rate} req/s offered`;
      if (p.accepted > 0) {
        rows.push(row(n50, 'ms', p.p50, floor.p50), row(n99, 'ms', p.p99, floor.p99));
        ceilings[n50] = 'floor: p50 of one synchronous=FULL commit on the same disk (lower is better; ratio = times the floor)';
        ceilings[n99] = 'floor: p99 of one synchronous=FULL commit on the same disk (lower is better; ratio = times the floor)';
      }
      rows.push(row(nr, 'req/s', p.achieved_per_s, rate));
      ceilings[nr] = 'the offered rate';
      notes.push(
        `POST @${rate}/s: ${p.accepted}/${p.sent} accepted over ${config.rate_duration_ms} ms, max ${p.max.toFixed(2)} ms, ` +
          `generator send lag p99 ${p.lag_p99.toFixed(2)} ms${p.first_error ? `; FAILED: ${p.first_error}` : ''}`,
      );
      if (rate === 2000) {
        targets.push({
          target: 'POST /transition p99 ≤ 10 ms at 2,000 req/s',
          figure: `p99 ${p.p99.toFixed(2)} ms, achieved ${fmt(p.achieved_per_s)}/s, ${p.accepted}/${p.sent} accepted`,
          met: p.accepted === p.sent && p.p99 <= 10 && p.achieved_per_s >= 0.95 * rate,
        });
      }
    }
    notes.push(
      `POST method: server = openServer (the \`swoosh serve\` path, FULL) in a child process on a fresh database per rate; ` +
        `client = open-loop (timer-paced, no busy loop), one pipelined keep-alive connection on loopback, latency from the write to the parsed answer; ` +
        `${warmCount} proposals at ${warmRate}/s first (untimed warm-up, includes boot); fsync floor over ${floorCount} commits`,
    );
    return { rows, ceilings, notes, targets };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
