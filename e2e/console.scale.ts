// Console benchmark (`npm run bench:console`): the timeline at a million records, in
// Debian Chromium. Not a test: it prints figures, each beside a ceiling measured in the
// same run on the same machine and the ratio (docs/benchmarks.md's rule), and writes them
// to docs/benchmarks-console.md. It fails only when the console is wrong (a jump that does
// not land, rows drawn twice or not one row apart), never because something was slow.
//
//   npm run bench:console          # = npm run build:console && node --import tsx e2e/console.scale.ts
//
// Measured against synthetic hosts: a tiny HTTP server answering the console's reads for a
// WAL of N records made up on demand, page by page (nothing is stored), so the browser is
// what is measured. Their hashes do not verify: the chain column shows ✗, as expected here.
//
// - render: navigation to #/timeline until HEAD's row is drawn, at 1,000,000 records;
//   ceiling: the same at 1,000 records (so the ratio is the cost of the million).
// - jump: Enter in the jump box until the row is selected, its index shown and the chart
//   drawn, at random indices of the million; ceiling: the raw fetch of GET /state/at/N
//   from the same page (the one round trip a jump cannot avoid).
// - scroll: median and p95 animation-frame interval while wheel-scrolling the million;
//   ceiling: the frame interval of the same page at rest.
//
// Env: SWOOSH_CHROMIUM, SWOOSH_SCREENSHOTS (timeline-1m.png), SWOOSH_BENCH_DOC (default
// docs/benchmarks-console.md; "-" to skip writing it), SWOOSH_BENCH_JUMPS (default 20).

import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { H } from '../core/hash';
import { formatHlc } from '../core/hlc';
import { mulberry32 } from '../core/testing/streams';
import { initialState } from '../core/state';
import { DEFAULT_EPOCH_MS, makeCast, makeGenesis } from '../core/testing/kit';
import { consoleStatic } from '../main/api/console-static';
import { loadMachine } from '../main/machine';
import { assertConsoleBuilt, CHROMIUM_PATH, CONSOLE_DIR, launchBrowser, REPO_DIR, shot, watchedPage } from './harness';

const RECORDS_BIG = 1_000_000;
const RECORDS_SMALL = 1_000;
const RENDER_RUNS = 5;
const JUMPS = Number(process.env.SWOOSH_BENCH_JUMPS ?? 20);
const ROW_H_PX = 24;
const DOC = process.env.SWOOSH_BENCH_DOC ?? join(REPO_DIR, 'docs', 'benchmarks-console.md');

const spec = loadMachine();
const cast = makeCast();
const genesis = makeGenesis(cast, { project: 'scale' });
const state = initialState(genesis, spec.hash);
const stateHash = H(state);
const TRANSITIONS = [
  'Execution_PlanLocked',
  'Execution_BeatReviewGate',
  'Execution_Approve',
  'Execution_ApprovalsThreshold',
  'Execution_Submit',
  'Execution_NextWindow',
];
const SIGNERS = [cast.agents[0], cast.operators[0], cast.operators[1]].map((k) => k?.signer as string);

