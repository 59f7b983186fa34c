import { withLateContent } from '../pra/report-parser.ts';
import type { ReportItem, SessionHeader } from '../pra/report-types.ts';
import { addEvent, eventColumns, headerRow, sessionKey, type FollowChange, type SessionWrite } from './session-store.ts';
import type { SessionWriter } from './store-writer.ts';

/** A large session's events are handed on in parts of this many. */
const WRITE_BATCH = 500;
/**
 * Sessions are grouped into one transaction until about this much is pending: a commit (with its
 * fsync) per session was most of the cost of storing. The cursor still moves only after a whole
 * window is committed, so grouping changes nothing a crash can leave behind. Kept small on
 * purpose: what waits longer than a few young-generation collections is promoted to the old
 * generation, and with 2,000 events per commit the heap grew ~100 MB higher for no gain in speed
 * (npm run bench; 500 and 2,000 stored equally fast).
 */
const COMMIT_EVERY = { events: 500, sessions: 25, ms: 1_000 };
/**
 * Commits handed to the writer and not yet answered, at most: parsing goes on while the writer
 * stores (on its own thread), and memory stays bounded when the writer is the slower of the two.
 */
const MAX_IN_FLIGHT = 2;

/** How one report is stored: what it was asked for, and when. */
export interface ReportContext {
  site: { id: number; host: string };
  /** The writer's stream of this report (newStream()): a failed write refuses its later ones. */
  stream: number;
  /** `window`: sessions that began in a time window; `follow`: sessions asked again by lsid. */
  mode: 'window' | 'follow';
  /** The site's clock when the report was asked for, Unix seconds. */
  siteNow: number;
  /** A session still in progress after this long is no longer followed (FOLLOW_LIMITS.openSeconds). */
  followOpenSeconds: number;
}

/** What a stored report held: counts, and which sessions it returned and which of them had ended. */
export interface StoredReport {
  sessions: number;
  events: number;
  seen: Set<string>;
  ended: Set<string>;
}

/** Running totals of a site's run, counted as the report is stored. */
export interface StoringTotals {
  sessionsSeen: number;
  /** Events new to the store (counted as each commit is answered, when `onProgress` is called). */
  eventsAdded: number;
}

/**
 * Streams one report's items into the store, session by session, in bounded commits; resolves once
 * everything it held is committed (the caller may then move its cursor). `onProgress` is called as
 * each commit is answered (`totals` then count it). On a failure of the items
 * (the report, its body) or of a commit, what arrived complete before it is still committed, then
 * the failure is thrown: the report is asked again anyway, and the store is idempotent.
 *
 * The same on either thread: on the engine's (items parsed there, writes handed to the writer
 * thread), or on the writer thread itself (WorkerSessionWriter.pullReport: parsed and stored there).
 */
export async function storeReport(
  items: AsyncIterable<ReportItem>,
  writer: SessionWriter,
  context: ReportContext,
  totals: StoringTotals,
  onProgress: () => void,
): Promise<StoredReport> {
  return new ReportStoring(writer, context, totals, onProgress).store(items);
}

/**
 * One report being stored (storeReport). A class rather than closures made per report: the
 * optimised code of its loop then calls the same methods from one report to the next, where new
 * closures for each report made V8 throw it away ("wrong call target") and compile it again, once
 * or twice per report (--trace-opt --trace-deopt).
 */
class ReportStoring {
  private readonly out: StoredReport = { sessions: 0, events: 0, seen: new Set(), ended: new Set() };
  // The open session's header until its row is handed over (a long session's header text is
  // megabytes: not kept for the minutes its events take), and its times until it ends.
  private header: SessionHeader | null = null;
  private times: Pick<SessionHeader, 'startTime' | 'endTime'> | null = null;
  private lsid = '';
  private batch = eventColumns();
  private pending: SessionWrite[] = [];
  private pendingEvents = 0;
  private pendingSince = 0;
  private readonly inFlight: Promise<void>[] = [];

