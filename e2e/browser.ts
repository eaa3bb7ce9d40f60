// Which Chromium the browser suite drives. In order: SWOOSH_CHROMIUM; the system's
// Chromium or Chrome; the Chromium of Playwright's own cache. When none is there, the
// suite's global setup (e2e/global-setup.ts) fetches one the standard way
// (`npx playwright-core install chromium`) once, and otherwise fails with one line that
// says what to install.

import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

/** System locations, most likely first (Debian, other Linux, macOS). */
export const SYSTEM_BROWSERS = [
  '/usr/bin/chromium',
  '/usr/bin/chromium-browser',
  '/usr/bin/google-chrome',
  '/usr/bin/google-chrome-stable',
  '/snap/bin/chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
];

/** Where Playwright's own install would put its Chromium (may not exist). */
export function playwrightChromium(): string | null {
  try {
    return chromium.executablePath();
  } catch {
    return null;
  }
}

/** The first browser found, or null. `env` and `exists` are parameters for the tests. */
export function findChromium(env: NodeJS.ProcessEnv = process.env, exists: (p: string) => boolean = existsSync): string | null {
  const configured = env.SWOOSH_CHROMIUM;
  if (configured !== undefined && configured !== '') return configured;
  for (const p of SYSTEM_BROWSERS) if (exists(p)) return p;
  const own = playwrightChromium();
  return own !== null && exists(own) ? own : null;
}

export const NO_BROWSER_MESSAGE =
  'no Chromium for the browser tests: install one (Debian: apt-get install -y chromium; elsewhere: npx playwright-core install chromium) or set SWOOSH_CHROMIUM to its path';
