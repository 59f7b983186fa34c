import { SaxesParser } from 'saxes';

/**
 * A namespace-free XML element as the report parser keeps it.
 *
 * A session header is parsed into this small tree (never the whole document), and an event is kept
 * as its XML text and read into one on demand ({@link parseElementXml}), so that Elastic's
 * `message` can be rebuilt later from what the session store holds, without asking the appliance
 * again.
 */
export interface XmlElement {
  /** Local name: any namespace prefix is dropped (PRA changed its namespace between versions). */
  name: string;
  /** Attributes by local name (`xmlns` declarations are not kept). */
  attrs: Record<string, string>;
  /** Child elements in document order. */
  children: XmlElement[];
  /** Character data directly inside this element (CDATA included), concatenated, untrimmed. */
  text: string;
}

export function localName(qname: string): string {
  const colon = qname.indexOf(':');
  return colon === -1 ? qname : qname.slice(colon + 1);
}

export function makeElement(name: string, attributes: Record<string, string>): XmlElement {
  return { name, attrs: copyAttrs(attributes), children: [], text: '' };
}

/** Attributes by local name, without namespace declarations, in a plain object. */
export function copyAttrs(src: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key in src) {
    const colon = key.indexOf(':');
    if (colon === -1) {
      if (key !== 'xmlns') out[key] = src[key]!;
    } else if (!key.startsWith('xmlns:')) {
      out[key.slice(colon + 1)] = src[key]!;
    }
  }
  return out;
}

/**
 * The tree of one element's XML text (an event as the session store keeps it), read the way the
 * report parser reads a document: local names, no `xmlns` attributes, entities resolved, CDATA
 * merged into the text, comments and processing instructions dropped. Throws on text that is not
 * one well-formed element.
 *
 * The shipper reads every event (and session header) it sends this way. Most are plain (tags,
 * quoted attributes, text, the five named entities): those are read by a small scanner
 * ({@link parsePlainElementXml}), several times faster than a saxes parser per event. Anything else
 * (comments, CDATA, character references, carriage returns, names beyond ASCII, text that is not
 * well-formed…) is read by saxes, as before: the scanner gives up rather than guess, so the tree is
 * the same either way (a unit test compares the two).
 */
export function parseElementXml(xml: string): XmlElement {
  return parsePlainElementXml(xml) ?? parseElementXmlWithSaxes(xml);
}

/** {@link parseElementXml} by saxes, whatever the text holds. */
export function parseElementXmlWithSaxes(xml: string): XmlElement {
  const parser = new SaxesParser({ xmlns: false, fragment: false });
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  const onText = (text: string) => {
    if (stack.length !== 0) stack[stack.length - 1]!.text += text;
  };
  parser.on('opentag', (tag) => {
    const el = makeElement(localName(tag.name), tag.attributes);
    if (stack.length === 0) root = el;
    else stack[stack.length - 1]!.children.push(el);
    stack.push(el);
  });
  parser.on('closetag', () => {
    stack.pop();
  });
  parser.on('text', onText);
  parser.on('cdata', onText);
  parser.write(xml).close();
  if (root === null) throw new Error('not an XML element');
  return root;
}

/**
 * Anything the plain scanner leaves to saxes: what saxes normalises or checks in ways the scanner
 * does not (carriage returns, characters XML forbids, `]]>`), and what it does not read at all
 * (comments, CDATA, processing instructions, declarations, character references).
 */
// eslint-disable-next-line no-control-regex -- control characters are what it looks for
const NOT_PLAIN = /[\r\0-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]|<[!?]|\]\]>|&#/;
/** The named entities XML predefines (all saxes knows without a DTD). */
const ENTITIES = new Map([['amp', '&'], ['lt', '<'], ['gt', '>'], ['quot', '"'], ['apos', "'"]]);

/** Character classes of ASCII names: 1 = may start a name, 2 = may continue one. */
const NAME_CHAR = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (/[:A-Z_a-z]/.test(ch)) NAME_CHAR[c] = 3;
  else if (/[-.0-9]/.test(ch)) NAME_CHAR[c] = 2;
}

/** The index just after the ASCII XML name at `at` (`at` itself when none starts there). */
export function nameEnd(xml: string, at: number): number {
  const first = xml.charCodeAt(at);
  if (!(first < 128 && (NAME_CHAR[first]! & 1) !== 0)) return at;
  let i = at + 1;
  for (let c = xml.charCodeAt(i); c < 128 && (NAME_CHAR[c]! & 2) !== 0; c = xml.charCodeAt(++i));
  return i;
}

/** XML white space (a carriage return never gets here). */
function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x09;
}

/** Named entities resolved; null when the text holds any other `&` (saxes decides what it is). */
function resolveEntities(text: string): string | null {
  let amp = text.indexOf('&');
  if (amp === -1) return text;
  let out = '';
  let from = 0;
  while (amp !== -1) {
    const semi = text.indexOf(';', amp + 1);
    if (semi === -1) return null;
    const value = ENTITIES.get(text.slice(amp + 1, semi));
    if (value === undefined) return null;
    out += text.slice(from, amp) + value;
    from = semi + 1;
    amp = text.indexOf('&', from);
  }
  return out + text.slice(from);
}

/**
 * {@link parseElementXml} for plain XML text, without saxes; null when the text holds anything
 * beyond that (see NOT_PLAIN, and any tag not written the usual way), for saxes to read.
 */
