// GET|POST /api/reporting (POST as application/x-www-form-urlencoded), per "Download reports with
// AccessSession / AccessSessionListing". Order of checks:
//   1. the token's account is rate limited (429 + Retry-After);
//   2. an injected fault, if one is queued;
//   3. Bearer token: missing, unknown, expired, evicted (31st token) or revoked (secret regenerated,
//      account disabled) → 401 JSON {"error":"invalid_token"} with a Bearer challenge;
//   4. the account lacks "Allow Access to Access Session Reports and Recordings" → 403 (body below);
//   5. parameters: anything wrong → HTTP 200 with an <error> element (that is how the appliance
//      reports errors), as the root or inside the list element depending on the site setting;
//   6. no matching session → HTTP 200 with an <error> whose text is in the site's language;
//   7. the report, streamed session by session with backpressure, chunked (no Content-Length).
import { answeredRateLimited, bearerToken, enactFault, json, parseForm, respond, sinkFor, writeHead, XML_TYPE, type Exchange } from './http-exchange.ts';
import { noDataText } from './no-data-texts.ts';
import { parseReportRequest } from './report-query.ts';
import { handleRecording, isRecordingReport } from './recordings.ts';
import {
  emptyListDocument, errorDocument, listElementFor, renderAccessSessionReport, renderListingReport, XML_DECLARATION,
  type RenderContext,
} from './report-xml.ts';
import type { SimState } from './sim-state.ts';
import { attrString, escapeText } from './xml-text.ts';

/** The permission the Reporting API needs, as the /login API Configuration page names it. */
export const REPORTING_PERMISSION = 'Allow Access to Access Session Reports and Recordings';

/**
 * The 403 body for an account without the reporting permission. The real wording is not
 * documented; the simulator answers text/xml with a root <error> naming the missing permission:
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <error xmlns="…">This API account does not have permission to access this API. Required
 *   permission: Reporting API - Allow Access to Access Session Reports and Recordings.</error>
 */
export function permissionErrorDocument(namespace: string | null): string {
  const text = `This API account does not have permission to access this API. Required permission: Reporting API - ${REPORTING_PERMISSION}.`;
  return `${XML_DECLARATION}<error${namespace === null ? '' : attrString({ xmlns: namespace })}>${escapeText(text)}</error>\n`;
}

export async function handleReporting(ex: Exchange, state: SimState): Promise<void> {
  const method = ex.req.method ?? 'GET';
  if (method !== 'GET' && method !== 'POST') {
    ex.entry.outcome = 'method-not-allowed';
    return respond(ex, 405, { 'Content-Type': 'text/plain; charset=UTF-8', Allow: 'GET, POST' }, 'Method Not Allowed\n');
  }

  const params: Record<string, string> = {};
  for (const [k, v] of ex.url.searchParams) params[k] = v;
  if (method === 'POST') Object.assign(params, parseForm(ex.body.toString('utf8')));
  ex.entry.params = params;
  ex.entry.report = params.generate_report;

  const token = bearerToken(ex.req.headers.authorization);
  if (await answeredRateLimited(ex, state, token)) return;

  const site = state.site;
  const list = listElementFor(params.generate_report);
  const faulted = await enactFault(ex, state.faults.take('reporting'), { list, namespace: site.namespace });
  if (faulted === 'answered') return;
  const cut = faulted.cut;

  const auth = token === null ? { ok: false as const, reason: 'missing' } : state.accounts.validate(token);
  if (!auth.ok) {
    ex.entry.outcome = `token-${auth.reason}`;
    const description = auth.reason === 'missing' ? 'No access token was provided.' : `The access token is ${auth.reason === 'unknown' ? 'invalid' : auth.reason}.`;
    return respond(ex, 401, {
      'Content-Type': 'application/json',
      'WWW-Authenticate': `Bearer error="invalid_token", error_description="${description}"`,
    }, json({ error: 'invalid_token', error_description: description }), cut);
  }
  if (!auth.reporting) {
    ex.entry.outcome = 'forbidden';
    return respond(ex, 403, { 'Content-Type': XML_TYPE }, permissionErrorDocument(site.namespace), cut);
  }

  if (isRecordingReport(params.generate_report)) return handleRecording(ex, state, params, cut);

  const parsed = parseReportRequest(params);
  if (!parsed.ok) {
    ex.entry.outcome = 'parameter-error';
    return respond(ex, 200, { 'Content-Type': XML_TYPE }, errorDocument(list, parsed.error, site.errorPlacement, site.namespace), cut);
  }

  const now = Math.floor(state.serverNowMs() / 1000);
  const sessions = state.store.query(parsed.filter, now);
  if (sessions.length === 0) {
    ex.entry.outcome = 'no-data';
    const body = site.noData === 'error'
      ? errorDocument(list, noDataText(site.locale), site.errorPlacement, site.namespace)
      : emptyListDocument(list, site.namespace);
    return respond(ex, 200, { 'Content-Type': XML_TYPE }, body, cut);
  }

  ex.entry.outcome = 'report';
  ex.entry.sessions = sessions.length;
  const ctx: RenderContext = { now, namespace: site.namespace, siteHostname: site.siteHostname, inProgressEndTime: site.inProgressEndTime, cache: site.renderCache };
  const pieces = parsed.report === 'AccessSession' ? renderAccessSessionReport(sessions, ctx) : renderListingReport(sessions, ctx);
  writeHead(ex, 200, { 'Content-Type': XML_TYPE });
  const sink = sinkFor(ex, cut);
  for (const piece of pieces) {
    sink.add(piece);
    if (sink.shouldFlush && !(await sink.flush())) return;
  }
  ex.entry.completed = await sink.end();
}
