import { hostname } from 'node:os';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import type { Client } from '@elastic/elasticsearch';
import type { DestinationSettings } from '../../../shared/destination.ts';
import { describeStorageError } from '../db/database.ts';
import type { Logger } from '../log/logger.ts';
import { VERSION } from '../version.ts';
import { sendBulk, type BulkAnswer } from './bulk-request.ts';
import { dataStreamName } from './document.ts';
import type { DestinationStore } from './destination-settings.ts';
import { clientModule, createElasticClient, describeElasticError } from './elastic-connection.ts';
import { defaultBuilderScript, InlineBatchSource, WorkerBatchSource, type BatchSource } from './batch-source.ts';
import type { Batch } from './outbox-batches.ts';
import { OutboxMarks } from './outbox-marks.ts';
import { ShippingPump, type PumpHost } from './shipping-pump.ts';
import { ShippingErrorStore, type ShippingError } from './shipping-error.ts';

export const SHIP_LIMITS = {
  /** Documents per `_bulk` request … */
  maxDocs: 500,
  /** … and bytes (Elastic recommends bulk requests of a few MB; the default http.max_content_length is 100 MB). */
  maxBytes: 4 * 1024 * 1024,
  /**
   * `_bulk` requests in flight at once: while Elasticsearch indexes one (and the network carries its
   * answer), the next is built and sent. A few are enough to hide a round trip of tens of ms. With a
   * 40 ms round trip (bench phase 5, documents of ~2.7 KB), 3 requests of 500 left the simulated
   * cluster waiting between requests once extraction was done. 4 of 500 took ~9 % less time end to
   * end, but held more memory: a VmHWM of 203 MB in one run of six (the goal is 200). 4 of 400, about
   * the same documents and bytes in flight as 3 of 500 and the same peak RSS (179-192 against
   * 182-192 MB), took 4 % less with the round trip (8 alternating pairs: medians 4.03 against
   * 4.20 s, 6 pairs of 8 faster) and the same without it (3.84 against 3.89 s). Since less of
   * building survives on the main thread (outbox-batches.ts) and the CLI's source is held at one
   * byte a character (scripts/build-cli.ts), 4 of 500 again: 6 alternating pairs, medians 2.80 /
   * 2.80 s against 2.83 / 2.92 s (4 of 6 pairs faster, each), VmHWM 175-183 against 171-183 MB.
   */
  maxInFlight: 4,
  /**
   * … and their bytes at most (at least one request is in flight, however large): the documents of
   * long sessions are tens of KB each, and their bodies are held until answered.
   */
  maxInFlightBytes: 12 * 1024 * 1024,
  /** Backoff after a failed request or throttled items. */
  minBackoffMs: 1000,
  maxBackoffMs: 60_000,
  /** Follow mode: how long to wait for new events when the outbox is empty (a notify wakes it). */
  idlePollMs: 5000,
};

export type ShipLimits = typeof SHIP_LIMITS;

export interface ShipOutcome {
  sent: number;
  failed: number;
  retried: number;
}

export type DrainOutcome = ShipOutcome & { gaveUp: string | null };

/**
 * Drains the outbox into Elasticsearch. Events leave in the order they were stored, several `_bulk`
 * requests in flight (see ShippingPump); an event is marked sent only after Elasticsearch
 * acknowledged it (`created`, or `409` = a document with its deterministic `_id` already exists:
 * delivered before). Throttled and server-side failures are retried with backoff; rejections
 * (mapping, pipeline: a 400 on the item) are marked failed with their reason, shown in status and
 * retryable by the user. Nothing is dropped silently: a kill at any instant leaves unacknowledged
 * events pending on disk, and sending them again is answered 409.
 */
export class Shipper implements PumpHost {
  /**
   * The client for the settings it was made for (their JSON), being made or made. One for all the
   * requests in flight: each of the first ones used to make its own (reading the keychain twice
   * each, one read after the other: ~50 ms before the first bulk of a run), and all but the last
   * were never closed.
   */
  private client: { key: string; made: Promise<Client> } | null = null;
  private pump: ShippingPump | null = null;
  private readonly source: BatchSource;
  private readonly marks: OutboxMarks;
  private readonly errors: ShippingErrorStore;

