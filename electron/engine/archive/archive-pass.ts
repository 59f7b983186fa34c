/**
 * One site's share of an archive pass: every due session's XML, screen recording and command-shell
 * recordings, one file at a time. A file counts as archived only once it is complete on disk
 * (writeFileAtomically) and then recorded in `archive_files`; a crash in between leaves either a
 * `.part` (written again next time) or a complete file without a record (adopted next time if its
 * bytes are the same, see atomic-file.ts).
 */
import type Database from 'better-sqlite3';
import type { ArchiveSettings } from '../../../shared/archive.ts';
import type { Site } from '../../../shared/models.ts';
import type { Logger } from '../log/logger.ts';
import { CredentialsRejectedError, PermissionDeniedError, PraError, SiteUnavailableError } from '../pra/errors.ts';
import type { PraClient } from '../pra/pra-client.ts';
import { accountKey, type ArchiveBudget } from './archive-budget.ts';
import { isFolderError } from './archive-folder.ts';
import { recordingFile, resolveInArchive, sessionFolder, SESSION_XML_FILE, shellRecordingFile } from './archive-layout.ts';
import { SETTLED, type ArchiveLedger, type DueSession, type ItemKey } from './archive-ledger.ts';
import { writeFileAtomically } from './atomic-file.ts';
import { downloadRecording, RecordingDownloadError } from './recording-download.ts';
import { recordingsOf, sessionXmlChunks } from './session-xml.ts';

/** The folder failed (full, unreachable): the whole archive pauses; nothing is marked. */
export class FolderUnavailable extends Error {
  override name = 'FolderUnavailable';
  constructor(override readonly cause: NodeJS.ErrnoException, readonly requiredBytes: number) {
    super(cause.message);
  }
}

export interface SitePassTotals {
  files: number;
  bytes: number;
  expired: number;
  failed: number;
  /** Sessions looked at. */
  sessions: number;
  /** Downloads left for a later pass: the archive's share of the account's hourly budget is used up. */
  budgetWaitMs: number;
  /** Why this site's downloads stopped early (credentials, permission, site down), if they did. */
  stopped: string | null;
}

export interface SitePassContext {
  db: Database.Database;
  ledger: ArchiveLedger;
  logger: Logger;
  settings: ArchiveSettings & { dir: string };
  site: Site;
  client: () => PraClient;
  budget: ArchiveBudget;
  signal: AbortSignal;
  /** After each file or session: progress for the status. */
  onProgress(delta: { sessions?: number; bytes?: number; file?: boolean }): void;
}

const PAGE = 100;

export function settingsMask(s: Pick<ArchiveSettings, 'sessionXml' | 'recordings' | 'shellRecordings'>): number {
  return (s.sessionXml ? SETTLED.xml : 0) | (s.recordings ? SETTLED.recording : 0) | (s.shellRecordings ? SETTLED.shell : 0);
}

export async function archiveSite(ctx: SitePassContext): Promise<SitePassTotals> {
  const totals: SitePassTotals = { files: 0, bytes: 0, expired: 0, failed: 0, sessions: 0, budgetWaitMs: 0, stopped: null };
  const mask = settingsMask(ctx.settings);
  if (mask === 0) return totals;
  let client: PraClient | null = null;
  const worker = {
    client: () => (client ??= ctx.client()),
    downloadsAllowed: true,
  };
  let after = 0;
  for (;;) {
    const due = ctx.ledger.dueSessions(ctx.site.id, mask, after, PAGE);
    if (due.length === 0) break;
    for (const session of due) {
      ctx.signal.throwIfAborted();
      after = session.id;
      const bits = await archiveSession(ctx, worker, session, mask, totals);
      if (bits) ctx.ledger.markSettled(ctx.site.id, session.lsid, bits);
      totals.sessions++;
      ctx.onProgress({ sessions: 1 });
    }
  }
  return totals;
}

