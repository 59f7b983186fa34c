import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import type { Site } from '../../shared/models.ts';
import type { SiteInputRaw, SitePatchRaw } from '../../shared/site-schema.ts';
import type { SiteTestResult, SiteTestStepResult } from '../../shared/site-test.ts';
import type { EngineEvent, OutboxCounts, SiteStatus } from '../../shared/status.ts';
import { openDatabase, type AppDatabase } from './db/database.ts';
import { Scheduler, type SiteRunOutcome } from './extract/scheduler.ts';
import type { ExtractionProgress } from './extract/site-extractor.ts';
import { Logger, type LogEntry } from './log/logger.ts';
import { ensureDataDir } from './paths.ts';
import { PraAccounts } from './pra/pra-accounts.ts';
import { PraClient, type RetryPolicy } from './pra/pra-client.ts';
import type { RateLimits } from './pra/rate-limiter.ts';
import { testSite } from './pra/site-test.ts';
import { KeytarSecretStore } from './secrets/keytar-secret-store.ts';
import type { SecretStore } from './secrets/secret-store.ts';
import { SiteService, SiteValidationError, type SiteRef } from './sites/site-service.ts';
import { SessionStore } from './store/session-store.ts';
import { StoreQueries } from './store/store-queries.ts';
import { USER_AGENT } from './version.ts';

export interface EngineOptions {
  dataDir: string;
  /** Default: the OS keychain. The in-memory twin is for unit tests only. */
  secrets?: SecretStore;
  /** Lowest poll interval accepted (the app: 30 s; the CLI lets tests go lower). */
  minPollSeconds?: number;
  /** Also print log lines (the CLI's --verbose). */
  echoLog?: (entry: LogEntry) => void;
  /** Test hooks: PRA limits and retry timings. */
  praLimits?: RateLimits;
  praRetry?: Partial<RetryPolicy>;
}

/** A secret store that registers every secret it hands out with the logger's redaction list. */
class RedactingSecretStore implements SecretStore {
  constructor(
    private readonly inner: SecretStore,
    private readonly logger: Logger,
  ) {}
  async get(account: string) {
    const secret = await this.inner.get(account);
    this.logger.redact(secret);
    return secret;
  }
  async set(account: string, secret: string) {
    this.logger.redact(secret);
    await this.inner.set(account, secret);
  }
  delete(account: string) {
    return this.inner.delete(account);
  }
  accounts(prefix: string) {
    return this.inner.accounts(prefix);
  }
}

/**
 * The engine: everything the CLI, the Electron shell and `pra-ic ui` drive. Plain Node — it never
 * imports Electron or the UI.
 */
export class Engine {
  readonly database: AppDatabase;
  readonly logger: Logger;
  readonly secrets: SecretStore;
  readonly sites: SiteService;
  readonly store: SessionStore;
  readonly queries: StoreQueries;
  readonly accounts: PraAccounts;
  readonly scheduler: Scheduler;
  private readonly emitter = new EventEmitter();
  private readonly progress = new Map<number, ExtractionProgress>();

  constructor(private readonly options: EngineOptions) {
    const dataDir = ensureDataDir(options.dataDir);
    this.logger = new Logger(join(dataDir, 'logs'), { echo: options.echoLog });
    this.database = openDatabase(dataDir);
    this.secrets = new RedactingSecretStore(options.secrets ?? new KeytarSecretStore(), this.logger);
    this.sites = new SiteService(this.database, this.secrets, { minPollSeconds: options.minPollSeconds });
    this.store = new SessionStore(this.database.db);
    this.queries = new StoreQueries(this.database.db);
    this.accounts = new PraAccounts({ limits: options.praLimits });
    this.scheduler = new Scheduler({
      listSites: () => this.sites.listSites(),
      getSite: (id) => this.sites.findSite(id),
      clientFor: (site) => this.clientFor(site),
      store: this.store,
      logger: this.logger,
      onSiteChanged: (id) => this.publishSite(id),
      onProgress: (p) => this.progress.set(p.siteId, p),
    });
    this.logger.onEntry((entry) =>
      this.emit({ type: 'log', line: { time: entry.time, level: entry.level, topic: entry.topic, message: entry.message, siteId: entry.siteId } }),
    );
  }

  get installId() {
    return this.database.installId;
  }

  get dataDir() {
    return this.options.dataDir;
  }

  onEvent(listener: (event: EngineEvent) => void): () => void {
    this.emitter.on('event', listener);
    return () => this.emitter.off('event', listener);
  }

  private emit(event: EngineEvent) {
    this.emitter.emit('event', event);
  }

