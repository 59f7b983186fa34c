/**
 * The archive destination as the CLI and the UI see it: a folder (local or UNC) that keeps what the
 * appliance deletes after 90 days — each ended session's XML, its screen recording, its command-shell
 * recordings — and each site's backups (`.nsb`). Plain data: it crosses IPC and HTTP. Never a secret.
 */
import type { TestResult } from './site-test.ts';

/** What one archived file is. */
export type ArchiveKind = 'session-xml' | 'recording' | 'shell-recording' | 'backup';

export type BackupSchedule = 'off' | 'daily' | 'weekly';
export const BACKUP_SCHEDULES: readonly BackupSchedule[] = ['off', 'daily', 'weekly'];
export const DEFAULT_KEEP_BACKUPS = 30;
export const MAX_KEEP_BACKUPS = 1000;

/**
 * The default layout of a session's files, relative to the archive folder. Tokens: `{host}` (the
 * site's host, `:` replaced by `_`), `{date}` (the session's start date in UTC, YYYY-MM-DD),
 * `{yyyy}`, `{mm}`, `{dd}`, `{lsid}`, `{site}` (the site's name, made safe for a file name). The
 * files inside are `session.xml`, `recording.<ext>` and `shell-<instance>.<ext>`.
 */
export const DEFAULT_ARCHIVE_LAYOUT = '{host}/{date}/{lsid}';

export interface ArchiveSettings {
  /** The archive folder: an absolute local path or a UNC path (`\\nas\pra-archive`); null = archive off. */
  dir: string | null;
  /** Where a session's files go below `dir` (see DEFAULT_ARCHIVE_LAYOUT). */
  layout: string;
  sessionXml: boolean;
  recordings: boolean;
  shellRecordings: boolean;
}

export interface ArchiveView extends ArchiveSettings {
  configured: boolean;
}

/** One file that could not be archived (yet): shown with its reason and a retry. */
export interface ArchiveFailure {
  siteId: number;
  siteName: string;
  /** null for a backup. */
  lsid: string | null;
  kind: ArchiveKind;
  /** `instance` of a command-shell recording, else null. */
  instance: number | null;
  reason: string;
  attempts: number;
  /** ISO; null when it waits for the user's retry. */
  nextAttemptAt: string | null;
}

export interface SiteBackupStatus {
  siteId: number;
  siteName: string;
  schedule: BackupSchedule;
  keep: number;
  /** ISO times, null when never. */
  lastBackupAt: string | null;
  /** Path of the newest complete `.nsb`, relative to the archive folder. */
  lastFile: string | null;
  lastError: string | null;
  nextDueAt: string | null;
  /** Complete backups of this site in the archive now. */
  kept: number;
}

export interface ArchiveStatus {
  /** `off`: no folder set; `ok`: archiving; `paused`: the folder is full or unreachable (see pausedReason). */
  state: 'off' | 'ok' | 'paused';
  pausedReason: string | null;
  dir: string | null;
  /** Free bytes on the folder's volume; null when unknown (e.g. unreachable). */
  freeBytes: number | null;
  written: { files: number; bytes: number };
  /** Files due (sessions ended, recordings listed, backups due) but not on disk yet. */
  pending: number;
  /** Recordings the appliance had already expired: never retried, not an error. */
  expired: number;
  failed: number;
  /** The latest few failures, with their reasons. */
  failures: ArchiveFailure[];
  backups: SiteBackupStatus[];
  /** While a pass downloads: files done of the files it found due; null when idle. */
  progress: { done: number; total: number; bytes: number } | null;
}

/** The steps of the archive folder's Test, in order. */
export const ARCHIVE_TEST_STEPS = [
  { id: 'folder', title: 'Folder exists or can be created' },
  { id: 'write', title: 'Permission to write files' },
  { id: 'space', title: 'Free space' },
] as const;
export type ArchiveTestStepId = (typeof ARCHIVE_TEST_STEPS)[number]['id'];
export type ArchiveTestResult = TestResult<ArchiveTestStepId>;

/** One result of `pra-ic archive verify`. */
export interface ArchiveVerifyResult {
  checked: number;
  ok: number;
  /** Files recorded as archived that are missing, or whose size or SHA-256 differ. */
  problems: { path: string; problem: 'missing' | 'size' | 'sha256'; expected: string; found: string | null }[];
}
