// The IPC channel names shared by main, the preload and the renderer's IPC adapter.
//
// They are derived from protocol/'s method table (docs/console-protocol.md): one `console:`
// channel per ConsoleApi call that Electron carries. This module re-exports them for
// main and the preload; the renderer imports protocol/ directly, so renderer and main
// meet only there.

export {
  CHANNEL_PREFIX,
  EVENT_CHANNEL,
  isRequestChannel,
  REQUEST_CHANNELS,
  type Envelope,
  type RequestChannel,
  type SwooshBridge,
} from '../../protocol/ipc';
