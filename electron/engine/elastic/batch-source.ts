import type Database from 'better-sqlite3';
import { Worker } from 'node:worker_threads';
import type { BuilderReply, BuilderRequest } from './batch-builder-protocol.ts';
import type { DocumentContext } from './document.ts';
import { BatchReader, type BatchLimits, type ReadResult } from './outbox-batches.ts';
import { startScriptWorker } from '../script-worker.ts';

type Context = Omit<DocumentContext, 'siteHost' | 'syntheticLsid'>;

/** Where the shipper gets its batches: built on a thread of their own, or on this one. */
export interface BatchSource {
  read(cursor: number, limits: BatchLimits, index: string, context: Context): Promise<ReadResult | null>;
  /** A batch's buffer (Batch.owned), answered whole: to be written again. */
  recycle(owned: Uint8Array): void;
  close(): Promise<void>;
}

/** On this thread (tests, runtimes without the builder's script). */
export class InlineBatchSource implements BatchSource {
  private readonly reader: BatchReader;
  constructor(db: Database.Database) {
    this.reader = new BatchReader(db);
  }
  async read(cursor: number, limits: BatchLimits, index: string, context: Context) {
    return this.reader.read(cursor, limits, index, context);
  }
  recycle(owned: Uint8Array) {
    this.reader.recycle(owned);
  }
  async close() {}
}

/**
 * Builds batches on a thread of its own, so that building documents (reading events, converting
 * their XML to the collector's JSON, serialising) does not take the thread that parses reports
 * during extraction: most of shipping's CPU. The next batch is built ahead while the previous ones
 * are sent. If the thread cannot start, batches are built on this thread instead.
 */
export class WorkerBatchSource implements BatchSource {
  private worker: Worker | null = null;
  private started = false;
  private inline: InlineBatchSource | null = null;
  private nextId = 0;
  private readonly waiting = new Map<number, { resolve: (r: ReadResult | null) => void; reject: (e: Error) => void }>();
  /** The batch built ahead: for the cursor its predecessor ended at, with the same settings. */
  private ahead: { key: string; result: Promise<ReadResult | null> } | null = null;
  private closed = false;

  constructor(
    private readonly db: Database.Database,
    private readonly script: URL,
    private readonly onFallback: (reason: string) => void,
  ) {}

  async read(cursor: number, limits: BatchLimits, index: string, context: Context): Promise<ReadResult | null> {
    if (this.inline) return this.inline.read(cursor, limits, index, context);
    const key = (c: number) => JSON.stringify([c, limits, index, context]);
    const ahead = this.ahead;
    this.ahead = null;
    let result = ahead && ahead.key === key(cursor) ? await ahead.result.catch(() => null) : null;
    // A batch built ahead is used only when it holds events: "nothing" is always asked again, as
    // events may have been stored since.
    if (result === null) {
      try {
        result = await this.request(cursor, limits, index, context);
      } catch (error) {
        // The thread could not start: read here (see ensureWorker's fallback).
        const inline = this.inline as InlineBatchSource | null; // set meanwhile by the fallback
        if (!inline) throw error;
        return inline.read(cursor, limits, index, context);
      }
    }
    if (result !== null && !this.inline) {
      const next = result.last;
      const built = this.request(next, limits, index, context);
      built.catch(() => undefined);
      this.ahead = { key: key(next), result: built };
    }
    return result;
  }

  recycle(owned: Uint8Array) {
    if (this.inline) return this.inline.recycle(owned);
    // Back to the thread that writes bodies, moved (not copied); a batch from before a restart of
    // the thread is left to the garbage collector.
    if (!this.worker || owned.byteLength === 0) return;
    this.worker.postMessage({ kind: 'recycle', buffer: owned } satisfies BuilderRequest, [owned.buffer as ArrayBuffer]);
  }

  private request(cursor: number, limits: BatchLimits, index: string, context: Context): Promise<ReadResult | null> {
    if (this.inline) return this.inline.read(cursor, limits, index, context);
    const id = ++this.nextId;
    return new Promise<ReadResult | null>((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      const worker = this.ensureWorker();
      worker.ref();
      worker.postMessage({ kind: 'read', id, cursor, limits, index, context } satisfies BuilderRequest);
    });
  }

  async close() {
    this.closed = true;
    this.ahead = null;
    const worker = this.worker;
    if (!worker) return;
    this.worker = null;
    worker.ref();
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage({ kind: 'close' } satisfies BuilderRequest);
    await exited;
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    if (this.closed) throw new Error('the batch builder is closed');
    const options = { workerData: { file: this.db.name }, resourceLimits: BUILDER_HEAP };
    const worker = startScriptWorker(this.script, options);
    worker.on('message', (reply: BuilderReply) => {
      if (reply.kind === 'ready') {
        this.started = true;
        return;
      }
      const waiter = this.waiting.get(reply.id);
      if (!waiter) return;
      this.waiting.delete(reply.id);
      // An idle builder must not keep a CLI process alive.
      if (this.waiting.size === 0) worker.unref();
      if ('error' in reply) waiter.reject(new Error(reply.error));
      else waiter.resolve(reply.result);
    });
    const fail = (error: Error) => {
      if (this.worker !== worker) return;
      this.worker = null;
      this.ahead = null;
      const waiters = [...this.waiting.values()];
      this.waiting.clear();
      if (!this.started && !this.closed) {
        // It never ran: build here from now on (the requests are answered by a read on this thread).
        this.inline = new InlineBatchSource(this.db);
        this.onFallback(error.message);
      }
      for (const w of waiters) w.reject(error);
    };
    worker.on('error', (error) => fail(new Error(`the batch builder stopped: ${error.message}`)));
    worker.on('exit', (code) => fail(new Error(`the batch builder stopped (exit code ${code})`)));
    this.worker = worker;
    return worker;
  }
}

/**
 * The builder holds a few sessions' parts and the batch being built (its body is outside the heap):
 * a heap of its own, bounded, with a small young generation (a 2 MB one kept the process's peak RSS
 * ~10 MB lower than 8 MB did, at the same speed).
 */
const BUILDER_HEAP = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 2 };

/**
 * Where batches are built by default: on the main thread. The builder thread is opt-in
 * (EngineOptions.shipBuilderScript, or PRA_IC_SHIP_BUILDER=thread for `pra-ic`, built or from its
 * sources). Measured end to end (bench phase 5, 3,000 sessions, 2 cores shared with both
 * simulators), five alternating runs each: 3.3-4.5 s (median 4.2) with the thread against 3.7-4.8 s
 * (median 4.4) without, and a peak RSS of 190-199 MB against 177-180 MB. On this machine the second
 * core is the simulators', so the thread gains ~5 % and puts the 200 MB goal at risk; with cores to
 * spare it can pay more.
 */
export function defaultBuilderScript(): URL | null {
  return process.env.PRA_IC_SHIP_BUILDER === 'thread' && import.meta.url.endsWith('.ts') ? new URL('./batch-builder-worker.ts', import.meta.url) : null;
}
