/**
 * Streaming parser of PRA reporting answers (`generate_report=AccessSession` and
 * `AccessSessionListing`).
 *
 * Design:
 * - The body is consumed chunk by chunk: bytes are decoded with one streaming `TextDecoder` (so a
 *   multibyte UTF-8 character split across chunks is decoded correctly), the text is written to a
 *   `saxes` parser in slices of at most {@link MAX_SLICE}, and the items completed by each slice are
 *   yielded before the next slice is read. Nothing keeps the document: memory is bounded by the
 *   largest single `<event>` plus one session header (plus one slice), never by the report.
 * - saxes runs WITHOUT namespace processing (`xmlns: false`, about twice as fast as with it): the
 *   parser only looks at local names (`ns:session` → `session`) and drops `xmlns`/`xmlns:*`
 *   attributes, so the BeyondTrust namespace of any version (`…/sra/namespaces/API/reporting`,
 *   `…/namespaces/API/reporting`, the old bomgar.com one) or none at all are read alike.
 * - Sessions and events are kept as their XML text, copied from the text saxes reads (the start
 *   tag written again from its attributes, the rest as the appliance sent it): SessionHeader.xml
 *   is the `<session>` element minus `session_details`, SessionEvent.xml one `<event>`;
 *   {@link parseElementXml} reads either into a tree when the shipper needs one. Their typed fields
 *   are picked up on the way. A tree ({@link XmlElement}) is built only of the header's children
 *   that have typed fields (HEADER_FIELDS), and only until the header is emitted: a long session's
 *   other children (thousands of shell recordings, 5 MB of text) made a tree three times the size
 *   of their text. Elements the report does not define at those places (anything in
 *   `session_list` but `session`/`error`, anything in `session_details` but `event`) are skipped
 *   without building anything.
 * - Text in trees is raw: untrimmed, whitespace between elements included, CDATA merged, entities
 *   resolved. Typed fields are trimmed (except an event's `body`, which is content and kept as is).
 * - Items are yielded in document order: `session` when `<session_details>` opens (or at
 *   `</session>` when there is none), one `event` per `<event>` as soon as it closes, then
 *   `session-end`.
 * - Elements of a `<session>` AFTER its `session_details` (PRA's schema puts `session_details`
 *   last, so this is an anomaly): their text comes with `session-end` (`lateXml`), for the
 *   consumer to add to the header's text with {@link withLateContent} if it has not stored it yet;
 *   the header's typed fields describe what preceded `session_details`.
 *   The session's own character data after `session_details` opens (the indentation around it) is
 *   dropped, so a well-formed PRA report never changes a header after it was yielded. A second
 *   `session_details` in the same session continues the event ordinals.
 * - Failures: an `<error>` (root, or inside the list) throws {@link ReportError}, except PRA's
 *   localized "no data matches" text ({@link isNoDataText}), which just ends the report without
 *   items. An HTML page, a body that is not XML, an empty body, a wrong root, a declared encoding we
 *   cannot decode, or a body that ends before its root element closes throws
 *   {@link MalformedReportError}. Items completed before the failure have already been yielded (the
 *   consumer stores idempotently and advances its cursor only when the generator completes); the
 *   generator always throws at the point of failure, never ends as if the report were complete.
 *   An error of the body stream itself (network, TLS, timeout) propagates unchanged.
 */
import { TextDecoder } from 'node:util';
import { SaxesParser, type SaxesTagPlain } from 'saxes';
import { MalformedReportError, PraError, ReportError } from './errors.ts';
import { isNoDataText, isPermissionDeniedText } from './no-data-text.ts';
import type { Participant, ReportItem, SessionEvent, SessionHeader, SessionSummary } from './report-types.ts';
import { copyAttrs, localName, makeElement, openTagXml, parseElementXml, type XmlElement } from './xml-element.ts';

export { isNoDataText, NO_DATA_PHRASES } from './no-data-text.ts';

/** A response body: chunks of bytes (any `Uint8Array`, e.g. `Buffer`) or of already-decoded text. */
export type ReportBody = AsyncIterable<Uint8Array | string>;

/** Largest piece (bytes, or UTF-16 units for string chunks) handed to saxes at once; bounds the items queued between two yields. */
export const MAX_SLICE = 16 * 1024;
/** Most bytes held back to choose the character encoding (BOM, or the XML declaration's `encoding`). */
const SNIFF_BYTES = 512;
/** Characters kept from the start of the body to explain a failure (HTML page? not XML?). */
const HEAD_CHARS = 512;

/**
 * Parses an AccessSession report as it streams in. See the module comment for the items, the
 * memory bound and the failures.
 */
export function parseAccessSessionReport(body: ReportBody, options: ParseOptions = {}): AsyncGenerator<ReportItem> {
  return run(body, new AccessSessionHandler(options), { report: 'AccessSession', root: 'session_list' });
}

