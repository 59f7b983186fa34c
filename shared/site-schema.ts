/**
 * What a site's settings must look like when they come in from the CLI or the UI: one schema for a
 * new site (with defaults) and one for an edit (a patch: only what changes). Every message says
 * what to fix. Secrets are not part of a site's input: they go to the SecretStore, never here.
 * Pure: runs in the renderer too.
 */
import { z } from 'zod';
import { BACKUP_SCHEDULES, DEFAULT_KEEP_BACKUPS, MAX_KEEP_BACKUPS, type BackupSchedule } from './archive.ts';
import { formatDuration, parseDuration } from './durations.ts';
import { normalizeSiteHost } from './host.ts';

/** The shortest poll interval the app allows (tests may go lower through siteInputSchema's options). */
export const MIN_POLL_INTERVAL_APP = 30;
/** The longest poll interval: pulling less than once a day defeats the point of a live feed. */
export const MAX_POLL_INTERVAL = 86_400;
export const DEFAULT_POLL_INTERVAL = 300;
export const MIN_INITIAL_INTERVAL = 60;
/** PRA keeps (and its API answers for) a bounded history; the first run reaches back at most 90 days. */
export const MAX_INITIAL_INTERVAL = 90 * 86_400;
export const DEFAULT_INITIAL_INTERVAL = 86_400;
export const MIN_TIMEOUT = 1;
export const MAX_TIMEOUT = 600;
export const DEFAULT_TIMEOUT = 30;
export const MAX_NAME_LENGTH = 100;
export const MAX_CLIENT_ID_LENGTH = 256;
export const MAX_PATH_LENGTH = 4096;

export interface SiteSchemaOptions {
  /** Lowest poll interval accepted, in seconds (default MIN_POLL_INTERVAL_APP; tests pass less). */
  minPollSeconds?: number;
}

// Here for those who import it with the schema; its own module keeps zod out of what needs only it.
export { siteNameKey } from './site-name.ts';

/** Human labels of the fields, for messages and for the UI to show next to an error. */
export const SITE_FIELD_LABELS = {
  name: 'Name',
  host: 'Site',
  clientId: 'Client ID',
  enabled: 'Enabled',
  initialIntervalSeconds: 'Initial interval',
  pollIntervalSeconds: 'Poll interval',
  timeoutSeconds: 'Timeout',
  caFile: 'CA certificate file',
  proxyUrl: 'Proxy URL',
  backupSchedule: 'Backups',
  keepBackups: 'Backups to keep',
} as const;
export type SiteField = keyof typeof SITE_FIELD_LABELS;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

const nameField = z
  .string({ error: 'Enter a name for the site, e.g. Production.' })
  .trim()
  .min(1, { error: 'Enter a name for the site, e.g. Production.' })
  .max(MAX_NAME_LENGTH, { error: `Name is too long: use at most ${MAX_NAME_LENGTH} characters.` })
  .refine((v) => !CONTROL.test(v), { error: 'Name must not contain tabs, line breaks or other control characters.' })
  .refine((v) => !/^\d+$/.test(v), {
    error: 'Name can\'t be only digits (it would be mistaken for a site id): use a name such as "Production" or "Site 2".',
  });

const hostField = z.string({ error: 'Enter the site\'s host name, e.g. access.example.com.' }).transform((value, ctx) => {
  const result = normalizeSiteHost(value);
  if (!result.ok) {
    ctx.addIssue({ code: 'custom', message: result.error, input: value });
    return z.NEVER;
  }
  return result.host;
});

const CLIENT_ID_REQUIRED = 'Enter the API account\'s Client ID (from /login > Management > API Configuration).';
const clientIdField = z
  .string({ error: CLIENT_ID_REQUIRED })
  .trim()
  .min(1, { error: CLIENT_ID_REQUIRED })
  .max(MAX_CLIENT_ID_LENGTH, { error: `Client ID is too long: use at most ${MAX_CLIENT_ID_LENGTH} characters.` })
  .refine((v) => !/\s/.test(v), { error: 'Client ID must not contain spaces or line breaks: paste it again without them.' });

const enabledField = z.boolean({ error: 'Enabled must be true or false.' });

