// "Requests are limited to 20 per second and 15,000 per hour, per API account, across all API
// endpoints" (BeyondTrust API documentation; reference/README.md). Over the limit the appliance
// answers HTTP 429. The simulator counts per client id with sliding windows on a real monotonic
// clock (rate limits are about how fast requests actually arrive, not about the simulated server
// date), counts only the requests it let through, and tells the client when a slot frees up in
// Retry-After (whole seconds, at least 1).
import { performance } from 'node:perf_hooks';

export interface RateLimitSettings {
  perSecond: number;
  perHour: number;
}

export const DOCUMENTED_RATE_LIMITS: RateLimitSettings = { perSecond: 20, perHour: 15_000 };

export type RateDecision = { allowed: true } | { allowed: false; retryAfterSeconds: number; window: 'second' | 'hour' };

export class RateLimiter {
  private readonly accepted = new Map<string, number[]>();

  constructor(
    private settings: RateLimitSettings,
    private readonly clockMs: () => number = () => performance.now(),
  ) {}

  setLimits(settings: Partial<RateLimitSettings>): void {
    this.settings = { ...this.settings, ...settings };
  }

  check(clientId: string): RateDecision {
    const now = this.clockMs();
    let times = this.accepted.get(clientId);
    if (!times) this.accepted.set(clientId, (times = []));
    // Drop what left the hour window (times are in arrival order).
    let drop = 0;
    while (drop < times.length && times[drop]! <= now - 3_600_000) drop++;
    if (drop > 0) times.splice(0, drop);

    const secondWindow = countSince(times, now - 1000);
    if (secondWindow.count >= this.settings.perSecond) {
      const oldest = times[secondWindow.firstIndex + secondWindow.count - this.settings.perSecond]!;
      return { allowed: false, window: 'second', retryAfterSeconds: Math.max(1, Math.ceil((oldest + 1000 - now) / 1000)) };
    }
    if (times.length >= this.settings.perHour) {
      const oldest = times[times.length - this.settings.perHour]!;
      return { allowed: false, window: 'hour', retryAfterSeconds: Math.max(1, Math.ceil((oldest + 3_600_000 - now) / 1000)) };
    }
    times.push(now);
    return { allowed: true };
  }

  reset(clientId?: string): void {
    if (clientId === undefined) this.accepted.clear();
    else this.accepted.delete(clientId);
  }
}

function countSince(times: number[], since: number): { count: number; firstIndex: number } {
  let i = times.length;
  while (i > 0 && times[i - 1]! > since) i--;
  return { count: times.length - i, firstIndex: i };
}

/** Largest number of arrivals inside any `windowMs` window (arrival times in ms, ascending). */
export function maxInWindow(arrivalsMs: number[], windowMs = 1000): number {
  let best = 0;
  let start = 0;
  for (let end = 0; end < arrivalsMs.length; end++) {
    while (arrivalsMs[end]! - arrivalsMs[start]! >= windowMs) start++;
    best = Math.max(best, end - start + 1);
  }
  return best;
}
