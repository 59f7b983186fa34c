import { Engine, type EngineOptions } from '../../electron/engine/engine.ts';
import type { SimSession } from '../simulators/pra/index.ts';
import { tempDir } from './temp-dir.ts';

/** Fast retries and backoff: failures in tests cost milliseconds, not minutes. */
export const FAST = {
  praRetry: { baseDelayMs: 10, maxDelayMs: 50, maxAttempts: 4, maxRetryAfterMs: 5000 },
  shipLimits: { minBackoffMs: 10, maxBackoffMs: 100 },
};

/** A real engine (real SQLite file, real OS keychain) on a fresh data directory. */
export function newEngine(options: Partial<EngineOptions> = {}): Engine {
  return new Engine({ dataDir: tempDir(), minPollSeconds: 1, ...FAST, ...options });
}

/** How many events of `session` the appliance shows at `now`. */
export function visibleEvents(session: SimSession, now: number): number {
  const lazy = session.lazyEvents?.count ?? 0;
  return lazy + session.events.filter((e) => e.timestamp <= now).length;
}

/** The store's content for comparisons: sessions with their event ordinals and types, sorted. */
export function storeSnapshot(engine: Engine) {
  const db = engine.database.db;
  const sessions = db.prepare('SELECT lsid, start_time, end_time, event_count, header_xml FROM sessions ORDER BY site_id, lsid').all();
  const events = db.prepare('SELECT s.lsid, e.ordinal, e.timestamp, e.event_type, e.xml FROM events e JOIN sessions s ON s.id = e.session_id ORDER BY s.site_id, s.lsid, e.ordinal').all();
  const outbox = db.prepare("SELECT count(*) AS n FROM outbox WHERE destination = 'elastic'").get() as { n: number };
  return { sessions, events, outbox: outbox.n };
}
