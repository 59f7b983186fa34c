/**
 * What the backups keep in settings.db: each site's backup state (`site_backups`: last success,
 * last error, consecutive failures; the next due time follows from these and the site's schedule)
 * and the backup rows of the shared archive ledger (`archive_files`, kind 'backup'). A ledger row
 * is written only once its `.nsb` is complete on disk; a row gets `deleted_at` once keep-N has
 * deleted its file. Never a password: error texts are scrubbed of it before they get here.
 */
import type Database from 'better-sqlite3';

export interface BackupState {
  lastAttemptAt: number | null;
  lastSuccessAt: number | null;
  lastError: string | null;
  failures: number;
}

export interface BackupFileRow {
  id: number;
  siteId: number;
  /** Relative to the archive folder, '/' separators. */
  path: string;
  bytes: number;
  sha256: string;
  writtenAt: number;
}

const NO_STATE: BackupState = { lastAttemptAt: null, lastSuccessAt: null, lastError: null, failures: 0 };

export class BackupStore {
  constructor(private readonly db: Database.Database) {}

  state(siteId: number): BackupState {
    const row = this.db.prepare('SELECT last_attempt_at, last_success_at, last_error, failures FROM site_backups WHERE site_id = ?').get(siteId) as
      | { last_attempt_at: number | null; last_success_at: number | null; last_error: string | null; failures: number }
      | undefined;
    if (!row) return { ...NO_STATE };
    return { lastAttemptAt: row.last_attempt_at, lastSuccessAt: row.last_success_at, lastError: row.last_error, failures: row.failures };
  }

  /** A failed attempt that started at `startedAt`. */
  recordFailure(siteId: number, startedAt: number, message: string): void {
    this.db
      .prepare(
        `INSERT INTO site_backups (site_id, last_attempt_at, last_error, failures) VALUES (?, ?, ?, 1)
         ON CONFLICT (site_id) DO UPDATE SET last_attempt_at = excluded.last_attempt_at, last_error = excluded.last_error, failures = failures + 1`,
      )
      .run(siteId, startedAt, message);
  }

  /**
   * A complete backup: its ledger row and the site's state in one transaction (the file is already
   * complete on disk, renamed and fsynced). Returns the ledger row's id.
   */
  recordSuccess(siteId: number, startedAt: number, file: { path: string; bytes: number; sha256: string }, writtenAt: number): number {
    return this.db
      .transaction(() => {
        const result = this.db
          .prepare(`INSERT INTO archive_files (site_id, kind, lsid, instance, path, bytes, sha256, written_at) VALUES (?, 'backup', NULL, NULL, ?, ?, ?, ?)`)
          .run(siteId, file.path, file.bytes, file.sha256, writtenAt);
        this.db
          .prepare(
            `INSERT INTO site_backups (site_id, last_attempt_at, last_success_at, last_error, failures) VALUES (?, ?, ?, NULL, 0)
             ON CONFLICT (site_id) DO UPDATE SET last_attempt_at = excluded.last_attempt_at, last_success_at = excluded.last_success_at, last_error = NULL, failures = 0`,
          )
          .run(siteId, startedAt, startedAt);
        return Number(result.lastInsertRowid);
      })
      .immediate();
  }

  /** Whether the ledger already holds this path (of any kind, deleted or not: a path is never reused). */
  hasPath(path: string): boolean {
    return this.db.prepare('SELECT 1 FROM archive_files WHERE path = ?').get(path) !== undefined;
  }

  /** The site's backups that are still kept, newest first. */
  kept(siteId: number): BackupFileRow[] {
    const rows = this.db
      .prepare(
        `SELECT id, site_id, path, bytes, sha256, written_at FROM archive_files
         WHERE site_id = ? AND kind = 'backup' AND deleted_at IS NULL ORDER BY written_at DESC, id DESC`,
      )
      .all(siteId) as { id: number; site_id: number; path: string; bytes: number; sha256: string; written_at: number }[];
    return rows.map((r) => ({ id: r.id, siteId: r.site_id, path: r.path, bytes: r.bytes, sha256: r.sha256, writtenAt: r.written_at }));
  }

  markDeleted(id: number, at: number): void {
    this.db.prepare('UPDATE archive_files SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL').run(at, id);
  }
}
