/**
 * Writes one archive file so that it is either complete on disk or not there at all: the bytes go to
 * `<name>.part` beside the final name (same folder, so the rename cannot cross volumes), are hashed
 * (SHA-256) and counted as they stream, flushed with fsync, and only then renamed to the final name;
 * the folder is fsynced too where the OS allows it, so the rename itself survives a power cut.
 * A complete file is never overwritten: when the final name already exists (a crash between the rename
 * and the database record), the existing file is kept; if its bytes equal the new ones it is adopted,
 * otherwise the write fails and says so. Memory stays flat: the source is streamed, never buffered whole.
 */
import { createHash } from 'node:crypto';
import { constants, createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

export interface WrittenFile {
  path: string;
  bytes: number;
  sha256: string;
  /** True when the final name already held exactly these bytes (nothing was renamed). */
  adopted: boolean;
}

export class ArchiveFileConflictError extends Error {
  override name = 'ArchiveFileConflictError';
  constructor(readonly path: string) {
    super(`${path} already exists with different content; it was left as it is (an archived file is never overwritten). Move it away to archive this file again.`);
  }
}

export const PART_SUFFIX = '.part';

/** Streams `source` to `finalPath` atomically (see the module comment). The folder is created if needed. */
export async function writeFileAtomically(
  finalPath: string,
  source: AsyncIterable<Uint8Array>,
  options: { signal?: AbortSignal } = {},
): Promise<WrittenFile> {
  const dir = dirname(finalPath);
  await mkdir(dir, { recursive: true });
  const partPath = finalPath + PART_SUFFIX;
  const hash = createHash('sha256');
  let bytes = 0;
  // 'w' truncates a .part left by an earlier, interrupted attempt: it never counted as archived.
  const handle = await open(partPath, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o640);
  let renamed = false;
  try {
    for await (const chunk of source) {
      options.signal?.throwIfAborted();
      hash.update(chunk);
      bytes += chunk.byteLength;
      let offset = 0;
      while (offset < chunk.byteLength) {
        const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
        offset += bytesWritten;
      }
    }
    options.signal?.throwIfAborted();
    await handle.sync();
    await handle.close();
    const sha256 = hash.digest('hex');
    const existing = await stat(finalPath).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return null;
      throw error;
    });
    if (existing) {
      const same = existing.size === bytes && (await sha256OfFile(finalPath)) === sha256;
      await rm(partPath, { force: true });
      if (!same) throw new ArchiveFileConflictError(finalPath);
      return { path: finalPath, bytes, sha256, adopted: true };
    }
    await rename(partPath, finalPath);
    renamed = true;
    await syncDirectory(dir);
    return { path: finalPath, bytes, sha256, adopted: false };
  } finally {
    await handle.close().catch(() => undefined);
    if (!renamed) await rm(partPath, { force: true }).catch(() => undefined);
  }
}

/** The SHA-256 (hex) of a file on disk, streamed. */
export async function sha256OfFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * fsync of the folder, so a rename is durable. Windows cannot open a folder for fsync (EPERM/EISDIR):
 * NTFS journals the rename's metadata itself, so skipping it there loses nothing the OS would keep.
 */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, constants.O_RDONLY);
  try {
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EINVAL' && code !== 'EPERM' && code !== 'EISDIR') throw error;
  } finally {
    await handle.close();
  }
}

/** True for a temporary name written by writeFileAtomically (a scan of the folder must skip these). */
export function isPartFile(path: string): boolean {
  return basename(path).endsWith(PART_SUFFIX);
}
