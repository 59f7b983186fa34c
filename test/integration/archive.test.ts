// The archive against the PRA simulator over TLS, with a real SQLite file, the real keychain and a
// real folder: every recording of every ended session arrives once with exactly the simulator's
// bytes, every session XML parses and holds every event the appliance sent, expired recordings are
// counted and not asked again, failed downloads never become files and are retried with backoff.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Engine } from '../../electron/engine/engine.ts';
import { parseAccessSessionReport } from '../../electron/engine/pra/report-parser.ts';
import type { ReportItem } from '../../electron/engine/pra/report-types.ts';
import { createManualClock, DEFAULT_CLIENT, generateCorpus, recordingSha256, startPraSimulator, type ManualClock, type PraSimulator, type SimSession } from '../simulators/pra/index.ts';
import { renderAccessSessionReport, REPORTING_NAMESPACES } from '../simulators/pra/report-xml.ts';
import { newEngine } from '../support/engine-fixture.ts';
import { tempDir } from '../support/temp-dir.ts';
import { until } from '../support/until.ts';

const T = Math.floor(Date.now() / 1000 / 3600) * 3600;
const DAY = 86_400;

async function addSite(engine: Engine, sim: PraSimulator) {
  return engine.addSite({ name: 'Sim', host: sim.host, clientId: DEFAULT_CLIENT.clientId, caFile: sim.caFile, initialIntervalSeconds: 3 * DAY, timeoutSeconds: 5 }, DEFAULT_CLIENT.clientSecret);
}

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)).split('\\').join('/'))
    .sort();
}

const ended = (s: SimSession, now: number) => s.endTime !== null && s.endTime <= now;
const hostDir = (sim: PraSimulator) => sim.host.replace(':', '_');
const dateOf = (t: number) => new Date(t * 1000).toISOString().slice(0, 10);

/** Every recording the simulator lists for ended sessions: [lsid, instance|null]. */
function recordingsOf(corpus: SimSession[], now: number): [SimSession, number | null][] {
  const out: [SimSession, number | null][] = [];
  for (const s of corpus) {
    if (!ended(s, now)) continue;
    if (s.hasRecording) out.push([s, null]);
    for (let i = 0; i < s.commandShellRecordings; i++) out.push([s, i]);
  }
  return out;
}

function recordingRequests(sim: PraSimulator) {
  return sim.requests.filter((r) => r.report === 'AccessSessionRecording' || r.report === 'CommandShellRecording');
}

async function collect(body: AsyncIterable<Buffer>): Promise<ReportItem[]> {
  const items: ReportItem[] = [];
  for await (const item of parseAccessSessionReport(body)) items.push(item);
  return items;
}

async function* bytesOf(text: string | Buffer): AsyncGenerator<Buffer> {
  yield Buffer.isBuffer(text) ? text : Buffer.from(text);
}

