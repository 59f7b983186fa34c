// Downloads (recordings and site backups) that trickle or fall silent are cut off by their
// minimum throughput, over real TLS sockets to the PRA simulator. Without the guard the trickling
// ones would take an hour (a byte every 50 ms) and the silent ones end only at the socket timeout
// with another message: each test below fails then.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { downloadRecording } from '../../electron/engine/archive/recording-download.ts';
import { openBackup } from '../../electron/engine/backup/backup-request.ts';
import { declaredLength, DownloadBody } from '../../electron/engine/pra/download-body.ts';
import { SiteUnavailableError } from '../../electron/engine/pra/errors.ts';
import { PraAccounts } from '../../electron/engine/pra/pra-accounts.ts';
import { PraClient, type PraConnection } from '../../electron/engine/pra/pra-client.ts';
import { DEFAULT_CLIENT, recordingSha256, startPraSimulator, type PraSimulator } from '../simulators/pra/index.ts';
import { startConnectProxy } from '../support/connect-proxy.ts';

const FAST_RETRY = { baseDelayMs: 20, maxDelayMs: 100, maxAttempts: 4 };
/** 4 KiB per 0.4 s of waiting for the site (10 KiB/s). */
const LIMITS = { minBytesPerWindow: 4096, windowMs: 400 };
const LSID = 'dl000000000000000000000000000001';
const SLOW = 'dl000000000000000000000000000002';
const SLOW_BYTES = 160 * 1024;
const TOO_SLOW = /arrived too slowly \((\d+) bytes in \d+(\.\d)? s; at least 4096 bytes per 0\.4 s are required\): the download was stopped\./;

