/**
 * Downloads one recording through the authenticated reporting API, streamed to disk.
 *
 * The API, as found in BeyondTrust's API guide ("Reporting API", docs.beyondtrust.com/pra/docs/reporting,
 * and the per-report pages under …/how-to/integrations/api/reporting/): `GET|POST /api/reporting`
 * (POST form-urlencoded), `generate_report=` one of AccessSession, AccessSessionListing,
 * AccessSessionRecording, AccessSessionSummary, CommandShellRecording, …; the access-session pages
 * document `lsid=[string] The ID of the session`. The stored copies of the guide we could search did
 * not include the two recording pages' parameter tables; what is used here is the guide's naming
 * shared by every session report: `AccessSessionRecording` with `lsid`, and `CommandShellRecording`
 * with `lsid` and `instance` (the `instance` attribute of `command_shell_recording` in the
 * AccessSession report). Variants tolerated: the answer's file type comes from `Content-Disposition`
 * or `Content-Type` (or `flv`, as the Integration Client saved them); a `Content-Length` is checked
 * when sent, a chunked body must end cleanly. The permission is the Reporting API's "Allow Access to
 * Access Session Reports and Recordings".
 *
 * Answers:
 * - the file → streamed to `<name>.part`, hashed, fsynced, renamed (writeFileAtomically);
 * - HTTP 200 with `<error>This recording has expired and can no longer be viewed or downloaded.</error>`
 *   → `expired`: no file;
 * - any other `<error>`, an HTML page, a body cut short (length mismatch, connection broke) →
 *   RecordingDownloadError (retried later with backoff), never a saved file.
 * The first bytes are looked at before anything is written, so an error page never becomes a file.
 */
import type { Readable } from 'node:stream';
import { networkProblem, type PraClient } from '../pra/pra-client.ts';
import { writeFileAtomically, type WrittenFile } from './atomic-file.ts';
import { extensionFromResponse } from './archive-layout.ts';

export const EXPIRED_RECORDING_TEXT = 'This recording has expired and can no longer be viewed or downloaded.';

/** A download that failed for this one file; the archive retries it later. Not a destination problem. */
export class RecordingDownloadError extends Error {
  override name = 'RecordingDownloadError';
}

export type RecordingTarget = { lsid: string; instance: null } | { lsid: string; instance: number };

export type DownloadOutcome =
  | { kind: 'saved'; file: WrittenFile; ext: string }
  | { kind: 'expired'; text: string };

/** How many bytes are looked at before deciding the answer is a file. */
const PEEK_BYTES = 512;
/** How much of an error answer is read. */
const ERROR_BODY_LIMIT = 64 * 1024;

export function recordingRequest(target: RecordingTarget): { report: string; params: Record<string, string> } {
  return target.instance === null
    ? { report: 'AccessSessionRecording', params: { lsid: target.lsid } }
    : { report: 'CommandShellRecording', params: { lsid: target.lsid, instance: String(target.instance) } };
}

/**
 * Downloads `target`; `place(ext)` gives the final path once the file type is known.
 * `onBytes` observes the progress (for the status's byte count).
 */