describe('archive against the PRA simulator', () => {
  let sim: PraSimulator;
  let clock: ManualClock;
  let corpus: SimSession[];

  before(async () => {
    clock = createManualClock(T);
    corpus = generateCorpus({ seed: 'archive', from: T - 2 * DAY, to: T - 3600, sessions: 80, inProgressShare: 0.1 });
    sim = await startPraSimulator({ now: clock.now, sessions: corpus });
  });
  after(() => sim.close());

  it('archives every ended session once: XML with every event, recordings with the exact bytes; expired ones counted, not retried', async () => {
    const engine = newEngine();
    const dir = tempDir('pra-ic-archive-');
    try {
      await addSite(engine, sim);
      const recordings = recordingsOf(corpus, clock.now());
      assert.ok(recordings.length > 20, `the corpus has recordings (${recordings.length})`);
      assert.ok(recordings.some(([, i]) => i !== null), 'and command-shell recordings');
      // Two expired on the appliance; one recording large enough to stream in many chunks.
      const [expiredA, expiredB, large] = [recordings.find(([, i]) => i === null)!, recordings.find(([, i]) => i !== null)!, recordings[recordings.length - 1]!];
      sim.recordings.set(expiredA[0].lsid, expiredA[1], { expired: true });
      sim.recordings.set(expiredB[0].lsid, expiredB[1], { expired: true });
      sim.recordings.set(large[0].lsid, large[1], { bytes: 3 * 1024 * 1024 + 17 });
      const expiredKeys = new Set([expiredA, expiredB].map(([s, i]) => `${s.lsid}#${i}`));

      engine.setArchive({ dir });
      await engine.archiver.runPass(); // the pass setting a folder starts (nothing stored yet)
      const events: string[] = [];
      engine.onEvent((e) => {
        if (e.type === 'archive') events.push(e.status.state);
      });
      const run = await engine.runOnce();
      assert.equal(run.sites[0]!.ok, true, run.sites[0]!.error);
      assert.ok(run.archive, 'the run archived');
      assert.equal(run.archive.failed, 0, JSON.stringify(engine.archiver.status().failures));
      assert.equal(run.archive.expired, 2);
      assert.equal(run.archive.paused, null);

      const now = clock.now();
      const files = new Set(filesUnder(dir));
      assert.ok(![...files].some((f) => f.endsWith('.part')), 'no .part left');
      // Recordings: exactly the simulator's bytes, each served once; expired ones: no file.
      for (const [s, instance] of recordings) {
        const folder = `${hostDir(sim)}/${dateOf(s.startTime)}/${s.lsid}`;
        const name = instance === null ? 'recording.flv' : `shell-${instance}.flv`;
        const key = `${s.lsid}#${instance}`;
        if (expiredKeys.has(key)) {
          assert.ok(!files.has(`${folder}/${name}`), `no file for expired ${key}`);
          continue;
        }
        assert.ok(files.has(`${folder}/${name}`), `${folder}/${name} archived`);
        const size = sim.recordings.spec(s.lsid, instance).bytes;
        const bytes = readFileSync(join(dir, folder, name));
        assert.equal(bytes.length, size, `size of ${key}`);
        const { createHash } = await import('node:crypto');
        assert.equal(createHash('sha256').update(bytes).digest('hex'), recordingSha256(s.lsid, instance, size), `bytes of ${key}`);
        assert.equal(sim.recordings.servedCount(s.lsid, instance), 1, `${key} downloaded once`);
      }
      // Session XML: for ended sessions only; parses; holds exactly the events the appliance sends.
      const endedSessions = corpus.filter((s) => ended(s, now));
      for (const s of corpus) {
        const path = `${hostDir(sim)}/${dateOf(s.startTime)}/${s.lsid}/session.xml`;
        if (!ended(s, now)) {
          assert.ok(!files.has(path), `in-progress ${s.lsid} not archived (never half)`);
          continue;
        }
        assert.ok(files.has(path), `${path} archived`);
        const text = readFileSync(join(dir, path), 'utf8');
        assert.match(text, new RegExp(`^<\\?xml version="1.0" encoding="UTF-8"\\?>\\n<session_list xmlns="${REPORTING_NAMESPACES.sra.replace(/[.]/g, '\\.')}">`));
        const ours = await collect(bytesOf(text));
        const theirs = await collect(renderOne(s, now, sim));
        const eventsOf = (items: ReportItem[]) => items.filter((i) => i.type === 'event').map((i) => (i.type === 'event' ? i.event.xml : ''));
        assert.deepEqual(eventsOf(ours), eventsOf(theirs), `every event of ${s.lsid}, as sent`);
        const headerOf = (items: ReportItem[]) => items.find((i) => i.type === 'session');
        assert.equal(headerOf(ours)?.type === 'session' && headerOf(ours)?.header.xml, headerOf(theirs)?.type === 'session' && headerOf(theirs)?.header.xml);
      }
      const status = engine.archiver.status();
      assert.equal(status.state, 'ok');
      assert.equal(status.expired, 2);
      assert.equal(status.failed, 0);
      assert.equal(status.pending, 0);
      assert.equal(status.written.files, endedSessions.length + recordings.length - 2);
      assert.ok(events.length > 0, 'archive status events were published');

      // A second pass downloads nothing: no recording request, the expired ones included.
      const asked = recordingRequests(sim).length;
      const again = await engine.runOnce();
      assert.equal(again.archive!.files, 0);
      assert.equal(recordingRequests(sim).length, asked, 'nothing asked again');

      // A session that was in progress ends: its files follow on the next pass.
      const live = corpus.find((s) => !ended(s, now))!;
      sim.recordings.set(live.lsid, null, { bytes: 5000 });
      sim.getSession(live.lsid)!.hasRecording = true;
      clock.advance(600);
      sim.endSession(live.lsid, clock.now() - 300);
      const third = await engine.runOnce();
      assert.ok(third.archive!.files >= 2, `the ended session's XML and recording (${third.archive!.files}) ${JSON.stringify(third.archive)} ${filesUnder(dir).filter((f) => f.includes(live.lsid))}`);
      assert.ok(existsSync(join(dir, hostDir(sim), dateOf(live.startTime), live.lsid, 'recording.flv')));

      // verify: everything intact; a changed file and a deleted file are reported.
      const verified = await engine.verifyArchive();
      assert.equal(verified.problems.length, 0, JSON.stringify(verified.problems));
      assert.equal(verified.ok, verified.checked);
      const some = [...filesUnder(dir)].filter((f) => f.endsWith('.flv'));
      writeFileSync(join(dir, some[0]!), 'changed');
      const { rmSync } = await import('node:fs');
      rmSync(join(dir, some[1]!));
      const broken = await engine.verifyArchive();
      assert.deepEqual(broken.problems.map((p) => [p.path, p.problem]).sort(), [[some[0]!, 'size'], [some[1]!, 'missing']].sort());

      // The client secret is nowhere on disk: not in the database, its WAL, the logs or the archive.
      for (const root of [engine.dataDir, dir]) {
        for (const f of filesUnder(root)) {
          assert.ok(!readFileSync(join(root, f)).includes(DEFAULT_CLIENT.clientSecret), `no secret in ${f}`);
        }
      }
    } finally {
      await engine.close();
    }
  });

  it('failed downloads (cut short, HTML, another error, a stall) never become files and are retried with backoff', async () => {
    const engine = newEngine({ praRetry: { baseDelayMs: 10, maxDelayMs: 50, maxAttempts: 1, maxRetryAfterMs: 5000 } });
    const dir = tempDir('pra-ic-archive-');
    try {
      const site = await addSite(engine, sim);
      await engine.runOnce(); // extraction only: no archive folder yet
      const due = recordingsOf(corpus, clock.now()).filter(([s, i]) => !sim.recordings.spec(s.lsid, i).expired);
      // Variants of the answer's headers: a file name with another type, none at all.
      sim.recordings.set(due[0]![0].lsid, due[0]![1], { fileName: 'rec.mp4', contentType: 'video/mp4' });
      sim.recordings.set(due[1]![0].lsid, due[1]![1], { fileName: null, contentType: null, chunked: true });
      engine.setArchive({ dir, sessionXml: false });
      await engine.archiver.runPass(); // setArchive started one: let it finish first
      // The setArchive pass took everything; undo its work for four recordings and break them.
      const db = engine.database.db;
      const victims = due.slice(2, 6);
      for (const [s, i] of victims) {
        db.prepare('DELETE FROM archive_files WHERE lsid = ? AND instance IS ?').run(s.lsid, i);
        db.prepare('DELETE FROM archive_sessions WHERE lsid = ?').run(s.lsid);
        const name = i === null ? 'recording.flv' : `shell-${i}.flv`;
        const { rmSync } = await import('node:fs');
        rmSync(join(dir, hostDir(sim), dateOf(s.startTime), s.lsid, name));
      }
      assert.ok(filesUnder(dir).some((f) => f.endsWith('.mp4')), 'extension from Content-Disposition');
      sim.injectFaults([
        { kind: 'truncate', afterBytes: 300 },
        { kind: 'html' },
        { kind: 'error-root', text: 'An internal error occurred.' },
        { kind: 'stall-body', afterBytes: 100 },
      ]);
      const pass = await engine.archiver.runPass([site.id]);
      assert.equal(pass.failed, 4, JSON.stringify(engine.archiver.status().failures));
      const status = engine.archiver.status();
      assert.equal(status.failed, 4);
      assert.deepEqual(status.failures.map((f) => f.attempts), [1, 1, 1, 1]);
      assert.ok(status.failures.every((f) => f.nextAttemptAt && Date.parse(f.nextAttemptAt) > Date.now()), 'next attempt later');
      const reasons = status.failures.map((f) => f.reason).join('\n');
      assert.match(reasons, /incomplete|broke/);
      assert.match(reasons, /HTML page/);
      assert.match(reasons, /An internal error occurred/);
      for (const [s, i] of victims) {
        const name = i === null ? 'recording.flv' : `shell-${i}.flv`;
        assert.ok(!existsSync(join(dir, hostDir(sim), dateOf(s.startTime), s.lsid, name)), `no file for failed ${s.lsid}#${i}`);
      }
      assert.ok(!filesUnder(dir).some((f) => f.endsWith('.part')), 'no .part left');
      // Not retried by the next pass (backoff) …
      const asked = recordingRequests(sim).length;
      await engine.archiver.runPass();
      assert.equal(recordingRequests(sim).length, asked);
      // … but on Retry, and then they arrive complete.
      assert.equal(engine.retryArchive(), 4);
      await engine.archiver.runPass();
      assert.equal(engine.archiver.status().failed, 0);
      for (const [s, i] of victims) {
        const name = i === null ? 'recording.flv' : `shell-${i}.flv`;
        const size = sim.recordings.spec(s.lsid, i).bytes;
        assert.equal(statSync(join(dir, hostDir(sim), dateOf(s.startTime), s.lsid, name)).size, size);
      }
      assert.equal((await engine.verifyArchive()).problems.length, 0);
    } finally {
      await engine.close();
    }
  });
});

