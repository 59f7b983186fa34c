// Shipping survives SIGKILL anywhere: the real CLI (`pra-ic run --once`) extracts from the PRA
// simulator and ships to an Elasticsearch simulator, both reached through byte relays so that kills
// land mid-report and right after Elasticsearch indexed a _bulk request whose answer the child never
// read. After the kills and a final run, the store must equal an uninterrupted run's (every event
// sent, one outbox row each), and Elasticsearch must hold exactly the uninterrupted run's documents:
// the same _ids, one document per event, the same `message` per _id (only `agent.id`, the install
// id of each data directory, legitimately differs).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startElasticsearchSimulator, type ElasticsearchSimulator } from '../simulators/elasticsearch/index.ts';
import { createPrng } from '../simulators/pra/prng.ts';
import { createManualClock, generateCorpus, startPraSimulator, type PraSimulator, type SimSession } from '../simulators/pra/index.ts';
import { tempDir } from '../support/temp-dir.ts';
import { compareStores, configure, esMessages, storeContent, TcpProxy, WRITER, WRITER_KEY } from './harness.ts';
import { describeKill, killRuns, profiledRun, type KillRecord, type Strategy } from './kills.ts';

const T = Math.floor(Date.now() / 1000 / 3600) * 3600;
const DAY = 86_400;
const SEED = process.env.CRASH_SEED ?? String(Date.now() % 1_000_000);

/** Kill placements, used in turn (see kills.ts). */
const STRATEGIES: Strategy[] = ['mid-window', 'db-events', 'run-finished', 'bulk-reply', 'sent-count', 'after-start', 'bulk-reply', 'delay', 'sent-count', 'bulk-reply'];
const WANTED_KILLS = 12;

describe(`extraction + shipping killed at random points end identical to an uninterrupted run (CRASH_SEED=${SEED})`, () => {
  const clock = createManualClock(T);
  let sim: PraSimulator;
  let praProxy: TcpProxy;
  let esRef: ElasticsearchSimulator;
  let esCrash: ElasticsearchSimulator;
  let esProxy: TcpProxy;
  let corpus: SimSession[];

  before(async () => {
    // No large session here: every document carries its whole session header, and a large session's
    // header (hundreds of command shell recordings) makes each of its documents ~100 KB.
    corpus = generateCorpus({ seed: 'crash-shipping', from: T - 3 * DAY, to: T - 3600, sessions: 1000, inProgressShare: 0.1 });
    sim = await startPraSimulator({ now: clock.now, sessions: corpus });
    praProxy = new TcpProxy(sim.port);
    await praProxy.listen();
    const key = WRITER_KEY.split(':');
    const options = { apiKeys: [{ id: key[0]!, key: key[1]!, privileges: WRITER }], integrationInstalled: true };
    esRef = await startElasticsearchSimulator(options);
    esCrash = await startElasticsearchSimulator(options);
    esProxy = new TcpProxy(esCrash.port);
    await esProxy.listen();
  });
  after(async () => {
    await praProxy.close();
    await esProxy.close();
    await sim.close();
    await esRef.close();
    await esCrash.close();
  });

  it('after ≥ 10 SIGKILLs, Elasticsearch holds each event once, exactly as after one uninterrupted run', { timeout: 240_000 }, async (t) => {
    const random = createPrng(SEED);
    const site = { host: `127.0.0.1:${praProxy.port}`, caFile: sim.caFile };
    const refDir = tempDir('pra-crash-ship-ref-');
    const crashDir = tempDir('pra-crash-ship-');
    await configure(refDir, site, { url: esRef.url });
    await configure(crashDir, site, { url: `http://127.0.0.1:${esProxy.port}` });

    const profile = await profiledRun(refDir, praProxy, sim, esRef);
    assert.equal(profile.exitCode, 0, `uninterrupted run: ${profile.stderr}`);
    const expected = storeContent(refDir);
    const expectedDocs = esMessages(esRef);
    assert.equal(expectedDocs.docs, expected.events.length, 'the uninterrupted run shipped every event');
    t.diagnostic(`uninterrupted run: ${profile.startupMs} ms startup + ${profile.workMs} ms work (${profile.drainMs} ms draining after extraction), ${profile.bulks} _bulk requests, ${expected.events.length} events`);

    const ctx = {
      dataDir: crashDir,
      praProxy,
      esProxy,
      es: esCrash,
      random: random.next,
      profile,
      expectedEvents: expected.events.length,
      largeSessions: new Map<string, number>(),
      endingInPhase: new Set<string>(),
    };
    // After a run that finished: the store equals the uninterrupted run's, every event sent, and
    // Elasticsearch holds exactly the uninterrupted run's documents. Returns the 409s it answered.
    const verify = (label: string) => {
      const actual = storeContent(crashDir);
      compareStores(actual, expected, label);
      assert.ok(actual.outbox.every((r) => r[4] === 'sent'), `${label}: every event sent`);
      const got = esMessages(esCrash);
      assert.equal(got.docs, got.byId.size, `${label}: no _id indexed twice`);
      assert.equal(got.docs, expected.events.length, `${label}: one document per event`);
      const missing = [...expectedDocs.byId.keys()].filter((id) => !got.byId.has(id));
      const extra = [...got.byId.keys()].filter((id) => !expectedDocs.byId.has(id));
      assert.deepEqual({ missing: missing.slice(0, 3), extra: extra.slice(0, 3) }, { missing: [], extra: [] }, `${label}: the same _id set`);
      const differing = [...expectedDocs.byId].filter(([id, message]) => got.byId.get(id) !== message);
      assert.equal(differing.length, 0, `${label}: the same message per _id (first differing: ${differing[0]?.[0]})`);
      return esCrash.bulkRequests.flatMap((r) => r.itemStatuses ?? []).filter((s) => s === 409).length;
    };

    // A run that finishes before its kill is verified like the final one; then Elasticsearch starts
    // over empty, as the data directory does.
    let conflicts = 0;
    const records = await killRuns(ctx, 'ship', STRATEGIES, WANTED_KILLS, {
      onRecord: (record) => t.diagnostic(describeKill(record)),
      onFinished: (kills) => {
        conflicts += verify(`a run that finished after ${kills} kills`);
        esCrash.reset();
      },
    });
    const final = await profiledRun(crashDir, praProxy, sim, esCrash);
    assert.equal(final.exitCode, 0, `final run: ${final.stderr}`);
    conflicts += verify('after the crashes');

    const kills = records.filter((r) => r.killed);
    const count = (f: (r: KillRecord) => boolean) => kills.filter(f).length;
    t.diagnostic(`${kills.length} kills: ${count((r) => r.partialOutbox)} with the outbox partly sent, ${count((r) => r.esAhead)} with Elasticsearch ahead of the outbox (answered 409 when resent: ${conflicts} items), ${count((r) => r.partialWindow)} mid-window`);
    assert.ok(kills.length >= 10, `at least 10 kills (${kills.length})`);
    assert.ok(count((r) => r.partialOutbox) >= 3, 'kills landed with the outbox partly shipped');
    assert.ok(count((r) => r.esAhead) >= 1, 'a kill landed after Elasticsearch indexed a _bulk and before the outbox recorded it');
    assert.ok(count((r) => r.partialWindow) >= 1, 'a kill landed mid-window, with shipping running alongside');
    assert.ok(conflicts > 0, 'documents indexed before a kill were resent and answered 409, not indexed twice');
  });
});
