import type { Worker } from 'node:worker_threads';
import type { ReportContext, StoredReport, StoringTotals } from './report-storing.ts';
import type { SessionStore, SessionWrite } from './session-store.ts';
import type { WriterReply, WriterRequest } from './store-writer-protocol.ts';
import { defaultWorkerScript, startWriterThread, type EarlyWriterThread } from './store-writer-thread.ts';
import { ENDED, ReportInFlight } from './report-in-flight.ts';
import { StoreWriteError, WriteRefusedError } from './writer-errors.ts';

export { StoreWriteError, WriteRefusedError } from './writer-errors.ts';

/**
 * Where extraction hands what it parsed. `write` resolves with the number of new events once the
 * writes are committed; a caller that must not move on before its data is durable (the cursor, see
 * site-extractor.ts) awaits every write first.
 *
 * `stream` groups the writes of one report: once one of them fails, the later ones of the same
 * stream are refused without being applied, as if the report had stopped there — a session's events
 * must never be stored past a gap. `endStream` forgets the stream.
 */
export interface SessionWriter {
  write(stream: number, site: { id: number; host: string }, writes: SessionWrite[]): Promise<number>;
  endStream(stream: number): void;
  /**
   * A writer with a thread of its own can also parse reports there ({@link WorkerSessionWriter.pullReport}):
   * resolves true once that thread runs, false when there is none (parse on the caller's thread).
   */
  parsesReports?(): Promise<boolean>;
  pullReport?(body: AsyncIterable<Uint8Array>, noDataTexts: string[], context: ReportContext, totals: StoringTotals, onProgress: () => void): Promise<StoredReport>;
  /** Waits for what was handed over, then releases the writer. */
  close(): Promise<void>;
}

let streams = 0;
/** A process-wide unique stream id. */
export function newStream(): number {
  return ++streams;
}

/** Writes on the caller's thread, through the caller's connection (unit tests; the fallback; the writer thread itself). */
export class InlineSessionWriter implements SessionWriter {
  private readonly failed = new Set<number>();

  constructor(private readonly store: SessionStore) {}

  async write(stream: number, site: { id: number; host: string }, writes: SessionWrite[]): Promise<number> {
    return this.writeNow(stream, site, writes);
  }

  /** `write`, synchronously: the number of new events, or throws (WriteRefusedError after a failure of the stream). */
  writeNow(stream: number, site: { id: number; host: string }, writes: SessionWrite[]): number {
    if (this.failed.has(stream)) throw new WriteRefusedError();
    try {
      return this.store.write(site, writes);
    } catch (error) {
      this.failed.add(stream);
      throw error;
    }
  }

  /**
   * Writes that queued up together (while the writer thread was busy), all of one site, in one
   * transaction: one commit, and its fsync, instead of one each. If that transaction fails, none of
   * it was applied, and the writes are made again one by one, in order, so that a failure is
   * reported for its own write and refuses its own report's later writes, as without grouping.
   */
  writeTogether(queued: readonly QueuedWrite[]): WriteOutcome[] {
    const live = queued.filter((q) => !this.failed.has(q.stream));
    const site = live[0]?.site;
    if (site && live.length > 1 && live.every((q) => sameSite(q.site, site))) {
      try {
        const added = this.store.writeGroups(site, live.map((q) => q.writes));
        return queued.map((q) => (this.failed.has(q.stream) ? { ok: false, error: new WriteRefusedError() } : { ok: true, added: added.shift()! }));
      } catch {
        // made again one by one, below
      }
    }
    return queued.map((q) => {
      try {
        return { ok: true, added: this.writeNow(q.stream, q.site, q.writes) };
      } catch (error) {
        return { ok: false, error };
      }
    });
  }

  endStream(stream: number) {
    this.failed.delete(stream);
  }

  async close() {}
}

/** Whether two writes are for the same site (only those can share a transaction). */
export function sameSite(a: { id: number; host: string }, b: { id: number; host: string }): boolean {
  return a.id === b.id && a.host === b.host;
}

/** A write as the writer thread takes it from its queue. */
export interface QueuedWrite {
  stream: number;
  site: { id: number; host: string };
  writes: SessionWrite[];
}

export type WriteOutcome = { ok: true; added: number } | { ok: false; error: unknown };

