import type { Site } from '../../../shared/models.ts';
import { CredentialsRejectedError, PraError } from '../pra/errors.ts';
import type { PraClient } from '../pra/pra-client.ts';
import type { Logger } from '../log/logger.ts';
import type { SessionStore } from '../store/session-store.ts';
import type { SessionWriter } from '../store/store-writer.ts';
import { WINDOW_LIMITS } from './report-windows.ts';
import { extractSite, type ExtractionProgress, type SiteRunResult } from './site-extractor.ts';

export interface SiteRunOutcome {
  siteId: number;
  ok: boolean;
  result?: SiteRunResult;
  error?: string;
  /** The run stopped because the site needs attention (rejected credentials): it is not retried by itself. */
  needsAttention?: boolean;
}

export interface SchedulerDeps {
  listSites(): Site[];
  getSite(id: number): Site | null;
  clientFor(site: Site): PraClient;
  store: SessionStore;
  /** Where runs store what they pull (the engine's writer thread); default: `store` on this thread. */
  writer?: SessionWriter;
  logger: Logger;
  /** A site's state or plan changed (a run started or ended, a next run planned): the engine re-reads and publishes its status. */
  onSiteChanged(siteId: number): void;
  /** A stretch of a run's progress (every few thousand events: the listener paces what it publishes). */
  onProgress?(progress: ExtractionProgress): void;
  /** A site's report is bringing sessions (see ExtractDeps.onReportStreaming). */
  onReportStreaming?(siteId: number): void;
  /** The words for a storage failure (the data folder's disk is full, a damaged database); null for any other error. */
  describeStorageError?(error: unknown): string | null;
}

/**
 * Runs every enabled site every poll interval. Sites run concurrently; what they share (each API
 * account's rate limiter and token) lives in the clients. A site whose credentials are rejected
 * stops and is marked "needs attention" until it is edited or tested successfully: no hammering a
 * dead secret.
 */
export class Scheduler {
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private readonly running = new Map<number, Promise<SiteRunOutcome>>();
  private readonly nextRuns = new Map<number, number>();
  private readonly backfilling = new Set<number>();
  private abort = new AbortController();
  private started = false;
  private paused = false;

  constructor(private readonly deps: SchedulerDeps) {}

  /** Starts the schedule: due sites run now, the others at their next time. */
  start() {
    this.started = true;
    this.abort = new AbortController();
    for (const site of this.deps.listSites()) this.reschedule(site.id);
  }

  /** Stops the schedule and any run in flight (its work so far is kept), then resolves. */
  async stop() {
    this.started = false;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.nextRuns.clear();
    this.abort.abort(new Error('stopping'));
    await Promise.allSettled([...this.running.values()]);
  }

  /** Pauses or resumes scheduled runs (the tray's Pause). Runs in flight finish. */
  setPaused(paused: boolean) {
    this.paused = paused;
    if (!paused && this.started) for (const site of this.deps.listSites()) this.reschedule(site.id);
    if (paused) {
      for (const timer of this.timers.values()) clearTimeout(timer);
      this.timers.clear();
      this.nextRuns.clear();
    }
  }

  get isPaused() {
    return this.paused;
  }

  isRunning(siteId: number) {
    return this.running.has(siteId);
  }

  isBackfilling(siteId: number) {
    return this.backfilling.has(siteId);
  }

  nextRunAt(siteId: number): number | null {
    return this.nextRuns.get(siteId) ?? null;
  }

  /**
   * Runs the given sites (default: every enabled site that does not need attention) once, now,
   * concurrently. A site already running is not started twice: its run in flight is awaited.
   */
  async runNow(siteIds?: number[]): Promise<SiteRunOutcome[]> {
    const sites = siteIds
      ? siteIds.map((id) => this.deps.getSite(id)).filter((s): s is Site => s !== null)
      : this.deps.listSites().filter((s) => s.enabled);
    return Promise.all(sites.map((site) => this.runSite(site)));
  }

