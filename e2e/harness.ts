// End-to-end harness: a real `swoosh serve` child process and a real Chromium.
//
// The browser specs (e2e/*.e2e.test.ts) use it so each one drives the product the way an
// operator does: the CLI on a temporary database, the console it serves, the API beside it.
//
//   const srv = await startServe(['--sim', '--console', '--beat-ms', '4000']);
//   const browser = await launchBrowser();
//   const w = await watchedPage(browser);              // records page errors / CSP violations
//   await w.page.goto(srv.url);
//   …
//   await shot(w.page, 'statechart-dark');             // docs/screenshots/statechart-dark.png
//   w.assertClean();                                   // throws with what the page complained about
//   await browser.close(); await srv.stop();
//
// Every wait here is bounded and every failure says what it was waiting for, with the
// server's stderr attached. Env: SWOOSH_CHROMIUM (default /usr/bin/chromium),
// SWOOSH_SCREENSHOTS (default docs/screenshots), SWOOSH_CONSOLE_DIR (default dist/console).

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { SwooshClient } from '../client/client';
import { findChromium, NO_BROWSER_MESSAGE } from './browser';
import type { NamedKey } from '../core/testing/kit';
import { DEFAULT_CONSOLE_DIR } from '../main/api/console-static';
import { demoCast } from '../main/demo';

export const REPO_DIR = fileURLToPath(new URL('..', import.meta.url));
export const CHROMIUM_PATH = findChromium() ?? '/usr/bin/chromium';
export const SCREENSHOT_DIR = resolve(process.env.SWOOSH_SCREENSHOTS ?? join(REPO_DIR, 'docs', 'screenshots'));
export const CONSOLE_DIR = process.env.SWOOSH_CONSOLE_DIR ?? DEFAULT_CONSOLE_DIR;
/** Flags from the project rules: headless, no sandbox (containers), nothing phoning home. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  // A container's /dev/shm is often 64 MB, too small for Chromium's shared memory.
  '--disable-dev-shm-usage',
];
export const VIEWPORT = { width: 1600, height: 960 };

/** Default bound for one UI step (a selector to appear, a line to be printed). */
export const STEP_TIMEOUT_MS = 15_000;
/** Default bound for the server to start (tsx compiles on first load; 2 busy cores). */
export const START_TIMEOUT_MS = 45_000;
/** How long stop() waits after SIGTERM before SIGKILL. */
export const STOP_GRACE_MS = 5_000;

// ---------------------------------------------------------------------------------------
// Preconditions

/** Throws a clear message when the console was not built (the specs need dist/console). */
export function assertConsoleBuilt(dir: string = CONSOLE_DIR): void {
  if (!existsSync(join(dir, 'index.html'))) {
    throw new Error(`no built console in ${dir}: run npm run build:console (npm test does it before vitest)`);
  }
}

/** Throws a clear message when Chromium is missing. */
export function assertChromium(path: string = CHROMIUM_PATH): void {
  if (!existsSync(path)) throw new Error(process.env.SWOOSH_NO_BROWSER ?? `no Chromium at ${path}: ${NO_BROWSER_MESSAGE}`);
}

// ---------------------------------------------------------------------------------------
// swoosh serve as a child process

export interface ServeOptions {
  /** Bound for the "serving … on URL" line. */
  start_timeout_ms?: number;
  /** Extra environment for the child. */
  env?: Record<string, string>;
  /** Keep the temporary directory after stop() (for debugging a failure). */
  keep_dir?: boolean;
}

export interface Served {
  /** Base URL of the API and console, e.g. http://127.0.0.1:40123 */
  url: string;
  /** The WAL index the server reported at start. */
  index_at_start: number;
  /** Database path (inside `dir` unless --db was passed). */
  db: string;
  /** Temporary directory owned by this server (removed by stop()). */
  dir: string;
  /** The demo operator key file (op-1) and its passphrase, when --sim printed them. */
  demo_key: { path: string; passphrase: string } | null;
  /** Every stdout line so far (sim URL lines and so on). */
  readonly lines: string[];
  /** Everything the child wrote on stderr so far. */
  stderr(): string;
  /** Resolves with the first stdout line (past or future) matching `re`; bounded. */
  waitForLine(re: RegExp, timeout_ms?: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL after STOP_GRACE_MS; removes the temporary directory. */
  stop(): Promise<void>;
  readonly child: ChildProcess;
}

/** stdout lines kept per server (the oldest are dropped beyond this). */
const LINES_MAX = 20_000;
const SERVING_RE = /^swoosh: serving (.+) on (\S+) \(index (\d+)\)$/;
const DEMO_KEY_RE = /^swoosh: demo operator key (.+) \(op-1, passphrase "([^"]*)"\)$/;

