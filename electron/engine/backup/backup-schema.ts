import type { Migration } from '../db/migrations.ts';

/**
 * Each site's backup state: when the latest backup started and whether it succeeded, and how many
 * attempts in a row failed (the retry backoff). The next due time is not stored: it follows from
 * these and the site's schedule, so changing the schedule takes effect at once. The files
 * themselves are rows of the archive ledger (`archive_files`, kind 'backup'). A removed site's
 * state goes with it; its ledger rows stay (the files are still in the archive).
 */
// Appended after the archive ledger's migration (archive-schema.ts).
export const backupStateMigration: Migration = {
  description: 'site backup state',
  up(db) {
    db.exec(`
      CREATE TABLE site_backups (
        site_id          INTEGER PRIMARY KEY REFERENCES sites (id) ON DELETE CASCADE,
        last_attempt_at  INTEGER,            -- Unix seconds: when the latest backup (of any outcome) started
        last_success_at  INTEGER,            -- when the latest complete backup started (its file name's time)
        last_error       TEXT,               -- why the latest attempt failed; NULL after a success
        failures         INTEGER NOT NULL DEFAULT 0  -- consecutive failed attempts (retry backoff)
      ) STRICT;
    `);
  },
};

