import type { BulkAnswer } from './bulk-request.ts';
import { isBodyTooLarge } from './elastic-connection.ts';
import type { Batch } from './outbox-batches.ts';
import type { DrainOutcome, ShipLimits, ShipOutcome } from './shipper.ts';

/** What the pump needs from the shipper: reading batches, sending them, recording the answers. */
export interface PumpHost {
  readonly limits: ShipLimits;
  /** The next batch after `cursor`, of at most `maxBytes` (but at least one event). */
  readBatch(cursor: number, maxBytes: number): Promise<{ batch: Batch | null; unbuildable: number; last: number } | null>;
  send(batch: Batch, signal: AbortSignal): Promise<BulkAnswer>;
  record(batch: Batch, answer: BulkAnswer): ShipOutcome;
  /** Returns the error in words (kept as the shipping error). */
  requestFailed(error: unknown): string;
  /**
   * Writes the answers recorded so far to disk (before the outbox is read from its start again);
   * null when written, else why not (a full disk): they stay queued for a later try.
   */
  flushMarks(): string | null;
  /** The batch was answered whole: its body's buffer may be written again. */
  recycle(owned: Uint8Array): void;
}

/**
 * Keeps the pipe to Elasticsearch full: up to `maxInFlight` `_bulk` requests at once (and no more
 * than that many batches' bytes), the next batch read and built while the previous ones travel.
 *
 * Events are read from a cursor (the highest event id read), so the events of a batch in flight,
 * still pending on disk, are not read again. When a read finds nothing and nothing is in flight or
 * waiting, the cursor goes back to 0 once: events that became pending again behind it (a retry of
 * failed events, ids reused after deletions) are found too. The outbox is empty when a read from 0
 * finds nothing.
 *
 * Failures, in proportion to what failed:
 * - items throttled (429/5xx) in an answer are sent again in a batch of their own after a backoff
 *   that grows while throttling lasts; the accepted ones are done, and new batches keep flowing,
 *   paused only for the throttled share of that backoff (2 % throttled: 2 % of the backoff);
 * - a request that failed as a whole (unreachable, 401, 503…) pauses everything for the backoff, its
 *   batch kept in memory to be sent again (its events are pending on disk: a kill loses nothing);
 * - a request refused as too large (HTTP 413: Elasticsearch's http.max_content_length, or the body
 *   limit of a proxy in front of it, is below `maxBytes`) is split in two and sent again at once, and
 *   later requests are built at most half its size: the limit is found in a few refusals. A single
 *   document refused on its own is kept as failed with the reason (it can never be accepted until
 *   the limit is raised, and must not hold up the events behind it);
 * - progress (any event acknowledged or rejected) resets the count of consecutive failures; in drain
 *   mode the pump gives up after `maxFailures` of them, leaving the events pending.
 */
export class ShippingPump {
  readonly done: Promise<DrainOutcome>;
  private readonly controller = new AbortController();
  private readonly outcome: DrainOutcome = { sent: 0, failed: 0, retried: 0, gaveUp: null };
  private follow: boolean;
  private maxFailures = Infinity;
  private readonly inFlight = new Set<Promise<void>>();
  private inFlightBytes = 0;
  /** Batches to send again, each not before its `notBefore`. */
  private waiting: Batch[] = [];
  private waitingBytes = 0;
  private cursor = 0;
  /** The last read from the cursor found nothing. */
  private exhausted = false;
  /** No new batch before this time (ms). */
  private pausedUntil = 0;
  private failures = 0;
  private throttled = 0;
  /** Bytes per request learned from refusals (HTTP 413), below the limits' maxBytes; null until one. */
  private bytesCap: number | null = null;
  private lastError = '';
  private poke: (() => void) | null = null;

  constructor(
    private readonly host: PumpHost,
    options: { follow: boolean },
  ) {
    this.follow = options.follow;
    this.done = this.run();
  }

  /** Something changed (new events, settings): look again now. */
  wake() {
    this.exhausted = false;
    this.poke?.();
  }

