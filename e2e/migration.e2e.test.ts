// The Migration view in Debian Chromium against a real `swoosh serve --console --sim
// --sim-migration`: the WHOOSH simulator, the shim and WHOOSH's callers (forming and
// rotating the council through the shim) run beside the demo, council starts in "shadow",
// and the shim's divergences reach the page through the host (GET /migration/*). The
// "Done when" of the migration, as a person does it:
//
// - WHOOSH's split-brain knob turned on from the view's demo strip (POST /migration/demo/knobs):
//   the council divergence the shim records is shown with WHOOSH's value beside SWOOSH's;
// - council is routed shadow → swoosh through the signing dialog, with the demo operator
//   key imported as an operator would: the WAL gets the signed Migration_Route, the view's
//   step history shows it, and the bypass button turns prominent (SWOOSH alone serves
//   council now);
// - bypass (one click + reason) and restore through the same dialog: the view shows the
//   bypass with its reason, then the routes again, and both records are in the timeline;
// - screenshots migration-dark, migration-bypassed-dark; no page error or CSP violation.
//
// Needs dist/console (npm test builds it first) and /usr/bin/chromium (SWOOSH_CHROMIUM).

import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StateResponse, SwooshClient } from '../client/client';
import type { State } from '../core/state';
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

/** Divergences appear after the shim's first comparison (every 2 s in the demo). */
const DIVERGENCE_TIMEOUT_MS = 30_000;

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

