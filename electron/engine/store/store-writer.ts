import { Worker } from 'node:worker_threads';
import type { SessionStore, SessionWrite } from './session-store.ts';
import type { WriterReply, WriterRequest } from './store-writer-protocol.ts';
import { startScriptWorker } from '../script-worker.ts';

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
  /** Waits for what was handed over, then releases the writer. */
  close(): Promise<void>;
}

/**
 * The writer's JavaScript heap. It only ever holds a few commits (≤ 2 unanswered + the one being
 * written, each ~500 events of strings) and one session header, so V8's defaults (up to 16 MB per
 * young semi-space, an old generation allowed to grow to gigabytes before it is collected hard)
 * would only let garbage pile up: a 4 MB young generation took ~15–45 MB off the benchmark's peak
 * RSS at the same speed, and 2 MB another ~4 MB (bench phase 5: 177-180 MB against 182-184). The old generation still leaves room for a header of tens of megabytes
 * (a session with ~100,000 shell recordings).
 */
const WRITER_HEAP = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 256 };

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

/** A write not applied because an earlier write of the same report failed (that failure is the one reported). */
export class WriteRefusedError extends Error {
  constructor() {
    super('not stored: an earlier write of the same report failed');
    this.name = 'WriteRefusedError';
  }
}

/** A store error that happened in the writer thread, rebuilt on this side with its SQLite code. */
export class StoreWriteError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'StoreWriteError';
  }
}

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

  constructor(
    private readonly dataDir: string,
    private readonly script: URL = defaultWorkerScript(),
    private readonly fallback?: { store: SessionStore; onFallback(reason: string): void },
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

  endStream(stream: number) {
    this.failedStreams.delete(stream);
    this.inline?.endStream(stream);
    if (this.worker) this.send({ kind: 'end-stream', stream });
  }

  async close() {
    if (this.closed) return;
    this.closed = true;
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
    const options = { workerData: { dataDir: this.dataDir }, resourceLimits: WRITER_HEAP };
    const worker = startScriptWorker(this.script, options);
    worker.on('message', (reply: WriterReply) => {
      if (reply.kind === 'ready') {
        this.started = true;
        return;
      }
      const waiter = this.waiting.get(reply.id);
      if (!waiter) return;
      this.waiting.delete(reply.id);
      // An idle writer must not keep a CLI process alive (while closing, its exit is awaited).
      if (this.waiting.size === 0 && !this.closed) worker.unref();
      if (reply.ok) waiter.resolve(reply.added);
      else waiter.reject(reply.refused ? new WriteRefusedError() : new StoreWriteError(reply.message, reply.code));
    });
    const fail = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
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
    return worker;
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

/**
 * The worker's script next to this module: store-writer-worker.ts when the engine runs from its
 * sources (tests, the CLI under tsx). A bundle (the desktop app, the benchmark) builds the worker
 * as an entry of its own and passes its URL instead.
 */
export function defaultWorkerScript(): URL {
  if (!import.meta.url.endsWith('.ts')) {
    throw new Error('the store writer worker was not given: a bundle of the engine must build store-writer-worker.ts as an entry and pass its URL (EngineOptions.storeWriterScript)');
  }
  return new URL('./store-writer-worker.ts', import.meta.url);
}
