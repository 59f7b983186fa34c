// API accounts and their OAuth tokens, per "Authenticate to the Privileged Remote Access API":
// - a token "expires after one hour";
// - "each API account can have a maximum of 30 valid tokens. If an API account attempts to generate
//   more than 30 tokens, then the oldest token is invalidated before a new one is generated";
// - "regenerating a client secret and then saving the account immediately invalidates any OAuth
//   tokens associated with the account" (the simulator does the same when an account is disabled).
// Expiry is judged on the server's clock, so moving the simulated clock forward expires tokens too.
import { randomBytes } from 'node:crypto';
import type { ApiAccountInput } from './types.ts';

export type TokenRejection = 'unknown' | 'expired' | 'evicted' | 'revoked';

interface TokenRecord {
  token: string;
  clientId: string;
  expiresAtMs: number;
  revoked?: 'evicted' | 'revoked';
}

interface Account {
  clientId: string;
  secret: string;
  reporting: boolean;
  backup: boolean;
  disabled: boolean;
  /** This account's tokens, oldest first (pruned of dead ones when a token is issued). */
  tokens: TokenRecord[];
  issued: number;
}

export interface AccountSettings {
  maxTokens: number;
  lifetimeSeconds: number;
  /** Server clock in ms. */
  clockMs: () => number;
}

export class ApiAccounts {
  private readonly accounts = new Map<string, Account>();
  private readonly tokens = new Map<string, TokenRecord>();

  constructor(private readonly settings: AccountSettings) {}

  add(input: ApiAccountInput): void {
    this.accounts.set(input.clientId, {
      clientId: input.clientId,
      secret: input.clientSecret,
      reporting: input.permissions?.reporting ?? true,
      backup: input.permissions?.backup ?? true,
      disabled: input.disabled ?? false,
      tokens: [],
      issued: 0,
    });
  }

  has(clientId: string): boolean {
    return this.accounts.has(clientId);
  }

  /** True when the id/secret pair may obtain a token. */
  authenticate(clientId: string, secret: string): boolean {
    const account = this.accounts.get(clientId);
    return account !== undefined && !account.disabled && account.secret === secret;
  }

  issue(clientId: string): { token: string; expiresIn: number } {
    const account = this.require(clientId);
    const now = this.settings.clockMs();
    account.tokens = account.tokens.filter((t) => this.isValid(t, now));
    while (account.tokens.length >= this.settings.maxTokens) {
      const oldest = account.tokens.shift()!;
      oldest.revoked = 'evicted';
    }
    const record: TokenRecord = {
      token: randomBytes(32).toString('hex'),
      clientId,
      expiresAtMs: now + this.settings.lifetimeSeconds * 1000,
    };
    account.tokens.push(record);
    account.issued += 1;
    this.tokens.set(record.token, record);
    return { token: record.token, expiresIn: this.settings.lifetimeSeconds };
  }

  /** The account a token was issued to, valid or not (for rate limiting and the request log). */
  ownerOf(token: string): string | undefined {
    return this.tokens.get(token)?.clientId;
  }

  validate(token: string): { ok: true; clientId: string; reporting: boolean; backup: boolean } | { ok: false; reason: TokenRejection } {
    const record = this.tokens.get(token);
    if (!record) return { ok: false, reason: 'unknown' };
    if (record.revoked) return { ok: false, reason: record.revoked };
    if (record.expiresAtMs <= this.settings.clockMs()) return { ok: false, reason: 'expired' };
    const account = this.require(record.clientId);
    return { ok: true, clientId: account.clientId, reporting: account.reporting, backup: account.backup };
  }

  rotateSecret(clientId: string, newSecret: string): void {
    const account = this.require(clientId);
    account.secret = newSecret;
    this.revokeAll(account);
  }

  setDisabled(clientId: string, disabled: boolean): void {
    const account = this.require(clientId);
    account.disabled = disabled;
    if (disabled) this.revokeAll(account);
  }

  setPermissions(clientId: string, permissions: { reporting?: boolean; backup?: boolean }): void {
    const account = this.require(clientId);
    if (permissions.reporting !== undefined) account.reporting = permissions.reporting;
    if (permissions.backup !== undefined) account.backup = permissions.backup;
  }

  /** Makes every current token of the account expired now (as if an hour had passed). */
  expireTokens(clientId: string): void {
    const now = this.settings.clockMs();
    for (const t of this.require(clientId).tokens) t.expiresAtMs = Math.min(t.expiresAtMs, now);
  }

  tokensIssued(clientId: string): number {
    return this.accounts.get(clientId)?.issued ?? 0;
  }

  validTokenCount(clientId: string): number {
    const now = this.settings.clockMs();
    return this.accounts.get(clientId)?.tokens.filter((t) => this.isValid(t, now)).length ?? 0;
  }

  private isValid(t: TokenRecord, nowMs: number): boolean {
    return !t.revoked && t.expiresAtMs > nowMs;
  }

  private revokeAll(account: Account): void {
    for (const t of account.tokens) t.revoked ??= 'revoked';
    account.tokens = [];
  }

  private require(clientId: string): Account {
    const account = this.accounts.get(clientId);
    if (!account) throw new Error(`PRA simulator: no API account ${clientId}`);
    return account;
  }
}
