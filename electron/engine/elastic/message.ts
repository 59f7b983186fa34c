/**
 * The `message` of one Elasticsearch document: the JSON text Elastic's own collector (the CEL input
 * of the `beyondtrust_pra` integration, data stream `access_session`) would have sent for one
 * `<session_details>/<event>`, so that the integration's ingest pipeline and dashboard work on our
 * documents unchanged.
 *
 * How the collector builds it (read in the integration's `input.yml.hbs` and in mito's
 * `lib/xml/xml.go` and `lib/json.go`, checked against `mock-response.message.json`):
 * 1. The report is decoded to a JSON-like tree (mito `decode_xml` with the integration's XSD):
 *    - an element's attributes become plain keys (local names), its child elements become keys;
 *    - an element with neither attributes nor child elements becomes its text, a string (an empty
 *      element becomes `""`);
 *    - text next to attributes or child elements goes under `#text`, unless it is empty;
 *    - text is trimmed (Go `bytes.TrimSpace`), so whitespace between child elements vanishes;
 *    - an element that repeats becomes an array; one declared repeating in the XSD is an array even
 *      when it occurs once; an element of integer XSD type becomes a number when its text parses
 *      (see `xsd-shape.ts`);
 *    - when an attribute and a child element share a name, the attribute wins (attributes are
 *      written last).
 * 2. For each event `e` of each session `j`, the message is `e` with three keys replaced:
 *    - `session`: `j` without `rep_list`, `customer_list` and `session_details`;
 *    - `performed_by`: its own keys merged with (overridden by) the representative (when its `type`
 *      is `representative`) or else the customer whose `gsnumber` equals its `gsnumber`;
 *    - `destination`: the same, except that with no match the collector takes the FIRST customer
 *      (see deliberate difference (a) below).
 * 3. The result is encoded with Go's `encoding/json`: object keys sorted (byte order), no spaces,
 *    and `<`, `>`, `&`, U+2028, U+2029 escaped as `\u003c`, `\u003e`, `\u0026`, `\u2028`, `\u2029`.
 *    {@link encodeMessage} reproduces that byte for byte.
 *
 * Deliberate differences from the collector (each one tested):
 * (a) A `destination` whose `gsnumber` matches no participant keeps only its own attributes/text.
 *     The collector falls back to the first customer, which labels system targets (`type="system"`,
 *     `gsnumber="0"`, e.g. "Pre-start Conference") and unknown participants as that customer: wrong
 *     user, host and IPs on the dashboard.
 * (b) `public_ip` / `private_ip` of `performed_by` and `destination` are normalised so that the
 *     pipeline's `convert … type: ip` succeeds: the port PRA appends is removed
 *     (`4.231.237.19:61606` → `4.231.237.19`, `[2a01:e34::1]:56722` → `2a01:e34::1`), and a value the
 *     appliance could not collect (`Unknown`, any case) or an empty one is dropped. As sent by the
 *     collector these values fail the conversion and turn the whole event into a `pipeline_error`
 *     (elastic/integrations#17558). Anything else that is not an IP is kept as is (the pipeline
 *     reports it; nothing is silently lost).
 * (c) `session.lsid` is always present: the `<session lsid="…">` attribute when the appliance sent
 *     one (the collector includes it too), otherwise a stable id the caller synthesizes and passes
 *     as {@link MessageOptions.syntheticLsid}. Without it, events of old appliances could not be
 *     tied to their session in Elasticsearch.
 * (d) The event's `timestamp` is sent as ISO 8601 (UTC) when the appliance wrote Unix seconds.
 *     Real PRA output carries `<event timestamp="1733239565">`, but the pipeline parses
 *     `json.timestamp` with `formats: [ISO8601]` only (processor tag `date_timestamp`): as sent by
 *     the collector, every real event gets an `error.message` and no
 *     `beyondtrust_pra.access_session.timestamp`. An ISO value (as in Elastic's mock) is kept as is.
 *
 * Not reproduced (collector defects that well-formed PRA output does not trigger; evidence in
 * mito's `walkXML`): the decoder keeps only the LAST piece of character data of an element (a
 * comment or CDATA section splits text into pieces) and lets a child's text leak into its parent's
 * `#text` when the parent's closing tag follows the child's without whitespace in between. We use
 * the element's whole own text, trimmed: identical for PRA's indented output.
 *
 * This module is the definition, on plain objects. The shipper writes the same text directly
 * (`message-text.ts`, held byte-equal to this one by its unit test), several times faster.
 */
import { isIP } from 'node:net';
import type { SessionEvent, SessionHeader } from '../pra/report-types.ts';
import { parseElementXml, type XmlElement } from '../pra/xml-element.ts';
import { childShape, EVENT_SHAPE, SESSION_SHAPE, type XsdNode } from './xsd-shape.ts';

export type JsonValue = string | number | JsonObject | JsonValue[];
export interface JsonObject {
  [key: string]: JsonValue;
}