  /**
   * Settings changed: no backoff, and the batches waiting to be sent again are dropped (they were
   * built for the old destination); their events are pending on disk and read again when the
   * cursor goes back to 0.
   */
  resetBackoff() {
    this.pausedUntil = 0;
    this.failures = 0;
    this.throttled = 0;
    this.bytesCap = null; // another destination (or a raised limit) may take larger requests
    this.waiting = [];
    this.waitingBytes = 0;
    this.wake();
  }

  /** Drain mode: finish when the outbox is empty (or after `maxFailures` failures in a row). */
  finish(maxFailures: number) {
    this.follow = false;
    this.maxFailures = maxFailures;
    this.wake();
  }

  /** Stop now; requests in flight are abandoned (their events stay pending). */
  abort() {
    this.controller.abort(new Error('stopping'));
    this.poke?.();
  }

  private get aborted() {
    return this.controller.signal.aborted;
  }

  private async run(): Promise<DrainOutcome> {
    const limits = () => this.host.limits;
    for (;;) {
      if (this.aborted) break;
      if (this.outcome.gaveUp !== null) {
        if (this.inFlight.size === 0) break;
        await this.wait(null);
        continue;
      }
      // Fill the pipe.
      const { maxInFlight, maxInFlightBytes } = limits();
      const budget = Math.min(maxInFlight * this.maxBytes(), maxInFlightBytes);
      while (this.inFlight.size < maxInFlight && this.inFlightBytes < budget && !this.aborted) {
        const batch = await this.nextBatch(budget);
        if (!batch || this.aborted) break;
        this.launch(batch);
        // The request goes out before the next batch is built (building is synchronous, ~20-30 ms).
        await new Promise((resolve) => setImmediate(resolve));
      }
      if (this.aborted) break;
      if (this.inFlight.size > 0) {
        await this.wait(this.nextDue());
        continue;
      }
      const due = this.nextDue();
      if (due !== null) {
        await this.wait(due);
        continue;
      }
      if (!this.exhausted) continue; // a read was cut short by a wake: read again
      if (this.cursor !== 0) {
        // Events acknowledged but not yet marked on disk would be read (and sent) again.
        const failure = this.host.flushMarks();
        if (failure !== null) {
          // The data folder cannot be written (its disk is full): a run gives up for now (its
          // deliveries are recorded later, or sent again and answered 409); the app tries again.
          this.lastError = failure;
          if (!this.follow) this.outcome.gaveUp ??= failure;
          else {
            this.pauseAfterFailure(failure);
            await this.wait(this.pausedUntil);
          }
          continue;
        }
        this.cursor = 0;
        this.exhausted = false;
        continue;
      }
      if (!this.follow) break;
      await this.wait(Date.now() + limits().idlePollMs);
      this.exhausted = false;
    }
    // Abandoned requests end on their own (aborted); their answers are not recorded. Those recorded
    // are written before the run counts as over (or the run says why they could not be).
    const failure = this.host.flushMarks();
    if (failure !== null && !this.aborted) this.outcome.gaveUp ??= failure;
    return this.outcome;
  }

  /** Bytes per request: the limits', or less once Elasticsearch refused larger ones (413). */
  private maxBytes(): number {
    const { maxBytes } = this.host.limits;
    return this.bytesCap === null ? maxBytes : Math.min(maxBytes, this.bytesCap);
  }

  /** The earliest time something waiting may go (a retried batch, the end of a pause), or null. */
  private nextDue(): number | null {
    let due: number | null = null;
    for (const b of this.waiting) due = due === null ? b.notBefore : Math.min(due, b.notBefore);
    if (this.pausedUntil > Date.now() && !this.exhausted) due = due === null ? this.pausedUntil : Math.min(due, this.pausedUntil);
    return due;
  }

  private async nextBatch(budget: number): Promise<Batch | null> {
    const now = Date.now();
    const due = this.dueBatch(now);
    // New events: not while paused, nor while what waits to be sent again fills the budget.
    if (now < this.pausedUntil || this.exhausted || this.waitingBytes >= budget) return due;
    const room = this.maxBytes() - (due?.bytes ?? 0);
    if (due && room <= 0) return due;
    const fresh = await this.readFresh(room);
    if (!fresh || !due) return fresh ?? due;
    // Items sent again ride along with new ones: one request, not a small one of their own.
    return { ids: [...due.ids, ...fresh.ids], lines: [...due.lines, ...fresh.lines], bytes: due.bytes + fresh.bytes, attempt: due.attempt, notBefore: 0 };
  }

