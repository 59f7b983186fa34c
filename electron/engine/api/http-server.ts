import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../../../shared/content-security-policy.ts';
import type { ApiErrorBody, UiEvent } from '../../../shared/contract.ts';
import { HTTP_EVENTS_PATH, HTTP_INVOKE_PATH, HTTP_REQUEST_HEADER, HTTP_SESSION_PATH, HTTP_TOKEN_PARAM } from '../../../shared/http-transport.ts';
import type { ApiHandlers } from './handlers.ts';

/** The same Content-Security-Policy the Electron window gets, as a header (a <meta> cannot carry all of it). */
export const UI_CSP = CONTENT_SECURITY_POLICY;

/** Largest request body read; a larger one is answered 413 (and the rest of it discarded). */
export const MAX_BODY_BYTES = 1024 * 1024;
/** Past this much of an oversized body, the connection is cut instead of read to its end. */
const MAX_DISCARD_BYTES = 64 * 1024 * 1024;
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export interface UiServer {
  /** The URL to open: it carries the one-time token (in the fragment, never sent to a server). */
  url: string;
  port: number;
  close(): Promise<void>;
}

const USED_TOKEN_MESSAGE =
  'This address was already used to open the UI: its token works once. Use the browser tab that opened it (a reload keeps working there), or stop “pra-ic ui” and start it again for a new address.';
const NO_SESSION_MESSAGE =
  'This page has no session with “pra-ic ui” (it was restarted, or the page was opened without the address it printed). Open the address that “pra-ic ui” printed last, or restart it for a new one.';

/**
 * `pra-ic ui`: the built renderer and the shared contract over loopback HTTP — a second transport
 * for the same handlers the Electron window uses (see shared/http-transport.ts for the protocol).
 *
 * Bound to 127.0.0.1 only. The printed address carries a random token in its fragment; the page
 * trades it once for a session credential, which it then sends as an `Authorization` header on
 * every API call and on the event stream. Never a cookie: cookies are not scoped by port, so one
 * for 127.0.0.1 would be sent to every other local server (and with it the whole API). Every
 * request must also carry a `Host` naming this server's loopback address (no DNS rebinding) and,
 * when it has one, an `Origin` of this server (no cross-site calls); API calls also need a custom
 * header. The static files need no credential: they are the public renderer bundle, nothing more.
 * Payloads are validated by the handlers exactly as over IPC, and no handler returns a secret.
 */
