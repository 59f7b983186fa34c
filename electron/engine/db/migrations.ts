/**
 * How settings.db's schema migrations run, keyed on `PRAGMA user_version`: the machinery only.
 * The migrations themselves belong to the modules whose tables they make (sites/schema.ts,
 * store/schema.ts, …), and electron/engine/settings-db.ts lists them in the order they shipped:
 * db/ knows none of them.
 *
 * `migrations[i]` takes the schema from version i to i+1. Each runs in its own transaction
 * together with the user_version bump, so a database is always exactly at some version.
 */
import type Database from 'better-sqlite3';

export interface Migration {
  /** What it does, for error messages. */
  description: string;
  up(db: Database.Database): void;
}

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
export function runMigrations(db: Database.Database, migrations: readonly Migration[], file = 'settings.db'): void {
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
