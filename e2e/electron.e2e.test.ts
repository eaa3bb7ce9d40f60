// Electron mode end to end: the real app (main bundle + preload + built console) through
// Playwright's `_electron`, where the Electron binary exists. Where it does not (an
// offline `npm ci` drops the optional electron package), the spec is skipped and says
// why, in the test's name and on stdout, so the skip is visible in the vitest output.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { findElectron, prepareElectronSqlite, REPO_DIR } from '../main/app/electron-launch';
import { buildElectron } from '../main/electron/build';

const probe = findElectron();
const prepared = probe.ok ? prepareElectronSqlite(probe.binary) : probe;
const skipReason = !probe.ok
  ? `Electron e2e skipped: ${probe.reason.replace(/ \(offline install\?\)$/, '')} (offline install)`
  : !prepared.ok
    ? `Electron e2e skipped: ${prepared.reason}`
    : null;
if (skipReason) console.log(skipReason);

const CHART = '[data-testid="chart-panel"]';

describe('Electron console', () => {
  let app: ElectronApplication | null = null;
  let page: Page;
  const dir = mkdtempSync(join(tmpdir(), 'swoosh-electron-e2e-'));
  afterAll(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it.skipIf(skipReason !== null)(skipReason ?? 'launches hardened and draws the live statechart over IPC', async () => {
    if (!probe.ok || !prepared.ok) return;
    const out = await buildElectron();
    app = await _electron.launch({
      executablePath: probe.binary,
      args: [out.main],
      cwd: REPO_DIR,
      timeout: 60_000,
      env: {
        ...process.env,
        SWOOSH_SQLITE_BINDING: prepared.binding,
        SWOOSH_DB: join(dir, 'demo.db'),
        SWOOSH_PORT: '0',
        ELECTRON_RUN_AS_NODE: '',
      },
    });
    page = await app.firstWindow();
    // The core flow: the demo project runs and the chart shows active states.
    await page.waitForSelector(`${CHART} g.st-leaf[data-active="true"]`, { timeout: 60_000 });
    const leaves = await page.$$eval(`${CHART} g.st-leaf[data-active="true"]`, (els) => els.map((e) => e.getAttribute('data-path')));
    expect(leaves.length).toBeGreaterThan(0);

    // Hardening as the page sees it: no Node, one bridge object, unknown channels refused.
    const seen = await page.evaluate(async () => {
      const w = window as unknown as {
        swoosh: { kind: string; invoke(c: string, p: unknown): Promise<unknown> };
        require?: unknown;
        process?: unknown;
      };
      return {
        node: typeof w.require !== 'undefined' || typeof w.process !== 'undefined',
        kind: w.swoosh.kind,
        unknown: await w.swoosh.invoke('console:exec', {}),
        malformed: await w.swoosh.invoke('console:getStateAt', { n: -1 }),
        url: location.href,
      };
    });
    expect(seen.node).toBe(false);
    expect(seen.kind).toBe('swoosh-electron');
    expect(seen.unknown).toMatchObject({ ok: false, error: { code: 'unknown_channel' } });
    expect(seen.malformed).toMatchObject({ ok: false, error: { code: 'malformed' } });
    expect(seen.url.startsWith('swoosh://console/')).toBe(true);

    // Navigation and new windows are denied.
    await page.evaluate(() => {
      window.open('https://example.com');
      location.href = 'https://example.com/';
    });
    await page.waitForTimeout(500);
    expect(page.url().startsWith('swoosh://console/')).toBe(true);
    expect(app.windows()).toHaveLength(1);
    // Sandboxed, isolated, no Node in the page (Electron 45 has no getLastWebPreferences;
    // what the page can reach is the proof): no require, process or module in its world.
    const reach = await page.evaluate(() => {
      const g = globalThis as Record<string, unknown>;
      return { require: typeof g.require, process: typeof g.process, module: typeof g.module };
    });
    expect(reach).toEqual({ require: 'undefined', process: 'undefined', module: 'undefined' });
  });
});
