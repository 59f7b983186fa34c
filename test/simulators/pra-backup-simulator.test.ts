// Tests of the PRA simulator's /api/backup itself, over real TLS sockets with plain node:https (no
// product code), so that the backup tests of the client test the client.
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { BACKUP_PASSWORD_TEXT, BACKUP_PERMISSION_TEXT, backupBytes, DEFAULT_CLIENT, startPraSimulator, type PraSimulator } from './pra/index.ts';

interface Resp {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
  error?: string;
}

function call(sim: PraSimulator, opts: { method?: string; path: string; headers?: Record<string, string>; body?: string }): Promise<Resp> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: sim.port, method: opts.method ?? 'POST', path: opts.path, headers: opts.headers, ca: sim.caPem, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        const done = (error?: Error) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), error: error?.message });
        res.on('end', () => done());
        res.on('error', done);
        res.on('aborted', () => done(new Error('aborted')));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

async function token(sim: PraSimulator, clientId = DEFAULT_CLIENT.clientId): Promise<string> {
  const basic = Buffer.from(`${clientId}:${DEFAULT_CLIENT.clientSecret}`).toString('base64');
  const r = await call(sim, { path: '/oauth2/token', headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=client_credentials' });
  return (JSON.parse(r.body.toString('utf8')) as { access_token: string }).access_token;
}

describe('PRA simulator: /api/backup', () => {
  let sim: PraSimulator;
  let bearer: string;
  const backup = (headers: Record<string, string> = {}, body?: string, method = 'POST') =>
    call(sim, { method, path: '/api/backup', headers: { authorization: `Bearer ${bearer}`, ...headers }, body });

  before(async () => {
    sim = await startPraSimulator({ clients: [DEFAULT_CLIENT, { clientId: 'no-backup', clientSecret: DEFAULT_CLIENT.clientSecret, permissions: { backup: false } }] });
    bearer = await token(sim);
  });
  after(() => sim.close());

  it('answers GET and POST with deterministic binary bytes, as an attachment', async () => {
    const a = await backup({}, undefined, 'GET');
    assert.equal(a.status, 200);
    assert.equal(a.headers['content-type'], 'application/octet-stream');
    assert.match(String(a.headers['content-disposition']), /^attachment; filename=".*\.nsb"$/);
    assert.deepEqual(a.body, backupBytes(1, 300 * 1024));
    const b = await backup();
    assert.deepEqual(b.body, backupBytes(2, 300 * 1024));
    assert.notDeepEqual(a.body, b.body);
    assert.deepEqual(backupBytes(2, 300 * 1024), b.body, 'the same number gives the same bytes');
  });

  it('checks the JSON password of a protected site: wrong, missing or not JSON → HTTP 200 XML <error>', async () => {
    sim.backup.settings.password = 'pw-1';
    const json = { 'content-type': 'application/json' };
    const ok = await backup(json, JSON.stringify({ password: 'pw-1' }));
    assert.equal(ok.headers['content-type'], 'application/octet-stream');
    for (const [headers, body] of [[json, JSON.stringify({ password: 'pw-2' })], [{}, undefined], [{ 'content-type': 'text/plain' }, '{"password":"pw-1"}'], [json, 'pw-1']] as const) {
      const r = await backup(headers, body);
      assert.equal(r.status, 200);
      assert.match(r.headers['content-type']!, /^text\/xml/);
      assert.match(r.body.toString('utf8'), new RegExp(`<error xmlns="[^"]+">${BACKUP_PASSWORD_TEXT}</error>`));
    }
    assert.equal(sim.requests.filter((r) => r.outcome === 'backup-password-wrong').length, 1);
    assert.ok(!JSON.stringify(sim.requests).includes('pw-1'), 'the request log never holds the password');
    sim.backup.settings.password = null;
  });

  it('answers an account without the Backup API permission with an XML <error>; no token → 401', async () => {
    const r = await call(sim, { path: '/api/backup', headers: { authorization: `Bearer ${await token(sim, 'no-backup')}` } });
    assert.equal(r.status, 200);
    assert.ok(r.body.toString('utf8').includes(BACKUP_PERMISSION_TEXT));
    assert.equal((await call(sim, { path: '/api/backup' })).status, 401);
  });

  it('acts out faults for the backup endpoint: empty, truncated (chunked and with a length), slow', async () => {
    sim.injectFaults([{ kind: 'empty', endpoint: 'backup' }]);
    const empty = await backup();
    assert.deepEqual([empty.status, empty.body.length], [200, 0]);
    sim.injectFaults([{ kind: 'truncate', afterBytes: 70_000, endpoint: 'backup' }]);
    const cut = await backup();
    assert.ok(cut.error, 'the client sees the connection die');
    assert.ok(cut.body.length <= 70_000);
    sim.backup.settings.contentLength = true;
    sim.injectFaults([{ kind: 'truncate', afterBytes: 1000, endpoint: 'backup' }]);
    const cutWithLength = await backup();
    assert.equal(cutWithLength.headers['content-length'], String(300 * 1024));
    assert.ok(cutWithLength.body.length < 300 * 1024);
    sim.backup.settings.contentLength = false;
    sim.injectFaults([{ kind: 'slow', delayMs: 200, endpoint: 'backup' }]);
    const started = Date.now();
    const slow = await backup();
    assert.ok(Date.now() - started >= 190);
    assert.equal(slow.body.length, 300 * 1024);
    assert.equal(sim.pendingFaults().length, 0, 'report faults are not taken by the backup endpoint, nor the reverse');
  });
});
