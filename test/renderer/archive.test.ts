/**
 * The Archive screen in real Chromium against a fake transport: the status after a run (counts in
 * readable sizes, failures with their reasons and Retry, each site's backups with Back up now), a
 * pause for a full disk and a backfill's progress kept live by `archive` events, the settings with
 * their checks and the live folder Test, Save and Turn off, and the Status screen's summary.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { screenshot } from './support/browser.ts';
import type { PageGlobals } from './support/dom.ts';
import {
  ARCHIVE_BACKFILL,
  ARCHIVE_DIR,
  ARCHIVE_IDLE,
  ARCHIVE_PAUSED,
  ARCHIVE_VIEW_SET,
  ARCHIVE_WITH_FAILURES,
  DISK_FULL_REASON,
  archiveTestSteps,
} from './support/archive-fixtures.ts';
import { calls, emit, respond } from './support/fake-api.ts';
import { ARCHIVE_VIEW_OFF, EMEA, LAB, PRODUCTION, config, siteStatus, status } from './support/fixtures.ts';
import { startHarness, type Harness } from './support/harness.ts';

let harness: Harness;
before(async () => {
  harness = await startHarness();
});
after(async () => {
  await harness?.close();
});

const text = (page: Page, testId: string) => page.getByTestId(testId).innerText();

/** Waits until the archive Test's steps show exactly these statuses, in order. */
function stepStatuses(page: Page, expected: string) {
  return page.waitForFunction(
    (want: string) =>
      Array.from((globalThis as unknown as PageGlobals).document.querySelectorAll('[data-testid="archive-test-steps"] > li'))
        .map((e) => e.dataset.status)
        .join(' ') === want,
    expected,
    { polling: 'raf', timeout: 20_000 },
  );
}

