/**
 * The request budget of one PRA API account (host + client id): BeyondTrust allows 20 requests
 * per second and 15,000 per hour, across every endpoint, per account. Everything that talks to an
 * account — background extraction of several sites, a Test click, the CLI — shares one limiter, so
 * the budget holds however many callers there are.
 *
 * Sliding windows (a log of the last N send times) rather than token buckets: a sliding window of
 * one second never lets N+1 requests into *any* one-second interval, which is what the appliance
 * counts, whatever its window alignment. A small margin absorbs network jitter between our send
 * time and the appliance's arrival time.
 */
export interface RateLimits {
  perSecond: number;
  perHour: number;
}

export const PRA_RATE_LIMITS: RateLimits = { perSecond: 20, perHour: 15_000 };

/** Extra spacing added to each window so requests bunched by the network still arrive within budget. */
const WINDOW_MARGIN_MS = 50;

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
  private readonly windows: SlidingWindow[];
  private queue: Promise<void> = Promise.resolve();
  private pausedUntil = 0;
  private sent = 0;

  constructor(
    limits: RateLimits = PRA_RATE_LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    this.windows = [
      new SlidingWindow(limits.perSecond, 1000 + WINDOW_MARGIN_MS),
      new SlidingWindow(limits.perHour, 3_600_000 + WINDOW_MARGIN_MS),
    ];
  }

  /**
   * Resolves when one more request may be sent, and counts it as sent. Callers are served in
   * the order they asked (a promise chain), so nobody starves under load.
   */
  acquire(signal?: AbortSignal): Promise<void> {
    const turn = this.queue.then(() => this.waitForSlot(signal));
    // The chain continues whether this caller was aborted or not.
    this.queue = turn.catch(() => undefined);
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

  private async waitForSlot(signal?: AbortSignal) {
    for (;;) {
      signal?.throwIfAborted();
      const now = this.now();
      const wait = Math.max(this.pausedUntil - now, ...this.windows.map((w) => w.waitMs(now)));
      if (wait <= 0) break;
      await sleep(wait, signal);
    }
    const now = this.now();
    for (const w of this.windows) w.record(now);
    this.sent++;
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