export interface MessageOptions {
  /**
   * The session id to put in `session.lsid` when the `<session>` has no (or an empty) `lsid`
   * attribute. It must be stable for the session (same value on every re-fetch), so the caller
   * derives it from the session's own data. Required in that case; ignored otherwise.
   */
  syntheticLsid?: string;
}

/** Keys of the session that the collector drops from `message.session`. */
const DROPPED_SESSION_KEYS = ['customer_list', 'rep_list', 'session_details'] as const;
/** Keys of `performed_by` / `destination` that the pipeline converts to `ip` (deliberate difference (b)). */
const IP_KEYS = ['public_ip', 'private_ip'] as const;

/**
 * A session as its events' messages are built from it: with the tree of its header's XML text
 * (SessionHeader.xml), read once for all of them.
 */
export interface MessageSession {
  lsid: string | null;
  startTime: number | null;
  tree: XmlElement;
}

export function messageSession(header: Pick<SessionHeader, 'lsid' | 'startTime' | 'xml'>): MessageSession {
  return { lsid: header.lsid, startTime: header.startTime, tree: parseElementXml(header.xml) };
}

/**
 * Builds the message object of one event (keys in the collector's order). Serialize it with
 * {@link encodeMessage}. Throws a `TypeError` when the session has no `lsid` and no
 * `options.syntheticLsid` was given.
 */
export function buildMessage(header: MessageSession, event: SessionEvent, options: MessageOptions = {}): JsonObject {
  const prepared = sessionParts(header, options);
  const message = eventParts(event, prepared);
  message.set('session', prepared.session);
  return sortedObject(message);
}

function sessionParts(header: MessageSession, options: MessageOptions): { session: JsonObject; reps: JsonObject[]; customers: JsonObject[] } {
  const sessionValue = elementToJson(header.tree, SESSION_SHAPE);
  const sessionAll: JsonObject = isObject(sessionValue) ? sessionValue : textObject(sessionValue);
  const reps = participants(sessionAll.rep_list, 'representative');
  const customers = participants(sessionAll.customer_list, 'customer');

  const session = new Map(Object.entries(sessionAll));
  for (const key of DROPPED_SESSION_KEYS) session.delete(key);
  // Deliberate difference (c): session.lsid always present.
  const ownLsid = session.get('lsid');
  if (typeof ownLsid !== 'string' || ownLsid.trim() === '') {
    const synthetic = options.syntheticLsid;
    if (synthetic === undefined || synthetic.trim() === '') {
      throw new TypeError(
        'buildMessage: this session has no lsid attribute, so a stable synthesized one must be passed as options.syntheticLsid.',
      );
    }
    session.set('lsid', synthetic);
  }
  return { session: sortedObject(session), reps, customers };
}

/** The event's own keys, enriched, without `session`. */
function eventParts(event: SessionEvent, { reps, customers }: { reps: JsonObject[]; customers: JsonObject[] }): Map<string, JsonValue> {
  const eventValue = elementToJson(parseElementXml(event.xml), EVENT_SHAPE);
  // An <event> always carries attributes (timestamp, event_type), so it is an object; the
  // collector would fail on a bare-text event, we keep its text.
  const message = new Map(Object.entries(isObject(eventValue) ? eventValue : textObject(eventValue)));
  // Deliberate difference (d): Unix seconds → ISO 8601, the only format the pipeline's date processor reads.
  const timestamp = message.get('timestamp');
  if (typeof timestamp === 'string' && /^\d{1,12}$/.test(timestamp.trim())) {
    message.set('timestamp', new Date(Number(timestamp.trim()) * 1000).toISOString().replace('.000Z', 'Z'));
  }
  const performedBy = message.get('performed_by');
  if (performedBy !== undefined) message.set('performed_by', enrichParticipant(performedBy, reps, customers));
  const destination = message.get('destination');
  // Deliberate difference (a): enrichParticipant never falls back to the first customer.
  if (destination !== undefined) message.set('destination', enrichParticipant(destination, reps, customers));
  return message;
}

/**
 * The message as Go's `encoding/json` writes it (what the collector sends): compact, keys as built
 * (sorted), and `<` `>` `&` U+2028 U+2029 escaped. The escapes only change bytes, not values: the
 * pipeline's `json` processor reads both forms alike.
 */
export function encodeMessage(message: JsonObject): string {
  return JSON.stringify(message).replace(GO_ESCAPED, goEscape);
}

const GO_ESCAPED = /[<>&\u2028\u2029]/g;

function goEscape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/**
 * One element as mito's `decode_xml` renders it, given the element's own node in `xsd-shape.ts`
 * (which tells which children repeat and which are integers). Returns a string for an element with
 * neither attributes nor children, an object otherwise (keys sorted).
 */