export function parsePlainElementXml(xml: string): XmlElement | null {
  if (xml.charCodeAt(0) !== 0x3c /* < */ || NOT_PLAIN.test(xml)) return null;
  const n = xml.length;
  const stack: XmlElement[] = [];
  const names: string[] = [];
  let root: XmlElement | null = null;
  let i = 0; // at a '<'
  for (;;) {
    if (xml.charCodeAt(i + 1) === 0x2f /* / */) {
      const end = nameEnd(xml, i + 2);
      if (end === i + 2 || names.pop() !== xml.slice(i + 2, end)) return null;
      let j = end;
      while (isSpace(xml.charCodeAt(j))) j++;
      if (xml.charCodeAt(j) !== 0x3e /* > */) return null;
      stack.pop();
      i = j + 1;
    } else {
      const tag = readStartTag(xml, i);
      if (tag === null) return null;
      const { qname, attrs, selfClosing } = tag;
      const j = tag.next;
      const el: XmlElement = { name: localName(qname), attrs, children: [], text: '' };
      if (root === null) root = el;
      else if (stack.length === 0) return null; // a second root
      else stack[stack.length - 1]!.children.push(el);
      if (!selfClosing) {
        stack.push(el);
        names.push(qname);
      }
      i = j;
    }
    if (stack.length === 0) return i === n ? root : null;
    const next = xml.indexOf('<', i);
    if (next === -1) return null;
    if (next > i) {
      const text = resolveEntities(xml.slice(i, next));
      if (text === null) return null;
      stack[stack.length - 1]!.text += text;
    }
    i = next;
  }
}

/** A start tag as {@link parsePlainElementXml} reads it: its qualified name, its attributes (by local name, without namespace declarations), whether it closes itself, and where it ends. */
export interface StartTag {
  qname: string;
  attrs: Record<string, string>;
  selfClosing: boolean;
  /** The index just after its `>`. */
  next: number;
}

/**
 * The start tag at `i` (a `<` followed by a name) in plain XML text (the caller checked it against
 * NOT_PLAIN); null when it is not written the usual way, for saxes to read.
 */
export function readStartTag(xml: string, i: number): StartTag | null {
  const end = nameEnd(xml, i + 1);
  if (end === i + 1) return null;
  const qname = xml.slice(i + 1, end);
  // As copyAttrs keeps them: by local name, without namespace declarations.
  const attrs: Record<string, string> = {};
  let rawNames: string[] | null = null;
  let selfClosing = false;
  let j = end;
  for (;;) {
    let c = xml.charCodeAt(j);
    if (c === 0x3e /* > */) {
      j++;
      break;
    }
    if (c === 0x2f /* / */) {
      if (xml.charCodeAt(j + 1) !== 0x3e) return null;
      selfClosing = true;
      j += 2;
      break;
    }
    // Attributes are separated from the name and from each other by white space.
    if (!isSpace(c)) return null;
    while (isSpace(xml.charCodeAt(j))) j++;
    c = xml.charCodeAt(j);
    if (c === 0x3e || c === 0x2f) continue;
    const nameAt = j;
    j = nameEnd(xml, j);
    if (j === nameAt) return null;
    const name = xml.slice(nameAt, j);
    while (isSpace(xml.charCodeAt(j))) j++;
    if (xml.charCodeAt(j) !== 0x3d /* = */) return null;
    j++;
    while (isSpace(xml.charCodeAt(j))) j++;
    const quote = xml.charCodeAt(j);
    if (quote !== 0x22 && quote !== 0x27) return null;
    const close = xml.indexOf(quote === 0x22 ? '"' : "'", j + 1);
    if (close === -1) return null;
    const raw = xml.slice(j + 1, close);
    if (raw.includes('<')) return null;
    // Attribute-value normalisation: each white space character written as is becomes a space.
    const value = resolveEntities(raw.replace(ATTRIBUTE_SPACE, ' '));
    if (value === null) return null;
    // saxes refuses an attribute given twice.
    if (rawNames === null) rawNames = [name];
    else if (rawNames.includes(name)) return null;
    else rawNames.push(name);
    const colon = name.indexOf(':');
    if (colon === -1) {
      if (name !== 'xmlns') attrs[name] = value;
    } else if (!name.startsWith('xmlns:')) {
      const local = name.slice(colon + 1);
      // Assigning `__proto__` would not make a key: saxes and copyAttrs are left to decide.
      if (local === '__proto__') return null;
      attrs[local] = value;
    }
    j = close + 1;
  }
  return { qname, attrs, selfClosing, next: j };
}

/** Whether text holds nothing the plain scanner leaves to saxes (see NOT_PLAIN). */
export function isPlainXmlText(text: string): boolean {
  return !NOT_PLAIN.test(text);
}

const ATTRIBUTE_SPACE = /[\n\t]/g;

/**
 * XML text of a tree; {@link parseElementXml} reads it back to an equal tree. The tree keeps an
 * element's own text apart from its children, so the text is written first: where it sat between
 * the children is not part of the tree.
 */
export function elementToXml(el: XmlElement): string {
  let out = openTagXml(el.name, el.attrs, false);
  out += escapeXml(el.text, false);
  for (const child of el.children) out += elementToXml(child);
  return `${out}</${el.name}>`;
}

/** A start tag written again from what saxes read: the qualified name and every attribute as given (entities escaped). */
export function openTagXml(qname: string, attributes: Record<string, string>, selfClosing: boolean): string {
  let out = `<${qname}`;
  for (const key in attributes) out += ` ${key}="${escapeXml(attributes[key]!, true)}"`;
  return selfClosing ? `${out}/>` : `${out}>`;
}

function escapeXml(text: string, attribute: boolean): string {
  // Carriage returns, tabs and newlines are character references, or the reader would normalise them.
  const pattern = attribute ? /[&<>"\r\n\t]/g : /[&<>\r]/g;
  return text.replace(pattern, (c) => ESCAPES[c]!);
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\r': '&#13;', '\n': '&#10;', '\t': '&#9;' };
