// The method table against the adapters built from it: every ConsoleApi method exactly
// once, unique `console:` channels, and a validator that refuses a wrong payload for every
// channel — cases derived from the table's own fields, not from a hand-kept list.

import { describe, expect, it } from 'vitest';
import type { ConsoleApi } from './api';
import type { Envelope, SwooshBridge } from './ipc';
import { validateRequest } from './ipc';
import {
  argsOf,
  CHANNEL_PREFIX,
  EVENT_CHANNEL,
  HOST_CALLS,
  IPC_CALLS,
  isRequestChannel,
  METHOD_NAMES,
  type METHODS,
  payloadOf,
  proxy,
  proxyKeys,
  REQUEST_CHANNELS,
  specOf,
  urlOf,
  type HttpRoute,
  type MethodName,
} from './methods';
import type { Payload } from './schema';

/** Type-level: the table's keys are exactly the ConsoleApi method names. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const tableIsExact: Equal<keyof typeof METHODS, MethodName> = true;

/** The method names of a ConsoleApi object as it exists at run time (`keys.*` for its key store). */
function methodsOf(api: ConsoleApi): string[] {
  const top = Object.keys(api).filter((k) => typeof (api as unknown as Record<string, unknown>)[k] === 'function');
  const keys = Object.keys(api.keys).map((k) => `keys.${k}`);
  return [...top, ...keys].sort();
}

/** A bridge that records what the IPC adapter sends and answers every call with `value`. */
function recordingBridge(value: unknown) {
  const sent: Array<{ channel: string; payload: unknown }> = [];
  const bridge: SwooshBridge = {
    kind: 'swoosh-electron',
    invoke: async (channel, payload): Promise<Envelope> => {
      sent.push({ channel, payload });
      return { ok: true, value };
    },
    onEvent: () => () => undefined,
  };
  return { bridge, sent };
}

/** A payload every field of which is its schema's example. */
function validPayload(name: MethodName): Payload {
  return Object.fromEntries(Object.entries(specOf(name).schema).map(([k, f]) => [k, f.example]));
}

describe('the method table', () => {
  it('names every ConsoleApi method exactly once (compile time and run time)', () => {
    expect(tableIsExact).toBe(true);
    expect(new Set(METHOD_NAMES).size).toBe(METHOD_NAMES.length);
    // An object assembled from the table, as the adapters do, has exactly the table's methods.
    const stub = async () => null;
    const api: ConsoleApi = {
      mode: 'browser',
      keys: { ...proxyKeys(IPC_CALLS, stub), exportFile: async () => '' },
      ...proxy(HOST_CALLS, stub),
      getStatechartYaml: async () => '',
      subscribe: () => () => undefined,
    };
    expect(methodsOf(api)).toEqual([...METHOD_NAMES].sort());
  });

  it('gives every channel the console: prefix, once, and only to methods Electron carries', () => {
    const channels = METHOD_NAMES.map((n) => specOf(n).channel).filter((c): c is NonNullable<typeof c> => c !== null);
    expect(new Set(channels).size).toBe(channels.length);
    for (const c of channels) expect(c.startsWith(CHANNEL_PREFIX)).toBe(true);
    expect(channels).toContain(EVENT_CHANNEL);
    expect(REQUEST_CHANNELS).not.toContain(EVENT_CHANNEL);
    for (const name of IPC_CALLS) expect(specOf(name).channel).toBe(`${CHANNEL_PREFIX}${name}`);
    expect(isRequestChannel('console:exec')).toBe(false);
    expect(isRequestChannel(EVENT_CHANNEL)).toBe(false);
  });

  it('names one payload field per argument, each with a schema entry, for every call', () => {
    for (const name of METHOD_NAMES) {
      const spec = specOf(name);
      if (spec.kind !== 'call') continue;
      expect(Object.keys(spec.schema).sort(), name).toEqual([...(spec.params as readonly string[])].sort());
      const args = (spec.params as readonly string[]).map((_, i) => `arg${i}`);
      expect(argsOf(name, payloadOf(name, args)), name).toEqual(args);
    }
  });

  it('accepts the example payload on every channel', () => {
    for (const channel of REQUEST_CHANNELS) {
      const name = IPC_CALLS.find((n) => specOf(n).channel === channel) as MethodName;
      expect(validateRequest(channel, validPayload(name)), channel).toBeNull();
    }
  });

  it('refuses, on every channel, each wrong value of each field, a missing field, an extra field and a non-object', () => {
    let cases = 0;
    for (const channel of REQUEST_CHANNELS) {
      const name = IPC_CALLS.find((n) => specOf(n).channel === channel) as MethodName;
      const good = validPayload(name);
      const wrong: Array<[unknown, RegExp]> = [
        [null, /payload must be an object/],
        [[], /payload must be an object/],
        [{ ...good, extra: 1 }, /unexpected field "extra"/],
      ];
      for (const [field, spec] of Object.entries(specOf(name).schema)) {
        const { [field]: _dropped, ...without } = good;
        wrong.push([without, new RegExp(`${field} is missing`)]);
        for (const bad of spec.counterexamples()) wrong.push([{ ...good, [field]: bad }, new RegExp(`: ${field} must`)]);
      }
      for (const [payload, reason] of wrong) {
        const refusal = validateRequest(channel, payload);
        expect(refusal, `${channel} ${JSON.stringify(payload)?.slice(0, 80)}`).not.toBeNull();
        expect(refusal).toMatchObject({ code: 'malformed', status: 400 });
        expect(refusal?.reason).toMatch(reason);
        expect(refusal?.reason.startsWith(`${channel}: `)).toBe(true);
        cases += 1;
      }
    }
    expect(cases).toBeGreaterThan(REQUEST_CHANNELS.length * 3);
  });

  it('builds the documented host routes', () => {
    const route = (name: MethodName): HttpRoute => specOf(name).http as HttpRoute;
    expect(urlOf(route('getState'), {})).toBe('/state');
    expect(urlOf(route('getStateAt'), { n: 7 })).toBe('/state/at/7');
    expect(urlOf(route('getWal'), { from: 3, limit: 50 })).toBe('/wal?from=3&limit=50');
    expect(urlOf(route('getRejections'), { from: 0, limit: 0 })).toBe('/rejections?from=0&limit=1');
    expect(urlOf(route('getDecision'), { n: 2 })).toBe('/decisions/2');
    expect(route('submitProposal')).toMatchObject({ method: 'POST', pattern: '/transition', ok_statuses: [200, 202], answer: 'outcome' });
    expect(route('getHealth').ok_statuses).toEqual([200, 503]);
    // Operator keys never travel to the host: in browser mode they stay in the page.
    for (const name of METHOD_NAMES) if (name.startsWith('keys.')) expect(specOf(name).http, name).toBeNull();
  });
});

describe('the IPC adapter stubs', () => {
  it('send each call on its channel with the arguments under the param names', async () => {
    const { bridge, sent } = recordingBridge('answer');
    const invoke = async (name: (typeof IPC_CALLS)[number], args: unknown[]) => {
      const a = await bridge.invoke(specOf(name).channel as never, payloadOf(name, args));
      return a.ok ? a.value : null;
    };
    const keys = proxyKeys(IPC_CALLS, invoke);
    const host = proxy(HOST_CALLS, invoke);
    expect(await host.getWal(5, 20)).toBe('answer');
    await keys.unlock('k-1', 'pw');
    expect(sent).toEqual([
      { channel: 'console:getWal', payload: { from: 5, limit: 20 } },
      { channel: 'console:keys.unlock', payload: { id: 'k-1', passphrase: 'pw' } },
    ]);
  });
});
