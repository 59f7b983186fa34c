/**
 * The archive: after each site pass (and in `pra-ic run --once`) it copies what the appliance will
 * delete after 90 days — each ended session's XML, its screen recording, its command-shell
 * recordings — into the archive folder (see archive-pass.ts for one site's work).
 *
 * Passes run one at a time (requests made while one runs are merged into the next), apart from
 * extraction and shipping: the Elastic path never waits for the archive. When the folder is full or
 * unreachable the archive *pauses*: nothing more is attempted or marked, the status says why, an
 * event tells the shell (which raises an OS notification), and a timer looks at the folder every
 * `resumeCheckMs`; once it takes a file again, the archive resumes by itself.
 */
import type Database from 'better-sqlite3';
import type { ArchiveSettings, ArchiveStatus, ArchiveTestResult, ArchiveTestStepId, ArchiveVerifyResult, ArchiveView, SiteBackupStatus } from '../../../shared/archive.ts';
import type { Site } from '../../../shared/models.ts';
import type { TestStep } from '../../../shared/site-test.ts';
import type { Logger } from '../log/logger.ts';
import type { RetentionHold } from '../store/retention.ts';
import type { PraClient } from '../pra/pra-client.ts';
import { ArchiveBudget } from './archive-budget.ts';
import { describeFolderError, ensureArchiveRoot, freeBytes, isDiskFull, probeFolder, RESUME_MARGIN_BYTES, testArchiveFolder, verifyArchive } from './archive-folder.ts';
import { ArchiveLedger } from './archive-ledger.ts';
import { archiveSite, FolderUnavailable, settingsMask, type SitePassTotals } from './archive-pass.ts';
import { ArchiveSettingsStore, validateArchiveSettings } from './archive-settings.ts';

export interface ArchiverDeps {
  db: Database.Database;
  logger: Logger;
  listSites(): Site[];
  getSite(id: number): Site | null;
  clientFor(site: Site): PraClient;
  /** The status changed (a file, a pause, progress): the engine publishes it, paced. */
  onChange(): void;
  /** The archive's share of each account's hourly budget (default 0.5) and the account limit. */
  budget?: { share?: number; perHour?: number };
  /** How often a paused archive looks at its folder again (default 30 s). */
  resumeCheckMs?: number;
  /** Each site's backups (the backup module keeps them; they land in the same folder). */
  backupStatuses?(): SiteBackupStatus[];
}

export interface ArchivePassResult {
  files: number;
  bytes: number;
  expired: number;
  failed: number;
  /** Why the archive is paused, when it is. */
  paused: string | null;
  /** Per site, why its downloads stopped early (credentials, permission, site down). */
  stopped: { siteId: number; reason: string }[];
}

const EMPTY_RESULT = (): ArchivePassResult => ({ files: 0, bytes: 0, expired: 0, failed: 0, paused: null, stopped: [] });

export class Archiver {
  readonly settings: ArchiveSettingsStore;
  readonly ledger: ArchiveLedger;
  private readonly budget: ArchiveBudget;
  private chain: Promise<unknown> = Promise.resolve();
  private running: Promise<ArchivePassResult> | null = null;
  private queued: { sites: Set<number> | 'all'; promise: Promise<ArchivePassResult> } | null = null;
  private abort = new AbortController();
  private pausedReason: string | null = null;
  private requiredBytes = 0;
  private resumeTimer: NodeJS.Timeout | null = null;
  private budgetTimer: NodeJS.Timeout | null = null;
  private progress: { done: number; total: number; bytes: number } | null = null;
  private closed = false;
  private lastFree: number | null = null;

  constructor(private readonly deps: ArchiverDeps) {
    this.settings = new ArchiveSettingsStore(deps.db);
    this.ledger = new ArchiveLedger(deps.db);
    this.budget = new ArchiveBudget(deps.budget);
  }

  view(): ArchiveView {
    const s = this.settings.get();
    return { ...s, configured: s.dir !== null };
  }

  setSettings(patch: Partial<ArchiveSettings>): ArchiveView {
    const before = this.settings.get();
    const saved = this.settings.set(patch);
    if (saved.dir !== before.dir) {
      this.clearPause();
      this.deps.logger.info('archive', saved.dir ? `Archive folder set: ${saved.dir} (layout ${saved.layout}).` : 'Archive turned off (the files already archived stay where they are).');
      // The last reading was of the previous folder. The new one's is published as soon as it is
      // read, not only after the first pass (which may download for a long while).
      this.lastFree = null;
      if (saved.dir) {
        void this.refreshFreeSpace().then(
          () => this.deps.onChange(),
          () => undefined,
        );
      }
    }
    this.deps.onChange();
    if (saved.dir) this.requestPass();
    return this.view();
  }

  test(draft: Partial<ArchiveSettings> | undefined, onStep?: (step: TestStep<ArchiveTestStepId>) => void): Promise<ArchiveTestResult> {
    const settings = draft ? validateArchiveSettings({ ...this.settings.get(), ...draft }) : this.settings.get();
    return testArchiveFolder(settings, onStep);
  }

