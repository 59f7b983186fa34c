/** How long a secret read from the keychain is used before it is read again. */
export const SECRET_REREAD_MS = 60_000;

/**
 * A secret as last read from the keychain, read again once it is `rereadMs` old or when the read
 * failed.
 *
 * A PRA client asks for its token before every request, and the token cache is keyed by the client
 * secret. Reading the secret for each was a D-Bus round trip to the keyring daemon: 1–4 ms when the
 * machine was idle, 21–46 ms while extraction kept both cores busy (`npm run bench`), on the path of
 * every report request. Reading it again after a while keeps a secret edited during a long backfill
 * from being ignored (the token cache notices the change); a failed read is not kept, so the next
 * request tries again.
 */
export class RecentSecret {
  private last: { value: Promise<string>; at: number } | null = null;

  constructor(
    private readonly read: () => Promise<string>,
    private readonly rereadMs = SECRET_REREAD_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** The secret; its failure is the caller's (a read that fails before anyone asks is not an unhandled rejection). */
  get(): Promise<string> {
    const now = this.now();
    if (this.last && now - this.last.at < this.rereadMs) return this.last.value;
    let value: Promise<string>;
    try {
      value = this.read();
    } catch (error) {
      value = Promise.reject(error);
    }
    const last = { value, at: now };
    this.last = last;
    value.catch(() => {
      if (this.last === last) this.last = null;
    });
    return value;
  }
}
