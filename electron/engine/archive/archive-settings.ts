/**
 * The archive destination's settings: one row of the `settings` table (plain data, no secret).
 *
 * The folder must be an absolute local path or, on Windows, a UNC path (`\\nas\pra-archive`).
 * Mapped drive letters: a drive mapped in one Windows logon session is not visible to a service or
 * to another logon session, so an archive on `Z:` silently stops when the app runs elsewhere. Node
 * has no way to tell a mapped letter from a local disk without Windows APIs, so nothing is refused
 * here; the UI, the Test and the README say to use the UNC path instead.
 */
import path from 'node:path';
import type Database from 'better-sqlite3';
import { DEFAULT_ARCHIVE_LAYOUT, type ArchiveSettings } from '../../../shared/archive.ts';
import { hasControlCharacter, layoutProblem } from './archive-layout.ts';
import { readSetting, writeSetting } from '../store/settings-table.ts';

export const ARCHIVE_SETTINGS_KEY = 'archive.folder';
/** The archive folder last seen in place (see ArchiveSettingsStore.rootSeen). */
const ROOT_SEEN_KEY = 'archive.root_seen';

export const DEFAULT_ARCHIVE_SETTINGS: ArchiveSettings = {
  dir: null,
  layout: DEFAULT_ARCHIVE_LAYOUT,
  sessionXml: true,
  recordings: true,
  shellRecordings: true,
};

export class ArchiveSettingsError extends Error {
  override name = 'ArchiveSettingsError';
  constructor(
    message: string,
    readonly issues: { field: string | null; message: string }[] = [{ field: null, message }],
  ) {
    super(message);
  }
}

/** A UNC path: `\\server\share[\…]`. */
export function isUncPath(dir: string): boolean {
  return /^\\\\[^\\/?*:"<>|]+\\[^\\/?*:"<>|]+/.test(dir);
}

/** The problem with an archive folder in words, or null. `platform` is a parameter for tests. */
export function folderProblem(dir: string, platform: NodeJS.Platform = process.platform): string | null {
  if (dir.length > 1024) return 'The archive folder path is too long.';
  if (hasControlCharacter(dir)) return 'The archive folder path holds a control character.';
  if (platform === 'win32') {
    if (isUncPath(dir)) return null;
    if (/^\\\\/.test(dir)) return 'A UNC path needs a server and a share: \\\\server\\share\\folder.';
    if (!/^[A-Za-z]:[\\/]/.test(dir)) return 'Give the archive folder as a full path (C:\\PRA-Archive) or a UNC path (\\\\nas\\pra-archive).';
    return null;
  }
  if (/^\\\\/.test(dir)) return 'UNC paths (\\\\server\\share) work on Windows only; here mount the share and give the mount point.';
  if (!path.isAbsolute(dir)) return `Give the archive folder as an absolute path (e.g. /srv/pra-archive), not “${dir}”.`;
  return null;
}

/** A note for drive-letter folders on Windows (shown by the Test and the UI). */
export const MAPPED_DRIVE_NOTE =
  'If this is a mapped network drive, use its UNC path (\\\\server\\share\\folder) instead: a service or another logon session does not see drives mapped by a user.';

/** Checks and normalises settings; every problem is reported against its field. */
export function validateArchiveSettings(input: Partial<ArchiveSettings>, platform: NodeJS.Platform = process.platform): ArchiveSettings {
  const s: ArchiveSettings = { ...DEFAULT_ARCHIVE_SETTINGS, ...stripUndefined(input) };
  const issues: { field: string; message: string }[] = [];
  s.dir = s.dir === null || s.dir.trim() === '' ? null : s.dir.trim();
  if (s.dir !== null) {
    // A trailing separator changes nothing but how the path reads: drop it (not from a root).
    if (s.dir.length > 3) s.dir = s.dir.replace(/[\\/]+$/, '');
    const problem = folderProblem(s.dir, platform);
    if (problem) issues.push({ field: 'dir', message: problem });
  }
  s.layout = (s.layout ?? '').trim() || DEFAULT_ARCHIVE_LAYOUT;
  const layout = layoutProblem(s.layout);
  if (layout) issues.push({ field: 'layout', message: layout });
  for (const key of ['sessionXml', 'recordings', 'shellRecordings'] as const) {
    if (typeof s[key] !== 'boolean') issues.push({ field: key, message: `${key} must be true or false.` });
  }
  if (issues.length) throw new ArchiveSettingsError(issues.map((i) => i.message).join('\n'), issues);
  return s;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export class ArchiveSettingsStore {
  constructor(private readonly db: Database.Database) {}

  get(): ArchiveSettings {
    const value = readSetting(this.db, ARCHIVE_SETTINGS_KEY);
    return value !== null ? { ...DEFAULT_ARCHIVE_SETTINGS, ...(JSON.parse(value) as Partial<ArchiveSettings>) } : { ...DEFAULT_ARCHIVE_SETTINGS };
  }

  /** Patches the settings (`dir: null` turns the archive off; nothing on disk is touched). */
  set(patch: Partial<ArchiveSettings>): ArchiveSettings {
    const settings = validateArchiveSettings({ ...this.get(), ...patch });
    writeSetting(this.db, ARCHIVE_SETTINGS_KEY, JSON.stringify(settings));
    return settings;
  }

  /**
   * The folder the archive last found in place, or null. A folder it has seen and that is now
   * missing is unreachable (a NAS share not mounted, a disconnected drive), not a folder to create:
   * creating it again would fill the local disk under an empty mount point.
   */
  rootSeen(): string | null {
    return readSetting(this.db, ROOT_SEEN_KEY);
  }

  markRootSeen(dir: string): void {
    if (this.rootSeen() !== dir) writeSetting(this.db, ROOT_SEEN_KEY, dir);
  }

}
