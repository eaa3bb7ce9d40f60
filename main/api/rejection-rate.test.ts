// The rejections log is rate-limited per peer (main/engine/peer-rate.ts): a peer past its
// bucket is still answered with its precise 4xx, but its rows are not stored, not streamed,
// and counted in swoosh_rejections_dropped_total{reason="rate"}. Another peer is unaffected.
// The host runs on a clock the test moves by hand.
import { Agent, request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Scenario } from '../../core/testing/scenario';
import { REJECTIONS_STORED_PER_PEER_BURST, REJECTIONS_STORED_PER_PEER_PER_S } from '../engine/peer-rate';
import { Host } from '../host';
import { loadMachine } from '../machine';
import { createMetrics } from '../observe/metrics';
import { ApiServer } from './server';

let dir: string;
let host: Host;
let api: ApiServer;
let port: number;
let now_ms: number;
const agents = new Map<string, Agent>();

/** POST /transition from `from` (a loopback address); the status and the error code. */
function post(from: string, body: string): Promise<{ status: number; code: string | undefined }> {
  let agent = agents.get(from);
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: 4 });
    agents.set(from, agent);
  }
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/transition',
        method: 'POST',
        localAddress: from,
        agent,
        headers: { 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, code: (JSON.parse(text) as { error?: { code: string } }).error?.code }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

function get(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (c: string) => (text += c));
      res.on('end', () => resolve(text));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends `n` junk bodies (valid JSON, not proposals: `malformed`) from `from`, in parallel groups. */
async function junk(from: string, n: number, tag: string): Promise<Array<{ status: number; code: string | undefined }>> {
  const out: Array<{ status: number; code: string | undefined }> = [];
  for (let i = 0; i < n; i += 8) {
    const group = Array.from({ length: Math.min(8, n - i) }, (_, k) => post(from, JSON.stringify({ junk: `${tag}:${i + k}` })));
    out.push(...(await Promise.all(group)));
  }
  return out;
}

const stored = (): number => host.store.rejectionCount();

async function dropped(): Promise<number> {
  const m = /^swoosh_rejections_dropped_total\{reason="rate"\} (\d+)$/m.exec(await get('/metrics'));
  return m ? Number(m[1]) : 0;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swoosh-rate-'));
  const sc = new Scenario(loadMachine());
  now_ms = sc.wall_ms + 1000;
  host = Host.open({
    db: join(dir, 'a.db'),
    genesis: sc.genesis,
    verify_workers: 0,
    durability: 'NORMAL',
    clock: { now_ms: () => now_ms },
  });
  api = new ApiServer({ host, metrics: createMetrics(host.engine) });
  port = (await api.listen(0, '127.0.0.1')).port;
});

afterAll(async () => {
  for (const a of agents.values()) a.destroy();
  await api.close();
  host.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('rejection rows stored per peer', () => {
  const burst = REJECTIONS_STORED_PER_PEER_BURST;
  const rate = REJECTIONS_STORED_PER_PEER_PER_S;

  it('one peer: the burst is stored, the rest answered 400 malformed and counted as dropped', async () => {
    const answers = await junk('127.0.0.1', burst + 40, 'a');
    expect(answers.every((a) => a.status === 400 && a.code === 'malformed')).toBe(true);
    expect(stored()).toBe(burst);
    expect(await dropped()).toBe(40);
  });

  it('another peer has its own bucket', async () => {
    const answers = await junk('127.0.0.2', 10, 'b');
    expect(answers.every((a) => a.status === 400 && a.code === 'malformed')).toBe(true);
    expect(stored()).toBe(burst + 10);
    expect(await dropped()).toBe(40);
  });

  it('the first peer gets `rate` rows a second back, on the host clock', async () => {
    expect((await junk('127.0.0.1', 5, 'a2')).every((a) => a.status === 400)).toBe(true);
    expect(stored()).toBe(burst + 10);
    now_ms += 1000;
    await junk('127.0.0.1', rate + 7, 'a3');
    expect(stored()).toBe(burst + 10 + rate);
    expect(await dropped()).toBe(40 + 5 + 7);
  });

  it('in-process callers (no peer) are not limited', async () => {
    const before = stored();
    const answers = await Promise.all(Array.from({ length: burst + 5 }, (_, i) => host.engine.submit({ junk: i })));
    expect(answers.every((a) => a.status === 400)).toBe(true);
    expect(stored()).toBe(before + burst + 5);
  });

  it('what is not stored is not streamed either, and a stored row still is', async () => {
    const frames: string[] = [];
    const sse = request({ host: '127.0.0.1', port, path: '/events', agent: false });
    const opened = new Promise<void>((resolve) =>
      sse.on('response', (res) => {
        res.setEncoding('utf8').on('data', (c: string) => frames.push(c));
        resolve();
      }),
    );
    sse.end();
    await opened;
    await junk('127.0.0.1', 3, 'unstored'); // the bucket is empty
    await junk('127.0.0.2', 1, 'stored');
    // Frames go out in order on the one stream: once the stored row's frame is in, any
    // frame of the three unstored ones (sent before it) would be too. Bounded I/O wait.
    for (let i = 0; i < 500 && !frames.join('').includes('event: rejected'); i += 1) await new Promise((r) => setTimeout(r, 10));
    sse.destroy();
    const rejected = frames
      .join('')
      .split('\n\n')
      .filter((f) => f.includes('event: rejected'));
    expect(rejected).toHaveLength(1);
  });
});
