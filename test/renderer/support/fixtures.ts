/** Canned engine data for the fake transport: realistic sites, statuses, sessions and log lines. */
import { DEFAULT_ARCHIVE_LAYOUT, type ArchiveStatus, type ArchiveView } from '../../../shared/archive.ts';
import type { AppInfo, EngineStatus, SiteView } from '../../../shared/contract.ts';
import type { DestinationView } from '../../../shared/destination.ts';
import type { HourlyCount, SessionDetail, SessionRow } from '../../../shared/sessions.ts';
import { SITE_TEST_STEPS, type TestStep } from '../../../shared/site-test.ts';
import type { LogLine, SiteStatus } from '../../../shared/status.ts';
import type { FakeConfig, FakeResponses } from './fake-api.ts';

const HOUR = 3_600_000;
export const NOW = Date.now();
const iso = (ms: number) => new Date(ms).toISOString();

export const APP_INFO: AppInfo = { version: '0.1.0', dataDir: 'C:\\ProgramData\\PRA Integration Client', installId: 'f3a1', transport: 'electron', paused: false };

export function site(id: number, name: string, host: string, extra: Partial<SiteView> = {}): SiteView {
  return {
    id,
    name,
    host,
    clientId: `client-${id}-0123456789abcdef`,
    enabled: true,
    initialIntervalSeconds: 7 * 86_400,
    pollIntervalSeconds: 300,
    timeoutSeconds: 30,
    caFile: null,
    proxyUrl: null,
    backupSchedule: 'off',
    keepBackups: 30,
    createdAt: iso(NOW - 10 * 86_400_000),
    updatedAt: iso(NOW - 86_400_000),
    clientSecretStored: true,
    backupPasswordStored: false,
    ...extra,
  };
}

export function siteStatus(s: SiteView, extra: Partial<SiteStatus> = {}): SiteStatus {
  return {
    siteId: s.id,
    name: s.name,
    host: s.host,
    state: 'idle',
    lastRunAt: iso(NOW - 4 * 60_000),
    lastSuccessAt: iso(NOW - 4 * 60_000),
    nextRunAt: iso(NOW + 60_000),
    lastError: null,
    needsAttention: null,
    sessionsStored: 1284,
    eventsStored: 48_213,
    sessionsFollowed: 3,
    backfill: { from: iso(NOW - 7 * 86_400_000), coveredUntil: iso(NOW - 60_000), progress: 1 },
    ...extra,
  };
}

export const PRODUCTION = site(1, 'Production', 'access.example.com');
export const LAB = site(2, 'Lab', 'pra-lab.example.net:8443', { initialIntervalSeconds: 30 * 86_400 });
export const EMEA = site(3, 'EMEA', 'emea.access.example.com');

export const ATTENTION_REASON =
  'The site rejected the client secret (HTTP 401). Create a new secret in /login > Management > API Configuration and enter it here with Edit.';

/** No archive folder set (archive-fixtures.ts has the archive at work). */
export const ARCHIVE_VIEW_OFF: ArchiveView = { dir: null, layout: DEFAULT_ARCHIVE_LAYOUT, sessionXml: true, recordings: true, shellRecordings: true, configured: false };
export const ARCHIVE_STATUS_OFF: ArchiveStatus = {
  state: 'off',
  pausedReason: null,
  dir: null,
  freeBytes: null,
  written: { files: 0, bytes: 0 },
  pending: 0,
  expired: 0,
  failed: 0,
  failures: [],
  backups: [],
  progress: null,
};

export function status(sites: SiteStatus[], extra: Partial<EngineStatus> = {}): EngineStatus {
  return { sites, outbox: { pending: 12, sent: 48_201, failed: 0 }, outboxFailures: [], archive: ARCHIVE_STATUS_OFF, paused: false, ...extra };
}

