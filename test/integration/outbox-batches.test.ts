// Batches read from the outbox (BatchReader) on a real settings.db: events in order, each with its own
// session's part and its site's host, and an event whose session row is gone failed with why, not
// left pending forever.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BatchReader } from '../../electron/engine/elastic/outbox-batches.ts';
import { openSettingsDatabase } from '../../electron/engine/settings-db.ts';
import { eventColumns, headerRow, SessionStore } from '../../electron/engine/store/session-store.ts';
import { insertSite, minimalEvent, minimalHeader } from '../support/store-fixtures.ts';
import { tempDir } from '../support/temp-dir.ts';

const NOW = Math.floor(Date.now() / 1000);
const CONTEXT = { namespace: 'default', agent: { name: 'pra-ic-test', version: '0.0.0', installId: 'install-1' } };
const INDEX = 'logs-beyondtrust_pra.access_session-default';
const LIMITS = { maxDocs: 100, maxBytes: 4 * 1024 * 1024 };

function setUp() {
  const database = openSettingsDatabase(tempDir('pra-outbox-batches-'));
  const db = database.db;
  const store = new SessionStore(db, () => NOW);
  for (const [name, host, lsids] of [['A', 'a.example.com', ['lsid-a1', 'lsid-a2']], ['B', 'b.example.com', ['lsid-b1']]] as const) {
    const siteId = insertSite(db, name, host);
    store.write(
      { id: siteId, host },
      lsids.map((lsid, s) => ({
        lsid,
        header: headerRow(minimalHeader(lsid, NOW - 600, NOW - 60, '00:09:00')),
        events: eventColumns(Array.from({ length: 3 }, (_, i) => minimalEvent(i, NOW - 500 + i, 'Chat Message', `${lsid} message ${s}.${i}`))),
        follow: null,
      })),
    );
  }
  return { database, db };
}

/** The documents of a batch's lines, with their actions' ids. */
function documents(lines: Buffer[]): { id: string; source: Record<string, unknown> }[] {
  return lines.map((line) => {
    const [action, source] = line.toString('utf8').trimEnd().split('\n');
    return { id: (JSON.parse(action!) as { create: { _id: string } }).create._id, source: JSON.parse(source!) as Record<string, unknown> };
  });
}

describe('outbox batches', () => {
  it("reads pending events in order, each with its own session's message and its site's host", () => {
    const { database, db } = setUp();
    try {
      const result = new BatchReader(db).read(0, LIMITS, INDEX, CONTEXT);
      const ids = db.prepare("SELECT event_id FROM outbox WHERE destination = 'elastic' AND state = 'pending' ORDER BY event_id").pluck().all() as number[];
      assert.deepEqual(result!.batch!.ids, ids);
      assert.equal(result!.last, ids.at(-1));
      assert.deepEqual(result!.unbuildable, []);
      const docs = documents(result!.batch!.lines);
      assert.equal(new Set(docs.map((d) => d.id)).size, 9, 'one document id per event');
      const hosts = docs.map((d) => (d.source.observer as { hostname: string }).hostname);
      assert.deepEqual(hosts, [...Array(6).fill('a.example.com'), ...Array(3).fill('b.example.com')]);
      const lsids = docs.map((d) => (JSON.parse(d.source.message as string) as { session: { lsid: string } }).session.lsid);
      assert.deepEqual(lsids, ['lsid-a1', 'lsid-a1', 'lsid-a1', 'lsid-a2', 'lsid-a2', 'lsid-a2', 'lsid-b1', 'lsid-b1', 'lsid-b1']);
    } finally {
      database.close();
    }
  });

  it('gives the events of a session whose row is gone as unbuildable, with why, and builds the others', () => {
    const { database, db } = setUp();
    try {
      // Not possible with the store's foreign keys on (events go with their session): a damaged file.
      db.pragma('foreign_keys = OFF');
      db.prepare("DELETE FROM sessions WHERE lsid = 'lsid-a2'").run();
      const result = new BatchReader(db).read(0, LIMITS, INDEX, CONTEXT);
      assert.equal(result!.unbuildable.length, 3);
      for (const u of result!.unbuildable) assert.match(u.reason, /Could not build the document: its session \(row \d+\) is no longer in the store/);
      assert.equal(result!.batch!.ids.length, 6);
      assert.ok(result!.unbuildable.every((u) => !result!.batch!.ids.includes(u.eventId)));
    } finally {
      database.close();
    }
  });
});
