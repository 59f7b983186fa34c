import { isPlainXmlText, localName, nameEnd, readStartTag } from './xml-element.ts';

/** One element's XML text cut at its top level: its own attributes and each child element's text. */
export interface ElementParts {
  /** Attributes by local name, without namespace declarations (as parseElementXml keeps them). */
  attrs: Record<string, string>;
  /** Each child element's local name and its whole XML text, in document order. */
  children: { name: string; xml: string }[];
}

/**
 * One element's XML text (an event as the session store keeps it) cut at its top level, without
 * reading inside its children: the shipper reads each child on its own, and remembers what it
 * read, because PRA repeats the same `<destination>`, `<performed_by>` and `<data>` elements from
 * event to event.
 *
 * Only for what is plainly written, as parseElementXml's scanner reads it: a start tag it reads,
 * children separated by nothing but white space (the element has no text of its own), no comment,
 * CDATA section or processing instruction anywhere, and the matching end tag last. Anything else
 * returns null: the caller then reads the whole text with parseElementXml, as before. What is
 * inside each child is not checked here: reading a child's text with parseElementXml does that (it
 * throws on a child that is not well-formed, as it does on the whole).
 */
export function splitPlainElementXml(xml: string): ElementParts | null {
  if (xml.charCodeAt(0) !== 0x3c /* < */) return null;
  const root = readStartTag(xml, 0);
  if (root === null || root.selfClosing || !isPlainXmlText(xml.slice(0, root.next))) return null;
  const children: ElementParts['children'] = [];
  const n = xml.length;
  let i = root.next;
  for (;;) {
    i = skipSpace(xml, i);
    if (i >= n || xml.charCodeAt(i) !== 0x3c) return null; // text of its own, or no end tag
    if (xml.charCodeAt(i + 1) === 0x2f /* / */) {
      // The element's end tag, then nothing else.
      const close = `</${root.qname}`;
      if (!xml.startsWith(close, i)) return null;
      const after = skipSpace(xml, i + close.length);
      return xml.charCodeAt(after) === 0x3e && after + 1 === n ? { attrs: root.attrs, children } : null;
    }
    const end = childEnd(xml, i);
    if (end === -1) return null;
    const nameAt = nameEnd(xml, i + 1);
    if (nameAt === i + 1) return null;
    children.push({ name: localName(xml.slice(i + 1, nameAt)), xml: xml.slice(i, end) });
    i = end;
  }
}

function skipSpace(xml: string, i: number): number {
  for (let c = xml.charCodeAt(i); c === 0x20 || c === 0x0a || c === 0x09; c = xml.charCodeAt(++i));
  return i;
}

/**
 * The index just after the element that starts at `i` (a start tag), found by counting start and
 * end tags (quoted attribute values skipped); -1 at a comment, CDATA section, processing
 * instruction or declaration (a `<` inside one would miscount), or when the text ends first.
 */
function childEnd(xml: string, i: number): number {
  let depth = 0;
  for (;;) {
    const c = xml.charCodeAt(i + 1);
    if (c === 0x21 /* ! */ || c === 0x3f /* ? */) return -1;
    if (c === 0x2f /* / */) {
      const gt = xml.indexOf('>', i);
      if (gt === -1) return -1;
      depth--;
      i = gt + 1;
    } else {
      // A start tag: to its `>`, past quoted values (which may hold `>` and `/`).
      let j = i + 1;
      for (;;) {
        const q = xml.charCodeAt(j);
        if (Number.isNaN(q)) return -1;
        if (q === 0x22 || q === 0x27) {
          const close = xml.indexOf(q === 0x22 ? '"' : "'", j + 1);
          if (close === -1) return -1;
          j = close + 1;
        } else if (q === 0x3e) break;
        else j++;
      }
      if (xml.charCodeAt(j - 1) !== 0x2f /* / */) depth++;
      i = j + 1;
    }
    if (depth === 0) return i;
    i = xml.indexOf('<', i);
    if (i === -1) return -1;
  }
}
