// Vitest global setup: make sure the browser suite has a Chromium before any spec starts,
// fetching Playwright's own build once if the machine has none (e2e/browser.ts).
import { spawnSync } from 'node:child_process';
import { findChromium, NO_BROWSER_MESSAGE } from './browser';

export default function setup(): void {
  let found = findChromium();
  if (found === null) {
    process.stderr.write('e2e: no Chromium found; fetching one with `npx playwright-core install chromium`\n');
    const r = spawnSync(process.execPath, [require_resolve_cli(), 'install', 'chromium'], { stdio: 'inherit', timeout: 600_000 });
    if (r.status === 0) found = findChromium();
  }
  // Every spec process inherits it; a spec that needs a browser fails at once with the message.
  if (found !== null) process.env.SWOOSH_CHROMIUM = found;
  else process.env.SWOOSH_NO_BROWSER = NO_BROWSER_MESSAGE;
}

function require_resolve_cli(): string {
  return new URL('../node_modules/playwright-core/cli.js', import.meta.url).pathname;
}
