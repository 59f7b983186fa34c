/**
 * The shipper's way of writing an event's `message`: the same text as `message.ts` builds
 * (`encodeMessage(buildMessage(…))`, the collector's JSON), written directly from the event's XML
 * tree, without building the JSON object first.
 *
 * `message.ts` is the definition: it spells out the collector's rules on plain objects, and is what
 * the tests and `buildDocument` use. This module follows the same rules, step by step, on lists of
 * `"key":value` texts, because building, sorting and serialising an object per element, then
 * escaping the result twice, was most of the shipper's CPU (it runs for every shipped event). A
 * unit test holds the two equal on corpora and on random trees built to hit every rule (repeated
 * and plural elements, integers, attributes named like children, Go's escapes, non-BMP keys,
 * participants, IPs).
 *
 * What the events of one session share (the `session` value, the participants) is written once per
 * session ({@link prepareSessionText}) and reused for all of them.
 */
import type { SessionEvent } from '../pra/report-types.ts';
import { splitPlainElementXml } from '../pra/xml-children.ts';
import { parseElementXml, type XmlElement } from '../pra/xml-element.ts';
import { compareUtf8, normalizeIp, type MessageOptions, type MessageSession } from './message.ts';
import { childShape, EVENT_SHAPE, SESSION_SHAPE, type XsdNode } from './xsd-shape.ts';

/**
 * One key of an object being written, with its value as encoded JSON text (Go escapes applied),
 * itself escaped as the inside of a JSON string: the form it takes in the document, whose `message`
 * is a string. Written in that form directly, the message is never escaped as a whole.
 */
interface Entry {
  key: string;
  /** The value's encoded text, escaped for the inside of a JSON string. */
  text: string;
  /** The value when it is a string (undefined for numbers, objects, arrays). */
  raw: string | undefined;
  /** The value's own entries when it is one object (what `performed_by` / `destination` are enriched from). */
  object: Entry[] | undefined;
  /** When the value is an array: each item's entries (undefined for an item that is not an object). */
  items?: (Entry[] | undefined)[];
}

/** A participant (`representative` / `customer` of the session) as entries, its `gsnumber` apart (when a string). */
interface Participant {
  gsnumber: string | undefined;
  entries: Entry[];
}

/** What every message of one session shares, written once for its events. */
export interface SessionText {
  /** The `session` value as encoded JSON text, escaped as the inside of a JSON string. */
  readonly sessionJsonQuoted: string;
  readonly reps: readonly Participant[];
  readonly customers: readonly Participant[];
  /** Enriched participants by their own text (a session's events name the same few again and again). */
  readonly enriched: Map<string, string>;
  /** Its events' children read so far, by their XML text (see eventChildEntry). */
  readonly children: Map<string, Entry>;
}

/**
 * Reads a session's shared parts (message.ts's sessionParts): the `session` value without its
 * lists and details, and its participants. Throws like `buildMessage` when no lsid can be given.
 */
export function prepareSessionText(header: MessageSession, options: MessageOptions = {}): SessionText {
  const value = elementValue(header.tree, SESSION_SHAPE);
  const entries = typeof value === 'string' ? (value === '' ? [] : [stringEntry('#text', value)]) : value;
  const reps = participants(find(entries, 'rep_list'), 'representative');
  const customers = participants(find(entries, 'customer_list'), 'customer');
  for (const key of DROPPED_SESSION_KEYS) remove(entries, key);
  // Deliberate difference (c) of message.ts: session.lsid always present.
  const own = find(entries, 'lsid')?.raw;
  if (own === undefined || own.trim() === '') {
    const synthetic = options.syntheticLsid;
    if (synthetic === undefined || synthetic.trim() === '') {
      throw new TypeError('buildMessage: this session has no lsid attribute, so a stable synthesized one must be passed as options.syntheticLsid.');
    }
    set(entries, stringEntry('lsid', synthetic));
  }
  return { sessionJsonQuoted: objectText(entries), reps, customers, enriched: new Map(), children: new Map() };
}

const DROPPED_SESSION_KEYS = ['customer_list', 'rep_list', 'session_details'] as const;

/** The `representative` / `customer` objects of a `rep_list` / `customer_list` (message.ts's participants). */
function participants(list: Entry | undefined, name: string): Participant[] {
  const entry = list?.object === undefined ? undefined : find(list.object, name);
  if (entry === undefined) return [];
  const objects = entry.items ?? [entry.object];
  const out: Participant[] = [];
  for (const entries of objects) if (entries !== undefined) out.push({ gsnumber: find(entries, 'gsnumber')?.raw, entries });
  return out;
}

