/**
 * End to end, in real Chromium against a real engine (pra-ic ui's HTTP transport): the Archive
 * screen's Test runs the engine's folder checks live, Save stores the folder, and the status the
 * engine reports shows up; a folder that cannot be used is said by its field or its Test step.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchChromium } from '../renderer/support/browser.ts';
import { buildRenderer } from '../renderer/support/build.ts';
import { openApp, shot, stepStatuses, withData } from './support/app.ts';
import { startStack, type Stack } from './support/stack.ts';

const BOUNDED = { timeout: 120_000 };
let browser: Browser;
let stack: Stack;
const root = mkdtempSync(join(tmpdir(), 'pra-ic-archive-e2e-'));

before(async () => {
  [browser] = await Promise.all([launchChromium(), buildRenderer()]);
  stack = await startStack({ extract: false });
}, BOUNDED);
after(async () => {
  await stack?.close();
  await browser?.close();
  rmSync(root, { recursive: true, force: true });
}, BOUNDED);

describe('archive screen against the engine', () => {
  test('Test runs the folder checks live; Save stores it; the status shows it at work', BOUNDED, async () => {
    const app = await openApp(browser, stack.url);
    const { page } = app;
    await page.getByTestId('nav-archive').click();
    await page.getByTestId('archive-dir').waitFor();
    assert.equal(await page.getByTestId('archive-state').innerText(), 'Off');
    const dir = join(root, 'archive', 'new-folder');
    await page.getByTestId('archive-dir').fill(dir);
    await page.getByTestId('archive-test-button').click();
    await withData(page, 'archive-test-summary', { result: 'ok' }).waitFor();
    assert.deepEqual(await stepStatuses(page, ['folder', 'write', 'space']), { folder: 'ok', write: 'ok', space: 'ok' });
    await page.getByTestId('archive-save-button').click();
    await page.getByTestId('archive-off-button').waitFor();
    await page.getByTestId('archive-counts').waitFor();
    assert.equal(await page.getByTestId('archive-state').innerText(), 'Archiving');
    assert.equal(await page.getByTestId('archive-written').innerText(), '0');
    // The new folder's free space, once read (the status may first say it is not known yet).
    await page.getByTestId('archive-free').filter({ hasText: /^(?!Unknown$)./ }).waitFor();
    await shot(page, 'archive-saved');
    // A file where the folder should be: the Test's first step says so.
    const file = join(root, 'a-file');
    writeFileSync(file, 'x');
    await page.getByTestId('archive-dir').fill(join(file, 'sub'));
    await page.getByTestId('archive-test-button').click();
    await withData(page, 'archive-test-summary', { result: 'failed' }).waitFor();
    assert.equal(await page.getByTestId('test-step-folder').getAttribute('data-status'), 'failed');
    assert.match(await page.getByTestId('test-step-folder-detail').innerText(), /a-file/);
    // Turn off: asks first; the engine reports the archive off.
    await page.getByTestId('archive-off-button').click();
    await page.getByTestId('archive-off-confirm').click();
    await page.getByTestId('archive-counts').waitFor({ state: 'detached' });
    assert.equal(await page.getByTestId('archive-state').innerText(), 'Off');
    await app.settled();
    assert.ok(app.api.filter((e) => e.channel.startsWith('archive')).every((e) => e.status === 200));
    assert.deepEqual(app.errors, []);
    await app.close();
  });
});
