/**
 * The one contract between the UI and the engine. Electron IPC (preload + main) and `pra-ic ui`
 * (loopback HTTP) both carry exactly these channels; the engine side validates every payload
 * against the schema here before any handler sees it, whichever transport brought it.
 *
 * No channel returns a secret: the UI can set, replace or clear one and learn whether one is stored.
 */
import { z } from 'zod';
import type { ArchiveStatus, ArchiveTestResult, ArchiveVerifyResult, ArchiveView } from './archive.ts';
import type { DestinationView } from './destination.ts';
import { secretProblem } from './secret-input.ts';
import type { Site } from './models.ts';
import type { HourlyCount, SessionDetail, SessionRow } from './sessions.ts';
import type { SiteTestResult, TestResult } from './site-test.ts';
import type { EngineEvent, LogLine, OutboxCounts, ShippingErrorView, SiteStatus } from './status.ts';
import type { UndeliveredWork } from './undelivered.ts';

const id = z.number({ error: 'Expected a numeric id.' }).int().positive();
const none = z.object({}).strict();
/** Site fields are checked in detail by shared/site-schema.ts, which reports issues by field. */
const siteFields = z.record(z.string(), z.unknown(), { error: 'Expected the site settings as an object.' });
/** A secret travels only towards the engine. `null` on edit: keep the stored one. Checked as every secret is (shared/secret-input.ts). */
const secret = z.string().superRefine((value, ctx) => {
  const problem = secretProblem(value, 'The secret');
  if (problem) ctx.addIssue({ code: 'custom', message: problem, input: '[not shown]' });
});
const testId = z.string().min(1).max(64);

const archiveFields = z
  .object({
    dir: z.string().max(4096).nullable().optional(),
    layout: z.string().max(1024).optional(),
    sessionXml: z.boolean().optional(),
    recordings: z.boolean().optional(),
    shellRecordings: z.boolean().optional(),
  })
  .strict();

const destinationFields = z
  .object({
    url: z.string().nullable().optional(),
    cloudId: z.string().nullable().optional(),
    auth: z.enum(['api-key', 'basic', 'none']).optional(),
    username: z.string().nullable().optional(),
    caFile: z.string().nullable().optional(),
    caFingerprint: z.string().nullable().optional(),
    namespace: z.string().optional(),
    kibanaUrl: z.string().nullable().optional(),
  })
  .strict();

export const inputSchemas = {
  'app.info': none,
  'sites.list': none,
  /** `backupPassword`: optional; applied to every backup of the site (kept in the OS keychain). */
  'sites.add': z.object({ site: siteFields, clientSecret: secret, backupPassword: secret.nullable().optional() }).strict(),
  /** `backupPassword`: null or absent keeps the stored one; `clearBackupPassword` removes it. */
  'sites.edit': z
    .object({ id, patch: siteFields, clientSecret: secret.nullable().optional(), backupPassword: secret.nullable().optional(), clearBackupPassword: z.boolean().optional() })
    .strict(),
  /** Refused (code `conflict`, with `undelivered`) while the site has undelivered events, unless `discardPending`. */
  'sites.remove': z.object({ id, discardPending: z.boolean().optional() }).strict(),
  /** Tests a stored site (`id`), or the dialog's unsaved values (`draft`, with `clientSecret` or the stored one of `id`). */
  'sites.test': z.object({ testId, id: id.optional(), draft: siteFields.optional(), clientSecret: secret.optional(), backupPassword: secret.optional() }).strict(),
  'sites.runNow': z.object({ id: id.optional() }).strict(),
  'status.get': none,
  'status.eventsPerHour': z.object({ hours: z.number().int().min(1).max(24 * 30), siteId: id.optional() }).strict(),
  'sessions.list': z
    .object({
      siteId: id.optional(),
      since: z.number().int().optional(),
      until: z.number().int().optional(),
      search: z.string().max(200).optional(),
      limit: z.number().int().min(1).max(1000).optional(),
      offset: z.number().int().min(0).optional(),
    })
    .strict(),
  'sessions.get': z.object({ siteId: id, lsid: z.string().min(1).max(200) }).strict(),
  'destination.get': none,
  'destination.set': z
    .object({ settings: destinationFields, apiKey: secret.nullable().optional(), password: secret.nullable().optional() })
    .strict(),
  'destination.test': z.object({ testId, draft: destinationFields.optional(), apiKey: secret.optional(), password: secret.optional() }).strict(),
  /** Installs through Kibana with the destination's credentials, or a one-off admin credential given here (not stored). */
  'destination.installAssets': z
    .object({ apiKey: secret.optional(), username: z.string().max(256).optional(), password: secret.optional() })
    .strict(),
  'outbox.retryFailed': none,
  'archive.get': none,
  /** Patches the archive settings; `dir: null` turns the archive off (nothing on disk is touched). */
  'archive.set': z.object({ settings: archiveFields }).strict(),
  /** Tests the stored folder, or the form's unsaved `draft`. */
  'archive.test': z.object({ testId, draft: archiveFields.optional() }).strict(),
  'archive.status': none,
  'archive.retryFailed': none,
  'archive.verify': none,
  'backup.now': z.object({ siteId: id }).strict(),
  'engine.setPaused': z.object({ paused: z.boolean() }).strict(),
  'log.recent': z.object({ limit: z.number().int().min(1).max(5000).optional() }).strict(),
} as const;