export const DESTINATION_EMPTY: DestinationView = {
  url: null,
  cloudId: null,
  auth: 'api-key',
  username: null,
  caFile: null,
  caFingerprint: null,
  namespace: 'default',
  kibanaUrl: null,
  configured: false,
  apiKeyStored: false,
  passwordStored: false,
  dataStream: 'logs-beyondtrust_pra.access_session-default',
};

export const DESTINATION_SET: DestinationView = {
  ...DESTINATION_EMPTY,
  url: 'https://elastic.example.com:9200',
  kibanaUrl: 'https://kibana.example.com:5601',
  configured: true,
  apiKeyStored: true,
};

/** A plausible daily rhythm: busy working hours, quiet nights. */
export function eventsPerHour(hours: number): HourlyCount[] {
  const end = Math.floor(NOW / HOUR) * HOUR;
  const out: HourlyCount[] = [];
  for (let i = hours - 1; i >= 0; i--) {
    const t = end - i * HOUR;
    const h = new Date(t).getUTCHours();
    const work = h >= 7 && h <= 18 ? 1 : 0.08;
    out.push({ hour: iso(t), events: Math.round((140 + 90 * Math.sin(h / 3 + i / 17)) * work) });
  }
  return out;
}

const REPS = ['Dana Whitfield', 'Ravi Menon', 'Ola Nordmann', 'Chen Wei'];
const GROUPS = ['Domain controllers', 'SQL servers', 'Branch firewalls', 'HR laptops'];

export function sessionRows(count: number): SessionRow[] {
  return Array.from({ length: count }, (_, i) => {
    const start = NOW - (i * 2 + 1) * HOUR;
    const inProgress = i === 0;
    return {
      siteId: i % 3 === 2 ? 2 : 1,
      siteHost: i % 3 === 2 ? LAB.host : PRODUCTION.host,
      lsid: `c5f2${(0x9a41 + i * 7919).toString(16)}e1d94b7fa0c3${String(i).padStart(4, '0')}`,
      sessionType: 'support',
      startTime: iso(start),
      endTime: inProgress ? null : iso(start + (20 + i * 3) * 60_000),
      duration: inProgress ? null : `00:${String(20 + i * 3).padStart(2, '0')}:00`,
      jumpGroup: GROUPS[i % GROUPS.length]!,
      jumpoint: 'HQ Jumpoint',
      primaryCustomer: `srv-${['dc01', 'sql02', 'fw-branch7', 'lt-0457'][i % 4]}`,
      primaryRep: REPS[i % REPS.length]!,
      eventCount: 12 + ((i * 37) % 140),
      inProgress,
    };
  });
}

export function sessionDetail(row: SessionRow): SessionDetail {
  const start = Date.parse(row.startTime!);
  return {
    ...row,
    participants: [
      { kind: 'representative', gsnumber: '1', username: 'dwhitfield', displayName: row.primaryRep, hostname: 'ADMIN-WS-12', publicIp: '203.0.113.24', privateIp: '10.1.4.12', os: 'Windows 11 Enterprise' },
      { kind: 'customer', gsnumber: '2', username: 'SYSTEM', displayName: row.primaryCustomer, hostname: row.primaryCustomer, publicIp: null, privateIp: '10.20.0.5', os: 'Windows Server 2022' },
    ],
    customAttributes: [
      { codeName: 'ticket', displayName: 'Change ticket', value: 'CHG0041872' },
      { codeName: 'reason', displayName: 'Reason', value: 'Monthly patching' },
    ],
    events: [
      { ordinal: 1, time: new Date(start).toISOString(), eventType: 'Session Start', performedBy: null, destination: null, body: null },
      { ordinal: 2, time: new Date(start + 5_000).toISOString(), eventType: 'Conference Member Added', performedBy: row.primaryRep, destination: null, body: null },
      { ordinal: 3, time: new Date(start + 60_000).toISOString(), eventType: 'Command Shell Session Started', performedBy: row.primaryRep, destination: row.primaryCustomer, body: null },
      { ordinal: 4, time: new Date(start + 75_000).toISOString(), eventType: 'Command Shell Command', performedBy: row.primaryRep, destination: row.primaryCustomer, body: 'Get-Service -Name W32Time | Restart-Service -Force' },
      { ordinal: 5, time: new Date(start + 600_000).toISOString(), eventType: 'File Download', performedBy: row.primaryRep, destination: row.primaryCustomer, body: 'C:\\Windows\\Logs\\CBS\\CBS.log (2.4 MB)' },
    ],
  };
}

