import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiHandlers } from '../../electron/engine/api/handlers.ts';
import { startUiServer, type UiServer } from '../../electron/engine/api/http-server.ts';
import type { Engine } from '../../electron/engine/engine.ts';
import { MemorySecretStore } from '../../electron/engine/secrets/secret-store.ts';
import { newEngine } from '../support/engine-fixture.ts';
import { tempDir } from '../support/temp-dir.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw request, so tests control Host, Origin and cookies exactly. */
function raw(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Reply> {
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

describe('pra-ic ui: the contract over loopback HTTP', () => {
  let engine: Engine;
  let server: UiServer;
  let cookie = '';
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
    raw(port(), `/api/invoke/${channel}`, { method: 'POST', body: JSON.stringify(body), headers: { cookie, 'content-type': 'application/json', 'x-pra-ic-request': '1', ...headers } });

  it('binds 127.0.0.1 and prints a URL with a token', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{40,}$/);
  });

  it('refuses requests without the token, or with a wrong one', async () => {
    assert.equal((await raw(port(), '/')).status, 403);
    assert.equal((await raw(port(), '/?token=wrong')).status, 403);
    assert.equal((await raw(port(), '/api/invoke/sites.list', { method: 'POST', body: '{}', headers: { 'content-type': 'application/json', 'x-pra-ic-request': '1' } })).status, 403);
    assert.equal((await raw(port(), '/api/events')).status, 403);
  });

  it('trades the token for an HttpOnly SameSite=Strict cookie and removes it from the address', async () => {
    const path = server.url.slice(server.url.indexOf('/', 8));
    const reply = await raw(port(), path);
    assert.equal(reply.status, 303);
    assert.equal(reply.headers.location, '/');
    const setCookie = String(reply.headers['set-cookie']);
    assert.match(setCookie, /HttpOnly/);
    assert.match(setCookie, /SameSite=Strict/);
    cookie = setCookie.split(';')[0]!;
    const page = await raw(port(), '/', { headers: { cookie } });
    assert.equal(page.status, 200);
    assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
  });

  it('refuses a foreign Host (DNS rebinding) and a foreign Origin (cross-site calls)', async () => {
    assert.equal((await raw(port(), '/', { headers: { cookie, host: `evil.example:${port()}` } })).status, 403);
    assert.equal((await api('sites.list', {}, { origin: 'https://evil.example' })).status, 403);
    assert.equal((await api('sites.list', {}, { origin: `http://127.0.0.1:${port()}` })).status, 200);
  });

  it('API calls need the custom header a cross-site form cannot send', async () => {
    const reply = await raw(port(), '/api/invoke/sites.list', { method: 'POST', body: '{}', headers: { cookie, 'content-type': 'application/json' } });
    assert.equal(reply.status, 403);
  });

  it('validates payloads against the contract, with clear errors', async () => {
    const unknown = await api('sites.nope', {});
    assert.equal(unknown.status, 404);
    const bad = await api('sites.remove', { id: 'one' });
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).error.message, /id/);
    const notJson = await raw(port(), '/api/invoke/sites.list', { method: 'POST', body: '{', headers: { cookie, 'content-type': 'application/json', 'x-pra-ic-request': '1' } });
    assert.equal(notJson.status, 400);
    const fieldIssue = await api('sites.add', { site: { name: 'X', host: 'https://a b', clientId: 'c' }, clientSecret: 's' });
    assert.equal(fieldIssue.status, 400);
    const issues = JSON.parse(fieldIssue.body).error.issues as { field: string }[];
    assert.ok(issues.some((i) => i.field === 'host'), JSON.stringify(issues));
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

  it('pushes engine events over Server-Sent Events', async () => {
    const events: string[] = [];
    const done = new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: port(), path: '/api/events', headers: { host: `127.0.0.1:${port()}`, cookie } }, (res) => {
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
