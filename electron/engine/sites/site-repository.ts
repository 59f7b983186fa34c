/**
 * The `sites` table of settings.db. Takes already validated values (see shared/site-schema.ts and
 * SiteService); maps rows to the shared Site model. Never sees a secret.
 */
import type Database from 'better-sqlite3';
import type { BackupSchedule } from '../../../shared/archive.ts';
import type { Site } from '../../../shared/models.ts';
import { siteNameKey } from '../../../shared/site-name.ts';

/** A site's own settings: everything but the id and timestamps. */
export type SiteFields = Omit<Site, 'id' | 'createdAt' | 'updatedAt'>;
export type SiteFieldsPatch = Partial<SiteFields>;

export class SiteError extends Error {
  override name = 'SiteError';
}

/** Site names are unique regardless of case and Unicode form (siteNameKey). */
export class DuplicateSiteNameError extends SiteError {
  override name = 'DuplicateSiteNameError';
  constructor(readonly siteName: string) {
    super(`A site named “${siteName}” already exists`);
  }
}

export class SiteNotFoundError extends SiteError {
  override name = 'SiteNotFoundError';
  constructor(readonly nameOrId: string | number) {
    super(
      typeof nameOrId === 'number'
        ? `There is no site with id ${nameOrId}`
        : `There is no site named “${nameOrId}” (list the sites to see their names)`,
    );
  }
}

interface SiteRow {
  id: number;
  name: string;
  host: string;
  client_id: string;
  enabled: number;
  initial_interval_seconds: number;
  poll_interval_seconds: number;
  timeout_seconds: number;
  ca_file: string | null;
  proxy_url: string | null;
  backup_schedule: string;
  keep_backups: number;
  created_at: string;
  updated_at: string;
}

const COLUMNS: { [K in keyof SiteFields]: keyof SiteRow } = {
  name: 'name',
  host: 'host',
  clientId: 'client_id',
  enabled: 'enabled',
  initialIntervalSeconds: 'initial_interval_seconds',
  pollIntervalSeconds: 'poll_interval_seconds',
  timeoutSeconds: 'timeout_seconds',
  caFile: 'ca_file',
  proxyUrl: 'proxy_url',
  backupSchedule: 'backup_schedule',
  keepBackups: 'keep_backups',
};

function toSite(row: SiteRow): Site {
  return {
    id: row.id,
    name: row.name,
    host: row.host,
    clientId: row.client_id,
    enabled: row.enabled === 1,
    initialIntervalSeconds: row.initial_interval_seconds,
    pollIntervalSeconds: row.poll_interval_seconds,
    timeoutSeconds: row.timeout_seconds,
    caFile: row.ca_file,
    proxyUrl: row.proxy_url,
    backupSchedule: row.backup_schedule as BackupSchedule,
    keepBackups: row.keep_backups,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function toColumnValue(key: keyof SiteFields, value: SiteFields[keyof SiteFields]): string | number | null {
  if (key === 'enabled') return value ? 1 : 0;
  return value as string | number | null;
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export class SiteRepository {
  constructor(
    private readonly db: Database.Database,
    /** The clock (tests pin it). */
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** All sites, by name (case-insensitive). */
  list(): Site[] {
    const rows = this.db.prepare('SELECT * FROM sites ORDER BY name COLLATE NOCASE, id').all() as SiteRow[];
    return rows.map(toSite);
  }

  get(id: number): Site | null {
    const row = this.db.prepare('SELECT * FROM sites WHERE id = ?').get(id) as SiteRow | undefined;
    return row === undefined ? null : toSite(row);
  }

  /**
   * By name, regardless of case and Unicode form (siteNameKey), surrounding whitespace ignored.
   * Compared in JS over every row: a data folder has a handful of sites, and SQLite's NOCASE (the
   * unique index sites_name_nocase) folds ASCII only.
   */
  findByName(name: string): Site | null {
    const key = siteNameKey(name);
    const rows = this.db.prepare('SELECT * FROM sites ORDER BY id').all() as SiteRow[];
    const row = rows.find((r) => siteNameKey(r.name) === key);
    return row === undefined ? null : toSite(row);
  }

  /** Throws DuplicateSiteNameError if another site (not `id`) has this name in any case or form. */
  private assertNameFree(name: string, id: number | null) {
    const other = this.findByName(name);
    if (other !== null && other.id !== id) throw new DuplicateSiteNameError(other.name);
  }

  /**
   * Inserts a site. Throws DuplicateSiteNameError if the name is taken (in any case or form): call it
   * in a transaction (SiteService does, IMMEDIATE), so the check and the insert are one step.
   */
  create(fields: SiteFields): Site {
    this.assertNameFree(fields.name, null);
    const at = this.now().toISOString();
    const keys = Object.keys(COLUMNS) as (keyof SiteFields)[];
    const columns = [...keys.map((k) => COLUMNS[k]), 'created_at', 'updated_at'];
    const values = [...keys.map((k) => toColumnValue(k, fields[k])), at, at];
    try {
      const result = this.db
        .prepare(`INSERT INTO sites (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`)
        .run(...values);
      return this.get(Number(result.lastInsertRowid))!;
    } catch (error) {
      if (isUniqueViolation(error)) throw new DuplicateSiteNameError(this.findByName(fields.name)?.name ?? fields.name);
      throw error;
    }
  }

  /**
   * Changes the given fields (undefined ones are kept) and stamps updated_at. Throws
   * SiteNotFoundError or DuplicateSiteNameError. An empty patch changes nothing.
   */
  update(id: number, patch: SiteFieldsPatch): Site {
    const keys = (Object.keys(COLUMNS) as (keyof SiteFields)[]).filter((k) => patch[k] !== undefined);
    if (keys.length === 0) {
      const site = this.get(id);
      if (site === null) throw new SiteNotFoundError(id);
      return site;
    }
    if (patch.name !== undefined) this.assertNameFree(patch.name, id);
    const sets = [...keys.map((k) => `${COLUMNS[k]} = ?`), 'updated_at = ?'];
    const values = [...keys.map((k) => toColumnValue(k, patch[k] as SiteFields[typeof k])), this.now().toISOString(), id];
    try {
      const result = this.db.prepare(`UPDATE sites SET ${sets.join(', ')} WHERE id = ?`).run(...values);
      if (result.changes === 0) throw new SiteNotFoundError(id);
    } catch (error) {
      if (isUniqueViolation(error) && patch.name !== undefined) {
        throw new DuplicateSiteNameError(this.findByName(patch.name)?.name ?? patch.name);
      }
      throw error;
    }
    return this.get(id)!;
  }

  /** Deletes the row; returns whether there was one. */
  remove(id: number): boolean {
    return this.db.prepare('DELETE FROM sites WHERE id = ?').run(id).changes > 0;
  }
}
