import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Engine } from '../../electron/engine/engine.ts';
import { createManualClock, DEFAULT_CLIENT, generateCorpus, startPraSimulator, type ManualClock, type PraSimulator, type SimSession } from '../simulators/pra/index.ts';
import { newEngine, visibleEvents } from '../support/engine-fixture.ts';

const T = Math.floor(Date.now() / 1000 / 3600) * 3600;
const DAY = 86_400;

async function addSite(engine: Engine, sim: PraSimulator, extra: Record<string, unknown> = {}, secret = DEFAULT_CLIENT.clientSecret) {
  return engine.addSite({ name: 'Sim', host: sim.host, clientId: DEFAULT_CLIENT.clientId, caFile: sim.caFile, initialIntervalSeconds: 4 * DAY, timeoutSeconds: 5, ...extra }, secret);
}

function eventCounts(engine: Engine): Map<string, number> {
  const rows = engine.database.db.prepare('SELECT s.lsid, count(*) AS n FROM events e JOIN sessions s ON s.id = e.session_id GROUP BY s.lsid').all() as { lsid: string; n: number }[];
  return new Map(rows.map((r) => [r.lsid, r.n]));
}

function assertComplete(engine: Engine, corpus: SimSession[], now: number) {
  const counts = eventCounts(engine);
  assert.equal(counts.size, corpus.length, 'every session stored');
  for (const s of corpus) assert.equal(counts.get(s.lsid), visibleEvents(s, now), `all events of ${s.lsid}`);
  const dup = engine.database.db.prepare('SELECT count(*) AS n FROM (SELECT s.site_id, s.lsid, e.ordinal FROM events e JOIN sessions s ON s.id = e.session_id GROUP BY 1, 2, 3 HAVING count(*) > 1)').get() as { n: number };
  assert.equal(dup.n, 0, 'no event stored twice');
  const outbox = engine.database.db.prepare('SELECT count(*) AS n FROM outbox').get() as { n: number };
  const events = engine.database.db.prepare('SELECT count(*) AS n FROM events').get() as { n: number };
  assert.equal(outbox.n, events.n, 'every stored event queued once for Elasticsearch');
}

