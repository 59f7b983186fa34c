/**
 * One engine per data folder. `pra-ic run`, `pra-ic ui` and the desktop app each hold this lock
 * while they extract and ship; a second one refuses ("the data folder is in use by process N") or,
 * asked to, waits. Read-only commands (`status`, `sessions list`, …) never take it.
 *
 * How: an exclusive SQLite transaction held open on `<data dir>/engine.lock`. SQLite takes it with
 * the operating system's own file locks (fcntl on Linux and macOS, LockFileEx on Windows), which the
 * kernel releases when the process ends, however it ends: a kill -9, a crash or a power cut never
 * leaves the folder locked, and there is no pid to check for liveness (a pid file would be judged
 * by a pid the OS may have given to another program since). better-sqlite3 is already a dependency
 * of the engine, so this adds no native code. The holder writes its pid to `engine.pid` beside it,
 * only to name it in the message: the lock itself is the file lock, never that file.
 * Like the settings database, it needs a local disk (network file systems may not honour locks).
 */
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';

export const LOCK_FILE = 'engine.lock';
export const PID_FILE = 'engine.pid';
/** How often a waiting process (`--wait`) tries again. */
const WAIT_POLL_MS = 500;

/** Another process holds the data folder. */
export class DataFolderInUseError extends Error {
  override name = 'DataFolderInUseError';
  constructor(
    readonly dataDir: string,
    /** The holder's pid as it wrote it, or null if it has not yet (or the file is unreadable). */
    readonly pid: number | null,
  ) {
    super(
      `The data folder ${dataDir} is in use by ${pid === null ? 'another process' : `process ${pid}`}: ` +
        'one engine (the desktop app, pra-ic run or pra-ic ui) collects and ships per data folder. Stop that one first.',
    );
  }
}

export interface EngineLock {
  readonly dataDir: string;
  /** Releases the lock (idempotent). The OS releases it anyway when the process ends. */
  release(): void;
}

function readPid(dataDir: string): number | null {
  try {
    const text = readFileSync(path.join(dataDir, PID_FILE), 'utf8').trim();
    return /^\d+$/.test(text) ? Number(text) : null;
  } catch {
    return null;
  }
}

function isBusy(error: unknown): boolean {
  const code = (error as { code?: string }).code ?? '';
  return code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_') || code === 'SQLITE_LOCKED';
}

/** Takes the lock now, or throws DataFolderInUseError. `dataDir` must exist. */
export function tryLockDataDir(dataDir: string): EngineLock {
  const file = path.join(dataDir, LOCK_FILE);
  // Owner only, as everything the tool creates (SQLite would use 0644 minus umask).
  closeSync(openSync(file, 'a', 0o600));
  // timeout 0: a held lock answers SQLITE_BUSY at once instead of waiting.
  const db = new Database(file, { timeout: 0 });
  try {
    // The file stays empty, in SQLite's default rollback-journal mode (never WAL, whose shared
    // memory lets readers in): an EXCLUSIVE transaction then holds the OS lock on the file, and
    // no other connection, in any process, can begin one until it ends. Nothing is written.
    db.exec('BEGIN EXCLUSIVE');
  } catch (error) {
    db.close();
    if (isBusy(error)) throw new DataFolderInUseError(dataDir, readPid(dataDir));
    throw new Error(`Could not lock the data folder ${dataDir} (${LOCK_FILE}): ${(error as Error).message}`, { cause: error });
  }
  try {
    writeFileSync(path.join(dataDir, PID_FILE), `${process.pid}\n`, { mode: 0o600 });
  } catch {
    // Only informational: the message then says "another process".
  }
  let released = false;
  return {
    dataDir,
    release() {
      if (released) return;
      released = true;
      try {
        if (readPid(dataDir) === process.pid) rmSync(path.join(dataDir, PID_FILE), { force: true });
      } catch {
        // best effort
      }
      try {
        db.exec('ROLLBACK');
      } catch {
        // the transaction may already be gone
      }
      db.close();
    },
  };
}

/**
 * Takes the lock, waiting for the holder to end when `wait` is set (`onWaiting` is told once,
 * with the holder's error, so the caller can say what it waits for).
 */
export async function lockDataDir(
  dataDir: string,
  options: { wait?: boolean; onWaiting?: (busy: DataFolderInUseError) => void; signal?: AbortSignal } = {},
): Promise<EngineLock> {
  let told = false;
  for (;;) {
    try {
      return tryLockDataDir(dataDir);
    } catch (error) {
      if (!(error instanceof DataFolderInUseError) || !options.wait) throw error;
      if (!told) {
        told = true;
        options.onWaiting?.(error);
      }
      if (options.signal?.aborted) throw error;
      await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
    }
  }
}
