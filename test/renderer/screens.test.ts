/**
 * Every screen in real Chromium against a fake transport: first run, the sites list with a site
 * that needs attention, status (backfill progress and the chart), sessions and a session's detail,
 * the activity log, Elastic's Test with the assets fix, the dark theme, and 150 % scaling.
 * Screenshots of each go to test-results/screenshots/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { TestStep } from '../../shared/site-test.ts';
import { screenshot } from './support/browser.ts';
import type { PageGlobals } from './support/dom.ts';
import { calls, emit } from './support/fake-api.ts';
import {
  ATTENTION_REASON,
  DESTINATION_EMPTY,
  DESTINATION_SET,
  EMEA,
  LAB,
  PRODUCTION,
  config,
  siteStatus,
  status,
} from './support/fixtures.ts';
import { startHarness, type Harness } from './support/harness.ts';

let harness: Harness;
before(async () => {
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

const BACKFILLING = siteStatus(EMEA, {
  state: 'backfilling',
  lastSuccessAt: null,
  backfill: { from: new Date(Date.now() - 7 * 86_400_000).toISOString(), coveredUntil: new Date(Date.now() - 4 * 86_400_000).toISOString(), progress: 0.425 },
  sessionsStored: 311,
  eventsStored: 9_870,
  sessionsFollowed: 0,
});
const ATTENTION = siteStatus(LAB, {
  state: 'needs-attention',
  needsAttention: ATTENTION_REASON,
  lastError: ATTENTION_REASON,
  lastSuccessAt: new Date(Date.now() - 3 * 3_600_000).toISOString(),
});
const MIXED = status([siteStatus(PRODUCTION), ATTENTION, BACKFILLING], {
  outbox: { pending: 240, sent: 48_201, failed: 3 },
  outboxFailures: [
    { eventId: 48_311, reason: 'Elasticsearch refused the document: mapper_parsing_exception on field "beyondtrust_pra.session.duration".' },
    { eventId: 48_312, reason: 'Elasticsearch answered 403: the API key may not write logs-beyondtrust_pra.access_session-default.' },
  ],
  shippingError: {
    message: 'Elasticsearch rejected the credentials (HTTP 401): unable to authenticate with provided credentials. Check the API key or user name and password.',
    since: new Date(Date.now() - 2 * 3_600_000).toISOString(),
    at: new Date(Date.now() - 60_000).toISOString(),
  },
});

/** No horizontal scrolling of the page itself (wide tables scroll inside their card). */
async function assertNoHorizontalOverflow(page: Page, what: string) {
  const { scrollWidth, clientWidth } = await page.evaluate(() => {
    const root = (globalThis as unknown as PageGlobals).document.documentElement;
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth };
  });
  assert.ok(scrollWidth <= clientWidth, `${what}: the page is ${scrollWidth}px wide in a ${clientWidth}px window`);
}