/** Children still running: killed if the test process exits without stopping them. */
const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function killOnExit(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

/**
 * Spawns `node bin/swoosh.mjs serve --port 0 --db <tmp>/swoosh.db …args` and resolves once
 * it printed its URL. Pass --db yourself to choose the database; --port 0 is added unless
 * --port is given. Rejects (and kills the child) if it exits or stays silent too long,
 * quoting its stderr.
 */
export async function startServe(args: string[], opts: ServeOptions = {}): Promise<Served> {
  if (args.includes('--console')) assertConsoleBuilt();
  const dir = mkdtempSync(join(tmpdir(), 'swoosh-e2e-'));
  const full = ['serve', ...args];
  let db = join(dir, 'swoosh.db');
  const dbAt = args.indexOf('--db');
  if (dbAt >= 0) db = args[dbAt + 1] as string;
  else full.push('--db', db);
  if (!args.includes('--port')) full.push('--port', '0');

  const child = spawn(process.execPath, [join(REPO_DIR, 'bin', 'swoosh.mjs'), ...full], {
    cwd: REPO_DIR,
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  killOnExit(child);
  const lines: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  let err = '';
  let partial = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    partial += chunk;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      // Bounded: the host logs one JSON line per transition on stdout too.
      if (lines.length >= LINES_MAX) lines.splice(0, lines.length - LINES_MAX + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        const m = line.match(w.re);
        if (m) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    }
  });
  // Bounded: a chatty child must not grow the test's memory without limit.
  child.stderr?.on('data', (chunk: string) => {
    err = (err + chunk).slice(-64_000);
  });
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));

  const describe = () => `swoosh ${full.join(' ')}`;
  const waitForLine = (re: RegExp, timeout_ms = STEP_TIMEOUT_MS): Promise<RegExpMatchArray> => {
    for (const line of lines) {
      const m = line.match(re);
      if (m) return Promise.resolve(m);
    }
    return new Promise((resolveLine, reject) => {
      const w = {
        re,
        resolve: (m: RegExpMatchArray) => {
          clearTimeout(timer);
          resolveLine(m);
        },
      };
      const timer = setTimeout(() => {
        waiters.splice(waiters.indexOf(w), 1);
        reject(
          new Error(`${describe()}: no stdout line matching ${re} within ${timeout_ms} ms\nstdout:\n${lines.join('\n')}\nstderr:\n${err}`),
        );
      }, timeout_ms);
      waiters.push(w);
      void exited.then((code) => {
        if (!waiters.includes(w)) return;
        waiters.splice(waiters.indexOf(w), 1);
        clearTimeout(timer);
        reject(new Error(`${describe()} exited (code ${code}) before printing ${re}\nstdout:\n${lines.join('\n')}\nstderr:\n${err}`));
      });
    });
  };

  let stopped: Promise<void> | null = null;
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        const killer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(killer);
      }
      if (!opts.keep_dir) rmSync(dir, { recursive: true, force: true });
    })();
    return stopped;
  };

  let serving: RegExpMatchArray;
  try {
    serving = await waitForLine(SERVING_RE, opts.start_timeout_ms ?? START_TIMEOUT_MS);
  } catch (e) {
    await stop();
    throw e;
  }
  const key = lines.map((l) => l.match(DEMO_KEY_RE)).find((m) => m !== null);
  return {
    url: serving[2] as string,
    index_at_start: Number(serving[3]),
    db,
    dir,
    demo_key: key ? { path: key[1] as string, passphrase: key[2] as string } : null,
    lines,
    stderr: () => err,
    waitForLine,
    stop,
    child,
  };
}

