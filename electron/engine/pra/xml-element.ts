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
 */
export function parseElementXml(xml: string): XmlElement {
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