async function archiveSession(
  ctx: SitePassContext,
  worker: { client: () => PraClient; downloadsAllowed: boolean },
  session: DueSession,
  mask: number,
  totals: SitePassTotals,
): Promise<number> {
  const { ledger, site, settings } = ctx;
  const folder = sessionFolder(settings.layout, { host: site.host, site: site.name, lsid: session.lsid, startTime: session.startTime });
  const now = Math.floor(Date.now() / 1000);
  let settled = 0;
  const key = (kind: ItemKey['kind'], instance: number | null): ItemKey => ({ siteId: site.id, kind, lsid: session.lsid, instance });
  /** 'done' (archived or expired), 'wait' (failed, not due yet, or not attempted), or runs the attempt. */
  const attempt = async (k: ItemKey, run: () => Promise<'saved' | 'expired'>): Promise<boolean> => {
    if (ledger.archivedFile(k)) return true;
    const state = ledger.itemState(k);
    if (state?.state === 'expired') return true;
    if (state?.state === 'failed' && (state.nextAttemptAt ?? 0) > now) return false;
    try {
      const outcome = await run();
      if (outcome === 'expired') totals.expired++;
      return true;
    } catch (error) {
      return handleFailure(ctx, worker, k, error, totals);
    }
  };

  if (mask & SETTLED.xml && !(session.settled & SETTLED.xml)) {
    const k = key('session-xml', null);
    const done = await attempt(k, async () => {
      const relative = `${folder}/${SESSION_XML_FILE}`;
      const file = await writeFileAtomically(resolveInArchive(settings.dir, relative), sessionXmlChunks(ctx.db, session.id, session.headerXml), { signal: ctx.signal });
      ledger.recordArchived(k, { path: relative, bytes: file.bytes, sha256: file.sha256 });
      count(ctx, totals, file.bytes);
      return 'saved';
    });
    if (done) settled |= SETTLED.xml;
  }

  const wantsRecordings = mask & SETTLED.recording && !(session.settled & SETTLED.recording);
  const wantsShells = mask & SETTLED.shell && !(session.settled & SETTLED.shell);
  if (!wantsRecordings && !wantsShells) return settled;
  const recordings = recordingsOf(session.headerXml);
  const targets: { k: ItemKey; instance: number | null }[] = [];
  if (wantsRecordings) {
    if (recordings.screen) targets.push({ k: key('recording', null), instance: null });
    else settled |= SETTLED.recording;
  }
  let shellsDone = true;
  if (wantsShells) for (const instance of recordings.shellInstances) targets.push({ k: key('shell-recording', instance), instance });
  for (const { k, instance } of targets) {
    let done: boolean;
    if (!worker.downloadsAllowed) {
      done = Boolean(ledger.archivedFile(k)) || ledger.itemState(k)?.state === 'expired';
    } else {
      done = await attempt(k, async () => {
        const client = worker.client();
        if (!ctx.budget.take(accountKey(client.connection.host, client.connection.clientId))) {
          worker.downloadsAllowed = false;
          totals.budgetWaitMs = ctx.budget.waitMs(accountKey(client.connection.host, client.connection.clientId));
          ctx.logger.info('archive', `The archive used its share of the hourly request budget of ${site.name}'s API account; the remaining recordings follow in a later pass (the session pulls keep the rest).`, { siteId: site.id });
          throw new BudgetUsed();
        }
        let relative = '';
        const outcome = await downloadRecording(
          client,
          instance === null ? { lsid: k.lsid, instance: null } : { lsid: k.lsid, instance },
          (ext) => {
            relative = `${folder}/${instance === null ? recordingFile(ext) : shellRecordingFile(instance, ext)}`;
            return resolveInArchive(settings.dir, relative);
          },
          { signal: ctx.signal, onBytes: (n) => ctx.onProgress({ bytes: n }) },
        );
        if (outcome.kind === 'expired') {
          ledger.recordExpired(k, outcome.text);
          ctx.logger.info('archive', `${instance === null ? 'The recording' : `Command-shell recording ${instance}`} of session ${k.lsid} has expired on ${site.name}: it can no longer be archived.`, { siteId: site.id, lsid: k.lsid });
          return 'expired';
        }
        ledger.recordArchived(k, { path: relative, bytes: outcome.file.bytes, sha256: outcome.file.sha256 });
        count(ctx, totals, outcome.file.bytes, false);
        return 'saved';
      });
    }
    if (k.kind === 'recording' && done) settled |= SETTLED.recording;
    if (k.kind === 'shell-recording' && !done) shellsDone = false;
  }
  if (wantsShells && shellsDone) settled |= SETTLED.shell;
  return settled;
}

class BudgetUsed extends Error {}

function count(ctx: SitePassContext, totals: SitePassTotals, bytes: number, addBytes = true) {
  totals.files++;
  totals.bytes += bytes;
  // Recordings report their bytes as they stream; a session XML's count at the end.
  ctx.onProgress({ file: true, bytes: addBytes ? bytes : 0 });
}

/** Decides what a failed file means; returns false (not settled), or throws to stop the pass. */
function handleFailure(
  ctx: SitePassContext,
  worker: { downloadsAllowed: boolean },
  k: ItemKey,
  error: unknown,
  totals: SitePassTotals,
): false {
  if (error instanceof BudgetUsed) return false;
  if (ctx.signal.aborted) throw ctx.signal.reason;
  const what = `${k.kind === 'session-xml' ? 'the session XML' : k.kind === 'recording' ? 'the recording' : `command-shell recording ${k.instance}`} of session ${k.lsid}`;
  if (!(error instanceof RecordingDownloadError) && !(error instanceof PraError) && isFolderError(error)) {
    // Not this file's fault: the folder is full or gone. Nothing is marked; the pass stops.
    throw new FolderUnavailable(error, 0);
  }
  const reason = error instanceof Error ? error.message : String(error);
  const { attempts, nextAttemptAt } = ctx.ledger.recordFailure(k, reason);
  totals.failed++;
  ctx.logger.warn('archive', `Could not archive ${what} of ${ctx.site.name} (attempt ${attempts}; next try after ${new Date(nextAttemptAt * 1000).toISOString()}): ${reason}`, { siteId: ctx.site.id, lsid: k.lsid });
  if (error instanceof CredentialsRejectedError || error instanceof PermissionDeniedError || error instanceof SiteUnavailableError) {
    // The site or account is the problem, not the file: no more downloads from it in this pass.
    worker.downloadsAllowed = false;
    totals.stopped = reason;
  }
  return false;
}