export function elementToJson(el: XmlElement, shape: XsdNode | undefined): JsonValue {
  const part = new Map<string, JsonValue>();
  for (const child of el.children) {
    const node = childShape(shape, child.name);
    let add = elementToJson(child, node);
    if (node?.integer === true && typeof add === 'string') add = toInteger(add);
    const existing = part.get(child.name);
    if (existing === undefined) part.set(child.name, node?.plural === true ? [add] : add);
    else if (Array.isArray(existing)) existing.push(add);
    else part.set(child.name, [existing, add]);
  }
  for (const name of Object.keys(el.attrs)) part.set(name, el.attrs[name]!);
  const text = goTrimSpace(el.text);
  if (part.size === 0) return text;
  if (text !== '') part.set('#text', text);
  return sortedObject(part);
}

/**
 * Deliberate difference (b): an address as the pipeline's `ip` conversion accepts it, or null when
 * the key should be dropped (`Unknown`, empty). The port PRA appends is removed; a value that is
 * not an address with a port is returned unchanged.
 */
export function normalizeIp(value: string): string | null {
  const v = value.trim();
  if (v === '' || v.toLowerCase() === 'unknown') return null;
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(v);
  if (bracketed !== null) return isIP(bracketed[1]!) === 6 ? bracketed[1]! : v;
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(v);
  if (v4WithPort !== null && isIP(v4WithPort[1]!) === 4) return v4WithPort[1]!;
  return v;
}

// ---------------------------------------------------------------------------------------------

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && !Array.isArray(value);
}

function textObject(text: JsonValue): JsonObject {
  return text === '' ? {} : sortedObject(new Map([['#text', text]]));
}

/** The `customer` / `representative` entries of a `customer_list` / `rep_list` value. */
function participants(list: JsonValue | undefined, name: string): JsonObject[] {
  if (!isObject(list)) return []; // an empty list element decodes to "" (the collector would fail on it)
  const entries = list[name];
  if (entries === undefined) return [];
  return (Array.isArray(entries) ? entries : [entries]).filter(isObject);
}

/**
 * `performed_by` / `destination` merged with the participant whose `gsnumber` matches, searched
 * among the representatives when `type` is `representative`, else among the customers (as the
 * collector does); the participant's keys win. Without a match: the element's own keys only, for
 * both (deliberate difference (a)). IPs are then normalised (deliberate difference (b)).
 */
function enrichParticipant(own: JsonValue, reps: JsonObject[], customers: JsonObject[]): JsonValue {
  if (!isObject(own)) return own; // bare text or a repeated element: nothing to match on (the collector would fail)
  const gsnumber = own.gsnumber;
  const pool = own.type === 'representative' ? reps : customers;
  const match = typeof gsnumber === 'string' ? pool.find((p) => p.gsnumber === gsnumber) : undefined;
  const merged = new Map(Object.entries(own));
  if (match !== undefined) for (const key of Object.keys(match)) merged.set(key, match[key]!);
  for (const key of IP_KEYS) {
    const value = merged.get(key);
    if (typeof value !== 'string') continue;
    const ip = normalizeIp(value);
    if (ip === null) merged.delete(key);
    else merged.set(key, ip);
  }
  return sortedObject(merged);
}

/** Go's `strconv.ParseInt(s, 10, 64)`: optional sign, decimal digits, int64 range; else the string. */
function toInteger(text: string): JsonValue {
  if (!/^[+-]?[0-9]+$/.test(text)) return text;
  const n = BigInt(text);
  if (n < INT64_MIN || n > INT64_MAX) return text;
  return Number(n);
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** Go's `bytes.TrimSpace`: ASCII white space plus Unicode White_Space (U+0085 yes, U+FEFF no, unlike `String.trim`). */
function goTrimSpace(text: string): string {
  return text.replace(GO_SPACE_EDGES, '');
}

const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const GO_SPACE_EDGES = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, 'g');

/** A plain object with the keys in Go's `encoding/json` order (UTF-8 byte order). */
function sortedObject(entries: Map<string, JsonValue>): JsonObject {
  const out: JsonObject = {};
  const keys = [...entries.keys()];
  // Below U+D800 UTF-16 order is code point order, and the default sort is much faster (this runs
  // several times per shipped event).
  keys.sort(keys.some(beyondBmpStart) ? compareUtf8 : undefined);
  for (const key of keys) {
    // Assignment keeps the object fast (serialised right after); defineProperty only for `__proto__`,
    // which assignment would take as the prototype.
    if (key === '__proto__') Object.defineProperty(out, key, { value: entries.get(key)!, enumerable: true, writable: true, configurable: true });
    else out[key] = entries.get(key)!;
  }
  return out;
}

const SURROGATE_OR_ABOVE = /[\ud800-\uffff]/;
function beyondBmpStart(key: string): boolean {
  return SURROGATE_OR_ABOVE.test(key);
}

/** Compares strings by code point, which is UTF-8 byte order (UTF-16 unit order differs above U+FFFF). */
export function compareUtf8(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
    }
    return x - y;
  }
  return a.length - b.length;
}