/**
 * Writes in a worker thread with its own connection to settings.db (WAL: the engine's connection
 * keeps reading meanwhile). Parsing a report and storing it cost about the same CPU per event, so
 * with the writer on its own thread the two run on two cores instead of one after the other, and
 * the main thread (the desktop app's, which also answers the UI) no longer blocks on commits and
 * their fsync.
 *
 * Requests are applied strictly in the order they are sent. The worker is started on first use
 * and started again if it dies; a death rejects whatever was in flight (the run fails and asks the
 * same window again next time; every write is idempotent).
 */
export class WorkerSessionWriter implements SessionWriter {
  private worker: Worker | null = null;
  /** Whether a worker has ever opened its connection: until then, a failure means it cannot start here. */
  private started = false;
  /** Set once the thread could not start: every write goes through it instead. */
  private inline: InlineSessionWriter | null = null;
  private nextId = 0;
  private readonly waiting = new Map<number, Waiter>();
  /** Streams that had writes in flight when a worker died: the new worker must not apply their later writes either. */
  private readonly failedStreams = new Set<number>();
  private closed = false;
  /** Reports being parsed and stored on the thread (pullReport). */
  private readonly reports = new Map<number, ReportInFlight>();
  /** parsesReports() calls waiting for the thread to start (true) or to fail to (false). */
  private readyWaiters: ((started: boolean) => void)[] = [];

  constructor(
    private readonly dataDir: string,
    private readonly script: URL = defaultWorkerScript(),
    private readonly fallback?: { store: SessionStore; onFallback(reason: string): void },
    /** A thread started ahead for this writer (`pra-ic run`): its first worker, if it suits and is still alive. */
    private early: EarlyWriterThread | null = null,
  ) {}

  write(stream: number, site: { id: number; host: string }, writes: SessionWrite[]): Promise<number> {
    if (this.closed) return Promise.reject(new Error('the store writer is closed'));
    if (this.inline) return this.inline.write(stream, site, writes);
    if (this.failedStreams.has(stream)) return Promise.reject(new WriteRefusedError());
    const id = ++this.nextId;
    return new Promise<number>((resolve, reject) => {
      // Kept until answered only while the fallback may still need to replay them (before the first worker started).
      this.waiting.set(id, { stream, site, writes: this.fallback && !this.started ? writes : null, resolve, reject });
      this.send({ kind: 'write', id, stream, site: { id: site.id, host: site.host }, writes });
      // Held while an answer is awaited (a promise alone does not keep Node running), let go when idle.
      if (this.waiting.size === 1) this.worker?.ref();
    });
  }

  async parsesReports(): Promise<boolean> {
    if (this.closed || this.inline) return false;
    const worker = this.ensureWorker();
    if (this.started) return true;
    worker.ref(); // until it answers
    return new Promise<boolean>((resolve) => this.readyWaiters.push(resolve));
  }

  /**
   * Parses a report's body on the writer thread and stores it there, as storeReport does on the
   * caller's thread with the items parsed there: the same commits, the same failures (what arrived
   * complete is kept, then the failure is thrown). Parsing is then off the engine's thread (which
   * builds and sends documents meanwhile), and the sessions are stored where they are parsed
   * instead of being copied from one thread to the other. The body is read here and handed over
   * in chunks, at most MAX_UNREAD_BYTES ahead of the parser; a failure of the body is the one
   * thrown, as when parsing here. Use after parsesReports() resolved true.
   */
  async pullReport(body: AsyncIterable<Uint8Array>, noDataTexts: string[], context: ReportContext, totals: StoringTotals, onProgress: () => void): Promise<StoredReport> {
    if (this.closed) throw new Error('the store writer is closed');
    const worker = this.ensureWorker();
    const id = ++this.nextId;
    const report = new ReportInFlight(totals, onProgress);
    this.reports.set(id, report);
    worker.ref();
    const site = { id: context.site.id, host: context.site.host };
    worker.postMessage({ kind: 'report', id, context: { ...context, site }, noDataTexts } satisfies WriterRequest);
    let bodyError: unknown = null;
    const chunks = body[Symbol.asyncIterator]();
    let finished = false;
    try {
      for (;;) {
        // The thread may answer before the body ends (the report failed there): stop reading then.
        const next = chunks.next();
        const got = await Promise.race([next, report.ended]);
        if (got === ENDED) {
          next.catch(() => undefined);
          break;
        }
        if (got.done) {
          finished = true;
          break;
        }
        // Its own buffer, moved to the thread (a chunk may be a view of a larger pooled buffer).
        const chunk = new Uint8Array(got.value.length);
        chunk.set(got.value);
        report.unread += chunk.length;
        worker.postMessage({ kind: 'report-chunk', id, chunk } satisfies WriterRequest, [chunk.buffer]);
        if (!(await report.room())) break;
      }
    } catch (error) {
      bodyError = error;
      finished = true;
    } finally {
      if (!finished) await chunks.return?.().catch(() => undefined);
    }
    if (this.worker === worker && !report.answered) worker.postMessage({ kind: 'report-end', id, failed: bodyError !== null } satisfies WriterRequest);
    try {
      return ReportInFlight.result(await report.done, bodyError);
    } finally {
      this.reports.delete(id);
      this.unrefWhenIdle(worker);
    }
  }