describe('screens', () => {
  test('first run: no site yet shows the three steps instead of an empty table', async () => {
    const { page, errors } = await harness.open(config({ 'sites.list': [], 'status.get': status([]), 'destination.get': DESTINATION_EMPTY }));
    const firstRun = page.getByTestId('first-run');
    await firstRun.waitFor();
    assert.equal(await page.getByTestId('sites-table').count(), 0);
    const text = await firstRun.innerText();
    assert.match(text, /Add your first site/);
    assert.match(text, /Test it/);
    assert.match(text, /Set up Elastic/);
    await screenshot(page, 'sites-first-run');
    await page.getByRole('button', { name: 'Set up Elastic' }).click();
    await page.getByTestId('elastic-screen').waitFor();
    assert.match(page.url(), /#\/elastic$/);
    assert.equal(await page.getByTestId('elastic-configured').innerText(), 'Not set up yet');
    await screenshot(page, 'elastic-empty');
    assert.deepEqual(errors, []);
  });

  test('sites list: states, counters and the needs-attention banner naming the site and the reason', async () => {
    const { page, errors } = await harness.open(config({ 'status.get': MIXED }));
    await page.getByTestId('site-row-3').waitFor();
    assert.equal(await page.getByTestId('site-state-1').getAttribute('data-state'), 'idle');
    assert.equal(await page.getByTestId('site-state-2').getAttribute('data-state'), 'needs-attention');
    assert.equal(await page.getByTestId('site-state-3').getAttribute('data-state'), 'backfilling');
    assert.equal(await page.getByTestId('site-events-3').innerText(), '9,870');
    const banner = page.getByTestId('needs-attention-banner');
    assert.equal(await banner.count(), 1);
    assert.equal(await banner.getAttribute('data-site-id'), '2');
    const text = await banner.innerText();
    assert.match(text, /Lab needs attention/);
    assert.match(text, /rejected the client secret/);
    await screenshot(page, 'sites-list-attention');
    // Row actions have names an admin (and a screen reader) can tell apart.
    await page.getByRole('button', { name: 'Run Production now' }).click();
    await page.getByTestId('toast').first().waitFor();
    assert.deepEqual(await calls(page, 'sites.runNow'), [{ id: 1 }]);
    // The site recovers: the banner goes away live.
    await emit(page, { type: 'site-status', status: siteStatus(LAB) });
    await banner.waitFor({ state: 'detached' });
    assert.deepEqual(errors, []);
  });

  test('delete asks first, then removes the site', async () => {
    const { page } = await harness.open(config({ 'sites.remove': { id: 3 } }));
    await page.getByRole('button', { name: 'Delete EMEA' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Delete “EMEA”?' });
    await dialog.waitFor();
    await screenshot(page, 'site-delete-confirm', false);
    await dialog.getByRole('button', { name: 'Delete' }).click();
    await page.getByTestId('site-row-3').waitFor({ state: 'detached' });
    assert.deepEqual(await calls(page, 'sites.remove'), [{ id: 3 }]);
    assert.equal(await page.getByTestId('site-row-1').count(), 1);
  });

  test('pause and resume', async () => {
    const { page } = await harness.open(config());
    await page.getByTestId('engine-pause-toggle').click();
    await page.getByTestId('paused-banner').waitFor();
    assert.equal(await page.getByTestId('engine-pause-toggle').innerText(), 'Resume');
    assert.deepEqual(await calls(page, 'engine.setPaused'), [{ paused: true }]);
    assert.match(await page.getByTestId('app-version').innerText(), /Version 0\.1\.0/);
    await screenshot(page, 'sites-paused', false);
  });

  test('status: backfill progress bars with their percentage, live updates to 100 %, the chart and the outbox', async () => {
    const { page, errors } = await harness.open(config({ 'status.get': MIXED }), { screen: 'status' });
    const bar = page.getByTestId('backfill-progress-3');
    await bar.waitFor();
    assert.equal(await bar.getAttribute('role'), 'progressbar');
    assert.equal(await bar.getAttribute('aria-valuenow'), '0.425');
    assert.equal(await page.getByTestId('backfill-percent-3').innerText(), '42.5%');
    assert.equal(await page.getByTestId('backfill-percent-1').innerText(), '100%');
    assert.match(await page.getByTestId('status-attention-2').innerText(), /rejected the client secret/);
    const chart = page.getByTestId('events-chart');
    await chart.waitFor();
    assert.equal(await chart.getAttribute('role'), 'img');
    assert.equal(await chart.getAttribute('data-bars'), '72');
    assert.equal(await chart.locator('rect').count(), 72);
    assert.ok(Number(await chart.getAttribute('data-total')) > 0);
    assert.match((await chart.locator('title').first().textContent()) ?? '', /Events collected per hour, last 72 hours/);
    assert.deepEqual(await calls(page, 'status.eventsPerHour'), [{ hours: 72 }]);
    assert.equal(await page.getByTestId('outbox-failed').innerText(), '3');
    assert.equal(await page.getByTestId('outbox-failures').locator('tbody tr').count(), 2);
    // Why sending is paused (kept by the engine until a delivery succeeds).
    assert.match(await page.getByTestId('outbox-shipping-error').innerText(), /Sending is paused[\s\S]*rejected the credentials \(HTTP 401\)[\s\S]*since/);
    await screenshot(page, 'status');

    // The engine reports progress: the bar follows, up to 100 %.
    await emit(page, { type: 'site-status', status: { ...BACKFILLING, backfill: { ...BACKFILLING.backfill!, progress: 0.8 } } });
    await page.locator('[data-testid="backfill-percent-3"]', { hasText: '80%' }).waitFor();
    await emit(page, { type: 'site-status', status: { ...BACKFILLING, state: 'idle', backfill: { ...BACKFILLING.backfill!, progress: 1 } } });
    await page.locator('[data-testid="backfill-percent-3"]', { hasText: '100%' }).waitFor();
    assert.equal(await page.getByTestId('status-state-3').getAttribute('data-state'), 'idle');
    await emit(page, { type: 'outbox', counts: { pending: 0, sent: 48_444, failed: 3 } });
    await page.locator('[data-testid="outbox-pending"]', { hasText: /^0$/ }).waitFor();

    await page.getByTestId('outbox-retry').click();
    await page.getByTestId('toast').first().waitFor();
    assert.equal((await calls(page, 'outbox.retryFailed')).length, 1);
    assert.deepEqual(errors, []);
  });

  test('sessions: filters, the list, and a session opened with the keyboard', async () => {
    const { page, errors } = await harness.open(config(), { screen: 'sessions' });
    const rows = page.getByTestId('session-row');
    await rows.first().waitFor();
    assert.equal(await rows.count(), 24);
    assert.match(await rows.first().innerText(), /In progress/);
    const first = (await calls(page, 'sessions.list'))[0]!;
    assert.equal(first.limit, 200);
    assert.ok(typeof first.since === 'number' && Math.abs(first.since - (Math.floor(Date.now() / 1000) - 7 * 86_400)) < 120);
    await screenshot(page, 'sessions');

    await page.getByTestId('sessions-search').fill('dwhitfield');
    await page.waitForFunction(() => true);
    await page.getByRole('combobox', { name: 'Started' }).click();
    await page.getByRole('option', { name: 'All time' }).click();
    await page.getByRole('combobox', { name: 'Site' }).click();
    await page.getByRole('option', { name: 'Lab' }).click();
    await assert.doesNotReject(async () => {
      for (let i = 0; i < 50; i++) {
        const last = (await calls(page, 'sessions.list')).at(-1)!;
        if (last.siteId === 2 && last.search === 'dwhitfield' && last.since === undefined) return;
        await page.waitForTimeout(50);
      }
      throw new Error(`the last sessions.list call is ${JSON.stringify((await calls(page, 'sessions.list')).at(-1))}`);
    });

    // Keyboard: Tab to a row, Enter opens it.
    await rows.nth(1).focus();
    await page.keyboard.press('Enter');
    const drawer = page.getByRole('dialog', { name: /^Session / });
    await drawer.waitFor();
    await drawer.getByTestId('session-events').waitFor();
    assert.equal(await drawer.getByTestId('session-event').count(), 5);
    assert.match(await drawer.getByTestId('session-participants').innerText(), /dwhitfield/);
    assert.match(await drawer.getByTestId('session-attributes').innerText(), /CHG0041872/);
    assert.match(await drawer.innerText(), /Get-Service -Name W32Time/);
    await screenshot(page, 'session-detail', false);
    await page.keyboard.press('Escape');
    await drawer.waitFor({ state: 'detached' });
    assert.deepEqual(errors, []);
  });

  test('activity: level and text filters, live lines, Copy', async () => {
    const { page, context, errors } = await harness.open(config(), { screen: 'activity' });
    await context.grantPermissions(['clipboard-read', 'clipboard-write']);
    const lines = page.getByTestId('activity-line');
    await lines.first().waitFor();
    // Debug lines are hidden by default.
    assert.equal(await lines.count(), 6);
    await page.getByRole('combobox', { name: 'Level' }).click();
    await page.getByRole('option', { name: 'Warnings and errors' }).click();
    assert.equal(await lines.count(), 2);
    await page.getByTestId('activity-filter').fill('rejected');
    assert.equal(await lines.count(), 1);
    assert.equal(await lines.first().getAttribute('data-level'), 'error');
    await page.getByTestId('activity-filter').fill('');
    await emit(page, { type: 'log', line: { time: new Date().toISOString(), level: 'warn', topic: 'elastic', message: 'Elasticsearch is slow to answer (4.2 s).' } });
    await page.locator('[data-testid="activity-line"]', { hasText: 'slow to answer' }).waitFor();
    assert.equal(await lines.count(), 3);
    await screenshot(page, 'activity');
    await page.getByRole('button', { name: 'Copy' }).click();
    await page.getByTestId('toast').first().waitFor();
    const copied = await page.evaluate(() => (globalThis as unknown as { navigator: { clipboard: { readText(): Promise<string> } } }).navigator.clipboard.readText());
    const copiedLines = copied.split('\n');
    assert.equal(copiedLines.length, 3);
    assert.match(copiedLines[0]!, /WARN {2}\[elastic\] Elasticsearch answered 429/);
    assert.match(copiedLines[2]!, /slow to answer/);
    assert.deepEqual(errors, []);
  });

  test('elastic: Test shows live steps; a missing integration offers to install its assets', async () => {
    const steps: TestStep[] = [
      { id: 'reach', title: 'Reach the cluster', status: 'ok', detail: 'Elasticsearch 8.15.2 (cluster “soc-prod”) answered in 42 ms.', durationMs: 42 },
      { id: 'auth', title: 'Sign-in', status: 'ok', detail: 'Signed in with the API key “pra-integration-client”.', durationMs: 18 },
      { id: 'privileges', title: 'Permission to write the data stream', status: 'ok', detail: 'The key may create documents in logs-beyondtrust_pra.access_session-default.', durationMs: 25 },
      {
        id: 'assets',
        title: 'BeyondTrust PRA integration installed',
        status: 'failed',
        detail:
          'The BeyondTrust PRA integration is not installed, so the documents would not be parsed. In Kibana, open Management › Integrations, search for “BeyondTrust PRA”, and choose Add › Install assets only.',
        durationMs: 31,
        fix: 'install-assets',
      },
    ];
    const { page, errors } = await harness.open(
      config(
        { 'destination.installAssets': { ok: true, detail: 'Installed the BeyondTrust PRA integration 1.2.0 assets through Kibana.' } },
        { tests: { 'destination.test': { ok: false, steps, stepDelayMs: 40 } } },
      ),
      { screen: 'elastic' },
    );
    await page.getByTestId('elastic-screen').waitFor();
    assert.equal(await page.getByLabel('Elasticsearch URL').inputValue(), DESTINATION_SET.url);
    assert.equal(await page.getByTestId('elastic-api-key').getAttribute('placeholder'), 'Stored — leave empty to keep');
    await page.getByRole('button', { name: 'Test' }).click();
    const fix = page.getByTestId('elastic-assets-fix');
    await fix.waitFor();
    assert.equal(await page.getByTestId('test-step-assets').getAttribute('data-status'), 'failed');
    assert.match(await page.getByTestId('test-step-assets-detail').innerText(), /Install assets only/);
    const [call] = await calls(page, 'destination.test');
    assert.equal(call!.apiKey, undefined);
    assert.equal(call!.draft!.url, DESTINATION_SET.url);
    await screenshot(page, 'elastic-test-assets');
    await page.getByRole('button', { name: "Install the integration's assets" }).click();
    await page.locator('[data-testid="elastic-install-result"][data-result="ok"]').waitFor();
    assert.equal((await calls(page, 'destination.installAssets')).length, 1);
    assert.deepEqual(errors, []);
  });

  test('elastic: switching to Cloud ID and basic auth, with checks by field, then Save', async () => {
    const { page } = await harness.open(config({ 'destination.get': DESTINATION_EMPTY, 'destination.set': { ...DESTINATION_SET, url: null, cloudId: 'soc:ZXUtd2VzdC0x', auth: 'basic', username: 'pra_writer', passwordStored: true, apiKeyStored: false } }), {
      screen: 'elastic',
    });
    await page.getByTestId('elastic-screen').waitFor();
    await page.getByRole('radio', { name: 'Cloud ID (Elastic Cloud)' }).check();
    await page.getByRole('radio', { name: 'User name and password' }).check();
    await page.getByLabel('Namespace').fill('Prod-EU');
    await page.getByRole('button', { name: 'Save' }).click();
    assert.match(await page.getByTestId('elastic-cloudId-message').innerText(), /Cloud ID/);
    assert.match(await page.getByTestId('elastic-username-message').innerText(), /user name/);
    assert.match(await page.getByTestId('elastic-password-message').innerText(), /password/);
    assert.match(await page.getByTestId('elastic-namespace-message').innerText(), /lowercase/);
    await screenshot(page, 'elastic-errors');
    assert.deepEqual(await calls(page, 'destination.set'), []);
    await page.getByTestId('elastic-cloud-id').fill('soc:ZXUtd2VzdC0x');
    await page.getByTestId('elastic-username').fill('pra_writer');
    await page.getByTestId('elastic-password').fill('hunter2-but-longer');
    await page.getByLabel('Namespace').fill('prod_eu');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByTestId('toast').first().waitFor();
    const [call] = await calls(page, 'destination.set');
    assert.deepEqual(call, {
      settings: { url: null, cloudId: 'soc:ZXUtd2VzdC0x', auth: 'basic', username: 'pra_writer', caFile: null, caFingerprint: null, namespace: 'prod_eu', kibanaUrl: null },
      apiKey: null,
      password: 'hunter2-but-longer',
    });
    assert.ok(!(await page.content()).includes('hunter2-but-longer'));
  });

  test('dark theme when the OS prefers dark', async () => {
    const { page, errors } = await harness.open(config({ 'status.get': MIXED }), { context: { colorScheme: 'dark' } });
    await page.getByTestId('site-row-1').waitFor();
    assert.equal(await page.getByTestId('app-root').getAttribute('data-theme'), 'dark');
    const background = await page.evaluate(() => {
      const g = globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string }; document: { body: unknown } };
      return g.getComputedStyle(g.document.body).backgroundColor;
    });
    const [r, gr, b] = (background.match(/\d+/g) ?? []).map(Number);
    assert.ok(r! < 60 && gr! < 60 && b! < 60, `the page background is dark (${background})`);
    await screenshot(page, 'sites-dark');
    await page.getByTestId('nav-status').click();
    await page.getByTestId('events-chart').waitFor();
    await screenshot(page, 'status-dark');
    await page.getByTestId('nav-sites').click();
    await page.getByTestId('site-edit-2').click();
    await page.getByRole('dialog').waitFor();
    await screenshot(page, 'site-dialog-dark', false);
    // Following the OS live: switching to light re-themes the open app.
    await page.emulateMedia({ colorScheme: 'light' });
    await page.locator('[data-testid="app-root"][data-theme="light"]').waitFor();
    assert.deepEqual(errors, []);
  });

  test('125 % scaling: every screen fits without horizontal scrolling', async () => {
    const { page, errors } = await harness.open(config({ 'status.get': MIXED }), {
      context: { viewport: { width: 1100, height: 700 }, deviceScaleFactor: 1.25 },
    });
    for (const screen of ['sites', 'elastic', 'archive', 'status', 'sessions', 'activity'] as const) {
      await page.getByTestId(`nav-${screen}`).click();
      await page.getByTestId(`${screen}-screen`).waitFor();
      await assertNoHorizontalOverflow(page, screen);
    }
    await screenshot(page, 'activity-125');
    assert.deepEqual(errors, []);
  });

  test('150 % scaling in a narrower window: every screen fits without horizontal scrolling', async () => {
    const { page, errors } = await harness.open(config({ 'status.get': MIXED }), {
      context: { viewport: { width: 900, height: 640 }, deviceScaleFactor: 1.5 },
    });
    for (const screen of ['sites', 'elastic', 'archive', 'status', 'sessions', 'activity'] as const) {
      await page.getByTestId(`nav-${screen}`).click();
      await page.getByTestId(`${screen}-screen`).waitFor();
      await page.waitForTimeout(150);
      await assertNoHorizontalOverflow(page, screen);
      await screenshot(page, `${screen}-150`);
    }
    await page.getByTestId('nav-sites').click();
    await page.getByTestId('sites-new').click();
    await page.getByRole('dialog').waitFor();
    await assertNoHorizontalOverflow(page, 'site dialog');
    await screenshot(page, 'site-dialog-150', false);
    assert.deepEqual(errors, []);
  });

  test('keyboard: the tabs are reachable and switch screens with the arrow keys', async () => {
    const { page } = await harness.open(config());
    await page.getByTestId('nav-sites').focus();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await page.getByTestId('elastic-screen').waitFor();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await page.getByTestId('archive-screen').waitFor();
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('Enter');
    await page.getByTestId('status-screen').waitFor();
  });
});
