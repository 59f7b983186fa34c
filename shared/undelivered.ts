/**
 * What of a site has not been delivered yet: removing the site would discard it. One entry per
 * kind of work (events for Elasticsearch today; an archive's files can be added as another kind),
 * so the CLI and the UI count and word it alike. Pure: runs in the renderer too.
 */

export type UndeliveredKind = 'events-pending' | 'events-failed';

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
};

function count(n: number): string {
  return n.toLocaleString('en-US');
}

/** "1,234 events not yet delivered (1,200 waiting to be sent to Elasticsearch, 34 rejected …)". */
export function describeUndelivered(work: UndeliveredWork): string {
  const parts = work.parts.map((p) => WORDING[p.kind](count(p.count)));
  return `${count(work.total)} event${work.total === 1 ? '' : 's'} not yet delivered (${parts.join(', ')})`;
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
