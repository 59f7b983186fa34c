/**
 * The real `pra-ic ui` stack for end-to-end tests: a real engine (SQLite in a temp dir, the OS
 * keychain), the contract's handlers for the browser transport, and the loopback HTTP server
 * serving the built renderer — wired as electron/cli/ui-command.ts wires them.
 */
import { request } from 'node:http';
import { ApiHandlers } from '../../../electron/engine/api/handlers.ts';
import { startUiServer, type UiServer } from '../../../electron/engine/api/http-server.ts';
import type { Engine, EngineOptions } from '../../../electron/engine/engine.ts';
import { secretAccounts } from '../../../electron/engine/secrets/secret-store.ts';
import { newEngine } from '../../support/engine-fixture.ts';
export { until } from '../../support/until.ts';
import { buildRenderer } from '../../renderer/support/build.ts';

export interface Stack {
  engine: Engine;
  handlers: ApiHandlers;
  server: UiServer;
  /** The URL `pra-ic ui` prints: it carries the token. */
  url: string;
  /** http://127.0.0.1:PORT (no token). */
  origin: string;
  port: number;
  close(): Promise<void>;
}

/**
 * Starts the stack. `extract` (default true) starts extraction and shipping in the background as
 * `pra-ic ui` does (false: `pra-ic ui --no-extract`). The engine keeps `pra-ic ui`'s minimum poll
 * interval, with the test fixture's fast retries.
 */
export async function startStack(options: { extract?: boolean; engine?: Partial<EngineOptions> } = {}): Promise<Stack> {
  const rendererDir = await buildRenderer();
  const engine = newEngine({ minPollSeconds: undefined, ...options.engine });
  const handlers = new ApiHandlers(engine, 'browser');
  let server: UiServer;
  try {
    server = await startUiServer({ handlers, rendererDir });
  } catch (error) {
    await engine.close();
    throw error;
  }
  if (options.extract !== false) engine.start();
  return {
    engine,
    handlers,
    server,
    url: server.url,
    origin: `http://127.0.0.1:${server.port}`,
    port: server.port,
    async close() {
      await server.close();
      // What the engine left in the (test session's) keychain, by name: every account its sites
      // and destination can own. Not by listing the service (keytar's findCredentials): test files
      // run side by side, and when another process deletes a secret of the service during the
      // listing, libsecret hands keytar a missing value and the process dies of SIGSEGV.
      const installId = engine.installId;
      const accounts = [
        ...engine.sites.listSites().flatMap((site) => secretAccounts.siteOwned(installId, site.id)),
        secretAccounts.elasticApiKey(installId),
        secretAccounts.elasticPassword(installId),
      ];
      await engine.close();
      for (const account of accounts) await engine.secrets.delete(account).catch(() => false);
    },
  };
}

export interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A request with node:http, so Host, Origin and Authorization are exactly what the test says. */
export function rawRequest(port: number, path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<RawReply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers: { host: `127.0.0.1:${port}`, ...options.headers }, timeout: 10_000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${path}: no answer within 10 s`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

export interface EventTap {
  /** Everything the stream carried so far (raw SSE text). */
  text(): string;
  close(): void;
}

/**
 * Listens to `/api/events` as the page does (same session credential), to check what the pushed events carry.
 * Resolves once the server has accepted the stream.
 */
export function tapEvents(port: number, authorization: string): Promise<EventTap> {
  return new Promise((resolve, reject) => {
    let text = '';
    const req = request({ host: '127.0.0.1', port, path: '/api/events', headers: { host: `127.0.0.1:${port}`, authorization } }, (res) => {
      if (res.statusCode !== 200) {
        reject(new Error(`/api/events answered ${res.statusCode}`));
        res.resume();
        return;
      }
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('error', () => undefined);
      resolve({ text: () => text, close: () => req.destroy() });
    });
    // After the stream was accepted, the promise is settled and a later error (close()) changes nothing.
    req.on('error', reject);
    req.end();
  });
}
