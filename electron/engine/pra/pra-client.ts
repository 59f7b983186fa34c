import https from 'node:https';
import type { Readable } from 'node:stream';
import got, { type Got, type Response } from 'got';
import { HttpsProxyAgent } from 'hpagent';
import {
  CredentialsRejectedError,
  PermissionDeniedError,
  PraError,
  ReportError,
  RequestRejectedError,
  SiteUnavailableError,
} from './errors.ts';
import { DEFAULT_BODY_LIMITS, guardedBody, type BodyLimits } from './body-guard.ts';
import { DEFAULT_DOWNLOAD_LIMITS, readUpTo, type DownloadLimits } from './download-body.ts';
import { sendFileRequest, type StreamResponse } from './file-request.ts';
import { normalizeErrorText } from './no-data-text.ts';
import type { PraAccount, PraAccounts } from './pra-accounts.ts';
import { sleep } from './rate-limiter.ts';
import { parseAccessSessionListing, parseAccessSessionReport } from './report-parser.ts';
import type { ReportItem, SessionSummary } from './report-types.ts';
import type { AccessToken } from './token-cache.ts';
import { RecentSecret } from './recent-secret.ts';
import { siteSecureContext } from './tls-trust.ts';
import { errorCode, isRetryableNetworkError, looksLikeHtml, networkProblem, oauthErrorCode, retryAfterMs, summarize } from './http-failures.ts';

/** How much of an error answer is read to quote it (it still tells its status when cut short). */
const ERROR_BODY_BYTES = 64 * 1024;

/** What the client needs to know about a site (a subset of shared/models Site). */
export interface PraConnection {
  host: string;
  clientId: string;
  timeoutSeconds: number;
  caFile: string | null;
  proxyUrl: string | null;
}

export interface RetryPolicy {
  /** Attempts for one request on network errors and 5xx, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** How many 429s one request waits out before giving up. */
  max429Waits: number;
  /** A Retry-After longer than this is not waited out inside one call: the caller is told when to come back. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 5,
  baseDelayMs: 1000,
  maxDelayMs: 30_000,
  max429Waits: 10,
  maxRetryAfterMs: 120_000,
};

/** Time windows (Unix seconds) or sessions by id, as the AccessSession report takes them. */
export type AccessSessionQuery =
  | { startTime: number; duration: number }
  | { endTime: number; duration: number }
  | { lsids: string[] };

export const REPORTING_PERMISSION = 'Allow Access to Access Session Reports and Recordings';

export interface PraClientOptions {
  retry?: Partial<RetryPolicy>;
  userAgent?: string;
  /** How slowly a response body may arrive before it is cut off (tests make these small). */
  bodyLimits?: Partial<BodyLimits>;
  /** How slowly a downloaded file (a recording, a backup) may arrive (download-body.ts; tests make these small). */
  downloadLimits?: Partial<DownloadLimits>;
  /** How long the secret read from the keychain is used before it is read again (default SECRET_REREAD_MS of recent-secret.ts; tests make it small). */
  secretRereadMs?: number;
  /** Observes every HTTP exchange (for logs and tests). Never receives a secret or a token. */
  onExchange?: (info: { path: string; report?: string; status: number | null; error?: string; ms: number }) => void;
}

/**
 * Talks to one PRA site: `https://<host>` only, one limiter and token cache per API account,
 * bounded retries, `Connection: close` as BeyondTrust asks, and reports parsed as they stream.
 */
export class PraClient {
  private readonly http: Got;
  /** The connections' agent (TLS trust, proxy), shared by got and the file downloads (file-request.ts). */
  private readonly agent: https.Agent;
  private readonly userAgent: string;
  private readonly retry: RetryPolicy;
  private readonly account: PraAccount;
  private readonly bodyLimits: BodyLimits;
  /** For the callers that stream a file themselves (archive/, backup/) through pra/download-body.ts. */
  readonly downloadLimits: DownloadLimits;
  /** The client secret, read from the keychain once in a while rather than before every request. */
  private readonly secret: RecentSecret;

