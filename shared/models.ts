import type { BackupSchedule } from './archive.ts';

/** A configured PRA site as stored in the settings database. It never carries a secret. */
export interface Site {
  id: number;
  /** Unique, case-insensitive. */
  name: string;
  /** Host with optional port, no scheme: `access.example.com`, `access.example.com:8443`, `[::1]:8443`. */
  host: string;
  clientId: string;
  enabled: boolean;
  /** How far back the first run reaches (seconds; default 24h, at most 90 days). */
  initialIntervalSeconds: number;
  /** Seconds between runs (default 300; at least 30 in the app). */
  pollIntervalSeconds: number;
  /** HTTP timeout in seconds (default 30). */
  timeoutSeconds: number;
  /** Extra CA certificate(s) (PEM file) trusted for this site, in addition to the default trust. */
  caFile: string | null;
  /** `http://` or `https://` proxy URL, without credentials in it. */
  proxyUrl: string | null;
  /** Site backups (`POST /api/backup`) into the archive folder: off, daily or weekly. */
  backupSchedule: BackupSchedule;
  /** How many of the site's backups the archive keeps (older `.nsb` files are deleted once a newer one is complete). */
  keepBackups: number;
  /** ISO 8601 UTC. */
  createdAt: string;
  updatedAt: string;
}
