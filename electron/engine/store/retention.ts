import type Database from 'better-sqlite3';
import { readSetting, writeSetting } from './settings-table.ts';

/** Local retention of the session store, in days; 0 keeps everything forever. */
export const DEFAULT_RETENTION_DAYS = 90;
const SETTINGS_KEY = 'store.retention_days';
/** Sessions deleted per transaction, so pruning never holds the database for long. */
const PRUNE_BATCH = 200;

export function getRetentionDays(db: Database.Database): number {
  const value = readSetting(db, SETTINGS_KEY);
  return value !== null ? Number(value) : DEFAULT_RETENTION_DAYS;
}

export function setRetentionDays(db: Database.Database, days: number) {
  if (!Number.isInteger(days) || days < 0 || days > 36_500) {
    throw new RangeError('Retention is a whole number of days from 0 (keep forever) to 36500.');
  }
  writeSetting(db, SETTINGS_KEY, String(days));
}

/**
 * A condition on a session `s` (a row of `sessions`) under which another part of the engine still
 * needs it, as SQL: retention keeps such sessions whatever their age. The archive holds the
 * sessions whose files are not archived yet (their session XML is written from the store, and their
 * recordings are found through the header): a folder that stays unreachable for longer than the
 * retention must not cost them.
 */
export type RetentionHold = string;

/**
 * Deletes sessions that ended more than the retention ago, with their participants, events and
 * outbox rows, and the hourly event counts of the status chart from before then. Never a session
 * still followed (in progress), never one with an event still waiting for Elasticsearch, and never
 * one a `hold` keeps: retention must not lose what has not been delivered or archived yet.
 * Returns the number of sessions deleted.
 */
export function pruneExpired(db: Database.Database, nowSeconds = Math.floor(Date.now() / 1000), holds: RetentionHold[] = []): number {
  const days = getRetentionDays(db);
  if (days === 0) return 0;
  const cutoff = nowSeconds - days * 86_400;
  const held = holds.map((hold) => `\n        AND NOT (${hold})`).join('');
  const batch = db.prepare(`
    DELETE FROM sessions WHERE id IN (
      SELECT s.id FROM sessions s
      WHERE s.end_time IS NOT NULL AND s.end_time < ?
        AND NOT EXISTS (SELECT 1 FROM follow f WHERE f.site_id = s.site_id AND f.lsid = s.lsid)
        AND NOT EXISTS (SELECT 1 FROM events e JOIN outbox o ON o.event_id = e.id
                        WHERE e.session_id = s.id AND o.state = 'pending')${held}
      LIMIT ?)`);
  let total = 0;
  for (;;) {
    const deleted = db.transaction(() => batch.run(cutoff, PRUNE_BATCH).changes).immediate();
    total += deleted;
    if (deleted < PRUNE_BATCH) break;
  }
  // The status chart's hourly counts (one row per site and hour) go with the same retention.
  db.prepare('DELETE FROM event_hours WHERE hour < ?').run(cutoff - 3600);
  return total;
}
