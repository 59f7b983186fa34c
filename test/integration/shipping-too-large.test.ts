// An Elasticsearch (or a proxy in front of it: nginx's client_max_body_size is 1 MB by default) that
// accepts smaller request bodies than the shipper's bulks. Elasticsearch answers a body above
// `http.max_content_length` with 413 and an empty body, before reading any document: the shipper
// must make its requests smaller rather than send the same one again forever, and a single document
// that is larger than the limit on its own is kept as failed with the reason, so that it does not
// hold up every event behind it.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Engine } from '../../electron/engine/engine.ts';
import { SHIP_LIMITS } from '../../electron/engine/elastic/shipper.ts';
import { startElasticsearchSimulator, type ElasticsearchSimulator } from '../simulators/elasticsearch/index.ts';
import { createManualClock, DEFAULT_CLIENT, generateCorpus, startPraSimulator, type PraSimulator, type SimSession } from '../simulators/pra/index.ts';
import { newEngine, visibleEvents } from '../support/engine-fixture.ts';

const T = Math.floor(Date.now() / 1000 / 3600) * 3600;
const DAY = 86_400;
const STREAM = 'logs-beyondtrust_pra.access_session-default';
const WRITER = { cluster: ['monitor'], indices: [{ names: ['logs-beyondtrust_pra.access_session-*'], privileges: ['auto_configure', 'create_doc'] }] };
const LIMIT = 64 * 1024;

async function setUp(engine: Engine, pra: PraSimulator, es: ElasticsearchSimulator) {
  await engine.addSite({ name: 'Sim', host: pra.host, clientId: DEFAULT_CLIENT.clientId, caFile: pra.caFile, initialIntervalSeconds: 3 * DAY }, DEFAULT_CLIENT.clientSecret);
  await engine.setDestination({ url: es.url, auth: 'api-key', namespace: 'default' }, 'writer:writer-key');
}

describe('shipping to an Elasticsearch that accepts only small request bodies (HTTP 413)', () => {
  let pra: PraSimulator;
  let es: ElasticsearchSimulator;
  let corpus: SimSession[];
  let giant: SimSession;
  const clock = createManualClock(T);

  before(async () => {
    corpus = generateCorpus({ seed: 413, from: T - 2 * DAY, to: T - 3600, sessions: 80, inProgressShare: 0 });
    // One chat message larger than the limit on its own: its document can never be accepted.
    giant = corpus[corpus.length >> 1]!;
    giant.events[1] = { ...giant.events[1]!, eventType: 'Chat Message', body: 'x'.repeat(LIMIT * 2) };
    pra = await startPraSimulator({ now: clock.now, sessions: corpus });
    es = await startElasticsearchSimulator({ apiKeys: [{ id: 'writer', key: 'writer-key', privileges: WRITER }], integrationInstalled: true, maxContentLength: LIMIT });
  });
  after(async () => {
    await pra.close();
    await es.close();
  });

  it('splits its requests below the limit, delivers every other event once, and keeps the one too large as failed', async () => {
    const engine = newEngine({ shipLimits: { minBackoffMs: 10, maxBackoffMs: 50 } });
    try {
      await setUp(engine, pra, es);
      const { sites, shipping } = await engine.runOnce();
      assert.equal(sites[0]!.ok, true, sites[0]!.error);
      assert.equal(shipping!.gaveUp, null, 'a body limit is not an outage');
      const total = corpus.reduce((n, s) => n + visibleEvents(s, clock.now()), 0);
      const docs = es.documents(STREAM);
      assert.equal(docs.length, total - 1, 'every event but the one too large');
      assert.equal(new Set(docs.map((d) => d._id)).size, total - 1, 'none twice');
      assert.deepEqual(engine.queries.outboxCounts(), { pending: 0, sent: total - 1, failed: 1 });
      const [failure] = engine.status().outboxFailures;
      assert.match(failure!.reason, /HTTP 413/);
      assert.match(failure!.reason, /http\.max_content_length/);
      assert.ok(!docs.some((d) => JSON.stringify(d._source).includes('x'.repeat(1000))), 'the giant message was not indexed');

      const accepted = es.bulkRequests.filter((r) => r.status === 200);
      const refused = es.bulkRequests.filter((r) => r.status === 413);
      assert.ok(accepted.every((r) => r.bytes <= LIMIT), `accepted bulks within the limit: ${accepted.map((r) => r.bytes).join(', ')}`);
      // The first refusals teach the shipper the limit: later bulks are built small, not refused one by
      // one. What was already in flight when the first refusal came is refused too, so the bound grows
      // with the requests in flight (16 when there were 3).
      const bound = 4 * SHIP_LIMITS.maxInFlight + 4;
      assert.ok(refused.length >= 2 && refused.length <= bound, `${refused.length} refused requests (at most ${bound}) against ${accepted.length} accepted`);
      assert.equal(engine.status().shippingError, null, 'the shipping error clears once documents are delivered');
    } finally {
      await engine.close();
    }
  });
});
