// The pipelined shipper against the Elasticsearch simulator over real sockets: partial throttling
// (issue #17 item 7), one run --once sending nothing twice and counting the whole run (item 8), no
// listener piling up on backoff sleeps (item 8), and the last shipping error kept until a delivery
// succeeds (item 10).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Engine } from '../../electron/engine/engine.ts';
import { KeytarSecretStore } from '../../electron/engine/secrets/keytar-secret-store.ts';
import type { SecretStore } from '../../electron/engine/secrets/secret-store.ts';
import type { Engine as EngineType } from '../../electron/engine/engine.ts';
import { startElasticsearchSimulator, type ElasticsearchSimulator } from '../simulators/elasticsearch/index.ts';
import { createManualClock, DEFAULT_CLIENT, generateCorpus, startPraSimulator, type PraSimulator, type SimSession } from '../simulators/pra/index.ts';
import { FAST, newEngine, visibleEvents } from '../support/engine-fixture.ts';

const T = Math.floor(Date.now() / 1000 / 3600) * 3600;
const DAY = 86_400;
const STREAM = 'logs-beyondtrust_pra.access_session-default';
const WRITER = { cluster: ['monitor'], indices: [{ names: ['logs-beyondtrust_pra.access_session-*'], privileges: ['auto_configure', 'create_doc'] }] };

async function setUp(engine: EngineType, pra: PraSimulator, es: ElasticsearchSimulator, apiKey = 'writer:writer-key') {
  await engine.addSite({ name: 'Sim', host: pra.host, clientId: DEFAULT_CLIENT.clientId, caFile: pra.caFile, initialIntervalSeconds: 3 * DAY }, DEFAULT_CLIENT.clientSecret);
  await engine.setDestination({ url: es.url, auth: 'api-key', namespace: 'default' }, apiKey);
}