describe('archive screen', () => {
  test('after a run: files and bytes written, pending, expired, free space, failures with reasons, and Retry', async () => {
    const { page, errors } = await harness.open(config({ 'archive.get': ARCHIVE_VIEW_SET, 'archive.status': ARCHIVE_WITH_FAILURES, 'archive.retryFailed': { retried: 2 } }), {
      screen: 'archive',
    });
    await page.getByTestId('archive-counts').waitFor();
    assert.equal(await text(page, 'archive-state'), 'Archiving');
    assert.equal(await text(page, 'archive-written'), '18,432');
    assert.equal(await text(page, 'archive-written-sub'), '743 GB');
    assert.equal(await text(page, 'archive-pending'), '2');
    assert.equal(await text(page, 'archive-expired'), '37');
    assert.equal(await text(page, 'archive-failed'), '2');
    assert.equal(await text(page, 'archive-free'), '1.8 TB');
    assert.equal(await text(page, 'archive-status-dir'), ARCHIVE_DIR);
    const rows = page.getByTestId('archive-failure');
    assert.equal(await rows.count(), 2);
    assert.match(await rows.nth(0).innerText(), /Recording · Production[\s\S]*c5f29a41e1d94b7fa0c30007[\s\S]*stopped after 412\.0 MB of 1\.9 GB[\s\S]*3 attempts/);
    assert.match(await rows.nth(1).innerText(), /Command-shell recording 2 · Lab[\s\S]*HTML page \(HTTP 502[\s\S]*After Retry[\s\S]*6 attempts/);
    // Each site's backups: schedule, newest file, kept, and its error.
    assert.match(await page.getByTestId('archive-backup-1').innerText(), /Production\s+Daily, keep 30[\s\S]*access\.example\.com-20261206-020000Z\.nsb[\s\S]*30/);
    assert.match(await text(page, 'archive-backup-error-2'), /no permission to create backups/);
    assert.match(await page.getByTestId('archive-backup-3').innerText(), /EMEA\s+Off\s+Never/);
    // No progress bar when nothing is downloading.
    assert.equal(await page.getByTestId('archive-progress').count(), 0);
    await screenshot(page, 'archive-failures');

    // Retry: the engine is asked once; the reloaded status has no failure left.
    await respond(page, 'archive.status', ARCHIVE_IDLE);
    await page.getByTestId('archive-retry').click();
    await page.locator('[data-testid="archive-failed"]', { hasText: /^0$/ }).waitFor();
    assert.equal((await calls(page, 'archive.retryFailed')).length, 1);
    assert.equal(await page.getByTestId('archive-failures').count(), 0);
    assert.equal(await page.getByTestId('archive-retry').isDisabled(), true);
    assert.match(await page.getByTestId('toast').first().innerText(), /Retrying 2 files/);
    assert.deepEqual(errors, []);
  });

  test('a backfill shows its progress, live; a full disk pauses with its reason; it resumes', async () => {
    const { page } = await harness.open(config({ 'archive.get': ARCHIVE_VIEW_SET, 'archive.status': ARCHIVE_BACKFILL }), { screen: 'archive' });
    await page.getByTestId('archive-progress').waitFor();
    assert.equal(await text(page, 'archive-state'), 'Downloading');
    assert.equal(await text(page, 'archive-progress-text'), '1,532 of 5,000 sessions · 88.4 GB');
    assert.equal(await page.getByRole('progressbar').getAttribute('aria-valuenow'), String(1532 / 5000));
    await screenshot(page, 'archive');

    // Live: each `archive` event moves the bar without a reload.
    await emit(page, { type: 'archive', status: { ...ARCHIVE_BACKFILL, written: { files: 11_020, bytes: 301 * 1024 ** 3 }, progress: { done: 4_100, total: 5_000, bytes: 301 * 1024 ** 3 } } });
    await page.locator('[data-testid="archive-progress-text"]', { hasText: '4,100 of 5,000 sessions · 301 GB' }).waitFor();
    assert.equal(await page.getByRole('progressbar').getAttribute('aria-valuenow'), String(4100 / 5000));
    assert.equal(await text(page, 'archive-written'), '11,020');

    // The share fills up: paused, with the reason, the free space, and the pending files.
    await emit(page, { type: 'archive', status: ARCHIVE_PAUSED });
    await page.getByTestId('archive-paused').waitFor();
    assert.equal(await text(page, 'archive-paused-reason'), DISK_FULL_REASON);
    assert.match(await text(page, 'archive-paused'), /resumes by itself/);
    assert.equal(await text(page, 'archive-state'), 'Paused');
    assert.equal(await text(page, 'archive-free'), '12 MB');
    assert.equal(await text(page, 'archive-pending'), '1,204');
    assert.equal(await page.getByTestId('archive-progress').count(), 0);
    await screenshot(page, 'archive-paused');

    // Room again: the banner goes by itself.
    await emit(page, { type: 'archive', status: ARCHIVE_IDLE });
    await page.getByTestId('archive-paused').waitFor({ state: 'detached' });
    assert.equal(await text(page, 'archive-state'), 'Archiving');
    assert.equal((await calls(page, 'archive.status')).length, 1);
  });

  test('settings: the UNC note, checks by field, the live folder Test, then Save sends exactly the settings', async () => {
    const { page, errors } = await harness.open(
      config({ 'archive.get': ARCHIVE_VIEW_OFF, 'archive.set': ARCHIVE_VIEW_SET }, { tests: { 'archive.test': { ok: true, steps: archiveTestSteps(), stepDelayMs: 800 } } }),
      { screen: 'archive' },
    );
    await page.getByTestId('archive-dir').waitFor();
    assert.equal(await text(page, 'archive-state'), 'Off');
    assert.equal(await page.getByTestId('archive-counts').count(), 0);
    assert.equal(await page.getByTestId('archive-off-button').count(), 0);
    const hint = await text(page, 'archive-dir-hint');
    assert.match(hint, /\\\\nas\\pra-archive/);
    assert.match(hint, /Not a mapped drive letter/);
    // Everything is kept by default, in the default layout.
    assert.equal(await page.getByTestId('archive-layout').inputValue(), '{host}/{date}/{lsid}');
    for (const id of ['archive-session-xml', 'archive-recordings', 'archive-shell-recordings']) {
      assert.equal(await page.getByTestId(id).isChecked(), true, id);
    }

    // Save with no folder: the message by the field, focus there, nothing sent.
    await page.getByTestId('archive-save-button').click();
    assert.match(await text(page, 'archive-dir-message'), /Enter the archive folder/);
    await page.waitForFunction(`document.activeElement && document.activeElement.id === 'archive-dir'`);
    await page.getByTestId('archive-dir').fill('archive');
    assert.match(await text(page, 'archive-dir-message'), /full path/);
    await page.getByTestId('archive-dir').fill(ARCHIVE_DIR);
    await page.getByTestId('archive-dir-message').waitFor({ state: 'detached' });
    // A layout without {lsid} would put sessions together.
    await page.getByTestId('archive-layout').fill('{host}/{date}');
    assert.match(await text(page, 'archive-layout-message'), /must contain \{lsid\}/);
    await page.getByTestId('archive-layout').fill('{host}/{yyyy}/{mm}/{lsid}');
    assert.equal(await text(page, 'archive-layout-example'), '\\\\nas\\pra-archive\\access.example.com\\2026\\03\\c5f29a41e1d94b7fa0c3\\recording.flv');
    await page.getByTestId('archive-shell-recordings').click();
    assert.deepEqual(await calls(page, 'archive.set'), []);

    // Test: the steps change one by one as the events arrive.
    await page.getByTestId('archive-test-button').click();
    await stepStatuses(page, 'running pending pending');
    await stepStatuses(page, 'ok running pending');
    await stepStatuses(page, 'ok ok running');
    await page.locator('[data-testid="archive-test-summary"][data-result="ok"]').waitFor();
    assert.equal(await text(page, 'test-step-space-detail'), '1.8 TB free.');
    await screenshot(page, 'archive-test-ok');
    const expected = { dir: ARCHIVE_DIR, layout: '{host}/{yyyy}/{mm}/{lsid}', sessionXml: true, recordings: true, shellRecordings: false };
    const [testCall] = await calls(page, 'archive.test');
    assert.deepEqual(testCall?.draft, expected);

    await page.getByTestId('archive-save-button').click();
    await page.getByTestId('archive-off-button').waitFor();
    assert.deepEqual(await calls(page, 'archive.set'), [{ settings: expected }]);
    assert.match(await page.getByTestId('toast').first().innerText(), /Archive saved/);
    assert.deepEqual(errors, []);
  });

  test('a failed Test step says what to fix; an issue from the engine lands by its field', async () => {
    const { page } = await harness.open(
      config(
        {
          'archive.get': ARCHIVE_VIEW_SET,
          'archive.status': ARCHIVE_IDLE,
          'archive.set': {
            __error: {
              code: 'invalid-input',
              message: 'Invalid archive settings',
              issues: [{ field: 'settings.dir', message: 'UNC paths (\\\\server\\share) work on Windows only; here mount the share and give the mount point.' }],
            },
          },
        },
        { tests: { 'archive.test': { ok: false, steps: archiveTestSteps('write'), stepDelayMs: 20 } } },
      ),
      { screen: 'archive' },
    );
    // The stored settings fill the form.
    assert.equal(await page.getByTestId('archive-dir').inputValue(), ARCHIVE_DIR);
    assert.equal(await page.getByTestId('archive-shell-recordings').isChecked(), false);
    await page.getByTestId('archive-test-button').click();
    await page.locator('[data-testid="archive-test-summary"][data-result="failed"]').waitFor();
    assert.equal(await page.getByTestId('test-step-folder').getAttribute('data-status'), 'ok');
    assert.equal(await page.getByTestId('test-step-write').getAttribute('data-status'), 'failed');
    assert.match(await text(page, 'test-step-write-detail'), /denied \(EACCES\)/);
    assert.equal(await page.getByTestId('test-step-space').getAttribute('data-status'), 'skipped');

    await page.getByTestId('archive-save-button').click();
    await page.getByTestId('archive-dir-message').waitFor();
    assert.match(await text(page, 'archive-dir-message'), /work on Windows only/);
    assert.equal(await page.getByTestId('archive-error').count(), 0);
    // Editing the folder clears the engine's message.
    await page.getByTestId('archive-dir').fill('/srv/pra-archive');
    await page.getByTestId('archive-dir-message').waitFor({ state: 'detached' });
  });

  test('Back up now asks the engine for that site; Turn off asks first, then sends no folder', async () => {
    const { page } = await harness.open(
      config({
        'archive.get': ARCHIVE_VIEW_SET,
        'archive.status': ARCHIVE_IDLE,
        'backup.now': { file: 'pra-lab.example.net_8443/backups/pra-lab.example.net_8443-20261206-223000Z.nsb', bytes: 48_318_464 },
        'archive.set': ARCHIVE_VIEW_OFF,
      }),
      { screen: 'archive' },
    );
    await page.getByRole('button', { name: 'Back up Lab now' }).click();
    await page.locator('[data-testid="toast"]', { hasText: 'Backed up Lab' }).waitFor();
    assert.match(await page.getByTestId('toast').first().innerText(), /20261206-223000Z\.nsb \(46\.1 MB\)/);
    assert.deepEqual(await calls(page, 'backup.now'), [{ siteId: LAB.id }]);
    // The status is read again to show the new backup.
    assert.equal((await calls(page, 'archive.status')).length, 2);

    await page.getByTestId('archive-off-button').click();
    await page.getByTestId('archive-off-dialog').waitFor();
    assert.deepEqual(await calls(page, 'archive.set'), []);
    await page.getByTestId('archive-off-confirm').click();
    await page.getByTestId('archive-off-button').waitFor({ state: 'detached' });
    assert.deepEqual(await calls(page, 'archive.set'), [{ settings: { dir: null } }]);
  });

  test('dark, 150 % scaling in a narrow window: the archive at work fits without horizontal scrolling', async () => {
    const { page, errors } = await harness.open(config({ 'archive.get': ARCHIVE_VIEW_SET, 'archive.status': { ...ARCHIVE_WITH_FAILURES, progress: ARCHIVE_BACKFILL.progress } }), {
      screen: 'archive',
      context: { viewport: { width: 900, height: 640 }, deviceScaleFactor: 1.5, colorScheme: 'dark' },
    });
    await page.getByTestId('archive-failures').waitFor();
    await page.getByTestId('archive-progress').waitFor();
    const { scrollWidth, clientWidth } = await page.evaluate(() => {
      const root = (globalThis as unknown as PageGlobals).document.documentElement;
      return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth };
    });
    assert.ok(scrollWidth <= clientWidth, `the page is ${scrollWidth}px wide in a ${clientWidth}px window`);
    await screenshot(page, 'archive-at-work-150');
    assert.deepEqual(errors, []);
  });

  test('the Status screen sums the archive up, live, and opens the Archive screen', async () => {
    const sites = [siteStatus(PRODUCTION), siteStatus(LAB), siteStatus(EMEA)];
    const { page } = await harness.open(config({ 'status.get': status(sites, { archive: ARCHIVE_PAUSED }), 'archive.get': ARCHIVE_VIEW_SET, 'archive.status': ARCHIVE_PAUSED }), {
      screen: 'status',
    });
    await page.getByTestId('status-archive').waitFor();
    assert.equal(await text(page, 'status-archive-state'), 'Paused');
    assert.match(await text(page, 'status-archive-paused'), /is full/);
    assert.equal(await text(page, 'status-archive-written'), '18,432 files · 743 GB');
    assert.equal(await text(page, 'status-archive-pending'), '1,204');
    await emit(page, { type: 'archive', status: ARCHIVE_BACKFILL });
    await page.locator('[data-testid="status-archive-state"]', { hasText: 'Downloading' }).waitFor();
    assert.equal(await page.getByTestId('status-archive-paused').count(), 0);
    assert.equal(await text(page, 'status-archive-pending'), '3,468');
    assert.equal(await page.getByRole('progressbar', { name: /Archiving ended sessions/ }).getAttribute('aria-valuenow'), String(1532 / 5000));
    await page.getByTestId('status-archive').scrollIntoViewIfNeeded();
    await screenshot(page, 'status-archive', false);
    await page.getByTestId('status-archive-open').click();
    await page.getByTestId('archive-screen').waitFor();
    assert.match(page.url(), /#\/archive$/);
  });

  test('Verify files reads the archive back: all in place, or each file that is not, with what was recorded and what was found', async () => {
    const { page, errors } = await harness.open(
      config({ 'archive.get': ARCHIVE_VIEW_SET, 'archive.status': ARCHIVE_IDLE, 'archive.verify': { checked: 18_432, ok: 18_432, problems: [] } }),
      { screen: 'archive' },
    );
    await page.getByTestId('archive-verify').waitFor();
    assert.match(await text(page, 'archive-verify'), /Not checked since this screen opened/);
    await page.getByTestId('archive-verify-run').click();
    await page.locator('[data-testid="archive-verify-result"][data-ok="true"]').waitFor();
    assert.match(await text(page, 'archive-verify-result'), /All in place[\s\S]*18,432 files checked: every one is there with its recorded size and SHA-256/);
    assert.equal((await calls(page, 'archive.verify')).length, 1);

    // Two files changed or gone since: listed with the recorded and the found figures.
    await respond(page, 'archive.verify', {
      checked: 18_432,
      ok: 18_430,
      problems: [
        { path: 'access.example.com/2026/12/05/c5f29a41e1d94b7fa0c30007/recording.flv', problem: 'sha256', expected: 'a'.repeat(64), found: 'b'.repeat(64) },
        { path: 'access.example.com/2026/12/05/c5f29a41e1d94b7fa0c30008/session.xml', problem: 'missing', expected: '18211 bytes', found: null },
      ],
    });
    await page.getByTestId('archive-verify-run').click();
    await page.locator('[data-testid="archive-verify-result"][data-ok="false"]').waitFor();
    assert.match(await text(page, 'archive-verify-result'), /2 files are not as archived[\s\S]*18,432 files checked, 18,430 in place/);
    const rows = page.getByTestId('archive-verify-problem');
    assert.equal(await rows.count(), 2);
    assert.match(await rows.nth(0).innerText(), /recording\.flv[\s\S]*Content differs \(SHA-256\)[\s\S]*a{64}[\s\S]*b{64}/);
    assert.match(await rows.nth(1).innerText(), /session\.xml[\s\S]*Missing[\s\S]*18211 bytes[\s\S]*—/);
    await screenshot(page, 'archive-verify');
    assert.deepEqual(errors, []);
  });
});
