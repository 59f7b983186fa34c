// A loopback simulator of a BeyondTrust PRA appliance's API (token endpoint and reporting API),
// written from the documented behaviour (see /work/shared/reference/README.md and the comments of
// each module), for tests only. It is a real HTTPS server on 127.0.0.1 with a test CA.
//
// Clocks: one *server clock* drives everything the appliance would judge by its own time (which
// sessions and events exist yet, "duration=0 means up to now", token expiry, the Date header): it is
// `now()` if given, else the real time, plus `clockSkewSeconds`. Rate limits use the real monotonic
// clock, because they are about how fast requests really arrive.
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { makeTestPki } from '../../support/certs.ts';
import { ApiAccounts } from './api-accounts.ts';
import { BackupEndpoint, type BackupSettings } from './backup-endpoint.ts';
import { FaultQueue, type Fault } from './faults.ts';
import { readBody, respond, type Exchange } from './http-exchange.ts';
import type { SiteLocale } from './no-data-texts.ts';
import { DOCUMENTED_RATE_LIMITS, RateLimiter, type RateLimitSettings } from './rate-limits.ts';
import { REPORTING_NAMESPACES, type RenderCache } from './report-xml.ts';
import { handleReporting } from './reporting-endpoint.ts';
import { RecordingCatalog } from './recordings.ts';
import { RequestLog, type RequestLogEntry } from './request-log.ts';
import { SessionStore } from './session-store.ts';
import type { SimState, SiteSettings } from './sim-state.ts';
import { handleToken } from './token-endpoint.ts';
import type { ApiAccountInput, SessionInput, SimEvent, SimSession } from './types.ts';

export { BACKUP_PASSWORD_TEXT, BACKUP_PERMISSION_TEXT, backupBytes, type BackupEndpoint, type BackupSettings } from './backup-endpoint.ts';
export { createManualClock, type ManualClock } from './clock.ts';
export { generateCorpus, type CorpusOptions } from './corpus.ts';
export { LOGIN_PAGE_HTML, NOT_XML_BODY, type Fault, type FaultKind, type FaultSpec } from './faults.ts';
export { NO_DATA_TEXTS, type SiteLocale } from './no-data-texts.ts';
export { DOCUMENTED_RATE_LIMITS, type RateLimitSettings } from './rate-limits.ts';
export { DOCUMENTED_REPORTS, PARAMETER_ERROR_TEXTS } from './report-query.ts';
export { REPORTING_NAMESPACES } from './report-xml.ts';
export { REPORTING_PERMISSION, permissionErrorDocument } from './reporting-endpoint.ts';
export { EXPIRED_RECORDING_TEXT, NO_RECORDING_TEXT, defaultRecordingSize, recordingChunks, recordingSha256, type RecordingCatalog, type RecordingSpec } from './recordings.ts';
export type { RequestLogEntry } from './request-log.ts';
export type * from './types.ts';

/** The account a simulator has when no `clients` option is given. */
export const DEFAULT_CLIENT: ApiAccountInput = { clientId: 'pra-sim-client', clientSecret: 'pra-sim-secret' };

export interface PraSimulatorOptions {
  /** API accounts (default: DEFAULT_CLIENT only). */
  clients?: ApiAccountInput[];
  /** Port on 127.0.0.1 (default 0: any free port). */
  port?: number;
  /**
   * The server certificate: the test PKI's CA-signed one for 127.0.0.1 (default), one of its broken
   * ones, or your own. `caPem`/`caFile` of the simulator are always the test CA.
   */
  certificate?: 'valid' | 'self-signed' | 'expired' | 'wrong-host' | 'untrusted-ca' | { keyPem: string; certPem: string };
  /** `expires_in` of issued tokens (default 3600). */
  tokenLifetimeSeconds?: number;
  /** Valid tokens an account may hold before the oldest is evicted (default 30). */
  maxTokensPerClient?: number;
  /** Per-account limits (default 20/s and 15,000/h). */
  rateLimits?: Partial<RateLimitSettings>;
  /** Server clock, Unix seconds (default: real time). */
  now?: () => number;
  /** Added to the server clock, to fake a server whose clock is off (default 0). */
  clockSkewSeconds?: number;
  /** Site language of the "no data" text (default 'en'). */
  locale?: SiteLocale;
  /** Default namespace of the report root (default REPORTING_NAMESPACES.sra; null for none). */
  namespace?: string | null;
  /** <error> as the root element (default) or inside the list element. */
  errorPlacement?: 'root' | 'in-list';
  /** "No data" as a localized <error> (default) or as an empty list. */
  noData?: 'error' | 'empty-list';
  /** In-progress end_time as `<end_time timestamp=""></end_time>` (default) or left out. */
  inProgressEndTime?: 'empty' | 'omitted';
  /** Host name in download URLs (default 'access.example.com'). */
  siteHostname?: string;
  /**
   * Benchmarks: render each session's XML once and replay it afterwards (keyed by the clock and the
   * session's end and event count), so that serving a report costs the simulator little CPU next
   * to the client it measures. Its `renderCache` can be warmed by rendering the corpus.
   */
  renderCache?: boolean;
  /** Sessions present from the start. */
  sessions?: SessionInput[];
  /** `/api/backup`: the site's backup password, the backups' size and pace (see backup-endpoint.ts). */
  backup?: Partial<BackupSettings>;
}

