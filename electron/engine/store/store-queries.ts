import type Database from 'better-sqlite3';
import type { HourlyCount, SessionDetail, SessionEventRow, SessionListQuery, SessionRow } from '../../../shared/sessions.ts';
import type { OutboxCounts } from '../../../shared/status.ts';
import { eventFieldsOf } from '../pra/report-parser.ts';
import { storedXml } from './session-store.ts';

const iso = (s: number | null) => (s === null ? null : new Date(s * 1000).toISOString());

interface SessionDbRow {
  id: number;
  site_id: number;
  host_name: string;
  lsid: string;
  session_type: string | null;
  start_time: number | null;
  end_time: number | null;
  duration: string | null;
  jump_group_name: string | null;
  jumpoint_name: string | null;
  primary_customer_name: string | null;
  primary_rep_name: string | null;
  event_count: number;
  custom_attributes: string;
}

function toRow(r: SessionDbRow): SessionRow {
  return {
    siteId: r.site_id,
    siteHost: r.host_name,
    lsid: r.lsid,
    sessionType: r.session_type,
    startTime: iso(r.start_time),
    endTime: iso(r.end_time),
    duration: r.duration,
    jumpGroup: r.jump_group_name,
    jumpoint: r.jumpoint_name,
    primaryCustomer: r.primary_customer_name,
    primaryRep: r.primary_rep_name,
    eventCount: r.event_count,
    inProgress: r.end_time === null,
  };
}

/** A site's counts for its status; a test holds that they are read from indexes, not from the sessions' rows. */
export const SITE_COUNTS_SQL = `SELECT
  (SELECT count(*) FROM sessions WHERE site_id = @id) AS sessions,
  (SELECT coalesce(sum(event_count), 0) FROM sessions WHERE site_id = @id) AS events,
  (SELECT count(*) FROM follow WHERE site_id = @id) AS followed`;

/** Read-only questions to the session store (status counters, browsing). */
export class StoreQueries {
  constructor(private readonly db: Database.Database) {}

  private siteCountsStatement: Database.Statement | null = null;

  /** Read at every status update of a run: from indexes only (sessionEventCountIndexMigration). */
  siteCounts(siteId: number): { sessions: number; events: number; followed: number } {
    this.siteCountsStatement ??= this.db.prepare(SITE_COUNTS_SQL);
    return this.siteCountsStatement.get({ id: siteId }) as { sessions: number; events: number; followed: number };
  }

  outboxCounts(destination = 'elastic'): OutboxCounts {
    const counts: OutboxCounts = { pending: 0, sent: 0, failed: 0 };
    const rows = this.db.prepare('SELECT state, count(*) AS n FROM outbox WHERE destination = ? GROUP BY state').all(destination) as { state: keyof OutboxCounts; n: number }[];
    for (const row of rows) counts[row.state] = row.n;
    return counts;
  }

  listSessions(query: SessionListQuery = {}): SessionRow[] {
    const where: string[] = [];
    const params: Record<string, unknown> = { limit: Math.min(query.limit ?? 100, 1000), offset: query.offset ?? 0 };
    if (query.siteId !== undefined) {
      where.push('s.site_id = @siteId');
      params.siteId = query.siteId;
    }
    if (query.since !== undefined) {
      where.push('s.start_time >= @since');
      params.since = query.since;
    }
    if (query.until !== undefined) {
      where.push('s.start_time < @until');
      params.until = query.until;
    }
    if (query.search) {
      params.search = `%${query.search.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      where.push(`(s.lsid LIKE @search ESCAPE '\\' OR s.jump_group_name LIKE @search ESCAPE '\\' OR s.jumpoint_name LIKE @search ESCAPE '\\'
        OR s.primary_customer_name LIKE @search ESCAPE '\\' OR s.primary_rep_name LIKE @search ESCAPE '\\'
        OR EXISTS (SELECT 1 FROM participants p WHERE p.site_id = s.site_id AND p.lsid = s.lsid
          AND (p.username LIKE @search ESCAPE '\\' OR p.display_name LIKE @search ESCAPE '\\' OR p.hostname LIKE @search ESCAPE '\\')))`);
    }
    const rows = this.db
      .prepare(`SELECT * FROM sessions s ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY s.start_time DESC, s.lsid LIMIT @limit OFFSET @offset`)
      .all(params) as SessionDbRow[];
    return rows.map(toRow);
  }

  getSession(siteId: number, lsid: string): SessionDetail | null {
    const row = this.db.prepare('SELECT * FROM sessions WHERE site_id = ? AND lsid = ?').get(siteId, lsid) as SessionDbRow | undefined;
    if (!row) return null;
    const participants = this.db
      .prepare(`SELECT kind, gsnumber, username, display_name AS displayName, hostname, public_ip AS publicIp,
          private_ip AS privateIp, os FROM participants WHERE site_id = ? AND lsid = ? ORDER BY kind, gsnumber`)
      .all(siteId, lsid) as SessionDetail['participants'];
    const events = (
      this.db
        .prepare('SELECT ordinal, timestamp, event_type, xml FROM events WHERE session_id = ? ORDER BY ordinal')
        .all(row.id) as { ordinal: number; timestamp: number | null; event_type: string; xml: string }[]
    ).map((e): SessionEventRow => {
      const { performedBy, destination, body } = eventFieldsOf(storedXml(e.xml));
      return { ordinal: e.ordinal, time: iso(e.timestamp), eventType: e.event_type, performedBy: performedBy?.name ?? null, destination: destination?.name ?? null, body };
    });
    return { ...toRow(row), participants, customAttributes: JSON.parse(row.custom_attributes) as SessionDetail['customAttributes'], events };
  }

  /** Events stored per hour over the last `hours` hours (zeros included), for the status chart. */
  eventsPerHour(hours: number, siteId?: number, now = Math.floor(Date.now() / 1000)): HourlyCount[] {
    const first = Math.floor(now / 3600) * 3600 - (hours - 1) * 3600;
    const rows = this.db
      .prepare(`SELECT hour, sum(events) AS n FROM event_hours
        WHERE hour >= ? ${siteId === undefined ? '' : 'AND site_id = ?'} GROUP BY hour`)
      .all(...(siteId === undefined ? [first] : [first, siteId])) as { hour: number; n: number }[];
    const byHour = new Map(rows.map((r) => [r.hour, r.n]));
    return Array.from({ length: hours }, (_, i) => {
      const hour = first + i * 3600;
      return { hour: new Date(hour * 1000).toISOString(), events: byHour.get(hour) ?? 0 };
    });
  }
}
