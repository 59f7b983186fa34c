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
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
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

/**
 * A source that pushes its bytes (a download: pra/download-body.ts DownloadBody.writeTo): it calls
 * `sink` with each chunk, in order, and waits when `sink` returns a promise (the disk is behind).
 * A chunk must stay as it is until the promise `sink` returned (if any) settles; it is copied then.
 */
export type PushSource = (sink: (chunk: Uint8Array) => Promise<void> | undefined) => Promise<unknown>;

/** Streams `source` to `finalPath` atomically (see the module comment). The folder is created if needed. */
export async function writeFileAtomically(
  finalPath: string,
  source: AsyncIterable<Uint8Array> | PushSource,
  options: { signal?: AbortSignal } = {},
): Promise<WrittenFile> {
  const dir = dirname(finalPath);
  await mkdir(dir, { recursive: true });
  const partPath = finalPath + PART_SUFFIX;
  // 'w' truncates a .part left by an earlier, interrupted attempt: it never counted as archived.
  const handle = await open(partPath, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o640);
  const writer = new HashingWriter(handle);
  let renamed = false;
  try {
    const sink = (chunk: Uint8Array) => {
      options.signal?.throwIfAborted();
      return writer.write(chunk);
    };
    if (typeof source === 'function') await source(sink);
    else {
      for await (const chunk of source) {
        const wait = sink(chunk);
        if (wait) await wait;
      }
    }
    options.signal?.throwIfAborted();
    const { bytes, sha256 } = await writer.finish();
    await handle.close();
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
    await writer.settle();
    await handle.close().catch(() => undefined);
    if (!renamed) await rm(partPath, { force: true }).catch(() => undefined);
  }
}

const BATCH_BYTES = 1024 * 1024;
/** Batch buffers per file: one filling while the others' writes are in flight. */
const BATCHES = 4;
/** A datasync is started after this many bytes, so the disk writes back while the download goes on. */
const SYNC_EVERY_BYTES = 64 * 1024 * 1024;

/**
 * Reused 1 MiB batch buffers (allocating them per file left megabytes for the garbage collector
 * with every small session XML file). At most a few files' worth are kept.
 */
const batchPool: Buffer[] = [];
const POOL_LIMIT = BATCHES * 2;

/**
 * The bytes of one file, hashed in order and written in 1 MiB batches at their own offsets, up to
 * BATCHES - 1 writes in flight while the next batch fills: a download does not stop reading while
 * the disk writes, and a 16 KiB TLS record is not a syscall through the thread pool of its own.
 * Each chunk is copied into a batch and dropped at once (holding the chunks until their write
 * kept them alive across garbage collections, which cost more CPU than the copy). Every
 * SYNC_EVERY_BYTES a datasync starts in the background, so the final fsync (the file is durable
 * before it counts as archived) waits for the last stretch only, not for gigabytes of dirty pages.
 * Memory: at most BATCHES MiB per file being written.
 */
class HashingWriter {
  private readonly hash = createHash('sha256');
  private readonly batches: (Buffer | undefined)[] = new Array<Buffer | undefined>(BATCHES);
  private readonly writes: (Promise<void> | null)[] = new Array<Promise<void> | null>(BATCHES).fill(null);
  private current = 0;
  private filled = 0;
  /** Bytes handed to writes so far: the next batch's offset in the file. */
  private position = 0;
  private sinceSync = 0;
  private sync: Promise<void> | null = null;
  private error: unknown = null;

  constructor(private readonly handle: FileHandle) {}

  /** Copies `chunk` in; returns a promise when the caller must wait (every batch buffer is being written). */
  write(chunk: Uint8Array): Promise<void> | undefined {
    if (this.error) throw this.error;
    let offset = 0;
    while (offset < chunk.byteLength) {
      const batch = this.batch();
      const n = Math.min(chunk.byteLength - offset, BATCH_BYTES - this.filled);
      batch.set(n === chunk.byteLength ? chunk : chunk.subarray(offset, offset + n), this.filled);
      this.filled += n;
      offset += n;
      if (this.filled === BATCH_BYTES) {
        const busy = this.flush();
        if (busy) return offset < chunk.byteLength ? busy.then(() => this.write(chunk.subarray(offset))) : busy;
      }
    }
    return undefined;
  }

  /** Writes what is left, waits for every write, fsyncs; the count and the SHA-256 (hex). */
  async finish(): Promise<{ bytes: number; sha256: string }> {
    const busy = this.flush();
    if (busy) await busy;
    await this.settle();
    if (this.error) throw this.error;
    await this.handle.sync();
    return { bytes: this.position, sha256: this.hash.digest('hex') };
  }

  /** Waits for every write and datasync in flight (their errors are kept for finish), and gives the buffers back. */
  async settle(): Promise<void> {
    await Promise.all([...this.writes, this.sync]);
    for (let i = 0; i < BATCHES; i++) {
      const batch = this.batches[i];
      if (batch && batchPool.length < POOL_LIMIT) batchPool.push(batch);
      this.batches[i] = undefined;
    }
  }

  private batch(): Buffer {
    let batch = this.batches[this.current];
    if (!batch) {
      batch = batchPool.pop() ?? Buffer.allocUnsafeSlow(BATCH_BYTES);
      this.batches[this.current] = batch;
    }
    return batch;
  }

  /**
   * Hashes the current batch and starts its write; moves to the next buffer. Returns that buffer's
   * write when it is still in flight (the caller waits before filling it).
   */
  private flush(): Promise<void> | null {
    if (this.filled > 0) {
      const full = this.batches[this.current]!.subarray(0, this.filled);
      this.hash.update(full);
      const index = this.current;
      const write: Promise<void> = writeAt(this.handle, full, this.position)
        .catch((error: unknown) => {
          this.error ??= error;
        })
        .finally(() => {
          if (this.writes[index] === write) this.writes[index] = null;
        });
      this.writes[index] = write;
      this.position += this.filled;
      this.sinceSync += this.filled;
      this.filled = 0;
      this.current = (this.current + 1) % BATCHES;
      if (this.sinceSync >= SYNC_EVERY_BYTES && this.sync === null) {
        this.sinceSync = 0;
        this.sync = this.handle
          .datasync()
          .catch((error: unknown) => {
            this.error ??= error;
          })
          .finally(() => {
            this.sync = null;
          });
      }
    }
    const pending = this.writes[this.current];
    if (!pending) return null;
    return pending.then(() => {
      if (this.error) throw this.error;
    });
  }
}

/** Writes `buffer` at `position`, resuming after a short write. */
async function writeAt(handle: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < buffer.byteLength) {
    const { bytesWritten } = await handle.write(buffer, done, buffer.byteLength - done, position + done);
    done += bytesWritten;
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