describe('extraction against the PRA simulator', () => {
  let sim: PraSimulator;
  let clock: ManualClock;
  let corpus: SimSession[];

  before(async () => {
    clock = createManualClock(T);
    corpus = generateCorpus({ seed: 7, from: T - 3 * DAY, to: T - 3600, sessions: 400, inProgressShare: 0.1 });
    sim = await startPraSimulator({ now: clock.now, sessions: corpus });
  });
  after(() => sim.close());

  it('a multi-day backfill arrives complete, with adaptive windows, and in-progress sessions are followed', async () => {
    const engine = newEngine();
    try {
      const site = await addSite(engine, sim);
      const { sites } = await engine.runOnce();
      assert.equal(sites[0]!.ok, true, sites[0]!.error);
      assertComplete(engine, corpus, clock.now());
      const inProgress = corpus.filter((s) => s.endTime === null || s.endTime > clock.now()).length;
      assert.ok(inProgress > 0);
      assert.equal(engine.queries.siteCounts(site.id).followed, inProgress, 'in-progress sessions are followed');
      const reports = sim.requests.filter((r) => r.endpoint === 'reporting' && r.status === 200).length;
      assert.ok(reports < 4 * 24, `windows widened: ${reports} report requests for 4 days`);
      const status = engine.siteStatus(site.id)!;
      assert.ok(status.backfill!.progress > 0.99, `backfill ${status.backfill!.progress}`);
      assert.equal(status.state, 'idle');

      // A second pass right away adds nothing: ended sessions are taken once.
      const before = eventCounts(engine);
      const again = await engine.runOnce();
      assert.equal(again.sites[0]!.result!.eventsAdded, 0);
      assert.deepEqual(eventCounts(engine), before);
    } finally {
      await engine.close();
    }
  });

  it('an in-progress session that gains events and ends between runs ends up with all its events once', async () => {
    const engine = newEngine();
    try {
      const site = await addSite(engine, sim);
      sim.addSession({ lsid: 'live-1', startTime: T - 1800, endTime: null, events: [{ timestamp: T - 1799, eventType: 'Session Start' }] });
      await engine.runOnce();
      assert.equal(eventCounts(engine).get('live-1'), 1);
      clock.advance(600);
      sim.appendEvents('live-1', [
        { timestamp: T + 100, eventType: 'Chat Message', body: 'later event' },
        { timestamp: T + 200, eventType: 'File Download', filename: 'a.txt', filesize: 10 },
      ]);
      await engine.runOnce();
      assert.equal(eventCounts(engine).get('live-1'), 3);
      clock.advance(600);
      sim.endSession('live-1', T + 900);
      await engine.runOnce();
      const n = visibleEvents(sim.getSession('live-1')!, clock.now());
      assert.equal(eventCounts(engine).get('live-1'), n, 'all events, including the end event');
      const row = engine.database.db.prepare("SELECT end_time FROM sessions WHERE lsid = 'live-1'").get() as { end_time: number | null };
      assert.equal(row.end_time, T + 900);
      const followed = engine.store.followed(site.id).map((f) => f.lsid);
      assert.ok(!followed.includes('live-1'), 'no longer followed once ended');
      const ordinals = engine.database.db.prepare("SELECT e.ordinal FROM events e JOIN sessions s ON s.id = e.session_id WHERE s.lsid = 'live-1' ORDER BY e.ordinal").all() as { ordinal: number }[];
      assert.deepEqual(ordinals.map((o) => o.ordinal), Array.from({ length: n }, (_, i) => i));
    } finally {
      sim.removeSession('live-1');
      clock.set(T);
      await engine.close();
    }
  });

  it('429, 5xx, slow and truncated responses cost time, never data', async () => {
    const engine = newEngine();
    try {
      await addSite(engine, sim);
      sim.injectFaults([
        { kind: 'status', status: 503, count: 2 },
        { kind: '429', retryAfterSeconds: 1, count: 1 },
        { kind: 'slow', delayMs: 300, count: 2 },
        { kind: 'truncate', afterBytes: 5000, count: 2 },
        { kind: 'html', count: 1 },
      ]);
      // A failed pass keeps what it stored and the cursor before the failed window: run until caught up.
      for (let i = 0; i < 5; i++) {
        const { sites } = await engine.runOnce();
        if (sites[0]!.ok) break;
      }
      assert.equal(sim.pendingFaults().length, 0, 'every fault was met');
      assertComplete(engine, corpus, clock.now());
    } finally {
      sim.clearFaults();
      await engine.close();
    }
  });

  it('a window whose response fails is split in halves and asked again, and nothing is lost', async () => {
    const engine = newEngine();
    try {
      const site = await addSite(engine, sim, { initialIntervalSeconds: DAY });
      await engine.clientFor(site).learnNoDataText(); // so the fault below hits a window
      const from = sim.requests.length;
      sim.injectFaults([{ kind: 'truncate', afterBytes: 2000, count: 1 }]);
      const { sites } = await engine.runOnce();
      assert.equal(sites[0]!.ok, true, sites[0]!.error);
      const windows = sim.requests.slice(from).filter((r) => r.endpoint === 'reporting' && r.params.start_time !== undefined);
      const failedAt = windows.findIndex((r) => r.fault !== undefined && r.fault !== null);
      assert.ok(failedAt >= 0, 'the fault hit a window');
      const failed = windows[failedAt]!;
      const retried = windows[failedAt + 1]!;
      assert.equal(retried.params.start_time, failed.params.start_time, 'the same start is asked again');
      assert.equal(Number(retried.params.duration), Math.floor(Number(failed.params.duration) / 2), 'in half the window');
      const rangeStart = engine.store.siteState(site.id)!.rangeStart!;
      assert.ok(Math.abs(rangeStart - (T - DAY)) <= 5, 'the initial interval is measured on the site\'s clock');
      assertComplete(engine, corpus.filter((s) => s.startTime >= rangeStart), clock.now());
    } finally {
      await engine.close();
    }
  });

  it('while a run goes on, its site status is published with the events stored so far (paced: see paced-publisher.test.ts), and the final figures arrive', async () => {
    const own = await startPraSimulator({ now: clock.now, sessions: generateCorpus({ seed: 'progress', from: T - 2 * DAY, to: T - 3600, sessions: 1500, eventsPerSession: [40, 48], inProgressShare: 0 }) });
    const engine = newEngine();
    const seen: { at: number; state: string; events: number }[] = [];
    const unsubscribe = engine.onEvent((e) => {
      if (e.type === 'site-status') seen.push({ at: performance.now(), state: e.status.state, events: e.status.eventsStored });
    });
    try {
      await addSite(engine, own);
      const { sites } = await engine.runOnce();
      assert.equal(sites[0]!.ok, true, sites[0]!.error);
      const total = engine.queries.siteCounts(sites[0]!.siteId).events;
      assert.ok(total > 60_000, `${total} events: several stretches of progress`);
      const during = seen.filter((s) => (s.state === 'running' || s.state === 'backfilling') && s.events > 0 && s.events < total);
      assert.ok(during.length >= 2, `progress published during the run: ${JSON.stringify(seen.map((s) => [s.state, s.events]))}`);
      assert.ok(during.every((s, i) => i === 0 || s.events >= during[i - 1]!.events), 'the events stored only grow');
      await new Promise((r) => setTimeout(r, 300)); // a trailing publish, if one was due
      const last = seen.at(-1)!;
      assert.deepEqual([last.state, last.events], ['idle', total], 'the last status published is the result of the run');
    } finally {
      unsubscribe();
      await engine.close();
      await own.close();
    }
  });

  it('a rotated secret marks the site "needs attention"; the corrected secret resumes where it stopped', async () => {
    const own = await startPraSimulator({ now: clock.now, sessions: corpus.slice(0, 100), clients: [{ clientId: 'rot', clientSecret: 'first-secret' }] });
    const engine = newEngine();
    try {
      const site = await engine.addSite({ name: 'Rot', host: own.host, clientId: 'rot', caFile: own.caFile, initialIntervalSeconds: 4 * DAY }, 'first-secret');
      assert.equal((await engine.runOnce()).sites[0]!.ok, true);
      const stored = eventCounts(engine);
      own.rotateSecret('rot', 'second-secret');
      clock.advance(900);
      own.addSession({ lsid: 'after-rotation', startTime: T + 100, endTime: T + 200, events: [{ timestamp: T + 101, eventType: 'Session Start' }] });
      const failed = await engine.runOnce();
      assert.equal(failed.sites[0]!.ok, false);
      assert.equal(failed.sites[0]!.needsAttention, true);
      assert.equal(engine.siteStatus(site.id)!.state, 'needs-attention');
      assert.match(engine.siteStatus(site.id)!.needsAttention!, /Client ID or secret rejected/);
      const requests = own.requests.length;
      const skipped = await engine.runOnce();
      assert.equal(skipped.sites[0]!.needsAttention, true);
      assert.equal(own.requests.length, requests, 'no hammering a dead secret');

      await engine.editSite(site.id, {}, 'second-secret');
      assert.equal(engine.siteStatus(site.id)!.needsAttention, null);
      assert.equal((await engine.runOnce()).sites[0]!.ok, true);
      const after = eventCounts(engine);
      assert.equal(after.get('after-rotation'), 1, 'resumed and took the new session');
      for (const [lsid, n] of stored) assert.equal(after.get(lsid), n, 'nothing stored twice');
    } finally {
      clock.set(T);
      await engine.close();
      await own.close();
    }
  });
});
