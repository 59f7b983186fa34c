import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CredentialsRejectedError, MalformedReportError, PermissionDeniedError, ReportError, SiteUnavailableError } from '../../electron/engine/pra/errors.ts';
import { PraAccounts } from '../../electron/engine/pra/pra-accounts.ts';
import { PraClient, type PraConnection } from '../../electron/engine/pra/pra-client.ts';
import type { ReportItem } from '../../electron/engine/pra/report-types.ts';
import { testSite } from '../../electron/engine/pra/site-test.ts';
import { DEFAULT_CLIENT, startPraSimulator, type PraSimulator } from '../simulators/pra/index.ts';
import { makeTestPki } from '../support/certs.ts';
import { startConnectProxy } from '../support/connect-proxy.ts';

const FAST_RETRY = { baseDelayMs: 20, maxDelayMs: 100, maxAttempts: 4 };
const NOW = Math.floor(Date.now() / 1000);

function connect(sim: PraSimulator, overrides: Partial<PraConnection> = {}): PraConnection {
  return { host: sim.host, clientId: DEFAULT_CLIENT.clientId, timeoutSeconds: 5, caFile: sim.caFile, proxyUrl: null, ...overrides };
}

async function collect(it: AsyncIterable<ReportItem>) {
  const items: ReportItem[] = [];
  for await (const item of it) items.push(item);
  return items;
}

function sessionsOf(items: ReportItem[]) {
  return items.filter((i) => i.type === 'session').map((i) => (i as Extract<ReportItem, { type: 'session' }>).header);
}