  constructor(
    readonly connection: PraConnection,
    getSecret: () => Promise<string>,
    accounts: PraAccounts,
    private readonly options: PraClientOptions = {},
  ) {
    this.retry = { ...DEFAULT_RETRY, ...options.retry };
    this.bodyLimits = { ...DEFAULT_BODY_LIMITS, ...options.bodyLimits };
    this.downloadLimits = { ...DEFAULT_DOWNLOAD_LIMITS, ...options.downloadLimits };
    this.account = accounts.get(connection.host, connection.clientId);
    // Asked now (a client is made to send requests): the keychain answers while the first client
    // of a process builds the TLS context below. A failed read is thrown by the request that needs it.
    this.secret = new RecentSecret(getSecret, options.secretRereadMs);
    void this.secret.get();
    // One TLS context handed to every connection (with `Connection: close` each request is a new
    // one), and shared with the other clients of the same trust: building it from the CA list (the
    // bundled roots, the OS store, the site's CA file) takes tens of milliseconds.
    const secureContext = siteSecureContext(connection.caFile);
    const timeoutMs = connection.timeoutSeconds * 1000;
    const agent = connection.proxyUrl
      ? new HttpsProxyAgent({ proxy: connection.proxyUrl, keepAlive: false, secureContext })
      : new https.Agent({ keepAlive: false, secureContext });
    this.agent = agent;
    this.userAgent = options.userAgent ?? 'pra-integration-client';
    this.http = got.extend({
      agent: { https: agent },
      // No total read timeout here: a large report may take minutes. `socket` is the idle timeout,
      // so a stalled body fails; a trickling one is cut off by the body limits (body-guard.ts).
      timeout: { lookup: timeoutMs, connect: timeoutMs, secureConnect: timeoutMs, send: timeoutMs, response: timeoutMs, socket: timeoutMs },
      retry: { limit: 0 },
      throwHttpErrors: false,
      followRedirect: false, // a redirect from the API is a login page or a proxy, never a report
      headers: { connection: 'close', 'user-agent': this.userAgent },
    });
  }

  /** The appliance's clock (its latest `Date` header, shared by every client of the account) and ours when we read it. */
  get lastServerDate() {
    return this.account.serverClock;
  }

  get baseUrl() {
    return `https://${this.connection.host}`;
  }

  /** A token from the shared cache (fetched once, reused until shortly before expiry). */
  token(): Promise<AccessToken> {
    return this.secret.get().then((secret) => this.account.tokens.get(secret, () => this.requestToken(secret)));
  }

  /**
   * A newly issued token, which then replaces the cached one: the Test button proves the secret
   * works now, and extraction reuses that token instead of spending another of the 30 slots.
   */
  freshToken(): Promise<AccessToken> {
    this.account.tokens.invalidate();
    return this.token();
  }

