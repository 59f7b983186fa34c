import type Database from 'better-sqlite3';

/**
 * The store's `settings` table (a text value per key, created in schema.ts), as the engine's parts
 * that keep a setting or a state there (retention, the Elasticsearch destination, the last shipping
 * error, the archive) read and write it: its SQL in one place. Statements are prepared once per
 * connection.
 */
const statements = new WeakMap<Database.Database, { read: Database.Statement; write: Database.Statement; remove: Database.Statement }>();

function prepared(db: Database.Database) {
  let s = statements.get(db);
  if (!s) {
    s = {
      read: db.prepare('SELECT value FROM settings WHERE key = ?').pluck(),
      write: db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
      remove: db.prepare('DELETE FROM settings WHERE key = ?'),
    };
    statements.set(db, s);
  }
  return s;
}

/** The value stored under `key`, or null when there is none. */
export function readSetting(db: Database.Database, key: string): string | null {
  return (prepared(db).read.get(key) as string | undefined) ?? null;
}

/** Stores `value` under `key`, replacing what was there. */
export function writeSetting(db: Database.Database, key: string, value: string): void {
  prepared(db).write.run(key, value);
}

export function deleteSetting(db: Database.Database, key: string): void {
  prepared(db).remove.run(key);
}
