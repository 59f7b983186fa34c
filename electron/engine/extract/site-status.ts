import type { SiteStatus } from '../../../shared/status.ts';
import type { PraAccounts } from '../pra/pra-accounts.ts';
import type { SiteService } from '../sites/site-service.ts';
import type { SessionStore } from '../store/session-store.ts';
import type { StoreQueries } from '../store/store-queries.ts';
import type { Scheduler } from './scheduler.ts';
import { SETTLE_SECONDS, type ExtractionProgress } from './site-extractor.ts';

/** What a site's status is read from: its settings, the store, the scheduler, the site's clock, a run in progress. */
export interface SiteStatusSources {
  sites: SiteService;
  store: SessionStore;
  queries: StoreQueries;
  scheduler: Scheduler;
  accounts: PraAccounts;
  /** The progress of the site's run in progress, if any. */
  liveProgress(siteId: number): ExtractionProgress | undefined;
}

/** A site's status as the CLI and the UI show it (state, backfill %, last error, counts); null for an unknown site. */
export function siteStatusOf(src: SiteStatusSources, siteId: number): SiteStatus | null {
  const site = src.sites.findSite(siteId);
  if (!site) return null;
  const state = src.store.siteState(siteId);
  const counts = src.queries.siteCounts(siteId);
  const iso = (s: number | null | undefined) => (s ? new Date(s * 1000).toISOString() : null);
  const running = src.scheduler.isRunning(siteId);
  const next = src.scheduler.nextRunAt(siteId);
  let backfill: SiteStatus['backfill'] = null;
  if (state && state.rangeStart !== null && state.cursor !== null) {
    const rangeStart = state.rangeStart;
    const live = running ? src.liveProgress(siteId) : undefined;
    const cursor = Math.max(state.cursor, live?.cursor ?? 0);
    // Measured on the site's clock, up to where a pass stops (SETTLE_SECONDS before its now).
    // Within two poll intervals of that, the site is caught up: 100 %, not 99.7 % between polls.
    // The site's clock: as last read in this process, else as recorded by the last run.
    const siteNow = src.accounts.hasClock(site.host, site.clientId) ? src.accounts.siteNow(site.host, site.clientId) : Math.floor(Date.now() / 1000) + state.clockOffset;
    const end = live?.target ?? siteNow - SETTLE_SECONDS;
    const caughtUp = !live && end - cursor <= 2 * site.pollIntervalSeconds;
    const span = end - rangeStart;
    const progress = caughtUp || span <= 0 ? 1 : Math.min(1, Math.max(0, (cursor - rangeStart) / span));
    backfill = { from: iso(rangeStart)!, coveredUntil: iso(cursor)!, progress };
  }
  return {
    siteId,
    name: site.name,
    host: site.host,
    state: !site.enabled
      ? 'disabled'
      : state?.needsAttention
        ? 'needs-attention'
        : running
          ? src.scheduler.isBackfilling(siteId) ? 'backfilling' : 'running'
          : state?.lastSuccessAt
            ? 'idle'
            : 'waiting',
    lastRunAt: iso(state?.lastRunAt),
    lastSuccessAt: iso(state?.lastSuccessAt),
    nextRunAt: next ? new Date(next).toISOString() : null,
    lastError: state?.lastError ?? null,
    needsAttention: state?.needsAttention ?? null,
    sessionsStored: counts.sessions,
    eventsStored: counts.events,
    sessionsFollowed: counts.followed,
    backfill,
  };
}
