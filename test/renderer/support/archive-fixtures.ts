/**
 * Canned archive data for the fake transport: the settings, and statuses as a real archive goes
 * through them — idle after a run, paused for a full disk, a backfill of recordings in progress,
 * files that failed — plus the folder Test's steps.
 */
import { ARCHIVE_TEST_STEPS, DEFAULT_ARCHIVE_LAYOUT, type ArchiveFailure, type ArchiveStatus, type ArchiveView, type SiteBackupStatus } from '../../../shared/archive.ts';
import type { TestStep } from '../../../shared/site-test.ts';
import { EMEA, LAB, NOW, PRODUCTION } from './fixtures.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const HOUR = 3_600_000;
const GB = 1024 ** 3;

export const ARCHIVE_DIR = '\\\\nas\\pra-archive';

export const ARCHIVE_VIEW_SET: ArchiveView = {
  dir: ARCHIVE_DIR,
  layout: DEFAULT_ARCHIVE_LAYOUT,
  sessionXml: true,
  recordings: true,
  shellRecordings: false,
  configured: true,
};

export const BACKUPS: SiteBackupStatus[] = [
  {
    siteId: PRODUCTION.id,
    siteName: PRODUCTION.name,
    schedule: 'daily',
    keep: 30,
    lastBackupAt: iso(NOW - 5 * HOUR),
    lastFile: 'access.example.com/backups/access.example.com-20261206-020000Z.nsb',
    lastError: null,
    nextDueAt: iso(NOW + 19 * HOUR),
    kept: 30,
  },
  {
    siteId: LAB.id,
    siteName: LAB.name,
    schedule: 'weekly',
    keep: 8,
    lastBackupAt: iso(NOW - 3 * 86_400_000),
    lastFile: 'pra-lab.example.net_8443/backups/pra-lab.example.net_8443-20261203-020000Z.nsb',
    lastError: 'The API account has no permission to create backups: enable "Backup API" for it in /login > Management > API Configuration.',
    nextDueAt: iso(NOW - 10 * 60_000),
    kept: 3,
  },
  { siteId: EMEA.id, siteName: EMEA.name, schedule: 'off', keep: 30, lastBackupAt: null, lastFile: null, lastError: null, nextDueAt: null, kept: 0 },
];

export const FAILURES: ArchiveFailure[] = [
  {
    siteId: PRODUCTION.id,
    siteName: PRODUCTION.name,
    lsid: 'c5f29a41e1d94b7fa0c30007',
    kind: 'recording',
    instance: null,
    reason: 'The download stopped after 412.0 MB of 1.9 GB (the connection was closed): nothing was saved; it is tried again.',
    attempts: 3,
    nextAttemptAt: iso(NOW + 25 * 60_000),
  },
  {
    siteId: LAB.id,
    siteName: LAB.name,
    lsid: 'a0e4c2217b6d4e0f9c1d0012',
    kind: 'shell-recording',
    instance: 2,
    reason: 'The appliance answered with an HTML page (HTTP 502 Bad Gateway) instead of the recording.',
    attempts: 6,
    nextAttemptAt: null,
  },
];

/** After a run, nothing to do: the numbers an admin checks. */
export const ARCHIVE_IDLE: ArchiveStatus = {
  state: 'ok',
  pausedReason: null,
  dir: ARCHIVE_DIR,
  freeBytes: 1.8 * 1024 * GB,
  written: { files: 18_432, bytes: 742.6 * GB },
  pending: 0,
  expired: 37,
  failed: 0,
  failures: [],
  backups: BACKUPS,
  progress: null,
};

export const ARCHIVE_WITH_FAILURES: ArchiveStatus = { ...ARCHIVE_IDLE, pending: 2, failed: 2, failures: FAILURES };

export const DISK_FULL_REASON = 'The archive folder \\\\nas\\pra-archive is full (12.0 MB free; a 1.9 GB recording is next). Free space on the share or choose another folder.';

export const ARCHIVE_PAUSED: ArchiveStatus = {
  ...ARCHIVE_IDLE,
  state: 'paused',
  pausedReason: DISK_FULL_REASON,
  freeBytes: 12 * 1024 * 1024,
  pending: 1_204,
};

/** The first pass after the folder was set: thousands of recordings from the last 90 days. */
export const ARCHIVE_BACKFILL: ArchiveStatus = {
  ...ARCHIVE_IDLE,
  written: { files: 4_211, bytes: 88.4 * GB },
  pending: 3_468,
  expired: 12,
  failed: 1,
  failures: [FAILURES[0]!],
  progress: { done: 1_532, total: 5_000, bytes: 88.4 * GB },
};

export function archiveTestSteps(failAt?: 'folder' | 'write' | 'space', detail = 'Access to \\\\nas\\pra-archive was denied (EACCES): give the account the service runs as permission to write there.'): TestStep[] {
  let failed = false;
  const details: Record<string, string> = {
    folder: '\\\\nas\\pra-archive exists.',
    write: 'Wrote, read back and removed a test file.',
    space: '1.8 TB free.',
  };
  return ARCHIVE_TEST_STEPS.map((s, i) => {
    if (failed) return { id: s.id, title: s.title, status: 'skipped' as const, detail: 'Not run: fix the failed step first.', durationMs: 0 };
    if (s.id === failAt) {
      failed = true;
      return { id: s.id, title: s.title, status: 'failed' as const, detail, durationMs: 31 };
    }
    return { id: s.id, title: s.title, status: 'ok' as const, detail: details[s.id]!, durationMs: 12 + i * 20 };
  });
}
