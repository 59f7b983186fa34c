import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { SessionEvent, SessionHeader } from '../pra/report-types.ts';
import { elementToXml, type XmlElement } from '../pra/xml-element.ts';

/** Where every newly stored event is queued. One destination today: Elasticsearch. */
export const OUTBOX_DESTINATIONS = ['elastic'] as const;

/** What happens to a session's follow entry together with a write. */
export type FollowChange =
  | { kind: 'follow'; startTime: number | null; seenAt: number }
  | { kind: 'seen'; seenAt: number }
  | { kind: 'unfollow' };

export interface SiteState {
  siteId: number;
  /** Null until the first run has read the site's clock. */
  rangeStart: number | null;
  cursor: number | null;
  windowSeconds: number;
  needsAttention: string | null;
  lastRunAt: number | null;
  lastSuccessAt: number | null;
  lastError: string | null;
  /** The site's clock minus ours, in seconds, as last read. */
  clockOffset: number;
}

/**
 * A session's events as they are written, column by column (one array per `events` column, an
 * event at the same index in each). Pending writes are held in this form — no object or array per
 * event — so that what waits for the next commit is cheap for the garbage collector to carry and
 * for the structured clone to hand to the writer thread: a commit of 500 events is four arrays
 * instead of 500.
 */
export interface EventColumns {
  ordinals: number[];
  timestamps: (number | null)[];
  types: string[];
  xml: string[];
}

export function eventColumns(events: readonly SessionEvent[] = []): EventColumns {
  const columns: EventColumns = { ordinals: [], timestamps: [], types: [], xml: [] };
  for (const event of events) addEvent(columns, event);
  return columns;
}

export function addEvent(columns: EventColumns, event: SessionEvent): void {
  columns.ordinals.push(event.ordinal);
  columns.timestamps.push(event.timestamp);
  columns.types.push(event.eventType);
  columns.xml.push(event.xml);
}

/**
 * The XML text of a stored event or session header. Stores older than schema version 4
 * (eventXmlMigration) hold the JSON of an event's tree instead, and older than version 5
 * (headerXmlMigration) of a header's; such a value is written out as XML that reads back to the
 * same tree, so nothing had to rewrite every stored row at upgrade.
 */
export function storedXml(stored: string): string {
  return stored.startsWith('{') ? elementToXml(JSON.parse(stored) as XmlElement) : stored;
}

/** The `sessions` columns a header fills, in the order of HeaderRow. */
const HEADER_COLUMNS = [
  'session_type', 'lseq', 'start_time', 'end_time', 'duration', 'external_key',
  'jump_group_id', 'jump_group_type', 'jump_group_name', 'jumpoint_id', 'jumpoint_name',
  'primary_customer_gsnumber', 'primary_customer_name', 'primary_rep_gsnumber', 'primary_rep_id', 'primary_rep_name',
  'file_transfer_count', 'file_move_count', 'file_delete_count', 'custom_attributes', 'header_xml',
] as const;

/** The `participants` columns a participant fills, in the order of ParticipantRow. */
const PARTICIPANT_COLUMNS = [
  'kind', 'gsnumber', 'id', 'username', 'display_name', 'public_ip', 'private_ip', 'hostname', 'os', 'session_owner', 'seconds_involved',
] as const;

type Value = string | number | null;
type Row<Columns extends readonly string[]> = { readonly [K in keyof Columns]: Value };
export type ParticipantRow = Row<typeof PARTICIPANT_COLUMNS>;

/**
 * A session header as it is written: the values of HEADER_COLUMNS in order, and its participants.
 * Like EventColumns it is flat — arrays of values, no property names — so it is cheap to hold and
 * to hand to the writer thread (a clone writes every property name of every object again).
 */
export type HeaderRow = readonly [columns: Row<typeof HEADER_COLUMNS>, participants: readonly ParticipantRow[]];