/** Seconds as a whole number, or a duration string such as `5m` / `1h30m`, checked against min and max. */
function durationField(label: string, min: number, max: number, example: string) {
  const range = `from ${formatDuration(min)} to ${formatDuration(max)}`;
  return z
    .union([z.number(), z.string()], { error: `${label} must be a duration such as ${example} (or a number of seconds).` })
    .transform((value, ctx) => {
      let seconds: number;
      if (typeof value === 'string') {
        const parsed = parseDuration(value);
        if (!parsed.ok) {
          ctx.addIssue({ code: 'custom', message: `${label}: ${parsed.error}`, input: value });
          return z.NEVER;
        }
        seconds = parsed.seconds;
      } else {
        if (!Number.isSafeInteger(value)) {
          ctx.addIssue({ code: 'custom', message: `${label} must be a whole number of seconds, e.g. ${example}.`, input: value });
          return z.NEVER;
        }
        seconds = value;
      }
      if (seconds < min || seconds > max) {
        const which = seconds < min ? `at least ${formatDuration(min)}` : `at most ${formatDuration(max)}`;
        ctx.addIssue({ code: 'custom', message: `${label} must be ${which} (${range}), e.g. ${example}.`, input: value });
        return z.NEVER;
      }
      return seconds;
    });
}

/** Optional text where empty means "none": trimmed; '' and null become null. */
function nullableText(label: string, error: string) {
  return z
    .string({ error })
    .nullable()
    .transform((value) => (value === null || value.trim() === '' ? null : value.trim()))
    .refine((v) => v === null || !CONTROL.test(v), { error: `${label} must not contain line breaks or control characters.` });
}

const caFileField = nullableText('CA certificate file', 'CA certificate file must be the path of a PEM file, or empty for none.').refine(
  (v) => v === null || v.length <= MAX_PATH_LENGTH,
  { error: `CA certificate file path is too long (at most ${MAX_PATH_LENGTH} characters).` },
);

const PROXY_EXAMPLE = 'http://proxy.example.com:3128';
/** Never quotes the value back: a pasted proxy URL may contain a password. */
const proxyUrlField = nullableText('Proxy URL', `Proxy URL must be a URL such as ${PROXY_EXAMPLE}, or empty for none.`).transform(
  (value, ctx) => {
    if (value === null) return null;
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: `Proxy URL is not a valid URL: type http:// or https://, the proxy's host and port, e.g. ${PROXY_EXAMPLE}.`,
        input: '[not shown]',
      });
      return z.NEVER;
    }
    if (url.username !== '' || url.password !== '') {
      ctx.addIssue({
        code: 'custom',
        message: `Remove the user name and password from the proxy URL: settings are stored in plain text and must not hold credentials. Type only the proxy's address, e.g. ${PROXY_EXAMPLE}.`,
        input: '[not shown]',
      });
      return z.NEVER;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({
        code: 'custom',
        message: `Proxy URL must start with http:// or https:// (other proxy types are not supported), e.g. ${PROXY_EXAMPLE}.`,
        input: '[not shown]',
      });
      return z.NEVER;
    }
    if (url.pathname !== '/' || url.search !== '' || url.hash !== '') {
      ctx.addIssue({
        code: 'custom',
        message: `Proxy URL must be only http:// or https://, the proxy's host and port, without a path, e.g. ${PROXY_EXAMPLE}.`,
        input: '[not shown]',
      });
      return z.NEVER;
    }
    return url.origin;
  },
);

const backupScheduleField = z.enum(BACKUP_SCHEDULES as [BackupSchedule, ...BackupSchedule[]], {
  error: 'Backups must be off, daily or weekly.',
});
const keepBackupsField = z
  .number({ error: `Backups to keep must be a whole number from 1 to ${MAX_KEEP_BACKUPS}.` })
  .int({ error: `Backups to keep must be a whole number from 1 to ${MAX_KEEP_BACKUPS}.` })
  .min(1, { error: `Backups to keep must be at least 1 (default ${DEFAULT_KEEP_BACKUPS}).` })
  .max(MAX_KEEP_BACKUPS, { error: `Backups to keep must be at most ${MAX_KEEP_BACKUPS}.` });

