/**
 * The site dialog's backup settings in real Chromium against a fake transport: backups off / daily
 * / weekly and how many to keep, and the optional backup password — sent only in `backupPassword`
 * (never in the site's fields, never in the DOM), kept on Edit when left empty, removable.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { ARCHIVE_VIEW_SET } from './support/archive-fixtures.ts';
import { screenshot } from './support/browser.ts';
import { calls } from './support/fake-api.ts';
import { LAB, PRODUCTION, config, site, siteTestSteps } from './support/fixtures.ts';
import { startHarness, type Harness } from './support/harness.ts';

let harness: Harness;
before(async () => {
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

const SECRET = 'client-secret-7c1e55';
const BACKUP_PASSWORD = 'Backup-pw that must never show 4e2d';

/** Everything the DOM holds as text or attribute, plus every input's current value. */
async function domText(page: Page): Promise<string> {
  const html = await page.content();
  const values = await page.evaluate<string>(`Array.from(document.querySelectorAll('input, textarea')).map((e) => e.value).join('\\n')`);
  return `${html}\n${values}`;
}

/** A site with backups set up and a backup password stored in the keychain. */
/** A site Test with backups on: the engine adds a step that says whether the account may take backups. */
const BACKUP_STEP = { id: 'backup', title: 'Permission to take site backups', status: 'ok' as const, detail: 'The API account may take site backups: the site started sending one with the backup password.', durationMs: 480 };
const WITH_BACKUP_STEP = [...siteTestSteps().filter((s) => s.id !== 'backup'), BACKUP_STEP];

const BACKED_UP = site(4, 'Vault', 'vault.example.com', { backupSchedule: 'weekly', keepBackups: 8, backupPasswordStored: true });