export interface PraSimulator {
  /** "127.0.0.1:PORT", the site host as a client would be configured with it. */
  host: string;
  port: number;
  /** https://127.0.0.1:PORT */
  url: string;
  /** The test CA to trust. */
  caPem: string;
  caFile: string;
  /** The certificate the server presents. */
  certPem: string;
  /** With `renderCache`: pass it in a RenderContext to warm it. */
  renderCache: RenderCache | undefined;
  /** Recordings: sizes, expiry, headers; how many times each was served in full. */
  recordings: RecordingCatalog;
  close(): Promise<void>;

  // Sessions
  addSession(session: SessionInput): SimSession;
  addSessions(sessions: Iterable<SessionInput>): void;
  appendEvents(lsid: string, events: SimEvent[]): void;
  /** Ends the session at `endTime`, adding a "Session End" event unless told not to. */
  endSession(lsid: string, endTime: number, opts?: { addEndEvent?: boolean }): void;
  /** Retention: the session is gone from every report. */
  removeSession(lsid: string): boolean;
  getSession(lsid: string): SimSession | undefined;
  clear(): void;
  readonly sessionCount: number;

  // API accounts
  addClient(account: ApiAccountInput): void;
  /** Regenerates the secret: every token of the account stops working at once. */
  rotateSecret(clientId: string, newSecret: string): void;
  /** Disables the account: no new token, every token stops working at once. */
  disableClient(clientId: string): void;
  enableClient(clientId: string): void;
  setPermissions(clientId: string, permissions: { reporting?: boolean; backup?: boolean }): void;
  /** Expires every current token of the account (as if its hour had passed). */
  expireTokens(clientId: string): void;
  tokensIssued(clientId: string): number;
  validTokenCount(clientId: string): number;

  // Faults
  injectFaults(faults: Fault[]): void;
  pendingFaults(): Array<Fault & { remaining: number }>;
  clearFaults(): void;

  // Site behaviour at run time
  setLocale(locale: SiteLocale): void;
  setErrorPlacement(placement: 'root' | 'in-list'): void;
  setNamespace(namespace: string | null): void;
  setClockSkew(seconds: number): void;
  setRateLimits(limits: Partial<RateLimitSettings>): void;
  /** Forgets the rate limiter's history (all accounts, or one). */
  resetRateLimits(clientId?: string): void;
  /** Server clock, Unix seconds. */
  serverNow(): number;

  /** `/api/backup`: its `settings` (password, size, pace) may be changed at run time; `served` counts backups sent. */
  readonly backup: BackupEndpoint;

  // Introspection
  readonly requests: readonly RequestLogEntry[];
  requestsFor(clientId: string): RequestLogEntry[];
  /** Most requests of the account that arrived within any `windowMs` (default 1000 ms). */
  maxObservedRps(clientId: string, windowMs?: number): number;
  clearRequests(): void;
}

