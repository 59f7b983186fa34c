import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MemorySecretStore } from '../../electron/engine/secrets/secret-store.ts';
import { newEngine } from '../support/engine-fixture.ts';
import { minimalEvent, minimalHeader } from '../support/store-fixtures.ts';

const NOW = Math.floor(Date.now() / 1000);
const DAY = 86_400;

const header = minimalHeader;
const event = (ordinal: number, timestamp: number) => minimalEvent(ordinal, timestamp);

describe('local retention', () => {
  it('prunes sessions that ended before the retention, never undelivered or in-progress ones; 0 keeps everything', async () => {
    const engine = newEngine({ secrets: new MemorySecretStore() });
    try {
      const site = await engine.addSite({ name: 'R', host: 'r.example.com', clientId: 'c' }, 'secret');
      const write = (lsid: string, start: number, end: number | null, follow = false) =>
        engine.store.writeBatch(site, lsid, header(lsid, start, end), [event(0, start), event(1, start + 1)], follow ? { kind: 'follow', startTime: start, seenAt: NOW } : null);
      write('old-shipped', NOW - 200 * DAY, NOW - 200 * DAY + 60);
      write('old-pending', NOW - 200 * DAY, NOW - 200 * DAY + 60);
      write('old-open', NOW - 200 * DAY, null, true);
      write('recent', NOW - 10 * DAY, NOW - 10 * DAY + 60);
      const db = engine.database.db;
      db.prepare("UPDATE outbox SET state = 'sent' WHERE event_id IN (SELECT e.id FROM events e JOIN sessions s ON s.id = e.session_id WHERE s.lsid IN ('old-shipped', 'recent'))").run();

      // Hourly counts of the status chart: one from before the retention, one recent.
      const hour = (t: number) => Math.floor(t / 3600) * 3600;
      db.prepare('INSERT INTO event_hours (site_id, hour, events) VALUES (?, ?, 7), (?, ?, 9)').run(site.id, hour(NOW - 200 * DAY), site.id, hour(NOW - 10 * DAY));
      const hours = () => db.prepare('SELECT hour FROM event_hours WHERE site_id = ? AND hour < ? ORDER BY hour').pluck().all(site.id, hour(NOW) - 3600);

      assert.equal(engine.retentionDays, 90, 'default 90 days');
      engine.retentionDays = 0;
      assert.equal(engine.prune(), 0, '0 = keep forever');
      assert.deepEqual(hours(), [hour(NOW - 200 * DAY), hour(NOW - 10 * DAY)]);
      engine.retentionDays = 90;
      assert.equal(engine.prune(), 1);
      const left = (db.prepare('SELECT lsid FROM sessions ORDER BY lsid').all() as { lsid: string }[]).map((r) => r.lsid);
      assert.deepEqual(left, ['old-open', 'old-pending', 'recent']);
      const orphans = db.prepare("SELECT (SELECT count(*) FROM events e JOIN sessions s ON s.id = e.session_id WHERE s.lsid = 'old-shipped') + (SELECT count(*) FROM outbox WHERE event_id NOT IN (SELECT id FROM events)) AS n").get() as { n: number };
      assert.equal(orphans.n, 0, 'events and outbox rows went with the session');
      assert.deepEqual(hours(), [hour(NOW - 10 * DAY)], 'the chart’s counts from before the retention went too');
      assert.throws(() => (engine.retentionDays = -1), /whole number of days/);
    } finally {
      await engine.close();
    }
  });

  it('keeps old sessions whose files the archive has not archived yet (a folder unreachable for longer than the retention loses nothing)', async () => {
    const engine = newEngine({ secrets: new MemorySecretStore() });
    const dir = mkdtempSync(join(tmpdir(), 'pra-ic-retention-archive-'));
    try {
      const site = await engine.addSite({ name: 'A', host: 'a.example.com', clientId: 'c' }, 'secret');
      for (const lsid of ['old-archived', 'old-unarchived', 'old-xml-only']) {
        engine.store.writeBatch(site, lsid, header(lsid, NOW - 200 * DAY, NOW - 200 * DAY + 60), [event(0, NOW - 200 * DAY)], null);
      }
      const db = engine.database.db;
      db.prepare("UPDATE outbox SET state = 'sent'").run();
      engine.setArchive({ dir });
      const settle = db.prepare('INSERT INTO archive_sessions (site_id, lsid, settled) VALUES (?, ?, ?)');
      settle.run(site.id, 'old-archived', 7); // session XML, recording and shell recordings settled
      settle.run(site.id, 'old-xml-only', 1); // its recordings are still to be downloaded
      const left = () => db.prepare('SELECT lsid FROM sessions ORDER BY lsid').pluck().all();

      assert.equal(engine.prune(), 1);
      assert.deepEqual(left(), ['old-unarchived', 'old-xml-only']);
      // Recordings turned off: a session whose XML is archived is no longer held.
      engine.setArchive({ recordings: false, shellRecordings: false });
      assert.equal(engine.prune(), 1);
      assert.deepEqual(left(), ['old-unarchived']);
      // The archive turned off: nothing holds the last one.
      engine.setArchive({ dir: null });
      assert.equal(engine.prune(), 1);
      assert.deepEqual(left(), []);
    } finally {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
