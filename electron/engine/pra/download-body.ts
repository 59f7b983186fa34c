/**
 * Reading an API answer that should be a file (a session recording, a site backup) without ever
 * saving an error page as one. Shared by archive/ (recordings) and backup/ (site backups), which
 * judge what they read in their own words:
 * - the header helpers (one value of a header; a Content-Length that is a plain decimal number);
 * - `readUpTo`: the start of an error body, to quote it (the reports' error answers use it too);
 * - `DownloadBody`: peeks at the first bytes before anything is written, reads an error answer up
 *   to a limit to quote it, and streams the file — its peeked head, then the rest — failing when
 *   the connection breaks, the byte count differs from the Content-Length, or the bytes arrive
 *   below a minimum throughput (DownloadLimits);
 * - `sniffHead`: a file, or markup / text / nothing (an appliance refuses with HTTP 200 and an
 *   XML `<error>`; a proxy or login portal answers with an HTML page);
 * - the plain text of an error body (`errorElementText`, `plainText`), entities decoded.
 */
import type { Readable } from 'node:stream';
import { tooSlowError } from './body-guard.ts';

export type Headers = Record<string, string | string[] | undefined>;

/** The (first) value of a header, or undefined. */
export function headerValue(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Content-Length when the answer sent one that is a plain decimal number, else null (chunked). */
export function declaredLength(headers: Headers): number | null {
  const value = headerValue(headers, 'content-length');
  if (value === undefined || !/^\d+$/.test(value)) return null;
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : null;
}

/**
 * The start of an error body as text, up to about `limit` bytes. A body that breaks off still says
 * what it says (and its status tells the rest): what arrived is returned.
 */
export async function readUpTo(body: AsyncIterable<Buffer>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= limit) break;
    }
  } catch {
    // A partial error body is enough.
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * How slowly a download may arrive. Reports have the body guard (body-guard.ts: a window and an
 * overall deadline, a timer per chunk); a download cannot: a 2 GB recording may rightly take
 * longer than any fixed deadline, and a timer raced against each of its 130,000 chunks costs more
 * than the rest of the copy. So a download has only a minimum throughput, which bounds its time in
 * proportion to its size, checked cheaply: two Date.now() per chunk (tens of nanoseconds) to count
 * only the time spent waiting for the site — while the disk is busy the stream is paused and the
 * clock stops, so a slow disk never blames the site — and one interval timer per download that
 * catches a body that sends nothing at all (a check on arrival alone would wait for the next byte).
 */
export interface DownloadLimits {
  /** At least this many bytes must arrive per `windowMs` of waiting for the site. */
  minBytesPerWindow: number;
  windowMs: number;
}

/**
 * 256 KiB a minute (about 4 KiB/s) is far below any working link to an appliance, even shared by
 * several downloads; at that rate a 2 GB recording would still end within days rather than never.
 */
export const DEFAULT_DOWNLOAD_LIMITS: DownloadLimits = { minBytesPerWindow: 256 * 1024, windowMs: 60_000 };

/** What a DownloadBody needs besides its stream. */
export interface DownloadOptions {
  /** Content-Length, when the answer sent one. */
  declaredBytes: number | null;
  limits: DownloadLimits;
  /**
   * Longest silence of the site while it is being waited for (the site's timeout), as a socket's
   * idle timeout would have it, except that time the reader keeps the stream paused does not count.
   * Fails as `broken` with an ETIMEDOUT error. None by default.
   */
  silenceMs?: number;
  /** The download in the too-slow error's words: "The recording of session … from <host>". */
  what: string;
  failures: DownloadFailures;
}

/** How the caller words the two ways a body can fail (its own error class and wording). */
export interface DownloadFailures {
  /** The connection broke (or the stream failed) after `bytes` bytes. */
  broken(error: unknown, bytes: number): Error;
  /** The body ended after `received` bytes where the Content-Length announced `declared`. */
  incomplete(received: number, declared: number): Error;
}

/** What a reader does with one chunk: keep going, stop here (the stream pauses), or wait for the promise (the disk is behind). */
type ChunkVerdict = 'more' | 'enough' | Promise<void>;

/**
 * One answer's body, read from its stream's `data` events (no async iteration: each layer of it
 * costs every chunk a promise, and a 2 GB recording is 130,000 TLS records; `read()` would join
 * buffered chunks into new buffers). The stream is paused whenever no reader is running, and
 * destroyed when the body was read to its end, failed, or `destroy()` was called.
 */
export class DownloadBody {
  /** Chunks that arrived and were not handed to a writer yet (the peeked head). */
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private received = 0;
  private ended = false;
  private failure: Error | null = null;
  // The throughput window (DownloadLimits): time waited for the site and bytes received in it.
  private windowWaited = 0;
  private windowBytes = 0;
  /** When the current wait for the site began; null while no reader runs or the writer is busy. */
  private waitingSince: number | null = null;
  /** When the site last sent something, or the reader last resumed; null while no reader runs or the writer is busy. */
  private silentSince: number | null = null;
  private readonly watchdog: NodeJS.Timeout;
  /** The running reader: what to do with each chunk, and how to tell it the body ended or failed. */
  private reader: { onChunk: (chunk: Buffer) => ChunkVerdict; resolve: () => void; reject: (error: Error) => void; busy: boolean } | null = null;

  constructor(
    private readonly stream: Readable,
    private readonly options: DownloadOptions,
  ) {
    stream.pause();
    stream.on('data', (chunk: Buffer) => this.arrived(chunk));
    stream.once('end', () => {
      this.ended = true;
      clearInterval(this.watchdog);
      const reader = this.reader;
      if (reader && !reader.busy) {
        this.reader = null;
        reader.resolve();
      }
    });
    stream.on('error', (error) => this.fail(this.failure ?? this.options.failures.broken(error, this.received)));
    stream.once('close', () => {
      if (!this.ended) this.fail(this.failure ?? this.options.failures.broken(new Error('the connection closed before the end of the body'), this.received));
    });
    // A quarter of the window (or of the silence allowed): a silent body is stopped at most that late.
    this.watchdog = setInterval(() => this.watch(), Math.max(10, Math.min(options.limits.windowMs, options.silenceMs ?? Infinity) / 4));
    this.watchdog.unref();
  }

  /** Reads until `bytes` bytes are here or the body ended: the first bytes, to judge the answer by. */
  async peek(bytes: number): Promise<{ first: Buffer; ended: boolean }> {
    if (this.headBytes < bytes) await this.read((chunk) => this.keep(chunk, bytes));
    return { first: Buffer.concat(this.head), ended: this.ended };
  }

  /**
   * The answer as text, up to about `limit` bytes (the peeked head included), to quote an error.
   * A body that breaks off still says what it says: what arrived is returned. Destroys the stream.
   */
  async text(limit: number): Promise<string> {
    try {
      if (this.headBytes < limit) await this.read((chunk) => this.keep(chunk, limit));
    } catch {
      // A partial error body is enough.
    }
    this.destroy();
    return Buffer.concat(this.head).toString('utf8');
  }

  /**
   * Hands the file's bytes to `write` — the peeked head, then the rest as it arrives — waiting
   * whenever `write` returns a promise (the stream is paused meanwhile, and that time does not count
   * against the site); `onChunk` sees each chunk's size. Fails (the caller's `failures`, or what
   * `write` threw) when the connection breaks or the count differs from the Content-Length — a file
   * cut short is never complete. Destroys the stream.
   */
  async writeTo(write: (chunk: Buffer) => Promise<void> | undefined, onChunk?: (bytes: number) => void): Promise<void> {
    try {
      while (this.head.length > 0) {
        const chunk = this.head.shift()!;
        this.headBytes -= chunk.length;
        onChunk?.(chunk.length);
        const wait = write(chunk);
        if (wait) await wait;
      }
      await this.read((chunk) => {
        onChunk?.(chunk.length);
        return write(chunk) ?? 'more';
      });
      const declared = this.options.declaredBytes;
      if (declared !== null && this.received !== declared) throw this.options.failures.incomplete(this.received, declared);
    } finally {
      this.destroy();
    }
  }

  /** Stops the download: nothing more is read. */
  destroy(): void {
    clearInterval(this.watchdog);
    this.stream.destroy();
  }

  /** Adds `chunk` to the head; enough once the head holds `bytes`. */
  private keep(chunk: Buffer, bytes: number): ChunkVerdict {
    this.head.push(chunk);
    this.headBytes += chunk.length;
    return this.headBytes >= bytes ? 'enough' : 'more';
  }

  /** Runs `onChunk` on each chunk as it arrives, until it says enough or the body ends. */
  private read(onChunk: (chunk: Buffer) => ChunkVerdict): Promise<void> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.ended) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.reader = { onChunk, resolve, reject, busy: false };
      this.flow();
    });
  }

  private flow(): void {
    this.waitingSince = Date.now();
    this.silentSince = this.waitingSince;
    this.stream.resume();
  }

  private arrived(chunk: Buffer): void {
    const now = Date.now();
    // Since the wait began, or since the watchdog started a new window during it.
    if (this.waitingSince !== null) this.windowWaited += now - this.waitingSince;
    this.waitingSince = now;
    this.silentSince = now;
    this.received += chunk.length;
    this.windowBytes += chunk.length;
    if (this.windowWaited >= this.options.limits.windowMs) {
      if (this.windowBytes < this.options.limits.minBytesPerWindow) {
        this.fail(tooSlowError(this.options.what, this.windowBytes, this.windowWaited, this.options.limits));
        return;
      }
      this.windowWaited = 0;
      this.windowBytes = 0;
    }
    const reader = this.reader;
    if (!reader || reader.busy) {
      // Between readers (the stream is pausing): kept for the next one.
      this.head.push(chunk);
      this.headBytes += chunk.length;
      return;
    }
    let verdict: ChunkVerdict;
    try {
      verdict = reader.onChunk(chunk);
    } catch (error) {
      this.fail(error as Error);
      return;
    }
    if (verdict === 'more') return;
    this.stream.pause();
    this.waitingSince = null;
    this.silentSince = null;
    if (verdict === 'enough') {
      this.reader = null;
      reader.resolve();
      return;
    }
    reader.busy = true;
    verdict.then(
      () => {
        if (this.reader !== reader) return; // failed meanwhile
        reader.busy = false;
        // Chunks that came in while pausing go first, in order.
        while (this.head.length > 0 && this.reader === reader && !reader.busy) {
          const next = this.head.shift()!;
          this.headBytes -= next.length;
          this.received -= next.length; // counted again by arrived()
          this.windowBytes -= next.length;
          this.arrived(next);
        }
        if (this.reader !== reader || reader.busy) return;
        if (this.ended) {
          this.reader = null;
          reader.resolve();
          return;
        }
        this.flow();
      },
      (error: unknown) => this.fail(error as Error),
    );
  }

  /** The body failed: the running reader is told, the stream destroyed. */
  private fail(error: Error): void {
    this.failure ??= error;
    clearInterval(this.watchdog);
    this.waitingSince = null;
    this.silentSince = null;
    const reader = this.reader;
    this.reader = null;
    this.stream.destroy();
    reader?.reject(this.failure);
  }

  /** The interval timer: ends a window that passed while waiting for a byte that does not come. */
  private watch(): void {
    if (this.waitingSince === null) return; // no reader, or the writer is busy (the disk): the site is not to blame
    const now = Date.now();
    const silence = this.options.silenceMs;
    if (silence !== undefined && this.silentSince !== null && now - this.silentSince >= silence) {
      const timeout = Object.assign(new Error(`Timeout: no data for ${silence} ms`), { code: 'ETIMEDOUT' });
      this.fail(this.options.failures.broken(timeout, this.received));
      return;
    }
    const waited = this.windowWaited + (now - this.waitingSince);
    if (waited < this.options.limits.windowMs) return;
    if (this.windowBytes < this.options.limits.minBytesPerWindow) {
      this.fail(tooSlowError(this.options.what, this.windowBytes, waited, this.options.limits));
      return;
    }
    // Enough arrived in the window that ended: the next one starts now, during this same wait.
    this.windowWaited = 0;
    this.windowBytes = 0;
    this.waitingSince = now;
  }
}

