import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { ApiHandlers } from '../../electron/engine/api/handlers.ts';
import { MAX_BODY_BYTES, startUiServer, type UiServer } from '../../electron/engine/api/http-server.ts';
import type { Engine } from '../../electron/engine/engine.ts';
import { MemorySecretStore } from '../../electron/engine/secrets/secret-store.ts';
import { HTTP_SESSION_STORAGE_KEY } from '../../shared/http-transport.ts';
import { DESKTOP, launchChromium, watchErrors } from '../renderer/support/browser.ts';
import { buildRenderer } from '../renderer/support/build.ts';
import { newEngine } from '../support/engine-fixture.ts';
import { tempDir } from '../support/temp-dir.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request, so tests control Host, Origin and credentials exactly. */
function raw(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { host: `127.0.0.1:${port}`, ...options.headers } }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

const JSON_CALL = { 'content-type': 'application/json', 'x-pra-ic-request': '1' };
const tokenOf = (server: UiServer) => new URL(server.url).hash.replace(/^#token=/, '');

describe('pra-ic ui: the contract over loopback HTTP', () => {
  let engine: Engine;
  let server: UiServer;
  let session = '';
  const SECRET = 'ui-secret-never-leaves-9f8e';

  before(async () => {
    const rendererDir = join(tempDir(), 'renderer');
    mkdirSync(rendererDir);
    writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>PRA Integration Client</title>');
    engine = newEngine({ secrets: new MemorySecretStore() });
    server = await startUiServer({ handlers: new ApiHandlers(engine, 'browser'), rendererDir });
  });
  after(async () => {
    await server.close();
    await engine.close();
  });

  const port = () => server.port;
  const api = (channel: string, body: unknown, headers: Record<string, string> = {}) =>
    raw(port(), `/api/invoke/${channel}`, { method: 'POST', body: JSON.stringify(body), headers: { authorization: `Bearer ${session}`, ...JSON_CALL, ...headers } });

  it('binds 127.0.0.1 and prints a URL with the token in the fragment (never sent to a server)', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/#token=[\w-]{40,}$/);
  });

  it('refuses API calls and the event stream without a session, or with a wrong one; serves the public page', async () => {
    const page = await raw(port(), '/');
    assert.equal(page.status, 200);
    assert.equal(page.headers['set-cookie'], undefined, 'no cookie, ever');
    const anonymous = await raw(port(), '/api/invoke/sites.list', { method: 'POST', body: '{}', headers: JSON_CALL });
    assert.equal(anonymous.status, 401);
    assert.match(JSON.parse(anonymous.body).error.message, /Open the address that “pra-ic ui” printed/);
    assert.equal((await raw(port(), '/api/invoke/sites.list', { method: 'POST', body: '{}', headers: { ...JSON_CALL, authorization: `Bearer ${'x'.repeat(43)}` } })).status, 401);
    assert.equal((await raw(port(), '/api/events')).status, 401);
    const wrong = await raw(port(), '/api/session', { method: 'POST', body: JSON.stringify({ token: 'wrong' }), headers: JSON_CALL });
    assert.equal(wrong.status, 403);
    assert.match(JSON.parse(wrong.body).error.message, /wrong token/);
  });

  it('trades the token once for a session credential; the printed address cannot be used again', async () => {
    const traded = await raw(port(), '/api/session', { method: 'POST', body: JSON.stringify({ token: tokenOf(server) }), headers: JSON_CALL });
    assert.equal(traded.status, 200, traded.body);
    assert.equal(traded.headers['set-cookie'], undefined);
    session = JSON.parse(traded.body).result.session as string;
    assert.match(session, /^[\w-]{40,}$/);
    assert.notEqual(session, tokenOf(server));
    const again = await raw(port(), '/api/session', { method: 'POST', body: JSON.stringify({ token: tokenOf(server) }), headers: JSON_CALL });
    assert.equal(again.status, 403);
    assert.match(JSON.parse(again.body).error.message, /already used.*works once.*start it again for a new address/s);
    // The token is not a credential for the API either.
    assert.equal((await raw(port(), '/api/invoke/sites.list', { method: 'POST', body: '{}', headers: { ...JSON_CALL, authorization: `Bearer ${tokenOf(server)}` } })).status, 401);
    assert.equal((await api('sites.list', {})).status, 200);
  });

  it('sends the full CSP (frame-ancestors included) as a header', async () => {
    const page = await raw(port(), '/');
    const csp = String(page.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /frame-ancestors 'none'/);
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin (cross-site calls)', async () => {
    assert.equal((await raw(port(), '/', { headers: { host: `evil.example:${port()}` } })).status, 403);
    assert.equal((await api('sites.list', {}, { host: `evil.example:${port()}` })).status, 403);
    assert.equal((await api('sites.list', {}, { origin: 'https://evil.example' })).status, 403);
    assert.equal((await api('sites.list', {}, { origin: `http://127.0.0.1:${port()}` })).status, 200);
  });

  it('API calls need the custom header a cross-site form cannot send', async () => {
    const reply = await raw(port(), '/api/invoke/sites.list', { method: 'POST', body: '{}', headers: { authorization: `Bearer ${session}`, 'content-type': 'application/json' } });
    assert.equal(reply.status, 403);
  });

  it('validates payloads against the contract, with clear errors', async () => {
    const unknown = await api('sites.nope', {});
    assert.equal(unknown.status, 404);
    const bad = await api('sites.remove', { id: 'one' });
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).error.message, /id/);
    const notJson = await raw(port(), '/api/invoke/sites.list', { method: 'POST', body: '{', headers: { authorization: `Bearer ${session}`, ...JSON_CALL } });
    assert.equal(notJson.status, 400);
    const fieldIssue = await api('sites.add', { site: { name: 'X', host: 'https://a b', clientId: 'c' }, clientSecret: 's' });
    assert.equal(fieldIssue.status, 400);
    const issues = JSON.parse(fieldIssue.body).error.issues as { field: string }[];
    assert.ok(issues.some((i) => i.field === 'host'), JSON.stringify(issues));
  });

  it('a malformed % in the channel is a 400, not a 500', async () => {
    const reply = await api('sites.%E0%A4%A', {});
    assert.equal(reply.status, 400, reply.body);
    assert.equal(JSON.parse(reply.body).error.code, 'invalid-input');
    assert.match(JSON.parse(reply.body).error.message, /percent-encoding/);
  });

  it('POST /api/events is a 405, not a stream', async () => {
    const reply = await raw(port(), '/api/events', { method: 'POST', body: '{}', headers: { authorization: `Bearer ${session}`, ...JSON_CALL } });
    assert.equal(reply.status, 405);
    assert.notEqual(reply.headers['content-type'], 'text/event-stream');
    assert.equal(JSON.parse(reply.body).ok, false);
  });

  it('a body over the limit is answered 413 in the JSON error shape, and the server keeps answering', async () => {
    const big = Buffer.alloc(MAX_BODY_BYTES * 2, 0x20);
    const reply = await raw(port(), '/api/invoke/sites.list', { method: 'POST', body: big, headers: { authorization: `Bearer ${session}`, ...JSON_CALL } });
    assert.equal(reply.status, 413);
    const parsed = JSON.parse(reply.body) as { ok: boolean; error: { code: string; message: string } };
    assert.equal(parsed.ok, false);
    assert.equal(parsed.error.code, 'invalid-input');
    assert.match(parsed.error.message, /larger than 1 MB/);
    assert.equal((await api('sites.list', {})).status, 200);
  });

  it('no secret ever leaves: sites.add returns the site with clientSecretStored, never the secret', async () => {
    const added = await api('sites.add', { site: { name: 'Prod', host: 'access.example.com', clientId: 'cid' }, clientSecret: SECRET });
    assert.equal(added.status, 200, added.body);
    const site = JSON.parse(added.body).result;
    assert.equal(site.clientSecretStored, true);
    for (const channel of ['sites.list', 'status.get', 'destination.get', 'log.recent']) {
      const reply = await api(channel, {});
      assert.equal(reply.status, 200, channel);
      assert.ok(!reply.body.includes(SECRET), `${channel} must not carry the secret`);
    }
  });

  it('pushes engine events over Server-Sent Events, to a holder of the session', async () => {
    const events: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: port(), path: '/api/events', headers: { host: `127.0.0.1:${port()}`, authorization: `Bearer ${session}` } }, (res) => {
        assert.equal(res.headers['content-type'], 'text/event-stream');
        res.on('data', (d: Buffer) => {
          events.push(d.toString());
          if (events.join('').includes('"type":"log"')) {
            req.destroy();
            resolve();
          }
        });
      });
      req.on('error', (e) => (events.join('').includes('"type":"log"') ? resolve() : reject(e)));
      req.end();
    });
    await new Promise((r) => setTimeout(r, 100));
    await api('engine.setPaused', { paused: true });
    await done;
    assert.match(events.join(''), /data: \{"type":"log".*Extraction paused/);
  });
});

