/**
 * When a site's next backup is due. Pure: the state and the clock come in.
 *
 * - off: never (a `backup now` still works);
 * - never backed up: due at once (as soon as backups are turned on and an archive folder is set);
 * - after a success: one interval (a day or a week) after that backup *started*, so the time of
 *   day does not creep by the backup's duration;
 * - after a failure: retried with exponential backoff (15 min, 30 min, 1 h, … at most 6 h, and never
 *   more than the schedule's interval): a backup is heavy for the appliance, so a broken one is not
 *   asked for again on every pass, yet a passing network problem does not cost a whole day.
 */
import type { BackupSchedule } from '../../../shared/archive.ts';
import type { BackupState } from './backup-store.ts';

export const SCHEDULE_SECONDS: Record<Exclude<BackupSchedule, 'off'>, number> = { daily: 86_400, weekly: 7 * 86_400 };
export const RETRY_BASE_SECONDS = 15 * 60;
export const RETRY_MAX_SECONDS = 6 * 3600;

/** Unix seconds when the next backup is due (≤ now: due now), or null when backups are off. */
export function nextDueAt(schedule: BackupSchedule, state: BackupState): number | null {
  if (schedule === 'off') return null;
  const interval = SCHEDULE_SECONDS[schedule];
  if (state.failures > 0 && state.lastAttemptAt !== null) {
    const backoff = Math.min(RETRY_MAX_SECONDS, interval, RETRY_BASE_SECONDS * 2 ** Math.min(state.failures - 1, 20));
    return state.lastAttemptAt + backoff;
  }
  if (state.lastSuccessAt !== null) return state.lastSuccessAt + interval;
  return 0;
}

/** The backup's file name: `<host>-<YYYYMMDD-HHMMSS>Z.nsb`, in UTC, from the second it was asked for. */
export function backupFileName(hostSegment: string, startedAtMs: number): string {
  const iso = new Date(startedAtMs).toISOString(); // 2026-12-06T22:30:18.123Z
  const stamp = `${iso.slice(0, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}-${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}`;
  return `${hostSegment}-${stamp}Z.nsb`;
}

/**
 * The site's host as a folder and file name, as the archive's session layout writes it (`:` and
 * any other character Windows refuses become `_`, lower case), so a site's backups sit beside its
 * sessions: `<dir>/<host>/backups/`.
 */
export function backupHostSegment(host: string): string {
  const out = host.trim().toLowerCase().replace(/[^a-z0-9._-]/g, '_');
  return /^\.*$/.test(out) ? `_${out.replace(/\./g, '_')}` : out.replace(/\.+$/, (dots) => '_'.repeat(dots.length));
}

/** The backup's path relative to the archive folder, with `/` separators (as the ledger records it). */
export function backupRelativePath(host: string, startedAtMs: number): string {
  const segment = backupHostSegment(host);
  return `${segment}/backups/${backupFileName(segment, startedAtMs)}`;
}
