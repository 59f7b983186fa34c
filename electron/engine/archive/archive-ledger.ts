/**
 * The archive's durable state in settings.db, beside the `archive_files` ledger (archive-schema.ts):
 *
 * - `archive_items`: files that are not (yet) archived for a reason worth remembering: `expired`
 *   (the appliance deleted the recording: never asked again, counted) or `failed` (with the reason,
 *   the attempts and when to try next: exponential backoff, so a broken file is not fetched every
 *   pass). A file that is archived has an `archive_files` row instead, written only after the file
 *   is complete on disk.
 * - `archive_sessions`: which kinds of a session's files are settled (archived, expired or absent),
 *   as a bit mask, so a pass does not look at a settled session again. Settings that add a kind
 *   (recordings turned on later) make those sessions due again, since their mask lacks its bit.
 *
 * Which sessions are due: ended, and completely stored. A session's header (with its end time) is
 * committed before its last events, so "ended" alone is not enough: a session is complete once its
 * window is behind the site's cursor (the cursor moves only after every commit of a window) and it
 * is not followed (a followed session that ends is unfollowed in the commit of its last events).
 */
import type Database from 'better-sqlite3';
import type { ArchiveKind } from '../../../shared/archive.ts';
import type { Migration } from '../db/migrations.ts';

export const archiveQueueMigration: Migration = {
  description: 'archive work queue: expired and failed files, settled sessions',
  up(db) {
    db.exec(`
      CREATE TABLE archive_items (
        site_id          INTEGER NOT NULL,
        kind             TEXT    NOT NULL CHECK (kind IN ('session-xml', 'recording', 'shell-recording')),
        lsid             TEXT    NOT NULL,
        instance         INTEGER NOT NULL,  -- a shell recording's instance, -1 otherwise
        state            TEXT    NOT NULL CHECK (state IN ('expired', 'failed')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        last_error       TEXT,
        next_attempt_at  INTEGER,           -- Unix seconds; NULL for expired
        updated_at       INTEGER NOT NULL,
        PRIMARY KEY (site_id, kind, lsid, instance)
      ) STRICT, WITHOUT ROWID;
      CREATE INDEX archive_items_state ON archive_items (state, next_attempt_at);

      CREATE TABLE archive_sessions (
        site_id  INTEGER NOT NULL,
        lsid     TEXT    NOT NULL,
        settled  INTEGER NOT NULL,  -- bit mask of SETTLED bits
        PRIMARY KEY (site_id, lsid)
      ) STRICT, WITHOUT ROWID;
    `);
  },
};

export const SETTLED = { xml: 1, recording: 2, shell: 4 } as const;

export interface DueSession {
  id: number;
  lsid: string;
  startTime: number | null;
  headerXml: string;
  settled: number;
}

export interface ItemKey {
  siteId: number;
  kind: Exclude<ArchiveKind, 'backup'>;
  lsid: string;
  instance: number | null;
}

export interface ItemState {
  state: 'expired' | 'failed';
  attempts: number;
  lastError: string | null;
  nextAttemptAt: number | null;
}