  /** Re-plans one site after it was added, edited, enabled, disabled or removed. */
  reschedule(siteId: number, delayMs?: number) {
    const timer = this.timers.get(siteId);
    if (timer) clearTimeout(timer);
    this.timers.delete(siteId);
    this.nextRuns.delete(siteId);
    const site = this.deps.getSite(siteId);
    if (!this.started || this.paused || !site || !site.enabled) return;
    const state = this.deps.store.siteState(siteId);
    if (state?.needsAttention) return;
    let wait = delayMs;
    if (wait === undefined) {
      const lastRun = state?.lastRunAt ? state.lastRunAt * 1000 : 0;
      wait = Math.max(0, lastRun + site.pollIntervalSeconds * 1000 - Date.now());
    }
    this.nextRuns.set(siteId, Date.now() + wait);
    this.timers.set(
      siteId,
      setTimeout(() => {
        this.timers.delete(siteId);
        void this.runSite(site);
      }, wait),
    );
    this.deps.onSiteChanged(siteId);
  }

  private runSite(site: Site): Promise<SiteRunOutcome> {
    const inFlight = this.running.get(site.id);
    if (inFlight) return inFlight;
    // Registered before the run starts, so status read during its first steps says "running".
    const run = Promise.resolve()
      .then(() => this.execute(site))
      .finally(() => {
        this.running.delete(site.id);
        this.backfilling.delete(site.id);
        // Re-plan from this run (a "run now" restarts the interval); a site that now needs
        // attention loses its timer here, whichever way the run was started.
        if (this.started) this.reschedule(site.id);
        this.deps.onSiteChanged(site.id);
      });
    this.running.set(site.id, run);
    return run;
  }

  private async execute(site: Site): Promise<SiteRunOutcome> {
    const { store, logger } = this.deps;
    const attention = store.siteState(site.id)?.needsAttention;
    if (attention) return { siteId: site.id, ok: false, error: attention, needsAttention: true };
    try {
      store.ensureSiteState(site.id, WINDOW_LIMITS.initialSeconds);
      store.recordRunStart(site.id);
      this.deps.onSiteChanged(site.id);
      logger.info('extract', `Run started for ${site.name}.`, { siteId: site.id });
      const result = await extractSite({
        site,
        client: this.deps.clientFor(site),
        store,
        writer: this.deps.writer,
        logger,
        signal: this.abort.signal,
        onReportStreaming: () => this.deps.onReportStreaming?.(site.id),
        onProgress: (progress) => {
          // Behind by more than two poll intervals: this run is catching up, not just polling.
          const behind = progress.target - progress.cursor > 2 * site.pollIntervalSeconds;
          if (behind !== this.backfilling.has(site.id)) {
            if (behind) this.backfilling.add(site.id);
            else this.backfilling.delete(site.id);
          }
          // Progress is frequent: the listener paces what it publishes (onSiteChanged is for starts,
          // ends and plans).
          this.deps.onProgress?.(progress);
        },
      });
      store.recordRunEnd(site.id, null);
      logger.info('extract', `Run finished for ${site.name}: ${result.sessionsSeen} sessions read, ${result.eventsAdded} new events, ${result.followed} in progress followed.`, { siteId: site.id, ...result });
      return { siteId: site.id, ok: true, result };
    } catch (error) {
      const message =
        error instanceof PraError ? error.message : (this.deps.describeStorageError?.(error) ?? `Unexpected problem: ${(error as Error).message}`);
      try {
        store.recordRunEnd(site.id, message);
      } catch {
        // The store cannot be written (its disk is full: often the very failure): the outcome still says why.
      }
      if (error instanceof CredentialsRejectedError) {
        store.setNeedsAttention(site.id, message);
        logger.error('extract', `${site.name} needs attention: ${message} Extraction is stopped until the site is edited or tested successfully.`, { siteId: site.id });
        return { siteId: site.id, ok: false, error: message, needsAttention: true };
      }
      if (this.abort.signal.aborted) logger.info('extract', `Run for ${site.name} stopped; its progress so far is kept.`, { siteId: site.id });
      else logger.error('extract', `Run failed for ${site.name}: ${message}`, { siteId: site.id });
      return { siteId: site.id, ok: false, error: message };
    }
  }
}
