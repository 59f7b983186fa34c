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
 *   RecordingDownloadError (retried later with backoff), never a saved file;
 * - a body below the client's minimum throughput (pra/download-body.ts: DownloadLimits) →
 *   SiteUnavailableError naming the rate: no file, and no more downloads from the site this pass.
 * The first bytes are looked at before anything is written, so an error page never becomes a file.
 */
import { declaredLength, DownloadBody, errorElementText, headerValue, sniffHead } from '../pra/download-body.ts';
import { networkProblem } from '../pra/http-failures.ts';
import type { PraClient } from '../pra/pra-client.ts';
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
  const response = await client.openReportFile(report, params, options.signal);
  const contentType = headerValue(response.headers, 'content-type');
  const host = client.connection.host;
  const body = new DownloadBody(response.request, {
    declaredBytes: declaredLength(response.headers),
    limits: client.downloadLimits,
    // The site's timeout, for silence only: file-request.ts hands the body over without one.
    silenceMs: client.connection.timeoutSeconds * 1000,
    what: `${what[0]!.toUpperCase()}${what.slice(1)} from ${host}`,
    failures: {
      broken: (error) => new RecordingDownloadError(`The connection to ${host} broke while ${what} was downloading (${networkProblem(error, client.connection)}).`, { cause: error }),
      incomplete: (received, declared) => new RecordingDownloadError(`${what} arrived incomplete from ${host}: ${received} of ${declared} bytes.`),
    },
  });
  try {
    const { first, ended } = await body.peek(PEEK_BYTES);
    const verdict = sniffHead(first, contentType, ended);
    if (verdict === 'markup') {
      const text = await body.text(ERROR_BODY_LIMIT);
      const message = errorElementText(text);
      if (message !== null) {
        if (isExpiredText(message)) return { kind: 'expired', text: message };
        throw new RecordingDownloadError(`${host} refused ${what}: ${message}`);
      }
      if (/^\s*(<!doctype html|<html)/i.test(text) || /html/i.test(contentType ?? '')) {
        throw new RecordingDownloadError(`${host} answered ${what} with an HTML page (a proxy or login page?), not a recording.`);
      }
      throw new RecordingDownloadError(`${host} answered ${what} with XML that is neither a recording nor an error.`);
    }
    // Short text may be a command-shell recording: only markup and nothing at all are refused.
    if (verdict === 'empty') throw new RecordingDownloadError(`${host} answered ${what} with an empty body.`);
    const ext = extensionFromResponse(headerValue(response.headers, 'content-disposition'), contentType);
    // Progress is told per MiB, not per TLS record (a 2 GB recording is 130,000 of them).
    let untold = 0;
    const tell = (n: number) => {
      untold += n;
      if (untold >= 1024 * 1024) {
        options.onBytes?.(untold);
        untold = 0;
      }
    };
    const file = await writeFileAtomically(place(ext), (write) => body.writeTo(write, tell), { signal: options.signal });
    if (untold) options.onBytes?.(untold);
    return { kind: 'saved', file, ext };
  } finally {
    body.destroy();
  }
}

/**
 * True when the answer is XML, HTML or JSON rather than a recording: its Content-Type says so, or
 * its first non-blank bytes open a tag (a byte-order mark allowed). See pra/download-body.ts.
 */
export function looksLikeMarkup(first: Buffer, contentType: string | undefined): boolean {
  return sniffHead(first, contentType, false) === 'markup';
}

export function isExpiredText(text: string): boolean {
  const plain = text.replace(/\s+/g, ' ').trim();
  return plain === EXPIRED_RECORDING_TEXT || /\brecording has expired\b/i.test(plain);
}