/** Parses an AccessSessionListing report (`<session_summary_list>`) as it streams in. */
export function parseAccessSessionListing(body: ReportBody, options: ParseOptions = {}): AsyncGenerator<SessionSummary> {
  return run(body, new ListingHandler(options), { report: 'AccessSessionListing', root: 'session_summary_list' });
}

export interface ParseOptions {
  /**
   * Texts this site is known to answer when nothing matches (learned by asking it for a window in
   * which no session can exist; see PraClient.learnNoDataText), in addition to {@link isNoDataText}.
   */
  isNoData?: (text: string) => boolean;
}

// ---------------------------------------------------------------------------------------------
// Driver: bytes → text → saxes → handler → items
// ---------------------------------------------------------------------------------------------

interface Expectation {
  report: string;
  root: string;
}

async function* run<T>(body: ReportBody, handler: Handler<T>, expect: Expectation): AsyncGenerator<T> {
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
      if (!this.sawContent) {
        this.failure = new MalformedReportError(`The site answered with an empty body instead of an ${expect.report} report.`);
      } else {
        const notXml = this.explainHead();
        this.failure =
          notXml ??
          new MalformedReportError(
            `The ${expect.report} report from the site ended before its first element (the connection was probably cut). The partial answer is not accepted; try again.`,
          );
      }
      return;
    }
    if (!handler.rootClosed) {
      this.failure = new MalformedReportError(
        `The ${expect.report} report from the site ended before it was complete (the connection was probably cut, or the site stopped while sending): <${handler.rootName ?? expect.root}> was never closed. The partial report is not accepted; try again.`,
      );
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
    const detail = err.message;
    if (!this.handler.rootSeen) {
      const notXml = this.explainHead();
      if (notXml !== null) return notXml;
    }
    return new MalformedReportError(
      `The ${this.expect.report} report from the site is not well-formed XML (${detail}). It may have been damaged on the way; try again, and if it keeps happening check any proxy between this computer and the site.`,
      { cause: err },
    );
  }

  /** An HTML page or a non-XML body, recognised from the first characters; null if it starts like XML. */
  private explainHead(): MalformedReportError | null {
    const head = this.head;
    if (HTML_START.test(head)) return htmlPageError();
    const start = head.replace(/^\s+/, '');
    if (start.length !== 0 && start[0] !== '<') {
      const looksJson = start[0] === '{' || start[0] === '[';
      return new MalformedReportError(
        `The site answered with ${looksJson ? 'JSON' : 'something that is not XML'} instead of an ${this.expect.report} report (it begins with ${snippet(start)}). Check the site address and any proxy between this computer and the site.`,
      );
    }
    return null;
  }
}

const HTML_START = /^\s*(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b/i;
/** Root elements that mean "an HTML page" even without `<html>` (hand-written error pages). */
const HTML_ROOTS = new Set(['html', 'head', 'body', 'title', 'h1', 'p', 'div', 'center', 'pre']);

function htmlPageError(): MalformedReportError {
  return new MalformedReportError(
    'The site answered with an HTML page instead of a report (a proxy or login page?). Check the site address, and any proxy or single sign-on between this computer and the site.',
  );
}

/** A short, printable, quoted excerpt for an error message. */
function snippet(text: string): string {
  const cleaned = text.slice(0, 60).replace(/\p{Cc}+/gu, ' ').trim();
  return JSON.stringify(text.length > 60 ? `${cleaned}…` : cleaned);
}

/**
 * Bytes → text with one streaming decoder, so characters split across chunks survive. The encoding
 * is UTF-8 unless the first bytes say otherwise: a UTF-16 BOM or `<?` pattern, or the XML
 * declaration's `encoding` (PRA always sends UTF-8; the rest is cheap insurance).
 */
class BodyDecoder {
  private decoder: TextDecoder | null = null;
  private held: Uint8Array[] = [];
  private heldLength = 0;

  decode(bytes: Uint8Array): string {
    if (this.decoder !== null) return this.decoder.decode(bytes, { stream: true });
    this.held.push(bytes);
    this.heldLength += bytes.length;
    return this.canDecide() ? this.start() : '';
  }

  /** Enough bytes to choose: the XML declaration is complete, or there is none, or SNIFF_BYTES are in. */
  private canDecide(): boolean {
    if (this.heldLength >= SNIFF_BYTES) return true;
    if (this.held.length > 1) this.held = [Buffer.concat(this.held)];
    const b = this.held[0]!;
    if (b.length < 4) return false;
    const start = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
    const declaration = [0x3c, 0x3f, 0x78, 0x6d, 0x6c]; // "<?xml"
    for (let i = 0; i < declaration.length; i++) {
      if (start + i >= b.length) return false; // too short to tell
      if (b[start + i] !== declaration[i]) return true; // no declaration (or UTF-16, which has a BOM or NULs)
    }
    return Buffer.from(b.buffer, b.byteOffset, b.length).includes('?>');
  }

  /** The text of whatever is still held back (incomplete characters are replaced); resets the decoder. */
  pending(): string {
    if (this.decoder !== null) return this.decoder.decode();
    return this.heldLength === 0 ? '' : this.start() + this.flush();
  }

  private flush(): string {
    return this.decoder?.decode() ?? '';
  }

  private start(): string {
    const bytes = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held);
    this.held = [];
    this.heldLength = 0;
    this.decoder = new TextDecoder(detectEncoding(bytes));
    return this.decoder.decode(bytes, { stream: true });
  }
}

