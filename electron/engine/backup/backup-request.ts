/**
 * One call of BeyondTrust's Backup API, judged before a byte reaches the disk.
 *
 * What BeyondTrust documents (PRA API guide, "Backup API": docs.beyondtrust.com/pra/docs/backup-api
 * and docs.beyondtrust.com/pra/reference/backup-api, read December 2026):
 * - the URL is `https://<site>/api/backup`; "either GET or POST may be used as the request method";
 * - it is an authenticated API: an OAuth bearer token of an API account that "must have access to
 *   the backup API" (/login → Management → API Configuration → the account's Backup API permission);
 * - "if the backup is password protected, you can send the password in the API body, in this
 *   format: `{"password": "abc"}`";
 * - the answer is the backup file (`.nsb`): the /login configuration and logged data, not
 *   recordings, only small files of the file store. Only an appliance can read it (restore: /login →
 *   Management → Software Management → Backup Settings).
 * Not documented: the response headers, the file's size or format, and how a refusal looks. The
 * other APIs answer refusals with HTTP 200 and an XML `<error>`, and a legacy script saw a 200 whose
 * body read "Invalid credentials". So:
 * - we POST (a body only goes with POST), with `Content-Type: application/json` and the JSON body
 *   only when the site has a backup password; without one, an empty body;
 * - the first bytes are peeked before anything is written: an empty body, anything labelled as
 *   text (XML, HTML, JSON, plain text), anything that starts with markup (`<`, after a BOM or
 *   whitespace), and a short body that is all text are failures carrying the appliance's message,
 *   never an `.nsb`; 403 is a missing permission like the reporting API's;
 * - a body cut short (the connection breaks, or fewer bytes than its Content-Length) fails too.
 * The password is never part of an error: the appliance's words are scrubbed of it.
 */
import type { Readable } from 'node:stream';
import { PermissionDeniedError, PraError, RequestRejectedError } from '../pra/errors.ts';
import { networkProblem, type PraClient } from '../pra/pra-client.ts';

export const BACKUP_PATH = '/api/backup';
/** The permission as /login → Management → API Configuration names it. */
export const BACKUP_PERMISSION = 'Backup API: Allow Access';
/** How long the appliance may take to start sending a backup (it builds the file first), and to stay silent within it. */
export const BACKUP_WAIT_SECONDS = 600;
/** Bytes looked at before anything is written: a refusal is a short text, a backup is binary and larger. */
const PEEK_BYTES = 4096;
/** How much of a refusal is read to quote it. */
const MESSAGE_BYTES = 64 * 1024;

export type BackupFailure = 'permission' | 'password' | 'refused' | 'not-a-backup' | 'empty' | 'truncated';

