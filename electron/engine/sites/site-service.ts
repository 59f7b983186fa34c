/**
 * Site operations as the CLI and the UI call them: validated through the shared schema, rows in
 * settings.db, client secrets in the SecretStore (OS keychain). Operations are ordered so that a
 * failure never leaves a secret without its site or a new site without its secret, and no secret
 * ever appears in an error message or a log.
 */
import type Database from 'better-sqlite3';
import type { Site } from '../../../shared/models.ts';
import type { SiteInputRaw, SiteIssue, SitePatchRaw, SiteSchemaOptions } from '../../../shared/site-schema.ts';
import { secretAccounts, type SecretStore } from '../secrets/secret-store.ts';
import { secretProblem } from '../../../shared/secret-input.ts';
import { describeUndelivered, type UndeliveredPart, type UndeliveredWork } from '../../../shared/undelivered.ts';
import { DuplicateSiteNameError, SiteError, SiteNotFoundError, SiteRepository } from './site-repository.ts';
import { undeliveredWork } from './undelivered.ts';
import { redactSecrets } from '../log/redact.ts';

/** The input (or the secret) is not acceptable; `issues` lists the problems by field. */
export class SiteValidationError extends SiteError {
  override name = 'SiteValidationError';
  constructor(
    message: string,
    readonly issues: SiteIssue[] = [{ field: null, message }],
  ) {
    super(message);
  }
}

/** Removing the site would discard what it has not delivered yet; `work` says how much. */
export class SiteHasUndeliveredError extends SiteError {
  override name = 'SiteHasUndeliveredError';
  constructor(
    readonly siteName: string,
    readonly work: UndeliveredWork,
  ) {
    super(`“${siteName}” still has ${describeUndelivered(work)}. Removing it now would discard them: deliver them first, or remove the site anyway, discarding them.`);
  }
}

/** The keychain failed; the message says what was (not) done, never the secret. */
export class SiteSecretError extends SiteError {
  override name = 'SiteSecretError';
}

export interface SiteServiceOptions extends SiteSchemaOptions {
  /** The clock for created_at / updated_at (tests pin it). */
  now?: () => Date;
  /** Undelivered work other modules keep per site (the archive's), counted before a removal. */
  undeliveredSources?: ((siteId: number) => UndeliveredPart[])[];
}

/** A site's id (number, or a string of digits) or its name (case-insensitive). */
export type SiteRef = number | string;

