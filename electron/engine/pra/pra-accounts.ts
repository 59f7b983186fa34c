import { RateLimiter, type RateLimits } from './rate-limiter.ts';
import { TokenCache } from './token-cache.ts';

export interface PraAccount {
  limiter: RateLimiter;
  tokens: TokenCache;
  /** The site's own "no data" wordings, once learned (PraClient.learnNoDataText); null before. */
  noDataTexts: Set<string> | null;
  /** The site's clock (its latest `Date` header) and ours when we read it. */
  serverClock: { server: number; local: number } | null;
}

/**
 * One rate limiter and one token cache per PRA API account (host + client id), shared by every
 * client of the process: the appliance counts requests and tokens per account, not per caller.
 */
export class PraAccounts {
  private readonly accounts = new Map<string, PraAccount>();

  constructor(private readonly options: { limits?: RateLimits; now?: () => number } = {}) {}

  get(host: string, clientId: string) {
    const key = `${host.toLowerCase()}\n${clientId}`;
    let account = this.accounts.get(key);
    if (!account) {
      // noDataTexts: null until learned (PraClient.learnNoDataText), then the site's own wording(s).
      account = { limiter: new RateLimiter(this.options.limits, this.options.now), tokens: new TokenCache(this.options.now), noDataTexts: null, serverClock: null };
      this.accounts.set(key, account);
    }
    return account;
  }

  hasClock(host: string, clientId: string): boolean {
    return Boolean(this.accounts.get(`${host.toLowerCase()}\n${clientId}`)?.serverClock);
  }

  /** The site's time now (Unix seconds), from its last `Date` header; the local clock before any. */
  siteNow(host: string, clientId: string): number {
    const clock = this.accounts.get(`${host.toLowerCase()}\n${clientId}`)?.serverClock;
    const now = Date.now();
    return Math.floor((clock ? now + (clock.server - clock.local) : now) / 1000);
  }

  /** Total requests sent to every account (the benchmark's API-call count). */
  get requestCount() {
    let total = 0;
    for (const { limiter } of this.accounts.values()) total += limiter.requestCount;
    return total;
  }
}
