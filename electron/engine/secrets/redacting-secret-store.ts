import type { Logger } from '../log/logger.ts';
import type { SecretStore } from './secret-store.ts';

/** A secret store that registers every secret it hands out with the logger's redaction list. */
export class RedactingSecretStore implements SecretStore {
  constructor(
    private readonly inner: SecretStore,
    private readonly logger: Logger,
  ) {}
  async get(account: string) {
    const secret = await this.inner.get(account);
    this.logger.redact(secret);
    return secret;
  }
  async set(account: string, secret: string) {
    this.logger.redact(secret);
    await this.inner.set(account, secret);
  }
  delete(account: string) {
    return this.inner.delete(account);
  }
  accounts(prefix: string) {
    return this.inner.accounts(prefix);
  }
}
