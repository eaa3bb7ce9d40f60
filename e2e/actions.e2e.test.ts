// Signed operator actions in Debian Chromium against a real `swoosh serve --console --sim
// --human-operator`: op-1 is left to the console, so every approval and release here is
// made through the UI, signed in the page with the key the operator imported.
//
// - keys: the demo operator key file (as `swoosh keygen` writes it) is imported through the
//   file picker, locked, and unlocked with its passphrase; the store holds only the
//   encrypted file;
// - quarantine: a Policy_Violation signed by the demo agent quarantines the project; the
//   header says "service ok" with a separate "project quarantined" chip; the dialog's
//   button stays disabled without a justification, and the release it signs takes the
//   project out of QUARANTINED (GET /state) and the chip away;
// - approve (the newcomer path of `npm start`, whose demo is this one: op-1 is the
//   person's, the bot approves as op-2): the header waits for "your approval"; the
//   dialog and the BACKBEAT strip name the same window; the dialog's Execution_Approve
//   lands in the WAL signed by op-1 and the console confirms "Approved at #N"; a second
//   approval in the same beat cannot be signed: the button is disabled and the reason is
//   shown beside it;
// - refusal: an approval signed before the window opens is refused (guard_failed, window) and the
//   dialog stays open with the code, focus inside it (Esc still cancels); when the payload
//   is restamped into the open window the refusal, which no longer applies, goes;
// - quorum: every vote of the current certificate verifies in the page (✓) and the
//   member-set hash matches;
// - screenshots keys-dark, actions-dialog-dark (and -light), actions-blocked-dark, actions-refused-dark, quorum-dark;
//   no page error or CSP violation.
//
// Needs dist/console (npm test builds it first) and /usr/bin/chromium (SWOOSH_CHROMIUM).

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateResponse, SwooshClient } from '../client/client';
import type { State } from '../core/state';
import { checkWindow } from '../core/window';
import {
  assertConsoleBuilt,
  clientFor,
  demo,
  launchBrowser,
  shot,
  startServe,
  waitUntil,
  watchedPage,
  type Served,
  type WatchedPage,
} from './harness';

/** Beat period: review is [50%, 75%) of it (3 s), reverb [75%, 100%). */
const BEAT_MS = 12_000;
/**
 * Review time left that the approve steps need (two dialogs, two round trips). Both must
 * land in REVIEW, before a bot co-approval could let the loop move on at reverb.
 */
const APPROVE_LEAD_MS = 2000;
const SIM_TIMEOUT_MS = 40_000;
/** Closed-window time left that the refusal step needs (one dialog, one round trip) before review opens. */
const REFUSE_LEAD_MS = 2500;

let srv: Served;
let browser: Browser;
let w: WatchedPage;
let page: Page;
let api: SwooshClient;
const op1 = demo.operators[0]!;

async function state(): Promise<State> {
  return ((await api.state()) as StateResponse).state;
}

const dialog = '[data-testid="action-dialog"]';
const submit = `${dialog} [data-testid="action-submit"]`;

/** Opens the dialog of an action from the Actions list. */
async function openAction(transition: string): Promise<void> {
  await page.click(`[data-testid="act-${transition}"] button.act-button:not([disabled])`);
  await page.waitForSelector(dialog);
}

/**
 * Clicks the dialog's button and waits for the dialog to close (accepted) or to show a
 * refusal. A race with another proposal (stale HEAD) is retried: the dialog rebuilds
 * the payload against the new HEAD, so clicking again signs a fresh one.
 */
async function sign(): Promise<string | null> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    await page.click(submit);
    const outcome = await Promise.race([
      page.waitForSelector(dialog, { state: 'detached' }).then(() => null),
      page.waitForSelector(`${dialog} [data-testid="action-error"]`).then((e) => e.textContent()),
    ]);
    if (outcome === null) return null;
    if (!/stale_state_hash|hlc_regression/.test(outcome ?? '')) return outcome;
    await page.waitForTimeout(200);
  }
  throw new Error('three stale-HEAD races in a row');
}