describe('archive: a new folder', () => {
  it('its free space is read and published as it is set, not only once the first pass has ended', async () => {
    const clock = createManualClock(T);
    const corpus = generateCorpus({ seed: 'archive-free', from: T - DAY, to: T - 3600, sessions: 6, inProgressShare: 0 });
    const sim = await startPraSimulator({ now: clock.now, sessions: corpus });
    const engine = newEngine();
    let release = () => {};
    try {
      await addSite(engine, sim);
      const run = await engine.runOnce(); // stored; nothing archived, there is no folder yet
      assert.equal(run.sites[0]!.ok, true, run.sites[0]!.error);
      assert.equal(engine.archiver.status().freeBytes, null);
      // The pass that setting the folder starts is held at its first request to the appliance.
      const held = new Promise<void>((resolve) => (release = resolve));
      sim.injectFaults([{ kind: 'held', until: held, count: 1_000 }]);
      const asked = sim.requests.length;
      const published: (number | null)[] = [];
      engine.onEvent((e) => {
        if (e.type === 'archive') published.push(e.status.freeBytes);
      }, ['archive']);
      engine.setArchive({ dir: tempDir('pra-ic-archive-free-') });
      await until(() => sim.requests.length > asked, 'the pass asking the appliance');
      await until(() => published.some((free) => free !== null), 'the new folder\'s free space published');
      assert.ok(engine.archiver.status().freeBytes! > 0);
      assert.notEqual(engine.archiver.status().progress, null, 'published while the pass is still held');
    } finally {
      release();
      await engine.close();
      await sim.close();
    }
  });
});

