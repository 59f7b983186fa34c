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
 */
export class OutboxMarks {
  private sent: number[] = [];
  private retry: number[] = [];
  private failed: { eventId: number; reason: string }[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly statements;

  constructor(private readonly db: Database.Database) {
    this.statements = {
      // One statement per write (the ids as a JSON array), not one per event.
      sent: db.prepare(`UPDATE outbox SET state = 'sent', attempts = attempts + 1, last_error = NULL, updated_at = ? WHERE destination = 'elastic' AND event_id IN (SELECT value FROM json_each(?))`),
      failed: db.prepare(`UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?, updated_at = ? WHERE destination = 'elastic' AND event_id = ?`),
      retry: db.prepare(`UPDATE outbox SET attempts = attempts + 1, updated_at = ? WHERE destination = 'elastic' AND event_id IN (SELECT value FROM json_each(?))`),
    };
  }

  get queued() {
    return this.sent.length + this.retry.length + this.failed.length;
  }

  add(sent: number[], failed: { eventId: number; reason: string }[], retry: number[]) {
    for (const id of sent) this.sent.push(id);
    for (const f of failed) this.failed.push(f);
    for (const id of retry) this.retry.push(id);
    this.tryWrite();
  }

  /** Writes what is queued now, waiting for the lock as long as the connection's busy timeout. */
  flush() {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.queued > 0 && this.db.open) this.write();
  }

  /** Writes if the lock is free at once; else tries again shortly. */
  private tryWrite() {
    if (this.timer || this.queued === 0 || !this.db.open) return;
    const timeout = this.db.pragma('busy_timeout', { simple: true }) as number;
    this.db.pragma('busy_timeout = 0');
    try {
      this.write();
    } catch (error) {
      if ((error as { code?: string }).code !== 'SQLITE_BUSY') throw error;
      this.timer = setTimeout(() => {
        this.timer = null;
        this.tryWrite();
      }, 5);
    } finally {
      this.db.pragma(`busy_timeout = ${timeout}`);
    }
  }

  private write() {
    const now = Math.floor(Date.now() / 1000);
    const { sent, failed, retry } = this;
    this.db
      .transaction(() => {
        if (sent.length) this.statements.sent.run(now, JSON.stringify(sent));
        for (const f of failed) this.statements.failed.run(f.reason, now, f.eventId);
        if (retry.length) this.statements.retry.run(now, JSON.stringify(retry));
      })
      .immediate();
    // Only once written: a busy error above leaves them queued.
    this.sent = [];
    this.failed = [];
    this.retry = [];
  }
}