export async function startUiServer(options: { handlers: ApiHandlers; rendererDir: string; port?: number }): Promise<UiServer> {
  let token: string | null = randomBytes(32).toString('base64url');
  const printedToken = token;
  const sessions = new Set<string>();
  const rendererDir = resolve(options.rendererDir);
  const streams = new Set<ServerResponse>();
  let port = 0;

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  const sameSecret = (candidate: string, secret: string) => {
    const a = Buffer.from(candidate);
    const b = Buffer.from(secret);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  const hasSession = (req: IncomingMessage) => {
    const match = /^Bearer ([\w-]{20,200})$/.exec(req.headers.authorization ?? '');
    if (!match) return false;
    let found = false;
    for (const session of sessions) if (sameSecret(match[1]!, session)) found = true;
    return found;
  };

  const unsubscribe = options.handlers.onEvent((event: UiEvent) => {
    const frame = `data: ${JSON.stringify(event)}\n\n`;
    for (const res of streams) res.write(frame);
  });

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) refuse(res, 500, 'failed', `Internal error: ${(error as Error).message}`);
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    if (!allowedHosts().has(req.headers.host ?? '')) return refuse(res, 403, 'failed', 'Refused: this server only answers requests addressed to its own loopback address.');
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) return refuse(res, 403, 'failed', 'Refused: requests from other sites are not allowed.');
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);

    if (url.pathname === HTTP_SESSION_PATH) {
      if (req.method !== 'POST') return refuse(res, 405, 'invalid-input', 'Use POST.', { allow: 'POST' });
      const input = await readJson(req, res);
      if (input === undefined) return;
      const offered = (input as { token?: unknown } | null)?.token;
      if (typeof offered !== 'string' || offered === '') return refuse(res, 400, 'invalid-input', `Send { "${HTTP_TOKEN_PARAM}": "<the token of the printed address>" }.`);
      if (token !== null && sameSecret(offered, token)) {
        // Spent: the printed address (in the terminal, the shell history, the browser's history,
        // the arguments of the browser launcher) opens the UI once, no more.
        token = null;
        const session = randomBytes(32).toString('base64url');
        sessions.add(session);
        return sendJson(res, 200, { ok: true, result: { session } });
      }
      if (sameSecret(offered, printedToken)) return refuse(res, 403, 'failed', USED_TOKEN_MESSAGE);
      return refuse(res, 403, 'failed', 'Refused: wrong token. Open the address that “pra-ic ui” printed.');
    }

    if (url.pathname.startsWith(HTTP_INVOKE_PATH)) {
      if (req.method !== 'POST') return refuse(res, 405, 'invalid-input', 'Use POST.', { allow: 'POST' });
      if (!hasSession(req)) return refuse(res, 401, 'failed', NO_SESSION_MESSAGE);
      let channel: string;
      try {
        channel = decodeURIComponent(url.pathname.slice(HTTP_INVOKE_PATH.length));
      } catch {
        return refuse(res, 400, 'invalid-input', 'The channel in the path is not valid percent-encoding.');
      }
      const payload = await readJson(req, res);
      if (payload === undefined) return;
      const outcome = await options.handlers.dispatch(channel, payload);
      return outcome.ok ? sendJson(res, 200, { ok: true, result: outcome.result ?? null }) : sendJson(res, outcome.status, { ok: false, error: outcome.error });
    }

    if (url.pathname === HTTP_EVENTS_PATH) {
      if (req.method !== 'GET') return refuse(res, 405, 'invalid-input', 'Use GET.', { allow: 'GET' });
      if (!hasSession(req)) return refuse(res, 401, 'failed', NO_SESSION_MESSAGE);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-content-type-options': 'nosniff' });
      res.write(': connected\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'invalid-input', 'Use GET.', { allow: 'GET, HEAD' });
    return serveStatic(url.pathname, res);
  }

  /**
   * The request's JSON body, or undefined after answering the request itself (not JSON, wrong
   * content type, custom header missing, or too large: 413, with the server still answering).
   */
  async function readJson(req: IncomingMessage, res: ServerResponse): Promise<unknown> {
    if (req.headers[HTTP_REQUEST_HEADER] !== '1') return void refuse(res, 403, 'failed', `Refused: API calls need the ${HTTP_REQUEST_HEADER} header.`);
    if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return void refuse(res, 415, 'invalid-input', 'Send JSON (Content-Type: application/json).');
    const body = await readBody(req);
    if (body === 'too-large') {
      return void refuse(res, 413, 'invalid-input', `The request body is larger than ${MAX_BODY_BYTES / (1024 * 1024)} MB: send less.`);
    }
    try {
      return body.length ? (JSON.parse(body.toString('utf8')) as unknown) : {};
    } catch (error) {
      return void refuse(res, 400, 'invalid-input', `The request body is not valid JSON: ${(error as Error).message}`);
    }
  }

  function serveStatic(pathname: string, res: ServerResponse) {
    let relative: string;
    try {
      relative = decodeURIComponent(pathname === '/' ? '/index.html' : pathname);
    } catch {
      return refuse(res, 400, 'invalid-input', 'Bad path.');
    }
    const file = normalize(join(rendererDir, relative));
    if (!file.startsWith(rendererDir + sep) || !existsSync(file) || !statSync(file).isFile()) return refuse(res, 404, 'not-found', 'Not found.');
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'content-security-policy': UI_CSP,
      'x-content-type-options': 'nosniff',
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'cache-control': 'no-store',
    });
    createReadStream(file).pipe(res);
  }

  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  port = (server.address() as { port: number }).port;
  const heartbeat = setInterval(() => {
    for (const res of streams) res.write(': keep-alive\n\n');
  }, 15_000);

  return {
    url: `http://127.0.0.1:${port}/#${HTTP_TOKEN_PARAM}=${printedToken}`,
    port,
    close: async () => {
      clearInterval(heartbeat);
      unsubscribe();
      for (const res of streams) res.end();
      streams.clear();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Every refusal in the shape API errors have, so the page can show its message. */
function refuse(res: ServerResponse, status: number, code: ApiErrorBody['code'], message: string, headers: Record<string, string> = {}) {
  if (res.headersSent) return void res.destroy();
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', ...headers });
  res.end(JSON.stringify({ ok: false, error: { code, message } }));
}

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(JSON.stringify(body));
}

/**
 * The body, or 'too-large' as soon as it passes MAX_BODY_BYTES. The rest of an oversized body is
 * still read and dropped, so the 413 reaches a client that is still sending (destroying the
 * socket would reset the connection before it could read the answer); past MAX_DISCARD_BYTES the
 * connection is cut.
 */
function readBody(req: IncomingMessage): Promise<Buffer | 'too-large'> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (tooLarge) {
        if (size > MAX_DISCARD_BYTES) req.destroy();
        return;
      }
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        chunks.length = 0;
        resolveBody('too-large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!tooLarge) resolveBody(Buffer.concat(chunks));
    });
    req.on('error', (error) => {
      if (!tooLarge) reject(error);
    });
  });
}
