import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CredentialsRejectedError, MalformedReportError, PermissionDeniedError, ReportError, SiteUnavailableError } from '../../electron/engine/pra/errors.ts';
import { PraAccounts } from '../../electron/engine/pra/pra-accounts.ts';
import { PraClient, type PraConnection } from '../../electron/engine/pra/pra-client.ts';
import type { ReportItem } from '../../electron/engine/pra/report-types.ts';
import { testSite } from '../../electron/engine/pra/site-test.ts';
import { DEFAULT_CLIENT, startPraSimulator, type PraSimulator } from '../simulators/pra/index.ts';
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