/** Backoff after the n-th failure of one file: 1 min, 2, 4 … up to 6 hours, with ±20 % jitter. */
export function backoffSeconds(attempts: number, random = Math.random): number {
  const base = Math.min(6 * 3600, 60 * 2 ** Math.max(0, attempts - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

const now = () => Math.floor(Date.now() / 1000);

export class ArchiveLedger {
  constructor(private readonly db: Database.Database) {}

  /** Ended, completely stored sessions of a site whose kinds in `mask` are not all settled, after row `afterId`. */
  dueSessions(siteId: number, mask: number, afterId: number, limit: number): DueSession[] {
    return this.db
      .prepare(
        `SELECT s.id, s.lsid, s.start_time AS startTime, s.header_xml AS headerXml, coalesce(a.settled, 0) AS settled
         FROM sessions s
         JOIN site_state st ON st.site_id = s.site_id
         LEFT JOIN archive_sessions a ON a.site_id = s.site_id AND a.lsid = s.lsid
         WHERE s.site_id = @siteId AND s.id > @afterId AND s.end_time IS NOT NULL
           AND st.cursor IS NOT NULL AND coalesce(s.start_time, 0) < st.cursor
           AND NOT EXISTS (SELECT 1 FROM follow f WHERE f.site_id = s.site_id AND f.lsid = s.lsid)
           AND (coalesce(a.settled, 0) & @mask) <> @mask
         ORDER BY s.id LIMIT @limit`,
      )
      .all({ siteId, mask, afterId, limit }) as DueSession[];
  }

  /** How many sessions of a site (or all sites) are due: the "pending" figure between passes. */
  countDueSessions(mask: number, siteId?: number): number {
    return this.db
      .prepare(
        `SELECT count(*) FROM sessions s
         JOIN site_state st ON st.site_id = s.site_id
         LEFT JOIN archive_sessions a ON a.site_id = s.site_id AND a.lsid = s.lsid
         WHERE (@siteId IS NULL OR s.site_id = @siteId) AND s.end_time IS NOT NULL
           AND st.cursor IS NOT NULL AND coalesce(s.start_time, 0) < st.cursor
           AND NOT EXISTS (SELECT 1 FROM follow f WHERE f.site_id = s.site_id AND f.lsid = s.lsid)
           AND (coalesce(a.settled, 0) & @mask) <> @mask`,
      )
      .pluck()
      .get({ mask, siteId: siteId ?? null }) as number;
  }

  /** SQL true for a session `s` whose kinds in `mask` are not all settled (see Archiver.retentionHold). */
  unsettledSql(mask: number): string {
    if (!Number.isInteger(mask) || mask < 0) throw new RangeError(`bad archive mask ${mask}`);
    return `(coalesce((SELECT a.settled FROM archive_sessions a WHERE a.site_id = s.site_id AND a.lsid = s.lsid), 0) & ${mask}) <> ${mask}`;
  }

  markSettled(siteId: number, lsid: string, bits: number) {
    this.db
      .prepare(
        `INSERT INTO archive_sessions (site_id, lsid, settled) VALUES (?, ?, ?)
         ON CONFLICT (site_id, lsid) DO UPDATE SET settled = settled | excluded.settled`,
      )
      .run(siteId, lsid, bits);
  }

  /** The ledger row of an archived file, if any (deleted backups do not count). */
  archivedFile(key: ItemKey): { path: string; bytes: number } | null {
    return (
      (this.db
        .prepare(
          `SELECT path, bytes FROM archive_files
           WHERE site_id = ? AND kind = ? AND lsid = ? AND instance IS ? AND deleted_at IS NULL`,
        )
        .get(key.siteId, key.kind, key.lsid, key.instance) as { path: string; bytes: number } | undefined) ?? null
    );
  }

  /**
   * Records a file as archived — call only after it is complete on disk — and clears its
   * failed state, in one transaction.
   */
  recordArchived(key: ItemKey, file: { path: string; bytes: number; sha256: string }) {
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT INTO archive_files (site_id, kind, lsid, instance, path, bytes, sha256, written_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(key.siteId, key.kind, key.lsid, key.instance, file.path, file.bytes, file.sha256, now());
      this.db.prepare('DELETE FROM archive_items WHERE site_id = ? AND kind = ? AND lsid = ? AND instance = ?').run(key.siteId, key.kind, key.lsid, key.instance ?? -1);
    })();
  }

  itemState(key: ItemKey): ItemState | null {
    return (
      (this.db
        .prepare(
          `SELECT state, attempts, last_error AS lastError, next_attempt_at AS nextAttemptAt FROM archive_items
           WHERE site_id = ? AND kind = ? AND lsid = ? AND instance = ?`,
        )
        .get(key.siteId, key.kind, key.lsid, key.instance ?? -1) as ItemState | undefined) ?? null
    );
  }

  recordExpired(key: ItemKey, text: string) {
    this.db
      .prepare(
        `INSERT INTO archive_items (site_id, kind, lsid, instance, state, attempts, last_error, next_attempt_at, updated_at)
         VALUES (?, ?, ?, ?, 'expired', 1, ?, NULL, ?)
         ON CONFLICT DO UPDATE SET state = 'expired', attempts = attempts + 1, last_error = excluded.last_error, next_attempt_at = NULL, updated_at = excluded.updated_at`,
      )
      .run(key.siteId, key.kind, key.lsid, key.instance ?? -1, text, now());
  }

  /** Records one failed attempt; returns the attempts so far and when the next one is due. */
  recordFailure(key: ItemKey, reason: string, random = Math.random): { attempts: number; nextAttemptAt: number } {
    const attempts = (this.itemState(key)?.attempts ?? 0) + 1;
    const nextAttemptAt = now() + backoffSeconds(attempts, random);
    this.db
      .prepare(
        `INSERT INTO archive_items (site_id, kind, lsid, instance, state, attempts, last_error, next_attempt_at, updated_at)
         VALUES (?, ?, ?, ?, 'failed', ?, ?, ?, ?)
         ON CONFLICT DO UPDATE SET state = 'failed', attempts = excluded.attempts, last_error = excluded.last_error,
           next_attempt_at = excluded.next_attempt_at, updated_at = excluded.updated_at`,
      )
      .run(key.siteId, key.kind, key.lsid, key.instance ?? -1, attempts, reason, nextAttemptAt, now());
    return { attempts, nextAttemptAt };
  }

  /** Failed files become due now (the Retry button); expired ones stay expired. */
  retryFailed(): number {
    return this.db.prepare("UPDATE archive_items SET next_attempt_at = ? WHERE state = 'failed'").run(now()).changes;
  }

  counts(): { files: number; bytes: number; expired: number; failed: number } {
    const files = this.db.prepare('SELECT count(*) AS files, coalesce(sum(bytes), 0) AS bytes FROM archive_files WHERE deleted_at IS NULL').get() as { files: number; bytes: number };
    const items = this.db.prepare("SELECT coalesce(sum(state = 'expired'), 0) AS expired, coalesce(sum(state = 'failed'), 0) AS failed FROM archive_items").get() as { expired: number; failed: number };
    return { ...files, ...items };
  }

  recentFailures(limit: number) {
    return this.db
      .prepare(
        `SELECT i.site_id AS siteId, coalesce(s.name, '#' || i.site_id) AS siteName, i.lsid, i.kind, i.instance, i.last_error AS reason,
                i.attempts, i.next_attempt_at AS nextAttemptAt
         FROM archive_items i LEFT JOIN sites s ON s.id = i.site_id
         WHERE i.state = 'failed' ORDER BY i.updated_at DESC LIMIT ?`,
      )
      .all(limit) as { siteId: number; siteName: string; lsid: string; kind: ItemKey['kind']; instance: number; reason: string; attempts: number; nextAttemptAt: number | null }[];
  }

  /** Every archived file that should be on disk (backups included), for verify. */
  *liveFiles(): IterableIterator<{ path: string; bytes: number; sha256: string }> {
    let after = 0;
    for (;;) {
      const rows = this.db
        .prepare('SELECT id, path, bytes, sha256 FROM archive_files WHERE deleted_at IS NULL AND id > ? ORDER BY id LIMIT 500')
        .all(after) as { id: number; path: string; bytes: number; sha256: string }[];
      if (rows.length === 0) return;
      after = rows[rows.length - 1]!.id;
      yield* rows;
    }
  }
}