/**
 * What the first bytes of a 200 answer are, when they are not a file:
 * - `empty`: no bytes, or only whitespace;
 * - `markup`: labelled XML, HTML or JSON, or starting with `<` (after a byte-order mark or
 *   whitespace). A recording never starts with `<` (FLV starts with "FLV", MP4 with a box size),
 *   nor does a backup;
 * - `text`: labelled `text/…`, or a whole body (it `ended` within the peek) that is all printable
 *   text, such as "Invalid credentials". Whether that can be a file is the caller's call;
 * - null: it may be a file.
 */
export function sniffHead(head: Buffer, contentType: string | undefined, ended: boolean): 'empty' | 'markup' | 'text' | null {
  if (head.length === 0) return 'empty';
  const type = (contentType ?? '').toLowerCase();
  if (/\b(xml|html|json)\b/.test(type)) return 'markup';
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)) i++;
  if (i === head.length) return 'empty';
  if (head[i] === 0x3c /* < */) return 'markup';
  if (type.startsWith('text/')) return 'text';
  if (ended && isText(head)) return 'text';
  return null;
}

/** True when the bytes are UTF-8 text without control characters other than tab, line feed and carriage return. */
function isText(bytes: Buffer): boolean {
  const text = bytes.toString('utf8');
  if (text.includes('\uFFFD')) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return false;
  }
  return true;
}

