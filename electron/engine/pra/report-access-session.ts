// The AccessSession report (`<session_list>`): sessions, their events as they close, and each
// session's end (see report-parser.ts's module comment for the order and the late content).
import type { SaxesTagPlain } from 'saxes';
import { EVENT_FIELDS, EventCapture, FIELD_NONE } from './report-events.ts';
import type { ParseOptions } from './report-failures.ts';
import { BaseHandler, CAPTURE_ERROR, CAPTURE_HEADER, CAPTURE_NONE } from './report-handler.ts';
import { RawText, startTagTail } from './report-raw-text.ts';
import { buildHeader, HEADER_FIELDS } from './report-session-header.ts';
import type { ReportItem } from './report-types.ts';
import { copyAttrs, localName, makeElement, type XmlElement } from './xml-element.ts';

export class AccessSessionHandler extends BaseHandler<ReportItem> {
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
