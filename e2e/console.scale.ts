// Timeline at a million records: the console against a synthetic host whose WAL has
// 1,000,000 records (made up on demand, page by page; nothing is stored), to check that
// the virtualized list stays smooth and time travel reaches any index. Records are not
// real (their hashes do not verify: the chain column shows ✗, which is expected here).
//
//   npm run build:console && node --import tsx e2e/console.scale.ts
//
// Prints scroll frame statistics; fails if the median frame interval while scrolling is
// over FRAME_MS_MEDIAN_MAX or a jump to the last record does not land.

import { existsSync, mkdirSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { H } from '../core/hash';
import { formatHlc } from '../core/hlc';
import { initialState } from '../core/state';
import { DEFAULT_EPOCH_MS, makeCast, makeGenesis } from '../core/testing/kit';
import { consoleStatic, DEFAULT_CONSOLE_DIR } from '../main/api/console-static';
import { loadMachine } from '../main/machine';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = process.env.SWOOSH_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = process.env.SWOOSH_SCREENSHOTS ?? join(REPO, 'docs', 'screenshots');
const RECORDS = 1_000_000;
const FRAME_MS_MEDIAN_MAX = 50;

const spec = loadMachine();
const cast = makeCast();
const genesis = makeGenesis(cast, { project: 'scale' });
const state = initialState(genesis, spec.hash);
const stateHash = H(state);
const TRANSITIONS = ['Execution_PlanLocked', 'Execution_BeatReviewGate', 'Execution_Approve', 'Execution_ApprovalsThreshold', 'Execution_Submit', 'Execution_NextWindow'];
const SIGNERS = [cast.agents[0], cast.operators[0], cast.operators[1]].map((k) => k?.signer as string);

function record(index: number) {
  const transition = TRANSITIONS[index % TRANSITIONS.length] as string;
  const hlc = formatHlc({ wall_ms: DEFAULT_EPOCH_MS + index * 10, counter: index });
  return {
    index,
    prev_record_hash: stateHash,
    state_pre_hash: stateHash,
    transition,
    proposal: { current_state_hash: stateHash, transition, inputs: {}, inputs_hash: H({}), signer: SIGNERS[index % 3], idem_key: `scale:${index}`, hlc, window_id: null, evidence: [], signature: '' },
    inputs_hash: H({}),
    signer: SIGNERS[index % 3],
    idem_key: `scale:${index}`,
    hlc,
    window_id: index % 6 >= 1 && index % 6 <= 4 ? `backbeat:W-${Math.floor(index / 6)}` : null,
    guard_outcomes: [{ guard: 'window', ok: true, reasons: ['synthetic'] }],
    evidence: [],
    accepted_at_ms: DEFAULT_EPOCH_MS + index * 10,
    state_post_hash: stateHash,
    record_hash: stateHash,
  };
}

function json(res: ServerResponse, body: unknown, status = 200): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(text);
}

