import type { Site } from '../../../shared/models.ts';
import { MalformedReportError, SiteUnavailableError } from '../pra/errors.ts';
import type { AccessSessionQuery, PraClient } from '../pra/pra-client.ts';
import type { Logger } from '../log/logger.ts';
import { storeReport, type ReportContext, type StoredReport } from '../store/report-storing.ts';
import type { SessionStore } from '../store/session-store.ts';
import { InlineSessionWriter, newStream, type SessionWriter } from '../store/store-writer.ts';
import { WINDOW_LIMITS, nextWindowSeconds, splitWindowSeconds } from './report-windows.ts';

/**
 * One extraction pass for one site — the pull strategy:
 *
 * 1. Windows. `AccessSession` with `start_time` + `duration` returns the sessions that *began* in a
 *    window, ended or not. Windows run from the site's cursor up to the site's own clock (read from
 *    its `Date` header, so a skewed workstation clock cannot move the cursor past time the appliance
 *    has not reached) minus a settling margin. Each session is stored as it streams in, in
 *    batches; the cursor moves only after the whole window was read, so a failure or a crash means
 *    the window is asked again and the idempotent store keeps what it already had.
 * 2. Follow. Sessions that were still in progress are remembered (in the same transaction that
 *    stored them) and re-fetched by `lsids=` in batches on every pass until they end, so events
 *    added later arrive; only events beyond those stored are new. A session still open after
 *    FOLLOW_LIMITS.openSeconds (an appliance restart can leave one open forever), or no longer
 *    returned by the site for FOLLOW_LIMITS.vanishedSeconds (retention, deletion), stops being
 *    followed with a log line, so the follow list never grows without bound.
 *
 * Ended sessions are taken once. Elastic's collector instead filters on start time with its
 * cursor at the last request time: it never sees late events and re-indexes re-polled windows.
 */
export const FOLLOW_LIMITS = {
  openSeconds: 7 * 86_400,
  vanishedSeconds: 86_400,
  /** Sessions per `lsids=` request. */
  batchSize: 100,
};

/** Sessions that began in the last two minutes are left for the next pass, in case the appliance lists them late. */
export const SETTLE_SECONDS = 120;

/** Consecutive failed windows that are split and asked again before the pass gives up. */
const MAX_SPLITS = 4;

export interface ExtractionProgress {
  siteId: number;
  phase: 'windows' | 'follow';
  rangeStart: number;
  cursor: number;
  target: number;
  sessionsSeen: number;
  eventsAdded: number;
}

export interface SiteRunResult {
  sessionsSeen: number;
  eventsAdded: number;
  windows: number;
  followed: number;
  cursor: number;
  target: number;
}

export interface ExtractDeps {
  site: Site;
  client: PraClient;
  store: SessionStore;
  /** Where parsed sessions are stored; default: `store`, on this thread. The engine passes its writer thread. */
  writer?: SessionWriter;
  logger: Logger;
  signal?: AbortSignal;
  onProgress?: (progress: ExtractionProgress) => void;
  /**
   * A report is bringing sessions (its body passed what a report without any would hold), to the
   * writer thread: this thread has little to do until they are stored, and the site's token and
   * first requests no longer wait for it or for the keychain.
   */
  onReportStreaming?: () => void;
  /** Local clock, Unix seconds. */
  now?: () => number;
}

