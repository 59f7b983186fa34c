/**
 * End to end, in real Chromium: the built renderer talks through the shared contract over the real
 * HTTP transport of `pra-ic ui` (startUiServer + ApiHandlers 'browser') to a real engine (SQLite,
 * the OS keychain), which talks to the PRA simulator over TLS and to the Elasticsearch and Kibana
 * simulators. The page is opened with the URL the server prints, token included.
 *
 * Scenarios: first run; add a site and Test it (wrong secret, then the right one); edit it keeping
 * the stored secret; delete it; set up Elastic (Test, install the integration's assets, Save);
 * watch a backfill reach 100 % and browse the sessions; the needs-attention banner after a secret
 * rotation; the transport's refusals seen from a browser. Screenshots: test-results/screenshots/e2e-*.png.
 *
 * Run inside a D-Bus session with an unlocked keyring:
 *   PRA_IC_REAL_KEYCHAIN=1 scripts/with-keyring.sh node --import tsx --test --test-reporter=spec test/e2e/app.test.ts
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser, Locator, Page } from 'playwright-core';
import { secretAccounts } from '../../electron/engine/secrets/secret-store.ts';
import { launchChromium } from '../renderer/support/browser.ts';
import { buildRenderer } from '../renderer/support/build.ts';
import { startElasticsearchSimulator, startKibanaSimulator, type ElasticsearchSimulator, type KibanaSimulator } from '../simulators/elasticsearch/index.ts';
import { generateCorpus, startPraSimulator, type PraSimulator, type SimSession } from '../simulators/pra/index.ts';
import { ELASTIC_STEPS, SITE_STEPS, assertNoSecretLeft, openApp, pageText, shot, stepStatuses, withData, type OpenedApp } from './support/app.ts';
import { rawRequest, startStack, tapEvents, until, type EventTap, type Stack } from './support/stack.ts';

const HOUR = 3600;
const DAY = 86_400;
const STREAM = 'logs-beyondtrust_pra.access_session-default';
const WRITER = { cluster: ['monitor'], indices: [{ names: ['logs-beyondtrust_pra.access_session-*'], privileges: ['auto_configure', 'create_doc'] }] };
const WRITER_KEY = Buffer.from('writer:writer-key-e2e-5d1f0b').toString('base64');

/** The PRA API account of the shared simulator; distinctive secrets, so a leak cannot hide. */
const CLIENT_ID = 'e2e-client';
const SECRET = 'e2e-Secret-7f3a9c-never-shown';
const WRONG_SECRET = 'wrong-Secret-b81d44-never-shown';

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** Bounded, but generous: the machine is shared with other test files. */
const BOUNDED = { timeout: 120_000 };

let browser: Browser;

before(async () => {
  // Built once for the file (test/renderer's helper), while Chromium starts.
  [browser] = await Promise.all([launchChromium(), buildRenderer()]);
}, BOUNDED);
after(async () => {
  await browser?.close();
}, BOUNDED);

/** Fills the New/Edit site dialog's fields that are given. */
async function fillSite(dialog: Locator, fields: { name?: string; host?: string; clientId?: string; secret?: string; caFile?: string; initialInterval?: string; pollInterval?: string }) {
  if (fields.name !== undefined) await dialog.getByTestId('site-name').fill(fields.name);
  if (fields.host !== undefined) await dialog.getByTestId('site-host').fill(fields.host);
  if (fields.clientId !== undefined) await dialog.getByTestId('site-client-id').fill(fields.clientId);
  if (fields.secret !== undefined) await dialog.getByTestId('site-client-secret').fill(fields.secret);
  if (fields.caFile !== undefined || fields.initialInterval !== undefined || fields.pollInterval !== undefined) {
    const caFile = dialog.getByTestId('site-ca-file');
    if (!(await caFile.isVisible())) await dialog.getByTestId('site-advanced').click();
    await caFile.waitFor();
    if (fields.caFile !== undefined) await caFile.fill(fields.caFile);
    if (fields.initialInterval !== undefined) await dialog.getByTestId('site-initial-interval').fill(fields.initialInterval);
    if (fields.pollInterval !== undefined) await dialog.getByTestId('site-poll-interval').fill(fields.pollInterval);
  }
}

async function toast(page: Page, title: string) {
  await page.getByTestId('toast').filter({ hasText: title }).first().waitFor();
}

// ── 1–4: first run, add + Test, edit, delete ───────────────────────────────────────────────