  constructor(
    private readonly writer: SessionWriter,
    private readonly context: ReportContext,
    private readonly totals: StoringTotals,
    private readonly onProgress: () => void,
  ) {}

  async store(items: AsyncIterable<ReportItem>): Promise<StoredReport> {
    const { out, totals } = this;
    try {
      for await (const item of items) {
        if (item.type === 'session') {
          const header = item.header;
          this.header = header;
          this.times = { startTime: header.startTime, endTime: header.endTime };
          this.lsid = sessionKey(header);
          out.sessions++;
          totals.sessionsSeen++;
        } else if (item.type === 'event') {
          addEvent(this.batch, item.event);
          out.events++;
          if (this.batch.ordinals.length >= WRITE_BATCH) this.flush(null);
          if (this.pendingEvents >= COMMIT_EVERY.events) await this.handOver();
        } else if (this.times) {
          // Elements after session_details: into the header's text if it is not stored yet.
          if (item.lateXml !== undefined && this.header) this.header = withLateContent(this.header, item.lateXml);
          this.flush(this.sessionEnd(this.times));
          this.times = null;
          if (this.pendingEvents >= COMMIT_EVERY.events || this.pending.length >= COMMIT_EVERY.sessions || Date.now() - this.pendingSince >= COMMIT_EVERY.ms) {
            await this.handOver();
          }
        }
      }
      this.commit();
      // Everything of this report is committed before the caller moves the cursor.
      await this.settle(0);
      return out;
    } catch (error) {
      // What arrived complete before the failure is kept, as if each part had been committed at once
      // (the window is asked again anyway). A failing store must not hide the original error.
      this.commit();
      await Promise.allSettled(this.inFlight);
      throw error;
    }
  }

  /** The session that just ended in the report: counted as seen (and ended), and what to follow of it. */
  private sessionEnd(times: Pick<SessionHeader, 'startTime' | 'endTime'>): FollowChange {
    const { out, lsid, context } = this;
    const { siteNow, mode } = context;
    const ended = times.endTime !== null;
    out.seen.add(lsid);
    if (ended) out.ended.add(lsid);
    const tooOld = siteNow - (times.startTime ?? siteNow) > context.followOpenSeconds;
    if (ended) return { kind: 'unfollow' };
    if (mode === 'follow') return { kind: 'seen', seenAt: siteNow };
    if (tooOld) return { kind: 'unfollow' };
    return { kind: 'follow', startTime: times.startTime, seenAt: siteNow };
  }

  // Hands what is pending to the writer as one transaction. Once it is committed, the run's
  // progress says so: the shipper reads the outbox then (a commit's ~500 events are a batch for
  // it), rather than after thousands of events.
  private commit(): void {
    if (this.pending.length === 0) return;
    const { totals, onProgress } = this;
    const written = this.writer.write(this.context.stream, this.context.site, this.pending).then((added) => {
      totals.eventsAdded += added;
      onProgress();
    });
    written.catch(() => {}); // observed when awaited, in order, by settle()
    this.inFlight.push(written);
    this.pending = [];
    this.pendingEvents = 0;
  }

  /** Waits until at most `keep` commits are unanswered; the first failure is thrown. */
  private async settle(keep: number): Promise<void> {
    while (this.inFlight.length > keep) await this.inFlight.shift()!;
  }

  /** Commits, then waits while more than MAX_IN_FLIGHT commits are unanswered. */
  private async handOver(): Promise<void> {
    this.commit();
    if (this.inFlight.length > MAX_IN_FLIGHT) await this.settle(MAX_IN_FLIGHT);
  }

  /** Hands the session's events so far (and its header, the first time) to the next commit. */
  private flush(follow: FollowChange | null): void {
    if (this.pending.length === 0) this.pendingSince = Date.now();
    this.pending.push({ lsid: this.lsid, header: this.header ? headerRow(this.header) : null, events: this.batch, follow });
    this.pendingEvents += this.batch.ordinals.length;
    this.header = null;
    this.batch = eventColumns();
  }
}
