/**
 * The two NDJSON lines of one event in a `_bulk` body (`create` action, then the document), written
 * directly as text: each document is serialised once, by us, and the body is sent as built (the
 * client does not serialise it again). The text is exactly `JSON.stringify` of the action and of
 * {@link buildDocument}'s object (a unit test holds them equal); only what varies per event is
 * formatted per event, the rest of the document is fixed per site and destination, and the
 * session's part of the message (most of the bytes) is encoded once per session and copied into
 * each of its events' lines (see outbox-batches.ts).
 */
import { documentId } from './document-id.ts';
import { AGENT_TYPE, assertValidNamespace, DATASET, INTEGRATION_TAGS, type DocumentContext } from './document.ts';
import type { MessageSession } from './message.ts';
import { prepareSessionText, quotedEventMessageParts, type SessionText } from './message-text.ts';
import type { SessionEvent } from '../pra/report-types.ts';

/** What is the same in every document of one site for one destination. */
export interface LineTemplate {
  /** `{"create":{"_index":"…","_id":"` */
  readonly actionPrefix: string;
  /** The document after its `message`, from `,"data_stream"` to the closing brace. */
  readonly documentSuffix: string;
  readonly siteHost: string;
}

export function lineTemplate(index: string, context: Omit<DocumentContext, 'syntheticLsid'>): LineTemplate {
  assertValidNamespace(context.namespace);
  const rest = {
    data_stream: { type: 'logs', dataset: DATASET, namespace: context.namespace },
    event: { dataset: DATASET },
    input: { type: 'cel' },
    tags: [...INTEGRATION_TAGS],
    agent: { name: context.agent.name, type: AGENT_TYPE, version: context.agent.version, id: context.agent.installId },
    observer: { hostname: context.siteHost.trim().toLowerCase() },
  };
  const action = JSON.stringify({ create: { _index: index, _id: '' } });
  return {
    actionPrefix: action.slice(0, action.length - '"}}'.length),
    documentSuffix: `,${JSON.stringify(rest).slice(1)}`,
    siteHost: context.siteHost,
  };
}

/** A session as its events' lines are built: its shared message part, read once. */
export interface LineSession {
  text: SessionText;
  /** The session's part of the message as it is in the body (quoted, UTF-8), copied into every event's line. */
  quotedBytes: Buffer;
  lsid: string;
  startTime: number | null;
}

export function lineSession(header: MessageSession, lsid: string): LineSession {
  const text = prepareSessionText(header, { syntheticLsid: lsid });
  return { text, quotedBytes: Buffer.from(text.sessionJsonQuoted, 'utf8'), lsid, startTime: header.startTime };
}

/**
 * The action line and the document line of one event, each ending with `\n`, in two parts: before
 * and after the session's part of the message ({@link LineSession.quotedBytes}). Throws (as
 * buildDocument does) when the event has no time and its session no start time.
 */
export function eventLineParts(template: LineTemplate, session: LineSession, event: SessionEvent): [string, string] {
  const seconds = event.timestamp ?? session.startTime;
  if (seconds === null) {
    throw new TypeError(`event ${event.ordinal} of session ${session.lsid} has no readable timestamp, nor has its session a start time.`);
  }
  const id = documentId({ siteHost: template.siteHost, lsid: session.lsid, ordinal: event.ordinal });
  const [before, after] = quotedEventMessageParts(session.text, event);
  return [
    `${template.actionPrefix}${id}"}}\n{"@timestamp":"${new Date(seconds * 1000).toISOString()}","message":"${before}`,
    `${after}"${template.documentSuffix}\n`,
  ];
}

/** {@link eventLineParts} joined: the two lines as one string. */
export function eventLines(template: LineTemplate, session: LineSession, event: SessionEvent): string {
  const [head, tail] = eventLineParts(template, session, event);
  return head + session.text.sessionJsonQuoted + tail;
}
