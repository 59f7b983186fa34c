// The XML the reporting API returns, written piece by piece (a generator of strings) so that the
// endpoint can stream a report of any size without building it in memory.
//
// Shape: the AccessSession / AccessSessionListing documentation, checked against real output
// (reference/beyondtrust-api/sekoia_AccessSession_example.xml, a PRA cloud site, and
// reference/elastic-integration/mock-response.xml). Where the two disagree the real output wins:
// unix `timestamp` attributes on events, `+00:00` ISO offsets, element text on performed_by /
// destination, and primary_customer, jump_group, (jumpoint), primary_rep in that order. Chat,
// recording and command-shell-recording URLs only exist once a session has ended; an element with
// no value in a session (no jumpoint, no recording) is left out, as in the real sample.
import { createHash } from 'node:crypto';
import { isEndedAt, visibleEvents } from './session-store.ts';
import type { SimEvent, SimParty, SimSession, UnixSeconds } from './types.ts';
import { attrString, el, escapeText, needsEncoding } from './xml-text.ts';

/** The namespace differs between versions; clients must not depend on it. */
export const REPORTING_NAMESPACES = {
  /** PRA cloud / 24.x–25.x (real sample). */
  sra: 'http://www.beyondtrust.com/sra/namespaces/API/reporting',
  /** Without the product segment. */
  plain: 'http://www.beyondtrust.com/namespaces/API/reporting',
  /** Old Bomgar-branded appliances. */
  bomgar: 'http://www.bomgar.com/namespaces/API/reporting',
} as const;

export const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n';

export interface RenderContext {
  /** Server clock, Unix seconds. */
  now: UnixSeconds;
  /** Default namespace of the root element; null for none (as in Elastic's mock). */
  namespace: string | null;
  /** Host name used in the download URLs. */
  siteHostname: string;
  /** How an in-progress session's end_time looks: `<end_time timestamp=""></end_time>` or left out. */
  inProgressEndTime: 'empty' | 'omitted';
  /** Each session's XML, rendered once and replayed (PraSimulatorOptions.renderCache). */
  cache?: RenderCache;
}

/**
 * Sessions' rendered XML as UTF-8 bytes, keyed by what their rendering depends on. Bytes, not the
 * rendered strings: a replayed report is then written as it is, where strings had to be joined and
 * encoded again for every response (3 of the simulator's 5 CPU seconds in a benchmark run, taken
 * from the engine it measures on a 2-core machine).
 */
export type RenderCache = WeakMap<SimSession, { key: string; xml: Buffer }>;

export type ListElement = 'session_list' | 'session_summary_list';

export function listElementFor(report: string | undefined): ListElement {
  return report === 'AccessSessionListing' ? 'session_summary_list' : 'session_list';
}

function openRoot(name: string, namespace: string | null): string {
  return `<${name}${namespace === null ? '' : attrString({ xmlns: namespace })}>\n`;
}

/** A whole <error> document: as the root element (PRA 25.x) or inside the list element. */
export function errorDocument(list: ListElement, text: string, placement: 'root' | 'in-list', namespace: string | null): string {
  if (placement === 'root') return `${XML_DECLARATION}<error${namespace === null ? '' : attrString({ xmlns: namespace })}>${escapeText(text)}</error>\n`;
  return `${XML_DECLARATION}${openRoot(list, namespace)}<error>${escapeText(text)}</error>\n</${list}>\n`;
}

/** An empty list element (the alternative "no data" answer some documentation describes). */
export function emptyListDocument(list: ListElement, namespace: string | null): string {
  return `${XML_DECLARATION}${openRoot(list, namespace)}</${list}>\n`;
}

/** The report in pieces: text, or a cached session's bytes (with `ctx.cache`). */
export function* renderAccessSessionReport(sessions: Iterable<SimSession>, ctx: RenderContext): Generator<string | Buffer> {
  yield XML_DECLARATION + openRoot('session_list', ctx.namespace);
  for (const session of sessions) yield* ctx.cache ? cachedSession(session, ctx, ctx.cache) : renderSession(session, ctx);
  yield '</session_list>\n';
}

function* cachedSession(s: SimSession, ctx: RenderContext, cache: RenderCache): Generator<string | Buffer> {
  const key = [ctx.now, ctx.namespace, ctx.siteHostname, ctx.inProgressEndTime, s.endTime, s.events.length, s.lazyEvents?.count].join('\0');
  const hit = cache.get(s);
  if (hit?.key === key) {
    yield hit.xml;
    return;
  }
  const pieces: string[] = [];
  for (const piece of renderSession(s, ctx)) {
    pieces.push(piece);
    yield piece;
  }
  cache.set(s, { key, xml: Buffer.from(pieces.join(''), 'utf8') }); // only once the whole session was rendered
}

