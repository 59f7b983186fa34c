import type Database from 'better-sqlite3';
import type { DestinationSettings, DestinationView, ElasticAuth } from '../../../shared/destination.ts';
import { parseCloudId } from '../../../shared/cloud-id.ts';
import { secretProblem, stripLineBreaks } from '../../../shared/secret-input.ts';
import { secretAccounts, type SecretStore } from '../secrets/secret-store.ts';
import { dataStreamName, namespaceError } from './document.ts';
import { readSetting, writeSetting } from '../store/settings-table.ts';

/** Settings of the Elasticsearch destination: the row in `settings`, secrets in the keychain. */
export const DEFAULT_DESTINATION: DestinationSettings = {
  url: null,
  cloudId: null,
  auth: 'api-key',
  username: null,
  caFile: null,
  caFingerprint: null,
  namespace: 'default',
  kibanaUrl: null,
};

export class DestinationError extends Error {
  override name = 'DestinationError';
  constructor(
    message: string,
    readonly issues: { field: string | null; message: string }[] = [{ field: null, message }],
  ) {
    super(message);
  }
}

const SETTINGS_KEY = 'destination.elastic';

/** Checks and normalises settings; every problem is reported against its field. */
export function validateDestination(input: Partial<DestinationSettings>): DestinationSettings {
  const s: DestinationSettings = { ...DEFAULT_DESTINATION, ...stripUndefined(input) };
  const issues: { field: string; message: string }[] = [];
  const blank = (v: string | null) => v === null || v.trim() === '';
  s.url = blank(s.url) ? null : s.url!.trim().replace(/\/+$/, '');
  s.cloudId = blank(s.cloudId) ? null : s.cloudId!.trim();
  s.kibanaUrl = blank(s.kibanaUrl) ? null : s.kibanaUrl!.trim().replace(/\/+$/, '');
  s.caFile = blank(s.caFile) ? null : s.caFile!.trim();
  s.caFingerprint = blank(s.caFingerprint) ? null : s.caFingerprint!.trim().toUpperCase();
  s.username = blank(s.username) ? null : s.username!.trim();
  s.namespace = (s.namespace ?? '').trim();

  if (s.url && s.cloudId) issues.push({ field: 'url', message: 'Give either the Elasticsearch URL or the Cloud ID, not both.' });
  if (!s.url && !s.cloudId) issues.push({ field: 'url', message: 'Enter the Elasticsearch URL (e.g. https://elastic.example.com:9200) or the Cloud ID of an Elastic Cloud deployment.' });
  for (const [field, value, what] of [['url', s.url, 'Elasticsearch URL'], ['kibanaUrl', s.kibanaUrl, 'Kibana URL']] as const) {
    if (!value) continue;
    let url: URL | null = null;
    try {
      url = new URL(value);
    } catch {
      issues.push({ field, message: `${what} is not a URL: use e.g. https://elastic.example.com:9200.` });
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') issues.push({ field, message: `${what} must start with https:// (or http:// for a cluster without TLS).` });
    if (url.username || url.password) issues.push({ field, message: `${what} must not contain a user name or password: use the authentication fields.` });
  }
  if (s.cloudId) {
    // Decoded and checked as the client will use it (shared/cloud-id.ts), not just its alphabet.
    const parsed = parseCloudId(s.cloudId);
    if (!parsed.ok) issues.push({ field: 'cloudId', message: `${parsed.error} Copy it again from the Elastic Cloud console.` });
  }
  if (s.auth === 'basic' && !s.username) issues.push({ field: 'username', message: 'Enter the user name for username/password sign-in.' });
  if (s.caFingerprint && !/^([0-9A-F]{2}:?){31}[0-9A-F]{2}$/.test(s.caFingerprint)) {
    issues.push({ field: 'caFingerprint', message: 'The CA fingerprint must be a SHA-256 fingerprint: 64 hex digits, with or without colons (Elasticsearch prints it at setup).' });
  }
  if (s.caFingerprint && s.url?.startsWith('http:')) issues.push({ field: 'caFingerprint', message: 'A CA fingerprint only applies to an https:// URL.' });
  const ns = namespaceError(s.namespace);
  if (ns) issues.push({ field: 'namespace', message: ns });
  if (issues.length) throw new DestinationError(issues.map((i) => i.message).join('\n'), issues);
  return s;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** An API key as Elasticsearch wants it: the encoded form, or `id:key` encoded here. */
export function normalizeApiKey(apiKey: string): string {
  const key = apiKey.trim();
  if (/^[^:\s]+:[^:\s]+$/.test(key)) return Buffer.from(key).toString('base64');
  return key;
}

export class DestinationStore {
  constructor(
    private readonly db: Database.Database,
    private readonly secrets: SecretStore,
    private readonly installId: string,
  ) {}

  get(): DestinationSettings | null {
    const value = readSetting(this.db, SETTINGS_KEY);
    return value !== null ? { ...DEFAULT_DESTINATION, ...(JSON.parse(value) as Partial<DestinationSettings>) } : null;
  }

  async view(): Promise<DestinationView> {
    const settings = this.get();
    const s = settings ?? DEFAULT_DESTINATION;
    return {
      ...s,
      configured: settings !== null,
      apiKeyStored: (await this.secrets.get(secretAccounts.elasticApiKey(this.installId))) !== null,
      passwordStored: (await this.secrets.get(secretAccounts.elasticPassword(this.installId))) !== null,
      dataStream: namespaceError(s.namespace) ? '' : dataStreamName(s.namespace),
    };
  }

  /**
   * Saves settings; `apiKey` / `password`: a string replaces the stored one, `null` clears it,
   * `undefined` keeps it. A new sign-in method clears the other method's secret.
   */
  async set(input: Partial<DestinationSettings>, apiKey?: string | null, password?: string | null): Promise<DestinationSettings> {
    const settings = validateDestination({ ...(this.get() ?? {}), ...input });
    // A given secret must be a usable one: an empty one would leave "API key (MISSING)" behind a "Destination set".
    for (const [field, value, label] of [['apiKey', apiKey, 'The API key'], ['password', password, 'The password']] as const) {
      if (typeof value !== 'string') continue;
      const problem = secretProblem(value, label, { required: true });
      if (problem) throw new DestinationError(problem, [{ field, message: problem }]);
    }
    const apiKeyAccount = secretAccounts.elasticApiKey(this.installId);
    const passwordAccount = secretAccounts.elasticPassword(this.installId);
    if (settings.auth === 'api-key' && apiKey === undefined && (await this.secrets.get(apiKeyAccount)) === null) {
      throw new DestinationError('Enter the API key (encoded, or as id:key).', [{ field: 'apiKey', message: 'Enter the API key (encoded, or as id:key).' }]);
    }
    if (settings.auth === 'basic' && password === undefined && (await this.secrets.get(passwordAccount)) === null) {
      throw new DestinationError('Enter the password.', [{ field: 'password', message: 'Enter the password.' }]);
    }
    if (typeof apiKey === 'string' && apiKey.trim() !== '') await this.secrets.set(apiKeyAccount, normalizeApiKey(apiKey));
    else if (apiKey === null || settings.auth !== 'api-key') await this.secrets.delete(apiKeyAccount);
    if (typeof password === 'string' && password !== '') await this.secrets.set(passwordAccount, stripLineBreaks(password));
    else if (password === null || settings.auth !== 'basic') await this.secrets.delete(passwordAccount);
    writeSetting(this.db, SETTINGS_KEY, JSON.stringify(settings));
    return settings;
  }

  /**
   * The stored API key and password; with `auth`, only the one that sign-in uses (the other is
   * null): one keychain read where the shipper's client made two, one after the other, before the
   * first bulk of a run (each a D-Bus round trip on Linux, 10-60 ms measured while extraction kept
   * both cores busy).
   */
  async credentials(auth?: ElasticAuth): Promise<{ apiKey: string | null; password: string | null }> {
    return {
      apiKey: auth === undefined || auth === 'api-key' ? await this.secrets.get(secretAccounts.elasticApiKey(this.installId)) : null,
      password: auth === undefined || auth === 'basic' ? await this.secrets.get(secretAccounts.elasticPassword(this.installId)) : null,
    };
  }
}
