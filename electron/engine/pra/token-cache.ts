import { createHash } from 'node:crypto';

/**
 * The OAuth token of one API account, kept in memory only (a token is a secret too).
 *
 * An API account holds at most 30 valid tokens and the 31st evicts the oldest, so a token is
 * fetched once and reused until shortly before it expires; concurrent callers share the one
 * refresh in flight. The cache remembers a fingerprint of the secret it was fetched with: when the
 * admin enters a new secret, the old token is dropped instead of being reused.
 */
export interface AccessToken {
  value: string;
  /** Epoch milliseconds. */
  expiresAt: number;
}

/** Refresh this long before expiry, so a token never expires between check and use. */
const REFRESH_MARGIN_MS = 60_000;

export class TokenCache {
  private token: AccessToken | null = null;
  private inFlight: Promise<AccessToken> | null = null;
  private secretFingerprint: string | null = null;

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * A valid token: the cached one, the refresh already in flight, or a new one from `fetchToken`.
   * `secret` is only hashed, to notice a changed secret; it is not kept.
   */
  async get(secret: string, fetchToken: () => Promise<AccessToken>): Promise<AccessToken> {
    const fingerprint = createHash('sha256').update(secret).digest('hex');
    if (fingerprint !== this.secretFingerprint) {
      this.token = null;
      this.inFlight = null;
      this.secretFingerprint = fingerprint;
    }
    if (this.token && this.token.expiresAt - REFRESH_MARGIN_MS > this.now()) return this.token;
    if (!this.inFlight) {
      const refresh = fetchToken().then(
        (token) => {
          if (this.inFlight === refresh) {
            this.token = token;
            this.inFlight = null;
          }
          return token;
        },
        (error: unknown) => {
          if (this.inFlight === refresh) this.inFlight = null;
          throw error;
        },
      );
      this.inFlight = refresh;
    }
    return this.inFlight;
  }

  /**
   * The API refused `rejected` (401): forget it, unless another caller already replaced it, so a
   * burst of 401s causes one re-authentication, not one per request.
   */
  invalidate(rejected?: AccessToken) {
    if (!rejected || this.token?.value === rejected.value) this.token = null;
  }
}
