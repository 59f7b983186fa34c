/**
 * The product's SecretStore: the OS keychain through keytar (macOS Keychain, Windows Credential
 * Manager, the Secret Service — gnome-keyring, KWallet — on Linux), every secret under the service
 * SECRET_SERVICE. keytar is loaded on first use, so that merely importing this module never fails
 * on a machine without a keychain; every failure becomes a KeychainError saying what to do.
 */
import { SECRET_SERVICE, type SecretStore } from './secret-store.ts';
import { redactSecrets } from '../log/redact.ts';

type Keytar = typeof import('keytar');

/** The keychain could not be used. The message never contains a secret. */
export class KeychainError extends Error {
  override name = 'KeychainError';
}

/** What must be true for the keychain to work, per platform. */
export function keychainHint(platform: NodeJS.Platform = process.platform): string {
  switch (platform) {
    case 'darwin':
      return 'on macOS: the login keychain must be unlocked and this app allowed to use it';
    case 'win32':
      return 'on Windows: the Credential Manager of the signed-in user is used';
    default:
      return 'on Linux: a Secret Service such as gnome-keyring must be running and unlocked';
  }
}

let loaded: Promise<Keytar> | undefined;
/**
 * Every keychain call of this process, one after the other. keytar runs each on a thread of its
 * own, and on Linux listing (findCredentials) while a secret of the service is deleted makes
 * libsecret hand keytar a missing value, which aborts the process; in order, this process can
 * never race itself.
 */
let queue: Promise<unknown> = Promise.resolve();

/**
 * Opens the way to the keychain ahead of the first read: loads keytar and asks it for an account
 * no secret is ever stored under (account names all begin with an install id and a slash, see
 * secretAccounts). The first keychain call of a process pays for keytar's loading and, on Linux, a
 * D-Bus connection and a Secret Service session: 40-80 ms measured, which `pra-ic run` used to
 * wait for before its first request to a site; warmed while the engine loads, the first real read
 * takes a few ms. Reads nothing; a failure is ignored here (the real read reports it).
 */
export function warmUpKeychain(service: string = SECRET_SERVICE): Promise<void> {
  return new KeytarSecretStore(service).get(WARM_UP_ACCOUNT).then(
    () => undefined,
    () => undefined,
  );
}

const WARM_UP_ACCOUNT = 'warm-up';

function loadKeytar(): Promise<Keytar> {
  loaded ??= import('keytar').then((mod) => ((mod as { default?: Keytar }).default ?? mod) as Keytar);
  return loaded;
}

export class KeytarSecretStore implements SecretStore {
  constructor(
    /** The keychain service name; the product always uses SECRET_SERVICE. */
    readonly service: string = SECRET_SERVICE,
  ) {}

  async get(account: string): Promise<string | null> {
    return this.call('read a secret from', (k) => k.getPassword(this.service, account));
  }

  async set(account: string, secret: string): Promise<void> {
    if (typeof secret !== 'string' || secret === '') throw new KeychainError('An empty secret cannot be stored in the OS keychain.');
    await this.call('store a secret in', (k) => k.setPassword(this.service, account, secret), secret);
  }

  async delete(account: string): Promise<boolean> {
    return this.call('delete a secret from', (k) => k.deletePassword(this.service, account));
  }

  /**
   * Account names only: the passwords keytar returns with them are dropped at once. On Linux a
   * deletion by another process during the listing kills this one (libsecret hands keytar a
   * missing value, which it copies: SIGSEGV), and no queue here can prevent that. So the product
   * lists only in `--forget-secrets`, which the uninstaller runs with the app closed; everywhere
   * else secrets are named (secretAccounts) and deleted by name.
   */
  async accounts(prefix: string): Promise<string[]> {
    const credentials = await this.call('list the secrets in', (k) => k.findCredentials(this.service));
    return credentials.map((c) => c.account).filter((account) => account.startsWith(prefix));
  }

  private async call<T>(what: string, action: (keytar: Keytar) => Promise<T>, secret?: string): Promise<T> {
    let keytar: Keytar;
    try {
      keytar = await loadKeytar();
    } catch (error) {
      loaded = undefined;
      throw new KeychainError(
        `The OS keychain is not available (${keychainHint()}): keytar could not be loaded: ${(error as Error).message}`,
        { cause: error },
      );
    }
    const call = queue.then(() => action(keytar));
    queue = call.catch(() => {});
    try {
      return await call;
    } catch (error) {
      const raw = error instanceof Error ? error.message : String(error);
      const text = secret ? redactSecrets(raw, [secret], '[secret]') : raw;
      throw new KeychainError(
        `The OS keychain is not available (${keychainHint()}); could not ${what} it: ${text}`,
        text === raw ? { cause: error } : undefined,
      );
    }
  }
}
