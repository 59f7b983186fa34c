// The store writer thread's own connection to settings.db.
import { openDatabase, type AppDatabase } from '../db/database.ts';

/**
 * Opens the writer thread's connection (the engine's connection has migrated the file already).
 *
 * Its commits do not wait for the disk (`synchronous = NORMAL`; the engine's connection stays
 * FULL). What it commits is the sessions and events of a report, in bounded groups, and a report's
 * window moves the site's cursor only afterwards, in a transaction of the engine's connection: that
 * commit syncs the write-ahead log, and with it every frame written before it by this connection
 * (one file, synced as a whole). So a power loss can only take back commits of a window whose
 * cursor has not moved, and after it the log is replayed up to a commit boundary, never beyond a
 * lost one: the window is asked again and stored again. (Sessions followed while in progress have
 * no cursor: what a lost commit held of them is asked again at the next pass, as they are still
 * followed; and a site's run ends with a FULL commit of its own.) Events of such a commit may have
 * been shipped meanwhile; shipped again, they are answered 409 (their document ids are derived from
 * the site, session and ordinal, and created with `create`), which counts as delivered: nothing is
 * lost and nothing is indexed twice. Before, each group's commit waited for an fsync on the thread
 * that extraction waits on: ~120 per 3,000 sessions, ~1 ms each on the Linux VM the benchmark runs
 * on, and whatever the disk's flush takes on a workstation.
 */
export function openWriterConnection(dataDir: string): AppDatabase {
  const opened = openDatabase(dataDir, { migrations: null });
  try {
    opened.db.pragma('synchronous = NORMAL');
  } catch (error) {
    opened.close();
    throw error;
  }
  return opened;
}