export function logLines(): LogLine[] {
  const at = (minutesAgo: number) => iso(NOW - minutesAgo * 60_000);
  return [
    { time: at(62), level: 'info', topic: 'engine', message: 'Engine started (version 0.1.0); 3 sites configured.' },
    { time: at(61), level: 'debug', topic: 'scheduler', message: 'Production: next run in 5m.' },
    { time: at(60), level: 'info', topic: 'extract', message: 'Production: 14 sessions, 512 events stored (report window 12:00–12:05).', siteId: 1 },
    { time: at(45), level: 'warn', topic: 'elastic', message: 'Elasticsearch answered 429 (too many requests); retrying 12 events in 30s.' },
    { time: at(30), level: 'error', topic: 'extract', message: `Lab: ${ATTENTION_REASON}`, siteId: 2 },
    { time: at(20), level: 'info', topic: 'elastic', message: 'Sent 512 events to logs-beyondtrust_pra.access_session-default.' },
    { time: at(5), level: 'info', topic: 'extract', message: 'EMEA: backfill at 42.5% (covered up to 3 days ago).', siteId: 3 },
  ];
}

/** The steps of a site Test that passes, then variants. */
export function siteTestSteps(failAt?: string, detail = 'The site rejected the Client ID and secret (HTTP 401): check them in /login > Management > API Configuration, or create a new secret.'): TestStep[] {
  let failed = false;
  const details: Record<string, string> = {
    dns: 'access.example.com resolves to 198.51.100.7.',
    tls: 'Certificate for access.example.com issued by DigiCert Global G2, valid until 3 Mar 2026.',
    token: 'Client ID and secret accepted; the token is valid for 60 minutes.',
    reporting: 'The API account may read access session reports.',
    clock: 'This computer\'s clock agrees with the site (2 s apart).',
    // The step a site with backups on gains (issue #15).
    backup: 'The API account may take site backups ("Allowed to use the backup API").',
  };
  return SITE_TEST_STEPS.map((s, i) => {
    if (failed) return { id: s.id, title: s.title, status: 'skipped' as const, detail: 'Not run: fix the failed step first.', durationMs: 0 };
    if (s.id === failAt) {
      failed = true;
      return { id: s.id, title: s.title, status: 'failed' as const, detail, durationMs: 212 };
    }
    return { id: s.id, title: s.title, status: 'ok' as const, detail: details[s.id]!, durationMs: 40 + i * 55 };
  });
}

/** Everything an app with sites needs; `overrides` replace single channels. */
export function responses(overrides: FakeResponses = {}, sites: SiteView[] = [PRODUCTION, LAB, EMEA], statuses?: SiteStatus[]): FakeResponses {
  const rows = sessionRows(24);
  return {
    'app.info': APP_INFO,
    'sites.list': sites,
    'status.get': status(statuses ?? sites.map((s) => siteStatus(s))),
    'status.eventsPerHour': eventsPerHour(72),
    'destination.get': DESTINATION_SET,
    'sessions.list': rows,
    'sessions.get': sessionDetail(rows[1]!),
    'log.recent': logLines(),
    'sites.runNow': { started: 1 },
    'engine.setPaused': { paused: true },
    'outbox.retryFailed': { retried: 3 },
    'archive.get': ARCHIVE_VIEW_OFF,
    'archive.status': ARCHIVE_STATUS_OFF,
    ...overrides,
  };
}

export function config(overrides: FakeResponses = {}, extra: Omit<FakeConfig, 'responses'> = {}): FakeConfig {
  return { responses: responses(overrides), ...extra };
}
