/**
 * A session's XML file, rebuilt from the local store: the `<session>` element exactly as the
 * appliance sent it — the store keeps its text minus `session_details`, and each `<event>`'s text —
 * inside a `session_list` root, as a one-session AccessSession report:
 *
 *   <?xml version="1.0" encoding="UTF-8"?>
 *   <session_list xmlns="http://www.beyondtrust.com/sra/namespaces/API/reporting">
 *   <session lsid="…">…its children…<session_details>
 *   <event …>…</event>
 *   …
 *   </session_details></session>
 *   </session_list>
 *
 * The namespace: the store does not keep the root element the appliance sent, so the root gets the
 * namespace of current PRA versions (24.x–25.x, as in real output). If the stored header uses a
 * prefix (`ns:session`), the root declares that prefix for the same namespace, so the file is
 * namespace-well-formed either way. Whitespace between events is a newline (the appliance's own
 * indentation between events is not kept); every element's own text is byte for byte the appliance's.
 *
 * Events are read a page at a time (by ordinal), never all at once: a session can hold 100,000 of them.
 */
import type Database from 'better-sqlite3';
import { storedXml } from '../store/session-store.ts';

export const APPLIANCE_NAMESPACE = 'http://www.beyondtrust.com/sra/namespaces/API/reporting';

const EVENTS_PER_PAGE = 1000;
const CHUNK_CHARS = 256 * 1024;

/** The qualified-name prefix of the header's root tag (`ns:` of `<ns:session …>`), or ''. */
export function headerPrefix(headerXml: string): string {
  return /^\s*<([A-Za-z_][\w.-]*:)?session[\s>/]/.exec(headerXml)?.[1] ?? '';
}

/** The header's text without its end tag (or with a self-closing start tag opened). */
function openHeader(headerXml: string, prefix: string): string {
  const text = headerXml.trimEnd();
  const end = `</${prefix}session>`;
  if (text.endsWith(end)) return text.slice(0, -end.length);
  if (text.endsWith('/>')) return `${text.slice(0, -2).trimEnd()}>`;
  throw new Error('the stored session header is not a complete <session> element');
}

/** The session's XML file, as UTF-8 chunks of at most ~256 KB. */
export async function* sessionXmlChunks(db: Database.Database, sessionRowId: number, storedHeader: string): AsyncGenerator<Buffer> {
  const header = storedXml(storedHeader);
  const prefix = headerPrefix(header);
  const xmlns = prefix === '' ? 'xmlns' : `xmlns:${prefix.slice(0, -1)}`;
  const declared = new RegExp(`\\s${xmlns.replace(/[.:]/g, '\\$&')}\\s*=`).test(header.slice(0, header.indexOf('>') + 1));
  let out = `<?xml version="1.0" encoding="UTF-8"?>\n<${prefix}session_list${declared ? '' : ` ${xmlns}="${APPLIANCE_NAMESPACE}"`}>\n`;
  out += `${openHeader(header, prefix)}<${prefix}session_details>\n`;
  const page = db.prepare('SELECT ordinal, xml FROM events WHERE session_id = ? AND ordinal > ? ORDER BY ordinal LIMIT ?');
  let after = -1;
  for (;;) {
    const rows = page.all(sessionRowId, after, EVENTS_PER_PAGE) as { ordinal: number; xml: string }[];
    for (const row of rows) {
      out += `${storedXml(row.xml)}\n`;
      if (out.length >= CHUNK_CHARS) {
        yield Buffer.from(out, 'utf8');
        out = '';
      }
    }
    if (rows.length < EVENTS_PER_PAGE) break;
    after = rows[rows.length - 1]!.ordinal;
    // Let the engine's other work (extraction, shipping) run between pages.
    await new Promise((resolve) => setImmediate(resolve));
  }
  out += `</${prefix}session_details></${prefix}session>\n</${prefix}session_list>\n`;
  yield Buffer.from(out, 'utf8');
}

/** What the stored header says about the session's recordings (the appliance lists them only for ended sessions). */
export function recordingsOf(headerXml: string): { screen: boolean; shellInstances: number[] } {
  const xml = storedXml(headerXml);
  // Element names are matched with any namespace prefix, as the parser reads them.
  const screen = /<(?:[\w.-]+:)?session_recording_download_url[\s>]/.test(xml);
  const instances = new Set<number>();
  for (const m of xml.matchAll(/<(?:[\w.-]+:)?command_shell_recording\s[^>]*?\binstance\s*=\s*["'](\d+)["']/g)) instances.add(Number(m[1]));
  return { screen, shellInstances: [...instances].sort((a, b) => a - b) };
}
