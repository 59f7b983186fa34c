// A strict JSON reader that fails the way Elasticsearch's parser (Jackson, wrapped in XContent) fails:
// with a `[line:column] message` location and Jackson's wording, and with duplicate keys rejected
// (Elasticsearch turns on Jackson's STRICT_DUPLICATE_DETECTION, so `{"a":1,"a":2}` is an error, not
// "last one wins" as in JSON.parse). It also tells the caller whether anything follows the first value,
// which the bulk parser and the document parser both care about.
//
// Only what the simulator needs: positions are 1-based like Jackson's; the messages are Jackson's for the
// common cases (unexpected character, unrecognized token, unexpected end-of-input, duplicate field).

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface JsonParseError {
  line: number;
  column: number;
  /** Jackson's message, without the `[line:column]` prefix. */
  message: string;
}

export type JsonParseResult =
  | { ok: true; value: JsonValue; /** offset just after the first value */ end: number; /** non-blank text after it */ trailing: string | null }
  | { ok: false; error: JsonParseError };

class Failure extends Error {
  constructor(readonly at: number, message: string) {
    super(message);
  }
}

export function isJsonObject(v: JsonValue | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** `[line:col]` of a character offset in `text` (1-based, like Jackson's JsonLocation). */
export function locate(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

function describe(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  if (code < 32) return `(CTRL-CHAR, code ${code})`;
  return `'${ch}' (code ${code})`;
}

/** Parses the first JSON value of `text`; `trailing` reports what follows it (Jackson stops there too). */
export function parseJson(text: string): JsonParseResult {
  // Fast path (the simulator must index tens of thousands of documents a second, see the bench): the
  // engine's native JSON.parse accepts exactly the well-formed single values this reader accepts, except
  // that it lets a duplicate key win silently. So when it succeeds and no object of the text has a
  // duplicate key (the number of keys in the text equals the number in the result), its value is this
  // reader's value. Anything else (errors, trailing data, duplicates) takes the exact path below, which
  // produces Jackson's positions and messages.
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch {
    return parseJsonExactly(text);
  }
  if (typeof value === 'object' && value !== null && countKeysInText(text) !== countKeys(value)) return parseJsonExactly(text);
  return { ok: true, value, end: endOfValue(text), trailing: null };
}

/** Offset just after the value of a text JSON.parse accepted: before the trailing JSON white space. */
function endOfValue(text: string): number {
  let end = text.length;
  for (;;) {
    const c = text.charCodeAt(end - 1);
    if (c === 32 || c === 9 || c === 10 || c === 13) end--;
    else return end;
  }
}

/** Object keys in a well-formed JSON text: each `:` outside strings ends one (strings skipped whole). */
function countKeysInText(text: string): number {
  let keys = 0;
  let i = 0;
  for (;;) {
    const quote = text.indexOf('"', i);
    const colon = text.indexOf(':', i);
    if (colon < 0) return keys;
    if (quote < 0 || colon < quote) {
      keys++;
      i = colon + 1;
      continue;
    }
    // Skip the string that opens at `quote`: its end is the next `"` not escaped by an odd run of `\`.
    let close = quote;
    for (;;) {
      close = text.indexOf('"', close + 1);
      let backslashes = 0;
      while (text.charCodeAt(close - 1 - backslashes) === 92) backslashes++;
      if (backslashes % 2 === 0) break;
    }
    i = close + 1;
  }
}

function countKeys(value: JsonValue): number {
  if (typeof value !== 'object' || value === null) return 0;
  let n = 0;
  if (Array.isArray(value)) {
    for (const v of value) n += countKeys(v);
    return n;
  }
  for (const key in value) n += 1 + countKeys(value[key] as JsonValue);
  return n;
}

/** Jackson's reading, character by character, with its error positions and messages. */
function parseJsonExactly(text: string): JsonParseResult {
  let i = 0;
  const n = text.length;

  const skipWs = (): void => {
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 32 || c === 9 || c === 10 || c === 13) i++;
      else break;
    }
  };

  const parseString = (): string => {
    // text[i] === '"'
    i++;
    let out = '';
    for (;;) {
      if (i >= n) throw new Failure(i, 'Unexpected end-of-input: was expecting closing quote for a string value');
      const ch = text[i] as string;
      const code = ch.charCodeAt(0);
      if (ch === '"') {
        i++;
        return out;
      }
      if (code < 32) {
        throw new Failure(i, `Illegal unquoted character (${describe(ch)}): has to be escaped using backslash to be included in string value`);
      }
      if (ch === '\\') {
        const esc = text[i + 1];
        if (esc === undefined) throw new Failure(i + 1, 'Unexpected end-of-input in character escape sequence');
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (esc in simple) {
          out += simple[esc];
          i += 2;
          continue;
        }
        if (esc === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw new Failure(i + 2, 'Unexpected character: expected a hex-digit for character escape sequence');
          out += String.fromCharCode(parseInt(hex, 16));
          i += 6;
          continue;
        }
        throw new Failure(i + 1, `Unrecognized character escape ${describe(esc)}`);
      }
      out += ch;
      i++;
    }
  };

  const parseNumber = (): number => {
    const start = i;
    if (text[i] === '-') i++;
    if (text[i] === '0' && /[0-9]/.test(text[i + 1] ?? '')) throw new Failure(i, 'Invalid numeric value: Leading zeroes not allowed');
    if (!/[0-9]/.test(text[i] ?? '')) {
      throw new Failure(i, `Unexpected character (${describe(text[i] ?? ' ')}) in numeric value: expected digit (0-9) to follow minus sign, for valid numeric value`);
    }
    while (/[0-9]/.test(text[i] ?? '')) i++;
    if (text[i] === '.') {
      i++;
      if (!/[0-9]/.test(text[i] ?? '')) throw new Failure(i, 'Unexpected character in numeric value: Decimal point not followed by a digit');
      while (/[0-9]/.test(text[i] ?? '')) i++;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!/[0-9]/.test(text[i] ?? '')) throw new Failure(i, 'Unexpected character in numeric value: Exponent indicator not followed by a digit');
      while (/[0-9]/.test(text[i] ?? '')) i++;
    }
    return Number(text.slice(start, i));
  };

  const parseValue = (depth: number): JsonValue => {
    skipWs();
    if (i >= n) throw new Failure(i, 'Unexpected end-of-input: expected a value');
    const ch = text[i] as string;
    if (ch === '{') return parseObject(depth + 1);
    if (ch === '[') return parseArray(depth + 1);
    if (ch === '"') return parseString();
    if (ch === '-' || (ch >= '0' && ch <= '9')) return parseNumber();
    const word = /^[A-Za-z0-9_$]+/.exec(text.slice(i))?.[0];
    if (word === 'true' || word === 'false' || word === 'null') {
      i += word.length;
      return word === 'null' ? null : word === 'true';
    }
    if (word) {
      throw new Failure(i, `Unrecognized token '${word}': was expecting (JSON String, Number, Array, Object or token 'null', 'true' or 'false')`);
    }
    throw new Failure(i, `Unexpected character (${describe(ch)}): expected a value`);
  };

  const parseObject = (depth: number): JsonObject => {
    i++; // '{'
    const obj: JsonObject = {};
    skipWs();
    if (text[i] === '}') {
      i++;
      return obj;
    }
    for (;;) {
      skipWs();
      if (i >= n) throw new Failure(i, 'Unexpected end-of-input: expected close marker for Object');
      if (text[i] !== '"') {
        throw new Failure(i, `Unexpected character (${describe(text[i] as string)}): was expecting double-quote to start field name`);
      }
      const keyAt = i;
      const key = parseString();
      if (Object.prototype.hasOwnProperty.call(obj, key)) throw new Failure(keyAt, `Duplicate field '${key}'`);
      skipWs();
      if (i >= n) throw new Failure(i, 'Unexpected end-of-input: expected close marker for Object');
      if (text[i] !== ':') {
        throw new Failure(i, `Unexpected character (${describe(text[i] as string)}): was expecting a colon to separate field name and value`);
      }
      i++;
      const value = parseValue(depth);
      Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
      skipWs();
      if (i >= n) throw new Failure(i, 'Unexpected end-of-input: expected close marker for Object');
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === '}') {
        i++;
        return obj;
      }
      throw new Failure(i, `Unexpected character (${describe(text[i] as string)}): was expecting comma to separate Object entries`);
    }
  };

  const parseArray = (depth: number): JsonValue[] => {
    i++; // '['
    const arr: JsonValue[] = [];
    skipWs();
    if (text[i] === ']') {
      i++;
      return arr;
    }
    for (;;) {
      arr.push(parseValue(depth));
      skipWs();
      if (i >= n) throw new Failure(i, 'Unexpected end-of-input: expected close marker for Array');
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text[i] === ']') {
        i++;
        return arr;
      }
      throw new Failure(i, `Unexpected character (${describe(text[i] as string)}): was expecting comma to separate Array entries`);
    }
  };

  try {
    const value = parseValue(0);
    const end = i;
    skipWs();
    return { ok: true, value, end, trailing: i < n ? text.slice(i) : null };
  } catch (e) {
    if (!(e instanceof Failure)) throw e;
    const { line, column } = locate(text, e.at);
    return { ok: false, error: { line, column, message: e.message } };
  }
}

/** The XContent token name Elasticsearch reports for a value (`expected START_OBJECT but found [VALUE_STRING]`). */
export function tokenName(v: JsonValue): string {
  if (v === null) return 'VALUE_NULL';
  if (Array.isArray(v)) return 'START_ARRAY';
  switch (typeof v) {
    case 'object':
      return 'START_OBJECT';
    case 'string':
      return 'VALUE_STRING';
    case 'number':
      return 'VALUE_NUMBER';
    default:
      return 'VALUE_BOOLEAN';
  }
}
