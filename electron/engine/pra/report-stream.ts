// The driver: the body's chunks → text (report-decoder.ts) → saxes, in slices of at most MAX_SLICE →
// a handler → the items it completed, yielded before the next slice is read; and whether the body
// ended as a complete report.
import { SaxesParser } from 'saxes';
import { PraError } from './errors.ts';
import { BodyDecoder } from './report-decoder.ts';
import { emptyBodyError, endedBeforeRootError, htmlPageError, notWellFormedError, notXmlError, truncatedReportError } from './report-failures.ts';
import type { Handler } from './report-handler.ts';
import type { SaxSource } from './report-raw-text.ts';

/** A response body: chunks of bytes (any `Uint8Array`, e.g. `Buffer`) or of already-decoded text. */
export type ReportBody = AsyncIterable<Uint8Array | string>;

/** Largest piece (bytes, or UTF-16 units for string chunks) handed to saxes at once; bounds the items queued between two yields. */
export const MAX_SLICE = 16 * 1024;
/** Characters kept from the start of the body to explain a failure (HTML page? not XML?). */
const HEAD_CHARS = 512;

export interface Expectation {
  report: string;
  root: string;
}

export async function* run<T>(body: ReportBody, handler: Handler<T>, expect: Expectation): AsyncGenerator<T> {
  const driver = new SaxDriver(handler, expect);
  const decoder = new BodyDecoder();
  for await (const chunk of body) {
    const length = chunk.length;
    for (let offset = 0; offset < length; offset += MAX_SLICE) {
      let text: string;
      if (typeof chunk === 'string') {
        text = decoder.pending() + (length <= MAX_SLICE ? chunk : chunk.slice(offset, offset + MAX_SLICE));
      } else {
        text = decoder.decode(length <= MAX_SLICE ? chunk : chunk.subarray(offset, offset + MAX_SLICE));
      }
      driver.write(text);
      if (handler.queue.length !== 0) {
        const items = handler.queue;
        handler.queue = [];
        for (const item of items) yield item;
      }
      if (driver.failure !== null) throw driver.failure;
    }
  }
  driver.write(decoder.pending());
  driver.finish();
  if (handler.queue.length !== 0) {
    const items = handler.queue;
    handler.queue = [];
    for (const item of items) yield item;
  }
  if (driver.failure !== null) throw driver.failure;
}

class SaxDriver<T> {
  failure: Error | null = null;
  private readonly parser: SaxesParser<{ xmlns: false; position: true }>;
  /** The first characters of the body (only collected until the root element opens). */
  private head = '';
  /** Whether anything but whitespace arrived before the root element. */
  private sawContent = false;

  constructor(
    private readonly handler: Handler<T>,
    private readonly expect: Expectation,
  ) {
    const parser = new SaxesParser({ xmlns: false, position: true });
    parser.on('opentag', (tag) => handler.onOpen(tag));
    parser.on('closetag', () => handler.onClose());
    parser.on('text', (text) => handler.onText(text));
    parser.on('cdata', (text) => handler.onText(text));
    parser.on('doctype', (doctype) => {
      if (/^\s*html\b/i.test(doctype)) throw htmlPageError();
    });
    this.parser = parser;
    // saxes 6 keeps the text it is reading and its index there (pinned in package.json): the
    // handler copies an event's XML text from it instead of rebuilding it from the parse.
    handler.source = parser as unknown as SaxSource;
  }

  write(text: string): void {
    if (text.length === 0 || this.failure !== null) return;
    if (!this.handler.rootSeen) {
      if (this.head.length < HEAD_CHARS) this.head += text.slice(0, HEAD_CHARS - this.head.length);
      if (!this.sawContent && /\S/.test(text)) this.sawContent = true;
    }
    try {
      this.parser.write(text);
      this.handler.afterWrite();
    } catch (err) {
      this.failure = this.explain(err);
    }
  }

  /** The body ended: decide whether the report was complete. */
  finish(): void {
    if (this.failure !== null) return;
    const { handler, expect } = this;
    if (!handler.rootSeen) {
      this.failure = !this.sawContent ? emptyBodyError(expect.report) : (notXmlError(this.head, expect.report) ?? endedBeforeRootError(expect.report));
      return;
    }
    if (!handler.rootClosed) {
      this.failure = truncatedReportError(expect.report, handler.rootName ?? expect.root);
      return;
    }
    try {
      this.parser.close();
    } catch (err) {
      this.failure = this.explain(err);
    }
  }

  private explain(err: unknown): Error {
    if (err instanceof PraError) return err;
    // saxes reports well-formedness errors as plain `Error`s; anything else is a bug, not the body's fault.
    if (!(err instanceof Error) || err.constructor !== Error) return err instanceof Error ? err : new Error(String(err));
    if (!this.handler.rootSeen) {
      const notXml = notXmlError(this.head, this.expect.report);
      if (notXml !== null) return notXml;
    }
    return notWellFormedError(this.expect.report, err);
  }
}
