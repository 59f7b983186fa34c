/**
 * The bytes of one `_bulk` body, written as they will be sent: each event's own text encoded once,
 * its session's part (most of the bytes, the same for all of a session's events) copied as bytes.
 * Sending a string body instead meant measuring it and encoding all of it to UTF-8 again, 100 MB
 * for 39,000 events, on the thread that also parses reports.
 */
export class BulkBodyWriter {
  private buffer: Buffer;
  private used = 0;

  constructor(private readonly initialBytes = 1024 * 1024) {
    this.buffer = Buffer.allocUnsafeSlow(initialBytes);
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

  /** The body written, as one buffer of its own; the writer starts again empty. */
  take(): Buffer {
    const body = this.buffer.subarray(0, this.used);
    // The next body is likely as large as this one: room for it, so that it is not copied as it grows.
    this.buffer = Buffer.allocUnsafeSlow(Math.max(this.initialBytes, Math.ceil(this.used * 1.25)));
    this.used = 0;
    return body;
  }

  private reserve(bytes: number) {
    if (this.used + bytes <= this.buffer.length) return;
    const bigger = Buffer.allocUnsafeSlow(Math.max(this.buffer.length * 2, this.used + bytes));
    this.buffer.copy(bigger, 0, 0, this.used);
    this.buffer = bigger;
  }
}
