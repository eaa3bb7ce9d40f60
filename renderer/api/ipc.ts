// ConsoleApi over the Electron preload bridge (`window.swoosh`, main/electron/preload.ts).
//
// Built from protocol/'s method table: every call is its row's `console:` channel with
// the arguments under the row's param names; main checks the sender frame and the
// payload schema, answers with an envelope ({ok, value} | {ok: false, error}), and this
// adapter turns refusals into ConsoleApiError — the same tagged errors as the HTTP
// adapter. Operator keys live in main: `keys` only forwards calls, and sign() resolves
// after the operator confirmed the exact payload in main's dialog.

import yamlText from '../../statechart/swoosh.statechart.yaml?raw';
import {
  ConsoleApiError,
  consoleEventOf,
  IPC_CALLS,
  payloadOf,
  proxy,
  proxyKeys,
  specOf,
  type ConsoleApi,
  type Envelope,
  type Health,
  type IpcCallName,
  type RequestChannel,
  type SwooshBridge,
} from '../../protocol';
import { eventFanout } from './fanout';

/** The preload's object, if this page runs in the Electron window. */
export function electronBridge(w: unknown = globalThis): SwooshBridge | null {
  const b = (w as { swoosh?: Partial<SwooshBridge> }).swoosh;
  return b && b.kind === 'swoosh-electron' && typeof b.invoke === 'function' && typeof b.onEvent === 'function'
    ? (b as SwooshBridge)
    : null;
}

/** The top-level calls (the rest of IPC_CALLS are `keys.*`). */
type TopCallName = Exclude<IpcCallName, `keys.${string}`>;
const TOP_CALLS = IPC_CALLS.filter((n): n is TopCallName => !n.startsWith('keys.'));

export function createIpcApi(bridge: SwooshBridge): ConsoleApi {
  async function invoke(name: IpcCallName, args: unknown[]): Promise<unknown> {
    const channel = specOf(name).channel as RequestChannel;
    let answer: Envelope;
    try {
      answer = await bridge.invoke(channel, payloadOf(name, args));
    } catch (err) {
      throw new ConsoleApiError('unreachable', `${channel}: ${(err as Error).message}`, 0);
    }
    if (answer.ok) return answer.value;
    throw ConsoleApiError.of(answer.error);
  }

  // IPC needs no connection: the link is open at once, and a health event gives the head
  // (the SSE stream sends the same first frame).
  const { subscribe } = eventFanout((emit) => {
    const detach = bridge.onEvent((data) => {
      const type = typeof data === 'object' && data !== null ? (data as { type?: unknown }).type : null;
      const event = typeof type === 'string' ? consoleEventOf(type, data) : null;
      if (event) emit(event);
    });
    emit({ type: 'link', status: 'open' });
    (invoke('getHealth', []) as Promise<Health>).then(
      (h) => emit({ type: 'health', status: h.status, index: h.index, hash: h.hash }),
      () => emit({ type: 'link', status: 'down' }),
    );
    return detach;
  });

  return {
    mode: 'electron',
    keys: proxyKeys(IPC_CALLS, invoke),
    ...proxy(TOP_CALLS, invoke),
    getStatechartYaml: async () => yamlText,
    subscribe,
  };
}
