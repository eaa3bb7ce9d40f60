// Measures how many rejection rows one peer can make the host store per second: a real
// Host and ApiServer on 127.0.0.1, CLIENTS keep-alive connections from one address posting
// junk (valid JSON, not a proposal: `malformed`, stored as a digest) for DURATION_MS.
//
//   node --import tsx main/api/rejection-flood.ts [duration_ms]
//
// Prints one JSON line: answered/s, stored/s (rows the store wrote), and the answers by status.

import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { demoGenesis } from '../demo';
import { Host } from '../host';
import { createMetrics } from '../observe/metrics';
import { ApiServer } from './server';

const CLIENTS = 8;
const JUNK_BYTES = 2_000;

function post(agent: Agent, port: number, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/transition', method: 'POST', agent, headers: { 'content-type': 'application/json' } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function main(): Promise<void> {
  const duration_ms = Math.min(Number(process.argv[2] ?? 3000), 30_000);
  const dir = mkdtempSync(join(tmpdir(), 'swoosh-flood-'));
  const db = join(dir, 'flood.db');
  const host = Host.open({ db, genesis: demoGenesis(), verify_workers: 0 });
  const api = new ApiServer({ host, metrics: createMetrics(host.engine) });
  const { port } = await api.listen(0, '127.0.0.1');
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const statuses: Record<string, number> = {};
  const started = performance.now();
  let n = 0;
  const client = async (c: number): Promise<void> => {
    // A bound on the loop besides the clock: at most 1e6 requests per client.
    for (let i = 0; i < 1_000_000 && performance.now() - started < duration_ms; i += 1) {
      const body = JSON.stringify({ junk: `${c}:${i}:${'x'.repeat(JUNK_BYTES)}` });
      const status = await post(agent, port, body);
      statuses[status] = (statuses[status] ?? 0) + 1;
      n += 1;
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, c) => client(c)));
  const elapsed_s = (performance.now() - started) / 1000;
  agent.destroy();
  await api.close();
  host.close();
  const check = new Database(db, { readonly: true });
  const stored = (check.prepare('SELECT COUNT(*) AS n FROM rejections').get() as { n: number }).n;
  const ids = (check.prepare('SELECT MAX(id) AS n FROM rejections').get() as { n: number | null }).n ?? 0;
  check.close();
  rmSync(dir, { recursive: true, force: true });
  const out = {
    clients: CLIENTS,
    elapsed_s: Number(elapsed_s.toFixed(2)),
    answered: n,
    answered_per_s: Math.round(n / elapsed_s),
    rows_written: ids,
    rows_kept: stored,
    stored_per_s: Math.round(ids / elapsed_s),
    statuses,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