  /** `POST /oauth2/token` with Basic auth and a form body, as BeyondTrust documents it. */
  private async requestToken(secret: string): Promise<AccessToken> {
    const basic = Buffer.from(`${this.connection.clientId}:${secret}`).toString('base64');
    const response = await this.exchange('/oauth2/token', undefined, (signal) =>
      this.http.post(`${this.baseUrl}/oauth2/token`, {
        headers: { authorization: `Basic ${basic}` },
        form: { grant_type: 'client_credentials' },
        responseType: 'text',
        // The token answer is tiny: all of it within the site's timeout plus the body limits'
        // window, or it is trickling (got's total `request` timeout; its error names it).
        timeout: { request: this.connection.timeoutSeconds * 1000 + this.bodyLimits.windowMs },
        signal,
      }),
    );
    const body = String(response.body ?? '');
    if (response.statusCode === 200) {
      let parsed: { access_token?: unknown; expires_in?: unknown };
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        throw new SiteUnavailableError(`${this.connection.host} answered the token request with something other than JSON${looksLikeHtml(body) ? ' (an HTML page: a proxy or login page?)' : ''}.`);
      }
      if (typeof parsed.access_token !== 'string' || parsed.access_token === '') {
        throw new SiteUnavailableError(`${this.connection.host} answered the token request without an access token.`);
      }
      const lifetime = typeof parsed.expires_in === 'number' && parsed.expires_in > 0 ? parsed.expires_in : 3600;
      return { value: parsed.access_token, expiresAt: Date.now() + lifetime * 1000 };
    }
    const oauthError = oauthErrorCode(body);
    if (response.statusCode === 401 || oauthError === 'invalid_client' || oauthError === 'unauthorized_client') {
      throw new CredentialsRejectedError(
        'Client ID or secret rejected. If the secret was regenerated in /login → Management → API Configuration, enter the new one.',
      );
    }
    if (response.statusCode === 403) {
      throw new PermissionDeniedError(`${this.connection.host} refused to issue a token (HTTP 403): the API account may be disabled in /login → Management → API Configuration.`);
    }
    throw new RequestRejectedError(`${this.connection.host} refused the token request (HTTP ${response.statusCode}${oauthError ? `, ${oauthError}` : ''}).`, response.statusCode);
  }

  /**
   * AccessSession report, parsed as it streams. Throws typed errors (see errors.ts). The request
   * is sent on the first `next()`; from then on the calls go straight to the parser's generator.
   */
  accessSessions(query: AccessSessionQuery, signal?: AbortSignal): AsyncIterableIterator<ReportItem> {
    return openedOnFirstNext(async () => {
      const body = await this.openReport('AccessSession', queryParams(query), signal);
      return parseAccessSessionReport(body, { isNoData: (text) => this.isLearnedNoData(text) });
    });
  }

  /**
   * The AccessSession report's body, unparsed, once its 200 answer started (through the same
   * limiter, token, retries and re-authentication as accessSessions), with what parsing it needs
   * from this account: the site's learned "no data" wording(s). For a parser on another thread
   * (the store writer's, see WorkerSessionWriter.pullReport); the caller reads or ends the body.
   */
  async openAccessSessions(query: AccessSessionQuery, signal?: AbortSignal): Promise<{ body: AsyncIterable<Buffer>; noDataTexts: string[] }> {
    const body = await this.openReport('AccessSession', queryParams(query), signal);
    return { body, noDataTexts: [...(this.account.noDataTexts ?? [])] };
  }

  /** AccessSessionListing report (lsid and has_recording per session). */
  async *accessSessionListing(query: Exclude<AccessSessionQuery, { lsids: string[] }>, signal?: AbortSignal): AsyncGenerator<SessionSummary> {
    const body = await this.openReport('AccessSessionListing', queryParams(query), signal);
    yield* parseAccessSessionListing(body, { isNoData: (text) => this.isLearnedNoData(text) });
  }

  /** Whether the site's own "no data" wording has been learned for this account (see learnNoDataText). */
  get noDataTextLearned() {
    return this.account.noDataTexts !== null;
  }

  /**
   * PRA says "nothing matched" with an `<error>` whose text is localized to the site's language,
   * and BeyondTrust does not publish the texts. The parser knows the wordings of the main
   * languages; to be sure of any other, ask the site for one second ten years ago — a window that
   * cannot hold a session — and remember what it answers. Texts that read like a failure
   * (error, invalid, denied…) are never learned, so a real error is not mistaken for "no data".
   * Returns the learned text, or null when the site answered with an empty list or a known text.
   * Also proves the reporting permission (a refusal throws).
   */
  async learnNoDataText(signal?: AbortSignal): Promise<string | null> {
    const texts = this.account.noDataTexts ?? new Set<string>();
    const tenYearsAgo = Math.floor(Date.now() / 1000) - 10 * 365 * 86_400;
    try {
      for await (const item of this.accessSessions({ startTime: tenYearsAgo, duration: 1 }, signal)) void item;
      this.account.noDataTexts = texts;
      return null;
    } catch (error) {
      if (!(error instanceof ReportError) || error.permissionDenied || FAILURE_WORDS.test(error.text)) throw error;
      texts.add(normalizeErrorText(error.text));
      this.account.noDataTexts = texts;
      return error.text;
    }
  }

