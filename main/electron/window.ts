// The console window's webPreferences, as data: main.ts passes them to BrowserWindow, and
// window.test.ts checks them under plain Node (Electron cannot run in CI).
// DevTools are for development: a packaged build has none, so an operator's console cannot
// be opened up to run script in the renderer (docs/architecture.md §3; docs/electron.md).

export interface ConsoleWebPreferences {
  preload: string;
  contextIsolation: true;
  sandbox: true;
  nodeIntegration: false;
  nodeIntegrationInSubFrames: false;
  webSecurity: true;
  webviewTag: false;
  spellcheck: false;
  devTools: boolean;
}

export function consoleWebPreferences(o: { preload: string; packaged: boolean }): ConsoleWebPreferences {
  return {
    preload: o.preload,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    webviewTag: false,
    spellcheck: false,
    devTools: !o.packaged,
  };
}
