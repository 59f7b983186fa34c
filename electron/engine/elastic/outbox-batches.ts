import type Database from 'better-sqlite3';
import type { SessionEvent } from '../pra/report-types.ts';
import { parseElementXml } from '../pra/xml-element.ts';
import { storedXml } from '../store/session-store.ts';
import { BulkBodyWriter } from './bulk-body.ts';
import { eventLineParts, lineSession, lineTemplate, type LineSession, type LineTemplate } from './bulk-lines.ts';
import type { DocumentContext } from './document.ts';

/** One `_bulk` request's worth of events: their ids and their NDJSON lines, in the same order. */
export interface Batch {
  ids: number[];
  /** Each event's two lines (action and document) as UTF-8; views of one body when read together. */
  lines: Buffer[];
  /** Bytes of the body. */
  bytes: number;
  /**
   * The whole buffer `lines` are views of, when this batch alone reads it (a batch as read, not
   * merged with others): given back to be written again once the batch is answered whole.
   */
  owned?: Uint8Array;
  /** How many times these events were already throttled or failed as a whole (0: first try). */
  attempt: number;
  /** Not to be sent before this time (ms since the epoch): the backoff of a retried batch. */
  notBefore: number;
}

export interface BatchLimits {
  maxDocs: number;
  maxBytes: number;
}

/** A read of the outbox: a batch (null when every event read was unbuildable), the unbuildable ones, and the next cursor. */
export interface ReadResult {
  batch: Batch | null;
  unbuildable: { eventId: number; reason: string }[];
  last: number;
}

interface OutboxRow {
  event_id: number;
  session_id: number;
  ordinal: number;
  timestamp: number | null;
  xml: string;
}

/** The session of a batch's events, read once per batch (see SESSION_CACHE). */
interface BatchSession {
  line: LineSession;
  hostName: string;
}

/**
 * Sessions whose shared message part is kept while a batch is built (a session's events are mostly
 * adjacent). Not kept from one batch to the next: a session followed while in progress gets a newer
 * header, which its later events must carry.
 *
 * The cache is made anew for each batch ({@link SessionCache}), not a field emptied with `clear()`:
 * a long-lived Map ends up in V8's old generation, and its emptied table still points at the
 * sessions it held until the next full collection. The young-generation collector takes such
 * pointers for live ones, so every session's part, header tree and participants survived it, were
 * promoted, and were left for a full collection to sweep. Held by the batch's own Map, they die
 * young. (Bench phase 5, with the events' children also remembered per session, not per process,
 * see message-text.ts: ~54 → ~14 MB promoted per run on the main thread, 10 → 4-5 full
 * collections, pra-ic's CPU medians 4.5 → 4.1 s over 8 alternating pairs.)
 */
const SESSION_CACHE = { entries: 64, chars: 4 * 1024 * 1024 };

/** The sessions read for one batch (see SESSION_CACHE), oldest first. */
class SessionCache {
  private readonly sessions = new Map<number, BatchSession>();
  private chars = 0;

  get(id: number): BatchSession | undefined {
    return this.sessions.get(id);
  }

  add(id: number, session: BatchSession) {
    this.sessions.set(id, session);
    this.chars += session.line.text.sessionJsonQuoted.length;
    // Oldest first out (a Map keeps insertion order), by count and by size: a large session's part
    // can be megabytes.
    for (const [k, s] of this.sessions) {
      if (this.sessions.size <= SESSION_CACHE.entries && this.chars <= SESSION_CACHE.chars) break;
      if (k === id) break;
      this.sessions.delete(k);
      this.chars -= s.line.text.sessionJsonQuoted.length;
    }
  }
}

/**
 * Reads pending events from the outbox in the order they were stored, from a cursor (so that events
 * in flight are not read again while they are still pending on disk), and turns them into NDJSON
 * lines. The session's part of the message is built once per session and reused for its events.
 */
export class BatchReader {
  private readonly select;
  private readonly selectSession;
  private readonly templates = new Map<string, LineTemplate>();
  private templateKey = '';
  private readonly body = new BulkBodyWriter();

