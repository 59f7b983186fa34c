/**
 * The archive's share of each API account's hourly budget. BeyondTrust allows 15,000 requests an
 * hour per account, shared by everything; a backfill of thousands of recordings (one request each)
 * could spend it all and leave the session pulls — the Elastic path — waiting for an hour. So the
 * archive may use at most `share` of it (default half) in any sliding hour; past that, downloads of
 * that account wait for a later pass while extraction keeps its part.
 *
 * Per second, downloads go through the account's own limiter like every request: it serves callers
 * in the order they asked, and the archive downloads one file at a time, so a session pull waits for
 * at most one download's request to be sent, never for the file to arrive.
 */
import { PRA_RATE_LIMITS } from '../pra/rate-limiter.ts';

export const DEFAULT_ARCHIVE_SHARE = 0.5;
const HOUR_MS = 3_600_000;

export class ArchiveBudget {
  private readonly sent = new Map<string, number[]>();
  readonly perHour: number;

  constructor(
    options: { perHour?: number; share?: number } = {},
    private readonly now: () => number = Date.now,
  ) {
    this.perHour = Math.max(1, Math.floor((options.perHour ?? PRA_RATE_LIMITS.perHour) * (options.share ?? DEFAULT_ARCHIVE_SHARE)));
  }

  private times(account: string): number[] {
    let times = this.sent.get(account);
    if (!times) this.sent.set(account, (times = []));
    const cutoff = this.now() - HOUR_MS;
    let drop = 0;
    while (drop < times.length && times[drop]! <= cutoff) drop++;
    if (drop) times.splice(0, drop);
    return times;
  }

  /** Counts one request of the archive if the account's share allows it now; false otherwise. */
  take(account: string): boolean {
    const times = this.times(account);
    if (times.length >= this.perHour) return false;
    times.push(this.now());
    return true;
  }

  /** Milliseconds until the account's share allows one more request. */
  waitMs(account: string): number {
    const times = this.times(account);
    return times.length < this.perHour ? 0 : times[0]! + HOUR_MS - this.now();
  }
}

export function accountKey(host: string, clientId: string): string {
  return `${host.toLowerCase()}\n${clientId}`;
}
