// XML 1.0 escaping. XML 1.0 cannot carry most C0 control characters, U+FFFE/U+FFFF or lone
// surrogates at all, not even as character references; that is why the appliance sends an event body
// holding them as <encoded_body> (base64). Anywhere else such a character is replaced by U+FFFD.

// eslint-disable-next-line no-control-regex
const NOT_XML = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// eslint-disable-next-line no-control-regex
const NOT_XML_ALL = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** True when `text` holds a character that XML 1.0 cannot represent. */
export function needsEncoding(text: string): boolean {
  return NOT_XML.test(text);
}

export function escapeText(text: string): string {
  return text.replace(NOT_XML_ALL, '\uFFFD').replace(/[&<>]/g, (c) => (c === '&' ? '&amp;' : c === '<' ? '&lt;' : '&gt;'));
}

/** For double-quoted attributes; tabs and line breaks become references so parsers keep them. */
export function escapeAttr(text: string): string {
  return text.replace(NOT_XML_ALL, '\uFFFD').replace(/[&<>"\t\n\r]/g, (c) => ATTR_REFS[c] ?? c);
}

const ATTR_REFS: Record<string, string> = {
  '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;',
};

/** `<name a="…">text</name>`; attribute values are escaped, `text` too. */
export function el(name: string, attrs: Record<string, string | number> | null, text: string): string {
  return `<${name}${attrString(attrs)}>${escapeText(text)}</${name}>`;
}

export function attrString(attrs: Record<string, string | number> | null): string {
  if (!attrs) return '';
  let out = '';
  for (const [k, v] of Object.entries(attrs)) out += ` ${k}="${escapeAttr(String(v))}"`;
  return out;
}