/** A backup that failed: the message quotes the appliance where it said something; never a secret. */
export class BackupFailedError extends PraError {
  override name = 'BackupFailedError';
  constructor(
    message: string,
    readonly failure: BackupFailure,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface OpenedBackup {
  /** The backup's bytes: the peeked head, then the rest as it arrives. Ends with an error if the body is cut short. */
  body: AsyncIterable<Uint8Array>;
  /** Content-Length, when the appliance sent one. */
  declaredBytes: number | null;
  /** Stops the download (nothing more is read). */
  abort(): void;
}

/**
 * Asks the site for a backup and returns its body once its first bytes look like a backup file.
 * Throws BackupFailedError (refusals, non-files), CredentialsRejectedError, SiteUnavailableError.
 */
export async function openBackup(client: PraClient, password: string | null, signal?: AbortSignal): Promise<OpenedBackup> {
  const host = client.connection.host;
  const scrub = (text: string) => (password ? text.split(password).join('[password]') : text);
  const response = await client.openStream(
    BACKUP_PATH,
    { method: 'POST', json: password ? { password } : undefined, label: 'backup', waitSeconds: BACKUP_WAIT_SECONDS },
    signal,
  );
  const stream = response.request;
  const contentType = header(response.headers['content-type']).toLowerCase();
  const declared = Number(header(response.headers['content-length']));
  const declaredBytes = header(response.headers['content-length']) !== '' && Number.isSafeInteger(declared) ? declared : null;

  if (response.statusCode !== 200) {
    const text = scrub(plainText(await readUpTo(stream, MESSAGE_BYTES).catch(() => '')));
    if (response.statusCode === 403) {
      throw new PermissionDeniedError(`The API account may not take backups (HTTP 403): in /login → Management → API Configuration, give it the permission “${BACKUP_PERMISSION}”.${text ? ` The site said: ${text}` : ''}`);
    }
    if (response.statusCode === 404) {
      throw new RequestRejectedError(`${host} has no backup API (HTTP 404 for ${BACKUP_PATH})${text ? `: ${text}` : ''}.`, 404);
    }
    throw new RequestRejectedError(`${host} refused the backup request (HTTP ${response.statusCode})${text ? `: ${text}` : ''}.`, response.statusCode);
  }

  // Peek: read until PEEK_BYTES are here or the body ends.
  const iterator = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let headBytes = 0;
  let ended = false;
  try {
    while (headBytes < PEEK_BYTES) {
      const next = await iterator.next();
      if (next.done) {
        ended = true;
        break;
      }
      head.push(next.value);
      headBytes += next.value.length;
    }
  } catch (error) {
    stream.destroy();
    throw brokenBody(client, error, headBytes);
  }
  const first = Buffer.concat(head);
  const verdict = judgeHead(first, contentType, ended);
  if (verdict) {
    // Read a little more to quote the whole message.
    let rest = '';
    if (!ended) rest = await readRest(iterator, MESSAGE_BYTES - first.length).catch(() => '');
    stream.destroy();
    const raw = first.toString('utf8') + rest;
    throw refusal(host, verdict, raw, contentType, scrub(plainText(raw)));
  }

  let received = first.length;
  async function* body(): AsyncGenerator<Uint8Array> {
    try {
      if (first.length > 0) yield first;
      if (ended) return;
      for (;;) {
        let next: IteratorResult<Buffer>;
        try {
          next = await iterator.next();
        } catch (error) {
          throw brokenBody(client, error, received);
        }
        if (next.done) break;
        received += next.value.length;
        yield next.value;
      }
      if (declaredBytes !== null && received < declaredBytes) {
        throw new BackupFailedError(`The backup from ${host} was cut short: ${received} of ${declaredBytes} bytes arrived. Nothing was saved; it is tried again later.`, 'truncated');
      }
    } finally {
      stream.destroy();
    }
  }
  return { body: body(), declaredBytes, abort: () => stream.destroy() };
}

/**
 * The Test's check: is a backup answered? There is no cheaper documented call (no permission
 * listing, no HEAD), so it asks for a real backup and hangs up as soon as the first bytes prove it
 * is a file: the appliance builds it, but nothing is downloaded or stored. Returns the bytes seen.
 */
export async function probeBackup(client: PraClient, password: string | null, signal?: AbortSignal): Promise<{ declaredBytes: number | null }> {
  const opened = await openBackup(client, password, signal);
  opened.abort();
  return { declaredBytes: opened.declaredBytes };
}

/** The site Test's backup step (pra/site-test.ts runs it when the site's backups are on). */
export function backupPermissionCheck(password: string | null): (client: PraClient) => Promise<string> {
  return async (client) => {
    const { declaredBytes } = await probeBackup(client, password);
    const size = declaredBytes === null ? '' : ` (${(declaredBytes / 1024 / 1024).toFixed(1)} MB)`;
    return `The API account may take site backups (“${BACKUP_PERMISSION}”): the site started sending one${size}${password ? ' with the backup password' : ''}. The Test stopped it after its first bytes; nothing was saved.`;
  };
}

type Verdict = 'empty' | 'markup' | 'text';

/** Why the first bytes of a 200 are not a backup, or null when they may be one. */
function judgeHead(head: Buffer, contentType: string, ended: boolean): Verdict | null {
  if (head.length === 0) return 'empty';
  if (/^(text\/|application\/(xml|xhtml\+xml|json|problem\+json))/.test(contentType)) return 'markup';
  let i = head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf ? 3 : 0;
  while (i < head.length && (head[i] === 0x20 || head[i] === 0x09 || head[i] === 0x0a || head[i] === 0x0d)) i++;
  if (i === head.length) return 'empty';
  if (head[i] === 0x3c /* < */) return 'markup';
  // A whole body this short that is all printable text is a message ("Invalid credentials"), not a file.
  if (ended && isText(head)) return 'text';
  return null;
}

function isText(bytes: Buffer): boolean {
  const text = bytes.toString('utf8');
  if (text.includes('\uFFFD')) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // Control characters other than tab, line feed and carriage return: binary.
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return false;
  }
  return true;
}

function refusal(host: string, verdict: Verdict, raw: string, contentType: string, text: string): BackupFailedError {
  if (verdict === 'empty') return new BackupFailedError(`${host} answered the backup request with an empty body: no backup was saved.`, 'empty');
  const said = text ? `: ${text.replace(/[.\s]+$/, '')}` : '';
  // A web page first: a login page mentions passwords without being the appliance's refusal.
  if (contentType.includes('html') || /<html\b|<!doctype html/i.test(raw)) {
    return new BackupFailedError(`${host} answered the backup request with a web page instead of a backup file (a proxy or login page?)${said}.`, 'not-a-backup');
  }
  if (/password/i.test(text)) {
    return new BackupFailedError(`${host} refused the backup password${said}. Check the site's backup password.`, 'password');
  }
  if (/permission|not allowed|access denied|not authori[sz]ed|unauthori[sz]ed|forbidden|invalid credentials/i.test(text)) {
    return new BackupFailedError(`The API account may not take backups${said}. In /login → Management → API Configuration, give it the permission “${BACKUP_PERMISSION}”.`, 'permission');
  }
  if (/<error\b/i.test(raw)) return new BackupFailedError(`${host} refused the backup${said}.`, 'refused');
  return new BackupFailedError(`${host} answered the backup request with a message instead of a backup file${said}.`, 'not-a-backup');
}

function brokenBody(client: PraClient, error: unknown, bytes: number): PraError {
  if (error instanceof PraError) return error;
  return new BackupFailedError(
    `The connection to ${client.connection.host} broke after ${bytes} bytes of the backup (${networkProblem(error, client.connection)}). Nothing was saved; it is tried again later.`,
    'truncated',
    { cause: error },
  );
}

/**
 * The readable words of an error body: an XML `<error>`'s text, an HTML page's title and text, or
 * the text itself; entities decoded, whitespace collapsed, at most 300 characters.
 */
export function plainText(body: string): string {
  const error = /<error\b[^>]*>([\s\S]*?)<\/error>/i.exec(body);
  const title = /<title\b[^>]*>([\s\S]*?)<\/title>/i.exec(body);
  let text = error ? error[1]! : body.replace(/<(script|style)\b[\s\S]*?<\/\1>/gi, ' ');
  if (!error && title) text = `${title[1]} — ${text.replace(/<title\b[\s\S]*?<\/title>/i, ' ')}`;
  text = text
    .replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1')
    .replace(/<\?[\s\S]*?\?>/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCodePoint(Number.parseInt(n, 16)))
    .replace(/&amp;/g, '&')
    .replace(/\s+/g, ' ')
    .replace(/^[\s—]+|[\s—]+$/g, '');
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

function header(value: string | string[] | undefined): string {
  return (Array.isArray(value) ? value[0] : value) ?? '';
}

async function readUpTo(stream: Readable, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of stream) {
      chunks.push(chunk as Buffer);
      size += (chunk as Buffer).length;
      if (size >= limit) break;
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function readRest(iterator: AsyncIterator<Buffer>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  while (size < limit) {
    const next = await iterator.next();
    if (next.done) break;
    chunks.push(next.value);
    size += next.value.length;
  }
  return Buffer.concat(chunks).toString('utf8');
}
