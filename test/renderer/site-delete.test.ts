/**
 * Deleting a site that still has undelivered events (issue 17, item 2): the engine refuses with
 * the count, the dialog says so and offers to delete anyway, discarding them; and the sites list's
 * warning about two sites on one appliance (item 16) — in real Chromium against the fake transport.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { calls, respond } from './support/fake-api.ts';
import { EMEA, LAB, PRODUCTION, config, site, siteStatus, status } from './support/fixtures.ts';
import { startHarness, type Harness } from './support/harness.ts';

let harness: Harness;
before(async () => {
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

const REFUSED = {
  __error: {
    code: 'conflict' as const,
    message: '“EMEA” still has 1,234 events not yet delivered (…). Removing it now would discard them: deliver them first, or remove the site anyway, discarding them.',
    undelivered: { total: 1234, parts: [{ kind: 'events-pending' as const, count: 1200 }, { kind: 'events-failed' as const, count: 34 }] },
  },
};

describe('delete a site with undelivered events', () => {
  test('the dialog says how many are undelivered and deletes only when asked to discard them', async () => {
    const { page, errors } = await harness.open(config({ 'sites.remove': REFUSED }));
    await page.getByRole('button', { name: 'Delete EMEA' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Delete “EMEA”?' });
    await dialog.waitFor();
    await dialog.getByTestId('delete-site-confirm').click();
    const warning = dialog.getByTestId('delete-site-undelivered');
    await warning.waitFor();
    const text = await warning.innerText();
    assert.match(text, /1,234 events not yet delivered \(1,200 waiting to be sent to Elasticsearch, 34 rejected by Elasticsearch/);
    assert.match(text, /discards them/);
    // Refused: the site is still listed, and the only way on is the explicit discard.
    assert.equal(await page.getByTestId('site-row-3').count(), 1);
    assert.equal(await dialog.getByTestId('delete-site-confirm').count(), 0);
    const discard = dialog.getByTestId('delete-site-discard');
    assert.equal(await discard.innerText(), 'Delete and discard 1,234 events');

    await respond(page, 'sites.remove', { id: 3 });
    await discard.click();
    await page.getByTestId('site-row-3').waitFor({ state: 'detached' });
    assert.deepEqual(await calls(page, 'sites.remove'), [{ id: 3 }, { id: 3, discardPending: true }]);
    assert.deepEqual(errors, []);
  });

  test('cancel after the refusal deletes nothing, and the next delete asks again', async () => {
    const { page } = await harness.open(config({ 'sites.remove': REFUSED }));
    await page.getByRole('button', { name: 'Delete EMEA' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Delete “EMEA”?' });
    await dialog.getByTestId('delete-site-confirm').click();
    await dialog.getByTestId('delete-site-undelivered').waitFor();
    await dialog.getByTestId('delete-site-cancel').click();
    await dialog.waitFor({ state: 'detached' });
    await page.getByRole('button', { name: 'Delete EMEA' }).click();
    await dialog.waitFor();
    assert.equal(await dialog.getByTestId('delete-site-undelivered').count(), 0);
    assert.equal(await dialog.getByTestId('delete-site-confirm').count(), 1);
    assert.deepEqual(await calls(page, 'sites.remove'), [{ id: 3 }]);
    assert.equal(await page.getByTestId('site-row-3').count(), 1);
  });
});

describe('sites on one appliance', () => {
  test('the sites list warns when two sites pull from the same host', async () => {
    const copy = site(4, 'Production copy', 'ACCESS.example.com');
    const sites = [PRODUCTION, LAB, EMEA, copy];
    const { page, errors } = await harness.open(config({ 'sites.list': sites, 'status.get': status(sites.map((s) => siteStatus(s))) }));
    const warning = page.getByTestId('same-host-warning');
    await warning.waitFor();
    const text = await warning.innerText();
    assert.match(text, /Production and Production copy \(access\.example\.com\): each site reads every session again/);
    assert.doesNotMatch(text, /Lab|EMEA/);
    assert.deepEqual(errors, []);
  });

  test('no warning when every site has its own host', async () => {
    const { page } = await harness.open(config());
    await page.getByTestId('site-row-3').waitFor();
    assert.equal(await page.getByTestId('same-host-warning').count(), 0);
  });
});