export function* renderListingReport(sessions: Iterable<SimSession>, ctx: RenderContext): Generator<string> {
  yield XML_DECLARATION + openRoot('session_summary_list', ctx.namespace);
  for (const s of sessions) {
    const hasRecording = isEndedAt(s, ctx.now) && s.hasRecording ? 1 : 0;
    yield `<session_summary${attrString({ lsid: s.lsid, has_recording: hasRecording })} />\n`;
  }
  yield '</session_summary_list>\n';
}

export function isoTime(t: UnixSeconds): string {
  return new Date(t * 1000).toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

export function hhmmss(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${two(Math.floor(s / 3600))}:${two(Math.floor(s / 60) % 60)}:${two(s % 60)}`;
}

function downloadUrl(host: string, lsid: string, t: string, m: string, action: string, view: boolean): string {
  const h = createHash('sha1').update(`${host}/${lsid}/${m}`).digest('hex');
  const token = encodeURIComponent(`l=${lsid};h=${h};t=${t};m=${m}`);
  return `https://${host}/session_download?lsid=${token}&dl_action=${action}${view ? '&view=1' : ''}`;
}

function fileCounts(session: SimSession, now: UnixSeconds): { transfer: number; move: number; del: number } {
  if (session.fileTransferCount !== undefined && session.fileMoveCount !== undefined && session.fileDeleteCount !== undefined) {
    return { transfer: session.fileTransferCount, move: session.fileMoveCount, del: session.fileDeleteCount };
  }
  let transfer = 0;
  let move = 0;
  let del = 0;
  for (const e of visibleEvents(session, now)) {
    const n = e.files?.length ?? 1;
    if (e.eventType === 'File Download' || e.eventType === 'File Upload') transfer += n;
    else if (e.eventType === 'File Move' || e.eventType === 'File Rename') move += n;
    else if (e.eventType === 'File Delete') del += n;
  }
  return {
    transfer: session.fileTransferCount ?? transfer,
    move: session.fileMoveCount ?? move,
    del: session.fileDeleteCount ?? del,
  };
}

function* renderSession(s: SimSession, ctx: RenderContext): Generator<string> {
  const ended = isEndedAt(s, ctx.now);
  const lines: string[] = [`<session${attrString({ lsid: s.lsid })}>`];
  lines.push(el('session_type', null, s.sessionType));
  lines.push(el('lseq', null, String(s.lseq)));
  lines.push(el('start_time', { timestamp: s.startTime }, isoTime(s.startTime)));
  if (ended) lines.push(el('end_time', { timestamp: s.endTime ?? 0 }, isoTime(s.endTime ?? 0)));
  else if (ctx.inProgressEndTime === 'empty') lines.push('<end_time timestamp=""></end_time>');
  // In progress: the time elapsed so far.
  lines.push(el('duration', null, hhmmss((ended ? (s.endTime ?? 0) : ctx.now) - s.startTime)));
  lines.push(el('external_key', null, s.externalKey));
  if (s.customAttributes.length === 0) lines.push('<custom_attributes></custom_attributes>');
  else {
    lines.push('<custom_attributes>');
    for (const a of s.customAttributes) lines.push(el('custom_attribute', { display_name: a.displayName, code_name: a.codeName }, a.value));
    lines.push('</custom_attributes>');
  }
  if (ended && s.hasChat) {
    lines.push(el('session_chat_view_url', null, downloadUrl(ctx.siteHostname, s.lsid, 'sd', 'chat', 'chat', true)));
    lines.push(el('session_chat_download_url', null, downloadUrl(ctx.siteHostname, s.lsid, 'sd', 'chat', 'chat', false)));
  }
  if (ended && s.hasRecording) {
    lines.push(el('session_recording_view_url', null, downloadUrl(ctx.siteHostname, s.lsid, 'sr', 'screen', 'screen_recording', true)));
    lines.push(el('session_recording_download_url', null, downloadUrl(ctx.siteHostname, s.lsid, 'sr', 'screen', 'screen_recording', false)));
  }
  if (ended && s.commandShellRecordings > 0) {
    lines.push('<command_shell_recordings>');
    for (let i = 0; i < s.commandShellRecordings; i++) {
      lines.push(`<command_shell_recording${attrString({ instance: i })}>`);
      lines.push(el('download_url', null, downloadUrl(ctx.siteHostname, s.lsid, 'csr', `shell${i}`, 'shell_recording', false)));
      lines.push(el('view_url', null, downloadUrl(ctx.siteHostname, s.lsid, 'csr', `shell${i}`, 'shell_recording', true)));
      lines.push('</command_shell_recording>');
      // A long session can have thousands of recordings: keep every piece small.
      if (lines.length >= 400) yield lines.splice(0).join('\n') + '\n';
    }
    lines.push('</command_shell_recordings>');
  }
  const counts = fileCounts(s, ctx.now);
  lines.push(el('file_transfer_count', null, String(counts.transfer)));
  lines.push(el('file_move_count', null, String(counts.move)));
  lines.push(el('file_delete_count', null, String(counts.del)));
  lines.push(el('primary_customer', { gsnumber: s.primaryCustomer.gsnumber }, s.primaryCustomer.name));
  lines.push(el('jump_group', { type: s.jumpGroup.type, id: s.jumpGroup.id }, s.jumpGroup.name));
  if (s.jumpoint) lines.push(el('jumpoint', { id: s.jumpoint.id }, s.jumpoint.name));
  if (s.primaryRep) lines.push(el('primary_rep', { gsnumber: s.primaryRep.gsnumber, id: s.primaryRep.id }, s.primaryRep.name));

  lines.push('<customer_list>');
  for (const c of s.customers) {
    lines.push(`<customer${attrString({ gsnumber: c.gsnumber })}>`,
      el('username', null, c.username), el('public_ip', null, c.publicIp), el('private_ip', null, c.privateIp),
      el('hostname', null, c.hostname), el('os', null, c.os), '</customer>');
  }
  lines.push('</customer_list>', '<rep_list>');
  for (const r of s.reps) {
    lines.push(`<representative${attrString({ gsnumber: r.gsnumber, id: r.id })}>`,
      el('username', null, r.username), el('display_name', null, r.displayName),
      el('public_display_name', null, r.publicDisplayName), el('private_display_name', null, r.privateDisplayName),
      el('public_ip', null, r.publicIp), el('private_ip', null, r.privateIp));
    if (r.hostname !== undefined) lines.push(el('hostname', null, r.hostname));
    lines.push(el('os', null, r.os), el('session_owner', null, r.sessionOwner ? '1' : '0'),
      el('seconds_involved', null, String(r.secondsInvolved)));
    if (r.invited !== undefined) lines.push(el('invited', null, r.invited ? '1' : '0'));
    lines.push('</representative>');
  }
  lines.push('</rep_list>', '<session_details>');
  yield lines.join('\n') + '\n';

  for (const event of visibleEvents(s, ctx.now)) yield renderEvent(event);
  yield '</session_details>\n</session>\n';
}

function party(name: 'performed_by' | 'destination', p: SimParty): string {
  return el(name, { type: p.type, gsnumber: p.gsnumber }, p.name);
}

export function renderEvent(e: SimEvent): string {
  let out = `<event${attrString({ timestamp: e.timestamp, event_type: e.eventType })}>\n`;
  if (e.performedBy) out += party('performed_by', e.performedBy) + '\n';
  if (e.destination) out += party('destination', e.destination) + '\n';
  if (e.data && e.data.length > 0) {
    out += '<data>\n';
    for (const v of e.data) out += `<value${attrString({ name: v.name, value: v.value })} />\n`;
    out += '</data>\n';
  }
  if (e.body !== undefined) {
    out += needsEncoding(e.body)
      ? el('encoded_body', null, Buffer.from(e.body, 'utf8').toString('base64')) + '\n'
      : el('body', null, e.body) + '\n';
  }
  if (e.filename !== undefined) out += el('filename', null, e.filename) + '\n';
  if (e.filesize !== undefined) out += el('filesize', null, String(e.filesize)) + '\n';
  if (e.files && e.files.length > 0) {
    out += '<files>\n';
    for (const f of e.files) out += `<file>${el('filename', null, f.filename)}${el('filesize', null, String(f.filesize))}</file>\n`;
    out += '</files>\n';
  }
  if (e.systemInformation && e.systemInformation.length > 0) {
    out += '<system_information>\n';
    for (const c of e.systemInformation) {
      out += `<category${attrString({ name: c.name })}>\n<description>`;
      for (const d of c.description) out += el('field', { name: d.name }, d.label);
      out += '</description>\n<data>\n';
      for (const row of c.rows) {
        out += '<row>';
        for (const f of row) out += el('field', { name: f.name }, f.value);
        out += '</row>\n';
      }
      out += '</data>\n</category>\n';
    }
    out += '</system_information>\n';
  }
  return out + '</event>\n';
}
