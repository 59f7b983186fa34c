import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import type { UiEvent } from '../../../shared/contract.ts';
import { HTTP_EVENTS_PATH, HTTP_INVOKE_PATH, HTTP_REQUEST_HEADER, HTTP_TOKEN_COOKIE, HTTP_TOKEN_QUERY } from '../../../shared/http-transport.ts';
import type { ApiHandlers } from './handlers.ts';

/** The same Content-Security-Policy the Electron window gets. */
export const UI_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

const MAX_BODY_BYTES = 1024 * 1024;
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
  /** The URL to open: it carries the token. */
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * `pra-ic ui`: the built renderer and the shared contract over loopback HTTP — a second transport
 * for the same handlers the Electron window uses (see shared/http-transport.ts for the protocol).
 *
 * Bound to 127.0.0.1 only. Every request must carry the random token (query on the first page
 * load, then an HttpOnly SameSite=Strict cookie), a `Host` naming this server's loopback address
 * (no DNS rebinding) and, when it has one, an `Origin` of this server (no cross-site calls); API
 * calls also need a custom header that a cross-site form cannot send. Payloads are validated by the
 * handlers exactly as over IPC, and no handler returns a secret.
 */
export async function startUiServer(options: { handlers: ApiHandlers; rendererDir: string; port?: number }): Promise<UiServer> {
  const token = randomBytes(32).toString('base64url');
  const rendererDir = resolve(options.rendererDir);
  const streams = new Set<ServerResponse>();
  let port = 0;

  const allowedHosts = () => new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  const allowedOrigins = () => new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);

  const refuse = (res: ServerResponse, status: number, message: string) => {
    res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
    res.end(`${message}\n`);
  };
  const tokenMatches = (candidate: string | undefined) => {
    if (!candidate) return false;
    const a = Buffer.from(candidate);
    const b = Buffer.from(token);
    return a.length === b.length && timingSafeEqual(a, b);
  };
  const cookieToken = (req: IncomingMessage) => {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [k, ...v] = part.trim().split('=');
      if (k === HTTP_TOKEN_COOKIE) return v.join('=');
    }
    return undefined;
  };

  const unsubscribe = options.handlers.onEvent((event: UiEvent) => {
    const frame = `data: ${JSON.stringify(event)}\n\n`;
    for (const res of streams) res.write(frame);
  });

  const server = createServer((req, res) => {
    void handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) refuse(res, 500, `Internal error: ${(error as Error).message}`);
      else res.destroy();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    if (!allowedHosts().has(req.headers.host ?? '')) return refuse(res, 403, 'Refused: this server only answers requests addressed to its own loopback address.');
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins().has(origin)) return refuse(res, 403, 'Refused: requests from other sites are not allowed.');
    const url = new URL(req.url ?? '/', `http://${req.headers.host}`);

    const queryToken = url.searchParams.get(HTTP_TOKEN_QUERY) ?? undefined;
    if (req.method === 'GET' && queryToken !== undefined) {
      if (!tokenMatches(queryToken)) return refuse(res, 403, 'Refused: wrong token. Open the URL that pra-ic ui printed.');
      // Trade the token in the address bar for a cookie the page's later requests carry.
      url.searchParams.delete(HTTP_TOKEN_QUERY);
      res.writeHead(303, {
        location: `${url.pathname}${url.search}`,
        'set-cookie': `${HTTP_TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
      });
      return res.end();
    }
    if (!tokenMatches(cookieToken(req))) return refuse(res, 403, 'Refused: no valid token. Open the URL that pra-ic ui printed (it carries a token).');

    if (url.pathname.startsWith(HTTP_INVOKE_PATH)) {
      if (req.method !== 'POST') return refuse(res, 405, 'Use POST.');
      if (req.headers[HTTP_REQUEST_HEADER] !== '1') return refuse(res, 403, `Refused: API calls need the ${HTTP_REQUEST_HEADER} header.`);
      if (!(req.headers['content-type'] ?? '').startsWith('application/json')) return refuse(res, 415, 'Send JSON (Content-Type: application/json).');
      let payload: unknown;
      try {
        const body = await readBody(req);
        payload = body.length ? JSON.parse(body) : {};
      } catch (error) {
        return sendJson(res, 400, { ok: false, error: { code: 'invalid-input', message: `The request body is not valid JSON: ${(error as Error).message}` } });
      }
      const channel = decodeURIComponent(url.pathname.slice(HTTP_INVOKE_PATH.length));
      const outcome = await options.handlers.dispatch(channel, payload);
      return outcome.ok ? sendJson(res, 200, { ok: true, result: outcome.result ?? null }) : sendJson(res, outcome.status, { ok: false, error: outcome.error });
    }

    if (url.pathname === HTTP_EVENTS_PATH) {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      res.write(': connected\n\n');
      streams.add(res);
      req.on('close', () => streams.delete(res));
      return;
    }

    if (req.method !== 'GET' && req.method !== 'HEAD') return refuse(res, 405, 'Use GET.');
    return serveStatic(url.pathname, res);
  }

  function serveStatic(pathname: string, res: ServerResponse) {
    let relative: string;
    try {
      relative = decodeURIComponent(pathname === '/' ? '/index.html' : pathname);
    } catch {
      return refuse(res, 400, 'Bad path.');
    }
    const file = normalize(join(rendererDir, relative));
    if (!file.startsWith(rendererDir + sep) || !existsSync(file) || !statSync(file).isFile()) return refuse(res, 404, 'Not found.');
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
    url: `http://127.0.0.1:${port}/?${HTTP_TOKEN_QUERY}=${token}`,
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

function sendJson(res: ServerResponse, status: number, body: unknown) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolveBody, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(new Error('the request body is too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolveBody(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