  private async readFresh(maxBytes: number): Promise<Batch | null> {
    for (;;) {
      let read: Awaited<ReturnType<PumpHost['readBatch']>>;
      try {
        read = await this.host.readBatch(this.cursor, maxBytes);
      } catch (error) {
        // E.g. the destination's settings cannot make an index name: a failure like a refused request.
        this.pauseAfterFailure(this.host.requestFailed(error));
        this.giveUpIfTooMany();
        return null;
      }
      if (!read) {
        this.exhausted = true;
        return null;
      }
      this.cursor = read.last;
      this.outcome.failed += read.unbuildable;
      if (read.batch) return read.batch;
    }
  }

  /**
   * The batches to send again that are due, merged into one request up to the limits. One larger
   * than the requests Elasticsearch accepts now (it waited while a 413 taught a smaller size) goes
   * in part; the rest waits for the next request.
   */
  private dueBatch(now: number): Batch | null {
    const { maxDocs } = this.host.limits;
    const maxBytes = this.maxBytes();
    let merged: Batch | null = null as Batch | null;
    this.waiting = this.waiting.filter((b) => {
      if (b.notBefore > now) return true;
      if (merged === null) {
        merged = { ...b, ids: [...b.ids], lines: [...b.lines] };
        delete merged.owned; // its lines may be joined by others' below: not one batch's buffer any more
      } else {
        if (merged.ids.length + b.ids.length > maxDocs || merged.bytes + b.bytes > maxBytes) return true;
        merged.ids.push(...b.ids);
        merged.lines.push(...b.lines);
        merged.bytes += b.bytes;
        merged.attempt = Math.max(merged.attempt, b.attempt);
      }
      this.waitingBytes -= b.bytes;
      return false;
    });
    if (merged !== null && merged.bytes > maxBytes && merged.ids.length > 1) {
      const [head, rest] = splitBatch(merged, maxBytes);
      this.enqueue(rest);
      return head;
    }
    return merged;
  }

  private launch(batch: Batch) {
    this.inFlightBytes += batch.bytes;
    const request = this.host
      .send(batch, this.controller.signal)
      .then(
        (answer) => {
          if (!this.aborted) this.answered(batch, answer);
        },
        (error: unknown) => {
          if (!this.aborted) this.failed(batch, error);
        },
      )
      .finally(() => {
        this.inFlight.delete(request);
        this.inFlightBytes -= batch.bytes;
        this.poke?.();
      });
    this.inFlight.add(request);
  }

  private answered(batch: Batch, answer: BulkAnswer) {
    const recorded = this.host.record(batch, answer);
    this.outcome.sent += recorded.sent;
    this.outcome.failed += recorded.failed;
    this.outcome.retried += recorded.retried;
    const progress = recorded.sent + recorded.failed > 0;
    if (progress) this.failures = 0;
    if (answer.retry.length === 0) {
      this.throttled = 0;
      // Nothing of it is sent again (a retry batch holds views of its lines): its buffer is free.
      if (batch.owned) this.host.recycle(batch.owned);
      return;
    }
    // Throttled items: sent again on their own after a backoff; new batches pause for the throttled share of it.
    if (!progress) this.failures++;
    this.throttled++;
    const backoff = this.backoff(this.throttled);
    const now = Date.now();
    const retry: Batch = { ids: [], lines: [], bytes: 0, attempt: batch.attempt + 1, notBefore: now + backoff };
    for (const i of answer.retry) {
      retry.ids.push(batch.ids[i]!);
      retry.lines.push(batch.lines[i]!);
      retry.bytes += batch.lines[i]!.length;
    }
    this.enqueue(retry);
    this.pausedUntil = Math.max(this.pausedUntil, now + Math.round((backoff * answer.retry.length) / batch.ids.length));
    this.giveUpIfTooMany();
  }

