import type Database from 'better-sqlite3';

/**
 * Elasticsearch's answers, written to the outbox without holding up the main thread.
 *
 * Extraction's writes run on the store writer thread, which holds the database's write lock for
 * each of its transactions. Waiting for that lock the usual way (busy_timeout) blocks the thread
 * that also parses reports: the bench measured up to ~0.9 s of a 10 s run blocked in mark
 * transactions. So answers are queued and written when the lock is free (a try with no wait, again
 * a few ms later when busy); before anything that must see them on disk (reading the outbox from
 * its start again, the end of a drain, stopping) they are written waiting as usual.
 *
 * Nothing is marked before it was acknowledged: a queued answer is one Elasticsearch gave. A kill
 * before it is written leaves the events pending, sent again later and answered 409.
 *
 * A write that fails otherwise (the data folder's disk is full, an I/O error) loses nothing either:
 * the answers stay queued and are written when it works again (tried every RETRY_MS); `failure`
 * says why meanwhile. Nothing here throws to the shipper for it.
 */
export class OutboxMarks {
  private sent: number[] = [];
  private retry: number[] = [];
  private rejected: { eventId: number; reason: string }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly statements;
  private readonly busyTimeout: ConnectionSetting;
  private readonly synchronous: ConnectionSetting;
  private why: string | null = null;

  constructor(
    private readonly db: Database.Database,
    /** The words for a failed write (e.g. "the disk that holds the data folder … is full"). */
    private readonly describe: (error: unknown) => string,
  ) {
    this.busyTimeout = new ConnectionSetting(db, 'busy_timeout');
    this.synchronous = new ConnectionSetting(db, 'synchronous');
    // OR FAIL: a statement that fails stops where it is instead of undoing its own rows, so SQLite
    // needs no statement journal for it, and the transaction around it (rolled back whole on any
    // error) is what undoes them. With the default (ABORT), every write of 500 marks inside its
    // transaction spilled such a journal to a temporary file: ~80 files created, written and
    // deleted per 39,000 events (strace of bench phase 5), ~20 % of what marking cost.
    this.statements = {
      // One statement per write (the ids as a JSON array), not one per event.
      sent: db.prepare(`UPDATE OR FAIL outbox SET state = 'sent', attempts = attempts + 1, last_error = NULL, updated_at = ? WHERE destination = 'elastic' AND event_id IN (SELECT value FROM json_each(?))`),
      failed: db.prepare(`UPDATE OR FAIL outbox SET state = 'failed', attempts = attempts + 1, last_error = ?, updated_at = ? WHERE destination = 'elastic' AND event_id = ?`),
      retry: db.prepare(`UPDATE OR FAIL outbox SET attempts = attempts + 1, updated_at = ? WHERE destination = 'elastic' AND event_id IN (SELECT value FROM json_each(?))`),
    };
  }

  /** Why the queued answers could not be written (in words), until they are; null when all is written. */
  get failure(): string | null {
    return this.why;
  }

  get queued() {
    return this.sent.length + this.retry.length + this.rejected.length;
  }

  add(sent: number[], failed: { eventId: number; reason: string }[], retry: number[]) {
    for (const id of sent) this.sent.push(id);
    for (const f of failed) this.rejected.push(f);
    for (const id of retry) this.retry.push(id);
    this.tryWrite();
  }

  /**
   * Writes what is queued now, waiting for the lock as long as the connection's busy timeout.
   * Returns null when everything is written, else why not (the answers stay queued, tried again later).
   */
  flush(): string | null {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.queued === 0 || !this.db.open) return null;
    try {
      this.write();
    } catch (error) {
      this.failed(error);
    }
    return this.why;
  }

  /** Writes if the lock is free at once; else tries again shortly (later if the write failed otherwise). */
  private tryWrite() {
    if (this.timer || this.queued === 0 || !this.db.open) return;
    try {
      this.busyTimeout.during(0, () => this.write());
    } catch (error) {
      const busy = (error as { code?: string }).code === 'SQLITE_BUSY';
      if (busy) this.retryIn(5);
      else this.failed(error);
    }
  }

  private failed(error: unknown) {
    this.why = this.describe(error);
    this.retryIn(RETRY_MS);
  }

  private retryIn(ms: number) {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.tryWrite();
    }, ms);
    // A CLI process whose run is over does not wait for it: what is left is sent again next time.
    this.timer.unref();
  }

  private write() {
    const now = Math.floor(Date.now() / 1000);
    const { sent, rejected, retry } = this;
    // Committed without waiting for the disk (synchronous NORMAL: in the WAL, not yet fsynced; the
    // engine connection's next FULL commit, a window's cursor or a run's end, syncs it with its
    // own). An answer lost to a power cut before that is not an event lost or sent twice: the event
    // is still pending, is sent again, and Elasticsearch answers 409 (its `_id` is deterministic) or
    // rejects it again. A kill of the process loses nothing: the WAL is in the file. This is the
    // engine's thread, which ships and feeds reports to the writer thread (or parses them, when that
    // thread cannot run): an fsync per answered request held it for ~0.5 ms each, ~80 times per
    // 39,000 events.
    this.synchronous.during('NORMAL', () =>
      this.db
        .transaction(() => {
          if (sent.length) this.statements.sent.run(now, JSON.stringify(sent));
          for (const f of rejected) this.statements.failed.run(f.reason, now, f.eventId);
          if (retry.length) this.statements.retry.run(now, JSON.stringify(retry));
        })
        .immediate(),
    );
    // Only once written: a busy error above leaves them queued.
    this.sent = [];
    this.rejected = [];
    this.retry = [];
    this.why = null;
  }
}

/**
 * A connection setting (a pragma) changed for the time of a function and set back as it was,
 * whatever happens. Its statements are prepared once: `db.pragma()` prepares one at each call, and
 * two settings changed around each write made six per answered request (~40 ms of the engine's
 * thread per 39,000 events, CPU profile of bench phase 5).
 */
class ConnectionSetting {
  private readonly read: Database.Statement;
  private readonly writes = new Map<string, Database.Statement>();

  constructor(
    private readonly db: Database.Database,
    private readonly name: 'busy_timeout' | 'synchronous',
  ) {
    this.read = db.prepare(`PRAGMA ${name}`).pluck();
  }

  during(value: number | string, fn: () => void) {
    const before = this.read.get() as number;
    this.set(value);
    try {
      fn();
    } finally {
      this.set(before);
    }
  }

  private set(value: number | string) {
    const key = String(value);
    let statement = this.writes.get(key);
    if (statement === undefined) this.writes.set(key, (statement = this.db.prepare(`PRAGMA ${this.name} = ${key}`)));
    // `busy_timeout = n` answers with the new value, `synchronous = x` with nothing.
    if (statement.reader) statement.get();
    else statement.run();
  }
}

/** How often answers that could not be written (not for a busy lock) are tried again. */
const RETRY_MS = 1000;