// ---------------------------------------------------------------------------------------
// Chromium

/** Debian Chromium through playwright-core, headless, with the project's flags. */
export async function launchBrowser(): Promise<Browser> {
  assertChromium();
  return chromium.launch({ executablePath: CHROMIUM_PATH, headless: true, args: CHROMIUM_ARGS, timeout: START_TIMEOUT_MS });
}

export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  /** Page errors, console errors and CSP violations, in order. */
  readonly problems: string[];
  /** Throws listing the problems, if any (ignoring those `ignore` matches). */
  assertClean(ignore?: RegExp): void;
}

export interface PageOptions {
  colorScheme?: 'dark' | 'light';
  viewport?: { width: number; height: number };
}

/**
 * A new context and page that record what an operator would never see but a test must:
 * uncaught exceptions, console.error (which includes failed resource loads) and CSP
 * violations (reported through a securitypolicyviolation listener installed before any
 * page script runs). Bounded default timeouts for every Playwright action.
 */
export async function watchedPage(browser: Browser, o: PageOptions = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: o.viewport ?? VIEWPORT, colorScheme: o.colorScheme ?? 'dark' });
  context.setDefaultTimeout(STEP_TIMEOUT_MS);
  context.setDefaultNavigationTimeout(STEP_TIMEOUT_MS);
  const problems: string[] = [];
  await context.exposeBinding('__swooshCspViolation', (_src, text: string) => {
    problems.push(`CSP violation: ${text}`);
  });
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      const report = (window as unknown as { __swooshCspViolation?: (t: string) => void }).__swooshCspViolation;
      report?.(`${e.violatedDirective} blocked ${e.blockedURI || '(inline)'} at ${e.sourceFile}:${e.lineNumber}`);
    });
  });
  const page = await context.newPage();
  page.on('pageerror', (e) => problems.push(`page error: ${e.stack ?? e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console error: ${m.text()} (${m.location().url})`);
  });
  return {
    page,
    context,
    problems,
    assertClean(ignore?: RegExp) {
      const real = ignore ? problems.filter((p) => !ignore.test(p)) : problems;
      if (real.length > 0) throw new Error(`the page reported ${real.length} problem(s):\n  ${real.join('\n  ')}`);
    },
  };
}

/**
 * Saves a full-viewport PNG as <SCREENSHOT_DIR>/<name>.png and returns its path. The mouse
 * is first parked in the top-left corner, so a hover tooltip left over from an earlier
 * step does not end up in the picture (keep_hover: true to picture a hover on purpose).
 */
export async function shot(page: Page, name: string, o: { keep_hover?: boolean } = {}): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  if (!o.keep_hover) await page.mouse.move(0, 0);
  // Let transitions and fonts settle so the picture is what an operator sees.
  await page.evaluate(() => document.fonts.ready.then(() => undefined));
  await page.screenshot({ path, animations: 'disabled' });
  return path;
}

/** Waits until an element's whole text is exactly `text`. */
export async function waitText(page: Page, selector: string, text: string, timeout_ms = STEP_TIMEOUT_MS): Promise<void> {
  await page.waitForSelector(`${selector}:text-is(${JSON.stringify(text)})`, { timeout: timeout_ms });
}

// ---------------------------------------------------------------------------------------
// Server-side conditions and proposals

/**
 * Polls `probe` until it returns a non-undefined value; throws naming `what` after
 * `timeout_ms`. For server-side conditions (the sim reaching a state); for the page, use
 * Playwright's own waits.
 */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeout_ms = STEP_TIMEOUT_MS,
  every_ms = 100,
): Promise<T> {
  const deadline = Date.now() + timeout_ms;
  let last: unknown = null;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeout_ms} ms waiting for ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
    await new Promise((r) => setTimeout(r, every_ms));
  }
}

/** The demo project's keys (deterministic, never for production): operators, agents, council, … */
export const demo = demoCast();

/** A client of a served host signing as `key` (a member of `demo`), or read-only. */
export function clientFor(url: string, key?: NamedKey): SwooshClient {
  return new SwooshClient({ url, signer: key });
}