  endStream(stream: number) {
    this.failedStreams.delete(stream);
    this.inline?.endStream(stream);
    if (this.worker) this.send({ kind: 'end-stream', stream });
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
    await this.early?.terminate();
    this.early = null;
    const worker = this.worker;
    if (!worker) return;
    // The worker answers the writes in flight, closes its connection (checkpointing the WAL) and exits.
    worker.ref();
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ kind: 'close' } satisfies WriterRequest);
    await exited;
  }

  private send(request: WriterRequest) {
    this.ensureWorker().postMessage(request);
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = this.adoptEarly() ?? startWriterThread(this.dataDir, this.script);
    worker.on('message', (reply: WriterReply) => {
      if (reply.kind === 'ready') {
        this.started = true;
        this.answerReady(true);
        this.unrefWhenIdle(worker);
        return;
      }
      if (reply.kind !== 'answer') return this.reports.get(reply.id)?.onReply(reply);
      const waiter = this.waiting.get(reply.id);
      if (!waiter) return;
      this.waiting.delete(reply.id);
      this.unrefWhenIdle(worker);
      if (reply.ok) waiter.resolve(reply.added);
      else waiter.reject(reply.refused ? new WriteRefusedError() : new StoreWriteError(reply.message, reply.code));
    });
    const fail = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      for (const report of this.reports.values()) report.fail(error);
      if (!this.started) this.answerReady(false);
      if (!this.started && this.fallback) return this.startInline(error);
      for (const waiter of this.waiting.values()) {
        this.failedStreams.add(waiter.stream);
        waiter.reject(error);
      }
      this.waiting.clear();
    };
    worker.on('error', (error) => fail(new StoreWriteError(`the store writer stopped: ${error.message}`, undefined)));
    worker.on('exit', (code) => fail(new StoreWriteError(`the store writer stopped (exit code ${code})`, undefined)));
    this.worker = worker;
    // The thread opens its connection now: the engine's has migrated the database (it does so
    // before it makes this writer), which a thread started ahead of the engine could not wait for.
    worker.postMessage({ kind: 'open' } satisfies WriterRequest);
    return worker;
  }

  /** The thread started ahead, if it suits this writer (see EarlyWriterThread.adopt); at most once. */
  private adoptEarly(): Worker | null {
    const early = this.early;
    this.early = null;
    return early?.adopt(this.dataDir, this.script) ?? null;
  }

  private answerReady(started: boolean) {
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const resolve of waiters) resolve(started);
  }

  /** An idle writer must not keep a CLI process alive (while closing, its exit is awaited). */
  private unrefWhenIdle(worker: Worker) {
    if (this.waiting.size === 0 && this.reports.size === 0 && this.readyWaiters.length === 0 && !this.closed) worker.unref();
  }

  /**
   * The thread could not start (a runtime that cannot load its script, say): store on this thread
   * from now on, beginning with what was handed over, in order. The worker never opened its
   * connection, so none of it was applied (and every write is idempotent anyway).
   */
  private startInline(error: Error) {
    const { store, onFallback } = this.fallback!;
    const inline = (this.inline = new InlineSessionWriter(store));
    onFallback(error.message);
    const waiters = [...this.waiting.values()];
    this.waiting.clear();
    for (const waiter of waiters) inline.write(waiter.stream, waiter.site, waiter.writes!).then(waiter.resolve, waiter.reject);
  }
}

interface Waiter {
  stream: number;
  site: { id: number; host: string };
  /** Kept for the fallback only, until a worker has started. */
  writes: SessionWrite[] | null;
  resolve: (added: number) => void;
  reject: (error: Error) => void;
}
