// ConsoleApi over the Electron preload bridge (`window.swoosh`, main/electron/preload.ts).
//
// Every call is one allowlisted `console:` channel; main checks the sender frame and the
// payload schema, answers with an envelope ({ok, value} | {ok: false, error}), and this
// adapter turns refusals into ConsoleApiError — the same tagged errors as the HTTP
// adapter. Operator keys live in main: `keys` only forwards calls, and sign() resolves
// after the operator confirmed the exact payload in main's dialog.

import yamlText from '../../statechart/swoosh.statechart.yaml?raw';
import type { Envelope, RequestChannel, SwooshBridge } from '../../main/electron/channels';
import {
  ConsoleApiError,
  type ConsoleApi, type ConsoleEvent, type DecisionRecord, type Health, type OperatorKeyInfo, type OperatorKeys,
  type Proposal, type RejectionsPage, type StateAt, type SubmitOutcome, type WalPage,
} from './ConsoleApi';
import { eventFanout } from './fanout';

/** The preload's object, if this page runs in the Electron window. */
export function electronBridge(w: unknown = globalThis): SwooshBridge | null {
  const b = (w as { swoosh?: Partial<SwooshBridge> }).swoosh;
  return b && b.kind === 'swoosh-electron' && typeof b.invoke === 'function' && typeof b.onEvent === 'function' ? (b as SwooshBridge) : null;
}

export function createIpcApi(bridge: SwooshBridge): ConsoleApi {
  async function call<T>(channel: RequestChannel, payload: Record<string, unknown> = {}): Promise<T> {
    let answer: Envelope;
    try {
      answer = await bridge.invoke(channel, payload);
    } catch (err) {
      throw new ConsoleApiError('unreachable', `${channel}: ${(err as Error).message}`, 0);
    }
    if (answer.ok) return answer.value as T;
    throw new ConsoleApiError(answer.error.code, answer.error.reason, answer.error.status);
  }

  const keys: OperatorKeys = {
    list: () => call<OperatorKeyInfo[]>('console:keys.list'),
    create: (label, passphrase) => call<OperatorKeyInfo>('console:keys.create', { label, passphrase }),
    importFile: (label, keyFileText, passphrase) => call<OperatorKeyInfo>('console:keys.importFile', { label, keyFileText, passphrase }),
    unlock: (id, passphrase) => call<OperatorKeyInfo>('console:keys.unlock', { id, passphrase }),
    lock: async (id) => {
      await call('console:keys.lock', { id });
    },
    remove: async (id) => {
      await call('console:keys.remove', { id });
    },
    sign: (id, unsigned) => call<Proposal>('console:keys.sign', { id, unsigned }),
  };

  // IPC needs no connection: the link is open at once, and a health event gives the head
  // (the SSE stream sends the same first frame).
  const { subscribe } = eventFanout((emit) => {
    const detach = bridge.onEvent((data) => {
      if (typeof data === 'object' && data !== null && typeof (data as { type?: unknown }).type === 'string') emit(data as ConsoleEvent);
    });
    emit({ type: 'link', status: 'open' });
    call<Health>('console:getHealth').then(
      (h) => emit({ type: 'health', status: h.status, index: h.index, hash: h.hash }),
      () => emit({ type: 'link', status: 'down' }),
    );
    return detach;
  });

  return {
    mode: 'electron',
    keys,
    getState: () => call<StateAt>('console:getState'),
    getStateAt: (n) => call<StateAt>('console:getStateAt', { n }),
    getWal: (from, limit) => call<WalPage>('console:getWal', { from, limit }),
    getDecision: (n) => call<DecisionRecord>('console:getDecision', { n }),
    getRejections: (from, limit) => call<RejectionsPage>('console:getRejections', { from, limit }),
    getHealth: () => call<Health>('console:getHealth'),
    getMetricsText: () => call<string>('console:getMetricsText'),
    getStatechartYaml: async () => yamlText,
    submitProposal: (signed: Proposal) => call<SubmitOutcome>('console:submitProposal', { proposal: signed }),
    subscribe,
  };
}