function detectEncoding(b: Uint8Array): string {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 'utf-8';
  if (b[0] === 0xff && b[1] === 0xfe) return 'utf-16le';
  if (b[0] === 0xfe && b[1] === 0xff) return 'utf-16be';
  if (b[0] === 0x3c && b[1] === 0x00 && b[2] === 0x3f && b[3] === 0x00) return 'utf-16le';
  if (b[0] === 0x00 && b[1] === 0x3c && b[2] === 0x00 && b[3] === 0x3f) return 'utf-16be';
  const head = Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, SNIFF_BYTES)).toString('latin1');
  const declared = /^\s*<\?xml\s[^>]*?\bencoding\s*=\s*["']([A-Za-z][\w.:-]*)["']/.exec(head)?.[1];
  if (declared === undefined) return 'utf-8';
  let encoding: string;
  try {
    encoding = new TextDecoder(declared).encoding;
  } catch {
    throw new MalformedReportError(`The report declares the character encoding "${declared}", which this program cannot read.`);
  }
  // A UTF-16 label on ASCII-compatible bytes is a lie: the bytes win.
  return encoding.startsWith('utf-16') ? 'utf-8' : encoding;
}

// ---------------------------------------------------------------------------------------------
// Handlers: saxes events → trees and items
// ---------------------------------------------------------------------------------------------

interface Handler<T> {
  queue: T[];
  rootSeen: boolean;
  rootClosed: boolean;
  rootName: string | null;
  source: SaxSource;
  onOpen(tag: SaxesTagPlain): void;
  onClose(): void;
  onText(text: string): void;
  /**
   * The parser has read the text it was given: all of it, except a final carriage return or half
   * of a surrogate pair, which it keeps out of `chunk` and puts at the start of the next one.
   */
  afterWrite(): void;
}

/**
 * What saxes is reading: the text of the current write (`chunk`) and the index just past the
 * character it read last (`i`). When an `opentag` or `closetag` event fires, `i` is just past the
 * tag's `>`.
 */
interface SaxSource {
  readonly chunk: string;
  readonly i: number;
  /** What saxes is in the middle of reading at `i` (its S_… constants; saxes is pinned to 6.0.0). */
  readonly state: number;
  /** In an entity (S_ENTITY), the state it returns to: that of the text or attribute value it is in. */
  readonly entityReturnState: number | undefined;
}

/**
 * Whether saxes is inside a start tag: from its `<` (S_OPEN_WAKA) up to before its `>`
 * (S_OPEN_TAG … S_ATTRIB_VALUE_UNQUOTED), an entity in an attribute value included.
 */
function inStartTag({ state, entityReturnState }: SaxSource): boolean {
  const at = state === 14 /* S_ENTITY */ ? (entityReturnState ?? 0) : state;
  return at === 15 || (at >= 34 && at <= 42);
}

/**
 * The text of a start tag that the current write ends inside of (from its `<`), given that of the
 * write before; empty when the write does not end inside a tag.
 */
function startTagTail(source: SaxSource, before: string): string {
  if (!inStartTag(source)) return '';
  const at = source.chunk.lastIndexOf('<');
  return at === -1 ? before + source.chunk : source.chunk.slice(at);
}

/** What the element at the bottom of the capture stack is. */
const CAPTURE_NONE = 0;
const CAPTURE_HEADER = 1;
const CAPTURE_ERROR = 3;

/** Root handling, `<error>` handling, skipping and tree capture shared by both reports. */
abstract class BaseHandler<T> implements Handler<T> {
  queue: T[] = [];
  rootSeen = false;
  rootClosed = false;
  rootName: string | null = null;
  /** Depth of the element being read (root = 1). */
  protected depth = 0;
  /** Depth of the element being skipped with its descendants (0: none). */
  protected ignoreDepth = 0;
  /** The tree being built: its bottom is the captured element, its top the innermost open one. */
  protected readonly stack: XmlElement[] = [];
  protected capture = CAPTURE_NONE;
  source: SaxSource = { chunk: '', i: 0, state: 0, entityReturnState: undefined };