describe('Migration view (browser mode, --sim-migration)', () => {
  beforeAll(async () => {
    assertConsoleBuilt();
    srv = await startServe(['--sim', '--sim-migration', '--console', '--beat-ms', '12000']);
    if (!srv.demo_key) throw new Error(`swoosh serve --sim did not print the demo operator key:\n${srv.lines.join('\n')}`);
    api = clientFor(srv.url);
    browser = await launchBrowser();
    w = await watchedPage(browser, { colorScheme: 'dark' });
    page = w.page;
    await page.goto(`${srv.url}/#/actions`);
    await page.waitForSelector('[data-testid="keys-panel"]');
    await page.setInputFiles('[data-testid="key-import-file"]', srv.demo_key.path);
    await waitUntil('the picked key file in the paste box', async () =>
      (await page.inputValue('[data-testid="key-import-text"]')).includes('secret_encrypted') ? true : undefined,
    );
    await page.fill('[data-testid="key-import-pass"]', srv.demo_key.passphrase);
    await page.click('[data-testid="key-import-submit"]');
    await page.waitForSelector('[data-testid="key-row"].is-unlocked');
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await srv?.stop();
  });

  it("shows the divergence shadow mode finds once WHOOSH's council is split-brain, WHOOSH beside SWOOSH", async () => {
    expect((await state()).migration.routes).toEqual({ council: 'shadow', ingestion: 'legacy', execution: 'legacy' });
    await page.click('.rail-item:has-text("Migration")');
    await page.waitForSelector('[data-testid="migration-view"]');
    await page.waitForSelector('[data-testid="mig-region-council"] :text("shadow")');
    // A healthy WHOOSH: elections are compared and agree.
    await waitUntil(
      'council comparisons in the view',
      async () => (/^[1-9][\d,]* compared/.test((await page.textContent('[data-testid="mig-counts-council"]')) ?? '') ? true : undefined),
      DIVERGENCE_TIMEOUT_MS,
    );
    expect(await page.$$('[data-testid="mig-divergence"]')).toHaveLength(0);
    // The person turns the knob from the view (POST /migration/demo/knobs through the console's API).
    await page.click('[data-testid="mig-fault-split_brain_council"]');
    await page.waitForSelector('[data-testid="mig-fault-split_brain_council"][aria-checked="true"]');
    const knobs = (await (await fetch(`${srv.url}/migration/demo/knobs`)).json()) as { knobs: Record<string, boolean> };
    expect(knobs.knobs.split_brain_council).toBe(true);
    const row = await page.waitForSelector('[data-testid="mig-divergence"]', { timeout: DIVERGENCE_TIMEOUT_MS });
    const [legacy, swoosh] = [await row.$eval('.mig-legacy', (e) => e.textContent), await row.$eval('.mig-swoosh', (e) => e.textContent)];
    expect(legacy).not.toBe(swoosh);
    expect(await row.textContent()).toContain('council');
    // The same divergence through the host's proxy, as the view read it.
    const page1 = (await (await fetch(`${srv.url}/migration/divergences?from=0&limit=10`)).json()) as {
      divergences: Array<{ region: string }>;
    };
    expect(page1.divergences.length).toBeGreaterThan(0);
    expect(page1.divergences[0]!.region).toBe('council');
    await page.waitForSelector('[data-testid="mig-counts-council"]:has-text("diverged")');
    expect(await page.textContent('[data-testid="mig-counts-council"]')).toMatch(/[1-9]\d* diverged/);
  }, 60_000);

  it('routes council shadow → swoosh through the signing dialog', async () => {
    const before = ((await api.state()) as StateResponse).index;
    await page.click('[data-testid="mig-route-council-swoosh"]');
    await page.waitForSelector(dialog);
    expect(await page.isDisabled(submit)).toBe(true);
    await page.fill(
      `${dialog} [data-testid="action-justification"]`,
      "e2e: council shadowed; the divergence is WHOOSH's split brain, which SWOOSH's quorum guard prevents.",
    );
    await page.waitForSelector(`${submit}:not([disabled])`);
    expect(await page.textContent(submit)).toBe('Route council → swoosh');
    expect(await page.textContent(`${dialog} [data-testid="action-payload"]`)).toMatch(
      /"region": "council"[\s\S]*"mode": "swoosh"|"mode": "swoosh"[\s\S]*"region": "council"/,
    );
    // A stale HEAD (the demo bots keep proposing) is answered 409; the dialog rebuilds on the new HEAD.
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await page.click(submit);
      const outcome = await Promise.race([
        page.waitForSelector(dialog, { state: 'detached' }).then(() => null),
        page.waitForSelector(`${dialog} [data-testid="action-error"]`).then((e) => e.textContent()),
      ]);
      if (outcome === null) break;
      if (!/stale_state_hash|hlc_regression/.test(outcome ?? '')) throw new Error(`refused: ${outcome}`);
      await page.waitForTimeout(200);
    }
    const s = await waitUntil('council routed to swoosh', async () => {
      const st = await state();
      return st.migration.routes.council === 'swoosh' ? st : undefined;
    });
    expect(s.migration.last_justification).toContain('e2e: council shadowed');
    const wal = await api.wal(before + 1, 200);
    const route = wal.records.find((r) => r.transition === 'Migration_Route');
    expect(route?.signer).toBe(op1.signer);
    expect(route?.proposal.inputs).toMatchObject({ region: 'council', mode: 'swoosh' });
    await page.waitForSelector('[data-testid="mig-step"]:has-text("council shadow → swoosh")');
    await page.waitForSelector('[data-testid="mig-region-council"] :text("swoosh")');
    await page.waitForSelector('.mig-bypass-bar.tone-danger [data-testid="mig-bypass"]');
    await page.waitForSelector('[data-testid="mig-chart"] .recharts-surface');
    await shot(page, 'migration-dark');
    w.assertClean();
  }, 60_000);

  it('bypass (one click + reason) and restore through the signing dialog; both are in the view and the timeline', async () => {
    const bypass = await signFromView('[data-testid="mig-bypass"]', 'e2e: emergency, back to WHOOSH', 'Bypass to WHOOSH');
    expect(bypass.signer).toBe(op1.signer);
    expect(bypass.proposal.inputs).toEqual({ reason: 'e2e: emergency, back to WHOOSH' });
    await page.waitForSelector('[data-testid="mig-bypassed"]:has-text("e2e: emergency, back to WHOOSH")');
    await page.waitForSelector('[data-testid="mig-region-council"] :text("served: legacy (bypass)")');
    await page.waitForSelector('[data-testid="mig-step"]:has-text("bypass")');
    await shot(page, 'migration-bypassed-dark');
    const restore = await signFromView('[data-testid="mig-restore"]', 'e2e: cause fixed, routes back', 'Restore routes');
    expect((await state()).migration).toMatchObject({ bypass: false, routes: { council: 'swoosh' } });
    await page.waitForSelector('[data-testid="mig-step"]:has-text("restore")');
    await page.waitForSelector('.mig-bypass-bar.tone-danger [data-testid="mig-bypass"]');
    // Both read back in the timeline, at their WAL index.
    await page.evaluate("location.hash = '#/timeline'");
    for (const r of [bypass, restore]) {
      await page.fill('[data-testid="jump"]', String(r.index));
      await page.press('[data-testid="jump"]', 'Enter');
      await page.waitForSelector(`[data-testid="wal-list"] .wal-row[data-index="${r.index}"][data-transition="${r.transition}"]`);
    }
    w.assertClean();
  }, 90_000);
});

/** Opens the dialog from `button`, signs it with a justification, and returns its WAL record. */
async function signFromView(button: string, text: string, verb: string) {
  const before = ((await api.state()) as StateResponse).index;
  await page.click(button);
  await page.waitForSelector(dialog);
  await page.fill(`${dialog} [data-testid="action-justification"]`, text);
  await page.waitForSelector(`${submit}:not([disabled])`);
  expect(await page.textContent(submit)).toBe(verb);
  await submitDialog();
  return waitUntil(`the WAL record of "${verb}"`, async () =>
    (await api.wal(before + 1, 1000)).records.find((r) => r.transition.startsWith('Migration_') && r.signer === op1.signer),
  );
}

/** Submits the open dialog; a stale HEAD (the demo keeps proposing) is answered 409 and rebuilt. */
async function submitDialog(): Promise<void> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    await page.click(submit);
    const outcome = await Promise.race([
      page.waitForSelector(dialog, { state: 'detached' }).then(() => null),
      page.waitForSelector(`${dialog} [data-testid="action-error"]`).then((e) => e.textContent()),
    ]);
    if (outcome === null) return;
    if (!/stale_state_hash|hlc_regression/.test(outcome ?? '')) throw new Error(`refused: ${outcome}`);
    await page.waitForTimeout(200);
  }
  throw new Error('the dialog was answered stale three times');
}