describe('site dialog: backups', () => {
  test('a new site: backups off by default; daily, keep 14 and a password go to sites.add, the password only as backupPassword', async () => {
    const added = site(9, 'Production', 'access.example.com', { backupSchedule: 'daily', keepBackups: 14, backupPasswordStored: true });
    const { page, errors } = await harness.open(
      config({ 'sites.list': [LAB], 'sites.add': added, 'archive.get': ARCHIVE_VIEW_SET }, { tests: { 'sites.test': { ok: true, steps: WITH_BACKUP_STEP, stepDelayMs: 10 } } }),
    );
    await page.getByTestId('sites-new').click();
    const dialog = page.getByRole('dialog', { name: 'New site' });
    await dialog.waitFor();
    assert.equal(await dialog.getByRole('radio', { name: 'Off' }).isChecked(), true);
    assert.equal(await dialog.getByLabel('Backups to keep').inputValue(), '30');
    assert.equal(await dialog.getByLabel('Backups to keep').isDisabled(), true);
    // A new site has no stored password to keep or remove.
    assert.equal(await dialog.getByTestId('site-backup-password-clear').count(), 0);
    assert.equal(await dialog.getByTestId('site-backup-password').getAttribute('placeholder'), null);

    await dialog.getByLabel('Name').fill('Production');
    await dialog.getByLabel('Site URL').fill('access.example.com');
    await dialog.getByLabel('Client ID').fill('9f3e2c1b');
    await dialog.getByLabel('Client secret').fill(SECRET);
    await dialog.getByRole('radio', { name: 'Daily' }).check();
    await dialog.getByLabel('Backups to keep').fill('14');
    await dialog.getByLabel('Backup password (optional)').fill(BACKUP_PASSWORD);
    // An archive folder is set: no warning.
    assert.equal(await dialog.getByTestId('site-backups-no-archive').count(), 0);

    await dialog.getByRole('button', { name: 'Test' }).click();
    await dialog.locator('[data-testid="site-test-summary"][data-result="ok"]').waitFor();
    const [testCall] = await calls(page, 'sites.test');
    assert.equal(testCall?.backupPassword, BACKUP_PASSWORD);
    assert.equal((testCall?.draft as Record<string, unknown>).backupSchedule, 'daily');
    assert.ok(!JSON.stringify(testCall?.draft).includes(BACKUP_PASSWORD));
    assert.equal(await dialog.getByTestId('test-step-backup').getAttribute('data-status'), 'ok');
    assert.match(await dialog.getByTestId('test-step-backup-detail').innerText(), /may take site backups/);
    await screenshot(page, 'site-dialog-backups', false);
    // For the README: tall enough for the whole dialog, from its name to its verdict.
    await page.setViewportSize({ width: 1280, height: 1280 });
    await screenshot(page, 'site-dialog-backups-tall', false);

    // Typed secrets live only in the password inputs' values, never in the page's HTML.
    const html = await page.content();
    assert.ok(!html.includes(BACKUP_PASSWORD), 'the backup password is in the HTML');

    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const [call] = await calls(page, 'sites.add');
    assert.ok(call);
    assert.equal(call.backupPassword, BACKUP_PASSWORD);
    assert.equal(call.clientSecret, SECRET);
    assert.equal((call.site as Record<string, unknown>).backupSchedule, 'daily');
    assert.equal((call.site as Record<string, unknown>).keepBackups, 14);
    assert.ok(!JSON.stringify(call.site).includes(BACKUP_PASSWORD), 'the password is among the site fields');
    // Nothing in the page holds the password once the dialog is gone.
    assert.ok(!(await domText(page)).includes(BACKUP_PASSWORD));
    assert.deepEqual(errors, []);
  });

  test('Edit: a stored password shows as stored and is kept when left empty; a typed one replaces it', async () => {
    const { page } = await harness.open(config({ 'sites.list': [PRODUCTION, BACKED_UP], 'sites.edit': BACKED_UP, 'archive.get': ARCHIVE_VIEW_SET }));
    await page.getByTestId('site-edit-4').click();
    const dialog = page.getByRole('dialog', { name: 'Edit site “Vault”' });
    await dialog.waitFor();
    assert.equal(await dialog.getByRole('radio', { name: 'Weekly' }).isChecked(), true);
    assert.equal(await dialog.getByLabel('Backups to keep').inputValue(), '8');
    const password = dialog.getByLabel('Backup password (optional)');
    assert.equal(await password.getAttribute('placeholder'), 'Stored — leave empty to keep');
    assert.equal(await password.inputValue(), '');
    assert.match(await dialog.getByTestId('site-backups').innerText(), /Type a new password only to replace the stored one/);
    await screenshot(page, 'site-dialog-edit-backups', false);

    // Left empty: kept (null), nothing cleared.
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    let [call] = await calls(page, 'sites.edit');
    assert.equal(call?.backupPassword, null);
    assert.equal(call?.clearBackupPassword, undefined);
    assert.equal((call?.patch as Record<string, unknown>).backupSchedule, 'weekly');

    // Typed: replaces it.
    await page.getByTestId('site-edit-4').click();
    await dialog.waitFor();
    await password.fill('new-backup-password');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    [, call] = await calls(page, 'sites.edit');
    assert.equal(call?.backupPassword, 'new-backup-password');
    assert.equal(call?.clearBackupPassword, undefined);
  });

  test('Edit: "Remove the stored backup password" clears it, and no password is sent with it', async () => {
    const { page } = await harness.open(config({ 'sites.list': [BACKED_UP], 'sites.edit': { ...BACKED_UP, backupPasswordStored: false } }));
    await page.getByTestId('site-edit-4').click();
    const dialog = page.getByRole('dialog', { name: 'Edit site “Vault”' });
    await dialog.waitFor();
    const password = dialog.getByLabel('Backup password (optional)');
    await password.fill('typed-then-removed');
    await dialog.getByTestId('site-backup-password-clear').check();
    assert.equal(await password.isDisabled(), true);
    assert.equal(await password.inputValue(), '');
    assert.match(await dialog.getByTestId('site-backups').innerText(), /removed on Save/);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const [call] = await calls(page, 'sites.edit');
    assert.equal(call?.clearBackupPassword, true);
    assert.equal(call?.backupPassword, null);
    assert.ok(!JSON.stringify(call).includes('typed-then-removed'));
  });

  test('how many to keep is checked by its field; backups without an archive folder say where to set one', async () => {
    const { page } = await harness.open(config({ 'sites.list': [LAB] }));
    await page.getByTestId('site-edit-2').click();
    const dialog = page.getByRole('dialog', { name: 'Edit site “Lab”' });
    await dialog.waitFor();
    assert.equal(await dialog.getByTestId('site-backups-no-archive').count(), 0);
    await dialog.getByRole('radio', { name: 'Daily' }).check();
    // The default fixture has no archive folder: the dialog says backups wait for one.
    await dialog.getByTestId('site-backups-no-archive').waitFor();
    assert.match(await dialog.getByTestId('site-backups-no-archive').innerText(), /Archive tab/);
    await dialog.getByLabel('Backups to keep').fill('0');
    await dialog.getByRole('button', { name: 'Save' }).click();
    assert.match(await dialog.getByTestId('site-keep-backups-message').innerText(), /at least 1/);
    await dialog.getByLabel('Backups to keep').fill('many');
    assert.match(await dialog.getByTestId('site-keep-backups-message').innerText(), /whole number from 1 to 1000/);
    assert.deepEqual(await calls(page, 'sites.edit'), []);
    await dialog.getByLabel('Backups to keep').fill('45');
    await dialog.getByTestId('site-keep-backups-message').waitFor({ state: 'detached' });
  });
});
