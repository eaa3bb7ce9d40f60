// The packaged console has no DevTools; a development build keeps them. The rest of the
// hardening (isolation, sandbox, no node, no webview) holds in both.

import { describe, expect, it } from 'vitest';
import { consoleWebPreferences } from './window';

describe('consoleWebPreferences', () => {
  it('turns DevTools off in a packaged build and keeps the window hardened either way', () => {
    const packaged = consoleWebPreferences({ preload: '/app/preload.cjs', packaged: true });
    const dev = consoleWebPreferences({ preload: '/app/preload.cjs', packaged: false });
    expect(packaged.devTools).toBe(false);
    expect(dev.devTools).toBe(true);
    for (const p of [packaged, dev]) {
      expect(p).toMatchObject({
        preload: '/app/preload.cjs',
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        webviewTag: false,
      });
    }
  });
});