function record(index: number) {
  const transition = TRANSITIONS[index % TRANSITIONS.length] as string;
  const hlc = formatHlc({ wall_ms: DEFAULT_EPOCH_MS + index * 10, counter: index });
  return {
    index,
    prev_record_hash: stateHash,
    state_pre_hash: stateHash,
    transition,
    proposal: {
      current_state_hash: stateHash,
      transition,
      inputs: {},
      inputs_hash: H({}),
      signer: SIGNERS[index % 3],
      idem_key: `scale:${index}`,
      hlc,
      window_id: null,
      evidence: [],
      signature: '',
    },
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
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

interface Synthetic {
  base: string;
  records: number;
  close(): void;
}

/** The console's reads for a WAL of `records` records; the console's files beside them. */
async function syntheticHost(records: number): Promise<Synthetic> {
  const statics = consoleStatic(CONSOLE_DIR);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const at = /^\/state\/at\/(\d+)$/.exec(url.pathname);
    if (url.pathname === '/state' || at) return json(res, { index: at ? Number(at[1]) : records, hash: stateHash, hlc: null, state });
    if (url.pathname === '/wal') {
      const from = Number(url.searchParams.get('from') ?? 1);
      const limit = Math.min(1000, Number(url.searchParams.get('limit') ?? 100));
      const out = [];
      for (let i = Math.max(1, from); i < from + limit && i <= records; i += 1) out.push(record(i));
      return json(res, { from, count: out.length, head_index: records, records: out });
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
  return {
    base: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    records,
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

// ---------------------------------------------------------------------------------------
// Statistics

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
}

interface Row {
  name: string;
  unit: string;
  value: number;
  ceiling_name: string;
  ceiling: number;
}

// ---------------------------------------------------------------------------------------
// Measurements

/** Navigation to the timeline until HEAD's row is drawn. */
async function renderMs(page: Page, host: Synthetic): Promise<number> {
  await page.goto('about:blank');
  const t0 = performance.now();
  await page.goto(`${host.base}/#/timeline`);
  await page.waitForSelector(`[data-testid="wal-list"] .wal-row[data-index="${host.records}"][data-transition]`, { timeout: 30_000 });
  return performance.now() - t0;
}

/** One jump: Enter until the row is selected, the index shown and the chart drawn. */
async function jumpMs(page: Page, target: number): Promise<number> {
  await page.fill('[data-testid="jump"]', String(target));
  const t0 = performance.now();
  await page.press('[data-testid="jump"]', 'Enter');
  await page.waitForSelector(`[data-testid="cursor-index"]:text-is("#${target.toLocaleString('en-US')}")`, { timeout: 10_000 });
  await page.waitForSelector(`.wal-row.is-selected[data-index="${target}"][data-transition]`, { timeout: 10_000 });
  await page.waitForSelector('[data-testid="timeline-chart"] g.st-leaf[data-active="true"]', { timeout: 10_000 });
  return performance.now() - t0;
}

/**
 * The same jump timed inside the page: from the Enter keydown to the mutation that completes
 * the three conditions (a MutationObserver), so the console's own share can be told apart
 * from Playwright's round trips. Run on further jumps, never on the timed ones (the
 * observer does a little work of its own during the jump).
 */
async function jumpInPageMs(page: Page, target: number): Promise<number> {
  await page.fill('[data-testid="jump"]', String(target));
  // A string, not a function: see frameIntervals.
  await page.evaluate(`(() => {
    const t = { key: 0, done: 0 };
    window.__jump = t;
    const label = ${JSON.stringify(`#${target.toLocaleString('en-US')}`)};
    const landed = () =>
      document.querySelector('[data-testid="cursor-index"]')?.textContent === label &&
      document.querySelector('.wal-row.is-selected[data-index="${target}"][data-transition]') !== null &&
      document.querySelector('[data-testid="timeline-chart"] g.st-leaf[data-active="true"]') !== null;
    const mo = new MutationObserver(() => {
      if (t.key > 0 && landed()) {
        t.done = performance.now();
        mo.disconnect();
      }
    });
    mo.observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
    window.addEventListener('keydown', () => { t.key = performance.now(); }, { capture: true, once: true });
  })()`);
  await page.press('[data-testid="jump"]', 'Enter');
  await page.waitForFunction(() => (window as unknown as { __jump: { done: number } }).__jump.done > 0, undefined, { timeout: 10_000 });
  return page.evaluate(() => {
    const t = (window as unknown as { __jump: { key: number; done: number } }).__jump;
    return t.done - t.key;
  });
}

/** One Playwright wait on an element already drawn: the harness's own share of a jump's figure. */
async function waitOverheadMs(page: Page): Promise<number> {
  const runs: number[] = [];
  for (let i = 0; i < 20; i += 1) {
    const t0 = performance.now();
    await page.waitForSelector('[data-testid="cursor-index"]');
    runs.push(performance.now() - t0);
  }
  return quantile(runs, 0.5);
}

/** GET /state/at/N from inside the page: what a jump must at least wait for. */
async function fetchStateAtMs(page: Page, target: number): Promise<number> {
  return page.evaluate(async (n) => {
    const t0 = performance.now();
    const res = await fetch(`/state/at/${n}`, { cache: 'no-store' });
    await res.json();
    return performance.now() - t0;
  }, target);
}

/** Animation-frame intervals over `run` (first few dropped: they straddle the start). */
async function frameIntervals(page: Page, run: () => Promise<void>): Promise<number[]> {
  // A string, not a function: tsx's keepNames would wrap the named callback in __name(),
  // which does not exist in the page.
  await page.evaluate(`(() => {
    window.__frames = [];
    window.__framesOn = true;
    let last = performance.now();
    const tick = (t) => {
      window.__frames.push(t - last);
      last = t;
      if (window.__framesOn) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  })()`);
  await run();
  return page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __framesOn: boolean };
    w.__framesOn = false;
    return w.__frames.slice(3);
  });
}

/** Correctness at the far end of a million rows: no row twice, every row 24 px below the last. */
async function checkRows(page: Page): Promise<void> {
  const rows = await page.$$eval('.wal-row', (els) =>
    els.map((r) => [Number(r.getAttribute('data-index')), r.getBoundingClientRect().top] as [number, number]),
  );
  const seen = new Set<number>();
  const dupes = rows
    .filter(([i]) => {
      if (seen.has(i)) return true;
      seen.add(i);
      return false;
    })
    .map(([i]) => i);
  if (dupes.length > 0) throw new Error(`rows rendered twice: ${dupes.join(', ')}`);
  const sorted = rows.sort((a, b) => a[0] - b[0]);
  const gaps = sorted.slice(1).map(([, top], k) => Math.round((top - (sorted[k] as [number, number])[1]) * 100) / 100);
  if (gaps.some((g) => g !== ROW_H_PX)) throw new Error(`rows are not ${ROW_H_PX} px apart: ${gaps.join(', ')}`);
}

// ---------------------------------------------------------------------------------------
// Report

function fmt(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

function table(rows: Row[]): string {
  const lines = ['| figure | value | ceiling (same run) | ceiling value | ratio |', '|---|---:|---|---:|---:|'];
  for (const r of rows)
    lines.push(
      `| ${r.name} | ${fmt(r.value)} ${r.unit} | ${r.ceiling_name} | ${fmt(r.ceiling)} ${r.unit} | ${(r.value / r.ceiling).toFixed(2)}× |`,
    );
  return lines.join('\n');
}

function machine(): string {
  let chromium = CHROMIUM_PATH;
  try {
    chromium = execFileSync(CHROMIUM_PATH, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // The version is decoration; the path will do.
  }
  const cpu = cpus();
  return `${cpu.length} × ${cpu[0]?.model.trim() ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${chromium}, headless, viewport 1600×960`;
}

interface Notes {
  frames: number;
  p95: number;
  max: number;
  overhead_ms: number;
  in_page_ms: number;
  in_page_jumps: number;
}

function noteLines(n: Notes): string {
  return (
    `Scroll: ${n.frames} frames, p95 ${fmt(n.p95)} ms, max ${fmt(n.max)} ms.\n` +
    `A Playwright wait on an element already drawn takes ${fmt(n.overhead_ms)} ms (median); a jump's figure includes three such waits.\n` +
    `Inside the page, from the Enter keydown to the DOM showing all three, a jump takes ${fmt(n.in_page_ms)} ms (median of ${n.in_page_jumps} further jumps, timed by a MutationObserver).`
  );
}

function writeDoc(rows: Row[], notes: Notes): void {
  if (DOC === '-') return;
  const text = `# Console benchmarks

The operator console's timeline at a million records, in Debian Chromium (headless,
playwright-core). Produced by \`npm run bench:console\` (\`e2e/console.scale.ts\`), which rewrites
this file. As in [benchmarks.md](benchmarks.md), every figure stands beside a **ceiling measured
in the same run on the same machine** and the ratio of the two; compare runs by their ratios.

The hosts are synthetic (a small HTTP server that makes WAL records up on demand, page by
page), so the browser is what is measured, not the orchestrator.

| figure | how | ceiling |
|---|---|---|
| timeline render at 1M | \`page.goto(#/timeline)\` until HEAD's row is drawn; median of ${RENDER_RUNS} after a warm-up | the same at ${RECORDS_SMALL.toLocaleString('en-US')} records |
| jump to a random index | Enter in the jump box until the row is selected, \`#N\` shown and the chart drawn; ${JUMPS} indices from a fixed seed | GET /state/at/N fetched from the same page (the round trip a jump cannot avoid) |
| scroll frame interval | requestAnimationFrame intervals while wheel-scrolling the million (120 wheel events) | the same page at rest |

## Latest results

Machine: ${machine()}.
Run: ${new Date().toISOString().slice(0, 10)}.

${table(rows)}

${noteLines(notes)}

Correctness checked in the same run (the script fails otherwise): each jump lands on its
row with the chart drawn; at the end of the million no row is drawn twice and every row sits
exactly ${ROW_H_PX} px below the previous one (see the virtual list's note on Chromium's
single-precision scroll offsets, renderer/components/VirtualRows.tsx).
`;
  writeFileSync(DOC, text);
  console.log(`wrote ${DOC}`);
}

async function main(): Promise<void> {
  assertConsoleBuilt();
  const [big, small] = await Promise.all([syntheticHost(RECORDS_BIG), syntheticHost(RECORDS_SMALL)]);
  const browser = await launchBrowser();
  try {
    const w = await watchedPage(browser, { colorScheme: 'dark' });
    const page = w.page;
    const rows: Row[] = [];

    // Render: alternate the sizes so a slow moment on a shared machine hits both.
    // Run 0 of each warms the caches and is not counted.
    const smallRuns: number[] = [];
    const bigRuns: number[] = [];
    for (let i = 0; i <= RENDER_RUNS; i += 1) {
      const a = await renderMs(page, small);
      const b = await renderMs(page, big);
      if (i > 0) {
        smallRuns.push(a);
        bigRuns.push(b);
      }
    }
    rows.push({
      name: `timeline render at ${RECORDS_BIG.toLocaleString('en-US')} records (median)`,
      unit: 'ms',
      value: quantile(bigRuns, 0.5),
      ceiling_name: `render at ${RECORDS_SMALL.toLocaleString('en-US')} records (median)`,
      ceiling: quantile(smallRuns, 0.5),
    });

    // Jumps to random indices of the million, each beside a raw /state/at fetch of the same index.
    const rand = mulberry32(0x5eed); // same indices every run
    const jumps: number[] = [];
    const fetches: number[] = [];
    await jumpMs(page, 1 + Math.floor(rand.unit() * RECORDS_BIG)); // warm-up
    for (let i = 0; i < JUMPS; i += 1) {
      const target = 1 + Math.floor(rand.unit() * RECORDS_BIG);
      fetches.push(await fetchStateAtMs(page, target));
      jumps.push(await jumpMs(page, target));
    }
    rows.push({
      name: 'jump to a random index (median)',
      unit: 'ms',
      value: quantile(jumps, 0.5),
      ceiling_name: 'GET /state/at/N raw fetch (median)',
      ceiling: quantile(fetches, 0.5),
    });
    const overhead_ms = await waitOverheadMs(page);
    // The console's own share of a jump, on further indices of the same sequence.
    const inPage: number[] = [];
    for (let i = 0; i < JUMPS; i += 1) inPage.push(await jumpInPageMs(page, 1 + Math.floor(rand.unit() * RECORDS_BIG)));
    rows.push({
      name: 'jump to a random index (p95)',
      unit: 'ms',
      value: quantile(jumps, 0.95),
      ceiling_name: 'GET /state/at/N raw fetch (p95)',
      ceiling: quantile(fetches, 0.95),
    });

    // Scroll hard through the list while counting frames; the same page at rest is the ceiling.
    const box = await page.locator('.wal-scroll').boundingBox();
    if (!box) throw new Error('no WAL list');
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    const idle = await frameIntervals(page, () => page.waitForTimeout(1000));
    const busy = await frameIntervals(page, async () => {
      for (let i = 0; i < 120; i += 1) {
        await page.mouse.wheel(0, i % 40 < 20 ? -4000 : 900);
        await page.waitForTimeout(16);
      }
    });
    rows.push({
      name: 'scroll frame interval (median)',
      unit: 'ms',
      value: quantile(busy, 0.5),
      ceiling_name: 'frame interval at rest (median)',
      ceiling: quantile(idle, 0.5),
    });

    // Land at the very end and check the geometry there.
    await jumpMs(page, RECORDS_BIG - 1);
    await checkRows(page);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await shot(page, 'timeline-1m');
    w.assertClean();

    console.log(`\nconsole benchmark (${machine()})\n`);
    console.log(table(rows));
    const notes: Notes = {
      frames: busy.length,
      p95: quantile(busy, 0.95),
      max: Math.max(...busy),
      overhead_ms,
      in_page_ms: quantile(inPage, 0.5),
      in_page_jumps: inPage.length,
    };
    console.log(`\n${noteLines(notes)}\n`);
    writeDoc(rows, notes);
  } finally {
    await browser.close();
    big.close();
    small.close();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`console benchmark: FAILED: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
