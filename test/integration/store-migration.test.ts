// Upgrading a session store made by schema version 2 (outbox keyed (destination, event_id) with a
// second index on event_id, and a per-event stored_at index for the chart) to the current schema:
// every outbox row keeps its state, attempts and reason, the chart counts stay the same, the
// cascades still work, and the two per-event indexes are gone. Versions 3 and 4 stored events and
// headers as the JSON of their trees; those rows stay readable. Version 5 keyed events by their
// session's (site, lsid); they move to their session's id with their ids and outbox rows.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openDatabase } from '../../electron/engine/db/database.ts';
import { MIGRATIONS, openSettingsDatabase, SCHEMA_VERSION } from '../../electron/engine/settings-db.ts';
import { parseElementXml, type XmlElement } from '../../electron/engine/pra/xml-element.ts';
import { eventColumns, headerRow, SessionStore, storedXml } from '../../electron/engine/store/session-store.ts';
import { SITE_COUNTS_SQL, StoreQueries } from '../../electron/engine/store/store-queries.ts';
import { insertSite, minimalEvent, minimalHeader } from '../support/store-fixtures.ts';
import { tempDir } from '../support/temp-dir.ts';

const HOUR = 3600;
const NOW = Math.floor(Date.now() / 1000 / HOUR) * HOUR + 600;

const header = (lsid: string) => minimalHeader(lsid, NOW - 5 * HOUR, NOW - 4 * HOUR, '01:00:00');
const event = (ordinal: number) => minimalEvent(ordinal, NOW - 5 * HOUR + ordinal, 'Chat Message', `message ${ordinal}`);

function addSite(db: ReturnType<typeof openDatabase>['db'], name = 'M'): number {
  return insertSite(db, name, 'm.example.com');
}

/** A row an older version stored as the JSON of its tree: left as it was, and read by storedXml as XML of the same tree. */
function assertReadsAsTree(db: ReturnType<typeof openDatabase>['db'], sql: string, tree: XmlElement) {
  const stored = db.prepare(sql).pluck().get() as string;
  assert.equal(stored, JSON.stringify(tree), 'the row itself is not rewritten');
  const xml = storedXml(stored);
  assert.ok(xml.startsWith(`<${tree.name} `), xml);
  assert.deepEqual(parseElementXml(xml), tree);
}

/** A store as schema version `version` left it, with one site: its directory, its database and the site. */
function storeAtVersion(version: number, prefix: string) {
  const dir = tempDir(prefix);
  const old = openDatabase(dir, { migrations: MIGRATIONS.slice(0, version) });
  assert.equal(old.db.pragma('user_version', { simple: true }), version);
  return { dir, old, siteId: addSite(old.db) };
}