/**
 * The event's message as a JSON string's inside, in two parts: before and after the session's
 * quoted text (`before + session.sessionJsonQuoted + after` is `JSON.stringify(message)` without its
 * quotes), so that the session's part, most of the bytes, is copied rather than written per event.
 */
export function quotedEventMessageParts(session: SessionText, event: SessionEvent): [string, string] {
  const value = eventValue(event.xml, session.children);
  // An <event> always carries attributes, so it is an object; the collector would fail on a
  // bare-text event, we keep its text (as message.ts does).
  const entries = typeof value === 'string' ? (value === '' ? [] : [stringEntry('#text', value)]) : value;
  // Deliberate difference (d) of message.ts: Unix seconds → ISO 8601.
  const timestamp = find(entries, 'timestamp');
  if (timestamp !== undefined && timestamp.raw !== undefined && UNIX_SECONDS.test(timestamp.raw.trim())) {
    const iso = new Date(Number(timestamp.raw.trim()) * 1000).toISOString().replace('.000Z', 'Z');
    set(entries, stringEntry('timestamp', iso));
  }
  for (const key of ENRICHED_KEYS) {
    const own = find(entries, key);
    if (own !== undefined && own.object !== undefined) set(entries, { key, text: enriched(session, own), raw: undefined, object: undefined });
  }
  set(entries, { key: 'session', text: '', raw: undefined, object: undefined }); // its text is the session's, written apart
  sortEntries(entries);
  let before = '{';
  let after = '';
  let past = false;
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    const piece = `${i === 0 ? '' : ','}${keyText(e.key)}:`;
    if (e.key === 'session') {
      before += piece;
      past = true;
    } else if (past) after += piece + e.text;
    else before += piece + e.text;
  }
  return [before, `${after}}`];
}

/** `encodeMessage(buildMessage(header, event))` for a prepared session (tests compare the two). */
export function eventMessageText(session: SessionText, event: SessionEvent): string {
  return JSON.parse(`"${quotedEventMessageParts(session, event).join(session.sessionJsonQuoted)}"`) as string;
}

const ENRICHED_KEYS = ['performed_by', 'destination'] as const;
const IP_KEYS = ['public_ip', 'private_ip'] as const;
const UNIX_SECONDS = /^\d{1,12}$/;

/**
 * An event's value (elementValue of its tree, under EVENT_SHAPE), its children read one by one and
 * remembered by their text in its session's `children`: most of them repeat from event to event (a
 * session's participants as `destination` / `performed_by`, the same few `<data>` values), so most
 * events only read their own start tag. An event not plainly written is read whole, as before.
 */
function eventValue(xml: string, children: Map<string, Entry>): Entry[] | string {
  const parts = splitPlainElementXml(xml);
  if (parts === null) return elementValue(parseElementXml(xml), EVENT_SHAPE);
  const entries = childGroups(parts.children, EVENT_SHAPE, (child, node) => eventChildEntry(children, child.name, child.xml, node));
  // Attributes win over children of the same name; the event has no text of its own.
  for (const name of Object.keys(parts.attrs)) set(entries, stringEntry(name, parts.attrs[name]!));
  return entries.length === 0 ? '' : entries;
}

/**
 * Children of events are remembered per session, not for the whole process: what is remembered
 * lives as long as the batch that reads the session (outbox-batches.ts), and dies young. A cache
 * for the process lived in V8's old generation: the young entries it held (and, once emptied, its
 * stale table still pointed at) survived the young-generation collector, were promoted, and were
 * left for a full collection to sweep (~20 MB per run of bench phase 5). Bounded in count and in the
 * size of what is kept: a long chat message is read each time.
 */
const EVENT_CHILDREN = { entries: 512, chars: 1024 };
/**
 * Lookups and hits per child name. Some children are never the same twice (a file's `filesize`,
 * `files`, `system_information`: 0-15 % hits in the benchmark's corpus, against ~90 % for
 * `performed_by`): remembering them only costs. After MIN_LOOKUPS, a name found in fewer than a
 * quarter of its lookups is read each time; every RETRY_CALLS children of that name its counts
 * start again, so that a name gets another chance when the events change.
 */
const childStats = new Map<string, { calls: number; lookups: number; hits: number }>();
const MIN_LOOKUPS = 256;
const RETRY_CALLS = 4096;

