/**
 * Reading an API answer that should be a file (a session recording, a site backup) without ever
 * saving an error page as one. Shared by archive/ (recordings) and backup/ (site backups), which
 * judge what they read in their own words:
 * - the header helpers (one value of a header; a Content-Length that is a plain decimal number);
 * - `readUpTo`: the start of an error body, to quote it (the reports' error answers use it too);
 * - `DownloadBody`: peeks at the first bytes before anything is written, reads an error answer up
 *   to a limit to quote it, and streams the file — its peeked head, then the rest — failing when
 *   the connection breaks or the byte count differs from the Content-Length;
 * - `sniffHead`: a file, or markup / text / nothing (an appliance refuses with HTTP 200 and an
 *   XML `<error>`; a proxy or login portal answers with an HTML page);
 * - the plain text of an error body (`errorElementText`, `plainText`), entities decoded.
 */
import type { Readable } from 'node:stream';

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

/** How the caller words the two ways a body can fail (its own error class and wording). */
export interface DownloadFailures {
  /** The connection broke (or the stream failed) after `bytes` bytes. */
  broken(error: unknown, bytes: number): Error;
  /** The body ended after `received` bytes where the Content-Length announced `declared`. */
  incomplete(received: number, declared: number): Error;
}

/**
 * One answer's body, read through its own iterator (each layer of async iteration costs every
 * chunk promises: a 2 GB recording is 130,000 TLS records). The stream is destroyed when the body
 * was read to its end, failed, or `destroy()` was called.
 */
export class DownloadBody {
  private readonly iterator: AsyncIterator<Buffer>;
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private received = 0;
  private ended = false;

  constructor(
    private readonly stream: Readable,
    private readonly declaredBytes: number | null,
    private readonly failures: DownloadFailures,
  ) {
    this.iterator = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  /** Reads until `bytes` bytes are here or the body ended: the first bytes, to judge the answer by. */
  async peek(bytes: number): Promise<{ first: Buffer; ended: boolean }> {
    while (!this.ended && this.headBytes < bytes) {
      const next = await this.next();
      if (next.done) break;
      this.head.push(next.value);
      this.headBytes += next.value.length;
    }
    return { first: Buffer.concat(this.head), ended: this.ended };
  }

  /**
   * The answer as text, up to about `limit` bytes (the peeked head included), to quote an error.
   * A body that breaks off still says what it says: what arrived is returned. Destroys the stream.
   */
  async text(limit: number): Promise<string> {
    let size = this.headBytes;
    try {
      while (!this.ended && size < limit) {
        const next = await this.next();
        if (next.done) break;
        this.head.push(next.value);
        size += next.value.length;
      }
    } catch {
      // A partial error body is enough.
    }
    this.destroy();
    return Buffer.concat(this.head).toString('utf8');
  }

  /**
   * The file's bytes: the peeked head, then the rest as it arrives; `onChunk` sees each chunk's
   * size. Fails (the caller's `failures`) when the connection breaks or the count differs from the
   * Content-Length — a file cut short is never complete.
   */
  async *chunks(onChunk?: (bytes: number) => void): AsyncGenerator<Buffer> {
    try {
      for (const chunk of this.head) {
        onChunk?.(chunk.length);
        yield chunk;
      }
      this.head.length = 0;
      for (;;) {
        const next = await this.next();
        if (next.done) break;
        onChunk?.(next.value.length);
        yield next.value;
      }
      if (this.declaredBytes !== null && this.received !== this.declaredBytes) {
        throw this.failures.incomplete(this.received, this.declaredBytes);
      }
    } finally {
      this.destroy();
    }
  }

  /** Stops the download: nothing more is read. */
  destroy(): void {
    this.stream.destroy();
  }

  private async next(): Promise<IteratorResult<Buffer>> {
    if (this.ended) return { done: true, value: undefined };
    let next: IteratorResult<Buffer>;
    try {
      next = await this.iterator.next();
    } catch (error) {
      throw this.failures.broken(error, this.received);
    }
    if (next.done) this.ended = true;
    else this.received += next.value.length;
    return next;
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
  text = text.replace(/^[\s—]+|[\s—]+$/g, '');
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
