/**
 * The HTTP transport of `pra-ic ui` (shared/http-transport.ts) from the renderer's side, in real
 * Chromium: without `window.praIc` the page takes the one-time token out of the address bar, trades
 * it for a session credential (`POST /api/session`), calls `POST /api/invoke/<channel>` with the
 * custom header and the credential as `Authorization` (never a cookie), reads `/api/events`
 * (Server-Sent Events, with fetch so that it can send the header), turns `{ ok: false, error }`
 * into messages, reconnects to the event stream after it drops, keeps working after a reload of
 * the tab, and says what to do once the server no longer knows it. The server here is a stand-in
 * for the real one (test/integration/ui-server.test.ts runs the real one).
 */
import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { UiEvent } from '../../shared/contract.ts';
import { HTTP_EVENTS_PATH, HTTP_INVOKE_PATH, HTTP_REQUEST_HEADER, HTTP_SESSION_PATH } from '../../shared/http-transport.ts';
import { DESKTOP, launchChromium, watchErrors } from './support/browser.ts';
import { buildRenderer, serveStatic, type StaticServer } from './support/build.ts';
import { LAB, PRODUCTION, responses, siteStatus, status } from './support/fixtures.ts';

interface Recorded {
  channel: string;
  body: unknown;
  header: string | string[] | undefined;
  contentType: string | undefined;
  cookie: string | undefined;
  authorization: string | undefined;
}

let browser: Browser;
let server: StaticServer;
const invoked: Recorded[] = [];
const streams = new Set<http.ServerResponse>();
let streamCount = 0;
let tokenSpent = false;
let validSession = 'session-1';
const streamAuth: (string | undefined)[] = [];
const canned = responses({ 'status.get': status([siteStatus(PRODUCTION), siteStatus(LAB)]) });

function api(req: http.IncomingMessage, res: http.ServerResponse): boolean {
  const url = new URL(req.url ?? '/', 'http://127.0.0.1');
  if (url.pathname === HTTP_SESSION_PATH && req.method === 'POST') {
    // As the real server does: the token is traded once for a session credential.
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      const ok = (JSON.parse(text) as { token?: string }).token === 'abc123' && !tokenSpent;
      tokenSpent = true;
      res.writeHead(ok ? 200 : 403, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(ok ? { ok: true, result: { session: validSession } } : { ok: false, error: { code: 'failed', message: 'This address was already used.' } }));
    });
    return true;
  }
  if (url.pathname === HTTP_EVENTS_PATH) {
    streamAuth.push(req.headers.authorization);
    if (req.headers.authorization !== `Bearer ${validSession}`) {
      res.writeHead(401, { 'Content-Type': 'application/json' }).end(JSON.stringify({ ok: false, error: { code: 'failed', message: 'No session.' } }));
      return true;
    }
    streamCount++;
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', Connection: 'keep-alive' });
    res.write(': connected\n\n');
    streams.add(res);
    req.on('close', () => streams.delete(res));
    return true;
  }
  if (url.pathname.startsWith(HTTP_INVOKE_PATH) && req.method === 'POST') {
    const channel = decodeURIComponent(url.pathname.slice(HTTP_INVOKE_PATH.length));
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      invoked.push({ channel, body: JSON.parse(text || 'null'), header: req.headers[HTTP_REQUEST_HEADER], contentType: req.headers['content-type'], cookie: req.headers.cookie, authorization: req.headers.authorization });
      if (req.headers.authorization !== `Bearer ${validSession}`) {
        res.writeHead(401, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: { code: 'failed', message: 'This page has no session with “pra-ic ui”: open the address it printed.' } }));
        return;
      }
      if (channel === 'sites.remove') {
        res.writeHead(409, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ ok: false, error: { code: 'conflict', message: 'Lab is running: wait for its run to end, then delete it.' } }));
        return;
      }
      if (channel === 'app.info') {
        res.writeHead(403, { 'Content-Type': 'text/plain' }).end('Forbidden');
        return;
      }
      const result = (canned as Record<string, unknown>)[channel];
      res.writeHead(result === undefined ? 404 : 200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(result === undefined ? { ok: false, error: { code: 'not-found', message: `No ${channel} here.` } } : { ok: true, result }));
    });
    return true;
  }
  return false;
}

