// The smallest session header and event the session store accepts, for tests that write to it
// directly (retention, migrations, the writer thread) rather than through a parsed report.
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