export async function extractSite(deps: ExtractDeps): Promise<SiteRunResult> {
  const { site, client, store, logger, signal } = deps;
  const localNow = deps.now ?? (() => Math.floor(Date.now() / 1000));

  await client.token(); // also reads the site's clock from its Date header
  if (!client.noDataTextLearned) {
    try {
      const learned = await client.learnNoDataText(signal);
      if (learned) logger.info('extract', `${site.name} answers “${learned}” when no session matches: read as an empty result.`, { siteId: site.id });
    } catch (error) {
      // A flaky answer only delays learning to the next pass; refusals (credentials, permission) stop here.
      if (!(error instanceof SiteUnavailableError || error instanceof MalformedReportError)) throw error;
      logger.warn('extract', `Could not learn how ${site.name} words “no data” this pass: ${(error as Error).message}`, { siteId: site.id });
    }
  }
  const siteNow = () => {
    const observed = client.lastServerDate;
    const offset = observed ? Math.round((observed.server - observed.local) / 1000) : 0;
    return localNow() + offset;
  };

  let state = store.ensureSiteState(site.id, WINDOW_LIMITS.initialSeconds);
  store.recordClockOffset(site.id, siteNow() - localNow());
  // The first run reaches back the initial interval, measured on the site's clock.
  if (state.rangeStart === null || state.cursor === null) state = store.initRange(site.id, siteNow() - site.initialIntervalSeconds);
  const rangeStart = state.rangeStart!;
  const target = siteNow() - SETTLE_SECONDS;
  const result: SiteRunResult = { sessionsSeen: 0, eventsAdded: 0, windows: 0, followed: 0, cursor: state.cursor!, target };
  const progress = (phase: ExtractionProgress['phase']) =>
    deps.onProgress?.({ siteId: site.id, phase, rangeStart, cursor: result.cursor, target, sessionsSeen: result.sessionsSeen, eventsAdded: result.eventsAdded });

  // 1. Windows, from the cursor up to the site's now.
  let window = state.windowSeconds;
  let splits = 0;
  while (result.cursor < target) {
    signal?.throwIfAborted();
    const start = result.cursor;
    const end = Math.min(start + window, target);
    let pulled: StoredReport;
    try {
      pulled = await pull(deps, { startTime: start, duration: end - start }, 'window', siteNow(), () => progress('windows'), result);
    } catch (error) {
      const splittable = error instanceof SiteUnavailableError || error instanceof MalformedReportError;
      if (!splittable || signal?.aborted || splits >= MAX_SPLITS || end - start <= WINDOW_LIMITS.minSeconds) throw error;
      splits++;
      window = splitWindowSeconds(end - start);
      store.setWindow(site.id, window);
      logger.warn('extract', `Window of ${end - start} s failed (${(error as Error).message}); asking again in halves of ${window} s.`, { siteId: site.id });
      continue;
    }
    splits = 0;
    window = nextWindowSeconds(end - start, pulled.sessions, pulled.events);
    store.advanceCursor(site.id, end, window);
    result.cursor = end;
    result.windows++;
    progress('windows');
  }
  // 2. Follow the sessions still in progress.
  const followed = store.followed(site.id);
  result.followed = followed.length;
  for (let i = 0; i < followed.length; i += FOLLOW_LIMITS.batchSize) {
    signal?.throwIfAborted();
    const batch = followed.slice(i, i + FOLLOW_LIMITS.batchSize);
    const now = siteNow();
    const pulled = await pull(deps, { lsids: batch.map((f) => f.lsid) }, 'follow', now, () => progress('follow'), result);
    for (const entry of batch) {
      const ended = pulled.ended.has(entry.lsid);
      if (ended) continue;
      if (!pulled.seen.has(entry.lsid)) {
        if (now - entry.lastSeenAt > FOLLOW_LIMITS.vanishedSeconds) {
          store.unfollow(site.id, entry.lsid);
          logger.warn('extract', `Session ${entry.lsid} is no longer returned by the site (retention or deletion?); it is not followed any more. Its events up to now are stored.`, { siteId: site.id, lsid: entry.lsid });
        }
      } else if (now - (entry.startTime ?? entry.firstSeenAt) > FOLLOW_LIMITS.openSeconds) {
        store.unfollow(site.id, entry.lsid);
        logger.warn('extract', `Session ${entry.lsid} is still in progress after ${FOLLOW_LIMITS.openSeconds / 86_400} days (an appliance restart can leave one open); it is not followed any more. Its events up to now are stored.`, { siteId: site.id, lsid: entry.lsid });
      }
    }
    progress('follow');
  }
  return result;
}

/**
 * Streams one report into the store (storeReport). When the writer has a thread of its own, the
 * report is parsed there too (WorkerSessionWriter.pullReport): this thread then only reads the
 * body, and builds and sends documents meanwhile.
 */
async function pull(
  deps: ExtractDeps,
  query: AccessSessionQuery,
  mode: 'window' | 'follow',
  siteNow: number,
  onProgress: () => void,
  totals: SiteRunResult,
): Promise<StoredReport> {
  const { site, client, signal } = deps;
  const writer: SessionWriter = deps.writer ?? new InlineSessionWriter(deps.store);
  const context: ReportContext = { site, stream: newStream(), mode, siteNow, followOpenSeconds: FOLLOW_LIMITS.openSeconds };
  try {
    if (writer.pullReport && (await writer.parsesReports?.())) {
      const { body, noDataTexts } = await client.openAccessSessions(query, signal);
      return await writer.pullReport(deps.onReportStreaming ? announced(body, deps.onReportStreaming) : body, noDataTexts, context, totals, onProgress);
    }
    return await storeReport(client.accessSessions(query, signal), writer, context, totals, onProgress);
  } finally {
    writer.endStream(context.stream);
  }
}

/** Bytes of a report body beyond which it holds sessions: an empty report or a "no data" error is a few hundred. */
const STREAMING_BYTES = 16 * 1024;

/**
 * The body as it is, calling `onStreaming` once, when it has brought more than STREAMING_BYTES. A
 * listener that throws does not fail the report (it is someone else's work, e.g. the shipper's).
 */
async function* announced(body: AsyncIterable<Uint8Array>, onStreaming: () => void): AsyncGenerator<Uint8Array> {
  let bytes = 0;
  for await (const chunk of body) {
    if (bytes <= STREAMING_BYTES && (bytes += chunk.length) > STREAMING_BYTES) {
      try {
        onStreaming();
      } catch {
        // Not the report's failure.
      }
    }
    yield chunk;
  }
}
