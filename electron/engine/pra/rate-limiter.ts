/**
 * The request budget of one PRA API account (host + client id): BeyondTrust allows 20 requests
 * per second and 15,000 per hour, across every endpoint, per account. Everything that talks to an
 * account — background extraction of several sites, a Test click, the CLI — shares one limiter, so
 * the budget holds however many callers there are.
 *
 * The appliance counts requests when they *arrive*, and arrival is somewhere between our send and
 * the response: with a new TLS connection per request (`Connection: close`), that delay varies by
 * hundreds of milliseconds under load, so spacing sends one second apart is not enough. The
 * per-second window therefore counts a request from its send until one second after its response
 * arrived — the latest it can have been counted — which keeps any one-second interval of arrivals
 * at 20 or less whatever the jitter and the appliance's window alignment. The hourly budget is a
 * plain sliding window of send times (jitter is irrelevant at that scale).
 */
export interface RateLimits {
  perSecond: number;
  perHour: number;
}

export const PRA_RATE_LIMITS: RateLimits = { perSecond: 20, perHour: 15_000 };

/** Extra spacing added to each window so requests bunched by the network still arrive within budget. */
const WINDOW_MARGIN_MS = 50;

/** Requests that may still fall into the appliance's current one-second window. */
class ArrivalWindow {
  private readonly spans: { end: number }[] = [];
  constructor(
    readonly size: number,
    readonly windowMs: number,
  ) {}
  /** Milliseconds until one more request fits (0 = now). */
  waitMs(now: number): number {
    for (let i = this.spans.length - 1; i >= 0; i--) {
      if (this.spans[i]!.end + this.windowMs <= now) this.spans.splice(i, 1);
    }
    if (this.spans.length < this.size) return 0;
    const earliest = Math.min(...this.spans.map((s) => s.end));
    // Every slot is held by a request still in flight: look again shortly.
    return Number.isFinite(earliest) ? Math.max(1, earliest + this.windowMs - now) : 25;
  }
  open(): { end: number } {
    const span = { end: Infinity };
    this.spans.push(span);
    return span;
  }
}

class SlidingWindow {
  private readonly times: number[];
  private next = 0;
  constructor(
    readonly size: number,
    readonly windowMs: number,
  ) {
    this.times = new Array<number>(size).fill(-Infinity);
  }
  /** Milliseconds until one more request fits (0 = now). */
  waitMs(now: number): number {
    const oldest = this.times[this.next] ?? -Infinity;
    return Math.max(0, oldest + this.windowMs - now);
  }
  record(now: number) {
    this.times[this.next] = now;
    this.next = (this.next + 1) % this.size;
  }
}

export class RateLimiter {
  private readonly perSecond: ArrivalWindow;
  private readonly perHour: SlidingWindow;
  private queue: Promise<void> = Promise.resolve();
  private pausedUntil = 0;
  private sent = 0;

  constructor(
    limits: RateLimits = PRA_RATE_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    this.perSecond = new ArrivalWindow(limits.perSecond, 1000 + WINDOW_MARGIN_MS);
    this.perHour = new SlidingWindow(limits.perHour, 3_600_000 + WINDOW_MARGIN_MS);
  }

  /**
   * Resolves when one more request may be sent, and counts it as sent. Callers are served in
   * the order they asked (a promise chain), so nobody starves under load. Call the returned
   * function when the response head arrived (or the request failed).
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    const turn = this.queue.then(() => this.waitForSlot(signal));
    // The chain continues whether this caller was aborted or not.
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  /** After a 429, nobody on this account sends until the appliance's Retry-After has passed. */
  pauseFor(ms: number) {
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }

  /** Requests counted so far (for status and the benchmark's API-call budget). */
  get requestCount() {
    return this.sent;
  }

  private async waitForSlot(signal?: AbortSignal): Promise<() => void> {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.now();
      const wait = Math.max(this.pausedUntil - now, this.perSecond.waitMs(now), this.perHour.waitMs(now));
      if (wait <= 0) break;
      await sleep(wait, signal);
    }
    this.perHour.record(this.now());
    const span = this.perSecond.open();
    this.sent++;
    return () => {
      if (span.end === Infinity) span.end = this.now();
    };
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