function eventChildEntry(children: Map<string, Entry>, name: string, xml: string, node: XsdNode | undefined): Entry {
  let stats = childStats.get(name);
  if (stats === undefined) {
    if (childStats.size >= 256) childStats.clear(); // the XSD names a few dozen
    childStats.set(name, (stats = { calls: 0, lookups: 0, hits: 0 }));
  }
  if (++stats.calls > RETRY_CALLS) {
    stats.calls = 1;
    stats.lookups = 0;
    stats.hits = 0;
  }
  const remembered = stats.lookups < MIN_LOOKUPS || stats.hits * 4 >= stats.lookups;
  if (remembered) {
    stats.lookups++;
    const hit = children.get(xml);
    if (hit !== undefined) {
      stats.hits++;
      return hit;
    }
  }
  const entry = childEntry(name, parseElementXml(xml), node);
  if (remembered && xml.length <= EVENT_CHILDREN.chars && children.size < EVENT_CHILDREN.entries) children.set(xml, entry);
  return entry;
}

/**
 * An element's children as entries, one per name in the order names first occur: the child's own,
 * or an array of all the children of that name (repeated, or plural in the XSD).
 */
function childGroups<C extends { name: string }>(children: readonly C[], shape: XsdNode | undefined, entryOf: (child: C, node: XsdNode | undefined) => Entry): Entry[] {
  const entries: Entry[] = [];
  for (let i = 0; i < children.length; i++) {
    const name = children[i]!.name;
    if (find(entries, name) !== undefined) continue; // this name's group was written with its first element
    const node = childShape(shape, name);
    let first: Entry | null = null;
    let all: Entry[] | null = null;
    for (let j = i; j < children.length; j++) {
      if (children[j]!.name !== name) continue;
      const entry = entryOf(children[j]!, node);
      if (first === null) first = entry;
      else (all ??= [first]).push(entry);
    }
    entries.push(grouped(name, first!, all, node));
  }
  return entries;
}

/** The entry of a child name: its one element's, or an array of all of them (repeated, or plural in the XSD). */
function grouped(name: string, first: Entry, all: Entry[] | null, node: XsdNode | undefined): Entry {
  if (all === null && node?.plural !== true) return first;
  const items = all ?? [first];
  return { key: name, text: `[${items.map((e) => e.text).join(',')}]`, raw: undefined, object: undefined, items: items.map((e) => e.object) };
}

/**
 * `elementToJson(el, shape)` of message.ts: the element's trimmed text when it has neither
 * attributes nor children, else its entries (unsorted: sorted when written).
 */
function elementValue(el: XmlElement, shape: XsdNode | undefined): Entry[] | string {
  const entries = childGroups(el.children, shape, (child, node) => childEntry(child.name, child, node));
  // Attributes win over children of the same name.
  const attrs = el.attrs;
  for (const name of Object.keys(attrs)) set(entries, stringEntry(name, attrs[name]!));
  const text = goTrimSpace(el.text);
  if (entries.length === 0) return text;
  if (text !== '') set(entries, stringEntry('#text', text));
  return entries;
}

function childEntry(key: string, child: XmlElement, node: XsdNode | undefined): Entry {
  const value = elementValue(child, node);
  if (typeof value !== 'string') return { key, text: objectText(value), raw: undefined, object: value };
  if (node?.integer === true) {
    const number = integerText(value);
    if (number !== null) return { key, text: number, raw: undefined, object: undefined };
  }
  return stringEntry(key, value);
}

function stringEntry(key: string, value: string): Entry {
  return { key, text: stringText(value), raw: value, object: undefined };
}

function find(entries: Entry[], key: string): Entry | undefined {
  for (let i = 0; i < entries.length; i++) if (entries[i]!.key === key) return entries[i];
  return undefined;
}

/** Sets or replaces the entry of `entry.key` (a Map's `set`). */
function set(entries: Entry[], entry: Entry) {
  for (let i = 0; i < entries.length; i++) {
    if (entries[i]!.key === entry.key) {
      entries[i] = entry;
      return;
    }
  }
  entries.push(entry);
}

function remove(entries: Entry[], key: string) {
  for (let i = 0; i < entries.length; i++) {
    if (entries[i]!.key === key) {
      entries.splice(i, 1);
      return;
    }
  }
}

/** Keys in UTF-8 byte order, as message.ts's sortedObject (UTF-16 order is the same below U+D800). */
function sortEntries(entries: Entry[]) {
  let beyond = false;
  for (let i = 0; i < entries.length; i++) if (SURROGATE_OR_ABOVE.test(entries[i]!.key)) beyond = true;
  // An insertion sort: an object has a few keys (an event ~5, the largest a session's ~25), often
  // already in order, where Array.prototype.sort's general machinery and comparator calls cost
  // more than the comparisons (keys are distinct, so the order is the same as a stable sort's).
  for (let i = 1; i < entries.length; i++) {
    const entry = entries[i]!;
    const key = entry.key;
    let j = i - 1;
    while (j >= 0 && (beyond ? compareUtf8(entries[j]!.key, key) > 0 : entries[j]!.key > key)) {
      entries[j + 1] = entries[j]!;
      j--;
    }
    entries[j + 1] = entry;
  }
}