describe('sites, from the first run', () => {
  let pra: PraSimulator;
  let stack: Stack;
  let app: OpenedApp;
  let events: EventTap;
  let siteId = 0;

  before(async () => {
    const now = nowSeconds();
    pra = await startPraSimulator({
      clients: [{ clientId: CLIENT_ID, clientSecret: SECRET }],
      sessions: generateCorpus({ seed: 'e2e-sites', from: now - 12 * HOUR, to: now - HOUR, sessions: 20 }),
    });
    stack = await startStack();
    app = await openApp(browser, stack.url);
    events = await tapEvents(stack.port, await app.authorization());
  }, BOUNDED);
  after(async () => {
    events?.close();
    await app?.close();
    await stack?.close();
    await pra?.close();
  }, BOUNDED);

  test('1. first run: the empty state walks the admin through adding a site, testing it and setting up Elastic', BOUNDED, async () => {
    const { page } = app;
    // The one-time token traded for a session credential the page keeps: gone from the address bar, no cookie.
    assert.equal(page.url(), `${stack.origin}/`);
    assert.deepEqual(await app.context.cookies(), []);
    assert.match(await page.getByTestId('app-version').innerText(), /^Version \d+\.\d+\.\d+/);

    const firstRun = page.getByTestId('first-run');
    await firstRun.waitFor();
    const steps = await firstRun.locator('li').allInnerTexts();
    assert.equal(steps.length, 3);
    assert.match(steps[0]!, /Add your first site[\s\S]*Client ID and Client secret/);
    assert.match(steps[1]!, /Test it[\s\S]*name resolution, the secure connection, the sign-in/);
    assert.match(steps[2]!, /Set up Elastic/);
    assert.doesNotMatch(steps[2]!, /Done/, 'Elastic is not set up yet');
    assert.equal(await page.getByTestId('sites-table').count(), 0);
    assert.equal(await page.getByTestId('sites-new').count(), 0, 'the walkthrough replaces the toolbar');
    await shot(page, '1-first-run');

    // The other screens say there is nothing yet, rather than showing empty tables.
    await page.getByTestId('nav-status').click();
    await page.getByTestId('status-empty').waitFor();
    assert.match(page.url(), /#\/status$/);
    await shot(page, '1-first-run-status');
    await page.getByTestId('nav-sessions').click();
    await page.getByTestId('sessions-empty').waitFor();
    await shot(page, '1-first-run-sessions');
    await page.getByTestId('nav-activity').click();
    await page.getByTestId('activity-screen').waitFor();
    await shot(page, '1-first-run-activity');

    // Step 3's button leads to the Elastic screen.
    await page.getByTestId('nav-sites').click();
    await page.getByTestId('first-run-elastic').click();
    await page.getByTestId('elastic-screen').waitFor();
    assert.match(page.url(), /#\/elastic$/);
    assert.equal(await page.getByTestId('elastic-configured').innerText(), 'Not set up yet');
    await shot(page, '1-first-run-elastic');

    // Step 1's button opens the New site dialog.
    await page.getByTestId('nav-sites').click();
    await page.getByTestId('first-run-add-site').click();
    const dialog = page.getByRole('dialog', { name: 'New site' });
    await dialog.waitFor();
    assert.equal(await dialog.getByTestId('site-client-secret').getAttribute('type'), 'password');
    await shot(page, '1-new-site-dialog');
    await dialog.getByTestId('site-cancel-button').click();
    await dialog.waitFor({ state: 'hidden' });
    await firstRun.waitFor();
    assert.deepEqual(app.errors, []);
  });

  test('2. add a site and Test it: a wrong secret fails at the sign-in, the right one passes live; Save lists it; the secret never comes back', BOUNDED, async () => {
    const { page } = app;
    await page.getByTestId('first-run-add-site').click();
    const dialog = page.getByRole('dialog', { name: 'New site' });
    await dialog.waitFor();
    await fillSite(dialog, { name: 'Production', host: pra.host, clientId: CLIENT_ID, secret: WRONG_SECRET, caFile: pra.caFile });

    // Wrong secret: the sign-in step fails in plain language; the steps after it are skipped.
    await dialog.getByTestId('site-test-button').click();
    await withData(dialog, 'site-test-summary', { result: 'failed' }).waitFor();
    assert.deepEqual(await stepStatuses(dialog, SITE_STEPS), { dns: 'ok', tls: 'ok', token: 'failed', reporting: 'skipped', clock: 'skipped' });
    assert.match(await dialog.getByTestId('test-step-token-detail').innerText(), /^Client ID or secret rejected\. If the secret was regenerated in \/login → Management → API Configuration, enter the new one\.$/);
    assert.match(await dialog.getByTestId('test-step-tls-detail').innerText(), /certificate/);
    assert.match(await dialog.getByTestId('site-test-summary').innerText(), /“Sign-in with client ID and secret” did not pass/);
    await shot(page, '2-site-test-wrong-secret');

    // The right secret, with the site slow to issue the token: the steps are seen live, as they run.
    await dialog.getByTestId('site-client-secret').fill(SECRET);
    pra.injectFaults([{ kind: 'slow', delayMs: 2500, endpoint: 'token' }]);
    await dialog.getByTestId('site-test-button').click();
    await withData(dialog, 'test-step-token', { status: 'running' }).waitFor();
    const live = await stepStatuses(dialog, SITE_STEPS);
    assert.deepEqual(live, { dns: 'ok', tls: 'ok', token: 'running', reporting: 'pending', clock: 'pending' }, 'a step shows as running while the others wait');
    assert.equal(await dialog.getByTestId('site-test-button').innerText(), 'Testing…');
    await shot(page, '2-site-test-running');
    await withData(dialog, 'site-test-summary', { result: 'ok' }).waitFor();
    assert.deepEqual(await stepStatuses(dialog, SITE_STEPS), { dns: 'ok', tls: 'ok', token: 'ok', reporting: 'ok', clock: 'ok' });
    assert.match(await dialog.getByTestId('test-step-token-detail').innerText(), /Client ID and secret accepted/);
    assert.match(await dialog.getByTestId('test-step-reporting-detail').innerText(), /may read access session reports/);
    assert.match(await dialog.getByTestId('test-step-clock-detail').innerText(), /agree on the time|close enough/);
    await shot(page, '2-site-test-ok');
    // Typed, tested twice: still only in the input's value, never in the HTML.
    assert.ok(!(await pageText(page, { inputs: false })).includes(SECRET));
    assert.ok(!(await pageText(page, { inputs: false })).includes(WRONG_SECRET));

    await dialog.getByTestId('site-save-button').click();
    await dialog.waitFor({ state: 'hidden' });
    await toast(page, 'Added Production');
    const [site] = stack.engine.sites.listSites();
    assert.ok(site, 'the engine has the site');
    siteId = site.id;
    const row = withData(page, `site-row-${siteId}`, { 'site-name': 'Production' });
    await row.waitFor();
    assert.match(await row.innerText(), new RegExp(`Production\\s+${pra.host.replace(/\./g, '\\.')}`));
    assert.equal(await page.getByTestId('first-run').count(), 0);
    await page.getByTestId('elastic-missing-banner').waitFor();
    await shot(page, '2-sites-list');

    // The engine: the site as entered, its secret in the keychain (not in SQLite).
    assert.equal(site.name, 'Production');
    assert.equal(site.host, pra.host);
    assert.equal(site.clientId, CLIENT_ID);
    assert.equal(site.caFile, pra.caFile);
    assert.equal(await stack.engine.sites.getClientSecret(site), SECRET);
    assert.equal(await stack.engine.secrets.get(secretAccounts.siteClientSecret(stack.engine.installId, siteId)), SECRET);
    const dump = JSON.stringify(stack.engine.database.db.prepare('SELECT * FROM sites').all());
    assert.ok(!dump.includes(SECRET), 'the secret is not in the database');

    // The secret went to the engine exactly in the calls that needed it …
    const added = (await app.calls('sites.add')) as { clientSecret: string }[];
    assert.equal(added.length, 1);
    assert.equal(added[0]!.clientSecret, SECRET);
    const tests = (await app.calls('sites.test')) as { clientSecret?: string }[];
    assert.deepEqual(tests.map((t) => t.clientSecret), [WRONG_SECRET, SECRET]);
    // … and never came back: not in any answer, the pushed events, the page, nor the activity log.
    await page.getByTestId('nav-activity').click();
    await page.getByTestId('activity-line').filter({ hasText: 'Site “Production” added' }).first().waitFor();
    await shot(page, '2-activity');
    await page.getByTestId('nav-sites').click();
    await row.waitFor();
    await assertNoSecretLeft(app, [SECRET, WRONG_SECRET], 'after Save');
    // (The answers were really read: the one to sites.add says a secret is stored, without it.)
    assert.match(app.api.find((e) => e.channel === 'sites.add')!.body, /"clientSecretStored":true/);
    assert.ok(app.api.some((e) => e.channel === 'log.recent'));
    assert.match(events.text(), /"type":"test-step"/, 'the tap saw the Test steps');
    assert.ok(!events.text().includes(SECRET) && !events.text().includes(WRONG_SECRET), 'no secret in the event stream');
    assert.deepEqual(app.errors, []);
  });

  test('3. edit the site keeping the stored secret: left empty, it is kept, and the site still passes its Test', BOUNDED, async () => {
    assert.ok(siteId, 'scenario 2 added the site');
    const { page } = app;
    await page.getByTestId(`site-edit-${siteId}`).click();
    const dialog = page.getByRole('dialog', { name: 'Edit site “Production”' });
    await dialog.waitFor();
    const secretInput = dialog.getByTestId('site-client-secret');
    assert.equal(await secretInput.getAttribute('placeholder'), 'Stored — leave empty to keep');
    assert.equal(await secretInput.inputValue(), '');
    assert.match(await dialog.innerText(), /Type a new secret only to replace the stored one\./);
    assert.equal(await dialog.getByTestId('site-host').inputValue(), pra.host);
    await fillSite(dialog, { name: 'Production EU', pollInterval: '10m' });
    await shot(page, '3-edit-site');
    await dialog.getByTestId('site-save-button').click();
    await dialog.waitFor({ state: 'hidden' });
    await toast(page, 'Saved Production EU');
    await withData(page, `site-row-${siteId}`, { 'site-name': 'Production EU' }).waitFor();
    await shot(page, '3-sites-list-renamed');

    const [edit] = (await app.calls('sites.edit')) as { id: number; patch: { name: string }; clientSecret: string | null }[];
    assert.equal(edit!.id, siteId);
    assert.equal(edit!.patch.name, 'Production EU');
    assert.equal(edit!.clientSecret, null, 'an empty secret field sends null: keep the stored one');
    const site = stack.engine.sites.getSite(siteId);
    assert.equal(site.name, 'Production EU');
    assert.equal(site.pollIntervalSeconds, 600);
    assert.equal(await stack.engine.sites.getClientSecret(site), SECRET, 'the original secret is still stored');

    // The stored secret still works: Test from the Edit dialog, with nothing typed.
    await page.getByTestId(`site-edit-${siteId}`).click();
    const again = page.getByRole('dialog', { name: 'Edit site “Production EU”' });
    await again.waitFor();
    await again.getByTestId('site-test-button').click();
    await withData(again, 'site-test-summary', { result: 'ok' }).waitFor();
    assert.deepEqual(await stepStatuses(again, SITE_STEPS), { dns: 'ok', tls: 'ok', token: 'ok', reporting: 'ok', clock: 'ok' });
    const tests = (await app.calls('sites.test')) as { id?: number; clientSecret?: string }[];
    assert.equal(tests.at(-1)!.id, siteId);
    assert.equal(tests.at(-1)!.clientSecret, undefined, 'the Test used the stored secret');
    await shot(page, '3-edit-test-stored-secret');
    await again.getByTestId('site-cancel-button').click();
    await again.waitFor({ state: 'hidden' });
    await assertNoSecretLeft(app, [SECRET], 'after Edit');
    assert.deepEqual(app.errors, []);
  });

  test('4. delete the site: the confirm dialog, then it is gone from the list, the engine and the keychain', BOUNDED, async () => {
    assert.ok(siteId, 'scenario 2 added the site');
    const { page } = app;
    await page.getByTestId(`site-delete-${siteId}`).click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete “Production EU”?' });
    await confirm.waitFor();
    assert.match(await confirm.innerText(), new RegExp(`${pra.host.replace(/\./g, '\\.')} and its stored client secret are removed`));
    await shot(page, '4-delete-confirm');
    // Cancel keeps it.
    await confirm.getByTestId('delete-site-cancel').click();
    await confirm.waitFor({ state: 'hidden' });
    assert.equal(await page.getByTestId(`site-row-${siteId}`).count(), 1);
    assert.equal(stack.engine.sites.listSites().length, 1);

    // The site's events went nowhere yet (this stack has no Elasticsearch): the engine refuses and
    // the dialog says how many would be lost; only the explicit discard deletes it (issue 17, item 2).
    const undelivered = stack.engine.sites.undelivered(siteId!).total;
    assert.ok(undelivered > 0, 'the extraction of scenario 2 left events for Elasticsearch');
    await page.getByTestId(`site-delete-${siteId}`).click();
    await confirm.waitFor();
    await confirm.getByTestId('delete-site-confirm').click();
    await confirm.getByTestId('delete-site-undelivered').waitFor();
    assert.match(await confirm.getByTestId('delete-site-undelivered').innerText(), new RegExp(`${undelivered.toLocaleString('en-US')} events? not yet delivered`));
    assert.equal(stack.engine.sites.listSites().length, 1, 'refused: still there');
    await confirm.getByTestId('delete-site-discard').click();
    await confirm.waitFor({ state: 'hidden' });
    await toast(page, 'Deleted Production EU');
    await page.getByTestId(`site-row-${siteId}`).waitFor({ state: 'detached' });
    await page.getByTestId('first-run').waitFor();
    await shot(page, '4-after-delete');

    assert.deepEqual(await app.calls('sites.remove'), [{ id: siteId }, { id: siteId, discardPending: true }]);
    assert.deepEqual(stack.engine.sites.listSites(), []);
    assert.equal(await stack.engine.secrets.get(secretAccounts.siteClientSecret(stack.engine.installId, siteId)), null, 'its secret left the keychain');
    // The Status screen follows (the removal was pushed as an event).
    await page.getByTestId('nav-status').click();
    await page.getByTestId('status-empty').waitFor();
    // The one refusal above (409), which the browser reports on its console; nothing else.
    assert.deepEqual(app.errors, ['console: Failed to load resource: the server responded with a status of 409 (Conflict)']);
  });
});

// ── 5: Elastic ─────────────────────────────────────────────────────────────────────────────

describe('Elastic', () => {
  let es: ElasticsearchSimulator;
  let kibana: KibanaSimulator;
  let stack: Stack;
  let app: OpenedApp;

  before(async () => {
    es = await startElasticsearchSimulator({
      apiKeys: [
        { id: 'writer', key: 'writer-key-e2e-5d1f0b', privileges: WRITER },
        { id: 'admin', key: 'admin-key-e2e-77c2', privileges: { cluster: ['all'], indices: [{ names: ['*'], privileges: ['all'] }] } },
      ],
      integrationInstalled: false,
    });
    kibana = await startKibanaSimulator({ elasticsearch: es });
    stack = await startStack();
    app = await openApp(browser, stack.url);
  }, BOUNDED);
  after(async () => {
    await app?.close();
    await stack?.close();
    await kibana?.close();
    await es?.close();
  }, BOUNDED);

  test('5. set up Elastic: Test, the missing assets installed through Kibana, Test again, Save — the key never comes back', BOUNDED, async () => {
    const { page } = app;
    await page.getByTestId('nav-elastic').click();
    await page.getByTestId('elastic-screen').waitFor();
    assert.equal(await page.getByTestId('elastic-configured').innerText(), 'Not set up yet');
    await page.getByTestId('elastic-target-url').click();
    await page.getByTestId('elastic-url').fill(es.url);
    await page.getByTestId('elastic-auth-api-key').click();
    await page.getByTestId('elastic-kibana-url').fill(kibana.url);
    assert.equal(await page.getByTestId('elastic-namespace').inputValue(), 'default');
    assert.equal(await page.getByTestId('elastic-data-stream').innerText(), STREAM);

    // A wrong key fails at the sign-in.
    await page.getByTestId('elastic-api-key').fill(Buffer.from('writer:not-the-key').toString('base64'));
    await page.getByTestId('elastic-test-button').click();
    await withData(page, 'elastic-test-summary', { result: 'failed' }).waitFor();
    assert.deepEqual(await stepStatuses(page, ELASTIC_STEPS), { reach: 'ok', auth: 'failed', privileges: 'skipped', assets: 'skipped' });
    assert.match(await page.getByTestId('test-step-auth-detail').innerText(), /rejected the credentials/);
    await shot(page, '5-elastic-wrong-key');

    // The writer key: reach, sign-in and privileges pass; the integration's assets are missing.
    await page.getByTestId('elastic-api-key').fill(WRITER_KEY);
    await page.getByTestId('elastic-test-button').click();
    const fix = page.getByTestId('elastic-assets-fix');
    await fix.waitFor();
    assert.deepEqual(await stepStatuses(page, ELASTIC_STEPS), { reach: 'ok', auth: 'ok', privileges: 'ok', assets: 'failed' });
    assert.match(await page.getByTestId('test-step-reach-detail').innerText(), /Elasticsearch 8\.17\.0/);
    assert.match(await page.getByTestId('test-step-privileges-detail').innerText(), new RegExp(`may create documents in ${STREAM}`));
    assert.match(await page.getByTestId('test-step-assets-detail').innerText(), /integration's assets are missing/);
    assert.match(await fix.innerText(), /once the settings are saved/);
    await shot(page, '5-elastic-assets-missing');

    // The fix is offered before Save, but installing uses the saved settings: the button waits for Save.
    const install = page.getByTestId('elastic-install-assets');
    assert.equal(await install.isDisabled(), true, 'Install waits until the settings are saved');
    assert.equal(kibana.requests.length, 0, 'nothing reached Kibana');
    await shot(page, '5-elastic-install-before-save');

    await page.getByTestId('elastic-save-button').click();
    await toast(page, 'Elastic destination saved');
    await page.getByTestId('elastic-configured').filter({ hasText: /^Set up$/ }).waitFor();
    assert.equal(await page.getByTestId('elastic-api-key').getAttribute('placeholder'), 'Stored — leave empty to keep');
    assert.equal(await page.getByTestId('elastic-api-key').inputValue(), '');
    let view = await stack.engine.destinationView();
    assert.equal(view.configured, true);
    assert.equal(view.url, es.url);
    assert.equal(view.kibanaUrl, kibana.url);
    assert.equal(view.apiKeyStored, true);

    // Installing with the saved (shipping) key: Kibana refuses — a shipping key may not install integrations …
    await install.click();
    await withData(page, 'elastic-install-result', { result: 'failed' }).waitFor();
    assert.match(await page.getByTestId('elastic-install-result').innerText(), /installing integrations needs the Fleet\/Integrations “all” privilege \(HTTP 403\)/);
    assert.equal(es.integrationAssetsInstalled(), false);
    await shot(page, '5-elastic-install-refused');

    // … so the admin gives a one-off admin key: used for this install only, never stored.
    await page.getByTestId('elastic-admin-api-key').fill('admin:admin-key-e2e-77c2');
    await install.click();
    await withData(page, 'elastic-install-result', { result: 'ok' }).waitFor();
    assert.match(await page.getByTestId('elastic-install-result').innerText(), /integration is installed/);
    assert.equal(es.integrationAssetsInstalled(), true);
    assert.deepEqual(
      kibana.requests.filter((r) => r.method === 'POST').map((r) => `${r.path} ${r.status}`),
      ['/api/fleet/epm/packages/beyondtrust_pra 403', '/api/fleet/epm/packages/beyondtrust_pra 200'],
    );
    assert.deepEqual(await app.calls('destination.installAssets'), [{}, { apiKey: 'admin:admin-key-e2e-77c2' }]);
    assert.equal(await page.getByTestId('elastic-assets-fix').count(), 0, 'no "not installed" warning next to "installed"');
    assert.equal((await stack.engine.destination.credentials()).apiKey, Buffer.from('writer:writer-key-e2e-5d1f0b').toString('base64'), 'the admin key was not stored');
    await shot(page, '5-elastic-installed');

    // Test again: every step passes.
    await page.getByTestId('elastic-test-button').click();
    await withData(page, 'elastic-test-summary', { result: 'ok' }).waitFor();
    assert.deepEqual(await stepStatuses(page, ELASTIC_STEPS), { reach: 'ok', auth: 'ok', privileges: 'ok', assets: 'ok' });
    assert.equal(await page.getByTestId('elastic-assets-fix').count(), 0);
    await shot(page, '5-elastic-test-ok');

    // Save again, the key field left empty as its placeholder says: the stored key is kept.
    await page.getByTestId('elastic-save-button').click();
    await toast(page, 'Elastic destination saved');
    await until(async () => (await app.calls('destination.set')).length === 2, 'the second destination.set');
    view = await stack.engine.destinationView();
    assert.equal(view.apiKeyStored, true, 'Save with the key left empty keeps the stored key');
    const engineTest = await stack.engine.testDestination();
    assert.equal(engineTest.ok, true, JSON.stringify(engineTest.steps));
    await page.reload();
    await page.getByTestId('elastic-screen').waitFor();
    await page.getByTestId('elastic-configured').filter({ hasText: /^Set up$/ }).waitFor();
    assert.equal(await page.getByTestId('elastic-url').inputValue(), es.url);
    assert.equal(await page.getByTestId('elastic-api-key').getAttribute('placeholder'), 'Stored — leave empty to keep');
    await shot(page, '5-elastic-saved');

    const sent = (await app.calls('destination.set')) as { apiKey?: string | null }[];
    assert.equal(sent[0]!.apiKey, WRITER_KEY);
    await assertNoSecretLeft(app, [WRITER_KEY, 'writer-key-e2e-5d1f0b'], 'Elastic');
    assert.deepEqual(app.errors, []);
  });
});

// ── 6: a backfill ──────────────────────────────────────────────────────────────────────────

/** What the page showed over time, recorded by a MutationObserver in the page. */
interface Seen {
  percents: string[];
  valueNow: string[];
  states: string[];
}

describe('collection', () => {
  let pra: PraSimulator;
  let es: ElasticsearchSimulator;
  let stack: Stack;
  let app: OpenedApp;
  let corpus: SimSession[];

  before(async () => {
    const now = nowSeconds();
    corpus = generateCorpus({ seed: 'e2e-backfill', from: now - 3 * DAY, to: now - HOUR, sessions: 120, inProgressShare: 0.05 });
    pra = await startPraSimulator({ clients: [{ clientId: CLIENT_ID, clientSecret: SECRET }], sessions: corpus });
    es = await startElasticsearchSimulator({ apiKeys: [{ id: 'writer', key: 'writer-key-e2e-5d1f0b', privileges: WRITER }], integrationInstalled: true });
    stack = await startStack();
    await stack.engine.setDestination({ url: es.url, auth: 'api-key', namespace: 'default' }, WRITER_KEY);
    app = await openApp(browser, stack.url);
  }, BOUNDED);
  after(async () => {
    await app?.close();
    await stack?.close();
    await es?.close();
    await pra?.close();
  }, BOUNDED);

  test('6. a multi-day backfill: Run now, the progress rises to 100 %, the chart and the sessions show the data', BOUNDED, async (t) => {
    const { page } = app;
    // Paused, so that the site does not start by itself when saved: Run now starts it.
    await page.getByTestId('engine-pause-toggle').click();
    await page.getByTestId('paused-banner').waitFor();
    assert.equal(stack.engine.scheduler.isPaused, true);

    await page.getByTestId('first-run-add-site').click();
    const dialog = page.getByRole('dialog', { name: 'New site' });
    await dialog.waitFor();
    await fillSite(dialog, { name: 'Backfill', host: pra.host, clientId: CLIENT_ID, secret: SECRET, caFile: pra.caFile, initialInterval: '4d' });
    await dialog.getByTestId('site-save-button').click();
    await dialog.waitFor({ state: 'hidden' });
    const site = stack.engine.sites.listSites()[0]!;
    assert.equal(site.initialIntervalSeconds, 4 * DAY);
    const id = site.id;
    await withData(page, `site-row-${id}`, { 'site-name': 'Backfill' }).waitFor();
    assert.equal(stack.engine.store.siteState(id)?.lastRunAt ?? null, null, 'paused: no run yet');
    await shot(page, '6-sites-paused');

    // Record what the Status card shows from now on, whatever screen is up.
    await page.evaluate(`(() => {
      const seen = { percents: [], valueNow: [], states: [] };
      const push = (list, value) => { if (value != null && list[list.length - 1] !== value) list.push(value); };
      const read = () => {
        push(seen.percents, document.querySelector('[data-testid="backfill-percent-${id}"]')?.textContent ?? null);
        push(seen.valueNow, document.querySelector('[data-testid="backfill-progress-${id}"]')?.getAttribute('aria-valuenow') ?? null);
        push(seen.states, document.querySelector('[data-testid="status-site-${id}"]')?.getAttribute('data-state') ?? null);
      };
      new MutationObserver(read).observe(document.body, { subtree: true, childList: true, attributes: true, characterData: true });
      globalThis.__e2eSeen = seen;
    })()`);

    // The site answers the backfill's first windows, then holds its answers until the test has
    // seen the backfill part-way. (A fixed delay per answer raced the machine: on a loaded one, the
    // backfill could end before the Status screen was up to show it.)
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    t.after(release);
    pra.injectFaults([{ kind: 'slow', delayMs: 0, count: 2 }, { kind: 'held', until: held, count: 1_000 }]);
    await page.getByTestId(`site-run-${id}`).click();
    await toast(page, 'Run started for Backfill');
    await page.getByTestId('nav-status').click();
    const card = page.getByTestId(`status-site-${id}`);
    await card.waitFor();
    assert.equal(await card.getAttribute('data-site-name'), 'Backfill');
    // Part-way: a percentage above 0 and below 100 % while the site catches up.
    // (A locator, not waitForFunction: the app's CSP forbids the eval that one needs.)
    await page.getByTestId(`backfill-percent-${id}`).filter({ hasText: /^(?!100%|0%)\d+(\.\d+)?%$/ }).waitFor({ timeout: 30_000 });
    await shot(page, '6-backfill-running');
    release();
    await withData(page, `backfill-percent-${id}`, {}).filter({ hasText: /^100%$/ }).waitFor({ timeout: 60_000 });
    await withData(page, `status-state-${id}`, { state: 'idle' }).waitFor({ timeout: 30_000 });
    assert.equal(await page.getByTestId(`backfill-progress-${id}`).getAttribute('aria-valuenow'), '1');

    const seen = await page.evaluate<Seen>('globalThis.__e2eSeen');
    const numbers = seen.percents.filter((p) => /^\d/.test(p)).map((p) => Number.parseFloat(p));
    assert.ok(numbers.some((n) => n > 0 && n < 100), `a percentage between 0 and 100 was shown: ${seen.percents.join(' → ')}`);
    assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), `the percentage only rose: ${seen.percents.join(' → ')}`);
    assert.equal(numbers.at(-1), 100);
    const values = seen.valueNow.map(Number);
    assert.deepEqual(values, [...values].sort((a, b) => a - b), `aria-valuenow only rose: ${seen.valueNow.join(' → ')}`);
    assert.ok(values.every((v) => v >= 0 && v <= 1), 'aria-valuenow is a fraction');
    assert.ok(seen.states.includes('backfilling'), `the card said it was catching up: ${seen.states.join(' → ')}`);
    pra.clearFaults();
    t.diagnostic(`shown: ${seen.percents.join(' → ')}; states: ${seen.states.join(' → ')}`);

    // The counters, against the engine and the corpus.
    const counts = stack.engine.queries.siteCounts(id);
    assert.equal(counts.sessions, corpus.length, 'every session of the corpus stored');
    await page.getByTestId(`status-sessions-${id}`).filter({ hasText: new RegExp(`^${corpus.length}$`) }).waitFor();
    const fmt = (n: number) => new Intl.NumberFormat('en-US').format(n);
    await page.getByTestId(`status-events-${id}`).filter({ hasText: new RegExp(`^${fmt(counts.events)}$`) }).waitFor();

    // Shipping ran alongside: every event in Elasticsearch once; the outbox tiles say so.
    await until(() => es.count(STREAM) === counts.events, `${counts.events} documents in ${STREAM} (now ${es.count(STREAM)})`, 60_000);
    await until(() => stack.engine.queries.outboxCounts().pending === 0, 'an empty outbox');
    await page.getByTestId('outbox-sent').filter({ hasText: new RegExp(`^${fmt(counts.events)}$`) }).waitFor({ timeout: 30_000 });
    await page.getByTestId('outbox-pending').filter({ hasText: /^0$/ }).waitFor();

    // The chart (refreshed by the Refresh button) counts the events just stored.
    await page.getByTestId('status-refresh').click();
    await page.locator(`[data-testid="events-chart"][data-total="${counts.events}"]`).waitFor();
    assert.equal(await page.getByTestId('events-chart').getAttribute('data-bars'), '72');
    assert.match(await page.getByTestId('events-per-hour').innerText(), /Events collected per hour/);
    await shot(page, '6-backfill-complete');

    // Resume.
    await page.getByTestId('engine-pause-toggle').click();
    await page.getByTestId('paused-banner').waitFor({ state: 'detached' });
    assert.equal(stack.engine.scheduler.isPaused, false);

    // The sessions screen lists them; Enter on a row opens its events.
    await page.getByTestId('nav-sessions').click();
    await page.getByTestId('sessions-count').filter({ hasText: `${corpus.length} sessions` }).waitFor();
    const rows = page.getByTestId('session-row');
    assert.equal(await rows.count(), corpus.length);
    const lsids = new Set(await rows.evaluateAll((els) => els.map((e) => (e as unknown as { dataset: { lsid: string } }).dataset.lsid)));
    assert.deepEqual(lsids, new Set(corpus.map((s) => s.lsid)));
    await shot(page, '6-sessions', false);
    const first = rows.first();
    const lsid = (await first.getAttribute('data-lsid'))!;
    await first.focus();
    await page.keyboard.press('Enter');
    const drawer = page.getByRole('dialog', { name: `Session ${lsid}` });
    await drawer.waitFor();
    const stored = stack.engine.database.db.prepare('SELECT e.event_type FROM events e JOIN sessions s ON s.id = e.session_id WHERE s.site_id = ? AND s.lsid = ? ORDER BY e.ordinal').all(id, lsid) as { event_type: string }[];
    assert.ok(stored.length > 0);
    await drawer.getByTestId('session-events').waitFor();
    const eventRows = drawer.getByTestId('session-event');
    assert.equal(await eventRows.count(), stored.length);
    assert.match(await eventRows.first().innerText(), new RegExp(stored[0]!.event_type));
    await shot(page, '6-session-drawer', false);
    await drawer.getByTestId('session-drawer-close').click();
    await drawer.waitFor({ state: 'hidden' });
    assert.deepEqual(app.errors, []);
  });
});

// ── 7: needs attention ─────────────────────────────────────────────────────────────────────

describe('needs attention', () => {
  let pra: PraSimulator;
  let stack: Stack;
  let app: OpenedApp;

  before(async () => {
    const now = nowSeconds();
    pra = await startPraSimulator({
      clients: [{ clientId: 'rot', clientSecret: 'first-Secret-e2e-1a2b' }],
      sessions: generateCorpus({ seed: 'e2e-rotation', from: now - 6 * HOUR, to: now - HOUR, sessions: 15, inProgressShare: 0 }),
    });
    pra.addSession({ lsid: 'live-e2e', startTime: now - 2 * HOUR, endTime: null, events: [{ timestamp: now - 2 * HOUR + 1, eventType: 'Session Start' }] });
    stack = await startStack();
    app = await openApp(browser, stack.url);
  }, BOUNDED);
  after(async () => {
    await app?.close();
    await stack?.close();
    await pra?.close();
  }, BOUNDED);

  test('7. after the site\'s secret is rotated, a run shows the banner naming the site; the new secret through Edit clears it and the next run succeeds', BOUNDED, async () => {
    const { page } = app;
    // Set up through the UI; extraction runs in the background as soon as the site is saved.
    await page.getByTestId('first-run-add-site').click();
    const dialog = page.getByRole('dialog', { name: 'New site' });
    await dialog.waitFor();
    await fillSite(dialog, { name: 'Rotating', host: pra.host, clientId: 'rot', secret: 'first-Secret-e2e-1a2b', caFile: pra.caFile });
    await dialog.getByTestId('site-save-button').click();
    await dialog.waitFor({ state: 'hidden' });
    const id = stack.engine.sites.listSites()[0]!.id;
    await withData(page, `site-state-${id}`, { state: 'idle' }).waitFor({ timeout: 30_000 });
    await until(() => stack.engine.siteStatus(id)?.lastSuccessAt != null && !stack.engine.scheduler.isRunning(id), 'the first run');
    assert.ok(stack.engine.store.followed(id).some((f) => f.lsid === 'live-e2e'), 'the live session is followed');
    const liveEvents = () => (stack.engine.database.db.prepare("SELECT count(*) AS n FROM events e JOIN sessions s ON s.id = e.session_id WHERE s.site_id = ? AND s.lsid = 'live-e2e'").get(id) as { n: number }).n;
    assert.equal(liveEvents(), 1);
    const eventsBefore = stack.engine.queries.siteCounts(id).events;

    // The admin regenerates the secret on the appliance; the live session goes on.
    pra.rotateSecret('rot', 'second-Secret-e2e-3c4d');
    pra.appendEvents('live-e2e', [{ timestamp: nowSeconds() - 1, eventType: 'Chat Message', body: 'after the rotation' }]);
    await page.getByTestId(`site-run-${id}`).click();
    const banner = withData(page, 'needs-attention-banner', { 'site-id': String(id), 'site-name': 'Rotating' });
    await banner.waitFor({ timeout: 30_000 });
    assert.match(await banner.innerText(), /Rotating needs attention[\s\S]*Client ID or secret rejected/);
    await withData(page, `site-state-${id}`, { state: 'needs-attention' }).waitFor();
    const edit = banner.getByRole('button', { name: 'Edit site Rotating' });
    assert.equal(await edit.getAttribute('data-testid'), `needs-attention-edit-${id}`);
    await shot(page, '7-needs-attention-sites');
    await page.getByTestId('nav-status').click();
    await withData(page, `status-site-${id}`, { state: 'needs-attention', 'site-name': 'Rotating' }).waitFor();
    await page.getByTestId(`status-attention-${id}`).waitFor();
    assert.equal(await banner.count(), 1, 'the banner shows on every screen');
    await shot(page, '7-needs-attention-status');
    assert.match(stack.engine.siteStatus(id)!.needsAttention!, /Client ID or secret rejected/);

    // Edit from the banner, with the new secret.
    await edit.click();
    const editDialog = page.getByRole('dialog', { name: 'Edit site “Rotating”' });
    await editDialog.waitFor();
    await editDialog.getByTestId('site-client-secret').fill('second-Secret-e2e-3c4d');
    await editDialog.getByTestId('site-test-button').click();
    await withData(editDialog, 'site-test-summary', { result: 'ok' }).waitFor();
    await shot(page, '7-edit-new-secret');
    await editDialog.getByTestId('site-save-button').click();
    await editDialog.waitFor({ state: 'hidden' });
    await page.getByTestId('needs-attention-banner').waitFor({ state: 'detached' });
    assert.equal(stack.engine.siteStatus(id)!.needsAttention, null);
    assert.equal(await stack.engine.sites.getClientSecret(stack.engine.sites.getSite(id)), 'second-Secret-e2e-3c4d');
    const [editCall] = (await app.calls('sites.edit')) as { clientSecret: string | null }[];
    assert.equal(editCall!.clientSecret, 'second-Secret-e2e-3c4d');

    // The next run succeeds and takes what happened meanwhile.
    const lastSuccess = stack.engine.siteStatus(id)!.lastSuccessAt!;
    await page.getByTestId('nav-sites').click();
    await page.getByTestId(`site-run-${id}`).click();
    await until(() => (stack.engine.siteStatus(id)?.lastSuccessAt ?? '') > lastSuccess && !stack.engine.scheduler.isRunning(id), 'a successful run after the edit');
    assert.equal(stack.engine.siteStatus(id)!.lastError, null);
    assert.equal(liveEvents(), 2, 'the event logged while the site needed attention arrived');
    const eventsAfter = stack.engine.queries.siteCounts(id).events;
    assert.ok(eventsAfter > eventsBefore);
    await withData(page, `site-state-${id}`, { state: 'idle' }).waitFor();
    await page.getByTestId('nav-status').click();
    await withData(page, `status-site-${id}`, { state: 'idle' }).waitFor();
    await page.getByTestId(`status-events-${id}`).filter({ hasText: new RegExp(`^${new Intl.NumberFormat('en-US').format(eventsAfter)}$`) }).waitFor();
    assert.equal(await page.getByTestId(`status-error-${id}`).count(), 0);
    assert.equal(await page.getByTestId('needs-attention-banner').count(), 0);
    await shot(page, '7-resolved');
    await assertNoSecretLeft(app, ['first-Secret-e2e-1a2b', 'second-Secret-e2e-3c4d'], 'rotation');
    assert.deepEqual(app.errors, []);
  });
});

// ── 8: the transport's refusals, from a browser ───────────────────────────────────────────

describe('security through a real browser', () => {
  let stack: Stack;
  let foreign: Server;
  let foreignOrigin = '';

  before(async () => {
    stack = await startStack();
    foreign = createServer((_, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!doctype html><title>Another site</title><h1>Another site on this computer</h1>');
    });
    await new Promise<void>((resolve) => foreign.listen(0, '127.0.0.1', resolve));
    foreignOrigin = `http://127.0.0.1:${(foreign.address() as AddressInfo).port}`;
  }, BOUNDED);
  after(async () => {
    foreign?.closeAllConnections();
    await new Promise<void>((resolve) => (foreign ? foreign.close(() => resolve()) : resolve()));
    await stack?.close();
  }, BOUNDED);

  test('8. refused: a page without the token, a used token, an API call from a page of another origin, a foreign Host header', BOUNDED, async () => {
    // Without the token (a fresh browser profile), or with a wrong one: the public page loads, the API refuses, the page says what to do.
    const stranger = await browser.newContext();
    try {
      const page = await stranger.newPage();
      const bare = await page.goto(`${stack.origin}/`);
      assert.equal(bare?.status(), 200);
      await page.getByText(/has no session with “pra-ic ui”.*Open the address that “pra-ic ui” printed/).first().waitFor();
      await shot(page, '8-no-token');
      await page.goto('about:blank');
      await page.goto(`${stack.origin}/#token=not-the-token`);
      await page.getByText(/Refused: wrong token/).first().waitFor();
      assert.deepEqual(await stranger.cookies(), [], 'no cookie, ever');
      const api = await page.request.post(`${stack.origin}/api/invoke/sites.list`, { headers: { 'content-type': 'application/json', 'x-pra-ic-request': '1' }, data: '{}' });
      assert.equal(api.status(), 401);
    } finally {
      await stranger.close();
    }

    // The admin's browser: the printed address, traded for a session the page keeps (no cookie).
    const app = await openApp(browser, stack.url);
    try {
      assert.deepEqual(await app.context.cookies(), []);
      const authorization = await app.authorization();
      // The printed address works once: opened again (another window), it is refused, saying what to do.
      const late = await browser.newContext();
      try {
        const page = await late.newPage();
        await page.goto(stack.url);
        await page.getByText(/already used to open the UI/).first().waitFor();
      } finally {
        await late.close();
      }
      // Even the app's own origin needs the custom header for API calls.
      const headerless = await app.page.evaluate<number>(
        `fetch('/api/invoke/sites.list', { method: 'POST', headers: { 'content-type': 'application/json', authorization: ${JSON.stringify(authorization)} }, body: '{}' }).then((r) => r.status)`,
      );
      assert.equal(headerless, 403);

      // Another site on this computer (same host, another port: same-site, so a cookie would go along — there is none).
      const evil = await app.context.newPage();
      await evil.goto(`${foreignOrigin}/`);
      await shot(evil, '8-foreign-page');
      const seen: { status: number; method: string; cookie?: string; authorization?: string }[] = [];
      evil.on('response', (response) => {
        if (!response.url().startsWith(stack.origin)) return;
        void response.request().allHeaders().then((h) => seen.push({ status: response.status(), method: response.request().method(), cookie: h.cookie, authorization: h.authorization }));
      });
      const target = `${stack.origin}/api/invoke/engine.setPaused`;
      // A real API call needs the custom header, hence a CORS preflight: refused, the call never happens.
      const preflighted = await evil.evaluate<string>(
        `fetch(${JSON.stringify(target)}, { method: 'POST', credentials: 'include', headers: { 'content-type': 'application/json', 'x-pra-ic-request': '1' }, body: '{"paused":true}' }).then((r) => 'answered ' + r.status, (e) => 'failed: ' + e.message)`,
      );
      assert.match(preflighted, /^failed: /);
      // A "simple" request goes out without a preflight (the page cannot read the answer): refused by its Origin.
      const simple = await evil.evaluate<string>(
        `fetch(${JSON.stringify(target)}, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body: '{"paused":true}' }).then((r) => r.type, (e) => 'failed: ' + e.message)`,
      );
      assert.equal(simple, 'opaque');
      // The event stream from the other origin: refused too.
      const stream = await evil.evaluate<string>(
        `new Promise((resolve) => { const s = new EventSource(${JSON.stringify(`${stack.origin}/api/events`)}, { withCredentials: true }); s.onopen = () => { s.close(); resolve('open'); }; s.onerror = () => { s.close(); resolve('error'); }; })`,
      );
      assert.equal(stream, 'error');
      // (Refused for its Origin: nothing else could refuse it, and the engine stayed unpaused. Chromium
      // reports the Origin header of a request only when it adds cookies: with none to add, the header is not listed.)
      await until(() => seen.some((s) => s.status === 403 && s.method === 'POST'), 'the refused simple request');
      assert.ok(seen.every((s) => s.cookie === undefined && s.authorization === undefined), 'no credential travelled with the other page\'s requests');
      assert.ok(seen.every((s) => s.status === 403), `every answer to the other origin was 403: ${JSON.stringify(seen.map((s) => s.status))}`);
      assert.equal(stack.engine.scheduler.isPaused, false, 'the engine was not paused from another origin');
      assert.equal(await app.page.getByTestId('paused-banner').count(), 0);
      await evil.close();

      // A foreign Host header (DNS rebinding), with the right credential: refused; the real host answers.
      for (const host of [`evil.example:${stack.port}`, `rebind.attacker.test:${stack.port}`, `127.0.0.1.nip.io:${stack.port}`]) {
        const page = await rawRequest(stack.port, '/', { headers: { host, authorization } });
        assert.equal(page.status, 403, host);
        assert.match(page.body, /only answers requests addressed to its own loopback address/);
        const call = await rawRequest(stack.port, '/api/invoke/sites.list', { method: 'POST', body: '{}', headers: { host, authorization, 'content-type': 'application/json', 'x-pra-ic-request': '1' } });
        assert.equal(call.status, 403, `${host} (API)`);
        assert.equal(JSON.parse(call.body).ok, false);
      }
      const own = await rawRequest(stack.port, '/api/invoke/sites.list', { method: 'POST', body: '{}', headers: { authorization, 'content-type': 'application/json', 'x-pra-ic-request': '1' } });
      assert.equal(own.status, 200);
      assert.deepEqual(JSON.parse(own.body), { ok: true, result: [] });
      // The one refusal the app's page met is the header-less call above.
      assert.deepEqual(app.errors, ['console: Failed to load resource: the server responded with a status of 403 (Forbidden)']);
    } finally {
      await app.close();
    }
  });
});
