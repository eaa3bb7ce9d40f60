// Console smoke test in real Chromium (browser mode): starts an orchestrator in-process
// on a temporary database with the console served by its fallback (what `swoosh serve
// --console` does), drives a project through signed proposals over HTTP, and checks
// that the console shows it: the statechart's active states, live updates with the last
// transition animated, time travel moving the chart, rejections and decision records.
// Saves screenshots to docs/screenshots/. Fails on any page error or CSP violation.
//
//   npm run build:console && node --import tsx e2e/console.smoke.ts
//
// Env: SWOOSH_CHROMIUM (default /usr/bin/chromium), SWOOSH_SCREENSHOTS (default
// docs/screenshots), SWOOSH_CONSOLE_DIR (default dist/console).

import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { H } from '../core/hash';
import { activeLeaves } from '../core/state';
import { fakeHash, quorumInputs } from '../core/testing/kit';
import { Scenario } from '../core/testing/scenario';
import type { JsonObject, Proposal } from '../core/types';
import type { Signer } from '../core/crypto';
import { consoleStatic, DEFAULT_CONSOLE_DIR } from '../main/api/console-static';
import { ApiServer } from '../main/api/server';
import { Host } from '../main/host';
import { loadMachine } from '../main/machine';
import { createMetrics } from '../main/observe/metrics';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const CHROMIUM = process.env.SWOOSH_CHROMIUM ?? '/usr/bin/chromium';
const SHOTS = process.env.SWOOSH_SCREENSHOTS ?? join(REPO, 'docs', 'screenshots');
const CONSOLE_DIR = process.env.SWOOSH_CONSOLE_DIR ?? DEFAULT_CONSOLE_DIR;
const VIEWPORT = { width: 1600, height: 960 };
const STEP_TIMEOUT_MS = 10_000;

function fail(message: string): never {
  throw new Error(message);
}

