/**
 * Site backups into the archive folder: `<dir>/<host>/backups/<host>-<YYYYMMDD-HHMMSS>Z.nsb`.
 *
 * A backup counts only once it is complete: its bytes stream to a `.part` file (atomic-file.ts),
 * are fsynced and renamed, and only then is the ledger row written (with size and SHA-256) together
 * with the site's state. Only after that are the site's older backups beyond its "keep N" deleted:
 * each file is unlinked first and its row marked `deleted_at` after, so a crash between the two
 * only leaves a row whose file is already gone (the next prune marks it). A failed backup leaves no
 * `.nsb` and no row; its reason (never the password) is the site's last error, retried with backoff.
 */
import { existsSync } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type Database from 'better-sqlite3';
import type { SiteBackupStatus } from '../../../shared/archive.ts';
import type { Site } from '../../../shared/models.ts';
import { describeFolderError } from '../archive/archive-folder.ts';
import { PART_SUFFIX, writeFileAtomically } from '../archive/atomic-file.ts';
import type { Logger } from '../log/logger.ts';
import { PraError } from '../pra/errors.ts';
import type { PraClient } from '../pra/pra-client.ts';
import { BACKUP_WAIT_SECONDS, openBackup } from './backup-request.ts';
import { backupRelativePath, nextDueAt } from './backup-schedule.ts';
import { BackupStore } from './backup-store.ts';

export interface BackupServiceDeps {
  db: Database.Database;
  listSites(): Site[];
  getSite(id: number): Site | null;
  clientFor(site: Site): PraClient;
  /** The site's backup password from the keychain, or null. */
  backupPassword(site: Site): Promise<string | null>;
  logger: Logger;
  /** The archive folder, or null when none is set (then nothing is backed up on schedule). */
  archiveDir(): string | null;
  /**
   * Throws when the archive folder is not in place (a folder already used that is missing is
   * unreachable, never created again: see archive/archiver.ts ensureRoot). Default: no check.
   */
  ensureArchiveRoot?(dir: string): Promise<void>;
  /** Whether a site may take scheduled backups now (e.g. not while it needs attention). Default: yes. */
  mayRun?(site: Site): boolean;
  /** A site's backup status changed (a backup started, saved or failed). */
  onChange?(siteId: number): void;
  /** The clock, ms (tests pin it). */
  now?: () => number;
}

/** A `.part` this much older than any write of a backup in progress is left over from an interrupted one. */
const STALE_PART_MS = 6 * BACKUP_WAIT_SECONDS * 1000;

/** No archive folder is set: a backup has nowhere to go. */
export class NoArchiveFolderError extends PraError {
  override name = 'NoArchiveFolderError';
  constructor() {
    super('No archive folder is set, so a backup has nowhere to go: set one first (pra-ic archive set --dir DIR, or the Archive screen).');
  }
}

export interface BackupResult {
  /** Relative to the archive folder, `/` separators. */
  file: string;
  bytes: number;
  sha256: string;
  /** Older backups deleted by keep-N, relative paths. */
  deleted: string[];
}

export interface BackupOutcome {
  siteId: number;
  siteName: string;
  ok: boolean;
  result?: BackupResult;
  error?: string;
}

export class BackupService {
  readonly store: BackupStore;
  private readonly inFlight = new Map<number, Promise<BackupResult>>();
  private readonly abort = new AbortController();
  private readonly now: () => number;
  /** Sites already warned (this process) that backups are on but no folder is set. */
  private readonly warnedNoFolder = new Set<number>();

  constructor(private readonly deps: BackupServiceDeps) {
    this.store = new BackupStore(deps.db);
    this.now = deps.now ?? Date.now;
  }

  /** Unix seconds when the site's next backup is due (≤ now: due now), or null when its backups are off. */
  nextDueAt(site: Site): number | null {
    return nextDueAt(site.backupSchedule, this.store.state(site.id));
  }

  isRunning(siteId: number): boolean {
    return this.inFlight.has(siteId);
  }

  /**
   * Takes one backup of the site now, into the archive folder. A backup of the site already in
   * flight is awaited instead of starting a second one. Throws NoArchiveFolderError or the reason
   * the backup failed (recorded as the site's last error).
   */
  takeBackup(site: Site, signal?: AbortSignal): Promise<BackupResult> {
    const running = this.inFlight.get(site.id);
    if (running) return running;
    const dir = this.deps.archiveDir();
    if (!dir) return Promise.reject(new NoArchiveFolderError());
    const run = this.backup(site, dir, signal).finally(() => {
      this.inFlight.delete(site.id);
      this.deps.onChange?.(site.id);
    });
    this.inFlight.set(site.id, run);
    this.deps.onChange?.(site.id);
    return run;
  }