  constructor(
    private readonly expectedRoot: string,
    private readonly report: string,
    private readonly options: ParseOptions,
  ) {}

  abstract onOpen(tag: SaxesTagPlain): void;
  abstract onClose(): void;
  afterWrite(): void {}

  onText(text: string): void {
    const stack = this.stack;
    if (stack.length !== 0) stack[stack.length - 1]!.text += text;
  }

  /** Appends a child to the element being built; true when a tree is being built. */
  protected captureChild(name: string, tag: SaxesTagPlain): boolean {
    const stack = this.stack;
    const n = stack.length;
    if (n === 0) return false;
    const el = makeElement(name, tag.attributes);
    stack[n - 1]!.children.push(el);
    stack.push(el);
    return true;
  }

  protected startCapture(el: XmlElement, kind: number): void {
    this.stack.push(el);
    this.capture = kind;
  }

  protected openRoot(name: string, tag: SaxesTagPlain): void {
    this.rootSeen = true;
    this.rootName = name;
    if (name === this.expectedRoot) return;
    if (name === 'error') {
      this.startCapture(makeElement(name, tag.attributes), CAPTURE_ERROR);
      return;
    }
    if (HTML_ROOTS.has(name.toLowerCase())) throw htmlPageError();
    throw new MalformedReportError(
      `The site answered with a <${name}> document instead of an ${this.report} report (<${this.expectedRoot}>): either the request asked for another report, or something between this computer and the site answered instead of it.`,
    );
  }

  /** A complete `<error>`: "no data" is ignored, anything else is thrown. */
  protected finishError(el: XmlElement): void {
    const text = textContent(el).trim();
    if (isNoDataText(text) || this.options.isNoData?.(text)) return;
    const code = el.attrs.code ?? '';
    const permissionDenied = isPermissionDeniedText(text) || /permission|denied|forbidden|unauthori[sz]ed|not_?allowed/i.test(code);
    throw new ReportError(text, permissionDenied);
  }
}

/** The children of an `<event>` that have a typed field of their own. */
const FIELD_NONE = 0;
const FIELD_PERFORMED_BY = 1;
const FIELD_DESTINATION = 2;
const FIELD_BODY = 3;
const FIELD_ENCODED_BODY = 4;
const EVENT_FIELDS = new Map([
  ['performed_by', FIELD_PERFORMED_BY],
  ['destination', FIELD_DESTINATION],
  ['body', FIELD_BODY],
  ['encoded_body', FIELD_ENCODED_BODY],
]);

/**
 * The XML text of an element being read, exactly as the appliance sent it (start tag included),
 * copied from what saxes reads, whatever the chunking.
 *
 * Taking the start tag from the text rather than writing it again from its attributes also keeps
 * most events one slice of the write they came in: a string of two pieces is copied into one
 * (flattened) when it is handed to the store writer thread, which cost the benchmark's main
 * thread about a second per million events.
 */
class RawText {
  /** The XML text so far, and where in the parser's current text the rest of it starts. */
  xml: string;
  start: number;
  readonly selfClosing: boolean;

  /** `tagHead`: the start tag's text from earlier writes (startTagTail), when it began in one. */
  constructor(tag: SaxesTagPlain, source: SaxSource, tagHead: string) {
    this.selfClosing = tag.isSelfClosing;
    // saxes has just read the tag's `>`. A `<` cannot occur inside a tag, so the last one before
    // is where the tag began, if it began in this write.
    const at = source.chunk.lastIndexOf('<', source.i - 1);
    if (at !== -1) {
      this.xml = '';
      this.start = at;
    } else if (tagHead !== '') {
      this.xml = tagHead;
      this.start = 0;
    } else {
      // Not expected (saxes read a tag whose `<` was seen nowhere): the same tag, written again.
      this.xml = openTagXml(tag.name, tag.attributes, tag.isSelfClosing);
      this.start = source.i;
      return;
    }
    if (this.selfClosing) this.xml += source.chunk.slice(this.start, source.i);
  }

  /** The write is over and the element goes on in the next one: keep what it has of this one. */
  carry(source: SaxSource): void {
    this.xml += source.chunk.slice(this.start);
    this.start = 0;
  }

  /** The text up to where saxes is (just past the tag it reported last). */
  upToHere(source: SaxSource): string {
    return this.selfClosing ? this.xml : this.xml + source.chunk.slice(this.start, source.i);
  }
}

/** The `<event>` being read. No tree is built for it: its typed fields are picked up on the way, and its text is copied. */
class EventCapture extends RawText implements EventFields {
  /** Depth of the `<event>` element. */
  readonly depth: number;
  readonly timestamp: string | undefined;
  readonly eventType: string | undefined;
  performedBy: SessionEvent['performedBy'] = null;
  destination: SessionEvent['destination'] = null;
  body: string | null = null;
  encodedBody: string | null = null;
  /** The typed child being read (at depth + 1), its attributes and its own text. */
  field = FIELD_NONE;
  fieldAttrs: Record<string, string> = {};
  fieldText = '';

