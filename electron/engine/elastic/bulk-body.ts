/**
 * The bytes of one `_bulk` body, written as they will be sent: each event's own text encoded once,
 * its session's part (most of the bytes, the same for all of a session's events) copied as bytes.
 * Sending a string body instead meant measuring it and encoding all of it to UTF-8 again, 100 MB
 * for 39,000 events, on the thread that also parses reports.
 *
 * The buffers of bodies Elasticsearch has answered come back ({@link recycle}) and are written
 * again: a fresh megabytes-large buffer per request cost page faults, and the memory allocator kept
 * freed ones around (bench phase 5: peak RSS 183-188 MB before, 182-184 MB after).
 */
export class BulkBodyWriter {
  private buffer: Buffer;
  private used = 0;
  private readonly free: Buffer[] = [];

  constructor(private readonly initialBytes = 1024 * 1024) {
    this.buffer = Buffer.allocUnsafeSlow(initialBytes);
  }

  /**
   * A body's whole buffer (a batch's `owned`), no longer read by anyone: written again by a later
   * body. Kept up to a few (the bodies in flight); beyond, left to the garbage collector.
   */
  recycle(owned: Uint8Array) {
    if (this.free.length >= MAX_FREE || owned.byteLength < this.initialBytes) return;
    this.free.push(Buffer.from(owned.buffer, owned.byteOffset, owned.byteLength));
  }

  /** Bytes written so far. */
  get length(): number {
    return this.used;
  }

  writeString(text: string) {
    // A UTF-16 code unit is at most 3 bytes of UTF-8 (a surrogate pair, two units, is 4).
    this.reserve(text.length * 3);
    this.used += this.buffer.write(text, this.used, 'utf8');
  }

  writeBytes(bytes: Buffer) {
    this.reserve(bytes.length);
    bytes.copy(this.buffer, this.used);
    this.used += bytes.length;
  }

  /** Forgets what was written after `length` (an event that did not fit or could not be built). */
  truncate(length: number) {
    this.used = Math.min(this.used, length);
  }

  /**
   * The body written (`body`), and the whole buffer it is a view of (`owned`, to {@link recycle}
   * once the body is sent); the writer starts again empty, on another buffer.
   */
  take(): { body: Buffer; owned: Buffer } {
    const owned = this.buffer;
    const body = owned.subarray(0, this.used);
    // The next body is likely as large as this one: room for it, so that it is not copied as it grows.
    const want = Math.max(this.initialBytes, Math.ceil(this.used * 1.25));
    this.buffer = this.free.pop() ?? Buffer.allocUnsafeSlow(want);
    this.used = 0;
    return { body, owned };
  }

  /** Empties the writer (nothing written is kept). */
  reset() {
    this.used = 0;
  }

  /** Nothing to ship for now: the buffers kept for the next bodies are let go, but one of the initial size. */
  idle() {
    this.used = 0;
    this.free.length = 0;
    if (this.buffer.length > this.initialBytes) this.buffer = Buffer.allocUnsafeSlow(this.initialBytes);
  }

  private reserve(bytes: number) {
    if (this.used + bytes <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.buffer.length * 2, this.used + bytes));
    this.buffer.copy(bigger, 0, 0, this.used);
    this.buffer = bigger;
  }
}

/** Free buffers kept: the bodies in flight and the one built ahead come back. */
const MAX_FREE = 6;
