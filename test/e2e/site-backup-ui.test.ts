/**
 * End to end, in real Chromium against a real engine (pra-ic ui's HTTP transport): the site dialog's
 * backup settings are stored, the backup password goes to the OS keychain and never comes back in
 * an answer; on Edit it shows as stored, is kept when left empty, and is removed when asked.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { secretAccounts } from '../../electron/engine/secrets/secret-store.ts';
import { launchChromium } from '../renderer/support/browser.ts';
import { buildRenderer } from '../renderer/support/build.ts';
import { assertNoSecretLeft, openApp, shot } from './support/app.ts';
import { startStack, type Stack } from './support/stack.ts';

const BOUNDED = { timeout: 120_000 };
const SECRET = 'e2e-client-Secret-31c9-never-shown';
const BACKUP_PASSWORD = 'e2e-Backup-pw-8d20-never-shown';
let browser: Browser;
let stack: Stack;

before(async () => {
  [browser] = await Promise.all([launchChromium(), buildRenderer()]);
  stack = await startStack({ extract: false });
}, BOUNDED);
after(async () => {
  await stack?.close();
  await browser?.close();
}, BOUNDED);

describe('site dialog backups against the engine', () => {
  test('daily backups, keep 14, a backup password: stored in the keychain, kept on Edit, then removed', BOUNDED, async () => {
    const app = await openApp(browser, stack.url);
    const { page } = app;
    await page.getByTestId('first-run-add-site').click();
    const dialog = page.getByRole('dialog', { name: 'New site' });
    await dialog.getByTestId('site-name').fill('Vault');
    await dialog.getByTestId('site-host').fill('vault.example.com');
    await dialog.getByTestId('site-client-id').fill('e2e-client');
    await dialog.getByTestId('site-client-secret').fill(SECRET);
    await dialog.getByRole('radio', { name: 'Daily' }).check();
    await dialog.getByLabel('Backups to keep').fill('14');
    await dialog.getByLabel('Backup password (optional)').fill(BACKUP_PASSWORD);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const [site] = stack.engine.sites.listSites();
    assert.ok(site);
    assert.equal(site.backupSchedule, 'daily');
    assert.equal(site.keepBackups, 14);
    const account = secretAccounts.siteBackupPassword(stack.engine.installId, site.id);
    assert.equal(await stack.engine.secrets.get(account), BACKUP_PASSWORD);
    await assertNoSecretLeft(app, [SECRET, BACKUP_PASSWORD], 'after adding the site');

    // Edit: shown as stored; Save with the field empty keeps it.
    await page.getByTestId(`site-edit-${site.id}`).click();
    const edit = page.getByRole('dialog', { name: 'Edit site “Vault”' });
    assert.equal(await edit.getByLabel('Backup password (optional)').getAttribute('placeholder'), 'Stored — leave empty to keep');
    assert.equal(await edit.getByRole('radio', { name: 'Daily' }).isChecked(), true);
    assert.equal(await edit.getByLabel('Backups to keep').inputValue(), '14');
    await shot(page, 'site-dialog-backups-edit', false);
    await edit.getByRole('radio', { name: 'Weekly' }).check();
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
    assert.equal(stack.engine.sites.listSites()[0]?.backupSchedule, 'weekly');
    assert.equal(await stack.engine.secrets.get(account), BACKUP_PASSWORD);

    // Remove it.
    await page.getByTestId(`site-edit-${site.id}`).click();
    await edit.getByTestId('site-backup-password-clear').check();
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
    assert.equal(await stack.engine.secrets.get(account), null);
    await page.getByTestId(`site-edit-${site.id}`).click();
    assert.equal(await edit.getByLabel('Backup password (optional)').getAttribute('placeholder'), null);
    assert.equal(await edit.getByTestId('site-backup-password-clear').count(), 0);
    await assertNoSecretLeft(app, [SECRET, BACKUP_PASSWORD], 'after the edits');
    assert.deepEqual(app.errors.filter((e) => !/404/.test(e)), []);
    await app.close();
  });
});