  private isLearnedNoData(text: string) {
    return this.account.noDataTexts?.has(normalizeErrorText(text)) ?? false;
  }

  /**
   * Sends a report request until a 200 response starts (re-authenticating once on a 401) and
   * returns its body as a stream. Failures after the body started are the caller's to retry: the
   * parser throws rather than pretending a partial report was complete.
   */
  private async openReport(report: string, params: Record<string, string>, signal?: AbortSignal): Promise<AsyncIterable<Buffer>> {
    return this.guardBody((await this.openReportResponse(report, params, signal)).request, report);
  }

  /**
   * The 200 answer of a report, head and unguarded body stream, through the account's limiter,
   * token cache, retries and re-authentication (the archive downloads recordings with it: a
   * recording is a report whose answer is a file, checked against its Content-Length there). The
   * caller reads or destroys `request`.
   */
  async openReportResponse(report: string, params: Record<string, string>, signal?: AbortSignal): Promise<StreamResponse> {
    return this.reportResponse(report, signal, (authorization, requestSignal) =>
      responseOf(
        this.http.stream.post(`${this.baseUrl}/api/reporting`, {
          headers: { authorization },
          form: { generate_report: report, ...params },
          signal: requestSignal,
        }),
      ),
    );
  }

  /**
   * As openReportResponse, for a report whose answer is a file (a recording, gigabytes maybe):
   * sent with node:https directly, its body the response's own stream (file-request.ts says why).
   */
  async openReportFile(report: string, params: Record<string, string>, signal?: AbortSignal): Promise<StreamResponse> {
    return this.reportResponse(report, signal, (authorization, requestSignal) =>
      sendFileRequest({
        url: `${this.baseUrl}/api/reporting`,
        agent: this.agent,
        form: { generate_report: report, ...params },
        headers: { authorization, connection: 'close', 'user-agent': this.userAgent },
        timeoutMs: this.connection.timeoutSeconds * 1000,
        signal: requestSignal,
      }),
    );
  }

  private async reportResponse(
    report: string,
    signal: AbortSignal | undefined,
    send: (authorization: string, signal: AbortSignal | undefined) => Promise<StreamResponse>,
  ): Promise<StreamResponse> {
    const response = await this.authenticated('/api/reporting', report, send, signal);
    const status = response.statusCode;
    if (status === 200) return response;
    const text = await readUpTo(this.guardBody(response.request, report), ERROR_BODY_BYTES);
    if (status === 403) {
      throw new PermissionDeniedError(`The API account may not run reports: in /login → Management → API Configuration, give it the Reporting API permission "${REPORTING_PERMISSION}".`);
    }
    throw new RequestRejectedError(`${this.connection.host} refused the ${report} request (HTTP ${status})${text ? `: ${summarize(text)}` : ''}.`, status);
  }

  /**
   * An authenticated request whose answer the caller streams and judges itself (site backups: a
   * binary file, not a report): the account's limiter, token cache and retries as for reports, and
   * one re-authentication on a 401. Any other status is returned; the caller must read or destroy
   * `body`. `waitSeconds` (at least the site's timeout) is how long the appliance may take to start
   * answering and may stay silent in the middle of the body: building a backup takes a while.
   */
  openStream(
    path: string,
    options: { method?: 'GET' | 'POST'; json?: unknown; label?: string; waitSeconds?: number } = {},
    signal?: AbortSignal,
  ): Promise<StreamResponse> {
    const waitMs = Math.max(this.connection.timeoutSeconds, options.waitSeconds ?? 0) * 1000;
    const method = options.method ?? 'POST';
    return this.authenticated(
      path,
      options.label,
      (authorization, requestSignal) =>
        responseOf(
          this.http.stream(`${this.baseUrl}${path}`, {
            method,
            headers: { authorization },
            // A POST stream without a body would wait for the caller to write one: send an empty one.
            ...(options.json !== undefined ? { json: options.json } : method === 'POST' ? { body: '' } : {}),
            timeout: { response: waitMs, socket: waitMs },
            signal: requestSignal,
          }),
        ),
      signal,
    );
  }

