// Parses and validates the parameters of GET|POST /api/reporting, per the documented parameter sets
// of AccessSession / AccessSessionListing: exactly one of start_date, start_time, end_date, end_time
// (each "and duration"), or for AccessSession lsid / lsids. Invalid input is not an HTTP error on the
// appliance: it answers 200 with an <error> element, so this returns the error text.
import type { SessionFilter } from './session-store.ts';

/** The report names the reporting API documents. Only the two access-session ones are simulated. */
export const DOCUMENTED_REPORTS = [
  'AccessSession', 'AccessSessionListing', 'AccessSessionRecording', 'AccessSessionSummary', 'CommandShellRecording',
  'EndpointLicenseUsage', 'JumpItem', 'Syslog', 'Team', 'VaultAccountActivity',
] as const;

export type SimulatedReport = 'AccessSession' | 'AccessSessionListing';

/** Texts of the parameter errors (English only: the simulator localizes only "no data"). */
export const PARAMETER_ERROR_TEXTS = {
  missingReport: 'No report was specified. Please specify a report with the generate_report parameter.',
  unknownReport: (name: string) => `Unknown report type: ${name}`,
  unsupportedReport: (name: string) => `The ${name} report is not available.`,
  noCriteria: 'Please specify one of the following: start_date, start_time, end_date, end_time, lsid, lsids.',
  noCriteriaListing: 'Please specify one of the following: start_date, start_time, end_date, end_time.',
  tooManyCriteria: 'Please specify only one of the following: start_date, start_time, end_date, end_time, lsid, lsids.',
  missingDuration: 'Missing required parameter: duration.',
  badDuration: 'Invalid duration. The duration must be a non-negative integer.',
  badTime: (name: string) => `Invalid ${name}. The time must be a UNIX timestamp.`,
  badDate: (name: string) => `Invalid ${name}. The date must be in the format YYYY-MM-DD.`,
  badLsids: (name: string) => `Invalid ${name}.`,
} as const;

export type ParsedReportRequest =
  | { ok: true; report: SimulatedReport; filter: SessionFilter }
  | { ok: false; report: string | undefined; error: string };

const DAY = 86_400;

export function parseReportRequest(params: Record<string, string>): ParsedReportRequest {
  const report = params.generate_report;
  const fail = (error: string): ParsedReportRequest => ({ ok: false, report, error });
  if (report === undefined || report === '') return fail(PARAMETER_ERROR_TEXTS.missingReport);
  if (report !== 'AccessSession' && report !== 'AccessSessionListing') {
    return fail((DOCUMENTED_REPORTS as readonly string[]).includes(report)
      ? PARAMETER_ERROR_TEXTS.unsupportedReport(report)
      : PARAMETER_ERROR_TEXTS.unknownReport(report));
  }

  // The listing has no lsid/lsids parameters: like any unknown parameter they are ignored there.
  const names = report === 'AccessSession'
    ? ['start_date', 'start_time', 'end_date', 'end_time', 'lsid', 'lsids'] as const
    : ['start_date', 'start_time', 'end_date', 'end_time'] as const;
  const given = names.filter((n) => params[n] !== undefined);
  if (given.length === 0) return fail(report === 'AccessSession' ? PARAMETER_ERROR_TEXTS.noCriteria : PARAMETER_ERROR_TEXTS.noCriteriaListing);
  if (given.length > 1) return fail(PARAMETER_ERROR_TEXTS.tooManyCriteria);
  const name = given[0]!;
  const value = (params[name] ?? '').trim();

  if (name === 'lsid' || name === 'lsids') {
    const lsids = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
    if (lsids.length === 0 || (name === 'lsid' && lsids.length > 1)) return fail(PARAMETER_ERROR_TEXTS.badLsids(name));
    return { ok: true, report, filter: { kind: 'lsids', lsids } };
  }

  if (params.duration === undefined) return fail(PARAMETER_ERROR_TEXTS.missingDuration);
  if (!/^\d+$/.test(params.duration.trim())) return fail(PARAMETER_ERROR_TEXTS.badDuration);
  const duration = Number(params.duration.trim());
  const kind = name.startsWith('start') ? 'start' : 'end';

  let from: number;
  let span: number;
  if (name.endsWith('_time')) {
    // Unix seconds only: an RFC 3339 value (once sent by Elastic's collector) is rejected.
    if (!/^\d+$/.test(value)) return fail(PARAMETER_ERROR_TEXTS.badTime(name));
    from = Number(value);
    span = duration;
  } else {
    const parsed = parseDate(value);
    if (parsed === null) return fail(PARAMETER_ERROR_TEXTS.badDate(name));
    // The documentation does not say which time zone a date means; the simulator uses UTC.
    from = parsed;
    span = duration * DAY;
  }
  // duration 0 = "to present": the store clamps everything to now anyway.
  return { ok: true, report, filter: { kind, from, to: span === 0 ? null : from + span } };
}

function parseDate(value: string): number | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!m) return null;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return null;
  return ms / 1000;
}
