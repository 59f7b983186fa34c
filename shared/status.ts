import type { ArchiveStatus } from './archive.ts';
/** What the engine tells the CLI and the UI about its work. Plain data: it crosses IPC and HTTP. */

/** `waiting`: enabled but no run has succeeded yet; `idle`: caught up, waiting for its next run. */
export type SiteRunState = 'waiting' | 'idle' | 'running' | 'backfilling' | 'needs-attention' | 'disabled';

export interface SiteStatus {
  siteId: number;
  name: string;
  host: string;
  state: SiteRunState;
  /** ISO times, null when never. */
  lastRunAt: string | null;
  lastSuccessAt: string | null;
  nextRunAt: string | null;
  /** The last failure in plain language, with what to do; null after a success. */
  lastError: string | null;
  /** Why the site stopped (e.g. its secret was rejected); extraction resumes after an edit or a successful Test. */
  needsAttention: string | null;
  sessionsStored: number;
  eventsStored: number;
  /** Sessions still in progress that are re-fetched until they end. */
  sessionsFollowed: number;
  /** The share of the site's time range covered (0..1), and the range itself; null before the first run. */
  backfill: { from: string; coveredUntil: string; progress: number } | null;
}

/** Why shipping to Elasticsearch last failed, kept until a delivery succeeds (ISO times). */
export interface ShippingErrorView {
  message: string;
  /** First failure with this message. */
  since: string;
  /** Latest failure. */
  at: string;
}

export interface OutboxCounts {
  pending: number;
  sent: number;
  failed: number;
}

export interface LogLine {
  time: string;
  level: 'debug' | 'info' | 'warn' | 'error';
  topic: string;
  message: string;
  siteId?: number;
}

export type EngineEvent =
  | { type: 'site-status'; status: SiteStatus }
  | { type: 'site-removed'; siteId: number }
  | { type: 'outbox'; counts: OutboxCounts }
  /** The archive's status changed (a file written, a pause, a backfill's progress). */
  | { type: 'archive'; status: ArchiveStatus }
  | { type: 'log'; line: LogLine };
