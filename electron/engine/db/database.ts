/**
 * The one SQLite file of a data directory, `settings.db`: the sites, the session store and its
 * outbox. It never holds a secret (those live in the OS keychain). Its tables are the modules'
 * (electron/engine/settings-db.ts opens it with their migrations).
 */
import { chmodSync, closeSync, existsSync, linkSync, openSync, renameSync, rmSync, statfsSync, statSync } from 'node:fs';
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

/**
 * A new settings.db is made under a temporary name, migrated (which gives it its install id) and
 * only then linked into place. So a `settings.db` that exists is always a complete database, and
 * an empty one can only be damage (a disk that filled up, a copy gone wrong): opening it as a new
 * install would make a new install id and orphan the old one's secrets in the keychain.
 * Two processes creating it at once: the first link wins, the other uses that one.
 */
function createDatabase(file: string, migrations: readonly Migration[]): void {
  const temp = `${file}.${process.pid}.new`;
  try {
    prepareFiles(temp);
    const db = new Database(temp, { timeout: BUSY_TIMEOUT_MS });
    try {
      // A rollback journal while it is made: every committed step is then in the file itself
      // (a WAL left behind on a full disk would hold part of it). openDatabase switches to WAL.
      db.pragma('journal_mode = DELETE');
      db.pragma('synchronous = FULL');
      runMigrations(db, migrations, file);
    } finally {
      db.close();
    }
    try {
      linkSync(temp, file);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return; // another process made it first: use theirs
      // No hard links on this file system: a rename, unless the file appeared meanwhile.
      if (existsSync(file)) return;
      renameSync(temp, file);
    }
  } finally {
    for (const f of [temp, `${temp}-journal`]) rmSync(f, { force: true });
  }
}

/** Opens (creating and migrating as needed) `settings.db` in the data directory. */
export function openDatabase(dataDir: string, options: OpenDatabaseOptions): AppDatabase {
  const dir = ensureDataDir(path.resolve(dataDir));
  const file = path.join(dir, SETTINGS_FILE);
  let db: Database.Database;
  try {
    if (!existsSync(file)) {
      if (!options.migrations) throw new Error('it has no schema yet: it does not exist (it is opened without migrations, as a second connection, before the first one made it)');
      createDatabase(file, options.migrations);
    } else if (statSync(file).size === 0) throw new EmptyDatabaseError(file);
    prepareFiles(file);
    db = new Database(file, { timeout: BUSY_TIMEOUT_MS, fileMustExist: true });
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
    // our write rate. Two kinds of commits are the exception, those whose loss to a power cut only
    // means work done again (a window asked again, events answered 409): the store writer thread's
    // (store/writer-connection.ts) and the shipper's marks (elastic/outbox-marks.ts).
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
    throw openError(file, error);
  }
}

/** settings.db exists but is empty (0 bytes): not a new install, a damaged one. */
export class EmptyDatabaseError extends Error {
  override name = 'EmptyDatabaseError';
  constructor(readonly file: string) {
    super(
      `The settings database ${file} is empty (0 bytes): it was cut short (a full disk, a failed copy), and with it this data folder's install id, ` +
        "which names its secrets in the OS keychain. It is not treated as a new install, which would orphan those secrets. " +
        'Restore settings.db from a backup; or, to start over, delete the empty file (the sites must then be added again, and the old secrets stay in the keychain until removed there).',
    );
  }
}

/** Below this much free space, an I/O failure is taken for a full disk. */
const NEARLY_FULL_BYTES = 1024 * 1024;

function freeBytes(dir: string): number | null {
  try {
    const s = statfsSync(dir);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}

/**
 * What to tell the user about a storage failure, or null if `error` is not one: a damaged
 * database (SQLITE_CORRUPT / NOTADB) names the file and what to do; a full disk (SQLITE_FULL,
 * ENOSPC, or an I/O error with almost no space left: SQLite reports a failed write in the WAL's
 * shared memory as "disk I/O error") says so instead of SQLite's words.
 */
export function describeStorageError(
  error: unknown,
  dataDir: string,
  /** What a full disk means for what was being written (the default: extraction's words). */
  consequence = 'Nothing stored so far is lost: what could not be written is fetched again.',
): string | null {
  // The SQLite or file system error may be the cause of the one thrown.
  let source = error;
  for (let depth = 0; source && (source as { code?: unknown }).code === undefined && depth < 5; depth++) source = (source as { cause?: unknown }).cause;
  const code = String((source as { code?: unknown } | undefined)?.code ?? '');
  if (!code) return null;
  const file = path.join(dataDir, SETTINGS_FILE);
  if (code.startsWith('SQLITE_CORRUPT')) {
    return (
      `The settings database ${file} is damaged (SQLite: ${(source as Error).message}). Stop the app and every pra-ic command, ` +
      'then restore settings.db from a backup, or move it (with settings.db-wal and settings.db-shm) away to start over with a new one: the sites must then be added again.'
    );
  }
  const free = freeBytes(dataDir);
  const full = code === 'SQLITE_FULL' || code === 'ENOSPC' || ((code.startsWith('SQLITE_IOERR') || code === 'EIO') && free !== null && free < NEARLY_FULL_BYTES);
  if (full) {
    return (
      `The disk that holds the data folder ${dataDir} is full${free !== null ? ` (${Math.floor(free / 1024)} KB free)` : ''}: free some space there, then try again. ` +
      consequence
    );
  }
  return null;
}

function openError(file: string, error: unknown): Error {
  const code = (error as { code?: string }).code;
  // A migration that failed for want of space or on a damaged page: say that, not "could not upgrade".
  const storage = describeStorageError(error instanceof MigrationError ? error.cause : error, path.dirname(file));
  if (storage) return new Error(storage, { cause: error });
  if (error instanceof EmptyDatabaseError || error instanceof DatabaseTooNewError || error instanceof MigrationError) return error;
  const detail =
    code === 'SQLITE_NOTADB'
      ? 'the file is not a SQLite database (it may be damaged, or be some other file); move it away or use another data folder (--data-dir)'
      : (error as Error).message;
  return new Error(`Could not open the settings database ${file}: ${detail}`, { cause: error });
}