  constructor(tag: SaxesTagPlain, depth: number, source: SaxSource, tagHead: string) {
    super(tag, source, tagHead);
    this.depth = depth;
    const attrs = copyAttrs(tag.attributes);
    this.timestamp = attrs.timestamp;
    this.eventType = attrs.event_type;
  }

  closeField(): void {
    setField(this, this.field, this.fieldAttrs, this.fieldText);
    this.field = FIELD_NONE;
    this.fieldText = '';
  }

  finish(source: SaxSource, ordinal: number): SessionEvent {
    const xml = this.upToHere(source);
    return {
      ordinal,
      timestamp: parseTimestamp(this.timestamp),
      eventType: this.eventType ?? '',
      performedBy: this.performedBy,
      destination: this.destination,
      body: bodyOf(this),
      xml,
    };
  }
}

/** What an event's typed fields are read from (its children `performed_by`, `destination`, `body`, `encoded_body`). */
interface EventFields {
  performedBy: SessionEvent['performedBy'];
  destination: SessionEvent['destination'];
  body: string | null;
  encodedBody: string | null;
}

/** A typed child of an event, read: the last one of each name wins. */
function setField(fields: EventFields, field: number, attrs: Record<string, string>, text: string): void {
  switch (field) {
    case FIELD_PERFORMED_BY:
      fields.performedBy = participantRef(attrs, text);
      break;
    case FIELD_DESTINATION:
      fields.destination = participantRef(attrs, text);
      break;
    case FIELD_BODY:
      fields.body = text;
      break;
    case FIELD_ENCODED_BODY:
      fields.encodedBody = text;
      break;
  }
}

/** `body` as it is (content, not trimmed), or `encoded_body` decoded from base64 when there is no body. */
function bodyOf({ body, encodedBody }: EventFields): string | null {
  if ((body === null || body === '') && encodedBody !== null && encodedBody.trim() !== '') return Buffer.from(encodedBody, 'base64').toString('utf8');
  return body;
}

/**
 * The typed fields of an event read back from its XML text (SessionEvent.xml), as the parser
 * read them from the report: what the session store does not keep apart from the text.
 */
export function eventFieldsOf(xml: string): Pick<SessionEvent, 'performedBy' | 'destination' | 'body'> {
  const fields: EventFields = { performedBy: null, destination: null, body: null, encodedBody: null };
  for (const child of parseElementXml(xml).children) {
    const field = EVENT_FIELDS.get(child.name);
    if (field !== undefined) setField(fields, field, child.attrs, child.text);
  }
  return { performedBy: fields.performedBy, destination: fields.destination, body: bodyOf(fields) };
}

function participantRef(attrs: Record<string, string>, text: string): NonNullable<SessionEvent['performedBy']> {
  return { type: nonEmpty(attrs.type), gsnumber: nonEmpty(attrs.gsnumber), name: text.trim() };
}

class AccessSessionHandler extends BaseHandler<ReportItem> {
  /** The open `<session>`: its typed children's tree, until the header is emitted. */
  private session: XmlElement | null = null;
  /** A `<session>` is open (its header emitted or not). */
  private inSession = false;
  /** Its start tag's qualified name, for the end tag of its header's text. */
  private sessionQName = '';
  private headerEmitted = false;
  /**
   * The text of its elements after `session_details` (see the module comment), told at its end. The
   * emitted header itself is not kept: a long session's header is megabytes of text, and its
   * consumer lets it go once stored instead of for the minutes its events take.
   */
  private late = '';
  private lsid: string | null = null;
  private eventCount = 0;
  /** The text of a start tag begun in an earlier write and not closed yet (startTagTail). */
  private tagHead = '';
  /** A `session_details` (depth 3) is open. */
  private inDetails = false;
  /** The text of the session before its header is emitted, or of an element after its `session_details`. */
  private raw: RawText | null = null;
  /** Depth of a header child that is read as text only (not in HEADER_FIELDS); 0: none. */
  private untyped = 0;
  private event: EventCapture | null = null;

  constructor(options: ParseOptions) {
    super('session_list', 'AccessSession', options);
  }

