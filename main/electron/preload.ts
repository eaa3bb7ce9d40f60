// The preload: tiny on purpose (docs/architecture.md §3). It exposes one object, `window.swoosh`, with
// `invoke` for the allowlisted `console:` request channels and `onEvent` for the event
// stream. Nothing else from ipcRenderer (or Node) is reachable from the page; the
// renderer's adapter (renderer/api/ipc.ts) builds the typed ConsoleApi on top.
// Bundled to CommonJS (a sandboxed preload may only require 'electron').

import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { EVENT_CHANNEL, isRequestChannel, type Envelope, type RequestChannel, type SwooshBridge } from './channels';

const bridge: SwooshBridge = {
  kind: 'swoosh-electron',
  invoke(channel: RequestChannel, payload: unknown): Promise<Envelope> {
    if (!isRequestChannel(channel)) {
      return Promise.resolve({
        ok: false,
        error: { code: 'unknown_channel', reason: `no channel ${String(channel).slice(0, 80)}`, status: 404 },
      });
    }
    return ipcRenderer.invoke(channel, payload) as Promise<Envelope>;
  },
  onEvent(listener: (event: unknown) => void): () => void {
    // The IpcRendererEvent (with its sender) never reaches the page: only the data does.
    const wrapped = (_e: IpcRendererEvent, data: unknown) => listener(data);
    ipcRenderer.on(EVENT_CHANNEL, wrapped);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, wrapped);
    };
  },
};

contextBridge.exposeInMainWorld('swoosh', bridge);
