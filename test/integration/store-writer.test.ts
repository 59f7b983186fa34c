// The store writer thread (WorkerSessionWriter): a real worker with its own connection to the
// real settings.db. What it commits is visible to the engine's connection, writes apply in order,
// a failed write stops its report's later writes (no event stored past a gap), writes queued up
// together are committed together, and a dead worker fails what was in flight instead of leaving
// it waiting.
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { openSettingsDatabase } from '../../electron/engine/settings-db.ts';
import { APP_NODE_MODULES_ENV, ELECTRON_NATIVE_DIR_ENV } from '../../electron/engine/native-addons.ts';
import { eventColumns, headerRow, SessionStore, type SessionWrite } from '../../electron/engine/store/session-store.ts';
import { InlineSessionWriter, newStream, StoreWriteError, WorkerSessionWriter, WriteRefusedError } from '../../electron/engine/store/store-writer.ts';
import { MalformedReportError, ReportError, SiteUnavailableError } from '../../electron/engine/pra/errors.ts';
import { normalizeErrorText } from '../../electron/engine/pra/no-data-text.ts';
import { parseAccessSessionReport } from '../../electron/engine/pra/report-parser.ts';
import { MAX_UNREAD_BYTES } from '../../electron/engine/store/report-in-flight.ts';
import { storeReport, type ReportContext, type StoredReport } from '../../electron/engine/store/report-storing.ts';
import { generateCorpus, REPORTING_NAMESPACES } from '../simulators/pra/index.ts';
import { renderAccessSessionReport } from '../simulators/pra/report-xml.ts';
import { completeSession } from '../simulators/pra/session-defaults.ts';
import { insertSite, minimalEvent, minimalHeader } from '../support/store-fixtures.ts';
import { tempDir } from '../support/temp-dir.ts';

const NOW = Math.floor(Date.now() / 1000);

const header = (lsid: string) => minimalHeader(lsid, NOW - 7200, NOW - 3600, '01:00:00');
const event = (ordinal: number) => minimalEvent(ordinal, NOW - 7200 + ordinal, 'Chat Message', `message ${ordinal}`);
const part = (lsid: string, from: number, to: number, withHeader: boolean): SessionWrite => ({
  lsid,
  header: withHeader ? headerRow(header(lsid)) : null,
  events: eventColumns(Array.from({ length: to - from }, (_, i) => event(from + i))),
  follow: null,
});

function setUp() {
  const dir = tempDir('pra-store-writer-');
  const database = openSettingsDatabase(dir);
  const siteId = insertSite(database.db, 'W', 'w.example.com');
  const site = { id: siteId, host: 'w.example.com' };
  const ordinals = (lsid: string) => (database.db.prepare('SELECT e.ordinal FROM events e JOIN sessions s ON s.id = e.session_id WHERE s.site_id = ? AND s.lsid = ? ORDER BY e.ordinal').pluck().all(siteId, lsid) as number[]);
  return { dir, database, site, ordinals, writer: new WorkerSessionWriter(dir) };
}

/** Runs a test against a fresh store and writer, and closes both whatever happens. */
async function withWriter(body: (ctx: ReturnType<typeof setUp>) => Promise<void>) {
  const ctx = setUp();
  try {
    await body(ctx);
  } finally {
    await ctx.writer.close();
    ctx.database.close();
  }
}

