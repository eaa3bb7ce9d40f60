// What main accepts over IPC: the channel allowlist, a payload schema per channel, and
// the sender-frame check (docs/electron.md; VS Code's ipcMain validates the same two
// things). Channels and schemas are the rows of protocol/'s method table.
//
// Plain TypeScript with no Electron import, so vitest checks it under Node. Main calls
// `admit` on every message before any handler runs; a refusal is tagged data
// ({code, reason, status}) that the renderer's adapter turns into a ConsoleApiError.

import { validateRequest } from '../../protocol/ipc';
import { isRequestChannel, type Envelope, type RequestChannel } from './channels';

export interface Refusal {
  code: 'unknown_channel' | 'foreign_frame' | 'malformed';
  reason: string;
  status: number;
}

/** Who sent a message, as main sees it (from IpcMainInvokeEvent). */
export interface SenderInfo {
  webContentsId: number;
  /** event.senderFrame === webContents.mainFrame: subframes never speak for the console. */
  isMainFrame: boolean;
  /** event.senderFrame.url; '' when the frame is gone. */
  frameUrl: string;
}

/** The one window allowed to talk to main, and the origin its page was loaded from. */
export interface TrustedWindow {
  webContentsId: number;
  origin: string;
}

export type Admitted = { ok: true; channel: RequestChannel; payload: Record<string, unknown> } | { ok: false; error: Refusal };

function refuse(code: Refusal['code'], reason: string, status: number): { ok: false; error: Refusal } {
  return { ok: false, error: { code, reason, status } };
}

/** Is this the trusted window's top frame, showing a page of the console's origin? */
export function checkSender(sender: SenderInfo, trusted: TrustedWindow): Refusal | null {
  if (sender.webContentsId !== trusted.webContentsId)
    return { code: 'foreign_frame', reason: 'message from a window other than the console', status: 403 };
  if (!sender.isMainFrame) return { code: 'foreign_frame', reason: 'message from a subframe', status: 403 };
  let origin: string;
  try {
    // scheme://host by hand: WHATWG URL gives custom schemes (swoosh://) an opaque origin.
    const u = new URL(sender.frameUrl);
    origin = u.host === '' ? 'null' : `${u.protocol}//${u.host}`;
  } catch {
    return { code: 'foreign_frame', reason: 'message from a frame without a URL', status: 403 };
  }
  // 'null': no host (file:, data:, about:blank, blob:): never trusted.
  if (origin === 'null' || origin !== trusted.origin)
    return { code: 'foreign_frame', reason: `message from ${origin}, not ${trusted.origin}`, status: 403 };
  return null;
}

/** Checks the payload against the channel's schema: an object with exactly the schema's keys. */
export function validatePayload(channel: RequestChannel, payload: unknown): Refusal | null {
  return validateRequest(channel, payload);
}

/** The whole gate: known channel, trusted frame, well-formed payload — in that order. */
export function admit(channel: unknown, payload: unknown, sender: SenderInfo, trusted: TrustedWindow): Admitted {
  if (!isRequestChannel(channel)) return refuse('unknown_channel', `no channel ${JSON.stringify(String(channel)).slice(0, 80)}`, 404);
  const foreign = checkSender(sender, trusted);
  if (foreign) return { ok: false, error: foreign };
  const bad = validatePayload(channel, payload);
  if (bad) return { ok: false, error: bad };
  return { ok: true, channel, payload: payload as Record<string, unknown> };
}

export function refusalEnvelope(r: Refusal): Envelope<never> {
  return { ok: false, error: r };
}