function redact(text: string, secrets: (string | null | undefined)[]): string {
  return redactSecrets(text, secrets, '[secret]');
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** A keychain failure as a SiteSecretError whose message (and cause) cannot carry the secret. */
function secretError(prefix: string, error: unknown, secrets: (string | null | undefined)[], outcome = ''): SiteSecretError {
  const text = errorText(error);
  const redacted = redact(text, secrets);
  const sentence = redacted.replace(/[.\s]*$/, '.');
  // The original error is kept as the cause only when its message does not contain the secret.
  return new SiteSecretError(`${prefix}: ${sentence}${outcome ? ` ${outcome}` : ''}`, redacted === text ? { cause: error } : undefined);
}

/** Surrounding whitespace (a pasted newline) is dropped; an empty secret is refused, and so is one that is not a usable secret (shared/secret-input.ts). */
function cleanSecret(secret: unknown, message: string): string {
  const value = typeof secret === 'string' ? secret.trim() : '';
  if (value === '') throw new SiteValidationError(message, [{ field: null, message }]);
  const problem = secretProblem(value, 'The client secret');
  if (problem) throw new SiteValidationError(problem, [{ field: null, message: problem }]);
  return value;
}

/**
 * A backup password as typed or piped: line breaks around it (a paste, a piped line) are dropped,
 * nothing else (a password may begin or end with a space). Empty means none.
 */
export function cleanBackupPassword(password: string | null | undefined): string | null {
  if (typeof password !== 'string') return null;
  const value = password.replace(/^[\r\n]+|[\r\n]+$/g, '');
  return value.trim() === '' ? null : value;
}

/** What an edit does to the backup password: `password` (non-empty) replaces it, `clear` removes it, neither keeps it. */
export interface BackupPasswordChange {
  password?: string | null;
  clear?: boolean;
}

export class SiteService {
  readonly repository: SiteRepository;
  private readonly db: Database.Database;
  private readonly installId: string;
  private readonly undeliveredSources: ((siteId: number) => UndeliveredPart[])[];
  private readonly schemaOptions: SiteSchemaOptions;
  private schemas: Promise<SiteSchemas> | null = null;

  constructor(
    database: { db: Database.Database; installId: string },
    private readonly secrets: SecretStore,
    options: SiteServiceOptions = {},
  ) {
    this.db = database.db;
    this.installId = database.installId;
    this.repository = new SiteRepository(database.db, options.now);
    this.undeliveredSources = options.undeliveredSources ?? [];
    this.schemaOptions = { minPollSeconds: options.minPollSeconds };
  }

  /**
   * The site schemas, loaded when a site is first added, edited or tested (SiteTests asks here):
   * their module brings zod, and every start of the engine (`pra-ic status`, `pra-ic run`) paid
   * ~35 ms loading it, built, for nothing but those operations.
   */
  siteSchemas(): Promise<SiteSchemas> {
    this.schemas ??= loadSiteSchemas(this.schemaOptions);
    return this.schemas;
  }

  listSites(): Site[] {
    return this.repository.list();
  }

  /** By id (a number or a string of digits) or by name (case-insensitive); null if there is none. */
  findSite(ref: SiteRef): Site | null {
    if (typeof ref === 'number') return Number.isSafeInteger(ref) ? this.repository.get(ref) : null;
    const text = ref.trim();
    // Names are never all digits (the schema refuses them), so a string of digits is an id.
    if (/^\d+$/.test(text)) return this.repository.get(Number(text)) ?? this.repository.findByName(text);
    return this.repository.findByName(text);
  }

  /** Like findSite, but throws SiteNotFoundError. */
  getSite(ref: SiteRef): Site {
    const site = this.findSite(ref);
    if (site === null) throw new SiteNotFoundError(typeof ref === 'string' && /^\s*\d+\s*$/.test(ref) ? Number(ref) : ref);
    return site;
  }

  /**
   * Adds a site and stores its client secret in the keychain. The row is written first; if the
   * keychain refuses the secret, the row is removed again and a SiteSecretError is thrown.
   */
  async addSite(input: SiteInputRaw, clientSecret: string, backupPassword?: string | null): Promise<Site> {
    const schemas = await this.siteSchemas();
    const parsed = schemas.input.safeParse(input);
    if (!parsed.success) throw schemas.invalid(parsed.error);
    const secret = cleanSecret(clientSecret, 'Client secret is required: paste the API account\'s Client secret.');
    const password = cleanBackupPassword(backupPassword);
    const fields = parsed.data;

    const existing = this.repository.findByName(fields.name);
    if (existing !== null) throw new DuplicateSiteNameError(existing.name);
    const site = this.db.transaction(() => this.repository.create(fields)).immediate();

    try {
      await this.secrets.set(secretAccounts.siteClientSecret(this.installId, site.id), secret);
    } catch (error) {
      try {
        this.db.transaction(() => this.repository.remove(site.id)).immediate();
      } catch {
        // The keychain error is the one to report; a row without a secret shows as "no secret stored".
      }
      throw secretError('Could not store the client secret in the OS keychain', error, [secret, clientSecret], `The site “${site.name}” was not added.`);
    }
    if (password !== null) {
      try {
        await this.secrets.set(secretAccounts.siteBackupPassword(this.installId, site.id), password);
      } catch (error) {
        try {
          await this.secrets.delete(secretAccounts.siteClientSecret(this.installId, site.id));
          this.db.transaction(() => this.repository.remove(site.id)).immediate();
        } catch {
          // The keychain error is the one to report.
        }
        throw secretError('Could not store the backup password in the OS keychain', error, [password, backupPassword, secret], `The site “${site.name}” was not added.`);
      }
    }
    return site;
  }

  /**
   * Changes a site's settings and, if `newSecret` is given, its client secret (omitted or null:
   * the stored one is kept). The secret is replaced first; if the row then cannot be updated, the
   * previous secret is put back.
   */
  async editSite(ref: SiteRef, patch: SitePatchRaw, newSecret?: string | null, backup: BackupPasswordChange = {}): Promise<Site> {
    const site = this.getSite(ref);
    const schemas = await this.siteSchemas();
    const parsed = schemas.patch.safeParse(patch);
    if (!parsed.success) throw schemas.invalid(parsed.error);
    const changes = parsed.data;
    const secret =
      newSecret === undefined || newSecret === null
        ? null
        : cleanSecret(newSecret, 'Client secret can\'t be empty: paste the new Client secret, or leave it out to keep the stored one.');

    if (changes.name !== undefined) {
      const other = this.repository.findByName(changes.name);
      if (other !== null && other.id !== site.id) throw new DuplicateSiteNameError(other.name);
    }

    const account = secretAccounts.siteClientSecret(this.installId, site.id);
    let previous: string | null = null;
    if (secret !== null) {
      try {
        previous = await this.secrets.get(account);
        await this.secrets.set(account, secret);
      } catch (error) {
        throw secretError('Could not store the client secret in the OS keychain', error, [secret, newSecret, previous], `The site “${site.name}” was not changed.`);
      }
    }
    const restoreSecret = async () => {
      if (secret === null) return;
      try {
        if (previous === null) await this.secrets.delete(account);
        else await this.secrets.set(account, previous);
      } catch {
        // Best effort: the error the caller throws is what the user must see.
      }
    };

    // The backup password: replaced (a non-empty one typed), removed (clear), else kept.
    const password = cleanBackupPassword(backup.password);
    const passwordAccount = secretAccounts.siteBackupPassword(this.installId, site.id);
    const passwordChanges = password !== null || backup.clear === true;
    let previousPassword: string | null = null;
    if (passwordChanges) {
      try {
        previousPassword = await this.secrets.get(passwordAccount);
        if (password !== null) await this.secrets.set(passwordAccount, password);
        else await this.secrets.delete(passwordAccount);
      } catch (error) {
        await restoreSecret();
        throw secretError(`Could not ${password !== null ? 'store' : 'remove'} the backup password in the OS keychain`, error, [password, backup.password, previousPassword, secret], `The site “${site.name}” was not changed.`);
      }
    }

    try {
      return this.db.transaction(() => this.repository.update(site.id, changes)).immediate();
    } catch (error) {
      await restoreSecret();
      if (passwordChanges) {
        try {
          if (previousPassword === null) await this.secrets.delete(passwordAccount);
          else await this.secrets.set(passwordAccount, previousPassword);
        } catch {
          // Best effort, as above.
        }
      }
      throw error;
    }
  }

  /**
   * The other sites that pull from the same appliance as `site` (same host and port). Each site
   * reads every session on its own, so two of them double the API calls counted against the
   * account's limits (Elasticsearch still gets each event once: the document ids are the same).
   */
  sameHostSites(site: Pick<Site, 'id' | 'host'>): Site[] {
    const host = site.host.toLowerCase();
    return this.listSites().filter((other) => other.id !== site.id && other.host.toLowerCase() === host);
  }

  /** What of the site has not been delivered yet (removing it would discard that). */
  undelivered(ref: SiteRef): UndeliveredWork {
    return undeliveredWork(this.db, this.getSite(ref).id, this.undeliveredSources);
  }

  /**
   * Removes a site: first every keychain secret it owns, then its row. If the keychain fails, the
   * site stays (so removing it again can finish the job). The accounts are deleted by name rather
   * than listed: listing reads every secret of the service, and on Linux libsecret aborts the
   * process when another program deletes one of them meanwhile (keytar's findCredentials).
   *
   * While anything of the site is undelivered, it is refused with SiteHasUndeliveredError unless
   * `discardPending`: checked before anything is touched, and again in the transaction that
   * deletes the row (a run may have stored more meanwhile).
   */
  async removeSite(ref: SiteRef, options: { discardPending?: boolean } = {}): Promise<Site> {
    const site = this.getSite(ref);
    const refuseUndelivered = () => {
      if (options.discardPending) return;
      const work = undeliveredWork(this.db, site.id, this.undeliveredSources);
      if (work.total > 0) throw new SiteHasUndeliveredError(site.name, work);
    };
    refuseUndelivered();
    try {
      for (const account of secretAccounts.siteOwned(this.installId, site.id)) await this.secrets.delete(account);
    } catch (error) {
      throw secretError('Could not remove the site\'s secrets from the OS keychain', error, [], `The site “${site.name}” was not removed; try again once the keychain is available.`);
    }
    this.db
      .transaction(() => {
        refuseUndelivered();
        this.repository.remove(site.id);
      })
      .immediate();
    return site;
  }

  /** The site's client secret, or null if none is stored. */
  async getClientSecret(site: Pick<Site, 'id'>): Promise<string | null> {
    try {
      return await this.secrets.get(secretAccounts.siteClientSecret(this.installId, site.id));
    } catch (error) {
      throw secretError('Could not read the client secret from the OS keychain', error, []);
    }
  }

  async hasClientSecret(site: Pick<Site, 'id'>): Promise<boolean> {
    return (await this.getClientSecret(site)) !== null;
  }

  /** The site's backup password, or null if none is stored (backups are then taken without one). */
  async getBackupPassword(site: Pick<Site, 'id'>): Promise<string | null> {
    try {
      return await this.secrets.get(secretAccounts.siteBackupPassword(this.installId, site.id));
    } catch (error) {
      throw secretError('Could not read the backup password from the OS keychain', error, []);
    }
  }

  async hasBackupPassword(site: Pick<Site, 'id'>): Promise<boolean> {
    return (await this.getBackupPassword(site)) !== null;
  }
}

type SchemaModule = typeof import('../../../shared/site-schema.ts');

/** A new site's and an edit's schemas, and the error that says what to fix in an input they refuse. */
export interface SiteSchemas {
  input: ReturnType<SchemaModule['siteInputSchema']>;
  patch: ReturnType<SchemaModule['sitePatchSchema']>;
  invalid(error: Parameters<SchemaModule['siteIssues']>[0]): SiteValidationError;
}

async function loadSiteSchemas(options: SiteSchemaOptions): Promise<SiteSchemas> {
  const schema = await import('../../../shared/site-schema.ts');
  return {
    input: schema.siteInputSchema(options),
    patch: schema.sitePatchSchema(options),
    invalid: (error) => new SiteValidationError(schema.formatSiteIssues(error), schema.siteIssues(error)),
  };
}