const SURROGATE_OR_ABOVE = /[\ud800-\uffff]/;

function objectText(entries: Entry[]): string {
  sortEntries(entries);
  let out = '{';
  for (let i = 0; i < entries.length; i++) out += `${i === 0 ? '' : ','}${keyText(entries[i]!.key)}:${entries[i]!.text}`;
  return `${out}}`;
}

/** Keys repeat across events (a few dozen names): their text is kept. */
const keyTexts = new Map<string, string>();
function keyText(key: string): string {
  let text = keyTexts.get(key);
  if (text === undefined) {
    text = stringText(key);
    if (keyTexts.size < 4096) keyTexts.set(key, text);
  }
  return text;
}

/**
 * A string as `encodeMessage` writes it (JSON, with Go's escapes of `<` `>` `&` U+2028 U+2029),
 * escaped for the inside of a JSON string. Most values need no escape at all: `\"value\"`.
 */
function stringText(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return `\\"${value}\\"`;
  // Only Go's own escapes (`&` of every URL the appliance writes, `<`, `>`): each is `\u00XX` in
  // the message, so `\\u00XX` inside the document's string; no need to encode the value twice.
  if (!NEEDS_JSON_ESCAPE.test(value)) return `\\"${value.replace(GO_ESCAPED_ASCII, goEscapeQuoted)}\\"`;
  return quotedInside(JSON.stringify(value).replace(GO_ESCAPED, goEscape));
}

// eslint-disable-next-line no-control-regex -- control characters are what JSON escapes
const NEEDS_JSON_ESCAPE = /["\\\0-\x1f\u2028\u2029\ud800-\udfff]/;
const GO_ESCAPED_ASCII = /[<>&]/g;
function goEscapeQuoted(char: string): string {
  return `\\\\u00${char.charCodeAt(0).toString(16)}`;
}

// eslint-disable-next-line no-control-regex -- control characters are what JSON escapes
const NEEDS_ESCAPE = /["\\\0-\x1f<>&\u2028\u2029\ud800-\udfff]/;
const GO_ESCAPED = /[<>&\u2028\u2029]/g;
function goEscape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
}

/** message.ts's toInteger, as text: Go's ParseInt (sign, digits, int64 range) → a JSON number; else null. */
function integerText(text: string): string | null {
  if (!INTEGER.test(text)) return null;
  // Up to 15 digits a double is exact; beyond, the int64 range is checked as message.ts does.
  if (text.length <= 15) return String(Number(text));
  const n = BigInt(text);
  if (n < INT64_MIN || n > INT64_MAX) return null;
  return String(Number(n));
}

const INTEGER = /^[+-]?[0-9]+$/;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** `JSON.stringify(text)` without its quotes. */
function quotedInside(text: string): string {
  const quoted = JSON.stringify(text);
  return quoted.slice(1, quoted.length - 1);
}

/** message.ts's enrichParticipant, on entries, remembered per session by the element's own text (its events name the same few participants again and again). */
function enriched(session: SessionText, own: Entry): string {
  const hit = session.enriched.get(own.text);
  if (hit !== undefined) return hit;
  const entries = own.object!.slice();
  const gsnumber = find(entries, 'gsnumber')?.raw;
  const pool = find(entries, 'type')?.raw === 'representative' ? session.reps : session.customers;
  const match = gsnumber !== undefined ? pool.find((p) => p.gsnumber === gsnumber) : undefined;
  if (match !== undefined) for (const e of match.entries) set(entries, e);
  for (const key of IP_KEYS) {
    const value = find(entries, key);
    if (value === undefined || value.raw === undefined) continue;
    const ip = normalizeIp(value.raw);
    if (ip === null) remove(entries, key);
    else set(entries, stringEntry(key, ip));
  }
  const text = objectText(entries);
  // Bounded: a long session with many distinct participants keeps its first ones.
  if (session.enriched.size < 256) session.enriched.set(own.text, text);
  return text;
}

/** Go's `bytes.TrimSpace` (message.ts's goTrimSpace). */
function goTrimSpace(text: string): string {
  if (text === '') return text;
  // Most texts start and end with a printable ASCII character: nothing to trim, no regular expression run.
  const first = text.charCodeAt(0);
  const last = text.charCodeAt(text.length - 1);
  if (first > 0x20 && first < 0x7f && last > 0x20 && last < 0x7f) return text;
  return text.replace(GO_SPACE_EDGES, '');
}

const GO_SPACE = '\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const GO_SPACE_EDGES = new RegExp(`^[${GO_SPACE}]+|[${GO_SPACE}]+$`, 'g');