describe('session store migration 3 (outbox keyed by event, events counted per hour)', () => {
  it('keeps every outbox row and the chart counts, and drops the per-event indexes', () => {
    // A version-2 store with events stored in two different hours and every outbox state.
    const { dir, old, siteId } = storeAtVersion(2, 'pra-store-migration-');
    let clock = NOW - 2 * HOUR;
    const v2 = old.db;
    const insertEvent = v2.prepare(`INSERT INTO events (site_id, lsid, ordinal, timestamp, event_type, body, tree, stored_at) VALUES (?, ?, ?, ?, 'Chat Message', ?, '{}', ?)`);
    v2.prepare(`INSERT INTO sessions (site_id, lsid, host_name, custom_attributes, header_tree, event_count, stored_at, updated_at) VALUES (?, 'a', 'm.example.com', '[]', '{}', 5, ?, ?)`).run(siteId, clock, clock);
    const enqueue = v2.prepare(`INSERT INTO outbox (destination, event_id, state, attempts, last_error, updated_at) VALUES ('elastic', ?, ?, ?, ?, ?)`);
    const states: [string, number, string | null][] = [['sent', 1, null], ['pending', 0, null], ['failed', 3, 'mapper_parsing_exception: field [x]'], ['pending', 2, null], ['sent', 1, null]];
    states.forEach(([state, attempts, reason], ordinal) => {
      if (ordinal === 3) clock += HOUR;
      const id = insertEvent.run(siteId, 'a', ordinal, NOW, `m${ordinal}`, clock).lastInsertRowid;
      enqueue.run(id, state, attempts, reason, clock);
    });
    // The chart as version 2 computed it: events grouped by the hour of stored_at.
    const first = Math.floor(NOW / HOUR) * HOUR - 3 * HOUR;
    const byHour = new Map(v2.prepare('SELECT (stored_at / 3600) * 3600 AS hour, count(*) AS n FROM events WHERE stored_at >= ? GROUP BY hour').raw().all(first) as [number, number][]);
    const chartBefore = [0, 1, 2, 3].map((i) => ({ hour: new Date((first + i * HOUR) * 1000).toISOString(), events: byHour.get(first + i * HOUR) ?? 0 }));
    const outboxBefore = v2.prepare('SELECT event_id, destination, state, attempts, last_error, updated_at FROM outbox ORDER BY event_id').all();
    old.close();

    const upgraded = openSettingsDatabase(dir);
    const db = upgraded.db;
    try {
      assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      assert.deepEqual(db.prepare('SELECT event_id, destination, state, attempts, last_error, updated_at FROM outbox ORDER BY event_id').all(), outboxBefore, 'every outbox row as it was');
      const chart = new StoreQueries(db).eventsPerHour(4, undefined, NOW);
      assert.deepEqual(chart, chartBefore, 'the chart counts the same events in the same hours');
      assert.deepEqual(chart.map((h) => h.events), [0, 3, 2, 0]);
      assert.deepEqual(new StoreQueries(db).eventsPerHour(4, siteId, NOW), chartBefore, 'per site too');

      const indexes = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name").pluck().all() as string[]);
      assert.ok(!indexes.includes('outbox_event') && !indexes.includes('events_stored'), `per-event indexes dropped (${indexes.join(', ')})`);
      assert.ok(indexes.includes('outbox_state'), 'the shipping index is still there');
      const pk = (db.prepare("SELECT name FROM pragma_table_info('outbox') WHERE pk > 0 ORDER BY pk").pluck().all() as string[]);
      assert.deepEqual(pk, ['event_id', 'destination']);
      assert.deepEqual(db.pragma('foreign_key_check'), [], 'no dangling reference');

      // New writes count into the same hour rows; deleting a session still cascades to the outbox.
      const store = new SessionStore(db, () => NOW);
      assert.equal(store.writeBatch({ id: siteId, host: 'm.example.com' }, 'b', header('b'), [event(0), event(1), event(2)], null), 3);
      assert.deepEqual(new StoreQueries(db).eventsPerHour(4, undefined, NOW).map((h) => h.events), [0, 3, 2, 3]);
      assert.equal(db.prepare("SELECT count(*) FROM outbox WHERE state = 'pending'").pluck().get(), 5);
      db.prepare("DELETE FROM sessions WHERE lsid = 'a'").run();
      assert.equal(db.prepare('SELECT count(*) FROM events').pluck().get(), 3);
      assert.equal(db.prepare('SELECT count(*) FROM outbox').pluck().get(), 3, 'the cascade reached the outbox through its primary key');
    } finally {
      upgraded.close();
    }
  });

  it('a store written in one transaction per group of sessions holds what per-session writes hold', () => {
    const grouped = openSettingsDatabase(tempDir('pra-store-grouped-'));
    const single = openSettingsDatabase(tempDir('pra-store-single-'));
    try {
      const write = (db: typeof grouped, mode: 'grouped' | 'single') => {
        const siteId = addSite(db.db);
        const site = { id: siteId, host: 'm.example.com' };
        const store = new SessionStore(db.db, () => NOW);
        const sessions = ['s1', 's2', 's3'].map((lsid, i) => ({ lsid, header: header(lsid), events: Array.from({ length: 3 + i }, (_, k) => event(k)) }));
        if (mode === 'single') for (const s of sessions) store.writeBatch(site, s.lsid, s.header, s.events, { kind: 'unfollow' });
        else {
          const added = store.write(site, sessions.map((s) => ({ lsid: s.lsid, header: headerRow(s.header), events: eventColumns(s.events), follow: { kind: 'unfollow' as const } })));
          assert.equal(added, 12);
          // The same again: nothing new (idempotent), in one transaction as well.
          assert.equal(store.write(site, sessions.map((s) => ({ lsid: s.lsid, header: headerRow(s.header), events: eventColumns(s.events), follow: null }))), 0);
        }
        const rows = (sql: string) => db.db.prepare(sql).raw().all();
        return {
          sessions: rows('SELECT lsid, event_count, header_xml FROM sessions ORDER BY lsid'),
          events: rows('SELECT s.lsid, e.ordinal, e.timestamp, e.event_type, e.xml FROM events e JOIN sessions s ON s.id = e.session_id ORDER BY s.lsid, e.ordinal'),
          outbox: rows("SELECT s.lsid, e.ordinal, o.state FROM outbox o JOIN events e ON e.id = o.event_id JOIN sessions s ON s.id = e.session_id ORDER BY s.lsid, e.ordinal"),
          hours: rows('SELECT hour, events FROM event_hours'),
        };
      };
      assert.deepEqual(write(grouped, 'grouped'), write(single, 'single'));
    } finally {
      grouped.close();
      single.close();
    }
  });
});

