import type { Migration } from '../db/migrations.ts';

/**
 * The local session store (after the Integration Client's "BGSessions" database), the extraction
 * state that must move with it, and the outbox of events waiting for a destination.
 *
 * Identity: a session is (site, lsid); an event is (site, lsid, ordinal) — its position in the
 * session's `session_details`, which the appliance only ever appends to. Inserting an event that
 * is already there is a no-op, which is what makes every write idempotent and every re-fetch safe.
 * (Since eventSessionIdMigration, an event row refers to its session by the session's row id.)
 */
export const sessionStoreMigration: Migration = {
  description: 'session store, extraction state and outbox',
  up(db) {
    db.exec(`
      CREATE TABLE sessions (
        site_id                    INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
        lsid                       TEXT    NOT NULL,
        host_name                  TEXT    NOT NULL,  -- the site a row came from, as in BGSessions
        session_type               TEXT,
        lseq                       TEXT,
        start_time                 INTEGER,
        end_time                   INTEGER,           -- NULL while in progress
        duration                   TEXT,
        external_key               TEXT,
        jump_group_id              TEXT,
        jump_group_type            TEXT,
        jump_group_name            TEXT,
        jumpoint_id                TEXT,
        jumpoint_name              TEXT,
        primary_customer_gsnumber  TEXT,
        primary_customer_name      TEXT,
        primary_rep_gsnumber       TEXT,
        primary_rep_id             TEXT,
        primary_rep_name           TEXT,
        file_transfer_count        INTEGER,
        file_move_count            INTEGER,
        file_delete_count          INTEGER,
        custom_attributes          TEXT    NOT NULL,  -- JSON [{codeName, displayName, value}]
        header_tree                TEXT    NOT NULL,  -- JSON XmlElement: the <session> minus session_details
        event_count                INTEGER NOT NULL DEFAULT 0,
        stored_at                  INTEGER NOT NULL,  -- Unix seconds, first stored
        updated_at                 INTEGER NOT NULL,
        PRIMARY KEY (site_id, lsid)
      ) STRICT;
      CREATE INDEX sessions_start ON sessions (site_id, start_time);
      CREATE INDEX sessions_stored ON sessions (stored_at);

      CREATE TABLE participants (
        site_id           INTEGER NOT NULL,
        lsid              TEXT    NOT NULL,
        kind              TEXT    NOT NULL CHECK (kind IN ('customer', 'representative')),
        gsnumber          TEXT    NOT NULL,
        id                TEXT,
        username          TEXT,
        display_name      TEXT,
        public_ip         TEXT,
        private_ip        TEXT,
        hostname          TEXT,
        os                TEXT,
        session_owner     INTEGER,
        seconds_involved  INTEGER,
        PRIMARY KEY (site_id, lsid, kind, gsnumber),
        FOREIGN KEY (site_id, lsid) REFERENCES sessions (site_id, lsid) ON DELETE CASCADE
      ) STRICT;

      CREATE TABLE events (
        id                     INTEGER PRIMARY KEY,   -- insertion order: the outbox ships in it
        site_id                INTEGER NOT NULL,
        lsid                   TEXT    NOT NULL,
        ordinal                INTEGER NOT NULL,
        timestamp              INTEGER,
        event_type             TEXT    NOT NULL,
        performed_by_type      TEXT,
        performed_by_gsnumber  TEXT,
        performed_by_name      TEXT,
        destination_type       TEXT,
        destination_gsnumber   TEXT,
        destination_name       TEXT,
        body                   TEXT,
        tree                   TEXT    NOT NULL,      -- JSON XmlElement of <event>: data, files, system_information… (renamed xml by version 4)
        stored_at              INTEGER NOT NULL,
        UNIQUE (site_id, lsid, ordinal),
        FOREIGN KEY (site_id, lsid) REFERENCES sessions (site_id, lsid) ON DELETE CASCADE
      ) STRICT;
      CREATE INDEX events_stored ON events (site_id, stored_at);

      -- Every newly stored event is queued here in the same transaction that stores it.
      CREATE TABLE outbox (
        destination  TEXT    NOT NULL,
        event_id     INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        state        TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
        attempts     INTEGER NOT NULL DEFAULT 0,
        last_error   TEXT,
        updated_at   INTEGER NOT NULL,
        PRIMARY KEY (destination, event_id)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX outbox_state ON outbox (destination, state, event_id);
      CREATE INDEX outbox_event ON outbox (event_id);  -- cascades from events, retention checks

      -- Where each site's extraction stands. The cursor moves only after everything before it is stored.
      CREATE TABLE site_state (
        site_id          INTEGER PRIMARY KEY REFERENCES sites(id) ON DELETE CASCADE,
        range_start      INTEGER,           -- the oldest start time the backfill reaches back to (site clock); NULL before the first run reads it
        cursor           INTEGER,           -- every session that began before this has been taken
        window_seconds   INTEGER NOT NULL,  -- the adapted window size for the next request
        clock_offset     INTEGER NOT NULL DEFAULT 0,  -- site clock minus ours (s), as last read from its Date header
        needs_attention  TEXT,              -- why extraction stopped (credentials rejected…), NULL when fine
        last_run_at      INTEGER,
        last_success_at  INTEGER,
        last_error       TEXT,
        updated_at       INTEGER NOT NULL
      ) STRICT;

      -- Sessions still in progress: re-fetched by lsid until they end, so later events arrive.
      CREATE TABLE follow (
        site_id        INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
        lsid           TEXT    NOT NULL,
        start_time     INTEGER,
        first_seen_at  INTEGER NOT NULL,  -- Unix seconds (site clock)
        last_seen_at   INTEGER NOT NULL,  -- last time the appliance still returned it
        PRIMARY KEY (site_id, lsid)
      ) STRICT, WITHOUT ROWID;

      CREATE TABLE settings (
        key    TEXT PRIMARY KEY,
        value  TEXT NOT NULL
      ) STRICT;
    `);
  },
};