describe('operator actions (browser mode, --human-operator)', () => {
  beforeAll(async () => {
    assertConsoleBuilt();
    srv = await startServe(['--sim', '--console', '--human-operator', '--beat-ms', String(BEAT_MS)]);
    if (!srv.demo_key) throw new Error(`swoosh serve --sim did not print the demo operator key:\n${srv.lines.join('\n')}`);
    api = clientFor(srv.url);
    browser = await launchBrowser();
    w = await watchedPage(browser, { colorScheme: 'dark' });
    page = w.page;
    await page.goto(`${srv.url}/#/actions`);
    await page.waitForSelector('[data-testid="keys-panel"]');
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await srv?.stop();
  });

  it('imports the demo operator key file through the console and unlocks it', async () => {
    await page.setInputFiles('[data-testid="key-import-file"]', srv.demo_key!.path);
    await waitUntil('the picked key file in the paste box', async () =>
      (await page.inputValue('[data-testid="key-import-text"]')).includes('secret_encrypted') ? true : undefined,
    );
    await page.fill('[data-testid="key-import-pass"]', 'wrong');
    await page.click('[data-testid="key-import-submit"]');
    await page.waitForSelector('[data-testid="key-import"] [role="alert"]:has-text("bad_passphrase")');
    await page.fill('[data-testid="key-import-pass"]', srv.demo_key!.passphrase);
    await page.click('[data-testid="key-import-submit"]');
    const row = '[data-testid="key-row"]';
    await page.waitForSelector(`${row}.is-unlocked`);
    expect(await page.textContent(row)).toContain('op-1 · operator');
    // Locked, then unlocked with the passphrase, as after a reload.
    await page.click(`${row} button:has-text("Lock")`);
    await page.waitForSelector(`${row}:not(.is-unlocked)`);
    await page.click(`${row} button:has-text("Unlock")`);
    await page.fill('[data-testid="key-unlock-pass"]', srv.demo_key!.passphrase);
    await page.click('[data-testid="key-unlock-submit"]');
    await page.waitForSelector(`${row}.is-unlocked`);
    // At rest: the key file, encrypted; never the secret.
    // Page-side expressions are strings here: the Node typecheck has no DOM names.
    const stored = await page.evaluate<string>("localStorage.getItem('swoosh.operator-keys.v1') ?? ''");
    expect(stored).toContain(op1.signer.slice(13));
    expect(stored).toContain('secret_encrypted');
    expect(stored).not.toMatch(/"secret":/);
    await shot(page, 'keys-dark');
  }, 60_000);

  it('releases a quarantine through the dialog, which demands a justification', async () => {
    await waitUntil(
      'the demo to be licensed',
      async () => ((await state()).boot.phase === 'LICENSED' ? true : undefined),
      SIM_TIMEOUT_MS,
      200,
    );
    const agent = clientFor(srv.url, demo.agents[0]);
    const violation = await agent.propose('Policy_Violation', {
      rationale: 'e2e: a secret in the corpus',
      findings: [{ kind: 'secret', path: 'corpus/a', detail: 'e2e' }],
    });
    expect(violation.ok, JSON.stringify(violation)).toBe(true);
    await page.waitForSelector('[data-testid="attention"]:has-text("QUARANTINED")');
    await page.waitForSelector('[data-testid="actions-badge"]:has-text("Release")');
    // The header keeps the service and the project apart (docs/decisions/0104-health-badge.md).
    await page.waitForSelector('[data-testid="health-project"]:text-is("project quarantined")');
    expect(await page.textContent('[data-testid="health"] .stat-main')).toBe('service ok');
    expect(await page.textContent('[data-testid="policy"] .stat-main')).toBe('QUARANTINED');
    await openAction('Quarantine_Release');
    expect(await page.textContent(`${dialog} [data-testid="action-quarantine-reasons"]`)).toContain('e2e: a secret in the corpus');
    expect(await page.isDisabled(submit)).toBe(true);
    expect(await page.textContent(`${dialog} [data-testid="action-problems"]`)).toContain('Justification is required');
    await page.fill(`${dialog} [data-testid="action-justification"]`, '   ');
    expect(await page.isDisabled(submit)).toBe(true);
    await page.fill(
      `${dialog} [data-testid="action-justification"]`,
      'False positive: the "secret" is a documented test fixture (checked by op-1).',
    );
    await page.waitForSelector(`${submit}:not([disabled])`);
    expect(await page.textContent(submit)).toBe('Release quarantine');
    expect(await page.textContent(`${dialog} [data-testid="action-payload"]`)).toContain('"justification": "False positive');
    expect(await page.textContent(`${dialog} [data-testid="action-fingerprint"]`)).toMatch(/^[0-9a-f]{4}( [0-9a-f]{4}){3}$/);
    await shot(page, 'actions-dialog-dark');
    await page.evaluate("document.documentElement.dataset.theme = 'light'");
    await shot(page, 'actions-dialog-light');
    await page.evaluate("document.documentElement.dataset.theme = 'dark'");
    expect(await sign()).toBeNull();
    const s = await waitUntil('the quarantine to be lifted', async () => {
      const st = await state();
      return st.policy.quarantined ? undefined : st;
    });
    expect(s.policy.last_justification).toContain('False positive');
    await page.waitForSelector('[data-testid="health-project"]', { state: 'detached' });
    expect(await page.textContent('[data-testid="health"] .stat-main')).toBe('service ok');
    // The confirmation names the record, linked to the timeline.
    const release = (await api.wal(1, 1000)).records.filter((r) => r.transition === 'Quarantine_Release').pop();
    await page.waitForSelector(`[data-testid="act-confirm"]:has-text("Released at #${release!.index}")`);
    await shot(page, 'actions-confirmed-dark');
    // "Signed from this console" belongs to the session: leaving Actions does not forget it.
    await page.evaluate("location.hash = '#/timeline'");
    await page.waitForSelector('[data-testid="transport"]');
    await page.evaluate("location.hash = '#/actions'");
    await page.waitForSelector('[data-testid="act-done"]:has-text("Quarantine_Release")');
    await page.waitForSelector(`[data-testid="act-confirm"]:has-text("Released at #${release!.index}")`);
  }, 60_000);

  it('approves in an open window (WAL record signed by op-1); a second approval in the beat cannot be signed, and the dialog says why', async () => {
    // REVIEW, with enough of the approval window left for two dialogs.
    const s = await waitUntil(
      'EXECUTION.REVIEW with an approval window open',
      async () => {
        const st = await state();
        if (st.execution.phase !== 'REVIEW') return undefined;
        const sched = st.execution.backbeat;
        const now = Date.now();
        const win = checkWindow(sched, ['review'], now);
        const reviewEnd_ms = sched.epoch_ms + win.position.beat * sched.period_ms + (sched.windows.review![1] * sched.period_ms) / 10000;
        return win.open && reviewEnd_ms - now > APPROVE_LEAD_MS ? st : undefined;
      },
      SIM_TIMEOUT_MS,
      50,
    );
    const headBefore = ((await api.state()) as StateResponse).index;
    // The loop waits for the person: the header says so until op-1 approves.
    await page.waitForSelector('[data-testid="actions-badge"]:has-text("your approval")');
    await openAction('Execution_Approve');
    await page.fill(`${dialog} [data-testid="action-justification"]`, 'Reviewed the loop artifact: ship it.');
    // One source for "which window, open or not": the dialog and the BACKBEAT strip agree
    // (read in one frame; the countdowns may be a tick apart, the window never).
    const seen = await page.evaluate((d) => {
      const text = (sel: string) => document.querySelector(sel)?.textContent ?? '';
      return { dialog: text(`${d} [data-testid="action-window"]`), strip: text('[data-testid="bb-approve"]') };
    }, dialog);
    const windowOf = (t: string) => /W-\d+/.exec(t)?.[0] ?? `no window in ${JSON.stringify(t)}`;
    const stateOf = (t: string) => /(review open|reverb open|closed)/.exec(t)?.[0] ?? `no window state in ${JSON.stringify(t)}`;
    expect(windowOf(seen.dialog)).toBe(windowOf(seen.strip));
    expect(stateOf(seen.dialog)).toBe(stateOf(seen.strip));
    expect(await page.textContent(submit)).toBe('Approve REVERB');
    expect(await page.textContent(`${dialog} [data-testid="action-window"]`)).toMatch(/backbeat:W-\d+.*open/);
    expect(await sign()).toBeNull();
    const wal = await api.wal(headBefore + 1, 50);
    // Found by its note, not its signer: the demo bot may approve with op-2 in the same beat.
    const approve = wal.records.find(
      (r) =>
        r.transition === 'Execution_Approve' && (r.proposal.inputs as { note?: string }).note === 'Reviewed the loop artifact: ship it.',
    );
    expect(approve, 'the Execution_Approve record of the click').toBeDefined();
    expect(approve!.signer).toBe(op1.signer);
    expect(approve!.window_id).toMatch(/^backbeat:W-\d+$/);
    // The newcomer path ends with the confirmation naming the record (linked to the timeline).
    await page.waitForSelector(`[data-testid="act-confirm"]:has-text("Approved at #${approve!.index}")`);
    expect(s.council.threshold).toBe(2);

    // A second approval in the beat: the orchestrator would refuse it (guard approval), and
    // the payload names the beat, so the dialog does not let it be signed, and says why.
    await openAction('Execution_Approve');
    await page.waitForSelector(`${dialog} [data-testid="action-problems"]:has-text("already approved beat")`);
    await page.fill(`${dialog} [data-testid="action-justification"]`, 'Again, in the same beat.');
    await page.waitForSelector(`${dialog} [data-testid="action-blocked"]:has-text("already approved beat")`);
    await shot(page, 'actions-blocked-dark');
    expect(await page.isDisabled(submit)).toBe(true);
    expect(await page.getAttribute(submit, 'aria-describedby')).toBe('action-blocked');
    await page.click(`${dialog} button:has-text("Cancel")`);
    await page.waitForSelector(dialog, { state: 'detached' });
    expect(await page.textContent('[data-testid="act-done"]')).toContain('Execution_Approve');
  }, 60_000);

  it('a refused approval (window not open yet) keeps focus in the dialog, and its refusal goes once the payload is in the open window', async () => {
    // REVIEW waits for op-1 across beats: find it with the approval windows still closed.
    await waitUntil(
      'EXECUTION.REVIEW before the approval windows open',
      async () => {
        const st = await state();
        if (st.execution.phase !== 'REVIEW') return undefined;
        const sched = st.execution.backbeat;
        const now = Date.now();
        const win = checkWindow(sched, ['review', 'reverb'], now);
        const opens_ms = sched.epoch_ms + win.position.beat * sched.period_ms + (sched.windows.review![0] * sched.period_ms) / 10000;
        return !win.open && opens_ms - now > REFUSE_LEAD_MS ? true : undefined;
      },
      SIM_TIMEOUT_MS,
      50,
    );
    await openAction('Execution_Approve');
    await page.waitForSelector(`${dialog} [data-testid="action-warnings"]:has-text("window is closed")`);
    await page.fill(`${dialog} [data-testid="action-justification"]`, 'Too early: the window is not open yet.');
    const refusal = await sign();
    expect(refusal).toMatch(/HTTP 400 · guard_failed/);
    expect(await page.isVisible(dialog)).toBe(true);
    // The form was disabled while signing; focus is back inside the dialog, not on <body>.
    expect(await page.evaluate<boolean>(`document.querySelector('${dialog}').contains(document.activeElement)`)).toBe(true);
    await shot(page, 'actions-refused-dark');
    // The window opens: the payload is restamped into it, and the refusal (about a closed window) goes.
    await page.waitForSelector(`${dialog} [data-testid="action-window"]:has-text("review open")`, { timeout: 15_000 });
    await page.waitForSelector(`${dialog} [data-testid="action-error"]`, { state: 'detached', timeout: 2000 });
    expect(await page.isDisabled(submit)).toBe(false);
    await page.keyboard.press('Escape');
    await page.waitForSelector(dialog, { state: 'detached' });
  }, 60_000);

  it('shows the current quorum certificate with every vote verified in the page', async () => {
    await page.goto(`${srv.url}/#/quorum`);
    await page.waitForSelector('[data-testid="quorum-vote"]');
    const marks = await page.$$eval('[data-testid="quorum-vote"] td:first-child .mark', (els) => els.map((e) => e.textContent));
    expect(marks.length).toBeGreaterThanOrEqual(2);
    expect(marks.every((m) => m === '✓')).toBe(true);
    expect(await page.textContent('[data-testid="quorum-hash-match"]')).toContain('matches');
    expect(await page.textContent('[data-testid="quorum-cert"]')).toContain('current council');
    await shot(page, 'quorum-dark');
    // Expected complaints: Chromium logs the deliberate refusal's HTTP 400, and the 409 of
    // a click that lost a race to the bot's proposal (retried above by sign()).
    w.assertClean(/status of (400 \(Bad Request\)|409 \(Conflict\)) \(http:\/\/127\.0\.0\.1:\d+\/transition\)/);
  }, 30_000);
});
