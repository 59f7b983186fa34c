/**
 * A site's undelivered work, summed over every place work waits. Removing a site cascades to its
 * sessions, events and their outbox rows, so whatever is counted here would be lost with it.
 * Work kept by other modules (the archive's files waiting to be written) comes in through `more`.
 */
import type Database from 'better-sqlite3';
import type { UndeliveredPart, UndeliveredWork } from '../../../shared/undelivered.ts';

type Source = (db: Database.Database, siteId: number) => UndeliveredPart[];

/** Events of the site queued for Elasticsearch, or rejected by it (kept as failed, retryable). */
const outboxEvents: Source = (db, siteId) => {
  const rows = db
    .prepare(
      `SELECT o.state AS state, count(*) AS n FROM outbox o
         JOIN events e ON e.id = o.event_id
         JOIN sessions s ON s.id = e.session_id
       WHERE o.destination = 'elastic' AND o.state IN ('pending', 'failed') AND s.site_id = ?
       GROUP BY o.state`,
    )
    .all(siteId) as { state: 'pending' | 'failed'; n: number }[];
  const count = (state: string) => rows.find((r) => r.state === state)?.n ?? 0;
  return [
    { kind: 'events-pending', count: count('pending') },
    { kind: 'events-failed', count: count('failed') },
  ];
};

const SOURCES: Source[] = [outboxEvents];

/**
 * `more`: sources that other engine modules own (the archive's pending sessions), passed in by the
 * engine so that sites/ needs to know none of them.
 */
export function undeliveredWork(db: Database.Database, siteId: number, more: ((siteId: number) => UndeliveredPart[])[] = []): UndeliveredWork {
  const parts = [...SOURCES.flatMap((source) => source(db, siteId)), ...more.flatMap((source) => source(siteId))].filter((p) => p.count > 0);
  return { total: parts.reduce((sum, p) => sum + p.count, 0), parts };
}
