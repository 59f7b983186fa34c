/**
 * The archive folder as a place: can it be reached and written, how much space is free, is an
 * error the folder's (full, unreachable: pause the archive) or one file's, the Test, and verify.
 */
import { constants } from 'node:fs';
import { mkdir, open, rm, stat, statfs } from 'node:fs/promises';
import path from 'node:path';
import { ARCHIVE_TEST_STEPS, type ArchiveSettings, type ArchiveTestResult, type ArchiveTestStepId, type ArchiveVerifyResult } from '../../../shared/archive.ts';
import type { TestStep } from '../../../shared/site-test.ts';
import { StepFailure, stepRunner } from '../step-runner.ts';
import { resolveInArchive } from './archive-layout.ts';
import { MAPPED_DRIVE_NOTE } from './archive-settings.ts';
import { sha256OfFile } from './atomic-file.ts';

/** Below this much free space the Test warns (it still passes: small archives exist). */
export const LOW_SPACE_BYTES = 1024 ** 3;
/** Free space needed, besides the file that did not fit, before a paused archive resumes. */
export const RESUME_MARGIN_BYTES = 1024 * 1024;

const PROBE_NAME = '.pra-ic-write-test';

/**
 * Error codes that say the folder itself cannot take files now — full, gone, read-only, a share that
 * is down — rather than something wrong with one file. These pause the archive.
 */
const FOLDER_CODES = new Set([
  'ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'ENOENT', 'ENOTDIR', 'EIO', 'ENOTCONN', 'EHOSTDOWN', 'EHOSTUNREACH',
  'ESTALE', 'ETIMEDOUT', 'ENETUNREACH', 'ENXIO', 'ENODEV', 'EBUSY', 'EREMOTEIO', 'UNKNOWN', 'EAGAIN', 'EMFILE', 'ENFILE',
]);

export function isFolderError(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return typeof code === 'string' && FOLDER_CODES.has(code);
}

export function isDiskFull(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

/** A folder error in words, for the status and the notification. */
export function describeFolderError(dir: string, error: unknown): string {
  const e = error as NodeJS.ErrnoException;
  switch (e.code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `The archive folder ${dir} is full (or over its quota): free some space there or choose another folder. Archiving resumes by itself once there is room.`;
    case 'EROFS':
      return `The archive folder ${dir} is on a read-only volume.`;
    case 'EACCES':
    case 'EPERM':
      return `This app may not write to the archive folder ${dir} (permission denied): give its account write access.`;
    case 'ENOENT':
    case 'ENOTDIR':
      return `The archive folder ${dir} cannot be reached (it, or the share or disk it is on, is not there). Archiving resumes by itself once it is back.`;
    default:
      return `The archive folder ${dir} cannot be reached or written (${e.code ?? 'error'}: ${e.message}). Archiving resumes by itself once it works again.`;
  }
}

/** Free bytes on the folder's volume, or null when that cannot be read. */
export async function freeBytes(dir: string): Promise<number | null> {
  try {
    const s = await statfs(dir);
    return Number(s.bavail) * Number(s.bsize);
  } catch {
    return null;
  }
}

/**
 * The archive folder is there, or is created when `mayCreate`; otherwise a missing folder throws
 * ENOENT (describeFolderError: "cannot be reached"). See ArchiveSettingsStore.rootSeen for why a
 * folder already used is never created again.
 */
export async function ensureArchiveRoot(dir: string, mayCreate: boolean): Promise<void> {
  const exists = await stat(dir).then(
    (s) => {
      if (!s.isDirectory()) throw Object.assign(new Error(`${dir} is not a folder`), { code: 'ENOTDIR' });
      return true;
    },
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
  if (exists) return;
  if (!mayCreate) throw Object.assign(new Error(`${dir} is not there`), { code: 'ENOENT' });
  await mkdir(dir, { recursive: true });
}

/**
 * Proves the folder takes a file now: creates it if needed and `mayCreate` (never its parent drive or
 * share), writes, fsyncs and removes a small probe file. Throws the file system's error.
 */
export async function probeFolder(dir: string, { mayCreate = true }: { mayCreate?: boolean } = {}): Promise<void> {
  await ensureArchiveRoot(dir, mayCreate);
  const probe = path.join(dir, PROBE_NAME);
  const handle = await open(probe, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o640);
  try {
    await handle.write(Buffer.from('PRA Integration Client write test\n'));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rm(probe, { force: true });
}

function formatBytes(n: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
export { formatBytes };

/** The archive folder's Test: exists or can be created, writable, free space. */
export async function testArchiveFolder(settings: ArchiveSettings, onStep?: (step: TestStep<ArchiveTestStepId>) => void): Promise<ArchiveTestResult> {
  const dir = settings.dir;
  const steps = stepRunner(
    ARCHIVE_TEST_STEPS,
    (error) => (error instanceof StepFailure ? error.message : dir ? describeFolderError(dir, error) : (error as Error).message),
    onStep,
  );
  await steps.run('folder', async () => {
    if (!dir) throw new StepFailure('No archive folder is set: enter one (a local path or a UNC path such as \\\\nas\\pra-archive).');
    const existed = await stat(dir).then((s) => {
      if (!s.isDirectory()) throw new StepFailure(`${dir} exists but is not a folder.`);
      return true;
    }, (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    });
    if (!existed) await mkdir(dir, { recursive: true });
    const note = process.platform === 'win32' && /^[A-Za-z]:/.test(dir) && !/^[Cc]:/.test(dir) ? ` ${MAPPED_DRIVE_NOTE}` : '';
    return `${existed ? 'The folder exists' : 'The folder was created'}: ${dir}.${note}`;
  });
  await steps.run('write', async () => {
    await probeFolder(dir!);
    return 'A test file was written, flushed and removed.';
  });
  await steps.run('space', async () => {
    const free = await freeBytes(dir!);
    if (free === null) return 'The free space of this volume could not be read (some network shares do not tell).';
    if (free < RESUME_MARGIN_BYTES) throw new StepFailure(`Only ${formatBytes(free)} free: the archive cannot write files there.`);
    return free < LOW_SPACE_BYTES ? `${formatBytes(free)} free — low: recordings can take gigabytes.` : `${formatBytes(free)} free.`;
  });
  return steps.result();
}

/** Every recorded file (backups included) is on disk with its size and SHA-256. */
export async function verifyArchive(dir: string, files: Iterable<{ path: string; bytes: number; sha256: string }>): Promise<ArchiveVerifyResult> {
  const result: ArchiveVerifyResult = { checked: 0, ok: 0, problems: [] };
  for (const file of files) {
    result.checked++;
    let full: string;
    try {
      full = resolveInArchive(dir, file.path);
    } catch {
      result.problems.push({ path: file.path, problem: 'missing', expected: 'a path inside the archive folder', found: null });
      continue;
    }
    const size = await stat(full).then((s) => s.size, () => null);
    if (size === null) {
      result.problems.push({ path: file.path, problem: 'missing', expected: `${file.bytes} bytes`, found: null });
      continue;
    }
    if (size !== file.bytes) {
      result.problems.push({ path: file.path, problem: 'size', expected: String(file.bytes), found: String(size) });
      continue;
    }
    const sha = await sha256OfFile(full).catch(() => null);
    if (sha !== file.sha256) {
      result.problems.push({ path: file.path, problem: 'sha256', expected: file.sha256, found: sha });
      continue;
    }
    result.ok++;
  }
  return result;
}
