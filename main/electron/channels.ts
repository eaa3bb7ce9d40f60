// The IPC channel names shared by main, the preload and the renderer's IPC adapter.
//
// Pure data with no imports: the sandboxed preload bundles it, the renderer imports it,
// and main/electron/ipc-contract.ts attaches a payload schema to every name. Every
// channel is `console:`-prefixed (DESIGN §3); the preload refuses any other name before
// it reaches ipcRenderer, and main refuses it again.

export const CHANNEL_PREFIX = 'console:';

/** Renderer → main requests (ipcRenderer.invoke / ipcMain.handle). */
export const REQUEST_CHANNELS = [
  'console:getState',
  'console:getStateAt',
  'console:getWal',
  'console:getDecision',
  'console:getRejections',
  'console:getHealth',
  'console:getMetricsText',
  'console:submitProposal',
  'console:keys.list',
  'console:keys.create',
  'console:keys.importFile',
  'console:keys.unlock',
  'console:keys.lock',
  'console:keys.remove',
  'console:keys.sign',
] as const;

export type RequestChannel = (typeof REQUEST_CHANNELS)[number];

/** Main → renderer: the live ConsoleEvent stream (webContents.send). */
export const EVENT_CHANNEL = 'console:event';

/** What every request resolves to: errors cross the boundary as tagged data, never thrown. */
export type Envelope<T = unknown> =
  | { ok: true; value: T }
  | { ok: false; error: { code: string; reason: string; status: number } };

/** The object the preload exposes on `window.swoosh` (contextBridge). */
export interface SwooshBridge {
  readonly kind: 'swoosh-electron';
  invoke(channel: RequestChannel, payload: unknown): Promise<Envelope>;
  /** Returns the unsubscribe function. */
  onEvent(listener: (event: unknown) => void): () => void;
}

export function isRequestChannel(x: unknown): x is RequestChannel {
  return typeof x === 'string' && (REQUEST_CHANNELS as readonly string[]).includes(x);
}