export async function startPraSimulator(options: PraSimulatorOptions = {}): Promise<PraSimulator> {
  const pki = await makeTestPki();
  const cert = options.certificate ?? 'valid';
  const tls = typeof cert === 'object' ? cert : {
    valid: pki.server, 'self-signed': pki.selfSigned, expired: pki.expired, 'wrong-host': pki.wrongHost, 'untrusted-ca': pki.untrustedCa,
  }[cert];

  let skewSeconds = options.clockSkewSeconds ?? 0;
  const clock = options.now;
  const serverNowMs = (): number => (clock ? clock() * 1000 : Date.now()) + skewSeconds * 1000;

  const site: SiteSettings = {
    locale: options.locale ?? 'en',
    namespace: options.namespace === undefined ? REPORTING_NAMESPACES.sra : options.namespace,
    errorPlacement: options.errorPlacement ?? 'root',
    noData: options.noData ?? 'error',
    inProgressEndTime: options.inProgressEndTime ?? 'empty',
    siteHostname: options.siteHostname ?? 'access.example.com',
    renderCache: options.renderCache ? new WeakMap() : undefined,
  };
  const state: SimState = {
    accounts: new ApiAccounts({
      maxTokens: options.maxTokensPerClient ?? 30,
      lifetimeSeconds: options.tokenLifetimeSeconds ?? 3600,
      clockMs: serverNowMs,
    }),
    limiter: new RateLimiter({ ...DOCUMENTED_RATE_LIMITS, ...options.rateLimits }),
    faults: new FaultQueue(),
    store: new SessionStore(),
    log: new RequestLog(),
    recordings: new RecordingCatalog(),
    site,
    serverNowMs,
  };
  for (const account of options.clients ?? [DEFAULT_CLIENT]) state.accounts.add(account);
  for (const session of options.sessions ?? []) state.store.add(session);

  const backup = new BackupEndpoint(options.backup);
  const sockets = new Set<Socket>();
  const server: Server = createServer({ key: tls.keyPem, cert: tls.certPem }, (req, res) => {
    void handle(req, res, state, backup);
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  // Clients that reject the certificate abort the handshake: expected in TLS tests, not an error here.
  server.on('tlsClientError', () => {});

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('PRA simulator: no TCP address');
  const port = address.port;

  return {
    host: `127.0.0.1:${port}`,
    port,
    url: `https://127.0.0.1:${port}`,
    caPem: pki.caPem,
    caFile: pki.caFile,
    certPem: tls.certPem,
    renderCache: site.renderCache,
    recordings: state.recordings,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const socket of sockets) socket.destroy();
    }),

    addSession: (s) => state.store.add(s),
    addSessions: (list) => {
      for (const s of list) state.store.add(s);
    },
    appendEvents: (lsid, events) => state.store.appendEvents(lsid, events),
    endSession: (lsid, endTime, opts) => state.store.end(lsid, endTime, opts),
    removeSession: (lsid) => state.store.remove(lsid),
    getSession: (lsid) => state.store.get(lsid),
    clear: () => state.store.clear(),
    get sessionCount() {
      return state.store.size;
    },

    addClient: (account) => state.accounts.add(account),
    rotateSecret: (clientId, secret) => state.accounts.rotateSecret(clientId, secret),
    disableClient: (clientId) => state.accounts.setDisabled(clientId, true),
    enableClient: (clientId) => state.accounts.setDisabled(clientId, false),
    setPermissions: (clientId, permissions) => state.accounts.setPermissions(clientId, permissions),
    expireTokens: (clientId) => state.accounts.expireTokens(clientId),
    tokensIssued: (clientId) => state.accounts.tokensIssued(clientId),
    validTokenCount: (clientId) => state.accounts.validTokenCount(clientId),

    injectFaults: (faults) => state.faults.push(faults),
    pendingFaults: () => state.faults.pending(),
    clearFaults: () => state.faults.clear(),

    setLocale: (locale) => {
      site.locale = locale;
    },
    setErrorPlacement: (placement) => {
      site.errorPlacement = placement;
    },
    setNamespace: (namespace) => {
      site.namespace = namespace;
    },
    setClockSkew: (seconds) => {
      skewSeconds = seconds;
    },
    setRateLimits: (limits) => state.limiter.setLimits(limits),
    resetRateLimits: (clientId) => state.limiter.reset(clientId),
    serverNow: () => Math.floor(serverNowMs() / 1000),
    backup,

    get requests() {
      return state.log.entries;
    },
    requestsFor: (clientId) => state.log.forClient(clientId),
    maxObservedRps: (clientId, windowMs) => state.log.maxObservedRps(clientId, windowMs),
    clearRequests: () => state.log.clear(),
  };
}

async function handle(req: IncomingMessage, res: ServerResponse, state: SimState, backup: BackupEndpoint): Promise<void> {
  req.on('error', () => {});
  res.on('error', () => {});
  const url = new URL(req.url ?? '/', 'https://simulator.invalid');
  const endpoint = url.pathname === '/oauth2/token' ? 'token' : url.pathname === '/api/reporting' ? 'reporting' : url.pathname === '/api/backup' ? 'backup' : 'other';
  const serverNowMs = state.serverNowMs();
  const entry = state.log.start({ method: req.method ?? 'GET', path: url.pathname, endpoint, serverTime: Math.floor(serverNowMs / 1000) });
  const ex: Exchange = { req, res, url, body: Buffer.alloc(0), entry, serverNowMs };
  try {
    try {
      ex.body = await readBody(req);
    } catch {
      entry.outcome = 'body-too-large';
      return await respond(ex, 413, { 'Content-Type': 'text/plain; charset=UTF-8' }, 'Request Entity Too Large\n');
    }
    if (endpoint === 'token') await handleToken(ex, state);
    else if (endpoint === 'reporting') await handleReporting(ex, state);
    else if (endpoint === 'backup') await backup.handle(ex, state);
    else {
      entry.outcome = 'not-found';
      await respond(ex, 404, { 'Content-Type': 'text/plain; charset=UTF-8' }, 'Not Found\n');
    }
  } catch (err) {
    entry.outcome = `simulator-error: ${(err as Error).message}`;
    if (!res.headersSent) await respond(ex, 500, { 'Content-Type': 'text/plain; charset=UTF-8' }, 'Internal Server Error\n');
    else res.destroy();
  }
}