export function headerRow(h: SessionHeader): HeaderRow {
  const participants = [...h.customers, ...h.reps].map(
    (p): ParticipantRow => [
      p.kind, p.gsnumber, p.id, p.username, p.displayName, p.publicIp, p.privateIp, p.hostname, p.os,
      p.sessionOwner === null ? null : p.sessionOwner ? 1 : 0, p.secondsInvolved,
    ],
  );
  return [
    [
      h.sessionType, h.lseq, h.startTime, h.endTime, h.duration, h.externalKey,
      h.jumpGroup?.id ?? null, h.jumpGroup?.type ?? null, h.jumpGroup?.name ?? null, h.jumpoint?.id ?? null, h.jumpoint?.name ?? null,
      h.primaryCustomer?.gsnumber ?? null, h.primaryCustomer?.name ?? null, h.primaryRep?.gsnumber ?? null, h.primaryRep?.id ?? null, h.primaryRep?.name ?? null,
      h.fileTransferCount, h.fileMoveCount, h.fileDeleteCount, JSON.stringify(h.customAttributes), h.xml,
    ],
    participants,
  ];
}

/** One session's part of a write: its header (when new or refreshed), some of its events, its follow change. */
export interface SessionWrite {
  lsid: string;
  header: HeaderRow | null;
  events: EventColumns;
  follow: FollowChange | null;
}

export interface FollowedSession {
  lsid: string;
  startTime: number | null;
  firstSeenAt: number;
  lastSeenAt: number;
}

/**
 * The session's identity. The appliance sends `lsid`; some old outputs (and Elastic's mock) have
 * none, and then a stable id is derived from what identifies the session on its site.
 */
export function sessionKey(header: Pick<SessionHeader, 'lsid' | 'lseq' | 'startTime' | 'sessionType'>): string {
  if (header.lsid) return header.lsid;
  const digest = createHash('sha256').update(`${header.lseq ?? ''}\0${header.startTime ?? ''}\0${header.sessionType ?? ''}`).digest('hex');
  return `derived-${digest.slice(0, 32)}`;
}

/**
 * Events inserted by one statement. One call per event cost the writer thread a quarter of its time
 * per event more (binding and stepping a statement per row; a store micro-benchmark, 100,000 events).
 */
const EVENTS_PER_INSERT = 50;

/**
 * Writes to the local session store. Each call is one synchronous transaction — no transaction is
 * ever held open across an await — and every write is idempotent, so a crash between two calls
 * loses nothing and a repeated call stores nothing twice.
 */
export class SessionStore {
  private readonly stmts;
  private readonly insertStatements = new Map<number, Database.Statement>();

  constructor(
    readonly db: Database.Database,
    private readonly clock: () => number = () => Math.floor(Date.now() / 1000),
  ) {
    this.stmts = {
      upsertSession: db.prepare(`
        INSERT INTO sessions (site_id, lsid, host_name, ${HEADER_COLUMNS.join(', ')}, stored_at, updated_at)
        VALUES (?, ?, ?, ${HEADER_COLUMNS.map(() => '?').join(', ')}, ?, ?)
        ON CONFLICT (site_id, lsid) DO UPDATE SET
          host_name = excluded.host_name, ${HEADER_COLUMNS.map((c) => `${c} = excluded.${c}`).join(', ')},
          updated_at = excluded.updated_at
        WHERE sessions.header_xml IS NOT excluded.header_xml`),
      deleteParticipants: db.prepare('DELETE FROM participants WHERE site_id = ? AND lsid = ?'),
      insertParticipant: db.prepare(`
        INSERT OR REPLACE INTO participants (site_id, lsid, ${PARTICIPANT_COLUMNS.join(', ')})
        VALUES (?, ?, ${PARTICIPANT_COLUMNS.map(() => '?').join(', ')})`),
      sessionId: db.prepare('SELECT id FROM sessions WHERE site_id = ? AND lsid = ?').pluck(),
      lastEventId: db.prepare('SELECT coalesce(max(id), 0) FROM events').pluck(),
      // The events this transaction added, queued with one statement instead of one call per event.
      enqueueAfter: db.prepare(`INSERT INTO outbox (event_id, destination, updated_at) SELECT id, ?, ? FROM events WHERE id > ?`),
      // Events stored per hour, for the status chart: one row per site and hour, not an index over every event.
      countHour: db.prepare(`INSERT INTO event_hours (site_id, hour, events) VALUES (?, ?, ?)
        ON CONFLICT (site_id, hour) DO UPDATE SET events = events + excluded.events`),
      bumpEventCount: db.prepare(`UPDATE sessions SET event_count = max(event_count, ?), updated_at = ? WHERE id = ?`),
      follow: db.prepare(`
        INSERT INTO follow (site_id, lsid, start_time, first_seen_at, last_seen_at) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (site_id, lsid) DO UPDATE SET last_seen_at = excluded.last_seen_at`),
      seen: db.prepare('UPDATE follow SET last_seen_at = ? WHERE site_id = ? AND lsid = ?'),
      unfollow: db.prepare('DELETE FROM follow WHERE site_id = ? AND lsid = ?'),
      followed: db.prepare('SELECT lsid, start_time AS startTime, first_seen_at AS firstSeenAt, last_seen_at AS lastSeenAt FROM follow WHERE site_id = ? ORDER BY lsid'),
      siteState: db.prepare(`SELECT site_id AS siteId, range_start AS rangeStart, cursor, window_seconds AS windowSeconds,
          needs_attention AS needsAttention, last_run_at AS lastRunAt, last_success_at AS lastSuccessAt, last_error AS lastError,
          clock_offset AS clockOffset
        FROM site_state WHERE site_id = ?`),
      clockOffset: db.prepare('UPDATE site_state SET clock_offset = ? WHERE site_id = ?'),
      initSiteState: db.prepare(`INSERT INTO site_state (site_id, window_seconds, updated_at) VALUES (?, ?, ?)
        ON CONFLICT (site_id) DO NOTHING`),
      initRange: db.prepare('UPDATE site_state SET range_start = ?, cursor = ?, updated_at = ? WHERE site_id = ? AND range_start IS NULL'),
      advanceCursor: db.prepare('UPDATE site_state SET cursor = ?, window_seconds = ?, updated_at = ? WHERE site_id = ? AND cursor <= ?'),
      setWindow: db.prepare('UPDATE site_state SET window_seconds = ?, updated_at = ? WHERE site_id = ?'),
      needsAttention: db.prepare('UPDATE site_state SET needs_attention = ?, updated_at = ? WHERE site_id = ?'),
      runStarted: db.prepare('UPDATE site_state SET last_run_at = ?, updated_at = ? WHERE site_id = ?'),
      runSucceeded: db.prepare('UPDATE site_state SET last_success_at = ?, last_error = NULL, updated_at = ? WHERE site_id = ?'),
      runFailed: db.prepare('UPDATE site_state SET last_error = ?, updated_at = ? WHERE site_id = ?'),
    };
  }

