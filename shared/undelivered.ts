/**
 * What of a site has not been delivered yet: removing the site would discard it. One entry per
 * kind of work (events for Elasticsearch; ended sessions whose files are not in the archive folder
 * yet), so the CLI and the UI count and word it alike. Pure: runs in the renderer too.
 */

export type UndeliveredKind = 'events-pending' | 'events-failed' | 'archive-pending';

export interface UndeliveredPart {
  kind: UndeliveredKind;
  count: number;
}

export interface UndeliveredWork {
  /** The sum of the parts. */
  total: number;
  /** Only kinds with something undelivered. */
  parts: UndeliveredPart[];
}

const WORDING: Record<UndeliveredKind, (n: string) => string> = {
  'events-pending': (n) => `${n} waiting to be sent to Elasticsearch`,
  'events-failed': (n) => `${n} rejected by Elasticsearch (retryable after a fix)`,
  'archive-pending': (n) => n,
};

const isEventKind = (kind: UndeliveredKind) => kind !== 'archive-pending';

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * "1,234 events not yet delivered (1,200 waiting to be sent to Elasticsearch, 34 rejected …)", and
 * "… and 3 ended sessions whose files are not in the archive folder yet" when the archive lags too.
 */
export function describeUndelivered(work: UndeliveredWork): string {
  const eventParts = work.parts.filter((p) => isEventKind(p.kind));
  const events = eventParts.reduce((sum, p) => sum + p.count, 0);
  const archive = work.parts.find((p) => p.kind === 'archive-pending')?.count ?? 0;
  const pieces: string[] = [];
  if (events > 0) pieces.push(`${count(events)} event${events === 1 ? '' : 's'} not yet delivered (${eventParts.map((p) => WORDING[p.kind](count(p.count))).join(', ')})`);
  if (archive > 0) pieces.push(`${count(archive)} ended session${archive === 1 ? '' : 's'} whose files are not in the archive folder yet`);
  return pieces.join(' and ');
}

/** What a discard throws away, counted: "1,234 events", or "1,237 items" when archive work is part of it. */
export function undeliveredCount(work: UndeliveredWork): string {
  const noun = work.parts.every((p) => isEventKind(p.kind)) ? 'event' : 'item';
  return `${count(work.total)} ${noun}${work.total === 1 ? '' : 's'}`;
}

/** A well-formed UndeliveredWork from anything (as it arrives over HTTP or IPC), else null. */
export function asUndeliveredWork(value: unknown): UndeliveredWork | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as { total?: unknown; parts?: unknown };
  if (typeof v.total !== 'number' || !Array.isArray(v.parts)) return null;
  const parts = v.parts.filter(
    (p): p is UndeliveredPart => typeof p === 'object' && p !== null && typeof (p as UndeliveredPart).count === 'number' && (p as UndeliveredPart).kind in WORDING,
  );
  return { total: v.total, parts };
}
