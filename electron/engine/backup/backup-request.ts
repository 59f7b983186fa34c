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
 * - a body cut short (the connection breaks, or fewer bytes than its Content-Length) fails too, and
 *   so does one below the client's minimum throughput (pra/download-body.ts), its window at least
 *   BACKUP_WAIT_SECONDS (the appliance may pause while it builds the file).
 * The password is never part of an error: the appliance's words are scrubbed of it.
 */
import type { PushSource } from '../archive/atomic-file.ts';
import { declaredLength, DownloadBody, headerValue, plainText, sniffHead } from '../pra/download-body.ts';
import { PermissionDeniedError, PraError, RequestRejectedError } from '../pra/errors.ts';
import { networkProblem } from '../pra/http-failures.ts';
import type { PraClient } from '../pra/pra-client.ts';

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
  /** The backup's bytes, pushed to a writer: the peeked head, then the rest as it arrives. Fails if the body is cut short. */
  body: PushSource;
  /** Content-Length, when the appliance sent one. */
  declaredBytes: number | null;
  /** Stops the download (nothing more is read). */
  abort(): void;
}

/**
 * Asks the site for a backup and returns its body once its first bytes look like a backup file.
 * Throws BackupFailedError (refusals, non-files), CredentialsRejectedError, SiteUnavailableError.
 */
export async function openBackup(
  client: PraClient,
  password: string | null,
  signal?: AbortSignal,
  { waitSeconds = BACKUP_WAIT_SECONDS }: { waitSeconds?: number } = {},
): Promise<OpenedBackup> {
  const host = client.connection.host;
  const scrub = (text: string) => (password ? text.split(password).join('[password]') : text);
  const response = await client.openStream(
    BACKUP_PATH,
    { method: 'POST', json: password ? { password } : undefined, label: 'backup', waitSeconds },
    signal,
  );
  const declaredBytes = declaredLength(response.headers);
  const body = new DownloadBody(response.request, {
    declaredBytes,
    // The appliance may stay silent within the body for as long as it may take to start it (it
    // builds the file as it sends it): a window at least that long.
    limits: { ...client.downloadLimits, windowMs: Math.max(client.downloadLimits.windowMs, waitSeconds * 1000) },
    what: `The backup from ${host}`,
    failures: {
      broken: (error, bytes) => brokenBody(client, error, bytes),
      incomplete: (received, declared) =>
        new BackupFailedError(`The backup from ${host} was cut short: ${received} of ${declared} bytes arrived. Nothing was saved; it is tried again later.`, 'truncated'),
    },
  });
  if (response.statusCode !== 200) {
    const text = scrub(plainText(await body.text(MESSAGE_BYTES)));
    if (response.statusCode === 403) {
      throw new PermissionDeniedError(`The API account may not take backups (HTTP 403): in /login → Management → API Configuration, give it the permission “${BACKUP_PERMISSION}”.${text ? ` The site said: ${text}` : ''}`);
    }
    if (response.statusCode === 404) {
      throw new RequestRejectedError(`${host} has no backup API (HTTP 404 for ${BACKUP_PATH})${text ? `: ${text}` : ''}.`, 404);
    }
    throw new RequestRejectedError(`${host} refused the backup request (HTTP ${response.statusCode})${text ? `: ${text}` : ''}.`, response.statusCode);
  }

  const contentType = (headerValue(response.headers, 'content-type') ?? '').toLowerCase();
  let verdict: ReturnType<typeof sniffHead>;
  try {
    const { first, ended } = await body.peek(PEEK_BYTES);
    verdict = sniffHead(first, contentType, ended);
  } catch (error) {
    body.destroy();
    throw error;
  }
  if (verdict) {
    // Read a little more to quote the whole message.
    const raw = await body.text(MESSAGE_BYTES);
    throw refusal(host, verdict === 'empty', raw, contentType, scrub(plainText(raw)));
  }
  return { body: (write) => body.writeTo(write), declaredBytes, abort: () => body.destroy() };
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

function refusal(host: string, empty: boolean, raw: string, contentType: string, text: string): BackupFailedError {
  if (empty) return new BackupFailedError(`${host} answered the backup request with an empty body: no backup was saved.`, 'empty');
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
  if (/<(?:[\w.-]+:)?error\b/i.test(raw)) return new BackupFailedError(`${host} refused the backup${said}.`, 'refused');
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