describe('store writer thread', () => {
  it('commits in order on its own connection, visible to the engine’s, with each new event queued once', () =>
    withWriter(async ({ database, site, ordinals, writer }) => {
      const stream = newStream();
      // Sent without waiting in between: applied in the order sent.
      const answers = await Promise.all([
        writer.write(stream, site, [part('a', 0, 300, true), part('b', 0, 5, true)]),
        writer.write(stream, site, [part('a', 300, 600, false)]),
        writer.write(stream, site, [part('a', 0, 600, true)]), // a re-fetch: nothing new
      ]);
      assert.deepEqual(answers, [305, 300, 0]);
      assert.deepEqual(ordinals('a'), Array.from({ length: 600 }, (_, i) => i));
      const outbox = database.db.prepare("SELECT count(*) FROM outbox WHERE state = 'pending'").pluck().get();
      assert.equal(outbox, 605);
      assert.equal(database.db.prepare("SELECT event_count FROM sessions WHERE lsid = 'a'").pluck().get(), 600);
    }));

  it('after a failed write, refuses the later writes of that report without applying them; other reports go on', () =>
    withWriter(async ({ site, ordinals, writer }) => {
      const stream = newStream();
      const other = newStream();
      const missingSite = { id: site.id + 1000, host: 'gone.example.com' }; // foreign key: the site is gone
      const sent = [
        writer.write(stream, site, [part('c', 0, 10, true)]),
        writer.write(stream, missingSite, [part('c', 10, 20, true)]), // its header cannot be stored
        writer.write(stream, site, [part('c', 20, 30, false)]), // would leave a gap 10…19
        writer.write(other, site, [part('d', 0, 3, true)]),
      ];
      const [first, failure, after, otherReport] = await Promise.allSettled(sent);
      assert.deepEqual(first, { status: 'fulfilled', value: 10 });
      assert.ok(failure?.status === 'rejected' && failure.reason instanceof StoreWriteError, 'the failure itself');
      assert.match((failure.reason as StoreWriteError).code ?? '', /^SQLITE_CONSTRAINT/);
      assert.ok(after?.status === 'rejected' && after.reason instanceof WriteRefusedError, 'refused, not applied');
      assert.deepEqual(otherReport, { status: 'fulfilled', value: 3 });
      assert.deepEqual(ordinals('c'), Array.from({ length: 10 }, (_, i) => i));
      // Once the report is over, its stream id is forgotten.
      writer.endStream(stream);
      assert.equal(await writer.write(stream, site, [part('c', 10, 30, false)]), 20);
      assert.equal(ordinals('c').length, 30);
    }));

  it('writes that queued up together are committed together, and a failure among them is still its own write’s only', async () => {
    const { database, site, ordinals } = setUp();
    const inline = new InlineSessionWriter(new SessionStore(database.db));
    try {
      const [s1, s2, s3] = [newStream(), newStream(), newStream()];
      // All applied in one transaction: each write's own count of new events, in order.
      const together = inline.writeTogether([
        { stream: s1, site, writes: [part('h', 0, 10, true)] },
        { stream: s1, site, writes: [part('h', 5, 15, false)] },
        { stream: s2, site, writes: [part('i', 0, 3, true)] },
      ]);
      assert.deepEqual(together, [{ ok: true, added: 10 }, { ok: true, added: 5 }, { ok: true, added: 3 }]);
      assert.deepEqual(ordinals('h'), Array.from({ length: 15 }, (_, i) => i));
      // The second write fails (a session without its header): the group's transaction is undone
      // and the writes are made again one by one, so the first and the other report's are stored,
      // the failure is reported for its own write, and its report's later write is refused.
      const outcomes = inline.writeTogether([
        { stream: s3, site, writes: [part('j', 0, 4, true)] },
        { stream: s3, site, writes: [part('k', 0, 4, false)] },
        { stream: s2, site, writes: [part('i', 3, 6, false)] },
        { stream: s3, site, writes: [part('j', 4, 8, false)] },
      ]);
      assert.deepEqual(outcomes[0], { ok: true, added: 4 });
      const [, failed, , refused] = outcomes;
      assert.ok(failed && !failed.ok && /events of session k came without its header/.test(String(failed.error)), JSON.stringify(failed));
      assert.deepEqual(outcomes[2], { ok: true, added: 3 });
      assert.ok(refused && !refused.ok && refused.error instanceof WriteRefusedError);
      assert.deepEqual([ordinals('j'), ordinals('k'), ordinals('i')], [[0, 1, 2, 3], [], [0, 1, 2, 3, 4, 5]]);
      // A report that failed before the group: refused within it too, the others applied.
      assert.deepEqual(inline.writeTogether([{ stream: s3, site, writes: [part('j', 4, 8, false)] }, { stream: s2, site, writes: [part('i', 6, 7, false)] }]).map((o) => (o.ok ? o.added : (o.error as Error).name)), ['WriteRefusedError', 1]);
      assert.equal(database.db.prepare("SELECT count(*) FROM outbox WHERE state = 'pending'").pluck().get(), 15 + 3 + 4 + 3 + 1);
    } finally {
      database.close();
    }
  });

  it('a worker that dies fails the writes in flight, and the next write starts a new one', () =>
    withWriter(async ({ site, ordinals, writer }) => {
      const stream = newStream();
      assert.equal(await writer.write(stream, site, [part('e', 0, 5, true)]), 5);
      const worker = (writer as unknown as { worker: Worker }).worker;
      const inFlight = writer.write(stream, site, [part('e', 5, 4005, false)]);
      await worker.terminate();
      await assert.rejects(inFlight, StoreWriteError);
      // The new worker does not know that report failed: this side refuses its later writes itself.
      await assert.rejects(writer.write(stream, site, [part('e', 4005, 4010, false)]), WriteRefusedError);
      // Either committed whole before the worker stopped, or not at all: never part of a transaction.
      const stored = ordinals('e').length;
      assert.ok(stored === 5 || stored === 4005, `${stored} events`);
      writer.endStream(stream);
      assert.equal(await writer.write(newStream(), site, [part('e', 0, 4005, false)]), 4005 - stored);
      assert.equal(ordinals('e').length, 4005);
    }));

  it('a thread that cannot start here: what was handed over, and all that follows, is stored on this thread, in order', async () => {
    const { dir, database, site, ordinals } = setUp();
    // A worker script that cannot load (as a runtime that cannot read the app's script would fail).
    const script = path.join(dir, 'broken-writer.mjs');
    writeFileSync(script, "throw new Error('this runtime cannot load the writer');\n");
    const reasons: string[] = [];
    const writer = new WorkerSessionWriter(dir, pathToFileURL(script), { store: new SessionStore(database.db), onFallback: (reason) => reasons.push(reason) });
    try {
      const stream = newStream();
      const first = [writer.write(stream, site, [part('g', 0, 100, true)]), writer.write(stream, site, [part('g', 100, 200, false)])];
      assert.deepEqual(await Promise.all(first), [100, 100]);
      assert.equal(reasons.length, 1);
      assert.match(reasons[0]!, /cannot load the writer/);
      assert.equal(await writer.write(stream, site, [part('g', 0, 250, false)]), 50);
      assert.deepEqual(ordinals('g'), Array.from({ length: 250 }, (_, i) => i));
      assert.equal(database.db.prepare("SELECT count(*) FROM outbox WHERE state = 'pending'").pluck().get(), 250);
    } finally {
      await writer.close();
      database.close();
    }
  });

  it('in a development run of the app, the thread loads better-sqlite3’s addon from the Electron copies, as the main process does', async (t) => {
    if (process.platform !== 'linux') return t.skip('reads /proc/self/maps');
    // The development main process publishes both folders (electron/main/index.ts); the "Electron
    // build" here is a copy of the Node one, in the layout scripts/start.mjs gives its cache.
    const packageDir = path.dirname(createRequire(import.meta.url).resolve('better-sqlite3/package.json'));
    const nativeDir = tempDir('pra-electron-native-');
    const twin = path.join(nativeDir, 'node_modules', 'better-sqlite3', 'build', 'Release', 'better_sqlite3.node');
    mkdirSync(path.dirname(twin), { recursive: true });
    copyFileSync(path.join(packageDir, 'build', 'Release', 'better_sqlite3.node'), twin);
    const saved = { from: process.env[APP_NODE_MODULES_ENV], to: process.env[ELECTRON_NATIVE_DIR_ENV] };
    process.env[APP_NODE_MODULES_ENV] = path.dirname(packageDir);
    process.env[ELECTRON_NATIVE_DIR_ENV] = nativeDir;
    try {
      await withWriter(async ({ site, writer }) => {
        assert.equal(await writer.write(newStream(), site, [part('h', 0, 3, true)]), 3); // the thread starts with the variables set
        assert.ok(readFileSync('/proc/self/maps', 'utf8').includes(twin), 'the twin addon is loaded');
      });
    } finally {
      for (const [name, value] of [[APP_NODE_MODULES_ENV, saved.from], [ELECTRON_NATIVE_DIR_ENV, saved.to]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
  });

  it('close() answers what was handed over before it lets the worker go', async () => {
    const { database, site, ordinals, writer } = setUp();
    const stream = newStream();
    const pending = [writer.write(stream, site, [part('f', 0, 1000, true)]), writer.write(stream, site, [part('f', 1000, 2000, false)])];
    await writer.close();
    assert.deepEqual(await Promise.all(pending), [1000, 1000]);
    assert.equal(ordinals('f').length, 2000);
    await assert.rejects(writer.write(stream, site, [part('f', 2000, 2001, false)]), /closed/);
    database.close();
  });
});

// ── Reports parsed on the writer thread (pullReport) ───────────────────────────────────────────

/** A rendered AccessSession report: 160 sessions (~6,000 events), some in progress, as the simulator writes it. */
function reportText(): string {
  const corpus = generateCorpus({ seed: 'writer-thread', from: NOW - 2 * 86_400, to: NOW - 3600, sessions: 160, eventsPerSession: [32, 42], inProgressShare: 0.2 }).map((s) => completeSession(s));
  const ctx = { now: NOW, namespace: REPORTING_NAMESPACES.sra, siteHostname: 'w.example.com', inProgressEndTime: 'empty' as const };
  return [...renderAccessSessionReport(corpus, ctx)].map((piece) => (typeof piece === 'string' ? piece : piece.toString('utf8'))).join('');
}

/** The text as a body of chunks of a few KB (cut anywhere, also inside characters), then `end` (a failure to throw). */
async function* bodyOf(text: string, end?: Error): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text, 'utf8');
  for (let at = 0, size = 1; at < bytes.length; at += size, size = 1 + ((size * 7919) % 9000)) yield bytes.subarray(at, at + size);
  if (end) throw end;
}

const context = (site: { id: number; host: string }, stream: number): ReportContext => ({ site, stream, mode: 'window', siteNow: NOW, followOpenSeconds: 7 * 86_400 });

/** What a store holds: each session's events as (ordinal, XML), and the sessions followed. */
function stored(database: ReturnType<typeof openSettingsDatabase>) {
  const events = database.db.prepare('SELECT s.lsid, e.ordinal, e.xml FROM events e JOIN sessions s ON s.id = e.session_id ORDER BY s.lsid, e.ordinal').all();
  const followed = database.db.prepare('SELECT lsid FROM follow ORDER BY lsid').pluck().all();
  return { events, followed };
}

/** The same body parsed and stored on this thread (the path without a writer thread), for comparison. */
async function storedInline(body: AsyncIterable<Buffer>) {
  const { database, site, writer } = setUp();
  await writer.close();
  const totals = { sessionsSeen: 0, eventsAdded: 0 };
  const seenAtProgress: number[] = [];
  let outcome: unknown;
  try {
    outcome = await storeReport(parseAccessSessionReport(body), new InlineSessionWriter(new SessionStore(database.db)), context(site, newStream()), totals, () => seenAtProgress.push(totals.eventsAdded));
  } catch (error) {
    outcome = error;
  }
  // Progress is called as each commit is answered, with the totals counting it: they only grow,
  // from a first commit of ~500 events.
  assert.ok(seenAtProgress.length >= 2 && seenAtProgress[0]! > 0 && seenAtProgress[0]! <= 1000, JSON.stringify(seenAtProgress.slice(0, 5)));
  assert.ok(seenAtProgress.every((n, i) => i === 0 || n >= seenAtProgress[i - 1]!));
  assert.equal(seenAtProgress.at(-1), totals.eventsAdded);
  const result = { outcome, totals, ...stored(database) };
  database.close();
  return result;
}

describe('reports parsed and stored on the writer thread', () => {
  it('store what parsing on the engine’s thread stores, with the same counts, sessions seen and ended, and progress', () =>
    withWriter(async ({ database, site, writer }) => {
      const text = reportText();
      assert.equal(await writer.parsesReports(), true);
      const totals = { sessionsSeen: 0, eventsAdded: 0 };
      let progress = 0;
      const out = await writer.pullReport(bodyOf(text), [], context(site, newStream()), totals, () => progress++);
      const inline = await storedInline(bodyOf(text));
      assert.ok(totals.eventsAdded > 5000, `${totals.eventsAdded} events`);
      assert.deepEqual(totals, inline.totals);
      // Progress as each commit (~500 events) is stored: the shipper reads the outbox then.
      assert.ok(progress >= totals.eventsAdded / 1000, `progress reported ${progress} times for ${totals.eventsAdded} events`);
      const expected = inline.outcome as StoredReport;
      assert.deepEqual([out.sessions, out.events, [...out.seen].sort(), [...out.ended].sort()], [expected.sessions, expected.events, [...expected.seen].sort(), [...expected.ended].sort()]);
      assert.ok(out.ended.size < out.seen.size, 'some sessions are still in progress');
      assert.deepEqual(stored(database), { events: inline.events, followed: inline.followed });
    }));

  it('a report that fails there keeps what arrived complete, and its failure keeps its class and details', () =>
    withWriter(async ({ database, site, writer }) => {
      const text = reportText();
      // Cut in the middle: a truncated report (MalformedReportError), as on the engine's thread.
      const cut = text.slice(0, Math.floor(text.length / 2));
      const failed = writer.pullReport(bodyOf(cut), [], context(site, newStream()), { sessionsSeen: 0, eventsAdded: 0 }, () => {});
      await assert.rejects(failed, MalformedReportError);
      const inline = await storedInline(bodyOf(cut));
      assert.ok(inline.outcome instanceof MalformedReportError);
      assert.ok(inline.events.length > 100);
      assert.deepEqual(stored(database).events, inline.events);
      // The appliance's <error> inside the list: a ReportError with its text and whether it reads like a missing permission.
      const refusal = text.replace(/<session /, '<error>You do not have permission to run this report.</error><session ');
      const refused = await writer.pullReport(bodyOf(refusal), [], context(site, newStream()), { sessionsSeen: 0, eventsAdded: 0 }, () => {}).catch((e: unknown) => e);
      assert.ok(refused instanceof ReportError, String(refused));
      assert.equal(refused.text, 'You do not have permission to run this report.');
      assert.equal(refused.permissionDenied, true);
      // A learned "no data" text ends the report without items.
      const noData = text.replace(/<session [\s\S]*<\/session>/, '<error>Aucune session ne correspond.</error>');
      const empty = await writer.pullReport(bodyOf(noData), [normalizeErrorText('Aucune session ne correspond.')], context(site, newStream()), { sessionsSeen: 0, eventsAdded: 0 }, () => {});
      assert.deepEqual([empty.sessions, empty.events], [0, 0]);
    }));

  it('a body that fails: its own error is thrown (the same one), after what arrived complete is stored', () =>
    withWriter(async ({ database, site, writer }) => {
      const text = reportText();
      const half = text.slice(0, Math.floor(text.length / 2));
      const reset = new SiteUnavailableError('the connection was reset');
      const totals = { sessionsSeen: 0, eventsAdded: 0 };
      const thrown = await writer.pullReport(bodyOf(half, reset), [], context(site, newStream()), totals, () => {}).catch((e: unknown) => e);
      assert.equal(thrown, reset);
      const inline = await storedInline(bodyOf(half, reset));
      assert.equal(inline.outcome, reset);
      assert.deepEqual(stored(database).events, inline.events);
      assert.equal(totals.eventsAdded, inline.events.length);
    }));

  it('the body is read at most a bounded amount ahead of the parser, and no more once the report failed there; a worker that dies fails the report', () =>
    withWriter(async ({ site, writer }) => {
      let read = 0;
      async function* endless() {
        yield Buffer.from('<html><body>a login page</body></html>');
        for (;;) {
          const chunk = Buffer.from('<p>more</p>'.repeat(100));
          read += chunk.length;
          yield chunk;
        }
      }
      await assert.rejects(writer.pullReport(endless(), [], context(site, newStream()), { sessionsSeen: 0, eventsAdded: 0 }, () => {}), MalformedReportError);
      assert.ok(read <= MAX_UNREAD_BYTES + 64 * 1024, `the body was read on after the failure (${read} bytes)`);
      // The thread dies while a report is in flight.
      async function* slow() {
        yield Buffer.from(reportText().slice(0, 5000));
        await new Promise((r) => setTimeout(r, 200));
        yield Buffer.from('');
      }
      const inFlight = writer.pullReport(slow(), [], context(site, newStream()), { sessionsSeen: 0, eventsAdded: 0 }, () => {});
      await new Promise((r) => setTimeout(r, 50));
      await (writer as unknown as { worker: Worker }).worker.terminate();
      await assert.rejects(inFlight, StoreWriteError);
      assert.equal(await writer.parsesReports(), true, 'a new thread starts');
    }));
});