function push(event: UiEvent) {
  for (const res of streams) res.write(`data: ${JSON.stringify(event)}\n\n`);
}

before(async () => {
  server = await serveStatic(await buildRenderer(), api);
  browser = await launchChromium();
});
after(async () => {
  for (const res of streams) res.end();
  await browser?.close();
  await server?.close();
});

describe('HTTP transport', () => {
  test('calls, events, errors and reconnection over loopback HTTP', async () => {
    const context = await browser.newContext(DESKTOP);
    const page = await context.newPage();
    const errors = watchErrors(page);
    await page.goto(`${server.url}#token=abc123`);
    await page.getByTestId('nav-sites').click();
    await page.getByTestId('site-row-2').waitFor();

    // The token left the address bar (the tab the app put in the hash since is its own).
    assert.ok(!page.url().includes('abc123'), page.url());
    assert.equal(new URL(page.url()).hash, '#/sites');

    // Every call: POST with the custom header, JSON, and the session credential as a header — no cookie.
    const statusCall = invoked.find((c) => c.channel === 'status.get');
    assert.ok(statusCall);
    assert.equal(statusCall.header, '1');
    assert.match(statusCall.contentType ?? '', /application\/json/);
    assert.equal(statusCall.authorization, 'Bearer session-1');
    assert.equal(statusCall.cookie, undefined);
    assert.deepEqual(statusCall.body, {});
    assert.deepEqual(await context.cookies(), []);

    // Events arrive over SSE and update the screen live.
    await page.waitForFunction(() => true);
    for (let i = 0; i < 50 && streams.size === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(streams.size, 1);
    push({ type: 'site-status', status: siteStatus(LAB, { state: 'needs-attention', needsAttention: 'The site rejected the client secret (HTTP 401).' }) });
    await page.getByTestId('needs-attention-banner').waitFor();

    // A refused call (403, not JSON) does not break the page; an { ok: false } error is shown as said.
    await page.getByRole('button', { name: 'Delete Lab' }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Lab is running: wait for its run to end, then delete it.').waitFor();
    assert.deepEqual(invoked.find((c) => c.channel === 'sites.remove')?.body, { id: 2 });
    await page.keyboard.press('Escape');

    // The stream drops: the page says so, reconnects on its own, and reloads the status.
    const statusCalls = invoked.filter((c) => c.channel === 'status.get').length;
    for (const res of streams) res.destroy();
    await page.getByTestId('connection-banner').waitFor();
    await page.getByTestId('connection-banner').waitFor({ state: 'detached', timeout: 8_000 });
    assert.equal(streamCount, 2);
    for (let i = 0; i < 40 && invoked.filter((c) => c.channel === 'status.get').length === statusCalls; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(invoked.filter((c) => c.channel === 'status.get').length, statusCalls + 1);
    push({ type: 'site-status', status: siteStatus(LAB) });
    await page.getByTestId('needs-attention-banner').waitFor({ state: 'detached' });

    assert.ok(streamAuth.every((a) => a === 'Bearer session-1'), JSON.stringify(streamAuth));

    // A reload of the tab keeps its session (no new token needed, none is left to use).
    const callsBeforeReload = invoked.length;
    await page.reload();
    await page.getByTestId('site-row-2').waitFor();
    assert.ok(invoked.slice(callsBeforeReload).every((c) => c.authorization === 'Bearer session-1'));

    // The server forgot the session (pra-ic ui restarted): the page says what to do.
    validSession = 'session-of-a-new-server';
    await page.reload();
    await page.getByText(/open the address it printed/).first().waitFor();

    // No console error but the refusals this test provoked (no CSP complaint about the <meta> either).
    assert.deepEqual(
      errors.filter((e) => !/status of 40[1349]|ERR_INCOMPLETE_CHUNKED_ENCODING/.test(e)),
      [],
    );
    await context.close();
  });
});