describe('PRA client against the simulator (real TLS sockets)', () => {
  let sim: PraSimulator;
  before(async () => {
    sim = await startPraSimulator({ tokenLifetimeSeconds: 3600 });
    sim.addSession({ lsid: 'a1', startTime: NOW - 3000, endTime: NOW - 2000, events: [{ timestamp: NOW - 2999, eventType: 'Session Start' }] });
    sim.addSession({ lsid: 'b2', startTime: NOW - 1500, endTime: null, events: [{ timestamp: NOW - 1499, eventType: 'Session Start' }] });
  });
  after(() => sim.close());

  it('reuses one token for many requests and shares it between concurrent callers', async () => {
    const accounts = new PraAccounts();
    const client = new PraClient(connect(sim), async () => DEFAULT_CLIENT.clientSecret, accounts, { retry: FAST_RETRY });
    const before = sim.tokensIssued(DEFAULT_CLIENT.clientId);
    await Promise.all(Array.from({ length: 5 }, () => collect(client.accessSessions({ startTime: NOW - 3600, duration: 3600 }))));
    const other = new PraClient(connect(sim), async () => DEFAULT_CLIENT.clientSecret, accounts, { retry: FAST_RETRY });
    await collect(other.accessSessions({ lsids: ['a1'] }));
    assert.equal(sim.tokensIssued(DEFAULT_CLIENT.clientId) - before, 1, 'one token for six requests from two clients');
  });

  it('reads the client secret once for many requests (as it is made), not before each', async () => {
    let reads = 0;
    const getSecret = async () => {
      reads++;
      return DEFAULT_CLIENT.clientSecret;
    };
    const client = new PraClient(connect(sim), getSecret, new PraAccounts(), { retry: FAST_RETRY });
    assert.equal(reads, 1, 'asked as the client is made');
    for (let i = 0; i < 4; i++) await collect(client.accessSessions({ lsids: ['a1'] }));
    assert.equal(reads, 1, 'reused by the token request and four report requests');
    const rereading = new PraClient(connect(sim), getSecret, new PraAccounts(), { retry: FAST_RETRY, secretRereadMs: 0 });
    for (let i = 0; i < 2; i++) await collect(rereading.accessSessions({ lsids: ['a1'] }));
    assert.equal(reads, 4, 'with no interval, read again for each request');
  });

  it('filters: start_time returns sessions that began in the window, including in-progress ones; lsids returns those sessions', async () => {
    const client = new PraClient(connect(sim), async () => DEFAULT_CLIENT.clientSecret, new PraAccounts(), { retry: FAST_RETRY });
    const window = sessionsOf(await collect(client.accessSessions({ startTime: NOW - 3600, duration: 3600 })));
    assert.deepEqual(window.map((s) => s.lsid).sort(), ['a1', 'b2']);
    assert.equal(window.find((s) => s.lsid === 'b2')!.endTime, null, 'in progress');
    const byId = sessionsOf(await collect(client.accessSessions({ lsids: ['b2'] })));
    assert.deepEqual(byId.map((s) => s.lsid), ['b2']);
    const ended = sessionsOf(await collect(client.accessSessions({ endTime: NOW - 3600, duration: 3600 })));
    assert.deepEqual(ended.map((s) => s.lsid), ['a1'], 'end_time returns only sessions that ended in the window');
  });

  it('an empty window is an empty result, whatever the site language', async () => {
    for (const locale of ['en', 'de', 'fr', 'es'] as const) {
      sim.setLocale(locale);
      const client = new PraClient(connect(sim), async () => DEFAULT_CLIENT.clientSecret, new PraAccounts(), { retry: FAST_RETRY });
      assert.deepEqual(await collect(client.accessSessions({ startTime: NOW - 900_000, duration: 60 })), [], locale);
    }
    sim.setLocale('en');
  });

  it('learns an unknown language\'s no-data text from a window that cannot hold a session', async () => {
    const unknown = 'Ingen rapportinformasjon samsvarer med kriteriene dine.';
    const client = new PraClient(connect(sim), async () => DEFAULT_CLIENT.clientSecret, new PraAccounts(), { retry: FAST_RETRY });
    sim.injectFaults([{ kind: 'error-in-list', text: unknown, count: 2 }]);
    assert.equal(await client.learnNoDataText(), unknown);
    assert.deepEqual(await collect(client.accessSessions({ startTime: NOW - 900_000, duration: 60 })), []);
    // A failure wording is never learned as "no data".
    const other = new PraClient(connect(sim), async () => DEFAULT_CLIENT.clientSecret, new PraAccounts(), { retry: FAST_RETRY });
    sim.injectFaults([{ kind: 'error-root', text: 'Report generation failed.', count: 1 }]);
    await assert.rejects(other.learnNoDataText(), ReportError);
  });

  it('after a 401 from the API it re-authenticates once and retries', async () => {
    const accounts = new PraAccounts();
    const client = new PraClient(connect(sim), async () => DEFAULT_CLIENT.clientSecret, accounts, { retry: FAST_RETRY });
    await client.token();
    sim.expireTokens(DEFAULT_CLIENT.clientId);
    const before = sim.tokensIssued(DEFAULT_CLIENT.clientId);
    const items = await collect(client.accessSessions({ lsids: ['a1'] }));
    assert.equal(sessionsOf(items).length, 1);
    assert.equal(sim.tokensIssued(DEFAULT_CLIENT.clientId) - before, 1);
  });

  it('a rotated secret ends in a typed "credentials rejected" error naming what to do, without the secret', async () => {
    const sim2 = await startPraSimulator({ clients: [{ clientId: 'rot', clientSecret: 'old-secret-123' }] });
    try {
      const client = new PraClient({ ...connect(sim2), clientId: 'rot' }, async () => 'old-secret-123', new PraAccounts(), { retry: FAST_RETRY });
      await client.token();
      sim2.rotateSecret('rot', 'new-secret-456');
      const error = await collect(client.accessSessions({ startTime: NOW - 60, duration: 60 })).then(
        () => null,
        (e: unknown) => e,
      );
      assert.ok(error instanceof CredentialsRejectedError, String(error));
      assert.match(error.message, /Client ID or secret rejected.*API Configuration/s);
      assert.ok(!error.message.includes('old-secret-123'));
      assert.equal(sim2.requests.filter((r) => r.endpoint === 'reporting').length, 1, 'one report attempt, then one re-auth, then stop');
    } finally {
      await sim2.close();
    }
  });

  it('429 with Retry-After: waits as told, then succeeds', async () => {
    const client = new PraClient(connect(sim), async () => DEFAULT_CLIENT.clientSecret, new PraAccounts(), { retry: FAST_RETRY });
    await client.token();
    sim.injectFaults([{ kind: '429', retryAfterSeconds: 1, count: 1 }]);
    const started = Date.now();
    const items = await collect(client.accessSessions({ lsids: ['a1'] }));
    assert.equal(sessionsOf(items).length, 1);
    assert.ok(Date.now() - started >= 950, `waited ${Date.now() - started} ms`);
  });

  it('holds 20 requests per second under concurrency', async () => {
    const sim3 = await startPraSimulator({ clients: [{ clientId: 'burst', clientSecret: 'burst-secret' }] });
    try {
      sim3.addSession({ lsid: 'x', startTime: NOW - 100, endTime: NOW - 50 });
      const accounts = new PraAccounts();
      const clients = Array.from({ length: 3 }, () => new PraClient({ ...connect(sim3), clientId: 'burst' }, async () => 'burst-secret', accounts, { retry: FAST_RETRY }));
      await Promise.all(Array.from({ length: 50 }, (_, i) => collect(clients[i % 3]!.accessSessions({ lsids: ['x'] }))));
      const rejected = sim3.requests.filter((r) => r.status === 429).length;
      assert.equal(rejected, 0, 'no request over the limit');
      assert.ok(sim3.maxObservedRps('burst') <= 20, `max ${sim3.maxObservedRps('burst')} req/s`);
    } finally {
      await sim3.close();
    }
  });

  it('5xx is retried with backoff; a persistent 5xx becomes SiteUnavailableError', async () => {
    const client = new PraClient(connect(sim), async () => DEFAULT_CLIENT.clientSecret, new PraAccounts(), { retry: FAST_RETRY });
    await client.token();
    sim.injectFaults([{ kind: 'status', status: 503, count: 2 }]);
    assert.equal(sessionsOf(await collect(client.accessSessions({ lsids: ['a1'] }))).length, 1);
    sim.injectFaults([{ kind: 'status', status: 502, count: 10 }]);
    await assert.rejects(collect(client.accessSessions({ lsids: ['a1'] })), SiteUnavailableError);
    sim.clearFaults();
  });

  it('every error shape is a typed error, never a partial success', async () => {
    const client = new PraClient(connect(sim), async () => DEFAULT_CLIENT.clientSecret, new PraAccounts(), { retry: FAST_RETRY });
    const q = { startTime: NOW - 3600, duration: 3600 };
    sim.injectFaults([{ kind: 'error-root', text: 'Invalid parameter', count: 1 }]);
    await assert.rejects(collect(client.accessSessions(q)), (e: unknown) => e instanceof ReportError && e.text === 'Invalid parameter');
    sim.injectFaults([{ kind: 'error-in-list', text: 'Invalid parameter', count: 1 }]);
    await assert.rejects(collect(client.accessSessions(q)), ReportError);
    sim.injectFaults([{ kind: 'html', count: 1 }]);
    await assert.rejects(collect(client.accessSessions(q)), MalformedReportError);
    sim.injectFaults([{ kind: 'not-xml', count: 1 }]);
    await assert.rejects(collect(client.accessSessions(q)), MalformedReportError);
    sim.injectFaults([{ kind: 'truncate', afterBytes: 200, count: 1 }]);
    await assert.rejects(collect(client.accessSessions(q)), (e: unknown) => e instanceof MalformedReportError || e instanceof SiteUnavailableError);
  });

  it('a stalled body fails after the timeout instead of hanging', async () => {
    const client = new PraClient(connect(sim, { timeoutSeconds: 1 }), async () => DEFAULT_CLIENT.clientSecret, new PraAccounts(), { retry: FAST_RETRY });
    await client.token();
    sim.injectFaults([{ kind: 'stall-body', afterBytes: 100, count: 1 }]);
    await assert.rejects(collect(client.accessSessions({ startTime: NOW - 3600, duration: 3600 })), SiteUnavailableError);
  });

  it('a report left early (a break after its first item) is closed at once: its connection does not wait for the timeout', async () => {
    const sim5 = await startPraSimulator();
    // Both ends are in this process: the client's socket and the simulator's.
    const sockets = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;
    const settled = async (most: number) => {
      for (let i = 0; i < 50 && sockets() > most; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      return sockets();
    };
    try {
      sim5.addSession({ lsid: 'long', startTime: NOW - 3000, endTime: null, events: Array.from({ length: 500 }, (_, i) => ({ timestamp: NOW - 2999 + i, eventType: 'Chat Message', body: `message ${i}` })) });
      const client = new PraClient(connect(sim5, { timeoutSeconds: 30 }), async () => DEFAULT_CLIENT.clientSecret, new PraAccounts(), { retry: FAST_RETRY });
      await client.token();
      const idle = await settled(0); // the token request's connection closes (Connection: close)
      // The body stops after its first few kilobytes and would hold the connection until the 30 s timeout.
      sim5.injectFaults([{ kind: 'stall-body', afterBytes: 4000, count: 1 }]);
      const started = Date.now();
      let seen = 0;
      for await (const item of client.accessSessions({ startTime: NOW - 3600, duration: 3600 })) {
        seen++;
        if (item.type === 'event') break;
      }
      assert.ok(seen >= 2, 'the session and its first event arrived before the stall');
      assert.equal(await settled(idle), idle, 'the report’s connection was closed when the loop left it');
      assert.ok(Date.now() - started < 5000, 'without waiting for the timeout');
    } finally {
      await sim5.close();
    }
  });

  it('a missing reporting permission is a typed error naming the permission', async () => {
    const sim4 = await startPraSimulator({ clients: [{ clientId: 'noperm', clientSecret: 'noperm-secret', permissions: { reporting: false } }] });
    try {
      const client = new PraClient({ ...connect(sim4), clientId: 'noperm' }, async () => 'noperm-secret', new PraAccounts(), { retry: FAST_RETRY });
      await assert.rejects(collect(client.accessSessions({ startTime: NOW - 60, duration: 60 })), (e: unknown) =>
        (e instanceof PermissionDeniedError || (e instanceof ReportError && e.permissionDenied)) && /Access Session Reports/i.test((e as Error).message),
      );
    } finally {
      await sim4.close();
    }
  });

  it('refuses an untrusted certificate without the CA file', async () => {
    const client = new PraClient(connect(sim, { caFile: null }), async () => DEFAULT_CLIENT.clientSecret, new PraAccounts(), { retry: FAST_RETRY });
    await assert.rejects(client.token(), (e: unknown) => e instanceof SiteUnavailableError && /does not trust|self-signed|issuer/.test(e.message));
  });

  it('goes through an HTTP proxy (CONNECT tunnel), for reports and for the site Test', async () => {
    const proxy = await startConnectProxy();
    try {
      const connection = connect(sim, { proxyUrl: proxy.url });
      const client = new PraClient(connection, async () => DEFAULT_CLIENT.clientSecret, new PraAccounts(), { retry: FAST_RETRY });
      assert.equal(sessionsOf(await collect(client.accessSessions({ lsids: ['a1'] }))).length, 1);
      assert.ok(proxy.tunnels.length >= 2 && proxy.tunnels.every((t) => t === sim.host), `tunnels: ${proxy.tunnels.join(', ')}`);
      const result = await testSite(connection, DEFAULT_CLIENT.clientSecret, new PraAccounts(), { client: { retry: FAST_RETRY } });
      assert.equal(result.ok, true, JSON.stringify(result.steps));
      assert.ok(proxy.tunnels.length >= 4, 'the TLS check and the API calls of the Test went through the proxy too');
    } finally {
      await proxy.close();
    }
  });
});

describe('cut off instead of hanging (real sockets)', () => {
  let sim: PraSimulator;
  before(async () => {
    sim = await startPraSimulator({ tokenLifetimeSeconds: 3600 });
    sim.addSession({
      lsid: 'slow',
      startTime: NOW - 3000,
      endTime: NOW - 2000,
      events: Array.from({ length: 20 }, (_, i) => ({ timestamp: NOW - 2999 + i, eventType: 'Chat Message', body: `message ${i}` })),
    });
  });
  after(() => sim.close());

  // Small limits keep these tests short; the defaults are 1 KiB per minute and 30 minutes.
  const SMALL = { minBytesPerWindow: 64, windowMs: 400, deadlineMs: 10_000 };

  it('site test against a port that accepts TCP and never completes TLS: fails, and closes its connection', { timeout: 30_000 }, async () => {
    const accepted: Socket[] = [];
    const closed: Promise<void>[] = [];
    const silent = createServer((socket) => {
      accepted.push(socket);
      closed.push(new Promise((resolve) => socket.once('close', () => resolve())));
      socket.on('error', () => undefined);
      socket.resume(); // reads (and ignores) the ClientHello, and so sees the client leave
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as { port: number };
      const result = await testSite({ host: `127.0.0.1:${port}`, clientId: 'c', timeoutSeconds: 1, caFile: null, proxyUrl: null }, 's', new PraAccounts());
      const tls = result.steps.find((step) => step.id === 'tls');
      assert.equal(tls?.status, 'failed');
      assert.match(tls?.detail ?? '', /No answer from the TLS handshake within 1 s\./);
      assert.equal(accepted.length, 1);
      // The Test is over: the connection it opened is closed (before the fix it stayed open for
      // good, keeping `pra-ic site test` from exiting and leaking a socket per Test in the app).
      const gone = await Promise.race([closed[0]!.then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, 5000, false))]);
      assert.equal(gone, true, 'the server still holds the Test\'s connection');
    } finally {
      for (const socket of accepted) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('a report body that trickles is cut off, naming the minimum throughput', { timeout: 30_000 }, async () => {
    const client = new PraClient(connect(sim), async () => DEFAULT_CLIENT.clientSecret, new PraAccounts(), { retry: FAST_RETRY, bodyLimits: SMALL });
    await client.token();
    // 300 bytes at once, then a byte every 50 ms: never idle for the 5 s socket timeout, never done.
    sim.injectFaults([{ kind: 'trickle', afterBytes: 300, intervalMs: 50, count: 1 }]);
    const error = await collect(client.accessSessions({ startTime: NOW - 3600, duration: 3600 })).then(() => null, (e: unknown) => e);
    assert.ok(error instanceof SiteUnavailableError, String(error));
    assert.match(error.message, /^The AccessSession report from 127\.0\.0\.1:\d+ arrived too slowly \(\d+ bytes in 0\.4 s; at least 64 bytes per 0\.4 s are required\): the download was stopped\./);
  });

  it('a report that keeps a trickle above the minimum still ends at the deadline, naming it', { timeout: 30_000 }, async () => {
    const client = new PraClient(connect(sim), async () => DEFAULT_CLIENT.clientSecret, new PraAccounts(), {
      retry: FAST_RETRY,
      bodyLimits: { minBytesPerWindow: 1, windowMs: 400, deadlineMs: 1500 },
    });
    await client.token();
    sim.injectFaults([{ kind: 'trickle', afterBytes: 300, intervalMs: 50, count: 1 }]);
    await assert.rejects(collect(client.accessSessions({ lsids: ['slow'] })), (e: unknown) =>
      e instanceof SiteUnavailableError && /^The AccessSession report from \S+ took longer than 1\.5 s to arrive \(the most one response may take\)/.test(e.message),
    );
  });

  it('a trickling token answer ends the site Test with a clear failure instead of holding it', { timeout: 30_000 }, async () => {
    sim.injectFaults([{ kind: 'trickle', afterBytes: 10, intervalMs: 100, endpoint: 'token', count: 5 }]);
    const before = sim.requests.filter((r) => r.endpoint === 'token').length;
    const result = await testSite(connect(sim), DEFAULT_CLIENT.clientSecret, new PraAccounts(), { client: { retry: FAST_RETRY, bodyLimits: SMALL } });
    sim.clearFaults();
    const token = result.steps.find((step) => step.id === 'token');
    assert.equal(token?.status, 'failed', JSON.stringify(result.steps));
    // The site's timeout (5 s) plus the window (0.4 s).
    assert.match(token?.detail ?? '', /did not arrive completely within 5\.4 s: it came too slowly/);
    assert.equal(sim.requests.filter((r) => r.endpoint === 'token').length - before, 1, 'not retried: it would trickle again');
  });
});

describe('NODE_EXTRA_CA_CERTS (a child process: Node reads it at start)', () => {
  let sim: PraSimulator;
  before(async () => {
    sim = await startPraSimulator();
  });
  after(() => sim.close());

  const CLIENT = fileURLToPath(new URL('../../electron/engine/pra/pra-client.ts', import.meta.url));
  const ACCOUNTS = fileURLToPath(new URL('../../electron/engine/pra/pra-accounts.ts', import.meta.url));

  /** A token request from a fresh process; prints "ok" or the error's message. */
  function tokenFromChild(env: Record<string, string | undefined>, caFile: string | null): Promise<string> {
    const connection = { host: sim.host, clientId: DEFAULT_CLIENT.clientId, timeoutSeconds: 5, caFile, proxyUrl: null };
    const script = `
      import { PraClient } from ${JSON.stringify(CLIENT)};
      import { PraAccounts } from ${JSON.stringify(ACCOUNTS)};
      const client = new PraClient(${JSON.stringify(connection)}, async () => ${JSON.stringify(DEFAULT_CLIENT.clientSecret)}, new PraAccounts(), { retry: { maxAttempts: 1 } });
      client.token().then(() => console.log('ok'), (e) => console.log(e.message));
    `;
    const childEnv = { ...process.env, ...env };
    for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', () => resolve(out.trim() || `no output; stderr: ${err}`));
    });
  }

  it('a private CA named by NODE_EXTRA_CA_CERTS is trusted, also beside a site CA file; without it the error says how to trust it', { timeout: 60_000 }, async () => {
    const pki = await makeTestPki();
    assert.equal(pki.caFile, sim.caFile, 'the simulator presents a certificate of the test CA');
    // Not trusted by default; the message names every way to trust it, once, with one full stop.
    const untrusted = await tokenFromChild({ NODE_EXTRA_CA_CERTS: undefined }, null);
    assert.match(untrusted, /^Could not reach 127\.0\.0\.1:\d+: 127\.0\.0\.1:\d+ presents a certificate from an issuer this computer does not trust\. Add the issuing CA certificate as the site's CA file, install it in .+, or name its PEM file in the NODE_EXTRA_CA_CERTS environment variable\.$/);
    assert.doesNotMatch(untrusted, /\.\.$/);
    if (process.platform === 'linux') assert.match(untrusted, /the system CA store \(Debian\/Ubuntu: .*update-ca-certificates\)/);
    // Named by NODE_EXTRA_CA_CERTS: trusted.
    assert.equal(await tokenFromChild({ NODE_EXTRA_CA_CERTS: pki.caFile }, null), 'ok');
    // With a site CA file of another CA, NODE_EXTRA_CA_CERTS still counts (the CA file adds, never replaces).
    const otherCa = `${pki.dir}/other-ca-only.pem`;
    const { writeFileSync } = await import('node:fs');
    writeFileSync(otherCa, pki.otherCaPem);
    assert.equal(await tokenFromChild({ NODE_EXTRA_CA_CERTS: pki.caFile }, otherCa), 'ok');
  });
});