  onOpen(tag: SaxesTagPlain): void {
    const d = ++this.depth;
    const event = this.event;
    if (event !== null) {
      if (d === event.depth + 1) {
        const field = EVENT_FIELDS.get(localName(tag.name));
        if (field !== undefined) {
          event.field = field;
          event.fieldAttrs = copyAttrs(tag.attributes);
          event.fieldText = '';
        }
      }
      return;
    }
    if (this.untyped !== 0) return;
    const name = localName(tag.name);
    if (this.stack.length !== 0) {
      if (d === 3 && this.capture === CAPTURE_HEADER) {
        if (name === 'session_details') {
          this.stack.length = 0;
          this.capture = CAPTURE_NONE;
          this.emitHeader(true);
          this.inDetails = true;
          return;
        }
        if (!HEADER_FIELDS.has(name)) {
          this.untyped = d;
          return;
        }
      }
      this.captureChild(name, tag);
      return;
    }
    if (this.ignoreDepth !== 0) return;
    switch (d) {
      case 1:
        this.openRoot(name, tag);
        return;
      case 2:
        if (name === 'session') {
          const el = makeElement(name, tag.attributes);
          this.session = el;
          this.inSession = true;
          this.sessionQName = tag.name;
          this.late = '';
          this.headerEmitted = false;
          this.raw = new RawText(tag, this.source, this.tagHead);
          this.lsid = null;
          this.eventCount = 0;
          this.startCapture(el, CAPTURE_HEADER);
        } else if (name === 'error') {
          this.startCapture(makeElement(name, tag.attributes), CAPTURE_ERROR);
        } else {
          this.ignoreDepth = d;
        }
        return;
      case 3:
        // Inside a <session> whose header was already emitted.
        if (!this.inSession) {
          this.ignoreDepth = d;
        } else if (name === 'session_details') {
          this.inDetails = true;
        } else {
          // Late content: its text is added to the header's when it closes (the ignored element's end).
          this.raw = new RawText(tag, this.source, this.tagHead);
          this.ignoreDepth = d;
        }
        return;
      case 4:
        if (this.inDetails && name === 'event') this.event = new EventCapture(tag, d, this.source, this.tagHead);
        else this.ignoreDepth = d;
        return;
      default:
        this.ignoreDepth = d;
    }
  }

  onClose(): void {
    const d = this.depth--;
    const event = this.event;
    if (event !== null) {
      if (d === event.depth) {
        this.event = null;
        this.queue.push({ type: 'event', lsid: this.lsid, event: event.finish(this.source, this.eventCount++) });
      } else if (d === event.depth + 1 && event.field !== FIELD_NONE) {
        event.closeField();
      }
      return;
    }
    if (this.untyped !== 0) {
      if (d === this.untyped) this.untyped = 0;
      return;
    }
    const stack = this.stack;
    if (stack.length !== 0) {
      const el = stack.pop()!;
      if (stack.length !== 0) return;
      const kind = this.capture;
      this.capture = CAPTURE_NONE;
      if (kind === CAPTURE_HEADER) {
        this.endSession();
      } else if (kind === CAPTURE_ERROR) {
        if (d === 1) this.rootClosed = true;
        this.finishError(el);
      }
      return;
    }
    if (this.ignoreDepth !== 0) {
      if (d === this.ignoreDepth) {
        this.ignoreDepth = 0;
        if (d === 3 && this.raw !== null) this.addLateContent(this.raw.upToHere(this.source));
      }
      return;
    }
    if (d === 3) this.inDetails = false;
    else if (d === 2) this.endSession();
    else if (d === 1) this.rootClosed = true;
  }

  override onText(text: string): void {
    const event = this.event;
    if (event === null) {
      // The session's own text (the indentation between its children) is in its XML text already.
      if (this.untyped === 0 && !(this.capture === CAPTURE_HEADER && this.stack.length === 1)) super.onText(text);
    } else if (event.field !== FIELD_NONE && this.depth === event.depth + 1) {
      event.fieldText += text;
    }
  }

  override afterWrite(): void {
    // The element goes on in the next write: keep what it has of this one.
    (this.event ?? this.raw)?.carry(this.source);
    this.tagHead = startTagTail(this.source, this.tagHead);
  }

  /**
   * `atDetails`: `<session_details>` has just opened, and its start tag (the last `<` read: a tag
   * holds no other) ends the header's text; otherwise `</session>` has just closed it.
   */
  private emitHeader(atDetails: boolean): void {
    const raw = this.raw!;
    this.raw = null;
    let xml: string;
    if (!atDetails) {
      xml = raw.upToHere(this.source);
    } else {
      // The `<` is looked for in this write's text: searching the whole text would flatten it
      // (for a long session, a copy of megabytes) only to be cut and copied again when stored.
      const source = this.source;
      const tagStart = source.chunk.lastIndexOf('<', source.i - 1);
      if (tagStart >= raw.start) {
        xml = raw.xml + source.chunk.slice(raw.start, tagStart);
      } else {
        // The start tag began in an earlier write.
        const text = raw.upToHere(source);
        xml = text.slice(0, text.lastIndexOf('<'));
      }
      xml += `</${this.sessionQName}>`;
    }
    const header = buildHeader(this.session!, xml);
    this.session = null;
    this.headerEmitted = true;
    this.lsid = header.lsid;
    this.queue.push({ type: 'session', header });
  }

