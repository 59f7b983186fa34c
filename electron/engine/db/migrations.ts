/**
 * Schema migrations of settings.db, keyed on `PRAGMA user_version`.
 *
 * `MIGRATIONS[i]` takes the schema from version i to i+1. To change the schema, append a
 * migration — never edit or reorder one that has shipped. Each runs in its own transaction
 * together with the user_version bump, so a database is always exactly at some version.
 */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { archiveMigration } from '../archive/archive-schema.ts';
import { backupStateMigration } from '../backup/backup-schema.ts';
import { eventSessionIdMigration, eventXmlMigration, headerXmlMigration, sessionStoreMigration, storeIndexesMigration } from '../store/schema.ts';

export interface Migration {
  /** What it does, for error messages. */
  description: string;
  up(db: Database.Database): void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
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
  },
  sessionStoreMigration,
  storeIndexesMigration,
  eventXmlMigration,
  headerXmlMigration,
  eventSessionIdMigration,
  archiveMigration,
  backupStateMigration,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** The database was written by a newer version of the app (its schema is unknown here). */
export class DatabaseTooNewError extends Error {
  override name = 'DatabaseTooNewError';
  constructor(
    readonly file: string,
    readonly version: number,
    readonly known: number,
  ) {
    super(
      `${file} was made by a newer version of PRA Integration Client (schema version ${version}; this version knows up to ${known}). ` +
        'Install the newer version again, or use a different data folder (--data-dir).',
    );
  }
}

/** A migration failed; its transaction was rolled back, so the file is still at the previous version. */
export class MigrationError extends Error {
  override name = 'MigrationError';
}

export function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Brings the database up to the last migration. Each step is an IMMEDIATE transaction that
 * re-reads user_version first, so two processes opening the same file at once (the app and
 * `pra-ic`) cannot run a migration twice.
 */
export function runMigrations(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS, file = 'settings.db'): void {
  const known = migrations.length;
  const before = userVersion(db);
  if (before > known) throw new DatabaseTooNewError(file, before, known);
  if (before === known) return;
  // A migration may rebuild a table (SQLite's documented way to change its key): with foreign keys
  // enforced, dropping the old table would delete the rows referring to it, by cascade. They are
  // not enforced while migrating (the setting cannot change inside a transaction), and each step
  // checks them before it commits instead.
  const enforced = db.pragma('foreign_keys', { simple: true }) === 1;
  if (enforced) db.pragma('foreign_keys = OFF');
  try {
    migrate(db, migrations, file);
  } finally {
    if (enforced) db.pragma('foreign_keys = ON');
  }
}

function migrate(db: Database.Database, migrations: readonly Migration[], file: string): void {
  const known = migrations.length;
  for (;;) {
    const step = db.transaction((): boolean => {
      const version = userVersion(db);
      if (version > known) throw new DatabaseTooNewError(file, version, known);
      if (version === known) return false;
      const migration = migrations[version]!;
      try {
        migration.up(db);
        const broken = db.pragma('foreign_key_check') as { table: string; parent: string }[];
        if (broken.length > 0) throw new Error(`${broken.length} rows of ${broken[0]!.table} would refer to missing rows of ${broken[0]!.parent}`);
      } catch (error) {
        throw new MigrationError(
          `Could not upgrade ${file} to schema version ${version + 1} (${migration.description}): ${(error as Error).message}`,
          { cause: error },
        );
      }
      db.pragma(`user_version = ${version + 1}`);
      return true;
    });
    if (!step.immediate()) return;
  }
}
