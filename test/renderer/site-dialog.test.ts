/**
 * The site dialog in real Chromium against a fake transport: live host normalisation, messages by
 * field (from the shared schema and from the engine's ApiError issues), the live Test, Save, and
 * the secret's handling (sent once, never in the DOM; kept on Edit when left empty).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { screenshot } from './support/browser.ts';
import type { PageGlobals } from './support/dom.ts';
import { calls, respond } from './support/fake-api.ts';
import { ATTENTION_REASON, LAB, PRODUCTION, config, siteStatus, siteTestSteps, status } from './support/fixtures.ts';
import { startHarness, type Harness } from './support/harness.ts';

let harness: Harness;
before(async () => {
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

const SECRET = 'S3cr3t-value-that-must-never-show-9f1c';

async function openNewDialog(page: Page) {
  await page.getByTestId('sites-new').click();
  const dialog = page.getByRole('dialog', { name: 'New site' });
  await dialog.waitFor();
  return dialog;
}

/** Everything the DOM holds as text or attribute, plus every input's current value. */
async function domText(page: Page): Promise<string> {
  const html = await page.content();
  const values = await page.evaluate<string>(`Array.from(document.querySelectorAll('input, textarea')).map((e) => e.value).join('\\n')`);
  return `${html}\n${values}`;
}