/**
 * Issue #17 item 1: a cookie for 127.0.0.1 travels to every other server on 127.0.0.1 (cookies are
 * not scoped by port; SameSite treats all loopback ports as one site). In real Chromium, with the
 * real server and the real built UI: a second local server, on another port, visited from the same
 * browser, receives neither the printed token nor the session credential.
 */
describe('pra-ic ui in real Chromium', () => {
  let engine: Engine;
  let server: UiServer;
  let browser: Browser;
  let other: Server;
  let otherOrigin = '';
  const seen: { url: string; headers: IncomingHttpHeaders }[] = [];

  before(async () => {
    const rendererDir = await buildRenderer();
    engine = newEngine({ secrets: new MemorySecretStore() });
    server = await startUiServer({ handlers: new ApiHandlers(engine, 'browser'), rendererDir });
    other = createServer((req, res) => {
      seen.push({ url: req.url ?? '', headers: req.headers });
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<!doctype html><title>another local program</title><img src="/pixel.png">');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    otherOrigin = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    other?.closeAllConnections();
    await new Promise<void>((resolve) => (other ? other.close(() => resolve()) : resolve()));
    await server?.close();
    await engine?.close();
  });

  it('no credential reaches another port; the address opens the UI once; a reload keeps the tab working; no CSP error', async () => {
    const context = await browser.newContext(DESKTOP);
    context.setDefaultTimeout(20_000);
    try {
      const page = await context.newPage();
      const errors = watchErrors(page);
      const first = await page.goto(server.url);
      assert.match(String(first?.headers()['content-security-policy']), /frame-ancestors 'none'/);
      await page.getByTestId('app-version').filter({ hasText: /^Version \d/ }).waitFor();
      // The token left the address bar; the session is in this tab's storage, never in a cookie.
      assert.equal(new URL(page.url()).hash, '');
      const session = await page.evaluate<string | null>(`sessionStorage.getItem(${JSON.stringify(HTTP_SESSION_STORAGE_KEY)})`);
      assert.ok(session, 'the page holds a session');
      assert.deepEqual(await context.cookies(), []);

      // The other local program, visited in the same browser: its page and its image.
      const visit = await context.newPage();
      await visit.goto(`${otherOrigin}/page`);
      await visit.waitForLoadState('load');
      await visit.close();
      assert.ok(seen.some((s) => s.url === '/page') && seen.some((s) => s.url === '/pixel.png'), JSON.stringify(seen.map((s) => s.url)));
      const everything = JSON.stringify(seen);
      assert.ok(!everything.includes(tokenOf(server)), 'the other server received the printed token');
      assert.ok(!everything.includes(session), 'the other server received the session credential');
      assert.ok(seen.every((s) => s.headers.cookie === undefined), `cookies sent to another port: ${seen.map((s) => s.headers.cookie).join(' | ')}`);

      // A reload of the tab keeps working (the session stays in the tab).
      await page.reload();
      // (The version shows once the page's first API call, app.info, succeeded.)
      await page.getByTestId('app-version').filter({ hasText: /^Version \d/ }).waitFor();

      // The printed address a second time (another browser window): refused, with what to do.
      const second = await browser.newContext(DESKTOP);
      try {
        const again = await second.newPage();
        await again.goto(server.url);
        await again.getByText(/already used to open the UI/).first().waitFor();
      } finally {
        await second.close();
      }
      assert.deepEqual(errors, []);
    } finally {
      await context.close();
    }
  });
});