  /** An element after `session_details`: told with the session's end. */
  private addLateContent(text: string): void {
    this.raw = null;
    this.late += text;
  }

  private endSession(): void {
    if (!this.inSession) return;
    if (!this.headerEmitted) this.emitHeader(false);
    const end: Extract<ReportItem, { type: 'session-end' }> = { type: 'session-end', lsid: this.lsid, eventCount: this.eventCount };
    if (this.late !== '') end.lateXml = this.late;
    this.queue.push(end);
    this.inSession = false;
    this.late = '';
    this.lsid = null;
    this.inDetails = false;
  }
}

class ListingHandler extends BaseHandler<SessionSummary> {
  constructor(options: ParseOptions) {
    super('session_summary_list', 'AccessSessionListing', options);
  }

  onOpen(tag: SaxesTagPlain): void {
    const d = ++this.depth;
    const name = localName(tag.name);
    if (this.captureChild(name, tag)) return;
    if (this.ignoreDepth !== 0) return;
    if (d === 1) {
      this.openRoot(name, tag);
      return;
    }
    if (d === 2 && name === 'error') {
      this.startCapture(makeElement(name, tag.attributes), CAPTURE_ERROR);
      return;
    }
    if (d === 2 && name === 'session_summary') {
      const attrs = copyAttrs(tag.attributes);
      const lsid = nonEmpty(attrs.lsid);
      // A summary without lsid cannot be fetched: skipped rather than failing the whole listing.
      if (lsid !== null) this.queue.push({ lsid, hasRecording: parseBoolean(attrs.has_recording) === true });
    }
    this.ignoreDepth = d;
  }

  onClose(): void {
    const d = this.depth--;
    const stack = this.stack;
    if (stack.length !== 0) {
      const el = stack.pop()!;
      if (stack.length === 0) {
        this.capture = CAPTURE_NONE;
        if (d === 1) this.rootClosed = true;
        this.finishError(el);
      }
      return;
    }
    if (this.ignoreDepth !== 0) {
      if (d === this.ignoreDepth) this.ignoreDepth = 0;
      return;
    }
    if (d === 1) this.rootClosed = true;
  }
}

// ---------------------------------------------------------------------------------------------
// Trees and typed fields
// ---------------------------------------------------------------------------------------------

/** All character data of an element and its descendants, in document order. */
function textContent(el: XmlElement): string {
  if (el.children.length === 0) return el.text;
  // The tree keeps an element's own text apart from its children's: own text first, then each child's.
  let out = el.text;
  for (const child of el.children) out += textContent(child);
  return out;
}

/** A string with the same characters that shares no memory with `s`: flattening the concatenation copies them. */
function ownCopy(s: string): string {
  return (' ' + s).slice(1);
}

function nonEmpty(value: string | undefined): string | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  return trimmed === '' ? null : trimmed;
}

function textOf(el: XmlElement): string | null {
  return nonEmpty(el.text);
}

/** `xs:unsigned*` text → number; anything else (empty, `Unknown`) → null. */
function parseUnsigned(value: string | undefined): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  return /^\d+$/.test(trimmed) ? Number(trimmed) : null;
}

function parseBoolean(value: string | undefined): boolean | null {
  switch (value?.trim().toLowerCase()) {
    case '1':
    case 'true':
    case 'yes':
      return true;
    case '0':
    case 'false':
    case 'no':
      return false;
    default:
      return null;
  }
}

const ISO_ZONE = /(?:z|[+-]\d\d(?::?\d\d)?)$/i;

/**
 * A timestamp as Unix seconds: numeric text as is (fractions floored), ISO 8601 text converted
 * (no zone means UTC, as everywhere in PRA's API); empty or unreadable → null.
 */
