import { randomUUID } from 'node:crypto';
import type { Migration } from '../db/migrations.ts';

/**
 * Schema version 1, the first release's: the sites, and the `meta` table with the data directory's
 * install id (made with the database; db/database.ts reads it, and the keychain accounts of every
 * site are named under it). Listed in electron/engine/settings-db.ts; never edit a shipped migration.
 */
export const sitesMigration: Migration = {
  description: 'meta (install id) and sites',
  up(db) {
    db.exec(`
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      -- AUTOINCREMENT: a site id is never reused, so nothing keyed on it (keychain accounts,
      -- later the session store) can ever be inherited by a new site after a removal.
      -- No secret column: secrets live in the OS keychain only.
      CREATE TABLE sites (
        id                        INTEGER PRIMARY KEY AUTOINCREMENT,
        name                      TEXT    NOT NULL,
        host                      TEXT    NOT NULL,
        client_id                 TEXT    NOT NULL,
        enabled                   INTEGER NOT NULL DEFAULT 1 CHECK (enabled IN (0, 1)),
        initial_interval_seconds  INTEGER NOT NULL,
        poll_interval_seconds     INTEGER NOT NULL,
        timeout_seconds           INTEGER NOT NULL,
        ca_file                   TEXT,
        proxy_url                 TEXT,
        created_at                TEXT    NOT NULL,
        updated_at                TEXT    NOT NULL
      ) STRICT;

      CREATE UNIQUE INDEX sites_name_nocase ON sites (name COLLATE NOCASE);
    `);
    db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('install_id', randomUUID());
  },
};
