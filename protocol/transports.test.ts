// Both transports built from the method table, against one real host: the browser
// adapter over HTTP, and the Electron adapter over an in-process IPC bridge that runs
// main's real gate (`admit`) and main's real bridge. For every host call in the table,
// with its example payload, the two must give the same answer or the same tagged error.
// This is the one file that imports both renderer/ and main/: it proves they agree, and
// it is a test, so protocol/'s own sources stay free of both (tidy.test.ts). It needs
// the DOM types of the renderer, so e2e/tsconfig.json typechecks it, not the root one.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SwooshClient } from '../client/client';
import { openServer as startServer, type Running } from '../main/app/server';
import { demoGenesis } from '../main/demo';
import { consoleEventOf as mainEventOf, createBridge } from '../main/electron/bridge';
import { admit, refusalEnvelope, type SenderInfo, type TrustedWindow } from '../main/electron/ipc-contract';
import { createMainKeys } from '../main/electron/keys';
import { createHttpApi } from '../renderer/api/http';
import { createIpcApi } from '../renderer/api/ipc';
import type { ConsoleApi, ConsoleEvent, Proposal } from './api';
import { ConsoleApiError } from './errors';
import { consoleEventOf } from './events';
import type { SwooshBridge } from './ipc';
import { argsOf, HOST_CALLS, specOf, type HostCallName } from './methods';

const trusted: TrustedWindow = { webContentsId: 1, origin: 'swoosh://console' };
const sender: SenderInfo = { webContentsId: 1, isMainFrame: true, frameUrl: 'swoosh://console/index.html' };

let dir: string;
let running: Running;
let http: ConsoleApi;
let ipc: ConsoleApi;

/** What Electron does between preload and main: a structured clone each way, and main's gate. */
function inProcessBridge(r: Running, keysDir: string): SwooshBridge {
  const main = createBridge({ api_url: r.url, keys: createMainKeys({ dir: keysDir, confirm: async () => true }) });
  return {
    kind: 'swoosh-electron',
    invoke: async (channel, payload) => {
      const a = admit(channel, structuredClone(payload), sender, trusted);
      return structuredClone(a.ok ? await main.handle(a.channel, a.payload) : refusalEnvelope(a.error));
    },
    onEvent: (listener) =>
      r.host.engine.subscribe((e) => {
        const event = mainEventOf(e);
        if (event) listener(structuredClone(event));
      }),
  };
}

/** An adapter's answer as comparable data: the value, or the error's code and status. */
async function settle(p: Promise<unknown>): Promise<{ value: unknown } | { code: string; status: number }> {
  try {
    return { value: await p };
  } catch (err) {
    if (!(err instanceof ConsoleApiError)) throw err;
    return { code: err.code, status: err.status };
  }
}

function call(api: ConsoleApi, name: HostCallName, args: unknown[]): Promise<unknown> {
  return (api[name] as (...a: unknown[]) => Promise<unknown>)(...args);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'swoosh-transports-'));
  running = await startServer({
    db: join(dir, 'demo.db'),
    genesis: demoGenesis(),
    host: '127.0.0.1',
    port: 0,
    durability: 'FULL',
    quiet: true,
  });
  http = createHttpApi({ base: running.url });
  ipc = createIpcApi(inProcessBridge(running, join(dir, 'keys')));
});
afterAll(async () => {
  await running.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('HTTP and IPC adapters against one host', () => {
  it('give the same answer to every host call of the table, with its example payload', async () => {
    for (const name of HOST_CALLS) {
      const payload = Object.fromEntries(Object.entries(specOf(name).schema).map(([k, f]) => [k, f.example]));
      const args = argsOf(name, payload);
      const [viaHttp, viaIpc] = [await settle(call(http, name, args)), await settle(call(ipc, name, args))];
      if (name === 'getMetricsText') {
        // Counters move between the two reads; the exposition itself must arrive through both.
        for (const a of [viaHttp, viaIpc]) expect('value' in a && String(a.value), name).toMatch(/^# HELP/m);
      } else {
        expect(viaIpc, name).toEqual(viaHttp);
      }
    }
  });

  it('refuse the same malformed arguments before anything reaches the host', async () => {
    for (const api of [http, ipc]) {
      await expect(api.getWal(-1, 10)).rejects.toMatchObject({ code: 'malformed' });
      await expect(api.getStateAt(1.5)).rejects.toMatchObject({ code: 'malformed' });
    }
  });

  it('report the same tagged error for a missing record', async () => {
    const [a, b] = [await settle(http.getDecision(99)), await settle(ipc.getDecision(99))];
    expect(a).toMatchObject({ status: 404 });
    expect(b).toEqual(a);
  });

  it('resolve a refused proposal as an outcome, and stream its rejection over IPC', async () => {
    const events: ConsoleEvent[] = [];
    const off = ipc.subscribe((e) => events.push(e));
    const bad = { transition: 'Control_Pause' } as unknown as Proposal;
    const [viaHttp, viaIpc] = [await http.submitProposal(bad), await ipc.submitProposal(bad)];
    off();
    expect(viaHttp).toMatchObject({ ok: false, status: 400, error: { code: 'malformed' } });
    expect(viaIpc).toEqual(viaHttp);
    expect(events[0]).toEqual({ type: 'link', status: 'open' });
    // One rejection per submission, whichever transport sent it: the stream is the host's.
    const rejected = events.filter((e) => e.type === 'rejected');
    expect(rejected.map((e) => e.type === 'rejected' && [e.code, e.status])).toEqual([
      ['malformed', 400],
      ['malformed', 400],
    ]);
  });

  it('route operator keys to main over IPC', async () => {
    const created = await ipc.keys.create('desk', 'pw');
    expect(created).toMatchObject({ label: 'desk', unlocked: true });
    expect((await ipc.keys.list()).map((k) => k.id)).toEqual([created.id]);
    await expect(ipc.keys.unlock('k-0000000000000000', 'pw')).rejects.toMatchObject({ code: 'unknown_key', status: 0 });
  });

  it('stream the same event objects over SSE and over IPC', async () => {
    const viaIpc: ConsoleEvent[] = [];
    const off = ipc.subscribe((e) => viaIpc.push(e));
    const abort = new AbortController();
    const frames = new SwooshClient({ url: running.url }).events({ signal: abort.signal });
    const first = await frames.next(); // the stream is open once its first frame (health) is in
    expect(first.value && consoleEventOf(first.value.event, first.value.data)).toMatchObject({ type: 'health', index: 0 });
    await http.submitProposal({ transition: 'Control_Pause', idem_key: 'sse-vs-ipc' } as unknown as Proposal);
    const next = await frames.next();
    abort.abort();
    await frames.return(undefined).catch(() => undefined);
    off();
    const viaSse = next.value ? consoleEventOf(next.value.event, next.value.data) : null;
    expect(viaSse).toMatchObject({ type: 'rejected', code: 'malformed' });
    expect(viaIpc.filter((e) => e.type === 'rejected')).toEqual([viaSse]);
  });
});
