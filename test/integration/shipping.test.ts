import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Engine } from '../../electron/engine/engine.ts';
import { startElasticsearchSimulator, startKibanaSimulator, type ElasticsearchSimulator } from '../simulators/elasticsearch/index.ts';
import { createManualClock, DEFAULT_CLIENT, generateCorpus, startPraSimulator, type PraSimulator, type SimSession } from '../simulators/pra/index.ts';
import { newEngine, visibleEvents } from '../support/engine-fixture.ts';

const T = Math.floor(Date.now() / 1000 / 3600) * 3600;
const DAY = 86_400;
const STREAM = 'logs-beyondtrust_pra.access_session-default';
const WRITER = { cluster: ['monitor'], indices: [{ names: ['logs-beyondtrust_pra.access_session-*'], privileges: ['auto_configure', 'create_doc'] }] };

async function setUp(engine: Engine, pra: PraSimulator, es: ElasticsearchSimulator, apiKey = 'writer:writer-key') {
  await engine.addSite({ name: 'Sim', host: pra.host, clientId: DEFAULT_CLIENT.clientId, caFile: pra.caFile, initialIntervalSeconds: 3 * DAY }, DEFAULT_CLIENT.clientSecret);
  await engine.setDestination({ url: es.url, auth: 'api-key', namespace: 'default' }, apiKey);
}

function expectedEvents(corpus: SimSession[], now: number) {
  return corpus.reduce((n, s) => n + visibleEvents(s, now), 0);
}