export async function downloadRecording(
  client: PraClient,
  target: RecordingTarget,
  place: (ext: string) => string,
  options: { signal?: AbortSignal; onBytes?: (n: number) => void } = {},
): Promise<DownloadOutcome> {
  const { report, params } = recordingRequest(target);
  const what = target.instance === null ? `the recording of session ${target.lsid}` : `command-shell recording ${target.instance} of session ${target.lsid}`;
  const response = await client.openReportResponse(report, params, options.signal);
  const body = response.request;
  const header = (name: string) => {
    const value = response.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const contentType = header('content-type');
  const lengthHeader = header('content-length');
  const expectedLength = lengthHeader !== undefined && /^\d+$/.test(lengthHeader) ? Number(lengthHeader) : null;
  const host = client.connection.host;
  const iterator = (body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  try {
    // Peek: gather the first bytes (or the whole body, if shorter).
    const head: Buffer[] = [];
    let headBytes = 0;
    let ended = false;
    while (headBytes < PEEK_BYTES) {
      const next = await readNext(iterator, host, what, client);
      if (next.done) {
        ended = true;
        break;
      }
      head.push(next.value);
      headBytes += next.value.length;
    }
    const first = Buffer.concat(head);
    if (looksLikeMarkup(first, contentType)) {
      const text = ended ? first.toString('utf8') : await readRest(first, iterator, ERROR_BODY_LIMIT);
      const error = /<(?:[\w.-]+:)?error\b[^>]*>([\s\S]*?)<\/(?:[\w.-]+:)?error>/i.exec(text)?.[1];
      if (error !== undefined) {
        const message = decodeEntities(error).replace(/\s+/g, ' ').trim();
        if (isExpiredText(message)) return { kind: 'expired', text: message };
        throw new RecordingDownloadError(`${host} refused ${what}: ${message}`);
      }
      if (/^\s*(<!doctype html|<html)/i.test(text) || /html/i.test(contentType ?? '')) {
        throw new RecordingDownloadError(`${host} answered ${what} with an HTML page (a proxy or login page?), not a recording.`);
      }
      throw new RecordingDownloadError(`${host} answered ${what} with XML that is neither a recording nor an error.`);
    }
    if (first.length === 0) throw new RecordingDownloadError(`${host} answered ${what} with an empty body.`);
    const ext = extensionFromResponse(header('content-disposition'), contentType);
    let received = 0;
    // Progress is told per MiB, not per TLS record (a 2 GB recording is 130,000 of them).
    let untold = 0;
    const tell = (n: number) => {
      untold += n;
      if (untold >= 1024 * 1024) {
        options.onBytes?.(untold);
        untold = 0;
      }
    };
    const source = async function* (): AsyncGenerator<Buffer> {
      for (const chunk of head) {
        received += chunk.length;
        tell(chunk.length);
        yield chunk;
      }
      if (!ended) {
        // The body's own iterator, called directly: each layer of async iteration costs every chunk promises.
        for (;;) {
          let next: IteratorResult<Buffer>;
          try {
            next = await iterator.next();
          } catch (error) {
            throw new RecordingDownloadError(`The connection to ${host} broke while ${what} was downloading (${networkProblem(error, client.connection)}).`, { cause: error });
          }
          if (next.done) break;
          received += next.value.length;
          tell(next.value.length);
          yield next.value;
        }
      }
      if (untold) options.onBytes?.(untold);
      if (expectedLength !== null && received !== expectedLength) {
        throw new RecordingDownloadError(`${what} arrived incomplete from ${host}: ${received} of ${expectedLength} bytes.`);
      }
    };
    const file = await writeFileAtomically(place(ext), source(), { signal: options.signal });
    return { kind: 'saved', file, ext };
  } finally {
    (body as Readable).destroy();
  }
}

async function readNext(iterator: AsyncIterator<Buffer>, host: string, what: string, client: PraClient): Promise<IteratorResult<Buffer>> {
  try {
    return await iterator.next();
  } catch (error) {
    throw new RecordingDownloadError(`The connection to ${host} broke while ${what} was downloading (${networkProblem(error, client.connection)}).`, { cause: error });
  }
}

async function readRest(first: Buffer, iterator: AsyncIterator<Buffer>, limit: number): Promise<string> {
  const chunks = [first];
  let size = first.length;
  try {
    while (size < limit) {
      const next = await iterator.next();
      if (next.done) break;
      chunks.push(next.value);
      size += next.value.length;
    }
  } catch {
    // An error body cut short still says what it says.
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * True when the answer is XML or HTML rather than a recording: its Content-Type says so, or its
 * first non-blank bytes open a tag (a byte-order mark allowed). A recording never starts with `<`
 * (FLV starts with "FLV", MP4 with a box size).
 */
export function looksLikeMarkup(first: Buffer, contentType: string | undefined): boolean {
  const type = (contentType ?? '').toLowerCase();
  if (/\b(xml|html)\b/.test(type)) return true;
  let text = first.subarray(0, 64).toString('latin1');
  if (text.startsWith('\u00ef\u00bb\u00bf')) text = text.slice(3);
  return /^\s*<[?!A-Za-z]/.test(text);
}

export function isExpiredText(text: string): boolean {
  const plain = text.replace(/\s+/g, ' ').trim();
  return plain === EXPIRED_RECORDING_TEXT || /\brecording has expired\b/i.test(plain);
}

function decodeEntities(text: string): string {
  return text
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(Number.parseInt(n, 16)))
    .replace(/&amp;/g, '&');
}