  /**
   * The one loop behind every authenticated streamed request (reports, recordings, backups): a
   * token from the account's cache, the request through `exchange` (limiter, retries, 429s), and
   * on a 401 one re-authentication with a new token — a cached token the appliance forgot (it was
   * restarted, or the account's 30 tokens rotated) is not the user's problem; a second 401 is.
   * Returns the first answer that is not a 401, whatever its status: the caller judges it and reads
   * or destroys its body.
   */
  private async authenticated(
    path: string,
    label: string | undefined,
    send: (authorization: string, signal: AbortSignal | undefined) => Promise<StreamResponse>,
    signal?: AbortSignal,
  ): Promise<StreamResponse> {
    let reauthenticated = false;
    for (;;) {
      const token = await this.token();
      const response = await this.exchange(path, label, (requestSignal) => send(`Bearer ${token.value}`, requestSignal), signal);
      if (response.statusCode !== 401) return response;
      // Its body says nothing the status does not (`Connection: close`: the socket goes with it).
      discard(response);
      if (reauthenticated) {
        throw new CredentialsRejectedError('The site rejected a freshly issued token: the client secret may have been regenerated or the API account disabled. Enter the new secret in the site settings.');
      }
      this.account.tokens.invalidate(token);
      reauthenticated = true;
    }
  }

  /**
   * The body's chunks, cut off when the site sends too slowly (body-guard.ts); connection failures
   * in the middle of it become a typed, readable error.
   */
  private guardBody(stream: Readable, report: string): AsyncGenerator<Buffer> {
    return guardedBody(stream, this.bodyLimits, `The ${report} report from ${this.connection.host}`, (error) =>
      `The connection to ${this.connection.host} broke while the report was downloading (${networkProblem(error, this.connection)}).`,
    );
  }

  /**
   * One logical request: waits for the account's rate limit, retries network errors and 5xx with
   * exponential backoff and full jitter, waits out 429s (Retry-After, shared with every caller of
   * the account). Returns the first response that is not 429 / 5xx.
   */
  private async exchange<R extends { statusCode: number; headers: Record<string, string | string[] | undefined> }>(
    path: string,
    report: string | undefined,
    send: (signal: AbortSignal | undefined) => Promise<R>,
    signal?: AbortSignal,
  ): Promise<R> {
    let attempt = 0;
    let waits429 = 0;
    for (;;) {
      const arrived = await this.account.limiter.acquire(signal);
      const started = Date.now();
      let response: R;
      try {
        response = await send(signal);
        arrived();
      } catch (error) {
        arrived();
        this.options.onExchange?.({ path, report, status: null, error: errorCode(error), ms: Date.now() - started });
        if (signal?.aborted) throw signal.reason;
        attempt++;
        if (!isRetryableNetworkError(error) || attempt >= this.retry.maxAttempts) {
          throw new SiteUnavailableError(`Could not reach ${this.connection.host}: ${networkProblem(error, this.connection)}.`, { cause: error });
        }
        await sleep(this.backoff(attempt), signal);
        continue;
      }
      this.options.onExchange?.({ path, report, status: response.statusCode, ms: Date.now() - started });
      this.noteServerDate(response.headers.date);
      if (response.statusCode === 429) {
        const waitMs = retryAfterMs(response.headers['retry-after']);
        this.account.limiter.pauseFor(waitMs);
        discard(response);
        waits429++;
        if (waitMs > this.retry.maxRetryAfterMs || waits429 > this.retry.max429Waits) {
          throw new SiteUnavailableError(`${this.connection.host} is limiting this API account (HTTP 429: at most 20 requests per second and 15,000 per hour); it asks to wait ${Math.ceil(waitMs / 1000)} s.`);
        }
        continue; // the limiter itself waits out the pause
      }
      if (response.statusCode >= 500) {
        discard(response);
        attempt++;
        if (attempt >= this.retry.maxAttempts) {
          throw new SiteUnavailableError(`${this.connection.host} kept failing (HTTP ${response.statusCode}) after ${attempt} attempts.`);
        }
        await sleep(this.backoff(attempt), signal);
        continue;
      }
      return response;
    }
  }