  /** Starts a pass in the background for these sites (default all); merged with one already queued. */
  requestPass(siteIds?: number[]): void {
    void this.runPass(siteIds).catch((error: unknown) => this.deps.logger.error('archive', `Archive pass failed: ${(error as Error).message}`));
  }

  /** Runs a pass (after the one in flight) and resolves with its totals. */
  runPass(siteIds?: number[]): Promise<ArchivePassResult> {
    if (this.closed) return Promise.resolve(EMPTY_RESULT());
    if (this.queued) {
      if (this.queued.sites !== 'all') {
        if (siteIds) for (const id of siteIds) this.queued.sites.add(id);
        else this.queued.sites = 'all';
      }
      return this.queued.promise;
    }
    const entry: { sites: Set<number> | 'all'; promise: Promise<ArchivePassResult> } = { sites: siteIds ? new Set(siteIds) : 'all', promise: null! };
    entry.promise = this.chain.then(() => {
      this.queued = null;
      this.running = entry.promise;
      return this.pass(entry.sites).finally(() => {
        if (this.running === entry.promise) this.running = null;
      });
    });
    this.queued = entry;
    this.chain = entry.promise.catch(() => undefined);
    return entry.promise;
  }

  /**
   * Like runPass, and the totals include the pass already running when it was called (`run --once`:
   * the end of a site pass has already started one in the background).
   */
  async runPassWithCurrent(siteIds?: number[]): Promise<ArchivePassResult> {
    const running = this.running;
    const next = await this.runPass(siteIds);
    if (!running) return next;
    const first = await running.catch(() => EMPTY_RESULT());
    return {
      files: first.files + next.files,
      bytes: first.bytes + next.bytes,
      expired: first.expired + next.expired,
      failed: first.failed + next.failed,
      paused: next.paused,
      stopped: [...first.stopped, ...next.stopped],
    };
  }

  private async pass(which: Set<number> | 'all'): Promise<ArchivePassResult> {
    const result = EMPTY_RESULT();
    const settings = this.settings.get();
    if (this.closed || !settings.dir || settingsMask(settings) === 0) return result;
    const dir = settings.dir;
    if (this.pausedReason && !(await this.tryResume(false))) {
      result.paused = this.pausedReason;
      return result;
    }
    try {
      await this.ensureRoot(dir, true);
    } catch (error) {
      this.pause(dir, error as NodeJS.ErrnoException, 0);
      result.paused = this.pausedReason;
      return result;
    }
    const sites = this.deps.listSites().filter((s) => which === 'all' || which.has(s.id));
    const mask = settingsMask(settings);
    const total = sites.reduce((n, s) => n + this.ledger.countDueSessions(mask, s.id), 0);
    if (total === 0) return result;
    this.progress = { done: 0, total, bytes: 0 };
    this.deps.onChange();
    let budgetWaitMs = 0;
    try {
      for (const site of sites) {
        const totals: SitePassTotals = await archiveSite({
          db: this.deps.db,
          ledger: this.ledger,
          logger: this.deps.logger,
          settings: { ...settings, dir },
          site,
          client: () => this.deps.clientFor(site),
          budget: this.budget,
          signal: this.abort.signal,
          onProgress: ({ sessions, bytes }) => {
            if (!this.progress) return;
            this.progress.done += sessions ?? 0;
            this.progress.bytes += bytes ?? 0;
            this.deps.onChange();
          },
        });
        result.files += totals.files;
        result.bytes += totals.bytes;
        result.expired += totals.expired;
        result.failed += totals.failed;
        if (totals.stopped) result.stopped.push({ siteId: site.id, reason: totals.stopped });
        budgetWaitMs = Math.max(budgetWaitMs, totals.budgetWaitMs);
        if (totals.files || totals.expired || totals.failed) {
          this.deps.logger.info('archive', `Archived for ${site.name}: ${totals.files} file(s), ${totals.bytes} bytes${totals.expired ? `; ${totals.expired} recording(s) expired on the appliance` : ''}${totals.failed ? `; ${totals.failed} failed (retried later)` : ''}.`, { siteId: site.id });
        }
      }
    } catch (error) {
      if (error instanceof FolderUnavailable) {
        this.pause(dir, error.cause, error.requiredBytes);
        result.paused = this.pausedReason;
      } else if (!this.abort.signal.aborted) throw error;
    } finally {
      this.progress = null;
      await this.refreshFreeSpace();
      this.deps.onChange();
    }
    if (budgetWaitMs > 0 && !this.closed) {
      if (this.budgetTimer) clearTimeout(this.budgetTimer);
      this.budgetTimer = setTimeout(() => this.requestPass(), Math.min(budgetWaitMs + 1000, 3_600_000));
      this.budgetTimer.unref();
    }
    return result;
  }

