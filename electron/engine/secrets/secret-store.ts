/**
 * Where secrets live: the OS keychain in the product (see keytar-secret-store.ts), an in-memory
 * twin in pure unit tests. Secrets are never written to SQLite, logs, errors or process arguments.
 */
export interface SecretStore {
  get(account: string): Promise<string | null>;
  set(account: string, secret: string): Promise<void>;
  /** Returns whether something was deleted. */
  delete(account: string): Promise<boolean>;
  /** Accounts (not secrets) stored under a prefix; used to remove everything a site owned. */
  accounts(prefix: string): Promise<string[]>;
}

/** The keychain service name every secret of this product is stored under. */
export const SECRET_SERVICE = 'PRA Integration Client';

/**
 * Account names are namespaced by the data directory's install id, then by owner, so that two data
 * directories on one machine never share (or delete) each other's secrets.
 */
const siteClientSecret = (installId: string, siteId: number) => `${installId}/site/${siteId}/client_secret`;
const siteBackupPassword = (installId: string, siteId: number) => `${installId}/site/${siteId}/backup_password`;

export const secretAccounts = {
  siteClientSecret,
  siteBackupPassword,
  sitePrefix: (installId: string, siteId: number) => `${installId}/site/${siteId}/`,
  /** Every account a site can own: what removing the site deletes, by name (see SiteService.removeSite). */
  siteOwned: (installId: string, siteId: number) => [siteClientSecret(installId, siteId), siteBackupPassword(installId, siteId)],
  elasticApiKey: (installId: string) => `${installId}/elastic/api_key`,
  elasticPassword: (installId: string) => `${installId}/elastic/password`,
};

/** The in-memory twin, for pure unit tests only. */
export class MemorySecretStore implements SecretStore {
  private readonly secrets = new Map<string, string>();
  async get(account: string) {
    return this.secrets.get(account) ?? null;
  }
  async set(account: string, secret: string) {
    this.secrets.set(account, secret);
  }
  async delete(account: string) {
    return this.secrets.delete(account);
  }
  async accounts(prefix: string) {
    return [...this.secrets.keys()].filter((a) => a.startsWith(prefix));
  }
}