  /**
   * Stores (or refreshes) a session's header, a batch of its events and its follow change, in one
   * transaction. Events already stored are skipped; each new one is queued in the outbox in the
   * same transaction. Returns the number of new events.
   */
  writeBatch(
    site: { id: number; host: string },
    lsid: string,
    header: SessionHeader | null,
    events: readonly SessionEvent[],
    follow: FollowChange | null,
  ): number {
    return this.write(site, [{ lsid, header: header && headerRow(header), events: eventColumns(events), follow }]);
  }

  /**
   * Several sessions' writes in one transaction: one commit (one fsync) for all of them, which is
   * most of what storing costs. Each write is idempotent on its own, so grouping changes nothing
   * about what a crash can leave. Returns the number of new events.
   */
  write(site: { id: number; host: string }, writes: readonly SessionWrite[]): number {
    return this.writeGroups(site, [writes])[0]!;
  }

  /**
   * Several groups of writes (several `write` calls' worth) in one transaction: the number of new
   * events of each group. All are applied or, if one fails, none.
   */
  writeGroups(site: { id: number; host: string }, groups: readonly (readonly SessionWrite[])[]): number[] {
    return this.transaction(() => {
      const now = this.clock();
      // SQLite gives a new row the largest rowid so far plus one, so the events this transaction
      // stores are exactly those above this id (the write lock keeps everyone else out meanwhile).
      const before = this.stmts.lastEventId.get() as number;
      let added = 0;
      const addedByGroup = groups.map((writes) => {
        let n = 0;
        for (const w of writes) n += this.writeOne(site, w, now);
        added += n;
        return n;
      });
      if (added === 0) return addedByGroup;
      for (const destination of OUTBOX_DESTINATIONS) {
        const queued = this.stmts.enqueueAfter.run(destination, now, before).changes;
        if (queued !== added) throw new Error(`the outbox would have queued ${queued} events instead of the ${added} just stored; nothing was written`);
      }
      this.stmts.countHour.run(site.id, Math.floor(now / 3600) * 3600, added);
      return addedByGroup;
    });
  }

