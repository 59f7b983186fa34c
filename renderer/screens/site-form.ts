/**
 * The site dialog's values and their checks: the dialog holds text as typed, the shared schema
 * (the same one the engine applies) turns it into a site or says, by field, what to fix.
 */
import { DEFAULT_KEEP_BACKUPS, type BackupSchedule } from '../../shared/archive.ts';
import type { SiteView } from '../../shared/contract.ts';
import { formatDuration } from '../../shared/durations.ts';
import {
  DEFAULT_INITIAL_INTERVAL,
  DEFAULT_POLL_INTERVAL,
  DEFAULT_TIMEOUT,
  SITE_FIELD_LABELS,
  siteInputSchema,
  siteIssues,
  sitePatchSchema,
  type SiteField,
  type SiteInput,
  type SitePatch,
} from '../../shared/site-schema.ts';

export interface SiteFormValues {
  name: string;
  host: string;
  clientId: string;
  enabled: boolean;
  initialInterval: string;
  pollInterval: string;
  timeout: string;
  caFile: string;
  proxyUrl: string;
  /** Site backups into the archive folder. */
  backupSchedule: BackupSchedule;
  /** As typed; the schema reads a whole number. */
  keepBackups: string;
}

/** Every field the dialog can show a message by (the schema's fields plus the two secrets). */
export type SiteFormField = SiteField | 'clientSecret' | 'backupPassword';
export type SiteFormErrors = Partial<Record<SiteFormField, string>>;

/** Schema field → dialog value it comes from. */
export const FORM_KEY: Record<SiteField, keyof SiteFormValues> = {
  name: 'name',
  host: 'host',
  clientId: 'clientId',
  enabled: 'enabled',
  initialIntervalSeconds: 'initialInterval',
  pollIntervalSeconds: 'pollInterval',
  timeoutSeconds: 'timeout',
  caFile: 'caFile',
  proxyUrl: 'proxyUrl',
  backupSchedule: 'backupSchedule',
  keepBackups: 'keepBackups',
};

export const ADVANCED_FIELDS: SiteFormField[] = ['initialIntervalSeconds', 'pollIntervalSeconds', 'timeoutSeconds', 'caFile', 'proxyUrl'];

export function emptySiteForm(): SiteFormValues {
  return {
    name: '',
    host: '',
    clientId: '',
    enabled: true,
    initialInterval: formatDuration(DEFAULT_INITIAL_INTERVAL),
    pollInterval: formatDuration(DEFAULT_POLL_INTERVAL),
    timeout: formatDuration(DEFAULT_TIMEOUT),
    caFile: '',
    proxyUrl: '',
    backupSchedule: 'off',
    keepBackups: String(DEFAULT_KEEP_BACKUPS),
  };
}

export function siteFormFrom(site: SiteView): SiteFormValues {
  return {
    name: site.name,
    host: site.host,
    clientId: site.clientId,
    enabled: site.enabled,
    initialInterval: formatDuration(site.initialIntervalSeconds),
    pollInterval: formatDuration(site.pollIntervalSeconds),
    timeout: formatDuration(site.timeoutSeconds),
    caFile: site.caFile ?? '',
    proxyUrl: site.proxyUrl ?? '',
    backupSchedule: site.backupSchedule ?? 'off',
    keepBackups: String(site.keepBackups ?? DEFAULT_KEEP_BACKUPS),
  };
}

/** What the schema reads: durations stay strings such as "5m"; empty optional text means none. */
export function rawSite(values: SiteFormValues) {
  return {
    name: values.name,
    host: values.host,
    clientId: values.clientId,
    enabled: values.enabled,
    initialIntervalSeconds: values.initialInterval,
    pollIntervalSeconds: values.pollInterval,
    timeoutSeconds: values.timeout,
    caFile: values.caFile,
    proxyUrl: values.proxyUrl,
    backupSchedule: values.backupSchedule,
    keepBackups: wholeNumber(values.keepBackups),
  };
}