describe('site dialog', () => {
  test('a pasted URL is normalised as it is typed, with a notice under the Site URL field', async () => {
    const { page, errors } = await harness.open(config());
    const dialog = await openNewDialog(page);
    await dialog.getByLabel('Site URL').fill('https://access.example.com/login');
    const notice = dialog.getByTestId('site-host-notice');
    await notice.waitFor();
    const text = await notice.innerText();
    assert.match(text, /Removed “https:\/\/” and “\/login”/);
    assert.match(text, /the site is access\.example\.com/);
    await screenshot(page, 'site-dialog-new-notice', false);
    assert.deepEqual(errors, []);
  });

  test('an invalid host shows the error by the Site URL field', async () => {
    const { page } = await harness.open(config());
    const dialog = await openNewDialog(page);
    await dialog.getByLabel('Site URL').fill('http://access.example.com');
    const message = dialog.getByTestId('site-host-message');
    await message.waitFor();
    assert.match(await message.innerText(), /“http:\/\/” is not supported/);
    assert.equal(await dialog.getByLabel('Site URL').getAttribute('aria-invalid'), 'true');
    await dialog.getByLabel('Site URL').fill('access_example.com');
    assert.match(await message.innerText(), /underscore/);
    // Fixing it removes the message.
    await dialog.getByLabel('Site URL').fill('access.example.com');
    await message.waitFor({ state: 'detached' });
  });

  test('Save with an empty name and client ID shows the messages by those fields and sends nothing', async () => {
    const { page } = await harness.open(config());
    const dialog = await openNewDialog(page);
    // Nothing is shown before the user has done anything.
    assert.equal(await dialog.getByTestId('site-name-message').count(), 0);
    await dialog.getByLabel('Site URL').fill('access.example.com');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByTestId('site-name-message').waitFor();
    assert.match(await dialog.getByTestId('site-name-message').innerText(), /Enter a name for the site/);
    assert.match(await dialog.getByTestId('site-client-id-message').innerText(), /Enter the API account's Client ID/);
    assert.match(await dialog.getByTestId('site-client-secret-message').innerText(), /Client secret/);
    assert.equal(await dialog.getByTestId('site-host-message').count(), 0);
    // The first field at fault has the focus.
    await page.waitForFunction(`document.activeElement && document.activeElement.id === 'site-name'`);
    await screenshot(page, 'site-dialog-new-errors', false);
    assert.deepEqual(await calls(page, 'sites.add'), []);
  });

  test('an advanced field in error opens the Advanced settings and shows its message', async () => {
    const { page } = await harness.open(config());
    const dialog = await openNewDialog(page);
    await dialog.getByTestId('site-advanced').click();
    await dialog.getByLabel('Poll interval').fill('5');
    await dialog.getByLabel('Name').click();
    const message = dialog.getByTestId('site-poll-interval-message');
    await message.waitFor();
    assert.match(await message.innerText(), /has no unit/);
    assert.doesNotMatch(await message.innerText(), /^Poll interval:/);
  });

  test('Test shows each step live, then all passed; the draft carries the normalised values and the secret', async () => {
    // A second between steps: each intermediate state stays long enough to be seen on a loaded machine.
    const { page } = await harness.open(config({}, { tests: { 'sites.test': { ok: true, steps: siteTestSteps(), stepDelayMs: 1000 } } }));
    const dialog = await openNewDialog(page);
    await dialog.getByLabel('Site URL').fill('https://access.example.com/login');
    await dialog.getByLabel('Client ID').fill('  9f3e2c1b  ');
    await dialog.getByLabel('Client secret').fill(SECRET);
    await dialog.getByRole('button', { name: 'Test' }).click();
    // Live: the steps change one by one as the events arrive, before the Test call returns.
    const statuses = (steps: string) =>
      // A function, not a string: the page's CSP forbids eval. (No DOM types here: the root tsconfig is Node's.)
      page.waitForFunction(
        (expected: string) =>
          Array.from((globalThis as unknown as PageGlobals).document.querySelectorAll('[data-testid="site-test-steps"] > li'))
            .map((e) => e.dataset.status)
            .join(' ') === expected,
        steps,
        { polling: 'raf', timeout: 20_000 },
      );
    // Six steps: the backup permission step (issue #15) is the last, run or skipped by the engine.
    await statuses('running pending pending pending pending pending');
    await statuses('ok running pending pending pending pending');
    await statuses('ok ok running pending pending pending');
    await screenshot(page, 'site-dialog-test-running', false);
    assert.equal(await dialog.getByTestId('site-test-summary').count(), 0);
    await dialog.locator('[data-testid="site-test-summary"][data-result="ok"]').waitFor();
    for (const id of ['dns', 'tls', 'token', 'reporting', 'clock']) {
      assert.equal(await dialog.getByTestId(`test-step-${id}`).getAttribute('data-status'), 'ok', id);
    }
    assert.match(await dialog.getByTestId('test-step-token-detail').innerText(), /accepted/);
    await screenshot(page, 'site-dialog-test-ok', false);
    const [call] = await calls(page, 'sites.test');
    assert.ok(call);
    assert.equal(typeof call.testId, 'string');
    assert.equal(call.id, undefined);
    assert.equal(call.clientSecret, SECRET);
    assert.equal((call.draft as Record<string, unknown>).host, 'access.example.com');
    assert.equal((call.draft as Record<string, unknown>).clientId, '9f3e2c1b');
    assert.equal((call.draft as Record<string, unknown>).pollIntervalSeconds, 300);
  });

  test('a failed sign-in shows the failed step with its detail and the later steps skipped', async () => {
    const { page } = await harness.open(config({}, { tests: { 'sites.test': { ok: false, steps: siteTestSteps('token'), stepDelayMs: 30 } } }));
    const dialog = await openNewDialog(page);
    await dialog.getByLabel('Site URL').fill('access.example.com');
    await dialog.getByLabel('Client ID').fill('9f3e2c1b');
    await dialog.getByLabel('Client secret').fill('wrong');
    await dialog.getByRole('button', { name: 'Test' }).click();
    await dialog.locator('[data-testid="site-test-summary"][data-result="failed"]').waitFor();
    assert.equal(await dialog.getByTestId('test-step-tls').getAttribute('data-status'), 'ok');
    assert.equal(await dialog.getByTestId('test-step-token').getAttribute('data-status'), 'failed');
    assert.match(await dialog.getByTestId('test-step-token-detail').innerText(), /rejected the Client ID and secret/);
    assert.equal(await dialog.getByTestId('test-step-reporting').getAttribute('data-status'), 'skipped');
    assert.equal(await dialog.getByTestId('test-step-clock').getAttribute('data-status'), 'skipped');
    assert.match(await dialog.getByTestId('site-test-summary').innerText(), /Sign-in with client ID and secret/);
    await screenshot(page, 'site-dialog-test-failed', false);
  });

  test('Save sends sites.add with the normalised values and the secret, which never reaches the DOM', async () => {
    const added = { ...PRODUCTION, id: 7, name: 'Head office', host: 'access.example.com' };
    const { page, errors } = await harness.open(config({ 'sites.list': [], 'sites.add': added }));
    await page.getByTestId('first-run-add-site').click();
    const dialog = page.getByRole('dialog', { name: 'New site' });
    await dialog.getByLabel('Name').fill('  Head office ');
    await dialog.getByLabel('Site URL').fill('HTTPS://Access.Example.com:443/');
    await dialog.getByLabel('Client ID').fill('9f3e2c1b');
    await dialog.getByLabel('Client secret').fill(SECRET);
    await dialog.getByTestId('site-advanced').click();
    await dialog.getByLabel('Initial interval').fill('7d');
    await dialog.getByLabel('Proxy URL').fill('http://proxy.example.com:3128');
    assert.ok(!(await page.content()).includes(SECRET), 'the secret is not an attribute of the input');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const [call] = await calls(page, 'sites.add');
    assert.ok(call);
    assert.equal(call.clientSecret, SECRET);
    assert.deepEqual(call.site, {
      name: 'Head office',
      host: 'access.example.com',
      clientId: '9f3e2c1b',
      enabled: true,
      initialIntervalSeconds: 7 * 86_400,
      pollIntervalSeconds: 300,
      timeoutSeconds: 30,
      caFile: null,
      proxyUrl: 'http://proxy.example.com:3128',
      backupSchedule: 'off',
      keepBackups: 30,
    });
    // No backup password typed: none is sent.
    assert.equal(call.backupPassword, undefined);
    // The new site is listed, and the secret is nowhere in the page.
    await page.getByTestId('site-row-7').waitFor();
    assert.ok(!(await domText(page)).includes(SECRET));
    assert.deepEqual(errors, []);
  });

  test('Edit says the secret is stored; Save without a new one keeps it (clientSecret null)', async () => {
    const { page } = await harness.open(config({ 'sites.edit': { ...LAB, pollIntervalSeconds: 600 } }));
    await page.getByTestId('site-edit-2').click();
    const dialog = page.getByRole('dialog', { name: 'Edit site “Lab”' });
    await dialog.waitFor();
    assert.equal(await dialog.getByLabel('Client secret').getAttribute('placeholder'), 'Stored — leave empty to keep');
    assert.equal(await dialog.getByLabel('Name').inputValue(), 'Lab');
    assert.equal(await dialog.getByLabel('Site URL').inputValue(), 'pra-lab.example.net:8443');
    await dialog.getByTestId('site-advanced').click();
    assert.equal(await dialog.getByLabel('Initial interval').inputValue(), '30d');
    await dialog.getByLabel('Poll interval').fill('10m');
    await screenshot(page, 'site-dialog-edit', false);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const [call] = await calls(page, 'sites.edit');
    assert.ok(call);
    assert.equal(call.id, 2);
    assert.equal(call.clientSecret ?? null, null);
    assert.equal((call.patch as Record<string, unknown>).pollIntervalSeconds, 600);
    assert.equal((call.patch as Record<string, unknown>).host, 'pra-lab.example.net:8443');
  });

  test('Test on Edit uses the stored secret: the call carries the id and no secret', async () => {
    const { page } = await harness.open(config({}, { tests: { 'sites.test': { ok: true, steps: siteTestSteps(), stepDelayMs: 10 } } }));
    await page.getByTestId('site-edit-1').click();
    const dialog = page.getByRole('dialog', { name: 'Edit site “Production”' });
    await dialog.getByRole('button', { name: 'Test' }).click();
    await dialog.locator('[data-testid="site-test-summary"][data-result="ok"]').waitFor();
    const [call] = await calls(page, 'sites.test');
    assert.ok(call);
    assert.equal(call.id, 1);
    assert.equal(call.clientSecret, undefined);
    assert.equal((call.draft as Record<string, unknown>).name, 'Production');
  });

  test("the engine's issues land by the fields they concern; the rest in the dialog's message bar", async () => {
    const { page } = await harness.open(
      config({
        'sites.add': {
          __error: {
            code: 'invalid-input',
            message: 'The site was not added.',
            issues: [
              { field: 'site.name', message: 'Name: A site named “Production” already exists: choose another name.' },
              { field: 'site.host', message: 'The site access.example.com is already configured as “Production”.' },
              { field: null, message: 'The keychain is locked: unlock it and try again.' },
            ],
          },
        },
      }),
    );
    const dialog = await openNewDialog(page);
    await dialog.getByLabel('Name').fill('Production');
    await dialog.getByLabel('Site URL').fill('access.example.com');
    await dialog.getByLabel('Client ID').fill('9f3e2c1b');
    await dialog.getByLabel('Client secret').fill(SECRET);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.getByTestId('site-name-message').waitFor();
    assert.equal(await dialog.getByTestId('site-name-message').innerText(), 'A site named “Production” already exists: choose another name.');
    assert.match(await dialog.getByTestId('site-host-message').innerText(), /already configured as “Production”/);
    assert.match(await dialog.getByTestId('site-dialog-error').innerText(), /keychain is locked/);
    await screenshot(page, 'site-dialog-server-issues', false);
    // Changing the name clears its message; the dialog stays open with what was typed.
    await dialog.getByLabel('Name').fill('Production 2');
    await dialog.getByTestId('site-name-message').waitFor({ state: 'detached' });
    assert.equal(await dialog.getByLabel('Site URL').inputValue(), 'access.example.com');
  });

  test('the needs-attention banner opens the Edit dialog of that site', async () => {
    const { page } = await harness.open(
      config({
        'status.get': status([siteStatus(PRODUCTION), siteStatus(LAB, { state: 'needs-attention', needsAttention: ATTENTION_REASON })], {
          outbox: { pending: 0, sent: 10, failed: 0 },
        }),
      }),
    );
    await page.getByRole('button', { name: 'Edit site Lab' }).first().click();
    await page.getByRole('dialog', { name: 'Edit site “Lab”' }).waitFor();
    await respond(page, 'sites.edit', LAB);
  });
});