  /**
   * Takes the backups that are due (of `siteIds`, default every site), one site after the other:
   * enabled sites whose schedule is not off, that may run, and whose next due time has come.
   * Without an archive folder, due sites are reported as failed (and warned about once).
   */
  async runDue(options: { siteIds?: number[]; signal?: AbortSignal } = {}): Promise<BackupOutcome[]> {
    const nowSeconds = Math.floor(this.now() / 1000);
    const sites = (options.siteIds ? options.siteIds.map((id) => this.deps.getSite(id)) : this.deps.listSites()).filter(
      (s): s is Site => s !== null && s.enabled && s.backupSchedule !== 'off' && (this.deps.mayRun?.(s) ?? true),
    );
    const outcomes: BackupOutcome[] = [];
    for (const site of sites) {
      const due = this.nextDueAt(site);
      if (due === null || due > nowSeconds || this.inFlight.has(site.id)) continue;
      if (options.signal?.aborted || this.abort.signal.aborted) break;
      if (!this.deps.archiveDir()) {
        const error = new NoArchiveFolderError().message;
        if (!this.warnedNoFolder.has(site.id)) {
          this.warnedNoFolder.add(site.id);
          this.deps.logger.warn('backup', `${site.name}: a ${site.backupSchedule} backup is due, but ${error[0]!.toLowerCase()}${error.slice(1)}`, { siteId: site.id });
        }
        outcomes.push({ siteId: site.id, siteName: site.name, ok: false, error });
        continue;
      }
      this.warnedNoFolder.delete(site.id);
      try {
        outcomes.push({ siteId: site.id, siteName: site.name, ok: true, result: await this.takeBackup(site, options.signal) });
      } catch (error) {
        outcomes.push({ siteId: site.id, siteName: site.name, ok: false, error: (error as Error).message });
      }
    }
    return outcomes;
  }

  /** Every site's backup settings and state, for the archive's status (by site name). */
  statuses(): SiteBackupStatus[] {
    const iso = (s: number | null) => (s === null ? null : new Date(s * 1000).toISOString());
    const nowSeconds = Math.floor(this.now() / 1000);
    return this.deps.listSites().map((site) => {
      const state = this.store.state(site.id);
      const kept = this.store.kept(site.id);
      const due = site.enabled ? nextDueAt(site.backupSchedule, state) : null;
      return {
        siteId: site.id,
        siteName: site.name,
        schedule: site.backupSchedule,
        keep: site.keepBackups,
        lastBackupAt: iso(state.lastSuccessAt),
        lastFile: kept[0]?.path ?? null,
        lastError: state.lastError,
        nextDueAt: due === null ? null : iso(Math.max(due, nowSeconds)),
        kept: kept.length,
      };
    });
  }

  /** Stops backups in flight (their `.part` files are removed; nothing is recorded) and waits for them. */
  async close(): Promise<void> {
    this.abort.abort(new Error('stopping'));
    await Promise.allSettled([...this.inFlight.values()]);
  }

  private async backup(site: Site, dir: string, signal?: AbortSignal): Promise<BackupResult> {
    const { logger } = this.deps;
    const startedMs = this.now();
    const started = Math.floor(startedMs / 1000);
    const signals = AbortSignal.any([this.abort.signal, ...(signal ? [signal] : [])]);
    let password: string | null = null;
    try {
      password = await this.deps.backupPassword(site);
      await this.deps.ensureArchiveRoot?.(dir).catch((error: unknown) => {
        throw new PraError(describeFolderError(dir, error), { cause: error });
      });
      const { relative, absolute } = this.freeName(site, dir, startedMs);
      logger.info('backup', `Backup of ${site.name} started${password ? ' (with its backup password)' : ''}.`, { siteId: site.id });
      const opened = await openBackup(this.deps.clientFor(site), password, signals);
      let written;
      try {
        written = await writeFileAtomically(absolute, opened.body, { signal: signals });
      } catch (error) {
        opened.abort();
        throw error instanceof PraError ? error : new PraError(describeWriteError(error, absolute), { cause: error });
      }
      this.store.recordSuccess(site.id, started, { path: relative, bytes: written.bytes, sha256: written.sha256 }, Math.floor(this.now() / 1000));
      const deleted = await this.prune(site, dir);
      await this.removeStaleParts(site, path.dirname(absolute));
      logger.info(
        'backup',
        `Backup of ${site.name} saved: ${relative} (${written.bytes} bytes)${deleted.length ? `; ${deleted.length} older backup(s) deleted to keep ${site.keepBackups}` : ''}.`,
        { siteId: site.id },
      );
      return { file: relative, bytes: written.bytes, sha256: written.sha256, deleted };
    } catch (error) {
      const raw = error instanceof PraError ? error.message : signals.aborted ? 'The backup was stopped before it completed; nothing was saved.' : `Unexpected problem: ${(error as Error).message}`;
      // Belt and braces: the appliance's words were scrubbed already; nothing else can hold the password.
      const message = password ? raw.split(password).join('[password]') : raw;
      if (signals.aborted) {
        // Stopped (the app closes): not the site's failure, so no backoff; it is due again at the next start.
        logger.info('backup', `Backup of ${site.name} stopped before it completed; nothing was saved.`, { siteId: site.id });
      } else {
        this.store.recordFailure(site.id, started, message);
        logger.error('backup', `Backup of ${site.name} failed: ${message}`, { siteId: site.id });
      }
      throw error instanceof PraError && message === raw ? error : new PraError(message);
    }
  }