  private failed(batch: Batch, error: unknown) {
    if (isBodyTooLarge(error)) return this.refusedAsTooLarge(batch, error);
    this.pauseAfterFailure(this.host.requestFailed(error));
    batch.notBefore = this.pausedUntil;
    batch.attempt++;
    this.enqueue(batch);
    this.giveUpIfTooMany();
  }

  /**
   * HTTP 413. Nothing is wrong with Elasticsearch and the documents may be fine: the request was
   * larger than it (or a proxy in front of it) takes. Not a failure that backs off or gives up: each
   * refusal halves the size of later requests or settles one document, so refusals end.
   */
  private refusedAsTooLarge(batch: Batch, error: unknown) {
    if (batch.ids.length === 1) {
      // Alone and still too large: it cannot be accepted until the limit is raised.
      const reason =
        `HTTP 413: its document is ${batch.bytes} bytes with its action line, more than Elasticsearch accepts in one request ` +
        '(http.max_content_length, or the body limit of a proxy in front of it). Raise the limit, then retry it.';
      const recorded = this.host.record(batch, { sent: [], retry: [], failed: [{ position: 0, reason }] });
      this.outcome.failed += recorded.failed;
      this.failures = 0;
      return;
    }
    this.lastError = this.host.requestFailed(error);
    this.bytesCap = Math.max(1, Math.min(this.bytesCap ?? Infinity, Math.floor(batch.bytes / 2)));
    // Both halves go again now (views of the same body: its buffer is not reused, `owned` is not passed on).
    const [head, rest] = splitBatch(batch, Math.ceil(batch.bytes / 2));
    this.enqueue({ ...head, notBefore: 0 });
    this.enqueue({ ...rest, notBefore: 0 });
  }

  /** A failure without progress (`message`, in words): one more in a row, new batches pause for its backoff (the caller decides on giving up). */
  private pauseAfterFailure(message: string) {
    this.lastError = message;
    this.failures++;
    this.pausedUntil = Math.max(this.pausedUntil, Date.now() + this.backoff(this.failures));
  }

  private enqueue(batch: Batch) {
    this.waiting.push(batch);
    this.waitingBytes += batch.bytes;
  }

  private giveUpIfTooMany() {
    if (!this.follow && this.failures >= this.maxFailures) {
      this.outcome.gaveUp = this.lastError || 'Elasticsearch kept refusing documents.';
      // The waiting batches' events stay pending on disk for the next run.
      this.waiting = [];
      this.waitingBytes = 0;
    }
  }

  /** Exponential backoff with jitter (half to all of it), from minBackoffMs up to maxBackoffMs. */
  private backoff(streak: number): number {
    const { minBackoffMs, maxBackoffMs } = this.host.limits;
    const full = Math.min(maxBackoffMs, minBackoffMs * 2 ** Math.min(30, Math.max(0, streak - 1)));
    return Math.round(full / 2 + (Math.random() * full) / 2);
  }

  /**
   * Waits until something happens: a request ends, wake() or abort() is called, or `until` (ms since
   * the epoch) is reached. No listener outlives the wait (a timer, cleared; no abort listener).
   */
  private wait(until: number | null): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | null = null;
      const done = () => {
        if (timer) clearTimeout(timer);
        if (this.poke === done) this.poke = null;
        resolve();
      };
      if (until !== null) timer = setTimeout(done, Math.max(0, until - Date.now()));
      this.poke = done;
    });
  }
}

/**
 * A batch of several events cut in two: the leading events up to `maxBytes` (at least one), and the
 * rest. Neither owns the body's buffer (both are views of it).
 */
function splitBatch(batch: Batch, maxBytes: number): [Batch, Batch] {
  let n = 1;
  let bytes = batch.lines[0]!.length;
  while (n < batch.ids.length - 1 && bytes + batch.lines[n]!.length <= maxBytes) bytes += batch.lines[n++]!.length;
  const part = (from: number, to: number, size: number): Batch => ({
    ids: batch.ids.slice(from, to),
    lines: batch.lines.slice(from, to),
    bytes: size,
    attempt: batch.attempt,
    notBefore: batch.notBefore,
  });
  return [part(0, n, bytes), part(n, batch.ids.length, batch.bytes - bytes)];
}
