// Elasticsearch's answers written to the outbox (OutboxMarks) on a real settings.db: what is
// written, what waits for a busy lock, and that the connection's durability setting is the store's
// again after each write (the marks alone commit without an fsync; see outbox-marks.ts).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { watch } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { OutboxMarks } from '../../electron/engine/elastic/outbox-marks.ts';
import { openSettingsDatabase } from '../../electron/engine/settings-db.ts';
import { eventColumns, headerRow, SessionStore } from '../../electron/engine/store/session-store.ts';
import { insertSite, minimalEvent, minimalHeader } from '../support/store-fixtures.ts';
import { tempDir } from '../support/temp-dir.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const NOW = Math.floor(Date.now() / 1000);
const FULL = 2;

function setUp() {
  const database = openSettingsDatabase(tempDir('pra-outbox-marks-'));
  const db = database.db;
  const siteId = insertSite(db, 'M', 'm.example.com');
  const events = Array.from({ length: 6 }, (_, i) => minimalEvent(i, NOW - 600 + i, 'Chat Message', `message ${i}`));
  new SessionStore(db, () => NOW).write({ id: siteId, host: 'm.example.com' }, [
    { lsid: 'lsid-marks', header: headerRow(minimalHeader('lsid-marks', NOW - 600, NOW - 60, '00:09:00')), events: eventColumns(events), follow: null },
  ]);
  const ids = db.prepare("SELECT event_id FROM outbox WHERE destination = 'elastic' ORDER BY event_id").pluck().all() as number[];
  const states = () => db.prepare("SELECT state, attempts, last_error FROM outbox WHERE destination = 'elastic' ORDER BY event_id").all() as { state: string; attempts: number; last_error: string | null }[];
  return { database, db, ids, states };
}

describe('outbox marks', () => {
  it('writes sent, failed and retried answers, and leaves the connection synchronous = FULL', () => {
    const { database, db, ids, states } = setUp();
    try {
      assert.equal(db.pragma('synchronous', { simple: true }), FULL, 'the store commits with synchronous = FULL');
      const marks = new OutboxMarks(db, (e) => String(e));
      marks.add(ids.slice(0, 3), [{ eventId: ids[3]!, reason: 'HTTP 400: mapper_parsing_exception: bad' }], [ids[4]!]);
      assert.equal(marks.queued, 0, 'written at once when the lock is free');
      assert.equal(marks.failure, null);
      assert.deepEqual(
        states().map((s) => s.state),
        ['sent', 'sent', 'sent', 'failed', 'pending', 'pending'],
      );
      assert.equal(states()[3]!.last_error, 'HTTP 400: mapper_parsing_exception: bad');
      assert.equal(states()[4]!.attempts, 1, 'a retried event counts its attempt');
      assert.equal(db.pragma('synchronous', { simple: true }), FULL, "the store's own commits are FULL again");
    } finally {
      database.close();
    }
  });

  it('a busy lock keeps the answers queued, with the connection as it was; flush writes them once the lock is free', () => {
    const { database, db, ids, states } = setUp();
    // Another connection holds the write lock, as the store writer thread does during its commits.
    const other = new Database(db.name);
    try {
      other.prepare('BEGIN IMMEDIATE').run();
      const marks = new OutboxMarks(db, (e) => String(e));
      marks.add(ids.slice(0, 2), [], []);
      assert.equal(marks.queued, 2, 'kept while the lock is taken');
      assert.equal(db.pragma('synchronous', { simple: true }), FULL);
      assert.equal(db.pragma('busy_timeout', { simple: true }), 5000, 'the wait for the lock is as before');
      other.prepare('COMMIT').run();
      assert.equal(marks.flush(), null);
      assert.equal(marks.queued, 0);
      assert.deepEqual(states().slice(0, 3).map((s) => s.state), ['sent', 'sent', 'pending']);
      assert.equal(db.pragma('synchronous', { simple: true }), FULL);
    } finally {
      other.close();
      database.close();
    }
  });

  it('writing a thousand marks in one transaction makes no temporary file (no statement journal spilled to disk)', async () => {
    // SQLite puts temporary files where SQLITE_TMPDIR says, read as the process starts: a child
    // process marks the events while this one watches that folder (a file made and deleted at once
    // still shows there).
    const tmp = tempDir('pra-marks-tmpdir-');
    const script = `
      import { OutboxMarks } from ${JSON.stringify(path.join(ROOT, 'electron/engine/elastic/outbox-marks.ts'))};
      import { openSettingsDatabase } from ${JSON.stringify(path.join(ROOT, 'electron/engine/settings-db.ts'))};
      import { eventColumns, headerRow, SessionStore } from ${JSON.stringify(path.join(ROOT, 'electron/engine/store/session-store.ts'))};
      import { insertSite, minimalEvent, minimalHeader } from ${JSON.stringify(path.join(ROOT, 'test/support/store-fixtures.ts'))};
      import { tempDir } from ${JSON.stringify(path.join(ROOT, 'test/support/temp-dir.ts'))};
      const now = ${NOW};
      const database = openSettingsDatabase(tempDir('pra-outbox-marks-many-'));
      const db = database.db;
      const site = { id: insertSite(db, 'M', 'm.example.com'), host: 'm.example.com' };
      const store = new SessionStore(db, () => now);
      for (let s = 0; s < 12; s++) {
        const events = Array.from({ length: 100 }, (_, i) => minimalEvent(i, now - 600 + i, 'Chat Message', 'message ' + s + '/' + i));
        store.write(site, [{ lsid: 'lsid-' + s, header: headerRow(minimalHeader('lsid-' + s, now - 600, now - 60, '00:09:00')), events: eventColumns(events), follow: null }]);
      }
      const ids = db.prepare("SELECT event_id FROM outbox WHERE destination = 'elastic' ORDER BY event_id").pluck().all();
      process.stdout.write('ready' + String.fromCharCode(10));
      await new Promise((resolve) => process.stdin.once('data', resolve));
      const marks = new OutboxMarks(db, (e) => String(e));
      marks.add(ids.slice(0, 1000), [{ eventId: ids[1000], reason: 'HTTP 400' }], ids.slice(1001));
      const sent = db.prepare("SELECT count(*) FROM outbox WHERE state = 'sent'").pluck().get();
      database.close();
      process.stdout.write('sent ' + sent + ' queued ' + marks.queued + String.fromCharCode(10));`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, env: { ...process.env, SQLITE_TMPDIR: tmp }, stdio: ['pipe', 'pipe', 'pipe'] });
    const exited = once(child, 'exit') as Promise<[number | null]>;
    let out = '';
    child.stderr.on('data', (d) => (out += d));
    const ready = new Promise<void>((resolve) =>
      child.stdout.on('data', (d) => {
        out += d;
        if (/^ready$/m.test(out)) resolve();
      }),
    );
    await Promise.race([ready, exited]);
    assert.match(out, /^ready$/m, out);
    // Watched only around the marks: storing the events is not what this checks.
    const made: string[] = [];
    const watcher = watch(tmp, (_event, name) => made.push(String(name)));
    try {
      child.stdin.end('go\n');
      const [code] = await exited;
      await new Promise((resolve) => setTimeout(resolve, 100)); // the watcher's last events
      assert.equal(code, 0, out);
    } finally {
      watcher.close();
    }
    assert.match(out, /sent 1000 queued 0/, out);
    assert.deepEqual(made, [], 'temporary files made while marking');
  });
});
