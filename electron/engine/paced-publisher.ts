/**
 * Publishes a figure that costs a query (outbox counts, a site's status) after changes, without
 * letting the query take over the thread as the store grows: counting 1.3 M outbox rows takes ~80 ms,
 * and changes come many times a second while extraction or shipping runs.
 *
 * - At most one publish per `minMs`, and publishes spaced so that they take at most `share` of the
 *   time: the spacing after a publish is the larger of `minMs` and its own cost divided by `share`.
 * - Trailing: a change always leads to a publish after it, so the last figures arrive.
 * - The first change after a quiet spell is published at once (on the next turn of the event loop).
 */
export interface PacerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const realClock: PacerClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface PacerOptions {
  /** Shortest spacing between two publishes (ms). */
  minMs?: number;
  /** Largest share of the time publishing may take. */
  share?: number;
  clock?: PacerClock;
}

export class PacedPublisher {
  private readonly minMs: number;
  private readonly share: number;
  private readonly clock: PacerClock;
  /** When the last publish ended, and what it cost (ms). */
  private lastEnd = Number.NEGATIVE_INFINITY;
  private lastCost = 0;
  private timer: unknown = null;

  constructor(
    private readonly publish: () => void,
    options: PacerOptions = {},
  ) {
    this.minMs = options.minMs ?? 250;
    this.share = options.share ?? 0.05;
    this.clock = options.clock ?? realClock;
  }

  /** Something changed: publish now, or once the spacing since the last publish has passed. */
  notify(): void {
    if (this.timer !== null) return;
    const spacing = Math.max(this.minMs, this.lastCost / this.share);
    const wait = Math.max(0, this.lastEnd + spacing - this.clock.now());
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      const started = this.clock.now();
      try {
        this.publish();
      } finally {
        this.lastEnd = this.clock.now();
        this.lastCost = this.lastEnd - started;
      }
    }, wait);
  }

  /** Drops a publish still waiting (on close). */
  cancel(): void {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}
