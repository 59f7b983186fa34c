// Tests of the PRA simulator itself, over real TLS sockets with plain node:https and the test CA
// (no product code): if these pass, the simulator behaves as the documented appliance does, and
// client tests built on it test the client, not the simulator.
import assert from 'node:assert/strict';
import type { IncomingHttpHeaders } from 'node:http';
import { request } from 'node:https';
import { describe, it } from 'node:test';
import {
  createManualClock, DEFAULT_CLIENT, generateCorpus, LOGIN_PAGE_HTML, NO_DATA_TEXTS, NOT_XML_BODY, REPORTING_NAMESPACES,
  REPORTING_PERMISSION, startPraSimulator, type PraSimulator, type PraSimulatorOptions, type SiteLocale,
} from './pra/index.ts';
import { makeTestPki } from '../support/certs.ts';

// ---------------------------------------------------------------------------------------------
// Plain HTTPS helpers

interface Resp {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
  ms: number;
}

interface CallOptions {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
}

function call(sim: PraSimulator, opts: CallOptions): Promise<Resp> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: sim.port, method: opts.method ?? 'GET', path: opts.path, headers: opts.headers, ca: sim.caPem, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), ms: Date.now() - started }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

function basic(id: string, secret: string): string {
  return `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
}

function tokenCall(sim: PraSimulator, id = DEFAULT_CLIENT.clientId, secret = DEFAULT_CLIENT.clientSecret, body = 'grant_type=client_credentials'): Promise<Resp> {
  return call(sim, { method: 'POST', path: '/oauth2/token', headers: { ...FORM, Authorization: basic(id, secret) }, body });
}

async function token(sim: PraSimulator, id = DEFAULT_CLIENT.clientId, secret = DEFAULT_CLIENT.clientSecret): Promise<string> {
  const res = await tokenCall(sim, id, secret);
  assert.equal(res.status, 200, res.body);
  return (JSON.parse(res.body) as { access_token: string }).access_token;
}

function report(sim: PraSimulator, tok: string, params: Record<string, string | number>, method: 'GET' | 'POST' = 'GET'): Promise<Resp> {
  const qs = new URLSearchParams(Object.entries(params).map(([k, v]): [string, string] => [k, String(v)])).toString();
  const auth = { Authorization: `Bearer ${tok}` };
  return method === 'GET'
    ? call(sim, { path: `/api/reporting?${qs}`, headers: auth })
    : call(sim, { method: 'POST', path: '/api/reporting', headers: { ...auth, ...FORM }, body: qs });
}

async function withSim(options: PraSimulatorOptions, fn: (sim: PraSimulator) => Promise<void>): Promise<void> {
  const sim = await startPraSimulator(options);
  try {
    await fn(sim);
  } finally {
    await sim.close();
  }
}

/** Most tests are not about rate limits: give them room. */
const ROOMY: PraSimulatorOptions = { rateLimits: { perSecond: 10_000, perHour: 1_000_000 } };

const lsidsIn = (xml: string): string[] => [...xml.matchAll(/<session(?:_summary)? lsid="([^"]+)"/g)].map((m) => m[1]!);
const errorText = (xml: string): string | undefined => /<error[^>]*>([^<]*)<\/error>/.exec(xml)?.[1];

/**
 * A small well-formedness check (no XML parser among node's built-ins): one declaration, balanced
 * tags, quoted attributes, only the five predefined entities or numeric references, no raw
 * control characters.
 */
function assertWellFormed(xml: string): void {
  assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>'), 'XML declaration first');
  // eslint-disable-next-line no-control-regex
  assert.doesNotMatch(xml, /[\u0000-\u0008\u000B\u000C\u000E-\u001F]/, 'no raw control characters');
  const stack: string[] = [];
  const body = xml.replace(/^<\?xml[^>]*\?>/, '');
  for (const m of body.matchAll(/<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+="[^"<]*")*)\s*(\/?)>|<|&(?!(?:amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/g)) {
    if (m[0] === '<' || m[0].startsWith('&')) assert.fail(`stray markup character at ${m.index}: ${body.slice(m.index, m.index + 40)}`);
    const [, close, name, , selfClose] = m;
    if (selfClose) continue;
    if (close) assert.equal(stack.pop(), name, `closing </${name}> at ${m.index}`);
    else stack.push(name!);
  }
  assert.deepEqual(stack, [], 'every element closed');
}

async function eventually(check: () => boolean, timeoutMs = 2000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) assert.fail('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const T0 = Date.UTC(2024, 0, 10, 12, 0, 0) / 1000; // 2024-01-10T12:00:00Z

// ---------------------------------------------------------------------------------------------

describe('certificates', () => {
  it('makes a CA-signed server certificate for 127.0.0.1 and the broken variants', async () => {
    const pki = await makeTestPki();
    assert.equal(await makeTestPki(), pki, 'one PKI per process');
    const { X509Certificate } = await import('node:crypto');
    const ca = new X509Certificate(pki.caPem);
    const server = new X509Certificate(pki.serverCertPem);
    assert.ok(server.checkIssued(ca) && server.verify(ca.publicKey));
    assert.ok(server.checkIP('127.0.0.1') && server.checkHost('localhost'));
    assert.ok(!new X509Certificate(pki.selfSigned.certPem).checkIssued(ca));
    assert.ok(new Date(new X509Certificate(pki.expired.certPem).validTo) < new Date());
    const wrong = new X509Certificate(pki.wrongHost.certPem);
    assert.ok(wrong.checkIssued(ca) && !wrong.checkIP('127.0.0.1') && wrong.checkHost('wrong.example.com'));
  });

  it('serves each broken certificate so that a verifying client refuses it', async () => {
    const expected = { 'self-signed': /self[- ]signed/i, expired: /expired/i, 'wrong-host': /altnames|IP: 127\.0\.0\.1/i, 'untrusted-ca': /issuer|verify/i } as const;
    for (const [certificate, pattern] of Object.entries(expected) as Array<[keyof typeof expected, RegExp]>) {
      await withSim({ certificate }, async (sim) => {
        await assert.rejects(tokenCall(sim), pattern, certificate);
      });
    }
  });
});

describe('token endpoint', () => {
  it('issues a Bearer token for Basic client credentials and grant_type=client_credentials', () =>
    withSim({}, async (sim) => {
      const res = await tokenCall(sim);
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /application\/json/);
      const body = JSON.parse(res.body) as Record<string, unknown>;
      assert.equal(body.token_type, 'Bearer');
      assert.equal(body.expires_in, 3600);
      assert.equal(typeof body.access_token, 'string');
      assert.equal(sim.tokensIssued(DEFAULT_CLIENT.clientId), 1);
      assert.equal(sim.validTokenCount(DEFAULT_CLIENT.clientId), 1);
    }));

  it('answers 401 invalid_client to a wrong secret, an unknown client or no credentials', () =>
    withSim({}, async (sim) => {
      for (const res of [
        await tokenCall(sim, DEFAULT_CLIENT.clientId, 'wrong'),
        await tokenCall(sim, 'nobody', 'x'),
        await call(sim, { method: 'POST', path: '/oauth2/token', headers: FORM, body: 'grant_type=client_credentials' }),
      ]) {
        assert.equal(res.status, 401);
        assert.equal((JSON.parse(res.body) as { error: string }).error, 'invalid_client');
      }
      assert.equal(sim.tokensIssued(DEFAULT_CLIENT.clientId), 0);
    }));

  it('answers 400 to a missing or unsupported grant_type, 405 to GET', () =>
    withSim({}, async (sim) => {
      const missing = await tokenCall(sim, undefined, undefined, '');
      assert.equal(missing.status, 400);
      assert.equal((JSON.parse(missing.body) as { error: string }).error, 'invalid_request');
      const other = await tokenCall(sim, undefined, undefined, 'grant_type=password');
      assert.equal(other.status, 400);
      assert.equal((JSON.parse(other.body) as { error: string }).error, 'unsupported_grant_type');
      assert.equal((await call(sim, { path: '/oauth2/token' })).status, 405);
    }));

  it('keeps at most 30 valid tokens per account: the 31st evicts the oldest', () =>
    withSim(ROOMY, async (sim) => {
      const tokens: string[] = [];
      for (let i = 0; i < 31; i++) tokens.push(await token(sim));
      assert.equal(sim.tokensIssued(DEFAULT_CLIENT.clientId), 31);
      assert.equal(sim.validTokenCount(DEFAULT_CLIENT.clientId), 30);
      sim.addSession({ lsid: 'a', startTime: sim.serverNow() - 60 });
      const evicted = await report(sim, tokens[0]!, { generate_report: 'AccessSessionListing', start_time: 0, duration: 0 });
      assert.equal(evicted.status, 401);
      assert.equal((JSON.parse(evicted.body) as { error: string }).error, 'invalid_token');
      assert.equal((await report(sim, tokens[1]!, { generate_report: 'AccessSessionListing', start_time: 0, duration: 0 })).status, 200);
      assert.equal((await report(sim, tokens[30]!, { generate_report: 'AccessSessionListing', start_time: 0, duration: 0 })).status, 200);
      assert.equal(sim.requests.at(-3)?.outcome, 'token-evicted');
    }));

  it('invalidates every token at once when the secret is regenerated or the account disabled', () =>
    withSim({ ...ROOMY, clients: [DEFAULT_CLIENT, { clientId: 'other', clientSecret: 's2' }] }, async (sim) => {
      const params = { generate_report: 'AccessSessionListing', start_time: 0, duration: 0 };
      const [a, b, other] = [await token(sim), await token(sim), await token(sim, 'other', 's2')];
      sim.rotateSecret(DEFAULT_CLIENT.clientId, 'new-secret');
      assert.equal((await report(sim, a, params)).status, 401);
      assert.equal((await report(sim, b, params)).status, 401);
      assert.notEqual((await report(sim, other, params)).status, 401, 'other accounts are untouched');
      assert.equal((await tokenCall(sim)).status, 401, 'old secret refused');
      const fresh = await token(sim, DEFAULT_CLIENT.clientId, 'new-secret');
      assert.equal((await report(sim, fresh, params)).status, 200);

      sim.disableClient(DEFAULT_CLIENT.clientId);
      assert.equal((await report(sim, fresh, params)).status, 401);
      assert.equal((await tokenCall(sim, DEFAULT_CLIENT.clientId, 'new-secret')).status, 401);
      sim.enableClient(DEFAULT_CLIENT.clientId);
      assert.equal((await tokenCall(sim, DEFAULT_CLIENT.clientId, 'new-secret')).status, 200);
    }));

  it('expires tokens on the server clock, and on demand', () => {
    const clock = createManualClock(T0);
    return withSim({ ...ROOMY, now: clock.now, tokenLifetimeSeconds: 600 }, async (sim) => {
      const params = { generate_report: 'AccessSessionListing', start_time: 0, duration: 0 };
      const res = await tokenCall(sim);
      assert.equal((JSON.parse(res.body) as { expires_in: number }).expires_in, 600);
      const tok = (JSON.parse(res.body) as { access_token: string }).access_token;
      clock.advance(599);
      assert.equal((await report(sim, tok, params)).status, 200);
      clock.advance(1);
      assert.equal((await report(sim, tok, params)).status, 401);
      assert.equal(sim.requests.at(-1)?.outcome, 'token-expired');
      const second = await token(sim);
      sim.expireTokens(DEFAULT_CLIENT.clientId);
      assert.equal((await report(sim, second, params)).status, 401);
      assert.equal(sim.validTokenCount(DEFAULT_CLIENT.clientId), 0);
    });
  });
});

describe('reporting authorization', () => {
  it('answers 401 without a token or with an unknown one', () =>
    withSim({}, async (sim) => {
      const none = await call(sim, { path: '/api/reporting?generate_report=AccessSession&lsid=x' });
      assert.equal(none.status, 401);
      assert.match(String(none.headers['www-authenticate']), /^Bearer/);
      assert.equal((await report(sim, 'not-a-token', { generate_report: 'AccessSession', lsid: 'x' })).status, 401);
    }));

  it('answers 403 with an XML body naming the permission when the account may not read reports', () =>
    withSim({ clients: [{ clientId: 'noreport', clientSecret: 's', permissions: { reporting: false } }] }, async (sim) => {
      const res = await report(sim, await token(sim, 'noreport', 's'), { generate_report: 'AccessSession', start_time: 0, duration: 0 });
      assert.equal(res.status, 403);
      assert.match(String(res.headers['content-type']), /text\/xml/);
      assert.ok(res.body.includes(REPORTING_PERMISSION));
      assertWellFormed(res.body);
    }));
});

describe('rate limits and headers', () => {
  it('answers 429 with Retry-After beyond 20 requests per second per account', () =>
    withSim({ clients: [DEFAULT_CLIENT, { clientId: 'calm', clientSecret: 'c' }] }, async (sim) => {
      const tok = await token(sim);
      const burst = await Promise.all(Array.from({ length: 40 }, () => report(sim, tok, { generate_report: 'AccessSessionListing', start_time: 0, duration: 0 })));
      const limited = burst.filter((r) => r.status === 429);
      assert.ok(limited.length > 0, 'some requests of the burst are refused');
      for (const r of limited) assert.ok(Number(r.headers['retry-after']) >= 1);
      const arrivals = sim.requestsFor(DEFAULT_CLIENT.clientId).map((r) => r.atMono);
      const spanSeconds = Math.ceil(((arrivals.at(-1) ?? 0) - (arrivals[0] ?? 0) + 1) / 1000);
      assert.ok(burst.length + 1 - limited.length <= 20 * spanSeconds, 'at most 20 accepted per second (token request included)');
      assert.ok(sim.maxObservedRps(DEFAULT_CLIENT.clientId) > 20);
      assert.equal((await tokenCall(sim, 'calm', 'c')).status, 200, 'limits are per account');
      assert.equal(sim.requests.filter((r) => r.outcome === 'rate-limited').length, limited.length);
      await new Promise((r) => setTimeout(r, Math.max(...limited.map((x) => Number(x.headers['retry-after']))) * 1000));
      assert.equal((await report(sim, tok, { generate_report: 'AccessSessionListing', start_time: 0, duration: 0 })).status, 200, 'allowed again after Retry-After');
    }));

  it('counts the token endpoint against the same limit', () =>
    withSim({ rateLimits: { perSecond: 3 } }, async (sim) => {
      const tok = await token(sim);
      const params = { generate_report: 'AccessSessionListing', start_time: 0, duration: 0 };
      assert.equal((await report(sim, tok, params)).status, 200);
      assert.equal((await report(sim, tok, params)).status, 200);
      const limited = await tokenCall(sim);
      assert.equal(limited.status, 429);
      assert.equal(limited.headers['retry-after'], '1');
    }));

  it('enforces the hourly limit with a long Retry-After', () =>
    withSim({ rateLimits: { perHour: 3 } }, async (sim) => {
      for (let i = 0; i < 3; i++) assert.equal((await tokenCall(sim)).status, 200);
      const res = await tokenCall(sim);
      assert.equal(res.status, 429);
      assert.ok(Number(res.headers['retry-after']) > 3500);
    }));

  it('asks for Connection: close and dates answers with the (skewed) server clock', () =>
    withSim({ clockSkewSeconds: -7200 }, async (sim) => {
      const res = await tokenCall(sim);
      assert.equal(res.headers.connection, 'close');
      const skew = (Date.parse(String(res.headers.date)) - Date.now()) / 1000;
      assert.ok(Math.abs(skew + 7200) < 5, `Date header ${res.headers.date} is two hours behind`);
      sim.setClockSkew(0);
      assert.ok(Math.abs(Date.parse(String((await tokenCall(sim)).headers.date)) - Date.now()) < 5000);
    }));
});

describe('report filters', () => {
  // A ended in the window, B still in progress, C later, D ended early, E not started yet.
  const setup = (sim: PraSimulator): void => {
    sim.addSession({ lsid: 'A', startTime: T0 + 1000, endTime: T0 + 2000 });
    sim.addSession({ lsid: 'B', startTime: T0 + 1500 });
    sim.addSession({ lsid: 'C', startTime: T0 + 3000, endTime: T0 + 3500 });
    sim.addSession({ lsid: 'D', startTime: T0 + 500, endTime: T0 + 1200 });
    sim.addSession({ lsid: 'E', startTime: T0 + 9000, endTime: T0 + 9500 });
  };

  it('start_time returns sessions that began in the window, in progress ones included', () => {
    const clock = createManualClock(T0 + 4000);
    return withSim({ ...ROOMY, now: clock.now }, async (sim) => {
      setup(sim);
      let tok = await token(sim);
      const q = (p: Record<string, string | number>): Promise<string[]> => report(sim, tok, { generate_report: 'AccessSessionListing', ...p }).then((r) => lsidsIn(r.body));
      assert.deepEqual(await q({ start_time: T0 + 1000, duration: 1000 }), ['A', 'B']);
      assert.deepEqual(await q({ start_time: T0, duration: 0 }), ['D', 'A', 'B', 'C'], 'duration 0 = up to now; E has not started');
      clock.set(T0 + 9100);
      assert.equal((await report(sim, tok, { generate_report: 'AccessSessionListing', start_time: T0, duration: 0 })).status, 401, 'the clock moved past the token');
      tok = await token(sim);
      assert.deepEqual(await q({ start_time: T0 + 5000, duration: 0 }), ['E']);
    });
  });

  it('end_time returns only sessions that ended in the window', () => {
    const clock = createManualClock(T0 + 4000);
    return withSim({ ...ROOMY, now: clock.now }, async (sim) => {
      setup(sim);
      const tok = await token(sim);
      const q = (p: Record<string, string | number>): Promise<string[]> => report(sim, tok, { generate_report: 'AccessSession', ...p }).then((r) => lsidsIn(r.body));
      assert.deepEqual(await q({ end_time: T0 + 1100, duration: 1000 }), ['D', 'A']);
      assert.deepEqual(await q({ end_time: T0, duration: 0 }), ['D', 'A', 'C'], 'B is in progress');
      sim.endSession('B', T0 + 4500);
      assert.deepEqual(await q({ end_time: T0, duration: 0 }), ['D', 'A', 'C'], 'B ends in the future: still in progress');
      clock.set(T0 + 4600);
      assert.deepEqual(await q({ end_time: T0 + 4000, duration: 0 }), ['B']);
    });
  });

  it('start_date / end_date take days, lsid / lsids pick sessions, POST works like GET', () => {
    const clock = createManualClock(T0 + 4000);
    return withSim({ ...ROOMY, now: clock.now }, async (sim) => {
      setup(sim);
      sim.addSession({ lsid: 'Y', startTime: T0 - 86_400, endTime: T0 - 86_000 }); // the day before
      const tok = await token(sim);
      const q = (p: Record<string, string | number>, method: 'GET' | 'POST' = 'GET'): Promise<string[]> =>
        report(sim, tok, { generate_report: 'AccessSession', ...p }, method).then((r) => lsidsIn(r.body));
      assert.deepEqual(await q({ start_date: '2024-01-10', duration: 1 }), ['D', 'A', 'B', 'C']);
      assert.deepEqual(await q({ start_date: '2024-01-09', duration: 1 }), ['Y']);
      assert.deepEqual(await q({ end_date: '2024-01-09', duration: 0 }), ['Y', 'D', 'A', 'C']);
      assert.deepEqual(await q({ lsids: 'C,A,nope' }), ['A', 'C']);
      assert.deepEqual(await q({ lsid: 'B' }, 'POST'), ['B']);
      assert.deepEqual(await q({ lsid: 'E' }), [], 'not started yet');
    });
  });

  it('removed sessions (retention) disappear', () =>
    withSim(ROOMY, async (sim) => {
      sim.addSession({ lsid: 'gone', startTime: sim.serverNow() - 100, endTime: sim.serverNow() - 50 });
      const tok = await token(sim);
      assert.deepEqual(lsidsIn((await report(sim, tok, { generate_report: 'AccessSession', lsid: 'gone' })).body), ['gone']);
      assert.equal(sim.removeSession('gone'), true);
      assert.equal(errorText((await report(sim, tok, { generate_report: 'AccessSession', lsid: 'gone' })).body), NO_DATA_TEXTS.en);
    }));
});

describe('sessions in progress', () => {
  it('shows an in-progress session without end, then its new events, then its end', () => {
    const clock = createManualClock(T0 + 60);
    return withSim({ ...ROOMY, now: clock.now }, async (sim) => {
      sim.addSession({ lsid: 'live', startTime: T0, hasRecording: true });
      const tok = await token(sim);
      const get = async (): Promise<string> => (await report(sim, tok, { generate_report: 'AccessSession', lsid: 'live' })).body;

      let xml = await get();
      assertWellFormed(xml);
      assert.match(xml, /<end_time timestamp=""><\/end_time>/);
      assert.match(xml, /<duration>00:01:00<\/duration>/);
      assert.doesNotMatch(xml, /session_chat_view_url|session_recording_view_url/, 'URLs only once ended');
      assert.equal((xml.match(/<event /g) ?? []).length, 1);

      sim.appendEvents('live', [
        { timestamp: T0 + 30, eventType: 'Chat Message', body: 'hello' },
        { timestamp: T0 + 600, eventType: 'File Download', filename: 'a.txt', filesize: 3 },
      ]);
      xml = await get();
      assert.equal((xml.match(/<event /g) ?? []).length, 2, 'the event stamped in the future is not there yet');
      assert.match(xml, /<file_transfer_count>0<\/file_transfer_count>/);

      clock.set(T0 + 700);
      sim.endSession('live', T0 + 650);
      xml = await get();
      assertWellFormed(xml);
      assert.match(xml, new RegExp(`<end_time timestamp="${T0 + 650}">2024-01-10T12:10:50\\+00:00</end_time>`));
      assert.match(xml, /<duration>00:10:50<\/duration>/);
      assert.match(xml, /event_type="Session End"/);
      assert.match(xml, /<file_transfer_count>1<\/file_transfer_count>/);
      assert.match(xml, /<session_chat_view_url>https:\/\/access\.example\.com\/session_download\?lsid=l%3Dlive%3B[^<]*&amp;dl_action=chat&amp;view=1</);
      assert.match(xml, /<session_recording_download_url>/);
      const listing = (await report(sim, tok, { generate_report: 'AccessSessionListing', end_time: T0, duration: 0 })).body;
      assert.match(listing, /<session_summary lsid="live" has_recording="1" \/>/);
    });
  });

  it('can leave end_time out of in-progress sessions', () =>
    withSim({ ...ROOMY, inProgressEndTime: 'omitted' }, async (sim) => {
      sim.addSession({ lsid: 'live', startTime: sim.serverNow() - 5 });
      const xml = (await report(sim, await token(sim), { generate_report: 'AccessSession', lsid: 'live' })).body;
      assert.doesNotMatch(xml, /<end_time/);
    }));
});

describe('report XML', () => {
  it('writes the documented shape, in order, escaped, with encoded_body for control characters', () =>
    withSim(ROOMY, async (sim) => {
      const now = sim.serverNow();
      sim.addSession({
        lsid: 'x1', startTime: now - 100, endTime: now - 10, externalKey: 'K&1', commandShellRecordings: 1,
        customAttributes: [{ displayName: 'Ticket "ID"', codeName: 'ticket_id', value: 'INC<1>' }],
        jumpoint: { id: '7', name: 'DC & Co' },
        events: [
          { timestamp: now - 100, eventType: 'Session Start' },
          {
            timestamp: now - 50, eventType: 'Chat Message', body: 'bell\u0007 <b>',
            performedBy: { type: 'representative', gsnumber: '21', name: 'Admin' }, destination: { type: 'customer', gsnumber: '22', name: 'Jump Item' },
            data: [{ name: 'k', value: 'v"\n' }],
          },
          { timestamp: now - 40, eventType: 'Chat Message', body: 'a < b & c' },
          { timestamp: now - 30, eventType: 'File Upload', filename: 'f', filesize: 9, files: [{ filename: 'f', filesize: 9 }, { filename: 'g', filesize: 1 }] },
          {
            timestamp: now - 20, eventType: 'System Information Retrieved',
            systemInformation: [{ name: 'OS', description: [{ name: 'os', label: 'Operating System' }], rows: [[{ name: 'os', value: 'Linux' }]] }],
          },
        ],
      });
      const res = await report(sim, await token(sim), { generate_report: 'AccessSession', lsid: 'x1' });
      assert.equal(res.status, 200);
      assert.match(String(res.headers['content-type']), /^text\/xml/);
      assert.equal(res.headers['content-length'], undefined);
      assert.equal(res.headers['transfer-encoding'], 'chunked');
      const xml = res.body;
      assertWellFormed(xml);
      assert.ok(xml.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<session_list xmlns="http://www.beyondtrust.com/sra/namespaces/API/reporting">'));
      const order = ['session_type', 'lseq', 'start_time', 'end_time', 'duration', 'external_key', 'custom_attributes', 'session_chat_view_url',
        'session_chat_download_url', 'command_shell_recordings', 'file_transfer_count', 'file_move_count', 'file_delete_count', 'primary_customer',
        'jump_group', 'jumpoint', 'primary_rep', 'customer_list', 'rep_list', 'session_details'];
      const positions = order.map((name) => xml.indexOf(`<${name}`));
      assert.ok(positions.every((p) => p > 0), 'every element present');
      assert.deepEqual([...positions].sort((a, b) => a - b), positions, 'elements in order');
      assert.ok(xml.includes('<external_key>K&amp;1</external_key>'));
      assert.ok(xml.includes('<custom_attribute display_name="Ticket &quot;ID&quot;" code_name="ticket_id">INC&lt;1&gt;</custom_attribute>'));
      assert.ok(xml.includes('<jumpoint id="7">DC &amp; Co</jumpoint>'));
      assert.ok(xml.includes('<value name="k" value="v&quot;&#10;" />'));
      assert.ok(xml.includes('<body>a &lt; b &amp; c</body>'));
      const encoded = /<encoded_body>([^<]+)<\/encoded_body>/.exec(xml)?.[1];
      assert.equal(Buffer.from(encoded ?? '', 'base64').toString('utf8'), 'bell\u0007 <b>');
      assert.ok(xml.includes('<performed_by type="representative" gsnumber="21">Admin</performed_by>'));
      assert.ok(xml.includes('<file_transfer_count>2</file_transfer_count>'), 'counted from the files of the visible events');
      assert.match(xml, /<command_shell_recording instance="0">\n<download_url>/);
      assert.match(xml, /<public_ip>4\.231\.237\.19:61606<\/public_ip>/);
      assert.match(xml, /<system_information>\n<category name="OS">\n<description><field name="os">Operating System<\/field><\/description>/);
    }));

  it('lists sessions as session_summary elements', () =>
    withSim(ROOMY, async (sim) => {
      sim.addSession({ lsid: 'r', startTime: sim.serverNow() - 100, endTime: sim.serverNow() - 1, hasRecording: true });
      sim.addSession({ lsid: 'n', startTime: sim.serverNow() - 50, endTime: sim.serverNow() - 1 });
      const xml = (await report(sim, await token(sim), { generate_report: 'AccessSessionListing', start_time: 0, duration: 0 }, 'POST')).body;
      assertWellFormed(xml);
      assert.equal(xml, '<?xml version="1.0" encoding="UTF-8"?>\n<session_summary_list xmlns="http://www.beyondtrust.com/sra/namespaces/API/reporting">\n'
        + '<session_summary lsid="r" has_recording="1" />\n<session_summary lsid="n" has_recording="0" />\n</session_summary_list>\n');
    }));

  it('uses the configured namespace, or none', async () => {
    for (const namespace of [REPORTING_NAMESPACES.bomgar, null]) {
      await withSim({ ...ROOMY, namespace }, async (sim) => {
        sim.addSession({ lsid: 'a', startTime: sim.serverNow() - 1 });
        const xml = (await report(sim, await token(sim), { generate_report: 'AccessSession', lsid: 'a' })).body;
        assert.ok(xml.includes(namespace === null ? '<session_list>\n' : `<session_list xmlns="${namespace}">`));
      });
    }
  });
});

describe('errors in HTTP 200', () => {
  const bad: Array<[string, Record<string, string | number>, RegExp]> = [
    ['non-numeric start_time', { generate_report: 'AccessSession', start_time: 'abc', duration: 0 }, /start_time/],
    ['RFC 3339 start_time', { generate_report: 'AccessSession', start_time: '2024-01-10T12:00:00Z', duration: 0 }, /UNIX timestamp/],
    ['unknown report', { generate_report: 'Sessions', start_time: 0, duration: 0 }, /Unknown report/],
    ['undocumented report here', { generate_report: 'Team', start_time: 0, duration: 0 }, /Team/],
    ['missing duration', { generate_report: 'AccessSession', start_time: 0 }, /duration/],
    ['bad date', { generate_report: 'AccessSession', start_date: '2024-02-30', duration: 1 }, /YYYY-MM-DD/],
    ['two criteria', { generate_report: 'AccessSession', start_time: 0, end_time: 0, duration: 0 }, /only one/],
    ['no criteria', { generate_report: 'AccessSessionListing', lsid: 'a' }, /start_date/],
  ];

  it('reports bad parameters as a root <error> by default', () =>
    withSim(ROOMY, async (sim) => {
      const tok = await token(sim);
      for (const [label, params, pattern] of bad) {
        const res = await report(sim, tok, params);
        assert.equal(res.status, 200, label);
        assert.match(res.body, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<error xmlns="[^"]+">/, label);
        assert.match(errorText(res.body) ?? '', pattern, label);
      }
      assert.equal(sim.requests.at(-1)?.outcome, 'parameter-error');
    }));

  it('can put the <error> inside the list element instead', () =>
    withSim({ ...ROOMY, errorPlacement: 'in-list' }, async (sim) => {
      const tok = await token(sim);
      const session = (await report(sim, tok, { generate_report: 'AccessSession', start_time: 'x', duration: 0 })).body;
      assert.match(session, /<session_list xmlns="[^"]+">\n<error>[^<]+<\/error>\n<\/session_list>/);
      const listing = (await report(sim, tok, { generate_report: 'AccessSessionListing', start_time: 0, duration: 0 })).body;
      assert.match(listing, /<session_summary_list xmlns="[^"]+">\n<error>No Support report information/);
      assertWellFormed(listing);
    }));

  it('localizes "no data" to the site language, or answers an empty list', async () => {
    await withSim(ROOMY, async (sim) => {
      const tok = await token(sim);
      for (const locale of Object.keys(NO_DATA_TEXTS) as SiteLocale[]) {
        sim.setLocale(locale);
        const res = await report(sim, tok, { generate_report: 'AccessSession', start_time: 0, duration: 0 });
        assert.equal(res.status, 200);
        assert.equal(errorText(res.body), NO_DATA_TEXTS[locale], locale);
        assertWellFormed(res.body);
      }
      assert.equal(sim.requests.at(-1)?.outcome, 'no-data');
    });
    await withSim({ ...ROOMY, noData: 'empty-list' }, async (sim) => {
      const res = await report(sim, await token(sim), { generate_report: 'AccessSession', start_time: 0, duration: 0 });
      assert.match(res.body, /<session_list xmlns="[^"]+">\n<\/session_list>\n$/);
    });
  });
});

describe('fault injection', () => {
  const listing = { generate_report: 'AccessSessionListing', start_time: 0, duration: 0 };
  const withData = (fn: (sim: PraSimulator, tok: string) => Promise<void>): Promise<void> =>
    withSim(ROOMY, async (sim) => {
      sim.addSessions(generateCorpus({ seed: 'faults', from: sim.serverNow() - 86_400, to: sim.serverNow() - 3600, sessions: 40 }));
      await fn(sim, await token(sim));
    });

  it('status faults hit `count` requests, then the normal answer returns', () =>
    withData(async (sim, tok) => {
      sim.injectFaults([{ kind: 'status', status: 503, count: 2, retryAfterSeconds: 7 }, { kind: 'status', status: 502 }]);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await report(sim, tok, listing)).status);
      assert.deepEqual(statuses, [503, 503, 502, 200]);
      assert.equal(sim.requests.find((r) => r.status === 503)?.fault, 'status');
      assert.deepEqual(sim.pendingFaults(), []);
    }));

  it('429 fault carries Retry-After; token faults only hit the token endpoint', () =>
    withData(async (sim, tok) => {
      sim.injectFaults([{ kind: '429', retryAfterSeconds: 42, endpoint: 'token' }, { kind: '429', retryAfterSeconds: 3 }]);
      const r = await report(sim, tok, listing);
      assert.equal(r.status, 429);
      assert.equal(r.headers['retry-after'], '3');
      assert.equal((await report(sim, tok, listing)).status, 200);
      const t = await tokenCall(sim);
      assert.equal(t.status, 429);
      assert.equal(t.headers['retry-after'], '42');
    }));

  it('slow delays the answer', () =>
    withData(async (sim, tok) => {
      sim.injectFaults([{ kind: 'slow', delayMs: 400 }]);
      const r = await report(sim, tok, listing);
      assert.equal(r.status, 200);
      assert.ok(r.ms >= 390, `took ${r.ms} ms`);
    }));

  it('html, not-xml, error-root and error-in-list replace the body with HTTP 200', () =>
    withData(async (sim, tok) => {
      sim.injectFaults([
        { kind: 'html' }, { kind: 'not-xml' }, { kind: 'error-root', text: 'Boom & bust' }, { kind: 'error-in-list', text: 'Inside' },
      ]);
      const html = await report(sim, tok, listing);
      assert.equal(html.status, 200);
      assert.match(String(html.headers['content-type']), /text\/html/);
      assert.equal(html.body, LOGIN_PAGE_HTML);
      const notXml = await report(sim, tok, listing);
      assert.match(String(notXml.headers['content-type']), /text\/xml/);
      assert.equal(notXml.body, NOT_XML_BODY);
      const root = await report(sim, tok, { generate_report: 'AccessSession', start_time: 0, duration: 0 });
      assert.match(root.body, /^<\?xml[^>]*>\n<error xmlns="[^"]+">Boom &amp; bust<\/error>/);
      const inList = await report(sim, tok, listing);
      assert.match(inList.body, /<session_summary_list xmlns="[^"]+">\n<error>Inside<\/error>/);
    }));

  it('stall-body sends the first bytes and then nothing, keeping the connection open', () =>
    withData(async (sim, tok) => {
      sim.injectFaults([{ kind: 'stall-body', afterBytes: 1000 }]);
      const outcome = await new Promise<{ bytes: number; ended: boolean }>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: sim.port, path: '/api/reporting?generate_report=AccessSession&start_time=0&duration=0',
          headers: { Authorization: `Bearer ${tok}` }, ca: sim.caPem, agent: false }, (res) => {
          let bytes = 0;
          let ended = false;
          res.on('data', (c: Buffer) => (bytes += c.length));
          res.on('end', () => (ended = true));
          res.on('error', () => {});
          setTimeout(() => {
            resolve({ bytes, ended });
            req.destroy();
          }, 500);
        });
        req.on('error', () => {});
        req.on('close', () => {});
        req.once('error', reject);
        req.end();
      });
      assert.deepEqual(outcome, { bytes: 1000, ended: false });
    }));

  it('truncate sends the first bytes and then destroys the connection', () =>
    withData(async (sim, tok) => {
      sim.injectFaults([{ kind: 'truncate', afterBytes: 5000 }, { kind: 'truncate', afterBytes: 10_000_000 }]);
      const fetchCut = (): Promise<{ bytes: number; complete: boolean; status: number }> => new Promise((resolve) => {
        const req = request({ host: '127.0.0.1', port: sim.port, path: '/api/reporting?generate_report=AccessSession&start_time=0&duration=0',
          headers: { Authorization: `Bearer ${tok}` }, ca: sim.caPem, agent: false }, (res) => {
          let bytes = 0;
          res.on('data', (c: Buffer) => (bytes += c.length));
          res.on('error', () => {});
          res.on('close', () => resolve({ bytes, complete: res.complete, status: res.statusCode ?? 0 }));
        });
        req.on('error', () => {});
        req.end();
      });
      assert.deepEqual(await fetchCut(), { bytes: 5000, complete: false, status: 200 });
      const whole = await fetchCut();
      assert.equal(whole.complete, false, 'a body shorter than afterBytes still never completes');
      assert.ok(whole.bytes > 5000);
    }));
});

describe('corpus', () => {
  it('is deterministic and realistic', () => {
    const opts = { seed: 42, from: T0, to: T0 + 86_400, sessions: 300, inProgressShare: 0.2 };
    const a = generateCorpus(opts);
    assert.deepEqual(JSON.stringify(a), JSON.stringify(generateCorpus(opts)));
    assert.notDeepEqual(JSON.stringify(a), JSON.stringify(generateCorpus({ ...opts, seed: 43 })));
    assert.equal(a.length, 300);
    assert.equal(new Set(a.map((s) => s.lsid)).size, 300);
    assert.ok(a.every((s, i) => s.startTime >= T0 && s.startTime < T0 + 86_400 && (i === 0 || a[i - 1]!.startTime <= s.startTime)));
    const inProgress = a.filter((s) => s.endTime === null).length;
    assert.ok(inProgress > 30 && inProgress < 90, `${inProgress} in progress`);
    const events = a.flatMap((s) => s.events);
    const types = new Set(events.map((e) => e.eventType));
    for (const t of ['Session Start', 'Session End', 'Conference Member Added', 'File Download', 'Command Shell Session Started', 'Chat Message', 'Registry Editor Access']) {
      assert.ok(types.has(t), t);
    }
    const ips = a.flatMap((s) => [...s.customers, ...s.reps].map((p) => p.publicIp));
    assert.ok(ips.some((ip) => /^\[[0-9a-f:]+\]:\d+$/.test(ip)), 'IPv6 with port');
    assert.ok(ips.some((ip) => /^\d+\.\d+\.\d+\.\d+:\d+$/.test(ip)), 'IPv4 with port');
    assert.ok(ips.includes('Unknown'));
    // eslint-disable-next-line no-control-regex
    assert.ok(events.some((e) => e.body !== undefined && /[\u0000-\u0008]|\u001b/.test(e.body)), 'bodies needing encoded_body');
    assert.ok(a.some((s) => s.jumpoint === undefined) && a.some((s) => s.jumpGroup.type === 'personal'));
    assert.ok(a.some((s) => s.reps.length > 1));
  });

  it('renders well-formed reports through the simulator', () =>
    withSim(ROOMY, async (sim) => {
      const now = sim.serverNow();
      sim.addSessions(generateCorpus({ seed: 'xml', from: now - 86_400, to: now - 7200, sessions: 60, inProgressShare: 0.3 }));
      const res = await report(sim, await token(sim), { generate_report: 'AccessSession', start_time: now - 86_400, duration: 0 });
      assertWellFormed(res.body);
      assert.equal(lsidsIn(res.body).length, 60);
      assert.match(res.body, /<encoded_body>/);
      assert.match(res.body, /<end_time timestamp=""><\/end_time>/);
    }));

  it('replays a session from its render cache byte for byte, and renders it again once it changed', async () => {
    const clock = createManualClock(T0 + 86_400);
    const corpus = () => generateCorpus({ seed: 'cache', from: T0, to: T0 + 80_000, sessions: 40, inProgressShare: 0.3 });
    const cached = await startPraSimulator({ ...ROOMY, now: clock.now, sessions: corpus(), renderCache: true });
    const plain = await startPraSimulator({ ...ROOMY, now: clock.now, sessions: corpus() });
    try {
      const [cachedToken, plainToken] = [await token(cached), await token(plain)];
      const window = { generate_report: 'AccessSession', start_time: T0, duration: 0 };
      const uncached = (await report(plain, plainToken, window)).body;
      assert.ok(/[^ -~\s]/.test(uncached), 'the report has characters beyond ASCII (their UTF-8 bytes are what is cached)');
      assert.equal((await report(cached, cachedToken, window)).body, uncached, 'first answer: rendered and cached');
      assert.equal((await report(cached, cachedToken, window)).body, uncached, 'second answer: replayed from the cache');

      const live = corpus().find((s) => s.endTime === null)!;
      for (const sim of [cached, plain]) sim.appendEvents(live.lsid, [{ timestamp: T0 + 86_000, eventType: 'Chat Message', body: 'later' }]);
      const changed = (await report(plain, plainToken, window)).body;
      assert.notEqual(changed, uncached);
      assert.equal((await report(cached, cachedToken, window)).body, changed, 'a session that gained an event is rendered again');
    } finally {
      await cached.close();
      await plain.close();
    }
  });
});

describe('large reports', () => {
  it('streams a 50 MB report with backpressure while its memory stays modest', (t) =>
    withSim(ROOMY, async (sim) => {
      const now = sim.serverNow();
      sim.addSessions(generateCorpus({ seed: 'big', from: now - 86_400, to: now - 43_200, sessions: 5, largeSessions: { count: 1, eventsPerSession: 175_000 } }));
      const tok = await token(sim);
      global.gc?.();
      const baseline = process.memoryUsage().rss;
      let peak = baseline;
      const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
      try {
        const result = await new Promise<{ bytes: number; headers: IncomingHttpHeaders; tail: string }>((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port: sim.port, path: `/api/reporting?generate_report=AccessSession&start_time=${now - 86_400}&duration=0`,
            headers: { Authorization: `Bearer ${tok}` }, ca: sim.caPem, agent: false }, (res) => {
            let bytes = 0;
            let tail = '';
            // A slow-ish reader: pause now and then so that the server must wait for 'drain'.
            res.on('data', (c: Buffer) => {
              bytes += c.length;
              tail = (tail + c.toString('latin1')).slice(-64);
              if (bytes % (8 * 1024 * 1024) < c.length) {
                res.pause();
                setTimeout(() => res.resume(), 50);
              }
            });
            res.on('end', () => resolve({ bytes, headers: res.headers, tail }));
            res.on('error', reject);
          });
          req.on('error', reject);
          req.end();
        });
        assert.ok(result.bytes > 50 * 1024 * 1024, `${result.bytes} bytes`);
        assert.equal(result.headers['content-length'], undefined);
        assert.equal(result.headers['transfer-encoding'], 'chunked');
        assert.ok(result.tail.endsWith('</session_details>\n</session>\n</session_list>\n'));
      } finally {
        clearInterval(sampler);
      }
      const grewMb = (peak - baseline) / 1024 / 1024;
      t.diagnostic(`RSS grew by ${grewMb.toFixed(1)} MB while streaming ${(sim.requests.at(-1)?.bytes ?? 0) >> 20} MiB`);
      assert.ok(grewMb < 64, `RSS grew by ${grewMb.toFixed(0)} MB while streaming 50 MB`);
      await eventually(() => sim.requests.at(-1)?.completed === true);
    }));
});