describe('archive: its share of the hourly request budget', () => {
  it('downloads stop at the archive\'s share of the account\'s hourly budget; the rest waits, pending', async () => {
    const clock = createManualClock(T);
    const corpus = generateCorpus({ seed: 'archive-budget', from: T - DAY, to: T - 3600, sessions: 30, inProgressShare: 0 });
    const sim = await startPraSimulator({ now: clock.now, sessions: corpus });
    // An hourly budget of 10 requests, half of it the archive's: 5 recordings an hour.
    const engine = newEngine({ archiveBudget: { perHour: 10, share: 0.5 } });
    const dir = tempDir('pra-ic-archive-');
    try {
      await addSite(engine, sim);
      engine.setArchive({ dir, sessionXml: false });
      const run = await engine.runOnce();
      assert.equal(run.sites[0]!.ok, true);
      assert.equal(recordingRequests(sim).length, 5, 'five recording requests, no more');
      assert.equal(run.archive!.files, 5);
      assert.equal(run.archive!.failed, 0, 'waiting for the budget is not a failure');
      assert.ok(engine.archiver.status().pending > 0, 'the rest is pending');
    } finally {
      await engine.close();
      await sim.close();
    }
  });
});

describe('archive: a slow download', () => {
  it('a recording that trickles in for longer than the site timeout, but keeps moving, arrives complete', async () => {
    const sim = await startPraSimulator();
    const engine = newEngine();
    const dir = tempDir('pra-ic-archive-');
    try {
      const start = Math.floor(Date.now() / 1000) - 7200;
      sim.addSession({ lsid: 'slow0000000000000000000000000000', startTime: start, endTime: start + 60, hasRecording: true });
      // 160 KiB at 64 KiB/s: 2.5 s in all, a 16 KiB piece every 0.25 s; the site's timeout is 1 s.
      sim.recordings.set('slow0000000000000000000000000000', null, { bytes: 160 * 1024, bytesPerSecond: 64 * 1024 });
      await engine.addSite({ name: 'Slow', host: sim.host, clientId: DEFAULT_CLIENT.clientId, caFile: sim.caFile, initialIntervalSeconds: DAY, timeoutSeconds: 1 }, DEFAULT_CLIENT.clientSecret);
      engine.setArchive({ dir, sessionXml: false });
      const run = await engine.runOnce();
      assert.equal(run.archive?.failed, 0, JSON.stringify(engine.archiver.status().failures));
      assert.equal(engine.archiver.status().written.files, 1);
      const [file] = filesUnder(dir);
      const { createHash } = await import('node:crypto');
      assert.equal(createHash('sha256').update(readFileSync(join(dir, file!))).digest('hex'), recordingSha256('slow0000000000000000000000000000', null, 160 * 1024));
    } finally {
      await engine.close();
      await sim.close();
    }
  });
});

/** The simulator's own AccessSession answer for one session. */
function renderOne(s: SimSession, now: number, sim: PraSimulator): AsyncGenerator<Buffer> {
  void sim;
  const pieces = [...renderAccessSessionReport([s], { now, namespace: REPORTING_NAMESPACES.sra, siteHostname: 'access.example.com', inProgressEndTime: 'empty' })];
  return bytesOf(Buffer.concat(pieces.map((p) => (typeof p === 'string' ? Buffer.from(p) : p))));
}