  private backoff(attempt: number) {
    const ceiling = Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (attempt - 1));
    return Math.round(ceiling / 2 + (Math.random() * ceiling) / 2);
  }

  private noteServerDate(header: string | string[] | undefined) {
    const value = Array.isArray(header) ? header[0] : header;
    const server = value ? Date.parse(value) : NaN;
    if (!Number.isNaN(server)) this.account.serverClock = { server, local: Date.now() };
  }
}

/**
 * Words of failure in the main languages: such a text is never learned as "no data". Made from
 * strings rather than written as a regular expression literal: the build writes strings in ASCII
 * (escaped), while a literal would keep its Japanese, Chinese and Korean words as they are, and one
 * character beyond Latin-1 makes V8 hold the whole bundled chunk's source at two bytes a character.
 */
const FAILURE_WORDS = new RegExp(
  [
    'error', 'fail', 'invalid', 'denied', 'forbidden', 'exception', 'unavailable', 'timeout', 'not allowed', 'permission',
    'fehler', 'ungültig', 'erreur', 'invalide', 'errore', 'non valido', 'fout', 'ongeldig', 'エラー', '无效', '错误', '錯誤', '오류',
  ].join('|'),
  'i',
);

function queryParams(query: AccessSessionQuery): Record<string, string> {
  if ('lsids' in query) {
    if (query.lsids.length === 0) throw new PraError('No session ids to ask for.');
    return query.lsids.length === 1 ? { lsid: query.lsids[0]! } : { lsids: query.lsids.join(',') };
  }
  // Unix seconds, never RFC 3339: the API rejects the latter (one of Elastic's collector bugs).
  const int = (n: number) => String(Math.floor(n));
  return 'startTime' in query
    ? { start_time: int(query.startTime), duration: int(query.duration) }
    : { end_time: int(query.endTime), duration: int(query.duration) };
}

/**
 * The items of the generator `open` resolves to, opened on the first `next()`. Unlike an async
 * generator that `yield*`s it, this adds nothing per item: a report yields an item per event (a
 * million in a large backfill), and each layer of async generator costs every item a promise and
 * a turn of the microtask queue on the thread that parses.
 */
function openedOnFirstNext<T>(open: () => Promise<AsyncGenerator<T>>): AsyncIterableIterator<T> {
  let opened: Promise<AsyncGenerator<T>> | null = null;
  let inner: AsyncGenerator<T> | null = null;
  const iterator: AsyncIterableIterator<T> = {
    next() {
      if (inner) return inner.next();
      opened ??= open().then((generator) => (inner = generator));
      return opened.then((generator) => generator.next());
    },
    // Stopping early (a `break`, an error in the loop) closes the report: the body's stream is destroyed.
    async return(value?: unknown) {
      const generator = inner ?? (opened && (await opened.catch(() => null)));
      return generator ? generator.return(value) : { done: true, value };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}

/** Resolves when a got stream has its response head (any status), or rejects with its error. */
function responseOf(request: ReturnType<Got['stream']>): Promise<StreamResponse> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    request.once('error', onError);
    request.once('response', (response: Response) => {
      request.off('error', onError);
      // Errors after the head are the body reader's; keep one listener so none goes unhandled.
      request.on('error', () => undefined);
      resolve({ statusCode: response.statusCode, headers: response.headers, request });
    });
  });
}

function discard(response: unknown) {
  const request = (response as { request?: Readable }).request;
  if (request && typeof request.destroy === 'function' && 'readable' in request) request.destroy();
}