  constructor(
    private readonly db: Database.Database,
    private readonly destination: DestinationStore,
    private readonly logger: Logger,
    private readonly context: { installId: string; limits?: Partial<ShipLimits>; onChange?: () => void; builderScript?: URL | 'inline' },
  ) {
    const script = context.builderScript === undefined ? defaultBuilderScript() : context.builderScript;
    this.source =
      script === 'inline' || script === null
        ? new InlineBatchSource(db)
        : new WorkerBatchSource(db, script, (reason) => this.logger.warn('ship', `The batch builder thread could not start (${reason}); documents are built on the main thread instead, more slowly.`));
    this.errors = new ShippingErrorStore(db);
    const dataDir = dirname(db.name);
    const consequence = 'Events Elasticsearch acknowledged stay pending meanwhile: they are recorded as sent once there is room, or sent again (answered 409, never twice).';
    this.marks = new OutboxMarks(
      db,
      (error) => describeStorageError(error, dataDir, consequence) ?? `Elasticsearch's answers could not be recorded in the outbox (${(error as Error).message}). ${consequence}`,
    );
  }

  get limits(): ShipLimits {
    return { ...SHIP_LIMITS, ...this.context.limits };
  }

  /** Whether a destination is configured (nothing ships before). */
  get configured() {
    return this.destination.get() !== null;
  }

  /** Why shipping last failed (until a delivery succeeds), kept across restarts; null when it works. */
  get lastError(): string | null {
    return this.errors.get()?.message ?? null;
  }

  get lastErrorDetail(): ShippingError | null {
    return this.errors.get();
  }

  /** Starts shipping in the background, concurrently with extraction, until stop() or drain(). */
  start() {
    if (this.pump) return;
    this.pump = new ShippingPump(this, { follow: true });
  }

  /** Stops at once: requests in flight are abandoned (their events stay pending, resent next time). */
  async stop() {
    const pump = this.pump;
    this.pump = null;
    if (pump) {
      pump.abort();
      await pump.done.catch(() => undefined);
    }
  }

  /** Stops, and ends the builder thread (the engine closes). */
  async close() {
    await this.stop();
    await this.source.close();
  }

  /** New events were stored, or settings changed: ship now instead of at the next poll. */
  notify() {
    this.pump?.wake();
  }

  /**
   * Makes the client ahead of the first bulk: the keychain read and the client's module (~70 ms of
   * this thread the first time) took 0.1-0.2 s while extraction kept both cores busy, and the run's
   * first bulks waited for them. The engine calls this once a site's report brings sessions, which
   * the writer thread parses meanwhile: earlier (as the run starts, or at each report, empty ones
   * included) it held up the site's own requests (the same keychain, the same thread). A failure is
   * left for the first request to report.
   */
  prepare() {
    if (this.client) return;
    const settings = this.destination.get();
    if (settings) this.getClient(settings).catch(() => undefined);
  }

  /** Settings changed: the next request uses a new client. */
  reset() {
    closeClient(this.client);
    this.client = null;
    this.pump?.resetBackoff();
    this.notify();
  }

