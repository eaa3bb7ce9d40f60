// The Electron main process: the orchestrator host in-process (SQLite in the user data
// directory, HTTP API on loopback for agents and workers) and one hardened window.
//
// Hardening (docs/architecture.md §3; docs/electron.md says how each is tested):
//   contextIsolation on, sandbox on, nodeIntegration off, no webview, no DevTools when packaged; the page comes from
//   the privileged `swoosh://console/` scheme with a strict CSP (script-src 'self');
//   navigation, new windows, permission requests and any request that is not
//   swoosh:// or devtools are refused; every IPC message passes ipc-contract's `admit`
//   (known channel, the console's own top frame, schema-checked payload).
// Operator keys live here (keys.ts); signing shows the exact payload in a native dialog.

import { app, BrowserWindow, dialog, ipcMain, protocol, session, type IpcMainInvokeEvent, type WebContents } from 'electron';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CONSOLE_CSP, DEFAULT_CONSOLE_DIR } from '../api/console-static';
import { writeDemoOperatorKey } from '../demo';
import { openDemoHost as startDemoHost } from '../app/demo';
import type { Running } from '../app/server';
import { createBridge, consoleEventOf } from './bridge';
import { EVENT_CHANNEL, REQUEST_CHANNELS } from './channels';
import { consoleFile } from './console-files';
import { admit, refusalEnvelope, type TrustedWindow } from './ipc-contract';
import { createMainKeys, type SigningSummary } from './keys';
import { consoleWebPreferences } from './window';

const SCHEME = 'swoosh';
const CONSOLE_ORIGIN = `${SCHEME}://console`;
/** The renderer talks only to main: no fetch, no websockets, no remote anything. */
export const ELECTRON_CSP = CONSOLE_CSP.replace("connect-src 'self'", "connect-src 'none'");

protocol.registerSchemesAsPrivileged([
  { scheme: SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, corsEnabled: true } },
]);

function sqliteBinding(): void {
  // npm start passes the Electron build of better-sqlite3; a packaged app ships it as a resource.
  if (!process.env.SWOOSH_SQLITE_BINDING && app.isPackaged) {
    process.env.SWOOSH_SQLITE_BINDING = join(
      process.resourcesPath,
      'native',
      `electron-abi${process.versions.modules}`,
      'better_sqlite3.node',
    );
  }
}

function hardenContents(contents: WebContents): void {
  contents.setWindowOpenHandler(() => ({ action: 'deny' }));
  contents.on('will-navigate', (e) => e.preventDefault());
  contents.on('will-redirect', (e) => e.preventDefault());
  contents.on('will-attach-webview', (e) => e.preventDefault());
}

function hardenSession(): void {
  const s = session.defaultSession;
  s.setPermissionRequestHandler((_wc, _permission, callback) => callback(false));
  s.setPermissionCheckHandler(() => false);
  s.webRequest.onBeforeRequest((details, callback) => {
    const allowed = details.url.startsWith(`${CONSOLE_ORIGIN}/`) || (!app.isPackaged && details.url.startsWith('devtools://'));
    callback({ cancel: !allowed });
  });
  protocol.handle(SCHEME, async (request) => {
    const file = consoleFile(DEFAULT_CONSOLE_DIR, request.url, CONSOLE_ORIGIN);
    if (!file.ok) return new Response(file.reason, { status: file.status, headers: { 'content-security-policy': ELECTRON_CSP } });
    return new Response(await readFile(file.path), {
      headers: { 'content-type': file.contentType, 'content-security-policy': ELECTRON_CSP, 'x-content-type-options': 'nosniff' },
    });
  });
}

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 900,
    show: false,
    title: 'SWOOSH console',
    backgroundColor: '#0b0f14',
    // DevTools only outside a packaged build (window.ts).
    webPreferences: consoleWebPreferences({
      preload: fileURLToPath(new URL('../../dist/electron/preload.cjs', import.meta.url)),
      packaged: app.isPackaged,
    }),
  });
  win.once('ready-to-show', () => win.show());
  return win;
}

