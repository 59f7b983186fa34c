/**
 * The one SQLite file of a data directory, `settings.db`: the sites, the session store and its
 * outbox. It never holds a secret (those live in the OS keychain). Its tables are the modules'
 * (electron/engine/settings-db.ts opens it with their migrations).
 */
import { chmodSync, closeSync, existsSync, openSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { ensureDataDir } from '../paths.ts';
import { DatabaseTooNewError, MigrationError, runMigrations, userVersion, type Migration } from './migrations.ts';

export const SETTINGS_FILE = 'settings.db';
/** Owner only, like the data directory. SQLite gives the -wal and -shm files the same mode. */
export const DATABASE_FILE_MODE = 0o600;
/** How long a statement waits for another process's lock (the app and `pra-ic` may share the file). */
export const BUSY_TIMEOUT_MS = 5000;
/**
 * Page cache per connection, KiB: SQLite's own default instead of better-sqlite3's 16 MB. The engine
 * has two connections (its own and the store writer thread's); extraction appends and a commit
 * touches a few hundred pages, so the larger cache only held more of the process's memory.
 */
const PAGE_CACHE_KIB = 2000;

export interface AppDatabase {
  /** The better-sqlite3 handle. */
  readonly db: Database.Database;
  /** Random id made with the database: namespaces this data directory's keychain accounts. */
  readonly installId: string;
  /** Absolute path of settings.db. */
  readonly file: string;
  /** Closes the handle (checkpointing the WAL); safe to call twice. */
  close(): void;
}

export interface OpenDatabaseOptions {
  /**
   * The schema's migrations, in order (electron/engine/settings-db.ts lists every module's; tests
   * of the machinery pass their own). null: do not migrate, the file must have been migrated
   * already (the store writer thread, whose engine opened the file first).
   */
  migrations: readonly Migration[] | null;
}

/** Creates the file owner-only before SQLite does (SQLite would use 0644 minus umask), and tightens existing ones. */
function prepareFiles(file: string): void {
  closeSync(openSync(file, 'a', DATABASE_FILE_MODE));
  if (process.platform === 'win32') return;
  for (const f of [file, `${file}-wal`, `${file}-shm`]) {
    if (existsSync(f) && (statSync(f).mode & 0o777) !== DATABASE_FILE_MODE) chmodSync(f, DATABASE_FILE_MODE);
  }
}

/** Opens (creating and migrating as needed) `settings.db` in the data directory. */
export function openDatabase(dataDir: string, options: OpenDatabaseOptions): AppDatabase {
  const dir = ensureDataDir(path.resolve(dataDir));
  const file = path.join(dir, SETTINGS_FILE);
  let db: Database.Database;
  try {
    prepareFiles(file);
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    throw openError(file, error);
  }
  try {
    // Connection settings (not stored in the file): set on every open.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const mode = db.pragma('journal_mode = WAL', { simple: true });
    if (mode !== 'wal') {
      throw new Error(`it cannot use write-ahead logging (journal mode stays "${String(mode)}"); put the data folder on a local disk`);
    }
    // FULL, not NORMAL: in WAL mode NORMAL never corrupts the file, but a transaction committed just
    // before a power loss or OS crash may be lost. The session store (later migrations) records what
    // has been pulled from PRA and shipped to Elasticsearch; forgetting a commit it already acted on
    // would silently re-ship or skip sessions. The cost (an fsync of the WAL per commit) is small for
    // our write rate.
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma(`cache_size = -${PAGE_CACHE_KIB}`);
    if (options.migrations) runMigrations(db, options.migrations, file);
    else if (userVersion(db) === 0) throw new Error('it has no schema yet (it is opened without migrations, as a second connection, before the first one made it)');
    const row = db.prepare("SELECT value FROM meta WHERE key = 'install_id'").get() as { value: string } | undefined;
    if (row === undefined || row.value === '') {
      throw new Error('it has no install id (the meta table was damaged); restore it from a backup or use a new data folder');
    }
    const installId = row.value;
    let closed = false;
    return {
      db,
      installId,
      file,
      close() {
        if (closed) return;
        closed = true;
        db.close();
      },
    };
  } catch (error) {
    db.close();
    if (error instanceof DatabaseTooNewError || error instanceof MigrationError) throw error;
    throw openError(file, error);
  }
}

function openError(file: string, error: unknown): Error {
  const code = (error as { code?: string }).code;
  const detail =
    code === 'SQLITE_NOTADB'
      ? 'the file is not a SQLite database (it may be damaged, or be some other file); move it away or use another data folder (--data-dir)'
      : (error as Error).message;
  return new Error(`Could not open the settings database ${file}: ${detail}`, { cause: error });
}