  private pause(dir: string, error: NodeJS.ErrnoException, requiredBytes: number) {
    const reason = describeFolderError(dir, error);
    const entering = this.pausedReason === null;
    this.pausedReason = reason;
    this.requiredBytes = isDiskFull(error) ? Math.max(requiredBytes, RESUME_MARGIN_BYTES) : 0;
    if (entering) this.deps.logger.error('archive', `Archive paused: ${reason}`);
    this.deps.onChange();
    if (!this.resumeTimer && !this.closed) {
      this.resumeTimer = setInterval(() => void this.tryResume(true), this.deps.resumeCheckMs ?? 30_000);
      this.resumeTimer.unref();
    }
  }

  private clearPause() {
    this.pausedReason = null;
    this.requiredBytes = 0;
    if (this.resumeTimer) clearInterval(this.resumeTimer);
    this.resumeTimer = null;
  }

  /** Looks at a paused archive's folder; resumes (and, with `startPass`, starts a pass) when it takes files again. */
  async tryResume(startPass: boolean): Promise<boolean> {
    const dir = this.settings.get().dir;
    if (!this.pausedReason) return true;
    if (!dir) {
      this.clearPause();
      return true;
    }
    try {
      await this.ensureRoot(dir, true);
      const free = await freeBytes(dir);
      if (free !== null && free < this.requiredBytes) return false;
    } catch {
      return false;
    }
    this.clearPause();
    this.deps.logger.info('archive', `Archive resumed: the folder ${dir} takes files again.`);
    this.deps.onChange();
    if (startPass) this.requestPass();
    return true;
  }

  /**
   * The archive folder is in place (and takes a file, with `probe`): created the first time, but a
   * folder already used that is now missing throws ENOENT — it is unreachable, not new (see
   * ArchiveSettingsStore.rootSeen). Backups, written into the same folder, call this too.
   */
  async ensureRoot(dir: string, probe = false): Promise<void> {
    const mayCreate = this.settings.rootSeen() !== dir;
    if (probe) await probeFolder(dir, { mayCreate });
    else await ensureArchiveRoot(dir, mayCreate);
    this.settings.markRootSeen(dir);
  }

  retryFailed(): number {
    const n = this.ledger.retryFailed();
    this.deps.logger.info('archive', `${n} failed archive file(s) will be tried again.`);
    if (n) this.requestPass();
    this.deps.onChange();
    return n;
  }

  async verify(): Promise<ArchiveVerifyResult> {
    const dir = this.settings.get().dir;
    if (!dir) throw new Error('No archive folder is set: set one with pra-ic archive set --dir DIR.');
    const result = await verifyArchive(dir, this.ledger.liveFiles());
    this.deps.logger.info('archive', `Verify: ${result.ok} of ${result.checked} archived file(s) intact${result.problems.length ? `; ${result.problems.length} problem(s)` : ''}.`);
    return result;
  }

  /** Reads the free space now (the status shows the last reading; this refreshes it). */
  async refreshFreeSpace(): Promise<number | null> {
    const dir = this.settings.get().dir;
    this.lastFree = dir ? await freeBytes(dir) : null;
    return this.lastFree;
  }

  status(): ArchiveStatus {
    const s = this.settings.get();
    const counts = this.ledger.counts();
    const mask = settingsMask(s);
    return {
      state: !s.dir ? 'off' : this.pausedReason ? 'paused' : 'ok',
      pausedReason: this.pausedReason,
      dir: s.dir,
      freeBytes: s.dir ? this.lastFree : null,
      written: { files: counts.files, bytes: counts.bytes },
      // Counted in sessions whose files are not all archived yet (a session has 1 to many files).
      pending: s.dir && mask ? this.ledger.countDueSessions(mask) : 0,
      expired: counts.expired,
      failed: counts.failed,
      failures: this.ledger.recentFailures(20).map((f) => ({
        siteId: f.siteId,
        siteName: f.siteName,
        lsid: f.lsid,
        kind: f.kind,
        instance: f.instance < 0 ? null : f.instance,
        reason: f.reason,
        attempts: f.attempts,
        nextAttemptAt: f.nextAttemptAt ? new Date(f.nextAttemptAt * 1000).toISOString() : null,
      })),
      backups: this.deps.backupStatuses?.() ?? [],
      progress: this.progress ? { ...this.progress } : null,
    };
  }

  /**
   * For the store's retention (store/retention.ts): while the archive is on, a session whose files
   * are not all settled (archived, expired on the appliance, or absent) is kept, however old.
   */
  retentionHold(): RetentionHold | null {
    const s = this.settings.get();
    const mask = settingsMask(s);
    if (!s.dir || mask === 0) return null;
    return this.ledger.unsettledSql(mask);
  }

  /** Ended sessions of the site whose files are not all archived yet (0 when the archive is off): removing the site would lose them. */
  pendingSessions(siteId: number): number {
    const s = this.settings.get();
    const mask = settingsMask(s);
    return s.dir && mask ? this.ledger.countDueSessions(mask, siteId) : 0;
  }

  get isPaused() {
    return this.pausedReason !== null;
  }

  async close() {
    this.closed = true;
    this.abort.abort(new Error('closing'));
    this.clearPause();
    if (this.budgetTimer) clearTimeout(this.budgetTimer);
    await this.chain;
  }
}
