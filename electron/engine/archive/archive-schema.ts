import type { Migration } from '../db/migrations.ts';

/**
 * The archive's ledger and the sites' backup settings.
 *
 * `archive_files` is the record of every file the archive holds: a row is written only after the
 * file is complete on disk (renamed from its `.part`, fsynced), with its size and SHA-256, so a later
 * pass never downloads it again and `pra-ic archive verify` can prove nothing on disk was changed or
 * lost since. Paths are relative to the archive folder, with `/` separators (the folder may move, or
 * be a UNC path on Windows). A backup deleted on purpose by the keep-N rule gets `deleted_at` and is
 * no longer verified. Backup *passwords* are not here: they live in the OS keychain.
 */
export const archiveMigration: Migration = {
  description: 'archive ledger and site backup settings',
  up(db) {
    db.exec(`
      ALTER TABLE sites ADD COLUMN backup_schedule TEXT NOT NULL DEFAULT 'off' CHECK (backup_schedule IN ('off', 'daily', 'weekly'));
      ALTER TABLE sites ADD COLUMN keep_backups INTEGER NOT NULL DEFAULT 30 CHECK (keep_backups >= 1);

      CREATE TABLE archive_files (
        id          INTEGER PRIMARY KEY,
        site_id     INTEGER NOT NULL,  -- no foreign key: a removed site's archived files stay recorded
        kind        TEXT    NOT NULL CHECK (kind IN ('session-xml', 'recording', 'shell-recording', 'backup')),
        lsid        TEXT,              -- NULL for a backup
        instance    INTEGER,           -- a command-shell recording's instance, else NULL
        path        TEXT    NOT NULL,  -- relative to the archive folder, '/' separators
        bytes       INTEGER NOT NULL,
        sha256      TEXT    NOT NULL,  -- hex
        written_at  INTEGER NOT NULL,  -- Unix seconds
        deleted_at  INTEGER            -- set when a backup is deleted on purpose (keep N)
      ) STRICT;
      CREATE UNIQUE INDEX archive_files_path ON archive_files (path);
      CREATE UNIQUE INDEX archive_files_item ON archive_files (site_id, kind, lsid, instance) WHERE kind <> 'backup';
      CREATE INDEX archive_files_site_kind ON archive_files (site_id, kind, written_at);
    `);
  },
};