export type Channel = keyof typeof inputSchemas;
export type ChannelInput<C extends Channel> = z.input<(typeof inputSchemas)[C]>;

export interface AppInfo {
  version: string;
  dataDir: string;
  installId: string;
  /** `electron` or `browser` (pra-ic ui). */
  transport: 'electron' | 'browser';
  paused: boolean;
}

export interface SiteView extends Site {
  clientSecretStored: boolean;
  backupPasswordStored: boolean;
}

export interface EngineStatus {
  sites: SiteStatus[];
  outbox: OutboxCounts;
  /** Why the outbox's last failed items failed (the latest few), to show with a retry button. */
  outboxFailures: { eventId: number; reason: string }[];
  /** The archive folder's counts (state `off` when no folder is set). */
  archive: ArchiveStatus;
  /** Why shipping last failed (e.g. the API key was rejected), until a delivery succeeds; absent or null when it works. */
  shippingError?: ShippingErrorView | null;
  paused: boolean;
}

export interface ChannelOutputs {
  'app.info': AppInfo;
  'sites.list': SiteView[];
  'sites.add': SiteView;
  'sites.edit': SiteView;
  'sites.remove': { id: number };
  'sites.test': SiteTestResult;
  'sites.runNow': { started: number };
  'status.get': EngineStatus;
  'status.eventsPerHour': HourlyCount[];
  'sessions.list': SessionRow[];
  'sessions.get': SessionDetail | null;
  'destination.get': DestinationView;
  'destination.set': DestinationView;
  'destination.test': TestResult;
  'destination.installAssets': { ok: boolean; detail: string };
  'outbox.retryFailed': { retried: number };
  'archive.get': ArchiveView;
  'archive.set': ArchiveView;
  'archive.test': ArchiveTestResult;
  'archive.status': ArchiveStatus;
  'archive.retryFailed': { retried: number };
  'archive.verify': ArchiveVerifyResult;
  /** The new backup's path relative to the archive folder, and its size. */
  'backup.now': { file: string; bytes: number };
  'engine.setPaused': { paused: boolean };
  'log.recent': LogLine[];
}

export type ChannelOutput<C extends Channel> = ChannelOutputs[C];

/** Events pushed to the UI: the engine's own, plus live steps of a Test the UI started. */
export type UiEvent = EngineEvent | { type: 'test-step'; testId: string; step: TestResult['steps'][number] };

/** How an error crosses the boundary. `issues` point at form fields. */
export interface ApiErrorBody {
  message: string;
  code: 'invalid-input' | 'not-found' | 'conflict' | 'failed';
  issues?: { field: string | null; message: string }[];
  /** `sites.remove` refused: what the site has not delivered yet (remove with `discardPending` to discard it). */
  undelivered?: UndeliveredWork;
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(readonly body: ApiErrorBody) {
    super(body.message);
  }
}

/** The typed API both transports implement for the renderer. */
export interface PraApi {
  invoke<C extends Channel>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>>;
  onEvent(listener: (event: UiEvent) => void): () => void;
}

/** Validates a payload for `channel`; returns the parsed input or the issues in plain language. */
export function parseInput<C extends Channel>(channel: C, payload: unknown): { ok: true; input: z.output<(typeof inputSchemas)[C]> } | { ok: false; error: ApiErrorBody } {
  const schema = inputSchemas[channel] as z.ZodType;
  const result = schema.safeParse(payload ?? {});
  if (result.success) return { ok: true, input: result.data as z.output<(typeof inputSchemas)[C]> };
  const issues = result.error.issues.map((i) => ({ field: i.path.length ? i.path.join('.') : null, message: i.message }));
  return { ok: false, error: { code: 'invalid-input', message: `Invalid request for ${channel}: ${issues.map((i) => (i.field ? `${i.field}: ${i.message}` : i.message)).join('; ')}`, issues } };
}

export function isChannel(name: string): name is Channel {
  return Object.prototype.hasOwnProperty.call(inputSchemas, name);
}
