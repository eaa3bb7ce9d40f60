// The shim killed with SIGKILL in the middle of a workload, then restarted on the same
// database: every request a caller was answered for (or retried, with the same
// Idempotency-Key, until it was) is in SWOOSH's WAL exactly once, in order — nothing lost,
// nothing applied twice. Both runs are the real `swoosh shim` command; the routing comes
// from SWOOSH's state (genesis `migration.routes`).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwooshClient } from '../../client/client';
import { H } from '../../core/hash';
import { fakeHash, licenseToken, makeCast, makeGenesis } from '../../core/testing/kit';
import type { Genesis, JsonObject } from '../../core/types';
import { openServer, type Running } from '../app/server';
import { encodeKeyFile, writeKeyFile } from '../keys/keyfile';
import { whooshSim, type WhooshSim } from '../sim/whoosh';
import { PACKAGE_DIR, SWOOSH_BIN } from '../testing/proc';
import { until } from '../testing/until';

const MAP = fileURLToPath(new URL('../../docs/examples/whoosh-map.yaml', import.meta.url));
const cast = makeCast();
const REQUESTS = 16;
const KILL_AFTER = 6;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

let dir: string;
let whoosh: WhooshSim;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swoosh-shim-crash-'));
  whoosh = whooshSim();
  await whoosh.listen(0);
});

afterAll(async () => {
  await whoosh.close();
  rmSync(dir, { recursive: true, force: true });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Child {
  proc: ChildProcess;
  exited: Promise<void>;
}

async function startChild(args: string[]): Promise<Child> {
  const proc = spawn(process.execPath, args, {
    cwd: PACKAGE_DIR,
    env: { ...process.env, SWOOSH_LOG_LEVEL: 'error', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  let out = '';
  let err = '';
  proc.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`shim did not start: ${err}`)), 30_000);
    proc.stdout!.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (/^swoosh: shim on /m.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then(() => reject(new Error(`shim exited before starting: ${err}`)));
  });
  return { proc, exited };
}

async function kill9(c: Child): Promise<void> {
  c.proc.kill('SIGKILL');
  await c.exited;
}

/** A booted SWOOSH whose ingestion sits in VALIDATE, ready for validate/rollback pairs. */
async function swooshAtValidate(name: string, mode: 'shadow' | 'swoosh'): Promise<{ running: Running; agent: SwooshClient }> {
  const genesis = { ...makeGenesis(cast), migration: { routes: { council: mode, ingestion: mode, execution: mode } } } as Genesis;
  const running = await openServer({ db: join(dir, `${name}.db`), genesis, host: '127.0.0.1', port: 0, durability: 'NORMAL', quiet: true });
  const agent = new SwooshClient({ url: running.url, signer: cast.agents[0]! });
  const now = Date.now();
  const ok = async (p: Promise<{ ok: boolean }>) => expect((await p).ok).toBe(true);
  await ok(agent.withSigner(cast.operators[0]!).propose('Boot_ConfigOk', { config_hash: H(genesis) }));
  await ok(
    agent.propose('Boot_Licensed', {
      token: licenseToken(cast.kaching, {
        licensee: 'demo',
        issued_ms: now - 1000,
        expires_ms: now + 86_400_000,
        grace_ms: 0,
      }) as unknown as JsonObject,
    }),
  );
  await ok(agent.propose('Ingestion_SourcesResolved', { sources: ['a'] }));
  await ok(agent.propose('Ingestion_BytesOk', { content_hash: fakeHash('b') }));
  return { running, agent };
}

/**
 * A legacy caller: validate/rollback alternately, each retried with its own
 * Idempotency-Key through connection errors and 5xx until answered 200.
 */
async function workload(url: string, tag: string, onAnswered: (i: number) => void): Promise<string[]> {
  const keys: string[] = [];
  for (let i = 0; i < REQUESTS; i += 1) {
    const route = i % 2 === 0 ? 'validate' : 'rollback';
    const body = i % 2 === 0 ? { findings: [] } : { reason: `round ${i}` };
    const key = `${tag}-${i}`;
    let answered = false;
    for (let attempt = 0; attempt < 400 && !answered; attempt += 1) {
      try {
        const res = await fetch(`${url}/api/projects/demo/ingestion/${route}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify(body),
        });
        const text = await res.text();
        if (res.status === 200) answered = true;
        else if (res.status < 500) throw new Error(`request ${i} refused: ${res.status} ${text}`);
      } catch (err) {
        if ((err as Error).message.startsWith('request')) throw err;
      }
      if (!answered) await sleep(50);
    }
    expect(answered, `request ${i} answered`).toBe(true);
    keys.push(`whoosh-shim:ingestion.${route}:${key}`);
    onAnswered(i);
  }
  return keys;
}

function shimArgs(swoosh: string, db: string, port: number): string[] {
  return [
    SWOOSH_BIN,
    'shim',
    '--map',
    MAP,
    '--legacy',
    whoosh.url,
    '--swoosh',
    swoosh,
    '--key',
    join(dir, 'agent.key'),
    '--db',
    db,
    '--port',
    String(port),
    '--compare-interval-ms',
    '0',
  ];
}

async function crashRun(mode: 'shadow' | 'swoosh'): Promise<void> {
  writeKeyFile(join(dir, 'agent.key'), encodeKeyFile(cast.agents[0]!.secret, null), true);
  const { running, agent } = await swooshAtValidate(mode, mode);
  try {
    const port = await freePort();
    const db = join(dir, `shim-${mode}.db`);
    let child = await startChild(shimArgs(running.url, db, port));
    let restarted: Promise<void> | null = null;
    const keys = await workload(`http://127.0.0.1:${port}`, mode, (i) => {
      if (i !== KILL_AFTER) return;
      // Killed while the caller's next request is on its way, then started again.
      restarted = (async () => {
        await kill9(child);
        child = await startChild(shimArgs(running.url, db, port));
      })();
    });
    expect(restarted).not.toBeNull();
    await restarted;
    await until(
      'the outbox to drain',
      async () => {
        const h = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { mirror_pending: number };
        return h.mirror_pending === 0;
      },
      20_000,
    );
    const wal = (await agent.wal(1, 1000)).records.map((r) => r.idem_key).filter((k) => k.startsWith('whoosh-shim:'));
    expect(wal).toEqual(keys);
    expect((await agent.state()).state.ingestion).toMatchObject({ phase: 'VALIDATE', rollbacks: REQUESTS / 2 });
    child.proc.kill('SIGTERM');
    await child.exited;
  } finally {
    await running.stop();
  }
}

describe('shim kill -9 and restart mid-workload', () => {
  it('shadow mode: no mirrored proposal lost or applied twice', async () => {
    await crashRun('shadow');
  }, 120_000);

  it('swoosh mode: no proposal lost or applied twice', async () => {
    await crashRun('swoosh');
  }, 120_000);
});
