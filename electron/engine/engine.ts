import { join } from 'node:path';
import type { Site } from '../../shared/models.ts';
import type { SiteInputRaw, SitePatchRaw } from '../../shared/site-schema.ts';
import type { SiteTestResult } from '../../shared/site-test.ts';
import type { EngineEvent, OutboxCounts, ShippingErrorView, SiteStatus } from '../../shared/status.ts';
import type { DestinationSettings, DestinationTestStepId, DestinationView } from '../../shared/destination.ts';
import type { TestResult, TestStep } from '../../shared/site-test.ts';
import type { ArchiveSettings, ArchiveStatus, ArchiveTestResult, ArchiveTestStepId, ArchiveVerifyResult, ArchiveView } from '../../shared/archive.ts';
import { Archiver, type ArchivePassResult } from './archive/archiver.ts';
import { describeStorageError, type AppDatabase } from './db/database.ts';
import { openSettingsDatabase } from './settings-db.ts';
import { BackupService, type BackupOutcome, type BackupResult } from './backup/backup-service.ts';
import { DestinationStore, normalizeApiKey, validateDestination } from './elastic/destination-settings.ts';
import { testDestination } from './elastic/destination-test.ts';
import { installIntegrationAssets } from './elastic/fleet.ts';
import { Shipper, type ShipLimits } from './elastic/shipper.ts';
import { Scheduler, type SiteRunOutcome } from './extract/scheduler.ts';
import type { ExtractionProgress } from './extract/site-extractor.ts';
import { siteStatusOf } from './extract/site-status.ts';
import { EngineEvents } from './engine-events.ts';
import { SiteTests } from './site-tests.ts';
import { Logger, type LogEntry } from './log/logger.ts';
import { ensureDataDir } from './paths.ts';
import { PraAccounts } from './pra/pra-accounts.ts';
import { PraClient, type RetryPolicy } from './pra/pra-client.ts';
import type { RateLimits } from './pra/rate-limiter.ts';
import { KeytarSecretStore } from './secrets/keytar-secret-store.ts';
import { RedactingSecretStore } from './secrets/redacting-secret-store.ts';
import type { SecretStore } from './secrets/secret-store.ts';
import { cleanBackupPassword, SiteService, SiteValidationError, type BackupPasswordChange, type SiteRef } from './sites/site-service.ts';
import { SessionStore } from './store/session-store.ts';
import { getRetentionDays, pruneExpired, setRetentionDays } from './store/retention.ts';
import { StoreQueries } from './store/store-queries.ts';
import { tuneV8 } from './v8-tuning.ts';
import { InlineSessionWriter, WorkerSessionWriter, type SessionWriter } from './store/store-writer.ts';
import type { EarlyWriterThread } from './store/store-writer-thread.ts';
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
  /** Test hooks: shipping batch sizes and backoff. */
  shipLimits?: Partial<ShipLimits>;
  /**
   * Build the shipper's batches on a thread of their own: the script of
   * electron/engine/elastic/batch-builder-worker.ts (a bundle builds it as an entry). Default: on
   * the main thread (see defaultBuilderScript).
   */
  shipBuilderScript?: URL | 'inline';
  /**
   * The store writer thread's script. From the sources it is found next to store-writer.ts; a
   * bundle of the engine (the desktop app, the benchmark) builds store-writer-worker.ts as an entry
   * of its own and passes its URL here. 'inline': store on the engine's thread instead.
   */
  storeWriterScript?: URL | 'inline';
  /**
   * The store writer thread, started before the engine was made (`pra-ic run` starts it while the
   * engine's modules load; see EarlyWriterThread). Used if it was started for the same folder and
   * script; let go otherwise.
   */
  storeWriterThread?: EarlyWriterThread;
  /** Test hooks: the archive's share of each account's hourly budget, and how often a paused archive looks at its folder. */
  archiveBudget?: { share?: number; perHour?: number };
  archiveResumeCheckMs?: number;
}