async function main(): Promise<void> {
  if (!existsSync(join(DEFAULT_CONSOLE_DIR, 'index.html'))) throw new Error('run npm run build:console first');
  mkdirSync(SHOTS, { recursive: true });
  const statics = consoleStatic(DEFAULT_CONSOLE_DIR);
  let walRequests = 0;
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const at = /^\/state\/at\/(\d+)$/.exec(url.pathname);
    if (url.pathname === '/state' || at) return json(res, { index: at ? Number(at[1]) : RECORDS, hash: stateHash, hlc: null, state });
    if (url.pathname === '/wal') {
      walRequests += 1;
      const from = Number(url.searchParams.get('from') ?? 1);
      const limit = Math.min(1000, Number(url.searchParams.get('limit') ?? 100));
      const records = [];
      for (let i = Math.max(1, from); i < from + limit && i <= RECORDS; i += 1) records.push(record(i));
      return json(res, { from, count: records.length, head_index: RECORDS, records });
    }
    if (url.pathname === '/health') return json(res, { status: 'ok', consensus: {}, lastSnapshotHLC: null, walLag: 0 });
    if (url.pathname === '/rejections') return json(res, { from: 0, count: 0, rejections: [] });
    if (url.pathname === '/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('retry: 2000\n\nevent: health\ndata: {"status":"ok"}\n\n');
      return undefined;
    }
    if (!statics(req, res, url)) json(res, { error: { code: 'not_found', reason: url.pathname } }, 404);
    return undefined;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let browser: Browser | null = null;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--headless'],
    });
    const page = await (await browser.newContext({ viewport: { width: 1600, height: 960 }, colorScheme: 'dark' })).newPage();
    await page.goto(`${base}/#/timeline`);
    await page.waitForSelector('[data-testid="wal-list"] .wal-row[data-index="1000000"]', { timeout: 15_000 });

    // Scroll hard through the list while counting animation frames.
    const box = await page.locator('.wal-scroll').boundingBox();
    if (!box) throw new Error('no WAL list');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.evaluate(`(() => { window.__frames = []; let last = performance.now(); const tick = (t) => { window.__frames.push(t - last); last = t; if (window.__frames.length < 100000) requestAnimationFrame(tick); }; requestAnimationFrame(tick); })()`);
    for (let i = 0; i < 120; i += 1) {
      await page.mouse.wheel(0, i % 40 < 20 ? -4000 : 900);
      await page.waitForTimeout(16);
    }
    const frames = (await page.evaluate('window.__frames.slice(5)')) as number[];
    const sorted = [...frames].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? Infinity;
    const p95 = sorted[Math.floor(sorted.length * 0.95)] ?? Infinity;
    console.log(`scroll: ${frames.length} frames, median ${median.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, max ${(sorted[sorted.length - 1] ?? 0).toFixed(1)} ms; ${walRequests} /wal requests`);

    // Jump deep, then to the end, by index.
    for (const target of [523_417, 999_999]) {
      await page.fill('[data-testid="jump"]', String(target));
      await page.press('[data-testid="jump"]', 'Enter');
      await page.waitForSelector(`[data-testid="cursor-index"]:text-is("#${target.toLocaleString('en-US')}")`, { timeout: 10_000 });
      await page.waitForSelector(`.wal-row.is-selected[data-index="${target}"][data-transition]`, { timeout: 10_000 });
    }
    await page.waitForTimeout(500);
    const dupes = (await page.evaluate(`(() => { const seen = new Map(); for (const r of document.querySelectorAll('.wal-row')) { const i = r.getAttribute('data-index'); seen.set(i, (seen.get(i) ?? 0) + 1); } return [...seen].filter(([, n]) => n > 1).map(([i]) => i); })()`)) as string[];
    if (dupes.length > 0) throw new Error(`rows rendered twice: ${dupes.join(', ')}`);
    // Rows must sit exactly one row apart, even 24M px down the list.
    const gaps = (await page.evaluate(`(() => { const rows = [...document.querySelectorAll('.wal-row')].map((r) => [Number(r.getAttribute('data-index')), r.getBoundingClientRect().top]).sort((a, b) => a[0] - b[0]); const out = []; for (let i = 1; i < rows.length; i += 1) out.push(Math.round((rows[i][1] - rows[i - 1][1]) * 100) / 100); return out; })()`)) as number[];
    if (gaps.some((g) => g !== 24)) throw new Error(`rows are not 24 px apart at the end of the list: ${gaps.join(', ')}`);
    await page.screenshot({ path: join(SHOTS, 'timeline-1m.png') });
    console.log(`  screenshot ${join(SHOTS, 'timeline-1m.png')}`);
    if (median > FRAME_MS_MEDIAN_MAX) throw new Error(`median frame interval ${median.toFixed(1)} ms exceeds ${FRAME_MS_MEDIAN_MAX} ms`);
    console.log('console scale: ok');
  } finally {
    await browser?.close();
    server.closeAllConnections();
    server.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`console scale: FAILED: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