/**
 * Fewer index writes per stored event (each is a B-tree insert in the hot path of extraction):
 * - the outbox is keyed (event_id, destination), so its primary key also serves the cascade from
 *   events and the retention check, and the separate outbox_event index goes;
 * - the per-event events_stored index, read only by the status chart, is replaced by a counter
 *   per site and hour that each write transaction bumps once.
 */
export const storeIndexesMigration: Migration = {
  description: 'outbox keyed by event, events counted per hour',
  up(db) {
    db.exec(`
      CREATE TABLE outbox_by_event (
        event_id     INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
        destination  TEXT    NOT NULL,
        state        TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'failed')),
        attempts     INTEGER NOT NULL DEFAULT 0,
        last_error   TEXT,
        updated_at   INTEGER NOT NULL,
        PRIMARY KEY (event_id, destination)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO outbox_by_event (event_id, destination, state, attempts, last_error, updated_at)
        SELECT event_id, destination, state, attempts, last_error, updated_at FROM outbox;
      DROP TABLE outbox;
      ALTER TABLE outbox_by_event RENAME TO outbox;
      CREATE INDEX outbox_state ON outbox (destination, state, event_id);

      CREATE TABLE event_hours (
        site_id  INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
        hour     INTEGER NOT NULL,  -- Unix seconds at the start of the hour the events were stored in
        events   INTEGER NOT NULL,
        PRIMARY KEY (site_id, hour)
      ) STRICT, WITHOUT ROWID;
      INSERT INTO event_hours (site_id, hour, events)
        SELECT site_id, (stored_at / 3600) * 3600, count(*) FROM events GROUP BY 1, 2;
      DROP INDEX events_stored;
    `);
  },
};

/**
 * An event is kept as its XML text (SessionEvent.xml) instead of the JSON of its tree, with its
 * time and type beside it; who performed it, its destination and its body are read from the text
 * (eventFieldsOf) rather than stored a second time. The parser copies the text as it reads it
 * instead of building a tree and serialising it, and the rows are smaller (the benchmark's quick
 * store: 74 MB instead of 105): fewer bytes and fewer values per event in the hot path of extraction.
 *
 * Rows stored before keep their JSON, which readers still accept (storedXml): converting every
 * stored event here would hold the upgrade for minutes on a large store.
 */
export const eventXmlMigration: Migration = {
  description: 'events kept as XML text',
  up(db) {
    db.exec(`
      ALTER TABLE events RENAME COLUMN tree TO xml;
      ALTER TABLE events DROP COLUMN performed_by_type;
      ALTER TABLE events DROP COLUMN performed_by_gsnumber;
      ALTER TABLE events DROP COLUMN performed_by_name;
      ALTER TABLE events DROP COLUMN destination_type;
      ALTER TABLE events DROP COLUMN destination_gsnumber;
      ALTER TABLE events DROP COLUMN destination_name;
      ALTER TABLE events DROP COLUMN body;
    `);
  },
};

/**
 * A session header is kept as its XML text (SessionHeader.xml) instead of the JSON of its tree:
 * the parser no longer builds a tree of the children it has no typed field for. A long session's
 * header (thousands of shell recordings: 5 MB of text) made a tree of ~15 MB that was held for as
 * long as the session took to read, then serialised, at the peak of the benchmark's memory.
 *
 * Rows stored before keep their JSON, which readers still accept (storedXml).
 */
export const headerXmlMigration: Migration = {
  description: 'session headers kept as XML text',
  up(db) {
    db.exec('ALTER TABLE sessions RENAME COLUMN header_tree TO header_xml;');
  },
};

