// A `<session>`'s header (everything but its events): typed fields from the tree of the children
// that have them, and its XML text.
import type { Participant, SessionHeader } from './report-types.ts';
import { nonEmpty, ownCopy, parseBoolean, parseTimestamp, parseUnsigned, textOf } from './report-values.ts';
import type { XmlElement } from './xml-element.ts';

/** `start_time` / `end_time`: the `timestamp` attribute, else the ISO text; empty → null (in progress). */
function timeOf(el: XmlElement): number | null {
  return parseTimestamp(el.attrs.timestamp) ?? parseTimestamp(el.text);
}

/** The header with the text of its elements after `session_details` (a `session-end`'s `lateXml`) added before its end tag. */
export function withLateContent(header: SessionHeader, lateXml: string): SessionHeader {
  const end = header.xml.lastIndexOf('</');
  return end === -1 ? header : { ...header, xml: header.xml.slice(0, end) + lateXml + header.xml.slice(end) };
}

/** The children of a `<session>` that buildHeader reads typed fields from: the only ones it gets a tree of. */
export const HEADER_FIELDS = new Set([
  'session_type',
  'lseq',
  'start_time',
  'end_time',
  'duration',
  'external_key',
  'jump_group',
  'jumpoint',
  'primary_customer',
  'primary_rep',
  'file_transfer_count',
  'file_move_count',
  'file_delete_count',
  'custom_attributes',
  'customer_list',
  'rep_list',
]);

/** The header of a session from the tree of its typed children and its XML text. */
export function buildHeader(session: XmlElement, xml: string): SessionHeader {
  const lsid = nonEmpty(session.attrs.lsid);
  const header: SessionHeader = {
    // A copy: saxes cuts attribute values from the text it reads, and a slice keeps that whole text
    // (~16 KB of the body) alive. The lsid outlives the session (the extractor collects the lsids of
    // a report); kept as a slice, a 93 MB report held ~600 such texts, 19 MB (a heap snapshot).
    lsid: lsid === null ? null : ownCopy(lsid),
    sessionType: null,
    lseq: null,
    startTime: null,
    endTime: null,
    duration: null,
    externalKey: null,
    jumpGroup: null,
    jumpoint: null,
    primaryCustomer: null,
    primaryRep: null,
    fileTransferCount: null,
    fileMoveCount: null,
    fileDeleteCount: null,
    customAttributes: [],
    customers: [],
    reps: [],
    xml,
  };
  for (const c of session.children) {
    switch (c.name) {
      case 'session_type':
        header.sessionType = textOf(c);
        break;
      case 'lseq':
        header.lseq = textOf(c);
        break;
      case 'start_time':
        header.startTime = timeOf(c);
        break;
      case 'end_time':
        header.endTime = timeOf(c);
        break;
      case 'duration':
        header.duration = textOf(c);
        break;
      case 'external_key':
        header.externalKey = textOf(c);
        break;
      case 'jump_group':
        header.jumpGroup = { id: nonEmpty(c.attrs.id), type: nonEmpty(c.attrs.type), name: c.text.trim() };
        break;
      case 'jumpoint':
        header.jumpoint = { id: nonEmpty(c.attrs.id), name: c.text.trim() };
        break;
      case 'primary_customer':
        header.primaryCustomer = { gsnumber: nonEmpty(c.attrs.gsnumber), name: c.text.trim() };
        break;
      case 'primary_rep':
        header.primaryRep = { gsnumber: nonEmpty(c.attrs.gsnumber), id: nonEmpty(c.attrs.id), name: c.text.trim() };
        break;
      case 'file_transfer_count':
        header.fileTransferCount = parseUnsigned(c.text);
        break;
      case 'file_move_count':
        header.fileMoveCount = parseUnsigned(c.text);
        break;
      case 'file_delete_count':
        header.fileDeleteCount = parseUnsigned(c.text);
        break;
      case 'custom_attributes':
        for (const a of c.children) {
          if (a.name === 'custom_attribute') {
            header.customAttributes.push({ codeName: a.attrs.code_name ?? '', displayName: a.attrs.display_name ?? '', value: a.text.trim() });
          }
        }
        break;
      case 'customer_list':
        for (const p of c.children) if (p.name === 'customer') header.customers.push(buildParticipant('customer', p));
        break;
      case 'rep_list':
        for (const p of c.children) if (p.name === 'representative') header.reps.push(buildParticipant('representative', p));
        break;
    }
  }
  return header;
}

/** Values are kept as the appliance wrote them (trimmed): `Unknown`, or an IP with a port, included. */
function buildParticipant(kind: Participant['kind'], el: XmlElement): Participant {
  const p: Participant = {
    kind,
    gsnumber: el.attrs.gsnumber?.trim() ?? '',
    id: nonEmpty(el.attrs.id),
    username: null,
    displayName: null,
    publicIp: null,
    privateIp: null,
    hostname: null,
    os: null,
    sessionOwner: null,
    secondsInvolved: null,
  };
  for (const c of el.children) {
    switch (c.name) {
      case 'username':
        p.username = textOf(c);
        break;
      case 'display_name':
        p.displayName = textOf(c);
        break;
      case 'public_ip':
        p.publicIp = textOf(c);
        break;
      case 'private_ip':
        p.privateIp = textOf(c);
        break;
      case 'hostname':
        p.hostname = textOf(c);
        break;
      case 'os':
        p.os = textOf(c);
        break;
      case 'session_owner':
        p.sessionOwner = parseBoolean(c.text);
        break;
      case 'seconds_involved':
        p.secondsInvolved = parseUnsigned(c.text);
        break;
    }
  }
  return p;
}