describe('download throughput guard (recordings and backups, real TLS sockets)', () => {
  let sim: PraSimulator;
  let dir: string;
  before(async () => {
    sim = await startPraSimulator({ tokenLifetimeSeconds: 3600 });
    const start = Math.floor(Date.now() / 1000) - 7200;
    sim.addSession({ lsid: LSID, startTime: start, endTime: start + 60, hasRecording: true });
    sim.recordings.set(LSID, null, { bytes: 256 * 1024 });
    sim.addSession({ lsid: SLOW, startTime: start, endTime: start + 60, hasRecording: true });
    // 160 KiB at 64 KiB/s: 2.5 s in all, six windows and more; a 16 KiB piece every 0.25 s.
    sim.recordings.set(SLOW, null, { bytes: SLOW_BYTES, bytesPerSecond: 64 * 1024 });
    dir = mkdtempSync(join(tmpdir(), 'pra-ic-dl-'));
  });
  after(async () => {
    await sim.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function client(overrides: Partial<PraConnection> = {}): PraClient {
    const connection: PraConnection = { host: sim.host, clientId: DEFAULT_CLIENT.clientId, timeoutSeconds: 5, caFile: sim.caFile, proxyUrl: null, ...overrides };
    return new PraClient(connection, async () => DEFAULT_CLIENT.clientSecret, new PraAccounts(), { retry: FAST_RETRY, downloadLimits: LIMITS });
  }

  async function download(c: PraClient, lsid: string, name: string) {
    return downloadRecording(c, { lsid, instance: null }, (ext) => join(dir, `${name}.${ext}`));
  }

  it('a recording that trickles (a byte every 50 ms after its first KiB) fails, naming the rate; nothing is saved', { timeout: 20_000 }, async () => {
    const c = client();
    await c.token();
    sim.injectFaults([{ kind: 'trickle', afterBytes: 1024, intervalMs: 50, count: 1 }]);
    const error = await download(c, LSID, 'trickle').then(() => null, (e: unknown) => e);
    assert.ok(error instanceof SiteUnavailableError, String(error));
    assert.match(error.message, new RegExp(`^The recording of session ${LSID} from 127\\.0\\.0\\.1:\\d+ ${TOO_SLOW.source}`));
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('trickle')), [], 'no file and no .part');
  });

  it('a recording that falls silent is stopped by the window, before the 5 s socket timeout, naming 0 bytes', { timeout: 20_000 }, async () => {
    const c = client();
    await c.token();
    sim.injectFaults([{ kind: 'stall-body', afterBytes: 1024, count: 1 }]);
    const error = await download(c, LSID, 'stall').then(() => null, (e: unknown) => e);
    assert.ok(error instanceof SiteUnavailableError, String(error));
    assert.match(error.message, TOO_SLOW);
    // The first window held the 1 KiB that came at once; the one that failed held nothing.
    assert.ok(['0', '1024'].includes(TOO_SLOW.exec(error.message)![1]!), error.message);
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('stall')), []);
  });

  it('a slow recording that keeps above the minimum arrives complete however many windows it takes (no overall cap)', { timeout: 20_000 }, async () => {
    const outcome = await download(client(), SLOW, 'slow');
    assert.equal(outcome.kind, 'saved');
    const file = readdirSync(dir).find((f) => f.startsWith('slow.'))!;
    assert.equal(createHash('sha256').update(readFileSync(join(dir, file))).digest('hex'), recordingSha256(SLOW, null, SLOW_BYTES));
  });

  // Recordings are sent with node:https directly (pra/file-request.ts), not through got: the
  // proxy, the timeout and the retries must hold there too.
  it('a recording goes through an HTTP proxy (CONNECT tunnel) with its exact bytes', { timeout: 20_000 }, async () => {
    const proxy = await startConnectProxy();
    try {
      const outcome = await download(client({ proxyUrl: proxy.url }), LSID, 'proxied');
      assert.equal(outcome.kind, 'saved');
      assert.ok(proxy.tunnels.length >= 2 && proxy.tunnels.every((t) => t === sim.host), `tunnels: ${proxy.tunnels.join(', ')}`);
      const file = readdirSync(dir).find((f) => f.startsWith('proxied.'))!;
      assert.equal(createHash('sha256').update(readFileSync(join(dir, file))).digest('hex'), recordingSha256(LSID, null, 256 * 1024));
    } finally {
      await proxy.close();
    }
  });

  it('a recording whose answer does not start within the site timeout is retried, then fails naming the timeout', { timeout: 20_000 }, async () => {
    const c = new PraClient({ host: sim.host, clientId: DEFAULT_CLIENT.clientId, timeoutSeconds: 1, caFile: sim.caFile, proxyUrl: null }, async () => DEFAULT_CLIENT.clientSecret, new PraAccounts(), {
      retry: { ...FAST_RETRY, maxAttempts: 2 },
      downloadLimits: LIMITS,
    });
    await c.token();
    const before = sim.requests.length;
    sim.injectFaults([{ kind: 'slow', delayMs: 1500, count: 2 }]);
    const error = await download(c, LSID, 'late').then(() => null, (e: unknown) => e);
    assert.ok(error instanceof SiteUnavailableError, String(error));
    assert.match(error.message, /no answer within 1 s/);
    assert.equal(sim.requests.slice(before).filter((r) => r.report === 'AccessSessionRecording').length, 2, 'two attempts');
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('late')), []);
    // The next one, on time, arrives.
    assert.equal((await download(c, LSID, 'late')).kind, 'saved');
  });

  it('a recording whose writer keeps it paused for longer than the site timeout (a slow archive folder) still arrives whole', { timeout: 20_000 }, async () => {
    const c = new PraClient({ host: sim.host, clientId: DEFAULT_CLIENT.clientId, timeoutSeconds: 1, caFile: sim.caFile, proxyUrl: null }, async () => DEFAULT_CLIENT.clientSecret, new PraAccounts(), {
      retry: FAST_RETRY,
      downloadLimits: LIMITS,
    });
    const response = await c.openReportFile('AccessSessionRecording', { lsid: LSID });
    const body = new DownloadBody(response.request, { declaredBytes: declaredLength(response.headers), limits: LIMITS, what: 'The recording', failures: { broken: (e) => new Error(`broken: ${String(e)}`), incomplete: (r, d) => new Error(`incomplete ${r}/${d}`) } });
    const hash = createHash('sha256');
    let waited = false;
    await body.writeTo((chunk) => {
      hash.update(chunk);
      if (waited) return undefined;
      waited = true;
      return new Promise((resolve) => setTimeout(resolve, 1500));
    });
    assert.equal(hash.digest('hex'), recordingSha256(LSID, null, 256 * 1024));
  });

  it('a backup that trickles fails, naming the rate (its window is the backup wait when that is longer)', { timeout: 20_000 }, async () => {
    const c = client();
    await c.token();
    sim.injectFaults([{ kind: 'trickle', afterBytes: 8192, intervalMs: 50, endpoint: 'backup', count: 1 }]);
    const opened = await openBackup(c, null, undefined, { waitSeconds: 0 });
    const error = await opened.body(() => undefined).then(() => null, (e: unknown) => e);
    assert.ok(error instanceof SiteUnavailableError, String(error));
    assert.match(error.message, new RegExp(`^The backup from 127\\.0\\.0\\.1:\\d+ ${TOO_SLOW.source}`));
  });

  it('a backup at full speed is unaffected', { timeout: 20_000 }, async () => {
    const opened = await openBackup(client(), null, undefined, { waitSeconds: 0 });
    let bytes = 0;
    await opened.body((chunk) => {
      bytes += chunk.length;
      return undefined;
    });
    assert.equal(bytes, sim.backup.settings.bytes);
  });
});