/**
 * Events keyed by their session's row id instead of its (site, lsid): `events.session_id`
 * references the new `sessions.id`, and an event's identity is (session_id, ordinal).
 *
 * Why: lsids are random (32 hex digits), so an index keyed on them took every session's events
 * into a random place of an index as large as the store's events (~45 bytes per event). Once that
 * index outgrew the page cache, most commits wrote back pages from all over it. Session ids grow
 * as sessions are stored, so the events' key is now appended to (a store micro-benchmark of
 * 1.3 million events in 500-event commits: ~1.5 times the events per second, ~30 % less CPU).
 *
 * SQLite cannot change a table's key in place, so both tables are rebuilt (its documented
 * procedure; runMigrations turns foreign key enforcement off meanwhile and checks the keys before
 * committing). Event ids are kept, so the outbox still points at the same events. This copies
 * every stored event once, at the upgrade.
 */
export const eventSessionIdMigration: Migration = {
  description: 'events keyed by session id',
  up(db) {
    const columns = `site_id, lsid, host_name, session_type, lseq, start_time, end_time, duration, external_key,
      jump_group_id, jump_group_type, jump_group_name, jumpoint_id, jumpoint_name,
      primary_customer_gsnumber, primary_customer_name, primary_rep_gsnumber, primary_rep_id, primary_rep_name,
      file_transfer_count, file_move_count, file_delete_count, custom_attributes, header_xml, event_count, stored_at, updated_at`;
    db.exec(`
      CREATE TABLE sessions_by_id (
        id                         INTEGER PRIMARY KEY,  -- what events refer to: grows as sessions are stored
        site_id                    INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
        lsid                       TEXT    NOT NULL,
        host_name                  TEXT    NOT NULL,
        session_type               TEXT,
        lseq                       TEXT,
        start_time                 INTEGER,
        end_time                   INTEGER,
        duration                   TEXT,
        external_key               TEXT,
        jump_group_id              TEXT,
        jump_group_type            TEXT,
        jump_group_name            TEXT,
        jumpoint_id                TEXT,
        jumpoint_name              TEXT,
        primary_customer_gsnumber  TEXT,
        primary_customer_name      TEXT,
        primary_rep_gsnumber       TEXT,
        primary_rep_id             TEXT,
        primary_rep_name           TEXT,
        file_transfer_count        INTEGER,
        file_move_count            INTEGER,
        file_delete_count          INTEGER,
        custom_attributes          TEXT    NOT NULL,
        header_xml                 TEXT    NOT NULL,
        event_count                INTEGER NOT NULL DEFAULT 0,
        stored_at                  INTEGER NOT NULL,
        updated_at                 INTEGER NOT NULL,
        UNIQUE (site_id, lsid)
      ) STRICT;
      INSERT INTO sessions_by_id (id, ${columns}) SELECT rowid, ${columns} FROM sessions ORDER BY rowid;

      CREATE TABLE events_by_session (
        id          INTEGER PRIMARY KEY,  -- insertion order: the outbox ships in it
        session_id  INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        ordinal     INTEGER NOT NULL,
        timestamp   INTEGER,
        event_type  TEXT    NOT NULL,
        xml         TEXT    NOT NULL,
        stored_at   INTEGER NOT NULL,
        UNIQUE (session_id, ordinal)
      ) STRICT;
      INSERT INTO events_by_session (id, session_id, ordinal, timestamp, event_type, xml, stored_at)
        SELECT e.id, s.id, e.ordinal, e.timestamp, e.event_type, e.xml, e.stored_at
        FROM events e JOIN sessions_by_id s ON s.site_id = e.site_id AND s.lsid = e.lsid
        ORDER BY e.id;
    `);
    const before = db.prepare('SELECT count(*) FROM events').pluck().get() as number;
    const after = db.prepare('SELECT count(*) FROM events_by_session').pluck().get() as number;
    if (after !== before) throw new Error(`${before - after} stored events have no session; nothing was changed`);
    db.exec(`
      DROP TABLE events;
      DROP TABLE sessions;
      ALTER TABLE sessions_by_id RENAME TO sessions;
      ALTER TABLE events_by_session RENAME TO events;
      CREATE INDEX sessions_start ON sessions (site_id, start_time);
      CREATE INDEX sessions_stored ON sessions (stored_at);
    `);
  },
};

/**
 * The status's count of a site's events (the sum of its sessions' event_count) read from an index
 * instead of the sessions table. The table's rows hold each session's header (a few KB of XML), so
 * the sum read every page of it: for the benchmark's 3,000 sessions ~2,900 page reads, ~50 ms, at
 * each status update of a run and once more as `run --once` ends; for a store of a million
 * sessions, gigabytes per update. With (site_id, event_count) indexed, the count and the sum read
 * the index only (a few pages per thousand sessions). Each session write updates one more index
 * entry; building it reads the table once, at the upgrade.
 */
export const sessionEventCountIndexMigration: Migration = {
  description: 'sessions event counts indexed',
  up(db) {
    db.exec('CREATE INDEX sessions_event_count ON sessions (site_id, event_count);');
  },
};
