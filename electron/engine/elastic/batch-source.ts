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

/** The builder holds a few batches at most (MBs each): a heap of its own, bounded. */
const BUILDER_HEAP = { maxOldGenerationSizeMb: 64, maxYoungGenerationSizeMb: 8 };

/**
 * Where batches are built by default: on the main thread. The builder thread is opt-in
 * (EngineOptions.shipBuilderScript, or PRA_IC_SHIP_BUILDER=thread when the engine runs from its
 * sources): measured end to end (bench phase 5, 3,000 sessions), it cost ~40 MB of RSS and ~10 %
 * more CPU for no speed a 2-core machine could show, while building on the main thread, made cheap
 * (the session's part of the message built and escaped once, documents written as text), stayed
 * within the old shipper's memory.
 */
export function defaultBuilderScript(): URL | null {
  return process.env.PRA_IC_SHIP_BUILDER === 'thread' && import.meta.url.endsWith('.ts') ? new URL('./batch-builder-worker.ts', import.meta.url) : null;
}