describe('shipping to the Elasticsearch simulator', () => {
  let pra: PraSimulator;
  let es: ElasticsearchSimulator;
  let corpus: SimSession[];
  const clock = createManualClock(T);

  before(async () => {
    corpus = generateCorpus({ seed: 11, from: T - 2 * DAY, to: T - 3600, sessions: 150, inProgressShare: 0.1 });
    pra = await startPraSimulator({ now: clock.now, sessions: corpus });
    es = await startElasticsearchSimulator({ apiKeys: [{ id: 'writer', key: 'writer-key', privileges: WRITER }], integrationInstalled: true });
  });
  after(async () => {
    await pra.close();
    await es.close();
  });

  it('a multi-day corpus arrives with every event exactly once, in the integration\'s format', async () => {
    const engine = newEngine();
    try {
      await setUp(engine, pra, es);
      const { sites, shipping } = await engine.runOnce();
      assert.equal(sites[0]!.ok, true, sites[0]!.error);
      assert.equal(shipping!.gaveUp, null);
      const total = expectedEvents(corpus, clock.now());
      const docs = es.documents(STREAM);
      assert.equal(docs.length, total, 'one document per event');
      assert.equal(new Set(docs.map((d) => d._id)).size, total, 'unique _ids');
      assert.deepEqual(engine.queries.outboxCounts(), { pending: 0, sent: total, failed: 0 });
      const doc = docs[0]!._source as Record<string, unknown>;
      assert.deepEqual(doc.tags, ['forwarded', 'beyondtrust_pra-access_session']);
      assert.deepEqual(doc.input, { type: 'cel' });
      assert.equal((doc.data_stream as { dataset: string }).dataset, 'beyondtrust_pra.access_session');
      const message = JSON.parse(String((doc.event as { original?: string }).original ?? doc.message)) as { session: { lsid: string } };
      assert.ok(message.session.lsid, 'session.lsid present');
    } finally {
      await engine.close();
    }
  });

  it('the same corpus re-extracted into a fresh data directory creates zero new documents', async () => {
    const before = es.count(STREAM);
    const engine = newEngine();
    try {
      await setUp(engine, pra, es);
      const { shipping } = await engine.runOnce();
      assert.equal(shipping!.gaveUp, null);
      assert.equal(es.count(STREAM), before, 'every resend answered 409 = already delivered');
      assert.equal(engine.queries.outboxCounts().pending, 0);
      const conflicts = es.bulkRequests.slice(-3).flatMap((r) => r.itemStatuses ?? []).filter((s) => s === 409).length;
      assert.ok(conflicts > 0, 'resends were conflicts');
    } finally {
      await engine.close();
    }
  });

  it('item 429s, whole-request 503s and an outage in the middle still end with every event delivered once', async () => {
    es.reset();
    es.installIntegrationAssets();
    const engine = newEngine({ shipLimits: { maxDocs: 100, minBackoffMs: 10, maxBackoffMs: 50 } });
    try {
      await setUp(engine, pra, es);
      await es.injectFaults([
        { kind: 'reject-items', status: 429, count: 3, everyNth: 3 },
        { kind: 'status', status: 503, count: 2 },
      ]);
      await engine.runNow(); // extract only: the outbox holds everything
      const total = expectedEvents(corpus, clock.now());
      assert.equal(engine.queries.outboxCounts().pending, total);
      for (let i = 0; i < 4; i++) await engine.shipper.shipBatch().catch(() => null); // 503s are thrown to the caller
      assert.ok(es.count(STREAM) > 0 && es.count(STREAM) < total, 'part delivered before the outage');
      await es.down();
      const duringOutage = await engine.shipper.drain({ maxFailures: 3 });
      assert.ok(duringOutage.gaveUp, 'gives up for now while Elasticsearch is down');
      assert.ok(engine.queries.outboxCounts().pending > 0, 'events stay queued on disk');
      await es.up();
      const afterOutage = await engine.shipper.drain({ maxFailures: 20 });
      assert.equal(afterOutage.gaveUp, null);
      const docs = es.documents(STREAM);
      assert.equal(docs.length, total);
      assert.equal(new Set(docs.map((d) => d._id)).size, total);
      assert.deepEqual(engine.queries.outboxCounts(), { pending: 0, sent: total, failed: 0 });
    } finally {
      await es.up();
      es.clearFaults();
      await engine.close();
    }
  });

  it('a mapping rejection (item 400) is kept as failed with its reason, and ships after the user retries', async () => {
    es.reset();
    es.installIntegrationAssets();
    const engine = newEngine();
    try {
      await setUp(engine, pra, es);
      await es.injectFaults([{ kind: 'item-400', reason: 'failed to parse field [json.session.duration]', match: (item) => JSON.stringify(item.source ?? {}).includes('Session Start') }]);
      await engine.runOnce();
      const counts = engine.queries.outboxCounts();
      assert.ok(counts.failed > 0, 'rejected events are failed, not dropped');
      const failures = engine.status().outboxFailures;
      assert.match(failures[0]!.reason, /HTTP 400.*failed to parse field/);
      es.clearFaults();
      assert.equal(engine.retryFailed(), counts.failed);
      await engine.shipper.drain();
      const total = expectedEvents(corpus, clock.now());
      assert.deepEqual(engine.queries.outboxCounts(), { pending: 0, sent: total, failed: 0 });
      assert.equal(es.count(STREAM), total);
    } finally {
      es.clearFaults();
      await engine.close();
    }
  });

  it('destination test names the failing step: wrong API key, missing privileges, missing assets (and installs them through Kibana)', async () => {
    const es2 = await startElasticsearchSimulator({
      apiKeys: [
        { id: 'writer', key: 'writer-key', privileges: WRITER },
        { id: 'reader', key: 'reader-key', privileges: { cluster: ['monitor'], indices: [{ names: ['logs-*'], privileges: ['read'] }] } },
        { id: 'admin', key: 'admin-key', privileges: { cluster: ['all'], indices: [{ names: ['*'], privileges: ['all'] }] } },
      ],
      integrationInstalled: false,
    });
    const kibana = await startKibanaSimulator({ elasticsearch: es2 });
    const engine = newEngine();
    const stepOf = (r: Awaited<ReturnType<Engine['testDestination']>>) => r.steps.find((s) => s.status === 'failed');
    try {
      await engine.setDestination({ url: es2.url, auth: 'api-key', kibanaUrl: kibana.url }, 'writer:wrong-key');
      const wrong = await engine.testDestination();
      assert.equal(stepOf(wrong)?.id, 'auth', JSON.stringify(wrong.steps, null, 1));
      assert.match(stepOf(wrong)!.detail, /rejected the credentials/);

      await engine.setDestination({}, 'reader:reader-key');
      const reader = await engine.testDestination();
      assert.equal(stepOf(reader)?.id, 'privileges');
      assert.match(stepOf(reader)!.detail, /create_doc/);

      await engine.setDestination({}, 'writer:writer-key');
      const noAssets = await engine.testDestination();
      assert.equal(stepOf(noAssets)?.id, 'assets');
      assert.equal(stepOf(noAssets)?.fix, 'install-assets');
      assert.match(stepOf(noAssets)!.detail, /Integrations → BeyondTrust PRA/);

      const refused = await engine.installAssets();
      assert.equal(refused.ok, false, 'a shipping credential may not install integrations');
      assert.match(refused.detail, /403/);
      const installed = await engine.installAssets({ apiKey: 'admin:admin-key' });
      assert.equal(installed.ok, true, installed.detail);
      const ok = await engine.testDestination();
      assert.equal(ok.ok, true, JSON.stringify(ok.steps));
      const view = await engine.destinationView();
      assert.equal(view.apiKeyStored, true);
      assert.ok(!JSON.stringify(view).includes('writer-key'), 'the view never carries the secret');
    } finally {
      await engine.close();
      await kibana.close();
      await es2.close();
    }
  });
});