/** How often the running engine looks for due backups. */
const BACKUP_CHECK_MS = 60_000;

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
  /** Extraction's writes: a thread of their own (see WorkerSessionWriter). */
  readonly writer: SessionWriter;
  readonly queries: StoreQueries;
  readonly accounts: PraAccounts;
  readonly scheduler: Scheduler;
  readonly destination: DestinationStore;
  readonly shipper: Shipper;
  /** Session XML and recordings into the archive folder, after each site pass. */
  readonly archiver: Archiver;
  /** Site backups (`.nsb`) into the archive folder, on each site's schedule or on demand. */
  readonly backups: BackupService;
  private readonly events: EngineEvents;
  private readonly siteTests: SiteTests;
  private readonly progress = new Map<number, ExtractionProgress>();

  constructor(private readonly options: EngineOptions) {
    // The engine is what this process is for: keep the garbage of extraction from piling up, and
    // let its hot code be optimised once, with the types it will see (v8-tuning.ts).
    tuneV8();
    this.events = new EngineEvents({
      isOpen: () => this.database.db.open,
      archiveStatus: () => this.archiver.status(),
      outboxCounts: () => this.queries.outboxCounts(),
      siteStatus: (id) => this.siteStatus(id),
    });
    let folderWarning: string | null = null;
    const dataDir = ensureDataDir(options.dataDir, (warning) => (folderWarning = warning));
    this.logger = new Logger(join(dataDir, 'logs'), { echo: options.echoLog });
    if (folderWarning) this.logger.warn('engine', folderWarning);
    this.database = openSettingsDatabase(dataDir);
    this.secrets = new RedactingSecretStore(options.secrets ?? new KeytarSecretStore(), this.logger);
    this.sites = new SiteService(this.database, this.secrets, {
      minPollSeconds: options.minPollSeconds,
      // The archive is built after the sites; it is only asked when a site is removed.
      undeliveredSources: [(siteId) => [{ kind: 'archive-pending', count: this.archiver.pendingSessions(siteId) }]],
    });
    this.store = new SessionStore(this.database.db);
    if (options.storeWriterScript === 'inline') void options.storeWriterThread?.terminate();
    this.writer =
      options.storeWriterScript === 'inline'
        ? new InlineSessionWriter(this.store)
        : new WorkerSessionWriter(
            dataDir,
            options.storeWriterScript,
            {
              store: this.store,
              onFallback: (reason) => this.logger.warn('store', `The store writer thread could not start (${reason}); sessions are stored on the main thread instead, more slowly.`),
            },
            options.storeWriterThread,
          );
    this.queries = new StoreQueries(this.database.db);
    this.accounts = new PraAccounts({ limits: options.praLimits });
    this.scheduler = new Scheduler({
      listSites: () => this.sites.listSites(),
      getSite: (id) => this.sites.findSite(id),
      clientFor: (site) => this.clientFor(site),
      store: this.store,
      writer: this.writer,
      logger: this.logger,
      onSiteChanged: (id) => {
        this.events.publishSite(id);
        this.shipper.notify();
        // A site pass ended (or a site was planned): archive what it completed. Runs apart, so
        // the next pass and the shipping never wait for the archive.
        if (!this.scheduler.isRunning(id)) this.archiver?.requestPass([id]);
      },
      describeStorageError: (error) => describeStorageError(error, dataDir),
      // The shipper's client is made while the first sessions are parsed, not once their batch is ready.
      onReportStreaming: () => this.shipper.prepare(),
      onProgress: (p) => {
        this.progress.set(p.siteId, p);
        this.events.publishProgress(p.siteId);
        this.shipper.notify();
      },
    });
    this.siteTests = new SiteTests({
      sites: this.sites,
      accounts: this.accounts,
      logger: this.logger,
      store: this.store,
      scheduler: this.scheduler,
      praRetry: options.praRetry,
    });
    this.destination = new DestinationStore(this.database.db, this.secrets, this.database.installId);
    this.shipper = new Shipper(this.database.db, this.destination, this.logger, {
      installId: this.database.installId,
      limits: options.shipLimits,
      builderScript: options.shipBuilderScript,
      onChange: () => this.events.publishOutbox(),
    });
    this.archiver = new Archiver({
      db: this.database.db,
      logger: this.logger,
      listSites: () => this.sites.listSites(),
      getSite: (id) => this.sites.findSite(id),
      clientFor: (site) => this.clientFor(site),
      onChange: () => this.events.publishArchive(),
      budget: options.archiveBudget ?? (options.praLimits ? { perHour: options.praLimits.perHour } : undefined),
      resumeCheckMs: options.archiveResumeCheckMs,
      backupStatuses: () => this.backups.statuses(),
    });
    this.backups = new BackupService({
      db: this.database.db,
      listSites: () => this.sites.listSites(),
      getSite: (id) => this.sites.findSite(id),
      clientFor: (site) => this.clientFor(site),
      backupPassword: (site) => this.sites.getBackupPassword(site),
      logger: this.logger,
      archiveDir: () => this.archiveDir(),
      ensureArchiveRoot: (dir) => this.archiver.ensureRoot(dir),
      // Rejected credentials stop a site's scheduled work until it is edited or tested.
      mayRun: (site) => !this.store.siteState(site.id)?.needsAttention,
    });
    this.logger.onEntry((entry) =>
      this.events.emit({ type: 'log', line: { time: entry.time, level: entry.level, topic: entry.topic, message: entry.message, siteId: entry.siteId } }),
    );
  }

  get installId() {
    return this.database.installId;
  }

  get dataDir() {
    return this.options.dataDir;
  }

  /** Every event, or only those of `types` (see EngineEvents.on: what nobody listens to is not computed). */
  onEvent(listener: (event: EngineEvent) => void, types?: readonly EngineEvent['type'][]): () => void {
    return this.events.on(listener, types);
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

  async addSite(input: SiteInputRaw, clientSecret: string, backupPassword?: string | null): Promise<Site> {
    const site = await this.sites.addSite(input, clientSecret, backupPassword);
    this.logger.info('site', `Site “${site.name}” added (${site.host}).`, { siteId: site.id });
    this.warnSameHost(site);
    this.scheduler.reschedule(site.id);
    return site;
  }

  /** An edit clears "needs attention": the admin has looked at the site. */
  async editSite(ref: SiteRef, patch: SitePatchRaw, newSecret?: string | null, backup: BackupPasswordChange = {}): Promise<Site> {
    const site = await this.sites.editSite(ref, patch, newSecret, backup);
    this.store.setNeedsAttention(site.id, null);
    const password = cleanBackupPassword(backup.password) !== null ? ' (new backup password)' : backup.clear ? ' (backup password removed)' : '';
    this.logger.info('site', `Site “${site.name}” changed${newSecret ? ' (new client secret)' : ''}${password}.`, { siteId: site.id });
    if (patch.host !== undefined) this.warnSameHost(site);
    this.scheduler.reschedule(site.id);
    return site;
  }

  private warnSameHost(site: Site) {
    const others = this.sites.sameHostSites(site);
    if (others.length) this.logger.warn('site', `“${site.name}” pulls from the same appliance (${site.host}) as ${others.map((s) => `“${s.name}”`).join(', ')}: the API calls are doubled (each event still reaches Elasticsearch once).`, { siteId: site.id });
  }

  /** Refused (SiteHasUndeliveredError) while the site has undelivered events, unless `discardPending`. */
  async removeSite(ref: SiteRef, options: { discardPending?: boolean } = {}): Promise<Site> {
    const site = this.sites.getSite(ref);
    const removed = await this.sites.removeSite(site.id, options);
    this.scheduler.reschedule(removed.id); // the site is gone: this clears its timer
    this.events.forgetSite(removed.id);
    this.logger.info('site', `Site “${removed.name}” removed with its secrets and stored sessions${options.discardPending ? ' (undelivered events discarded on request)' : ''}.`, { siteId: removed.id });
    this.events.emit({ type: 'site-removed', siteId: removed.id });
    return removed;
  }

  /** Tests a stored site; a success clears "needs attention" and lets the schedule resume (SiteTests.testStored). */
  testStoredSite(...args: Parameters<SiteTests['testStored']>): Promise<SiteTestResult> {
    return this.siteTests.testStored(...args);
  }

  /** Tests the New/Edit dialog's unsaved values (SiteTests.testDraft). */
  testSiteDraft(...args: Parameters<SiteTests['testDraft']>): Promise<SiteTestResult> {
    return this.siteTests.testDraft(...args);
  }

  // ── Extraction ─────────────────────────────────────────────────────────────────────────

  private pruneTimer: NodeJS.Timeout | null = null;
  private backupTimer: NodeJS.Timeout | null = null;

  /** Extraction on schedule, shipping, retention pruning and due backups in the background, until close(). */
  start() {
    this.scheduler.start();
    this.shipper.start();
    const prune = () => this.prune();
    this.pruneTimer = setInterval(prune, 3_600_000);
    setTimeout(prune, 60_000).unref();
    // Backups are due at most daily: a look every minute is plenty (runDue takes only what is due).
    this.backupTimer = setInterval(() => void this.runDueBackups(), BACKUP_CHECK_MS);
    setTimeout(() => void this.runDueBackups(), 5_000).unref();
  }

  /** The backups that are due now (not while paused); failures are logged and kept as each site's last error. */
  async runDueBackups(siteIds?: number[]): Promise<BackupOutcome[]> {
    if (this.scheduler.isPaused || !this.database.db.open) return [];
    try {
      return await this.backups.runDue({ siteIds });
    } catch (error) {
      this.logger.error('backup', `Backups could not run: ${(error as Error).message}`);
      return [];
    }
  }

  /** One backup of the site now, into the archive folder (`pra-ic backup now`, the UI's button). */
  backupNow(ref: SiteRef): Promise<BackupResult> {
    return this.backups.takeBackup(this.sites.getSite(ref));
  }

  /** The archive folder, or null (backups go into it too). */
  archiveDir(): string | null {
    return this.archiver.settings.get().dir;
  }

  get retentionDays() {
    return getRetentionDays(this.database.db);
  }

  set retentionDays(days: number) {
    setRetentionDays(this.database.db, days);
    this.logger.info('store', days === 0 ? 'Local retention: sessions are kept forever.' : `Local retention: sessions are kept ${days} days after they ended.`);
  }

  /** Deletes sessions past the local retention (never undelivered or in-progress ones). */
  prune(): number {
    try {
      const hold = this.archiver.retentionHold();
      const n = pruneExpired(this.database.db, undefined, hold ? [hold] : []);
      if (n > 0) this.logger.info('store', `Retention: removed ${n} session(s) that ended more than ${this.retentionDays} days ago from the local store.`);
      return n;
    } catch (error) {
      this.logger.error('store', `Retention pruning failed: ${(error as Error).message}`);
      return 0;
    }
  }

  runNow(siteIds?: number[]): Promise<SiteRunOutcome[]> {
    return this.scheduler.runNow(siteIds);
  }

  setPaused(paused: boolean) {
    this.scheduler.setPaused(paused);
    this.logger.info('engine', paused ? 'Extraction paused.' : 'Extraction resumed.');
  }

  /**
   * One full pass (`pra-ic run --once`): every given site caught up to now while the outbox ships
   * alongside, then the outbox drained until it is empty or holds only failed events.
   */
  async runOnce(
    siteIds?: number[],
  ): Promise<{
    sites: SiteRunOutcome[];
    shipping: Awaited<ReturnType<Shipper['drain']>> | null;
    archive: ArchivePassResult | null;
    backups: BackupOutcome[];
  }> {
    const shipping = this.shipper.configured;
    if (shipping) this.shipper.start();
    // The writer thread starts (its own modules, its connection) while the sites are asked for
    // their token: not when the first report is ready to be parsed.
    void this.writer.parsesReports?.();
    const sites = await this.scheduler.runNow(siteIds);
    // The archive (everything due: session XML and recordings of ended sessions) alongside the drain.
    const archiving = this.archiver.settings.get().dir ? this.archiver.runPassWithCurrent(siteIds) : Promise.resolve(null);
    // The backups that are due, after the sites' runs (a site whose credentials were just rejected takes none).
    const backingUp = this.backups.runDue({ siteIds });
    if (!shipping) {
      const [archive, backups] = await Promise.all([archiving, backingUp]);
      return { sites, shipping: null, archive, backups };
    }
    // The shipping that ran alongside finishes the outbox: nothing in flight is abandoned and sent
    // again, and its totals cover the whole run.
    const [drained, archive, backups] = await Promise.all([this.shipper.drain(), archiving, backingUp]);
    return { sites, shipping: drained, archive, backups };
  }

  // ── Archive folder ─────────────────────────────────────────────────────────────────────

  archiveView(): ArchiveView {
    return this.archiver.view();
  }

  setArchive(patch: Partial<ArchiveSettings>): ArchiveView {
    return this.archiver.setSettings(patch);
  }

  async testArchive(draft?: Partial<ArchiveSettings>, onStep?: (step: TestStep<ArchiveTestStepId>) => void): Promise<ArchiveTestResult> {
    const result = await this.archiver.test(draft, onStep);
    this.logger.info('archive', `Test of the archive folder: ${result.ok ? 'passed' : `failed at “${result.steps.find((s) => s.status === 'failed')?.title}”`}.`);
    return result;
  }

  async archiveStatus(): Promise<ArchiveStatus> {
    await this.archiver.refreshFreeSpace();
    return this.archiver.status();
  }

  retryArchive(): number {
    return this.archiver.retryFailed();
  }

  verifyArchive(): Promise<ArchiveVerifyResult> {
    return this.archiver.verify();
  }

  // ── Elastic destination ────────────────────────────────────────────────────────────────

  destinationView(): Promise<DestinationView> {
    return this.destination.view();
  }

  async setDestination(settings: Partial<DestinationSettings>, apiKey?: string | null, password?: string | null): Promise<DestinationView> {
    const saved = await this.destination.set(settings, apiKey, password);
    this.logger.info('ship', `Elasticsearch destination set: ${saved.cloudId ? `Cloud ID ${saved.cloudId.split(':')[0]}` : saved.url}, namespace ${saved.namespace}.`);
    this.shipper.reset();
    return this.destination.view();
  }

  /** Tests the stored settings, or a draft merged over them (the dialog's unsaved values). */
  async testDestination(
    draft?: Partial<DestinationSettings>,
    secrets: { apiKey?: string; password?: string } = {},
    onStep?: (step: TestStep<DestinationTestStepId>) => void,
  ): Promise<TestResult<DestinationTestStepId>> {
    const settings = validateDestination({ ...(this.destination.get() ?? {}), ...(draft ?? {}) });
    const stored = await this.destination.credentials();
    const apiKey = secrets.apiKey ? normalizeApiKey(secrets.apiKey) : stored.apiKey;
    this.logger.redact(apiKey);
    this.logger.redact(secrets.password);
    const result = await testDestination(settings, { apiKey, password: secrets.password ?? stored.password }, onStep);
    this.logger.info('ship', `Test of the Elasticsearch destination: ${result.ok ? 'passed' : `failed at “${result.steps.find((s) => s.status === 'failed')?.title}”`}.`);
    return result;
  }

  /**
   * Installs the integration's assets through Kibana, with the destination's credentials or a
   * one-off admin credential (installing needs Kibana's Integrations "all" privilege, which a
   * shipping credential should not have). The admin credential is used once and not stored.
   */
  async installAssets(admin: { apiKey?: string; username?: string; password?: string } = {}): Promise<{ ok: boolean; detail: string }> {
    const stored = this.destination.get();
    if (!stored) return { ok: false, detail: 'Set up the Elasticsearch destination first.' };
    let settings = stored;
    let credentials = await this.destination.credentials();
    if (admin.apiKey) {
      settings = { ...stored, auth: 'api-key' };
      credentials = { apiKey: normalizeApiKey(admin.apiKey), password: null };
    } else if (admin.username && admin.password) {
      settings = { ...stored, auth: 'basic', username: admin.username };
      credentials = { apiKey: null, password: admin.password };
    }
    this.logger.redact(credentials.apiKey);
    this.logger.redact(credentials.password);
    const result = await installIntegrationAssets(settings, credentials);
    (result.ok ? this.logger.info : this.logger.warn).call(this.logger, 'ship', `Installing the integration's assets: ${result.detail}`);
    return result;
  }

  retryFailed(): number {
    const n = this.shipper.retryFailed();
    this.logger.info('ship', `${n} failed event(s) queued again for Elasticsearch.`);
    this.events.publishOutbox();
    return n;
  }

  // ── Status ─────────────────────────────────────────────────────────────────────────────

  siteStatus(siteId: number): SiteStatus | null {
    return siteStatusOf({ sites: this.sites, store: this.store, queries: this.queries, scheduler: this.scheduler, accounts: this.accounts, liveProgress: (id) => this.progress.get(id) }, siteId);
  }

  status(): {
    sites: SiteStatus[];
    outbox: OutboxCounts;
    outboxFailures: { eventId: number; reason: string }[];
    shippingError: ShippingErrorView | null;
    archive: ArchiveStatus;
    paused: boolean;
  } {
    return {
      sites: this.sites.listSites().map((s) => this.siteStatus(s.id)!),
      outbox: this.queries.outboxCounts(),
      outboxFailures: this.shipper.recentFailures(),
      shippingError: this.shipper.lastErrorDetail,
      archive: this.archiver.status(),
      paused: this.scheduler.isPaused,
    };
  }

  async close() {
    if (this.pruneTimer) clearInterval(this.pruneTimer);
    if (this.backupTimer) clearInterval(this.backupTimer);
    await this.backups.close();
    await this.scheduler.stop();
    await this.shipper.close();
    await this.archiver.close();
    // After the last run and batch: nothing notifies them any more.
    this.events.cancel();
    await this.writer.close();
    this.database.close();
  }
}