export function parseTimestamp(value: string | undefined): number | null {
  if (value === undefined) return null;
  const trimmed = value.trim();
  if (trimmed === '') return null;
  if (/^-?\d+(?:\.\d+)?$/.test(trimmed)) return Math.floor(Number(trimmed));
  const iso = /^\d{4}-\d\d-\d\dT/i.test(trimmed) && !ISO_ZONE.test(trimmed) ? `${trimmed}Z` : trimmed;
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

/** `start_time` / `end_time`: the `timestamp` attribute, else the ISO text; empty → null (in progress). */
function timeOf(el: XmlElement): number | null {
  return parseTimestamp(el.attrs.timestamp) ?? parseTimestamp(el.text);
}

/** The header with the text of its elements after `session_details` (a `session-end`'s `lateXml`) added before its end tag. */
export function withLateContent(header: SessionHeader, lateXml: string): SessionHeader {
  const end = header.xml.lastIndexOf('</');
  return end === -1 ? header : { ...header, xml: header.xml.slice(0, end) + lateXml + header.xml.slice(end) };
}

/** The children of a `<session>` that buildHeader reads typed fields from: the only ones it gets a tree of. */
const HEADER_FIELDS = new Set([
  'session_type',
  'lseq',
  'start_time',
  'end_time',
  'duration',
  'external_key',
  'jump_group',
  'jumpoint',
  'primary_customer',
  'primary_rep',
  'file_transfer_count',
  'file_move_count',
  'file_delete_count',
  'custom_attributes',
  'customer_list',
  'rep_list',
]);

/** The header of a session from the tree of its typed children and its XML text. */
function buildHeader(session: XmlElement, xml: string): SessionHeader {
  const lsid = nonEmpty(session.attrs.lsid);
  const header: SessionHeader = {
    // A copy: saxes cuts attribute values from the text it reads, and a slice keeps that whole text
    // (~16 KB of the body) alive. The lsid outlives the session (the extractor collects the lsids of
    // a report); kept as a slice, a 93 MB report held ~600 such texts, 19 MB (a heap snapshot).
    lsid: lsid === null ? null : ownCopy(lsid),
    sessionType: null,
    lseq: null,
    startTime: null,
    endTime: null,
    duration: null,
    externalKey: null,
    jumpGroup: null,
    jumpoint: null,
    primaryCustomer: null,
    primaryRep: null,
    fileTransferCount: null,
    fileMoveCount: null,
    fileDeleteCount: null,
    customAttributes: [],
    customers: [],
    reps: [],
    xml,
  };
  for (const c of session.children) {
    switch (c.name) {
      case 'session_type':
        header.sessionType = textOf(c);
        break;
      case 'lseq':
        header.lseq = textOf(c);
        break;
      case 'start_time':
        header.startTime = timeOf(c);
        break;
      case 'end_time':
        header.endTime = timeOf(c);
        break;
      case 'duration':
        header.duration = textOf(c);
        break;
      case 'external_key':
        header.externalKey = textOf(c);
        break;
      case 'jump_group':
        header.jumpGroup = { id: nonEmpty(c.attrs.id), type: nonEmpty(c.attrs.type), name: c.text.trim() };
        break;
      case 'jumpoint':
        header.jumpoint = { id: nonEmpty(c.attrs.id), name: c.text.trim() };
        break;
      case 'primary_customer':
        header.primaryCustomer = { gsnumber: nonEmpty(c.attrs.gsnumber), name: c.text.trim() };
        break;
      case 'primary_rep':
        header.primaryRep = { gsnumber: nonEmpty(c.attrs.gsnumber), id: nonEmpty(c.attrs.id), name: c.text.trim() };
        break;
      case 'file_transfer_count':
        header.fileTransferCount = parseUnsigned(c.text);
        break;
      case 'file_move_count':
        header.fileMoveCount = parseUnsigned(c.text);
        break;
      case 'file_delete_count':
        header.fileDeleteCount = parseUnsigned(c.text);
        break;
      case 'custom_attributes':
        for (const a of c.children) {
          if (a.name === 'custom_attribute') {
            header.customAttributes.push({ codeName: a.attrs.code_name ?? '', displayName: a.attrs.display_name ?? '', value: a.text.trim() });
          }
        }
        break;
      case 'customer_list':
        for (const p of c.children) if (p.name === 'customer') header.customers.push(buildParticipant('customer', p));
        break;
      case 'rep_list':
        for (const p of c.children) if (p.name === 'representative') header.reps.push(buildParticipant('representative', p));
        break;
    }
  }
  return header;
}

/** Values are kept as the appliance wrote them (trimmed): `Unknown`, or an IP with a port, included. */
function buildParticipant(kind: Participant['kind'], el: XmlElement): Participant {
  const p: Participant = {
    kind,
    gsnumber: el.attrs.gsnumber?.trim() ?? '',
    id: nonEmpty(el.attrs.id),
    username: null,
    displayName: null,
    publicIp: null,
    privateIp: null,
    hostname: null,
    os: null,
    sessionOwner: null,
    secondsInvolved: null,
  };
  for (const c of el.children) {
    switch (c.name) {
      case 'username':
        p.username = textOf(c);
        break;
      case 'display_name':
        p.displayName = textOf(c);
        break;
      case 'public_ip':
        p.publicIp = textOf(c);
        break;
      case 'private_ip':
        p.privateIp = textOf(c);
        break;
      case 'hostname':
        p.hostname = textOf(c);
        break;
      case 'os':
        p.os = textOf(c);
        break;
      case 'session_owner':
        p.sessionOwner = parseBoolean(c.text);
        break;
      case 'seconds_involved':
        p.secondsInvolved = parseUnsigned(c.text);
        break;
    }
  }
  return p;
}
