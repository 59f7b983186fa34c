// GET|POST /api/backup, per BeyondTrust's "Backup API" page (docs.beyondtrust.com/pra/docs/backup-api):
// an authenticated API (bearer token) whose account needs the Backup API permission; "if the backup
// is password protected, you can send the password in the API body, in this format:
// {"password": "abc"}"; the answer is the site's backup file (.nsb). Not documented, and chosen here
// by analogy with the reporting API (see /work/shared/reference/README.md):
//   1. the token's account is rate limited → 429 + Retry-After;
//   2. an injected fault for endpoint 'backup' (slow, truncate, stall-body, html, error-root, empty, status…);
//   3. Bearer token missing / unknown / expired / revoked → 401 JSON {"error":"invalid_token"};
//   4. the account lacks the Backup API permission → HTTP 200 with an XML <error> (permissionText);
//   5. the site has a backup password and the JSON body does not carry it → HTTP 200 XML <error>
//      (passwordErrorText); a body that is not JSON counts as no password;
//   6. the backup: application/octet-stream with a Content-Disposition file name, chunked (or with a
//      Content-Length, as configured), its bytes deterministic per backup number (backupBytes).
// The request log records whether a password was sent and the body's Content-Type, never the password.
import { attrString, escapeText } from './xml-text.ts';
import { answeredRateLimited, bearerToken, enactFault, respond, sinkFor, writeHead, XML_TYPE, type Exchange } from './http-exchange.ts';
import { XML_DECLARATION } from './report-xml.ts';
import type { SimState } from './sim-state.ts';

export const BACKUP_PERMISSION_TEXT = 'This API account does not have permission to access this API. Required permission: Backup API - Allow Access.';
export const BACKUP_PASSWORD_TEXT = 'The backup password is missing or incorrect.';

export interface BackupSettings {
  /** The site's backup password (null: backups are not password protected). */
  password: string | null;
  /** Size of each backup in bytes (default 300 KiB). */
  bytes: number;
  /** Send Content-Length (default false: chunked). */
  contentLength: boolean;
  /** Wait this long between 64 KiB chunks: a slow download (default 0). */
  chunkDelayMs: number;
}

export const DEFAULT_BACKUP_SETTINGS: BackupSettings = { password: null, bytes: 300 * 1024, contentLength: false, chunkDelayMs: 0 };

/** A deterministic fake `.nsb`: a magic header with the backup's number, then seeded pseudo-random bytes. */
export function backupBytes(number: number, size: number): Buffer {
  const out = Buffer.alloc(size);
  const header = Buffer.from(`NSB\u0000SIM\u0000#${number}\u0000`, 'latin1');
  header.copy(out, 0, 0, Math.min(header.length, size));
  // xorshift32, seeded by the number: fast, and the same bytes on every run.
  let x = (number * 2654435761) >>> 0 || 1;
  for (let i = header.length; i < size; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

function errorXml(text: string, namespace: string | null): string {
  return `${XML_DECLARATION}<error${namespace === null ? '' : attrString({ xmlns: namespace })}>${escapeText(text)}</error>\n`;
}

export class BackupEndpoint {
  settings: BackupSettings;
  /** Backups whose bytes were started (1-based numbers of backupBytes). */
  served = 0;

  constructor(settings: Partial<BackupSettings> = {}) {
    this.settings = { ...DEFAULT_BACKUP_SETTINGS, ...settings };
  }

  async handle(ex: Exchange, state: SimState): Promise<void> {
    const method = ex.req.method ?? 'GET';
    if (method !== 'GET' && method !== 'POST') {
      ex.entry.outcome = 'method-not-allowed';
      return respond(ex, 405, { 'Content-Type': 'text/plain; charset=UTF-8', Allow: 'GET, POST' }, 'Method Not Allowed\n');
    }
    const contentType = String(ex.req.headers['content-type'] ?? '');
    const sent = sentPassword(ex.body, contentType);
    ex.entry.params = { content_type: contentType, password: sent === null ? 'absent' : 'sent' };

    const token = bearerToken(ex.req.headers.authorization);
    if (await answeredRateLimited(ex, state, token)) return;
    const namespace = state.site.namespace;
    const faulted = await enactFault(ex, state.faults.take('backup'), { list: 'session_list', namespace });
    if (faulted === 'answered') return;
    const cut = faulted.cut;

    const auth = token === null ? { ok: false as const, reason: 'missing' } : state.accounts.validate(token);
    if (!auth.ok) {
      ex.entry.outcome = `token-${auth.reason}`;
      return respond(ex, 401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer error="invalid_token"' }, JSON.stringify({ error: 'invalid_token' }), cut);
    }
    if (!auth.backup) {
      ex.entry.outcome = 'no-backup-permission';
      return respond(ex, 200, { 'Content-Type': XML_TYPE }, errorXml(BACKUP_PERMISSION_TEXT, namespace), cut);
    }
    const expected = this.settings.password;
    if (expected !== null && sent !== expected) {
      ex.entry.outcome = sent === null ? 'backup-password-missing' : 'backup-password-wrong';
      return respond(ex, 200, { 'Content-Type': XML_TYPE }, errorXml(BACKUP_PASSWORD_TEXT, namespace), cut);
    }

    const number = ++this.served;
    const bytes = backupBytes(number, this.settings.bytes);
    ex.entry.outcome = 'backup';
    const stamp = new Date(ex.serverNowMs).toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
    const headers: Record<string, string> = {
      'Content-Type': 'application/octet-stream',
      'Content-Disposition': `attachment; filename="${state.site.siteHostname}-${stamp}.nsb"`,
    };
    if (this.settings.contentLength) headers['Content-Length'] = String(bytes.length);
    writeHead(ex, 200, headers);
    const sink = sinkFor(ex, cut);
    for (let offset = 0; offset < bytes.length; offset += 64 * 1024) {
      sink.add(bytes.subarray(offset, offset + 64 * 1024));
      if (!(await sink.flush())) return;
      if (this.settings.chunkDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.settings.chunkDelayMs));
    }
    ex.entry.completed = await sink.end();
  }
}

/** The password of a JSON body `{"password": "…"}`, or null (no body, not JSON, no string password). */
function sentPassword(body: Buffer, contentType: string): string | null {
  if (body.length === 0 || !/^application\/json\b/i.test(contentType)) return null;
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { password?: unknown };
    return typeof parsed.password === 'string' ? parsed.password : null;
  } catch {
    return null;
  }
}