/** XML's character references and predefined entities (and CDATA sections) as the characters they stand for. */
export function decodeEntities(text: string): string {
  return text
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(Number.parseInt(n, 16)))
    .replace(/&amp;/g, '&');
}

/** CDATA sections' text kept, processing instructions and tags out, entities decoded, whitespace collapsed. */
function plain(markup: string): string {
  const untagged = markup
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1')
    .replace(/<\?[\s\S]*?\?>/g, ' ')
    .replace(/<[^>]*>/g, ' ');
  return decodeEntities(untagged).replace(/\s+/g, ' ').trim();
}

const ERROR_ELEMENT = /<(?:[\w.-]+:)?error\b[^>]*>([\s\S]*?)<\/(?:[\w.-]+:)?error>/i;

/** The text of the body's first `<error>` element (any namespace prefix), or null when it has none. */
export function errorElementText(body: string): string | null {
  const error = ERROR_ELEMENT.exec(body);
  return error ? plain(error[1]!) : null;
}

/**
 * The readable words of an error body: an XML `<error>`'s text, an HTML page's title and text, or
 * the text itself; entities decoded, whitespace collapsed, at most 300 characters.
 */
export function plainText(body: string): string {
  let text = errorElementText(body);
  if (text === null) {
    const title = /<title\b[^>]*>([\s\S]*?)<\/title>/i.exec(body);
    const page = plain(body.replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ').replace(/<title\b[\s\S]*?<\/title>/i, ' '));
    text = title ? `${plain(title[1]!)} — ${page}` : page;
  }
  text = text.replace(/^[\s\u2014]+|[\s\u2014]+$/g, ''); // white space and em dashes
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