  constructor(db: Database.Database) {
    // Events without their session: a header can be large (thousands of shell recordings), and a
    // session's row is read once per batch below, not once per event (joined per event, the
    // sessions' B-tree was walked again for each of them: a third of this query's time).
    this.select = db.prepare(`
      SELECT o.event_id, e.session_id, e.ordinal, e.timestamp, e.xml
      FROM outbox o
      JOIN events e ON e.id = o.event_id
      WHERE o.destination = 'elastic' AND o.state = 'pending' AND o.event_id > ?
      ORDER BY o.event_id
      LIMIT ?`);
    this.selectSession = db.prepare('SELECT lsid, host_name, start_time, header_xml FROM sessions WHERE id = ?');
  }

  /**
   * The next batch of pending events after `cursor` (event id), within the limits; null when there is
   * none. Events whose document cannot be built are returned apart, to be marked failed. `last` is the
   * highest event id read (the next cursor), also when every event read was unbuildable.
   */
  read(
    cursor: number,
    limits: BatchLimits,
    index: string,
    context: Omit<DocumentContext, 'siteHost' | 'syntheticLsid'>,
  ): ReadResult | null {
    const key = `${index}\n${context.namespace}\n${context.agent.name}\n${context.agent.version}\n${context.agent.installId}`;
    if (key !== this.templateKey) {
      this.templates.clear();
      this.templateKey = key;
    }
    const sessions = new SessionCache();
    const ids: number[] = [];
    const ends: number[] = [];
    const unbuildable: { eventId: number; reason: string }[] = [];
    const body = this.body;
    let last = cursor;
    // Rows are read one at a time and reading stops at the byte budget, so a batch of large
    // documents never loads more events than it can send.
    for (const row of this.select.iterate(cursor, limits.maxDocs) as IterableIterator<OutboxRow>) {
      const start = body.length;
      try {
        const event = { ordinal: row.ordinal, timestamp: row.timestamp, xml: storedXml(row.xml) } as SessionEvent;
        const { line: session, hostName } = this.session(sessions, row.session_id);
        const [head, tail] = eventLineParts(this.template(hostName, index, context), session, event);
        body.writeString(head);
        body.writeBytes(session.quotedBytes);
        body.writeString(tail);
      } catch (error) {
        body.truncate(start);
        unbuildable.push({ eventId: row.event_id, reason: `Could not build the document: ${(error as Error).message}` });
        last = row.event_id;
        continue;
      }
      if (ids.length > 0 && body.length > limits.maxBytes) {
        body.truncate(start);
        break;
      }
      ids.push(row.event_id);
      ends.push(body.length);
      last = row.event_id;
    }
    if (ids.length === 0) {
      // The outbox is read to its end: an app that runs for days does not keep megabytes for it.
      if (unbuildable.length === 0) body.idle();
      else body.reset();
      return unbuildable.length === 0 ? null : { batch: null, unbuildable, last };
    }
    const { body: bytes, owned } = body.take();
    const lines = ends.map((end, i) => bytes.subarray(i === 0 ? 0 : ends[i - 1], end));
    return { batch: { ids, lines, bytes: bytes.length, attempt: 0, notBefore: 0, owned }, unbuildable, last };
  }

  /** A batch's buffer, answered whole: written again by a later batch. */
  recycle(owned: Uint8Array) {
    this.body.recycle(owned);
  }

  private template(host: string, index: string, context: Omit<DocumentContext, 'siteHost' | 'syntheticLsid'>): LineTemplate {
    let t = this.templates.get(host);
    if (!t) this.templates.set(host, (t = lineTemplate(index, { ...context, siteHost: host })));
    return t;
  }

  private session(sessions: SessionCache, id: number): BatchSession {
    const hit = sessions.get(id);
    if (hit) return hit;
    const row = this.selectSession.get(id) as { lsid: string; host_name: string; start_time: number | null; header_xml: string } | undefined;
    // Not expected (events are deleted with their session): the event is failed with this reason.
    if (row === undefined) throw new Error(`its session (row ${id}) is no longer in the store`);
    const tree = parseElementXml(storedXml(row.header_xml));
    const session = { line: lineSession({ lsid: tree.attrs.lsid || null, startTime: row.start_time, tree }, row.lsid), hostName: row.host_name };
    sessions.add(id, session);
    return session;
  }
}