function fields(options: SiteSchemaOptions) {
  const minPoll = options.minPollSeconds ?? MIN_POLL_INTERVAL_APP;
  if (!Number.isSafeInteger(minPoll) || minPoll < 1 || minPoll > MAX_POLL_INTERVAL) {
    throw new RangeError(`minPollSeconds must be a whole number from 1 to ${MAX_POLL_INTERVAL}.`);
  }
  return {
    name: nameField,
    host: hostField,
    clientId: clientIdField,
    enabled: enabledField,
    initialIntervalSeconds: durationField('Initial interval', MIN_INITIAL_INTERVAL, MAX_INITIAL_INTERVAL, '24h'),
    pollIntervalSeconds: durationField('Poll interval', minPoll, MAX_POLL_INTERVAL, '5m'),
    timeoutSeconds: durationField('Timeout', MIN_TIMEOUT, MAX_TIMEOUT, '30s'),
    caFile: caFileField,
    proxyUrl: proxyUrlField,
    backupSchedule: backupScheduleField,
    keepBackups: keepBackupsField,
  };
}

const NOT_AN_OBJECT = 'Site settings must be an object with name, host and clientId.';

/** A new site: name, host and clientId are required; the rest have defaults. */
export function siteInputSchema(options: SiteSchemaOptions = {}) {
  const f = fields(options);
  return z.object(
    {
      name: f.name,
      host: f.host,
      clientId: f.clientId,
      enabled: f.enabled.default(true),
      initialIntervalSeconds: f.initialIntervalSeconds.default(DEFAULT_INITIAL_INTERVAL),
      pollIntervalSeconds: f.pollIntervalSeconds.default(DEFAULT_POLL_INTERVAL),
      timeoutSeconds: f.timeoutSeconds.default(DEFAULT_TIMEOUT),
      caFile: f.caFile.default(null),
      proxyUrl: f.proxyUrl.default(null),
      backupSchedule: f.backupSchedule.default('off'),
      keepBackups: f.keepBackups.default(DEFAULT_KEEP_BACKUPS),
    },
    { error: NOT_AN_OBJECT },
  );
}

/**
 * An edit: every field optional, no defaults (a missing field keeps its stored value; `null` clears
 * caFile / proxyUrl). Unknown keys (such as id or createdAt of a whole Site) are ignored.
 */
export function sitePatchSchema(options: SiteSchemaOptions = {}) {
  const f = fields(options);
  return z.object(
    {
      name: f.name.optional(),
      host: f.host.optional(),
      clientId: f.clientId.optional(),
      enabled: f.enabled.optional(),
      initialIntervalSeconds: f.initialIntervalSeconds.optional(),
      pollIntervalSeconds: f.pollIntervalSeconds.optional(),
      timeoutSeconds: f.timeoutSeconds.optional(),
      caFile: f.caFile.optional(),
      proxyUrl: f.proxyUrl.optional(),
      backupSchedule: f.backupSchedule.optional(),
      keepBackups: f.keepBackups.optional(),
    },
    { error: 'Site changes must be an object of the fields to change.' },
  );
}

type InputSchema = ReturnType<typeof siteInputSchema>;
type PatchSchema = ReturnType<typeof sitePatchSchema>;
/** What callers may pass for a new site (durations as seconds or strings such as `5m`; defaults optional). */
export type SiteInputRaw = z.input<InputSchema>;
/** A validated new site: host normalised, durations in seconds, defaults filled in. */
export type SiteInput = z.output<InputSchema>;
/** What callers may pass for an edit. */
export type SitePatchRaw = z.input<PatchSchema>;
/** A validated edit: only the fields that change. */
export type SitePatch = z.output<PatchSchema>;

export interface SiteIssue {
  /** The field at fault, or null when the input as a whole is wrong. */
  field: SiteField | null;
  message: string;
}

/** The issues of a failed parse, one per field problem, ready to show next to the fields. */
export function siteIssues(error: z.ZodError): SiteIssue[] {
  return error.issues.map((issue) => {
    const key = issue.path[0];
    const field = typeof key === 'string' && key in SITE_FIELD_LABELS ? (key as SiteField) : null;
    let message = issue.message;
    if (field !== null && !message.toLowerCase().includes(SITE_FIELD_LABELS[field].toLowerCase())) {
      message = `${SITE_FIELD_LABELS[field]}: ${message}`;
    }
    return { field, message };
  });
}

/** One message for the whole failed parse (one line per problem), for the CLI and error dialogs. */
export function formatSiteIssues(error: z.ZodError): string {
  return siteIssues(error)
    .map((i) => i.message)
    .join('\n');
}
