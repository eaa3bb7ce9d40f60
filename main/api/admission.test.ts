// The API's front door against a real server: DNS-rebinding Host names, cross-site POSTs,
// duplicate JSON member names, oversized value counts and too many bodies at once. Each
// refusal is precise, and nothing refused reaches the WAL.

import { request } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { H } from '../../core/hash';
import { signProposal } from '../../core/testing/kit';
import { Scenario } from '../../core/testing/scenario';
import { Host } from '../host';
import { loadMachine } from '../machine';
import { createMetrics } from '../observe/metrics';
import { checkHost, checkOrigin, hostAllowList, hostName, Slots } from './admission';
import { ApiServer, BODIES_IN_FLIGHT_MAX } from './server';

let dir: string;
let host: Host;
let api: ApiServer;
let port: number;
const sc = new Scenario(loadMachine(), { start_ms: Date.now() - 60_000, epoch_ms: Date.now() - 3_600_000 });

interface Answer {
  status: number;
  json: { error?: { code: string; reason: string } } | null;
}

function http(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers, agent: false, setHost: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Answer['json'] = null;
        try {
          json = JSON.parse(text) as Answer['json'];
        } catch {
          json = null;
        }
        resolve({ status: res.statusCode ?? 0, json });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

const json = { 'content-type': 'application/json' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swoosh-admission-'));
  host = Host.open({ db: join(dir, 'a.db'), genesis: sc.genesis, verify_workers: 0 });
  api = new ApiServer({ host, metrics: createMetrics(host.engine), allowed_hosts: ['swoosh.internal'] });
  port = (await api.listen(0, '127.0.0.1')).port;
});

afterAll(async () => {
  await api.close();
  host.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('Host and Origin (DNS rebinding)', () => {
  it('serves loopback names and configured names, refuses any other Host with 421', async () => {
    for (const name of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'swoosh.internal']) {
      expect((await http('GET', '/health', { host: name })).status).toBe(200);
    }
    const evil = await http('GET', '/state', { host: `evil.example:${port}` });
    expect(evil.status).toBe(421);
    expect(evil.json?.error?.code).toBe('misdirected_request');
    expect(evil.json?.error?.reason).toMatch(/Host "evil\.example" is not a name of this server/);
    expect((await http('GET', '/events', { host: 'rebind.attacker.test' })).status).toBe(421);
  });

  it('refuses a POST from a foreign Origin with 403 before reading it, and writes nothing', async () => {
    const p = signProposal({
      state_hash: host.head.hash,
      transition: 'Boot_ConfigOk',
      inputs: { config_hash: H(sc.genesis) },
      by: sc.operator,
      hlc: { wall_ms: Date.now() - 100, counter: 0 },
      idem_key: 'origin-1',
      window_id: null,
      evidence: [],
    });
    const cross = await http(
      'POST',
      '/transition',
      { ...json, host: `127.0.0.1:${port}`, origin: 'http://evil.example' },
      JSON.stringify(p),
    );
    expect(cross.status).toBe(403);
    expect(cross.json?.error?.code).toBe('forbidden_origin');
    expect(host.store.walLength()).toBe(0);
    const same = await http(
      'POST',
      '/transition',
      { ...json, host: `127.0.0.1:${port}`, origin: `http://127.0.0.1:${port}` },
      JSON.stringify(p),
    );
    expect(same.status).toBe(202);
  });

  it('pure checks: header parsing and the open server without names', () => {
    expect(hostName('LOCALHOST:7420')).toBe('localhost');
    expect(hostName('[::1]:7420')).toBe('[::1]');
    expect(hostName(':80')).toBeNull();
    const open = hostAllowList('0.0.0.0');
    expect(checkHost('anything.example', open)).toBeNull();
    expect(checkOrigin('http://anything.example', open)).toBeNull();
    const named = hostAllowList('0.0.0.0', ['node1.example']);
    expect(checkHost('node1.example:7420', named)).toBeNull();
    expect(checkHost('node2.example', named)).toMatch(/not a name of this server/);
    expect(checkOrigin('file://x', named)).toMatch(/may not post here/);
    expect(checkHost(undefined, hostAllowList('127.0.0.1'))).toMatch(/no usable Host/);
  });
});

describe('request bodies', () => {
  const local = () => ({ ...json, host: `127.0.0.1:${port}` });

  it('duplicate member names are malformed (I-JSON), state unchanged', async () => {
    const before = host.head.hash;
    const r = await http('POST', '/transition', local(), '{"transition":"Boot_ConfigOk","transition":"Control_Pause"}');
    expect(r.status).toBe(400);
    expect(r.json?.error?.code).toBe('malformed');
    expect(r.json?.error?.reason).toMatch(/duplicate member name "transition"/);
    expect(host.head.hash).toBe(before);
  });

  it('a body of 340k empty arrays is refused by the value bound', async () => {
    const body = `{"inputs":{"x":[${Array.from({ length: 340_000 }, () => '[]').join(',')}]}}`;
    const r = await http('POST', '/transition', local(), body);
    expect(r.status).toBe(400);
    expect(r.json?.error?.reason).toMatch(/more than 20000 JSON values/);
  });

  it('bounds bodies read at once: the one past the bound gets 429 overloaded', async () => {
    // Open BODIES_IN_FLIGHT_MAX requests that send headers and then stall their bodies.
    const stalled = Array.from({ length: BODIES_IN_FLIGHT_MAX }, () => {
      const req = request({
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/transition',
        agent: false,
        headers: { ...local(), 'content-length': '100' },
      });
      req.on('error', () => undefined);
      req.flushHeaders();
      return req;
    });
    let r: Answer = { status: 0, json: null };
    for (let attempt = 0; attempt < 50 && r.status !== 429; attempt += 1) {
      r = await http('POST', '/transition', local(), '{}');
      if (r.status !== 429) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(r.status).toBe(429);
    expect(r.json?.error?.code).toBe('overloaded');
    for (const req of stalled) req.destroy();
    // The slots come back when those requests end: a normal request is judged again.
    let after: Answer = { status: 429, json: null };
    for (let attempt = 0; attempt < 50 && after.status === 429; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      after = await http('POST', '/transition', local(), '{}');
    }
    expect(after.status).toBe(400);
  });

  it('Slots: take up to max, give back, refuse a give without a take', () => {
    const s = new Slots(2);
    expect([s.take(), s.take(), s.take()]).toEqual([true, true, false]);
    s.give();
    expect(s.inUse).toBe(1);
    expect(s.take()).toBe(true);
    s.give();
    s.give();
    expect(() => s.give()).toThrow(/without take/);
  });
});