describe('session store migration 4 (events kept as XML text)', () => {
  it('renames the column, drops the fields kept in the text, and keeps older rows readable: their JSON tree reads back as the same element', () => {
    const { dir, old, siteId } = storeAtVersion(3, 'pra-store-migration4-');
    // A tree as version 3 stored it: attributes, nested children, raw whitespace, characters to escape.
    const tree: XmlElement = {
      name: 'event',
      attrs: { timestamp: String(NOW), event_type: 'Command Shell Session Started' },
      children: [
        { name: 'performed_by', attrs: { type: 'representative', gsnumber: '21' }, children: [], text: 'Admin & "Ops" <root>' },
        { name: 'data', attrs: {}, children: [{ name: 'value', attrs: { name: 'Command', value: 'ls -la\t"/tmp" & <x>\nnext' }, children: [], text: '' }], text: '\n      \n    ' },
        { name: 'body', attrs: {}, children: [], text: ' line 1\r\nline 2 ]]> 🚀 ' },
      ],
      text: '\n    ',
    };
    old.db.prepare(`INSERT INTO sessions (site_id, lsid, host_name, custom_attributes, header_tree, event_count, stored_at, updated_at) VALUES (?, 'a', 'm.example.com', '[]', '{}', 1, ?, ?)`).run(siteId, NOW, NOW);
    old.db.prepare(`INSERT INTO events (site_id, lsid, ordinal, timestamp, event_type, body, tree, stored_at) VALUES (?, 'a', 0, ?, 'Command Shell Session Started', 'x', ?, ?)`).run(siteId, NOW, JSON.stringify(tree), NOW);
    old.close();

    const upgraded = openSettingsDatabase(dir);
    try {
      assert.equal(upgraded.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      const columns = upgraded.db.prepare("SELECT name FROM pragma_table_info('events')").pluck().all() as string[];
      assert.deepEqual(columns, ['id', 'session_id', 'ordinal', 'timestamp', 'event_type', 'xml', 'stored_at'], 'tree renamed xml; the fields read from it are not kept twice');
      assertReadsAsTree(upgraded.db, "SELECT e.xml FROM events e JOIN sessions s ON s.id = e.session_id WHERE s.lsid = 'a'", tree);
      // A row of this version is XML already and is read as it is.
      const store = new SessionStore(upgraded.db, () => NOW);
      store.writeBatch({ id: siteId, host: 'm.example.com' }, 'b', header('b'), [event(0)], null);
      const fresh = upgraded.db.prepare("SELECT e.xml FROM events e JOIN sessions s ON s.id = e.session_id WHERE s.lsid = 'b'").pluck().get() as string;
      assert.equal(storedXml(fresh), fresh);
      assert.deepEqual(parseElementXml(fresh).attrs, { timestamp: String(NOW - 5 * HOUR), event_type: 'Chat Message' });
    } finally {
      upgraded.close();
    }
  });
});

describe('session store migration 5 (session headers kept as XML text)', () => {
  it('renames the column and keeps older rows readable: their JSON tree reads back as the same element', () => {
    const { dir, old, siteId } = storeAtVersion(4, 'pra-store-migration5-');
    // A header tree as version 4 stored it: attributes, nested children, raw whitespace, characters to escape.
    const tree: XmlElement = {
      name: 'session',
      attrs: { lsid: 'a' },
      children: [
        { name: 'lseq', attrs: {}, children: [], text: '7' },
        { name: 'custom_attributes', attrs: {}, children: [{ name: 'custom_attribute', attrs: { code_name: 'k', display_name: 'A & "B"' }, children: [], text: ' <v> 🚀\r\n' }], text: '\n  ' },
        { name: 'command_shell_recordings', attrs: {}, children: [{ name: 'command_shell_recording', attrs: { instance: '0' }, children: [{ name: 'view_url', attrs: {}, children: [], text: 'https://h/v?a=1&b=2' }], text: '' }], text: '' },
      ],
      text: '\n  \n',
    };
    old.db.prepare(`INSERT INTO sessions (site_id, lsid, host_name, custom_attributes, header_tree, event_count, stored_at, updated_at) VALUES (?, 'a', 'm.example.com', '[]', ?, 0, ?, ?)`).run(siteId, JSON.stringify(tree), NOW, NOW);
    old.close();

    const upgraded = openSettingsDatabase(dir);
    try {
      assert.equal(upgraded.db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      const columns = upgraded.db.prepare("SELECT name FROM pragma_table_info('sessions')").pluck().all() as string[];
      assert.ok(columns.includes('header_xml') && !columns.includes('header_tree'), columns.join());
      assertReadsAsTree(upgraded.db, "SELECT header_xml FROM sessions WHERE lsid = 'a'", tree);
      // A header written by this version is its XML text, read as it is.
      const store = new SessionStore(upgraded.db, () => NOW);
      store.writeBatch({ id: siteId, host: 'm.example.com' }, 'b', header('b'), [event(0)], null);
      const fresh = upgraded.db.prepare("SELECT header_xml FROM sessions WHERE lsid = 'b'").pluck().get() as string;
      assert.equal(fresh, header('b').xml);
      assert.equal(storedXml(fresh), fresh);
    } finally {
      upgraded.close();
    }
  });
});

describe('session store migration 6 (events keyed by session id)', () => {
  it('gives every session an id, moves its events to it with their ids, keeps the outbox, and the cascades still work', () => {
    const { dir, old, siteId } = storeAtVersion(5, 'pra-store-migration6-');
    const otherSite = addSite(old.db, 'N');
    const v5 = old.db;
    const insertSession = v5.prepare(`INSERT INTO sessions (site_id, lsid, host_name, start_time, custom_attributes, header_xml, event_count, stored_at, updated_at)
      VALUES (?, ?, 'm.example.com', ?, '[]', ?, ?, ?, ?)`);
    const insertEvent = v5.prepare(`INSERT INTO events (site_id, lsid, ordinal, timestamp, event_type, xml, stored_at) VALUES (?, ?, ?, ?, 'Chat Message', ?, ?)`);
    const enqueue = v5.prepare(`INSERT INTO outbox (event_id, destination, state, attempts, last_error, updated_at) VALUES (?, 'elastic', ?, ?, ?, ?)`);
    // The same lsid on two sites, and events of different sessions interleaved (ids in storing order).
    const sessions: [number, string][] = [[siteId, 'a'], [otherSite, 'a'], [siteId, 'b']];
    sessions.forEach(([site, lsid], i) => insertSession.run(site, lsid, NOW - i, `<session lsid="${lsid}"><lseq>${i}</lseq></session>`, 2, NOW, NOW));
    const states: [string, number, string | null][] = [['sent', 1, null], ['pending', 0, null], ['failed', 3, 'mapper_parsing_exception'], ['pending', 0, null], ['sent', 2, null], ['pending', 0, null]];
    states.forEach(([state, attempts, reason], i) => {
      const [site, lsid] = sessions[i % 3]!;
      const id = insertEvent.run(site, lsid, Math.floor(i / 3), NOW + i, `<event n="${i}"/>`, NOW).lastInsertRowid;
      enqueue.run(id, state, attempts, reason, NOW);
    });
    v5.prepare(`INSERT INTO participants (site_id, lsid, kind, gsnumber, display_name) VALUES (?, 'a', 'representative', '21', 'Admin')`).run(siteId);
    const eventsBefore = v5.prepare('SELECT id, site_id, lsid, ordinal, timestamp, event_type, xml, stored_at FROM events ORDER BY id').all();
    const outboxBefore = v5.prepare('SELECT * FROM outbox ORDER BY event_id').all();
    const sessionsBefore = v5.prepare('SELECT * FROM sessions ORDER BY site_id, lsid').all();
    old.close();

    const upgraded = openSettingsDatabase(dir);
    const db = upgraded.db;
    try {
      assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      assert.equal(db.pragma('foreign_keys', { simple: true }), 1, 'foreign keys are enforced again after the upgrade');
      assert.deepEqual(db.pragma('foreign_key_check'), [], 'no dangling reference');
      const eventsAfter = db.prepare(`SELECT e.id, s.site_id, s.lsid, e.ordinal, e.timestamp, e.event_type, e.xml, e.stored_at FROM ${'events e JOIN sessions s ON s.id = e.session_id'} ORDER BY e.id`).all();
      assert.deepEqual(eventsAfter, eventsBefore, 'every event, with its id, belongs to the same (site, lsid)');
      assert.deepEqual(db.prepare('SELECT * FROM outbox ORDER BY event_id').all(), outboxBefore, 'every outbox row as it was');
      const sessionsAfter = db.prepare('SELECT * FROM sessions ORDER BY site_id, lsid').all() as { id: number }[];
      assert.deepEqual(sessionsAfter.map(({ id: _id, ...rest }) => rest), sessionsBefore, 'every session column as it was');
      const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name IN ('sessions', 'events') AND name NOT LIKE 'sqlite_autoindex%' ORDER BY name").pluck().all();
      assert.deepEqual(indexes, ['sessions_event_count', 'sessions_start', 'sessions_stored'], 'the rebuilt sessions table keeps its indexes (and gets the later migrations\' own)');

      // Writing goes on where it stood: known events are skipped, new ones get the next ids and are queued.
      const store = new SessionStore(db, () => NOW);
      const site = { id: siteId, host: 'm.example.com' };
      assert.equal(store.writeBatch(site, 'a', null, [event(0), event(1), event(2)], null), 1, 'only ordinal 2 of site 1 session a is new');
      assert.equal(db.prepare('SELECT max(event_id) FROM outbox').pluck().get(), 7);
      assert.equal(db.prepare("SELECT event_count FROM sessions WHERE site_id = ? AND lsid = 'a'").pluck().get(siteId), 3);
      // Deleting a session (retention) takes its participants, events and their outbox rows; the other site's 'a' stays.
      assert.equal(db.prepare('SELECT count(*) FROM participants').pluck().get(), 1);
      db.prepare("DELETE FROM sessions WHERE site_id = ? AND lsid = 'a'").run(siteId);
      assert.deepEqual(db.prepare('SELECT event_id FROM outbox ORDER BY event_id').pluck().all(), [2, 3, 5, 6]);
      assert.equal(db.prepare('SELECT count(*) FROM participants').pluck().get(), 0);
      // Removing a site takes its sessions and, through them, their events.
      db.prepare('DELETE FROM sites WHERE id = ?').run(otherSite);
      assert.deepEqual(db.prepare('SELECT id FROM events ORDER BY id').pluck().all(), [3, 6]);
    } finally {
      upgraded.close();
    }
  });

  it('refuses events without a header instead of storing them where no session can be found', () => {
    const database = openSettingsDatabase(tempDir('pra-store-headerless-'));
    try {
      const siteId = addSite(database.db);
      const store = new SessionStore(database.db, () => NOW);
      assert.throws(() => store.writeBatch({ id: siteId, host: 'm.example.com' }, 'nobody', null, [event(0)], null), /events of session nobody came without its header/);
      assert.equal(database.db.prepare('SELECT count(*) FROM events').pluck().get(), 0);
    } finally {
      database.close();
    }
  });
});

describe('session store migration 10 (sessions event counts indexed)', () => {
  it("a store of version 9 gets the index; a site's counts are read from indexes only and are the sums of its sessions", () => {
    const { dir, old, siteId } = storeAtVersion(9, 'pra-store-migration-10-');
    const store9 = new SessionStore(old.db, () => NOW);
    const site = { id: siteId, host: 'm.example.com' };
    store9.write(site, [
      { lsid: 'a', header: headerRow(header('a')), events: eventColumns([event(0), event(1), event(2)]), follow: null },
      { lsid: 'b', header: headerRow(header('b')), events: eventColumns([event(0)]), follow: null },
    ]);
    const plan = (db: ReturnType<typeof openDatabase>['db']) => (db.prepare(`EXPLAIN QUERY PLAN ${SITE_COUNTS_SQL}`).all({ id: siteId }) as { detail: string }[]).map((r) => r.detail);
    assert.ok(plan(old.db).some((d) => /^SCAN sessions\b|SEARCH sessions USING INDEX/.test(d)), `before: the sum reads the sessions' rows (${plan(old.db).join(' | ')})`);
    old.close();

    const upgraded = openSettingsDatabase(dir);
    try {
      const db = upgraded.db;
      assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      const details = plan(db);
      const onSessions = details.filter((d) => /\bsessions\b/.test(d));
      assert.equal(onSessions.length, 2, details.join(' | '));
      for (const d of onSessions) assert.match(d, /^SEARCH sessions USING COVERING INDEX sessions_event_count \(site_id=\?\)$/);
      const queries = new StoreQueries(db);
      assert.deepEqual(queries.siteCounts(siteId), { sessions: 2, events: 4, followed: 0 });
      // Written after the upgrade: the index follows (an added session, events appended to one).
      new SessionStore(db, () => NOW).write(site, [
        { lsid: 'b', header: null, events: eventColumns([event(1), event(2), event(3)]), follow: null },
        { lsid: 'c', header: headerRow(header('c')), events: eventColumns([event(0), event(1)]), follow: null },
      ]);
      assert.deepEqual(queries.siteCounts(siteId), { sessions: 3, events: 9, followed: 0 });
      assert.deepEqual(queries.siteCounts(siteId + 1), { sessions: 0, events: 0, followed: 0 });
      assert.equal(db.prepare("SELECT count(*) FROM pragma_index_list('sessions') WHERE name = 'sessions_event_count'").pluck().get(), 1);
    } finally {
      upgraded.close();
    }
  });
});
