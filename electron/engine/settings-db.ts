/**
 * settings.db as the engine opens it: db/ knows how to open a SQLite file and run migrations; the
 * migrations belong to the modules whose tables they make. This list registers them, in the order
 * they shipped: position i is schema version i + 1 (`PRAGMA user_version`), what every existing
 * database was migrated by. Append a new migration at the end (its module owns it); never edit,
 * remove or reorder one that has shipped (test/integration/settings-db.test.ts holds the order).
 */
import { archiveQueueMigration } from './archive/archive-ledger.ts';
import { archiveMigration } from './archive/archive-schema.ts';
import { backupStateMigration } from './backup/backup-schema.ts';
import { openDatabase, type AppDatabase } from './db/database.ts';
import type { Migration } from './db/migrations.ts';
import { sitesMigration } from './sites/schema.ts';
import {
  eventSessionIdMigration,
  eventXmlMigration,
  headerXmlMigration,
  sessionEventCountIndexMigration,
  sessionStoreMigration,
  storeIndexesMigration,
} from './store/schema.ts';

export const MIGRATIONS: readonly Migration[] = [
  sitesMigration, // 1
  sessionStoreMigration, // 2
  storeIndexesMigration, // 3
  eventXmlMigration, // 4
  headerXmlMigration, // 5
  eventSessionIdMigration, // 6
  archiveMigration, // 7
  archiveQueueMigration, // 8
  backupStateMigration, // 9
  sessionEventCountIndexMigration, // 10
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Opens (creating and migrating as needed) the data directory's settings.db with every module's tables. */
export function openSettingsDatabase(dataDir: string): AppDatabase {
  return openDatabase(dataDir, { migrations: MIGRATIONS });
}