/** "30" → 30; anything else stays text, which the schema rejects with its message ("a whole number from 1 to …"). */
function wholeNumber(text: string): number | string {
  const trimmed = text.trim();
  return /^\d{1,7}$/.test(trimmed) ? Number(trimmed) : trimmed;
}

const FIELDS = new Set<string>([...Object.keys(SITE_FIELD_LABELS), 'clientSecret', 'backupPassword']);

/** Drops the "Client ID: " a message starts with when it is shown under the field of that label. */
function withoutLabel(field: SiteFormField, message: string): string {
  const label = field === 'clientSecret' ? 'Client secret' : field === 'backupPassword' ? 'Backup password' : SITE_FIELD_LABELS[field];
  const prefix = `${label}: `;
  if (message.toLowerCase().startsWith(prefix.toLowerCase())) {
    const rest = message.slice(prefix.length);
    return rest.charAt(0).toUpperCase() + rest.slice(1);
  }
  return message;
}

/**
 * Sorts issues (from the schema or from an ApiError) onto the dialog's fields. The engine names a
 * field by its path in the request (`site.host`, `patch.name`, `draft.clientId`, `clientSecret`);
 * issues that concern no field, or one the dialog does not show, are returned as `general`.
 */
export function issuesByField(issues: { field: string | null; message: string }[]): { errors: SiteFormErrors; general: string[] } {
  const errors: SiteFormErrors = {};
  const general: string[] = [];
  for (const issue of issues) {
    const field = issue.field?.split('.').find((part) => FIELDS.has(part)) as SiteFormField | undefined;
    if (field) {
      errors[field] ??= withoutLabel(field, issue.message);
    } else if (issue.field === null && /\bbackup password\b/i.test(issue.message)) {
      errors.backupPassword ??= issue.message;
    } else if (issue.field === null && /\bsecret\b/i.test(issue.message)) {
      // The engine reports a missing or unusable secret without a field.
      errors.clientSecret ??= issue.message;
    } else {
      general.push(issue.message);
    }
  }
  return { errors, general };
}

export type Checked<T> = { ok: true; value: T; errors: SiteFormErrors } | { ok: false; errors: SiteFormErrors; general: string[] };

/** A new site: the whole schema, with its defaults. */
export function checkNewSite(values: SiteFormValues): Checked<SiteInput> {
  const parsed = siteInputSchema().safeParse(rawSite(values));
  if (parsed.success) return { ok: true, value: parsed.data, errors: {} };
  return { ok: false, ...issuesByField(siteIssues(parsed.error)) };
}

/** An edit: every field is sent (the dialog shows them all), checked by the patch schema. */
export function checkSitePatch(values: SiteFormValues): Checked<SitePatch> {
  const parsed = sitePatchSchema().safeParse(rawSite(values));
  if (parsed.success) return { ok: true, value: parsed.data, errors: {} };
  return { ok: false, ...issuesByField(siteIssues(parsed.error)) };
}

/** What a Test needs: the connection fields (an unnamed draft can be tested; a typed name is checked). */
export function checkTestDraft(values: SiteFormValues): Checked<SitePatch> {
  const { name, ...connection } = rawSite(values);
  const parsed = sitePatchSchema().safeParse(name.trim() === '' ? connection : { ...connection, name });
  if (parsed.success) return { ok: true, value: parsed.data, errors: {} };
  return { ok: false, ...issuesByField(siteIssues(parsed.error)) };
}

/** The fields that concern an empty required value: their message waits until the user leaves the field or saves. */
export function requiredEmpty(values: SiteFormValues, field: SiteFormField): boolean {
  if (field === 'clientSecret' || field === 'backupPassword' || field === 'enabled' || field === 'backupSchedule') return false;
  const value = values[FORM_KEY[field]];
  return typeof value === 'string' && value.trim() === '';
}