  /** A PRA client for a stored site; its secret is read from the keychain when a token is needed. */
  clientFor(site: Site): PraClient {
    return new PraClient(
      site,
      async () => {
        const secret = await this.sites.getClientSecret(site);
        if (!secret) throw new SiteValidationError(`No client secret is stored for “${site.name}”: edit the site and enter it.`);
        return secret;
      },
      this.accounts,
      { retry: this.options.praRetry, userAgent: USER_AGENT },
    );
  }

  // ── Sites ──────────────────────────────────────────────────────────────────────────────

  async addSite(input: SiteInputRaw, clientSecret: string): Promise<Site> {
    const site = await this.sites.addSite(input, clientSecret);
    this.logger.info('site', `Site “${site.name}” added (${site.host}).`, { siteId: site.id });
    this.scheduler.reschedule(site.id);
    return site;
  }

  /** An edit clears "needs attention": the admin has looked at the site. */
  async editSite(ref: SiteRef, patch: SitePatchRaw, newSecret?: string | null): Promise<Site> {
    const site = await this.sites.editSite(ref, patch, newSecret);
    this.store.ensureSiteState(site.id, Math.floor(Date.now() / 1000) - site.initialIntervalSeconds, 3600);
    this.store.setNeedsAttention(site.id, null);
    this.logger.info('site', `Site “${site.name}” changed${newSecret ? ' (new client secret)' : ''}.`, { siteId: site.id });
    this.scheduler.reschedule(site.id);
    return site;
  }

  async removeSite(ref: SiteRef): Promise<Site> {
    const site = this.sites.getSite(ref);
    this.scheduler.reschedule(site.id); // clears its timer
    const removed = await this.sites.removeSite(site.id);
    this.logger.info('site', `Site “${removed.name}” removed with its secrets and stored sessions.`, { siteId: removed.id });
    this.emit({ type: 'site-removed', siteId: removed.id });
    return removed;
  }

  /** Tests a stored site; a success clears "needs attention" and lets the schedule resume. */
  async testStoredSite(ref: SiteRef, onStep?: (step: SiteTestStepResult) => void): Promise<SiteTestResult> {
    const site = this.sites.getSite(ref);
    const secret = await this.sites.getClientSecret(site);
    if (!secret) throw new SiteValidationError(`No client secret is stored for “${site.name}”: edit the site and enter it.`);
    const result = await testSite(site, secret, this.accounts, { onStep, client: { retry: this.options.praRetry, userAgent: USER_AGENT } });
    this.logger.info('site', `Test of “${site.name}”: ${result.ok ? 'passed' : `failed at “${result.steps.find((s) => s.status === 'failed')?.title}”`}.`, { siteId: site.id });
    if (result.ok && this.store.siteState(site.id)?.needsAttention) {
      this.store.setNeedsAttention(site.id, null);
      this.scheduler.reschedule(site.id);
    }
    return result;
  }

  // ── Extraction ─────────────────────────────────────────────────────────────────────────

  start() {
    this.scheduler.start();
  }

  runNow(siteIds?: number[]): Promise<SiteRunOutcome[]> {
    return this.scheduler.runNow(siteIds);
  }

  // ── Status ─────────────────────────────────────────────────────────────────────────────

  siteStatus(siteId: number): SiteStatus | null {
    const site = this.sites.findSite(siteId);
    if (!site) return null;
    const state = this.store.siteState(siteId);
    const counts = this.queries.siteCounts(siteId);
    const iso = (s: number | null | undefined) => (s ? new Date(s * 1000).toISOString() : null);
    const running = this.scheduler.isRunning(siteId);
    const next = this.scheduler.nextRunAt(siteId);
    let backfill: SiteStatus['backfill'] = null;
    if (state) {
      const live = running ? this.progress.get(siteId) : undefined;
      const cursor = Math.max(state.cursor, live?.cursor ?? 0);
      const end = live?.target ?? Math.max(cursor, Math.floor(Date.now() / 1000));
      const span = end - state.rangeStart;
      backfill = { from: iso(state.rangeStart)!, coveredUntil: iso(cursor)!, progress: span > 0 ? Math.min(1, Math.max(0, (cursor - state.rangeStart) / span)) : 1 };
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
            ? this.scheduler.isBackfilling(siteId) ? 'backfilling' : 'running'
            : 'idle',
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

  status(): { sites: SiteStatus[]; outbox: OutboxCounts } {
    return {
      sites: this.sites.listSites().map((s) => this.siteStatus(s.id)!),
      outbox: this.queries.outboxCounts(),
    };
  }

  private publishSite(siteId: number) {
    if (this.emitter.listenerCount('event') === 0) return;
    const status = this.siteStatus(siteId);
    if (status) this.emit({ type: 'site-status', status });
  }

  async close() {
    await this.scheduler.stop();
    this.database.close();
  }
}