async function main(): Promise<void> {
  if (!existsSync(join(CONSOLE_DIR, 'index.html'))) fail(`no built console in ${CONSOLE_DIR}: run npm run build:console first`);
  if (!existsSync(CHROMIUM)) fail(`no Chromium at ${CHROMIUM}: apt-get install -y chromium, or set SWOOSH_CHROMIUM`);
  mkdirSync(SHOTS, { recursive: true });

  const dir = mkdtempSync(join(tmpdir(), 'swoosh-console-e2e-'));
  const spec = loadMachine();
  const sc = new Scenario(spec, { operators: 2, agents: 1, council: 3, threshold: 2, project: 'atlas' });
  const host = Host.open({ db: join(dir, 'e2e.db'), genesis: sc.genesis });
  const api = new ApiServer({ host, metrics: createMetrics(host.engine), fallback: consoleStatic(CONSOLE_DIR) });
  const { port } = await api.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${port}`;
  let browser: Browser | null = null;
  let current: Page | null = null;
  const problems: string[] = [];

  /** POSTs a proposal the scenario builds; on 202 the scenario's HEAD follows. */
  async function post(transition: string, inputs: JsonObject, by: Signer = sc.agent): Promise<number> {
    const proposal = sc.build(transition, inputs, by);
    const res = await fetch(`${base}/transition`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(proposal) });
    const body = (await res.json()) as { index?: number; error?: { code: string; reason: string } };
    if (res.status !== 202) fail(`${transition}: HTTP ${res.status} ${JSON.stringify(body)}`);
    const local = sc.submit(proposal);
    if (!local.ok || local.hash !== host.head.hash) fail(`${transition}: the scenario and the host disagree`);
    sc.wall_ms += 10;
    return body.index as number;
  }

  /** POSTs something the host must refuse (for the rejections view). */
  async function refused(proposal: Proposal | unknown, code: string): Promise<void> {
    const res = await fetch(`${base}/transition`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(proposal) });
    const body = (await res.json()) as { error?: { code: string } };
    if (body.error?.code !== code) fail(`expected ${code}, got HTTP ${res.status} ${JSON.stringify(body)}`);
  }

  async function shot(page: Page, name: string): Promise<void> {
    const path = join(SHOTS, `${name}.png`);
    await page.screenshot({ path });
    console.log(`  screenshot ${path}`);
  }

  async function expectActive(page: Page, paths: string[], where = '[data-testid="chart-panel"]'): Promise<void> {
    for (const p of paths) {
      await page.waitForSelector(`${where} g[data-path="${p}"][data-active="true"]`, { timeout: STEP_TIMEOUT_MS });
    }
  }

  /** Waits until the element's whole text is exactly `text` (Playwright's :text-is). */
  async function waitText(page: Page, selector: string, text: string): Promise<void> {
    await page.waitForSelector(`${selector}:text-is(${JSON.stringify(text)})`, { timeout: STEP_TIMEOUT_MS });
  }

  async function activeIn(page: Page, where: string): Promise<string[]> {
    return page.$$eval(`${where} g.st-leaf[data-active="true"]`, (els) => els.map((e) => e.getAttribute('data-path') ?? '').sort());
  }

  try {
    // ---- a project part-way through its lifecycle ---------------------------------------
    await post('Boot_ConfigOk', { config_hash: H(sc.genesis) }, sc.operator);
    await post('Boot_Licensed', sc.license());
    await post('Ingestion_SourcesResolved', { sources: ['git://corpus/handbook', 'git://corpus/tickets'] });
    await post('Council_ProfilesLoaded', { roles: ['planner', 'reviewer', 'auditor'] });
    const stale = sc.build('Ingestion_BytesOk', { content_hash: fakeHash('bytes:early') }, sc.agent);
    await post('Environment_CapacityOk', { allocations: [{ node: 'n1', cpu: 4 }] });

    // A few refusals, each for a different reason.
    await refused(sc.build('Council_QuorumCert', quorumInputs(sc.cast.council.slice(0, 1), sc.state.epoch.council), sc.agent), 'guard_failed');
    await refused(sc.build('Execution_PlanLocked', { plan_hash: fakeHash('plan:early') }, sc.agent), 'invalid_from_state');
    await refused(sc.build('Control_Pause', { reason: 'not an operator' }, sc.agent), 'role_denied');
    await refused(stale, 'stale_state_hash');
    await refused({ transition: 'Ingestion_BytesOk' }, 'malformed');

    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--headless'],
    });
    const context = await browser.newContext({ viewport: VIEWPORT, colorScheme: 'dark' });
    const page = await context.newPage();
    current = page;
    page.on('pageerror', (err) => problems.push(`page error: ${err.stack ?? err.message}`));
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
    });

    // ---- statechart, live --------------------------------------------------------------
    console.log('statechart view');
    await page.goto(`${base}/`);
    await expectActive(page, [
      'FLOW.PROJECT_LIFECYCLE.Ingestion.FETCH',
      'FLOW.PROJECT_LIFECYCLE.Council.ELECT',
      'FLOW.PROJECT_LIFECYCLE.Environment.PROVISION',
      'CONTROL.RUNNING',
      'POLICY.CLEAR',
      'LICENSE.LICENSED',
    ]);
    const shown = await activeIn(page, '[data-testid="chart-panel"]');
    const expected = activeLeaves(host.head.state);
    if (JSON.stringify(shown) !== JSON.stringify(expected)) fail(`chart shows ${shown.join(', ')}; host has ${expected.join(', ')}`);
    await waitText(page, '[data-testid="head-index"] .stat-value', '#5');

    // The rest of the lifecycle arrives while the page is open: the chart must follow.
    await post('Ingestion_BytesOk', { content_hash: fakeHash('bytes:v1') });
    await post('Ingestion_SchemaOk', { findings: [] });
    await post('Ingestion_CorpusBuilt', { content_hash: fakeHash('corpus:v1'), version: 'v1' });
    await post('Council_QuorumCert', quorumInputs(sc.cast.council, sc.state.epoch.council));
    await post('Council_McpGreen', sc.mcpGreen());
    await post('Environment_Installed', { assets: ['image:swoosh-worker@1'] });
    await post('Environment_Green', { env_hash: fakeHash('env:1') });
    const s = sc.state;
    await post('Execution_AllReady', {
      content_hash: s.ingestion.content_hash as string,
      version: s.ingestion.version as string,
      member_set_hash: s.council.member_set_hash as string,
      env_hash: s.environment.env_hash as string,
    });
    // One full REVERB loop, then into REVIEW of the next beat with one approval.
    await post('Execution_PlanLocked', { plan_hash: fakeHash('plan:0') });
    sc.seekWindow(5100);
    await post('Execution_BeatReviewGate', {});
    for (const op of sc.cast.operators) await post('Execution_Approve', { note: `reviewed plan 0 (${op.name})` }, op);
    sc.seekWindow(7600);
    await post('Execution_ApprovalsThreshold', {});
    await post('Execution_Submit', { artifact_hash: fakeHash('artifact:0') });
    await post('Execution_NextWindow', {});
    await post('Execution_PlanLocked', { plan_hash: fakeHash('plan:1') });
    sc.seekWindow(5100);
    await post('Execution_BeatReviewGate', {});
    await refused(sc.build('Execution_ApprovalsThreshold', {}, sc.agent), 'wrong_window');
    const head = await post('Execution_Approve', { note: 'plan 1 looks right' }, sc.cast.operators[0] as Signer);

    await expectActive(page, ['FLOW.EXECUTION.REVIEW']);
    await waitText(page, '[data-testid="head-index"] .stat-value', `#${head}`);
    await waitText(page, '[data-testid="last-transition-name"]', 'Execution_Approve');
    // An accepted event while watching: the flash shows the transition's name.
    await post('Execution_Approve', { note: 'second look: fine' }, sc.cast.operators[1] as Signer);
    await page.waitForSelector('[data-testid="transition-flash"]', { timeout: STEP_TIMEOUT_MS });
    await page.waitForTimeout(900);
    await shot(page, 'statechart-dark');

    // ---- timeline and time travel --------------------------------------------------------
    console.log('timeline view');
    await page.keyboard.press('2');
    await page.waitForSelector('[data-testid="wal-list"] .wal-row[data-index="1"]', { timeout: STEP_TIMEOUT_MS }).catch(() => undefined);
    const jumpTo = 6;
    await page.fill('[data-testid="jump"]', String(jumpTo));
    await page.press('[data-testid="jump"]', 'Enter');
    await waitText(page, '[data-testid="cursor-index"]', `#${jumpTo}`);
    const at6 = activeLeaves(host.stateAt(jumpTo).state);
    await expectActive(page, at6, '[data-testid="timeline-chart"]');
    const before = await activeIn(page, '[data-testid="timeline-chart"]');
    // Step forward until the chart moves (record 7 changes Ingestion).
    await page.click('[data-testid="step-forward"]');
    await waitText(page, '[data-testid="cursor-index"]', `#${jumpTo + 1}`);
    const at7 = activeLeaves(host.stateAt(jumpTo + 1).state);
    await expectActive(page, at7, '[data-testid="timeline-chart"]');
    const after = await activeIn(page, '[data-testid="timeline-chart"]');
    if (JSON.stringify(before) === JSON.stringify(after)) fail('stepping the timeline did not move the chart');
    // The statechart view follows the cursor too.
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await waitText(page, '[data-testid="cursor-index"]', `#${jumpTo + 3}`);
    await page.waitForSelector('[data-testid="diff"]', { timeout: STEP_TIMEOUT_MS });
    await page.waitForTimeout(700);
    await shot(page, 'timeline-dark');

    await page.keyboard.press('1');
    await expectActive(page, activeLeaves(host.stateAt(jumpTo + 3).state));
    await page.keyboard.press('l');
    await expectActive(page, ['FLOW.EXECUTION.REVIEW']);

    // ---- rejections ------------------------------------------------------------------------
    console.log('rejections view');
    await page.keyboard.press('3');
    await page.waitForSelector('[data-testid="rejections-table"] .rtable-row', { timeout: STEP_TIMEOUT_MS });
    await page.waitForSelector('[data-testid="rejections-chart"] .recharts-bar-rectangle', { timeout: STEP_TIMEOUT_MS });
    await page.click('[data-testid="rejections-table"] .rtable-row');
    await page.waitForTimeout(300);
    await shot(page, 'rejections-dark');

    // ---- decisions -------------------------------------------------------------------------
    console.log('decisions view');
    await page.keyboard.press('4');
    await page.waitForSelector('[data-testid="decision"]', { timeout: STEP_TIMEOUT_MS });
    await page.waitForTimeout(200);
    await shot(page, 'decisions-dark');

    // ---- light theme -----------------------------------------------------------------------
    console.log('light theme');
    await page.keyboard.press('1');
    await page.keyboard.press('Shift+T');
    await page.waitForSelector('html[data-theme="light"]', { state: 'attached', timeout: STEP_TIMEOUT_MS });
    await page.waitForTimeout(300);
    await shot(page, 'statechart-light');
    await page.keyboard.press('2');
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowRight');
    await waitText(page, '[data-testid="cursor-index"]', '#2');
    await page.waitForTimeout(700);
    await shot(page, 'timeline-light');

    if (problems.length > 0) fail(`the page reported problems:\n  ${problems.join('\n  ')}`);
    console.log(`console smoke: ok (${host.head.index} records, screenshots in ${SHOTS})`);
  } catch (err) {
    // Leave evidence: what the page looked like and what it complained about.
    const failedShot = join(tmpdir(), 'swoosh-console-smoke-FAILED.png');
    if (current && (await current.screenshot({ path: failedShot }).then(() => true, () => false))) console.error(`page at failure: ${failedShot}`);
    if (problems.length > 0) console.error(`page problems:\n  ${problems.join('\n  ')}`);
    throw err;
  } finally {
    await browser?.close();
    await api.close();
    host.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`console smoke: FAILED: ${(err as Error).stack ?? String(err)}`);
    process.exit(1);
  },
);
