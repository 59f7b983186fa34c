// The data folder's disk fills up in the middle of a backfill (a real tmpfs mount, smaller than the
// site's sessions): the run fails for that site and says the disk is full, the store stays intact,
// nothing is recorded as extracted that is not stored, and once there is room again the next run
// picks up where the stored data ends — every event in Elasticsearch exactly once. Needs root (mount).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { startElasticsearchSimulator, type ElasticsearchSimulator } from '../simulators/elasticsearch/index.ts';
import { createManualClock, DEFAULT_CLIENT, generateCorpus, startPraSimulator, type PraSimulator, type SimSession } from '../simulators/pra/index.ts';
import { newEngine, visibleEvents } from '../support/engine-fixture.ts';
import { tempDir } from '../support/temp-dir.ts';
import { until } from '../support/until.ts';

const root = process.getuid?.() === 0;
const T = Math.floor(Date.now() / 1000 / 3600) * 3600;
const DAY = 86_400;
const STREAM = 'logs-beyondtrust_pra.access_session-default';
const WRITER = { cluster: ['monitor'], indices: [{ names: ['logs-beyondtrust_pra.access_session-*'], privileges: ['auto_configure', 'create_doc'] }] };

describe('the data folder’s disk fills up during extraction', { skip: root ? false : 'needs root to mount a tmpfs' }, () => {
  let pra: PraSimulator;
  let es: ElasticsearchSimulator;
  let corpus: SimSession[];
  let mountPoint: string;
  const clock = createManualClock(T);

  before(async () => {
    corpus = generateCorpus({ seed: 28, from: T - 6 * DAY, to: T - 3600, sessions: 900, inProgressShare: 0 });
    pra = await startPraSimulator({ now: clock.now, sessions: corpus });
    es = await startElasticsearchSimulator({ apiKeys: [{ id: 'writer', key: 'writer-key', privileges: WRITER }], integrationInstalled: true });
    mountPoint = tempDir('pra-ic-store-full-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', mountPoint]);
  });
  after(async () => {
    await pra?.close();
    await es?.close();
    if (mountPoint) execFileSync('umount', ['-l', mountPoint]);
  });

  it('fails the run saying so, keeps the store intact, and completes exactly once when there is room again', async () => {
    const engine = newEngine({ dataDir: `${mountPoint}/data` });
    try {
      await engine.addSite({ name: 'Sim', host: pra.host, clientId: DEFAULT_CLIENT.clientId, caFile: pra.caFile, initialIntervalSeconds: 7 * DAY }, DEFAULT_CLIENT.clientSecret);
      await engine.setDestination({ url: es.url, auth: 'api-key', namespace: 'default' }, 'writer:writer-key');
      const full = await engine.runOnce();
      assert.equal(full.sites[0]!.ok, false, 'the run cannot store everything');
      assert.match(full.sites[0]!.error ?? '', /The disk that holds the data folder .* is full .*free some space there/);
      assert.doesNotMatch(full.sites[0]!.error ?? '', /SQLITE|Unexpected problem/);
      // Shipping ran alongside: what Elasticsearch acknowledged could not all be recorded as sent.
      // The run says so (never a crash); those events stay pending, to be recorded or resent (409).
      if (full.shipping!.gaveUp !== null) assert.match(full.shipping!.gaveUp, /is full.*answered 409, never twice/);
      else assert.equal(engine.queries.outboxCounts().pending, 0);
      const integrity = engine.database.db.pragma('integrity_check', { simple: true });
      assert.equal(integrity, 'ok');

      execFileSync('mount', ['-o', 'remount,size=256m', mountPoint]);
      const again = await engine.runOnce();
      assert.equal(again.sites[0]!.ok, true, again.sites[0]!.error);
      assert.equal(again.shipping!.gaveUp, null);
      const total = corpus.reduce((n, s) => n + visibleEvents(s, clock.now()), 0);
      const docs = es.documents(STREAM);
      assert.equal(new Set(docs.map((d) => d._id)).size, docs.length, 'no document twice');
      assert.equal(docs.length, total, 'every event once');
      assert.deepEqual(engine.queries.outboxCounts(), { pending: 0, sent: total, failed: 0 });
    } finally {
      await engine.close();
    }
  });

  it('in the app (started, on its schedule), shipping waits while answers cannot be recorded and everything catches up by itself once there is room', async () => {
    es.reset();
    es.installIntegrationAssets();
    const small = tempDir('pra-ic-store-full-app-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', small]);
    const engine = newEngine({ dataDir: `${small}/data` });
    try {
      await engine.addSite(
        { name: 'Sim', host: pra.host, clientId: DEFAULT_CLIENT.clientId, caFile: pra.caFile, initialIntervalSeconds: 7 * DAY, pollIntervalSeconds: 1 },
        DEFAULT_CLIENT.clientSecret,
      );
      await engine.setDestination({ url: es.url, auth: 'api-key', namespace: 'default' }, 'writer:writer-key');
      // Elasticsearch answers slowly while the disk fills: shipping starts with the first commit, and
      // at full speed it could record everything that fitted before the disk was full; slowed, its
      // answers arrive when they cannot be recorded.
      es.setBulkLatency(3000);
      engine.start();
      await until(() => /is full/.test(engine.status().sites[0]?.lastError ?? ''), 'the site’s run to fail for the full disk', 60_000);
      assert.ok(engine.queries.outboxCounts().pending > 0, 'what was stored is pending');

      es.setBulkLatency(0);
      execFileSync('mount', ['-o', 'remount,size=256m', small]);
      // No runOnce, no drain: the schedule and the shipping carry on by themselves.
      const total = corpus.reduce((n, s) => n + visibleEvents(s, clock.now()), 0);
      await until(() => {
        const counts = engine.queries.outboxCounts();
        return counts.pending === 0 && counts.sent === total;
      }, 'every event to be stored and recorded as sent', 120_000);
      assert.equal(es.count(STREAM), total, 'every event in Elasticsearch');
      assert.equal(engine.status().shippingError, null, 'the shipping error cleared');
    } finally {
      es.setBulkLatency(0);
      await engine.close();
      execFileSync('umount', ['-l', small]);
    }
  });
});
