// An `<event>` of a session's `session_details`: its text and typed fields, read as it streams by
// (EventCapture), or read back from its stored text (eventFieldsOf).
import type { SaxesTagPlain } from 'saxes';
import { RawText, type SaxSource } from './report-raw-text.ts';
import type { SessionEvent } from './report-types.ts';
import { nonEmpty, parseTimestamp } from './report-values.ts';
import { copyAttrs, parseElementXml } from './xml-element.ts';

/** The children of an `<event>` that have a typed field of their own. */
export const FIELD_NONE = 0;
export const FIELD_PERFORMED_BY = 1;
export const FIELD_DESTINATION = 2;
export const FIELD_BODY = 3;
export const FIELD_ENCODED_BODY = 4;
export const EVENT_FIELDS = new Map([
  ['performed_by', FIELD_PERFORMED_BY],
  ['destination', FIELD_DESTINATION],
  ['body', FIELD_BODY],
  ['encoded_body', FIELD_ENCODED_BODY],
]);

/** The `<event>` being read. No tree is built for it: its typed fields are picked up on the way, and its text is copied. */
export class EventCapture extends RawText implements EventFields {
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