function senderOf(e: IpcMainInvokeEvent) {
  const frame = e.senderFrame;
  return { webContentsId: e.sender.id, isMainFrame: frame !== null && frame === e.sender.mainFrame, frameUrl: frame?.url ?? '' };
}

/** Longest inputs text the native dialog shows before the full payload; the rest is elided, never hidden silently. */
const DIALOG_INPUTS_CHARS_MAX = 2000;

async function confirmSigning(
  win: BrowserWindow,
  r: { key: { label: string; fingerprint: string }; payload_json: string; summary: SigningSummary },
): Promise<boolean> {
  // The fields that decide what the signature means come first, in main's own order, so a
  // renderer cannot push them below the fold with a long payload.
  const s = r.summary;
  const inputs =
    s.inputs_json.length > DIALOG_INPUTS_CHARS_MAX
      ? `${s.inputs_json.slice(0, DIALOG_INPUTS_CHARS_MAX)}\n… (${s.inputs_json.length} characters in all)`
      : s.inputs_json;
  const answer = await dialog.showMessageBox(win, {
    type: 'question',
    buttons: ['Cancel', 'Sign'],
    defaultId: 0,
    cancelId: 0,
    noLink: true,
    title: 'Sign this proposal?',
    message: `Sign ${s.transition} with ${r.key.label} (${r.key.fingerprint})?`,
    detail: `HLC ${s.hlc}\nwindow ${s.window_id ?? '(not time-gated)'}\nHEAD ${s.current_state_hash}\n\ninputs:\n${inputs}\n\nfull payload:\n${r.payload_json}`,
  });
  return answer.response === 1;
}

function wireIpc(win: BrowserWindow, running: Running): () => void {
  const trusted: TrustedWindow = { webContentsId: win.webContents.id, origin: CONSOLE_ORIGIN };
  const keys = createMainKeys({ dir: join(app.getPath('userData'), 'operator-keys'), confirm: (r) => confirmSigning(win, r) });
  const bridge = createBridge({ api_url: running.url, keys });
  for (const channel of REQUEST_CHANNELS) {
    ipcMain.handle(channel, (e, payload: unknown) => {
      const a = admit(channel, payload, senderOf(e), trusted);
      if (!a.ok) return refusalEnvelope(a.error);
      return bridge.handle(a.channel, a.payload);
    });
  }
  const unsubscribe = running.host.engine.subscribe((e) => {
    const event = consoleEventOf(e);
    if (event && !win.isDestroyed()) win.webContents.send(EVENT_CHANNEL, event);
  });
  return () => {
    keys.close();
    unsubscribe();
    for (const channel of REQUEST_CHANNELS) ipcMain.removeHandler(channel);
  };
}

async function main(): Promise<void> {
  sqliteBinding();
  app.enableSandbox();
  app.on('web-contents-created', (_e, contents) => hardenContents(contents));
  await app.whenReady();
  hardenSession();
  const db = process.env.SWOOSH_DB ?? join(app.getPath('userData'), 'demo.db');
  const running = await startDemoHost({ db, port: Number(process.env.SWOOSH_PORT ?? 7420), console: false });
  const key = writeDemoOperatorKey(dirname(db));
  process.stdout.write(`swoosh: Electron console; API on ${running.url} (database ${db})\n`);
  process.stdout.write(
    `swoosh: demo operator key ${key.path} (op-1, passphrase "${key.passphrase}"): import it in the console's key manager\n`,
  );
  const win = createWindow();
  const unwire = wireIpc(win, running);
  await win.loadURL(`${CONSOLE_ORIGIN}/index.html`);
  app.on('window-all-closed', () => {
    unwire();
    void running.stop().then(() => app.quit());
  });
}

main().catch((err: unknown) => {
  const e = err as Error & { code?: string };
  process.stderr.write(`swoosh: the Electron console cannot start: ${e.code ? `${e.code}: ` : ''}${e.message}\n`);
  dialog.showErrorBox('SWOOSH console cannot start', e.message);
  app.exit(1);
});