describe('pipelined shipping into the Elasticsearch simulator', () => {
  let pra: PraSimulator;
  let es: ElasticsearchSimulator;
  let corpus: SimSession[];
  const clock = createManualClock(T);
  const total = () => corpus.reduce((n, s) => n + visibleEvents(s, clock.now()), 0);

  before(async () => {
    corpus = generateCorpus({ seed: 'pipeline', from: T - 2 * DAY, to: T - 3600, sessions: 150, inProgressShare: 0.1 });
    pra = await startPraSimulator({ now: clock.now, sessions: corpus });
    es = await startElasticsearchSimulator({ apiKeys: [{ id: 'writer', key: 'writer-key', privileges: WRITER }] });
  });
  after(async () => {
    await pra.close();
    await es.close();
  });

  it('2 % of the items throttled (429) on every bulk: no give-up, throttled items retried, the rest flows, each event once', async () => {
    es.reset();
    const engine = newEngine({ shipLimits: { ...FAST.shipLimits, maxDocs: 100 } });
    try {
      await setUp(engine, pra, es);
      await engine.runNow(); // extract only: the outbox holds everything
      assert.equal(engine.queries.outboxCounts().pending, total());
      // Every bulk, for as long as the run lasts: item 50, 100… of each request answered 429.
      await es.injectFaults([{ kind: 'reject-items', status: 429, everyNth: 50, count: 1_000 }]);
      const outcome = await engine.shipper.drain(); // default maxFailures: 8
      assert.equal(outcome.gaveUp, null, 'progress in every answer: not a failure');
      assert.ok(outcome.retried > 0, 'throttled items were retried');
      assert.equal(outcome.sent, total());
      const docs = es.documents(STREAM);
      assert.equal(docs.length, total());
      assert.equal(new Set(docs.map((d) => d._id)).size, total(), 'each event once');
      assert.deepEqual(engine.queries.outboxCounts(), { pending: 0, sent: total(), failed: 0 });
      // Near full speed: the first pass over the outbox plus a few small bulks of throttled items,
      // not one bulk at a time behind a growing backoff.
      const firstPass = Math.ceil(total() / 100);
      assert.ok(es.bulkRequests.length <= firstPass * 1.5 + 5, `${es.bulkRequests.length} bulks for ${firstPass} batches`);
      assert.equal(es.bulkRequests.filter((r) => r.itemStatuses.includes(409)).length, 0, 'nothing sent twice');
    } finally {
      es.clearFaults();
      await engine.close();
    }
  });

  it('the requests in flight share one client: the keychain is read once for it, only for the secret its sign-in uses', async () => {
    es.reset();
    // The real keychain, its reads counted.
    const keychain = new KeytarSecretStore();
    const reads: string[] = [];
    const secrets: SecretStore = {
      get: (account) => (reads.push(account), keychain.get(account)),
      set: (account, secret) => keychain.set(account, secret),
      delete: (account) => keychain.delete(account),
      accounts: (prefix) => keychain.accounts(prefix),
    };
    const engine = newEngine({ secrets, shipLimits: { ...FAST.shipLimits, maxDocs: 20, maxInFlight: 3 } });
    try {
      await setUp(engine, pra, es);
      reads.length = 0; // saving the destination reads the keychain too
      await engine.runNow(); // extract only: the outbox holds everything (the client may be made meanwhile)
      const outcome = await engine.shipper.drain();
      assert.equal(outcome.sent, total());
      assert.ok(es.bulkRequests.length >= 3, 'several requests, the first ones in flight together');
      // One client for them all (each made its own before: the API key and the password, three times).
      const elastic = reads.filter((account) => account.includes('/elastic/'));
      assert.deepEqual(elastic.map((account) => account.split('/').slice(1).join('/')), ['elastic/api_key']);
    } finally {
      await engine.close();
    }
  });

  it('run --once: the batches in flight when extraction ends are not sent again, and the count covers the whole run', async () => {
    es.reset();
    // Latency keeps a request in flight at any moment of the run, as with a real cluster, and a slow
    // appliance makes extraction last (its windows stored one by one, shipped while the next is read).
    es.setBulkLatency(30);
    pra.injectFaults([{ kind: 'slow', delayMs: 400, count: 20 }]);
    const engine = newEngine({ shipLimits: { ...FAST.shipLimits, maxDocs: 50 } });
    try {
      await setUp(engine, pra, es);
      const { sites, shipping } = await engine.runOnce();
      assert.equal(sites[0]!.ok, true, sites[0]!.error);
      assert.equal(shipping!.gaveUp, null);
      const statuses = es.bulkRequests.flatMap((r) => r.itemStatuses);
      assert.equal(statuses.filter((s) => s === 409).length, 0, 'no event sent twice');
      assert.equal(es.count(STREAM), total());
      assert.equal(shipping!.sent, total(), '"delivered this run" counts what was shipped during extraction too');
      assert.deepEqual(engine.queries.outboxCounts(), { pending: 0, sent: total(), failed: 0 });
    } finally {
      es.setBulkLatency(0);
      await engine.close();
    }
  });

  it('the client is made while a run\'s first sessions are parsed, before its first bulk: not for a site that has nothing', async () => {
    const empty = await startPraSimulator({ now: clock.now, sessions: [] });
    for (const [site, expected] of [[empty, 'none'], [pra, 'before the first bulk']] as const) {
      es.reset();
      const engine = newEngine();
      const prepared: number[] = [];
      const prepare = engine.shipper.prepare.bind(engine.shipper);
      engine.shipper.prepare = () => (prepared.push(Date.now()), prepare());
      try {
        await setUp(engine, site, es);
        const { sites } = await engine.runOnce();
        assert.equal(sites[0]!.ok, true, sites[0]!.error);
        if (expected === 'none') {
          assert.deepEqual(prepared, [], 'reports without sessions (a few hundred bytes each) do not make it');
          assert.equal(es.bulkRequests.length, 0);
        } else {
          assert.ok(prepared.length >= 1, 'made ahead');
          assert.ok(prepared[0]! <= es.bulkRequests[0]!.at.getTime(), 'before the first bulk arrived');
          assert.equal(es.count(STREAM), total());
        }
      } finally {
        await engine.close();
      }
    }
    await empty.close();
  });

  it('getting the shipper ready is not the extraction\'s business: if it throws, the site\'s run still stores and ships everything', async () => {
    es.reset();
    const engine = newEngine();
    let calls = 0;
    engine.shipper.prepare = () => {
      calls++;
      throw new Error('not ready');
    };
    try {
      await setUp(engine, pra, es);
      const { sites, shipping } = await engine.runOnce();
      assert.ok(calls >= 1);
      assert.equal(sites[0]!.ok, true, sites[0]!.error);
      assert.equal(shipping!.sent, total());
      assert.equal(es.count(STREAM), total());
    } finally {
      await engine.close();
    }
  });

  it('a listener of sites\' status only (pra-ic run) gets only those, and the outbox is not counted for it; a listener of everything gets the counts', async () => {
    for (const types of [['site-status'] as const, undefined]) {
      es.reset();
      const engine = newEngine();
      let counted = 0;
      const count = engine.queries.outboxCounts.bind(engine.queries);
      engine.queries.outboxCounts = (destination?: string) => (counted++, count(destination));
      const received = new Set<string>();
      const unsubscribe = engine.onEvent((e) => received.add(e.type), types);
      try {
        await setUp(engine, pra, es);
        const { shipping } = await engine.runOnce();
        assert.equal(shipping!.sent, total());
        await new Promise((r) => setTimeout(r, 300)); // a trailing publish, if one was due
        if (types) {
          assert.deepEqual([...received], ['site-status']);
          assert.equal(counted, 0, 'the outbox was counted for nobody');
        } else {
          assert.ok(received.has('site-status') && received.has('outbox'), [...received].join());
          assert.ok(counted > 0);
        }
      } finally {
        unsubscribe();
        await engine.close();
      }
    }
  });

  it('with the batch builder thread (opt-in): every event once, nothing sent twice', async () => {
    es.reset();
    const engine = newEngine({ shipBuilderScript: new URL('../../electron/engine/elastic/batch-builder-worker.ts', import.meta.url), shipLimits: { ...FAST.shipLimits, maxDocs: 200 } });
    const logs: string[] = [];
    engine.onEvent((e) => e.type === 'log' && logs.push(e.line.message));
    try {
      await setUp(engine, pra, es);
      const { shipping } = await engine.runOnce();
      assert.deepEqual(logs.filter((m) => /batch builder/.test(m)), [], 'the thread ran (no fallback to this thread)');
      assert.equal(shipping!.gaveUp, null);
      assert.equal(shipping!.sent, total());
      assert.equal(es.count(STREAM), total());
      assert.equal(es.bulkRequests.flatMap((r) => r.itemStatuses).filter((s) => s === 409).length, 0);
      assert.deepEqual(engine.queries.outboxCounts(), { pending: 0, sent: total(), failed: 0 });
    } finally {
      await engine.close();
    }
  });

  it('backoff sleeps leave no listener behind (no MaxListenersExceededWarning however long Elasticsearch fails)', async () => {
    es.reset();
    const warnings: Error[] = [];
    const onWarning = (w: Error) => warnings.push(w);
    process.on('warning', onWarning);
    const engine = newEngine({ shipLimits: { minBackoffMs: 1, maxBackoffMs: 2 } });
    try {
      await setUp(engine, pra, es);
      await engine.runNow();
      await es.injectFaults([{ kind: 'status', status: 503, count: 40 }]);
      engine.shipper.start(); // the background loop: it never gives up, it backs off
      while (es.bulkRequests.length < 30) await new Promise((r) => setTimeout(r, 5));
      await engine.shipper.stop();
      await new Promise((r) => setImmediate(r)); // warnings are emitted on the next tick
      assert.deepEqual(
        warnings.filter((w) => w.name === 'MaxListenersExceededWarning').map((w) => w.message),
        [],
      );
    } finally {
      process.off('warning', onWarning);
      es.clearFaults();
      await engine.close();
    }
  });

  it('a run that failed with 401 leaves its reason in status, on disk, until a delivery succeeds', async () => {
    es.reset();
    const engine = newEngine();
    const dataDir = engine.dataDir;
    try {
      await setUp(engine, pra, es, 'writer:wrong-key');
      const { shipping } = await engine.runOnce();
      assert.match(shipping!.gaveUp ?? '', /HTTP 401/);
    } finally {
      await engine.close();
    }
    // A later `pra-ic status` (a new process on the same data folder) shows why events are pending.
    const later = new Engine({ dataDir, minPollSeconds: 1, ...FAST });
    try {
      const status = later.status();
      assert.ok(status.outbox.pending > 0);
      assert.match(status.shippingError?.message ?? '', /rejected the credentials \(HTTP 401\).*API key/);
      assert.doesNotMatch(JSON.stringify(status.shippingError), /wrong-key/, 'no secret in it');
      assert.ok(Date.parse(status.shippingError!.at) >= Date.parse(status.shippingError!.since));
      // The user fixes the key: the next delivery clears it, on disk too.
      await later.setDestination({}, 'writer:writer-key');
      const outcome = await later.shipper.drain();
      assert.equal(outcome.gaveUp, null);
      assert.equal(later.status().shippingError, null);
    } finally {
      await later.close();
    }
    const third = new Engine({ dataDir, minPollSeconds: 1, ...FAST });
    try {
      assert.equal(third.status().shippingError, null);
      assert.equal(third.status().outbox.pending, 0);
    } finally {
      await third.close();
    }
  });
});
