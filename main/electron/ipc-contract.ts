// What main accepts over IPC: the channel allowlist, a payload schema per channel, and
// the sender-frame check (DESIGN §3; VS Code's ipcMain validates the same two things).
//
// Plain TypeScript with no Electron import, so vitest checks it under Node. Main calls
// `admit` on every message before any handler runs; a refusal is tagged data
// ({code, reason, status}) that the renderer's adapter turns into a ConsoleApiError.

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

const INDEX_MAX = Number.MAX_SAFE_INTEGER;
const PAGE_LIMIT_MAX = 1000;
const LABEL_CHARS_MAX = 100;
const PASSPHRASE_CHARS_MAX = 1024;
const KEY_ID_CHARS_MAX = 64;
const KEY_FILE_CHARS_MAX = 64 * 1024;
/** Same bound as the HTTP API's body limit (main/api/server.ts BODY_BYTES_MAX). */
const PROPOSAL_BYTES_MAX = 1024 * 1024;

type Check = (v: unknown) => string | null;

const int = (min: number, max: number): Check => (v) =>
  Number.isSafeInteger(v) && (v as number) >= min && (v as number) <= max ? null : `must be an integer in ${min}..${max}`;

const text = (min: number, max: number): Check => (v) =>
  typeof v === 'string' && v.length >= min && v.length <= max ? null : `must be a string of ${min}..${max} characters`;

/** A JSON object (the host or the signer checks the inside); bounded so nothing huge is copied. */
const jsonObject = (bytesMax: number): Check => (v) => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return 'must be a JSON object';
  let size: number;
  try {
    size = Buffer.byteLength(JSON.stringify(v), 'utf8');
  } catch {
    return 'must be plain JSON';
  }
  return size <= bytesMax ? null : `must be at most ${bytesMax} bytes of JSON`;
};

type Schema = Record<string, Check>;

const SCHEMAS: Record<RequestChannel, Schema> = {
  'console:getState': {},
  'console:getStateAt': { n: int(0, INDEX_MAX) },
  'console:getWal': { from: int(0, INDEX_MAX), limit: int(0, PAGE_LIMIT_MAX) },
  'console:getDecision': { n: int(0, INDEX_MAX) },
  'console:getRejections': { from: int(0, INDEX_MAX), limit: int(0, PAGE_LIMIT_MAX) },
  'console:getHealth': {},
  'console:getMetricsText': {},
  'console:submitProposal': { proposal: jsonObject(PROPOSAL_BYTES_MAX) },
  'console:keys.list': {},
  'console:keys.create': { label: text(1, LABEL_CHARS_MAX), passphrase: text(1, PASSPHRASE_CHARS_MAX) },
  'console:keys.importFile': { label: text(1, LABEL_CHARS_MAX), keyFileText: text(1, KEY_FILE_CHARS_MAX), passphrase: text(0, PASSPHRASE_CHARS_MAX) },
  'console:keys.unlock': { id: text(1, KEY_ID_CHARS_MAX), passphrase: text(1, PASSPHRASE_CHARS_MAX) },
  'console:keys.lock': { id: text(1, KEY_ID_CHARS_MAX) },
  'console:keys.remove': { id: text(1, KEY_ID_CHARS_MAX) },
  'console:keys.sign': { id: text(1, KEY_ID_CHARS_MAX), unsigned: jsonObject(PROPOSAL_BYTES_MAX) },
};

export type Admitted = { ok: true; channel: RequestChannel; payload: Record<string, unknown> } | { ok: false; error: Refusal };

function refuse(code: Refusal['code'], reason: string, status: number): { ok: false; error: Refusal } {
  return { ok: false, error: { code, reason, status } };
}

/** Is this the trusted window's top frame, showing a page of the console's origin? */
export function checkSender(sender: SenderInfo, trusted: TrustedWindow): Refusal | null {
  if (sender.webContentsId !== trusted.webContentsId) return { code: 'foreign_frame', reason: 'message from a window other than the console', status: 403 };
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
  if (origin === 'null' || origin !== trusted.origin) return { code: 'foreign_frame', reason: `message from ${origin}, not ${trusted.origin}`, status: 403 };
  return null;
}

/** Checks the payload against the channel's schema: an object with exactly the schema's keys. */
export function validatePayload(channel: RequestChannel, payload: unknown): Refusal | null {
  const schema = SCHEMAS[channel];
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
    return { code: 'malformed', reason: `${channel}: payload must be an object`, status: 400 };
  }
  const p = payload as Record<string, unknown>;
  for (const key of Object.keys(p)) {
    if (!Object.hasOwn(schema, key)) return { code: 'malformed', reason: `${channel}: unexpected field "${key}"`, status: 400 };
  }
  for (const [key, check] of Object.entries(schema)) {
    const problem = Object.hasOwn(p, key) ? check(p[key]) : 'is missing';
    if (problem !== null) return { code: 'malformed', reason: `${channel}: ${key} ${problem}`, status: 400 };
  }
  return null;
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