  /**
   * The backup's name from the second it starts; if that name is taken (two sites of one host, two
   * backups within a second, a file left by a crash before it was recorded), the next free second:
   * a complete backup is never overwritten.
   */
  private freeName(site: Site, dir: string, startedMs: number): { relative: string; absolute: string } {
    for (let i = 0; i < 3600; i++) {
      const relative = backupRelativePath(site.host, startedMs + i * 1000);
      const absolute = path.join(dir, ...relative.split('/'));
      if (!this.store.hasPath(relative) && !existsSync(absolute)) return { relative, absolute };
    }
    throw new PraError(`Every backup name of ${site.host} for the hour after ${new Date(startedMs).toISOString()} is taken in ${dir}.`);
  }

  /**
   * Removes `.nsb.part` files a killed process left in the site's backups folder (they never counted:
   * nothing records a `.part`). Only old ones: a backup in progress — here or in another process,
   * say `pra-ic backup now` beside the app — writes to its `.part` at least every BACKUP_WAIT_SECONDS.
   */
  private async removeStaleParts(site: Site, folder: string): Promise<void> {
    const before = this.now() - STALE_PART_MS;
    let names: string[];
    try {
      names = await readdir(folder);
    } catch {
      return;
    }
    for (const name of names) {
      if (!name.endsWith(`.nsb${PART_SUFFIX}`)) continue;
      const file = path.join(folder, name);
      try {
        if ((await stat(file)).mtimeMs < before) {
          await unlink(file);
          this.deps.logger.info('backup', `Removed ${name}, the unfinished file of a backup of ${site.name} that was interrupted.`, { siteId: site.id });
        }
      } catch {
        // Gone meanwhile, or not ours to remove: the next backup looks again.
      }
    }
  }

  /** Deletes the site's complete backups beyond its keep count, oldest first; returns their paths. */
  private async prune(site: Site, dir: string): Promise<string[]> {
    const deleted: string[] = [];
    for (const row of this.store.kept(site.id).slice(site.keepBackups)) {
      try {
        await unlink(path.join(dir, ...row.path.split('/')));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          // Kept in the ledger: the next complete backup tries again.
          this.deps.logger.warn('backup', `Could not delete the old backup ${row.path} of ${site.name}: ${(error as Error).message}`, { siteId: site.id });
          continue;
        }
      }
      this.store.markDeleted(row.id, Math.floor(this.now() / 1000));
      deleted.push(row.path);
    }
    return deleted;
  }
}

/** A failed write of a backup in words: the disk is full, the folder is unreachable or read-only. */
function describeWriteError(error: unknown, file: string): string {
  const code = (error as NodeJS.ErrnoException).code;
  const where = path.dirname(file);
  switch (code) {
    case 'ENOSPC':
      return `The archive folder's disk is full (${where}): the backup was not saved. Free some space; it is tried again later.`;
    case 'EDQUOT':
      return `The disk quota of the archive folder is used up (${where}): the backup was not saved.`;
    case 'EACCES':
    case 'EPERM':
      return `No permission to write the backup in ${where}: let the account this app runs as write there.`;
    case 'EROFS':
      return `The archive folder is read-only (${where}): the backup was not saved.`;
    case 'ENOENT':
    case 'ENOTDIR':
    case 'EHOSTDOWN':
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
    case 'EIO':
      return `The archive folder ${where} cannot be reached (${code}): the backup was not saved; it is tried again later.`;
    default:
      return `Could not write the backup to ${file}: ${(error as Error).message}`;
  }
}