  /**
   * Ships until the outbox holds no pending event (failed ones stay for the user), or gives up after
   * `maxFailures` consecutive attempts without progress (Elasticsearch down): the events stay queued.
   * When the background shipping runs (start()), it is not interrupted: it finishes the outbox and its
   * totals since start() are returned, requests in flight included (`pra-ic run --once`).
   */
  async drain(options: { signal?: AbortSignal; maxFailures?: number } = {}): Promise<DrainOutcome> {
    options.signal?.throwIfAborted();
    const pump = this.pump ?? new ShippingPump(this, { follow: false });
    this.pump = pump;
    pump.finish(options.maxFailures ?? 8);
    const onAbort = () => pump.abort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      const outcome = await pump.done;
      options.signal?.throwIfAborted();
      return outcome;
    } finally {
      options.signal?.removeEventListener('abort', onAbort);
      if (this.pump === pump) this.pump = null;
    }
  }

  /**
   * One `_bulk` request of the oldest pending events, sent alone and recorded; null when there is
   * nothing to ship. A failure of the whole request is thrown to the caller.
   */
  async shipBatch(signal?: AbortSignal): Promise<ShipOutcome | null> {
    const next = await this.readBatch(0);
    if (!next) return null;
    const { batch, unbuildable } = next;
    if (!batch) return { sent: 0, failed: unbuildable, retried: 0 };
    let answer: BulkAnswer;
    try {
      answer = await this.send(batch, signal);
    } catch (error) {
      this.requestFailed(error);
      throw error;
    }
    const outcome = this.record(batch, answer);
    this.marks.flush();
    return { ...outcome, failed: outcome.failed + unbuildable };
  }

  // ── PumpHost: what the pump asks of the shipper ──────────────────────────────────────────

  /** The next batch after `cursor` (of at most `maxBytes`, one event at least); unbuildable events are marked failed here. */
  async readBatch(cursor: number, maxBytes = this.limits.maxBytes): Promise<{ batch: Batch | null; unbuildable: number; last: number } | null> {
    const settings = this.destination.get();
    if (!settings) return null;
    const agent = { name: hostname(), version: VERSION, installId: this.context.installId };
    const { maxDocs } = this.limits;
    const read = await this.source.read(cursor, { maxDocs, maxBytes }, dataStreamName(settings.namespace), { namespace: settings.namespace, agent });
    if (!read) return null;
    if (read.unbuildable.length) {
      this.mark([], read.unbuildable, []);
      this.context.onChange?.();
    }
    return { batch: read.batch, unbuildable: read.unbuildable.length, last: read.last };
  }

  recycle(owned: Uint8Array) {
    this.source.recycle(owned);
  }

  async send(batch: Batch, signal?: AbortSignal): Promise<BulkAnswer> {
    const settings = this.destination.get();
    if (!settings) throw new Error('The Elasticsearch destination was removed.');
    return sendBulk(await this.getClient(settings), batch, signal);
  }

  /** Records Elasticsearch's answer for a batch; returns what became of its events. */
  record(batch: Batch, answer: BulkAnswer): ShipOutcome {
    const failed = answer.failed.map((f) => ({ eventId: batch.ids[f.position]!, reason: f.reason }));
    this.mark(
      answer.sent.map((i) => batch.ids[i]!),
      failed,
      answer.retry.map((i) => batch.ids[i]!),
    );
    if (failed.length > 0) {
      this.logger.error('ship', `Elasticsearch rejected ${failed.length} document(s): ${failed[0]!.reason}. They are kept as failed; fix the cause (mapping, pipeline) and retry them.`);
    }
    if (this.marks.failure !== null) this.noteError(this.marks.failure);
    else if (answer.sent.length > 0 || failed.length > 0) this.errors.clear();
    else if (answer.retry.length > 0) this.noteError(`Elasticsearch is busy: ${answer.retry.length} document(s) throttled (HTTP 429/5xx), retried with backoff.`);
    this.context.onChange?.();
    return { sent: answer.sent.length, failed: failed.length, retried: answer.retry.length };
  }

  /** The request as a whole failed (unreachable, 401, 5xx…): its events stay pending. */
  requestFailed(error: unknown): string {
    const message = describeElasticError(error);
    this.noteError(message);
    this.context.onChange?.();
    return message;
  }

  private noteError(message: string) {
    if (message !== this.lastError) this.logger.warn('ship', `Shipping to Elasticsearch paused: ${message} Events stay queued and are sent when it works again.`);
    this.errors.set(message);
  }

  private getClient(settings: DestinationSettings): Promise<Client> {
    const key = JSON.stringify(settings);
    if (this.client?.key === key) return this.client.made;
    closeClient(this.client);
    const made = this.makeClient(settings);
    const entry = (this.client = { key, made });
    // One that could not be made (no key in the keychain, say) is made again by the next request.
    made.catch(() => {
      if (this.client === entry) this.client = null;
    });
    return made;
  }

  private async makeClient(settings: DestinationSettings): Promise<Client> {
    // The client's module loads (~70 ms of this thread, the first time) while the keychain is read.
    const [credentials] = await Promise.all([this.destination.credentials(settings.auth), clientModule()]);
    return createElasticClient(settings, credentials);
  }

  /** Records Elasticsearch's answers (written at once when the database is free, see OutboxMarks). */
  private mark(sent: number[], failed: { eventId: number; reason: string }[], retry: number[]) {
    this.marks.add(sent, failed, retry);
  }

  /** Writes the answers still queued, waiting for the database if need be; null, or why they could not be (kept as the shipping error). */
  flushMarks(): string | null {
    const failure = this.marks.flush();
    if (failure !== null) this.noteError(failure);
    return failure;
  }

  /** The user fixed the cause: failed events go back to pending. */
  retryFailed(): number {
    this.marks.flush();
    const result = this.db.prepare(`UPDATE outbox SET state = 'pending', last_error = NULL, updated_at = ? WHERE destination = 'elastic' AND state = 'failed'`).run(Math.floor(Date.now() / 1000));
    // Behind the pump's cursor: found when it next reads the outbox from the start.
    this.notify();
    return result.changes;
  }

  recentFailures(limit = 5): { eventId: number; reason: string }[] {
    return this.db
      .prepare(`SELECT event_id AS eventId, last_error AS reason FROM outbox WHERE destination = 'elastic' AND state = 'failed' ORDER BY updated_at DESC, event_id DESC LIMIT ?`)
      .all(limit) as { eventId: number; reason: string }[];
  }
}

/** Closes a client once it is made (one that could not be made has nothing to close). */
function closeClient(client: { made: Promise<Client> } | null) {
  client?.made.then((c) => c.close()).catch(() => undefined);
}