  private writeOne(site: { id: number; host: string }, { lsid, header, events, follow }: SessionWrite, now: number): number {
    if (header) this.writeHeader(site, lsid, header, now);
    let added = 0;
    const count = events.ordinals.length;
    if (count > 0) {
      const sessionId = this.stmts.sessionId.get(site.id, lsid) as number | undefined;
      if (sessionId === undefined) throw new Error(`events of session ${lsid} came without its header; nothing was written`);
      const { ordinals, timestamps, types, xml } = events;
      let highest = -1;
      for (let from = 0; from < count; from += EVENTS_PER_INSERT) {
        const to = Math.min(count, from + EVENTS_PER_INSERT);
        const values: Value[] = [];
        for (let i = from; i < to; i++) {
          if (ordinals[i]! > highest) highest = ordinals[i]!;
          values.push(sessionId, ordinals[i]!, timestamps[i]!, types[i]!, xml[i]!, now);
        }
        added += this.insertEvents(to - from).run(...values).changes;
      }
      this.stmts.bumpEventCount.run(highest + 1, now, sessionId);
    }
    if (follow?.kind === 'follow') this.stmts.follow.run(site.id, lsid, follow.startTime, follow.seenAt, follow.seenAt);
    else if (follow?.kind === 'seen') this.stmts.seen.run(follow.seenAt, site.id, lsid);
    else if (follow?.kind === 'unfollow') this.stmts.unfollow.run(site.id, lsid);
    return added;
  }

  /** The statement inserting `count` events (rows get their ids in order), prepared once per count. */
  private insertEvents(count: number): Database.Statement {
    let statement = this.insertStatements.get(count);
    if (statement === undefined) {
      statement = this.db.prepare(`INSERT INTO events (session_id, ordinal, timestamp, event_type, xml, stored_at)
        VALUES ${Array.from({ length: count }, () => '(?, ?, ?, ?, ?, ?)').join(', ')}
        ON CONFLICT (session_id, ordinal) DO NOTHING`);
      this.insertStatements.set(count, statement);
    }
    return statement;
  }

  private writeHeader(site: { id: number; host: string }, lsid: string, [columns, participants]: HeaderRow, now: number) {
    const result = this.stmts.upsertSession.run(site.id, lsid, site.host, ...columns, now, now);
    if (result.changes === 0) return; // unchanged header: participants are unchanged too
    this.stmts.deleteParticipants.run(site.id, lsid);
    for (const p of participants) this.stmts.insertParticipant.run(site.id, lsid, ...p);
  }

  siteState(siteId: number): SiteState | null {
    return (this.stmts.siteState.get(siteId) as SiteState | undefined) ?? null;
  }

  /** Creates the site's extraction state (without a range yet); an existing state is kept. */
  ensureSiteState(siteId: number, windowSeconds: number): SiteState {
    this.stmts.initSiteState.run(siteId, windowSeconds, this.clock());
    return this.siteState(siteId)!;
  }

  /** Sets where the backfill starts (site clock), once: the cursor starts there. */
  initRange(siteId: number, rangeStart: number): SiteState {
    this.stmts.initRange.run(rangeStart, rangeStart, this.clock(), siteId);
    return this.siteState(siteId)!;
  }

  /**
   * Moves the cursor: every session that began before `cursor` is stored. Called only after the
   * window's report was read completely (its data is already committed), never backwards.
   */
  advanceCursor(siteId: number, cursor: number, windowSeconds: number) {
    this.stmts.advanceCursor.run(cursor, windowSeconds, this.clock(), siteId, cursor);
  }

  recordClockOffset(siteId: number, seconds: number) {
    this.stmts.clockOffset.run(seconds, siteId);
  }

  setWindow(siteId: number, windowSeconds: number) {
    this.stmts.setWindow.run(windowSeconds, this.clock(), siteId);
  }

  setNeedsAttention(siteId: number, reason: string | null) {
    this.stmts.needsAttention.run(reason, this.clock(), siteId);
  }

  recordRunStart(siteId: number) {
    this.stmts.runStarted.run(this.clock(), this.clock(), siteId);
  }

  recordRunEnd(siteId: number, error: string | null) {
    if (error === null) this.stmts.runSucceeded.run(this.clock(), this.clock(), siteId);
    else this.stmts.runFailed.run(error, this.clock(), siteId);
  }

  followed(siteId: number): FollowedSession[] {
    return this.stmts.followed.all(siteId) as FollowedSession[];
  }

  unfollow(siteId: number, lsid: string) {
    this.stmts.unfollow.run(siteId, lsid);
  }

  private transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }
}
