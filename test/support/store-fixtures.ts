// The smallest session header and event the session store accepts, for tests that write to it
// directly (retention, migrations, the writer thread) rather than through a parsed report.
import type Database from 'better-sqlite3';
import type { SessionEvent, SessionHeader } from '../../electron/engine/pra/report-types.ts';
import { openTagXml } from '../../electron/engine/pra/xml-element.ts';

export function minimalHeader(lsid: string, startTime: number, endTime: number | null, duration = '00:01:00'): SessionHeader {
  return {
    lsid, sessionType: 'support', lseq: '1', startTime, endTime, duration, externalKey: null, jumpGroup: null, jumpoint: null,
    primaryCustomer: null, primaryRep: null, fileTransferCount: 0, fileMoveCount: 0, fileDeleteCount: 0, customAttributes: [], customers: [], reps: [],
    xml: openTagXml('session', { lsid }, true),
  };
}

export function minimalEvent(ordinal: number, timestamp: number, eventType = 'Session Start', body: string | null = null): SessionEvent {
  return {
    ordinal, timestamp, eventType, performedBy: null, destination: null, body,
    xml: openTagXml('event', { timestamp: String(timestamp), event_type: eventType }, true),
  };
}

/** A site row as the session store needs it (its id for the sessions' site_id), without the site service. */
export function insertSite(db: Database.Database, name: string, host: string): number {
  return Number(
    db.prepare(`INSERT INTO sites (name, host, client_id, enabled, initial_interval_seconds, poll_interval_seconds, timeout_seconds, created_at, updated_at)
      VALUES (?, ?, 'c', 1, 86400, 300, 30, 'x', 'x')`).run(name, host).lastInsertRowid,
  );
}
