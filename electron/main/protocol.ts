/**
 * The renderer is served from `app://bundle/`, a privileged custom scheme, never from a remote URL
 * nor from file:// (Electron security checklist items 18 and 19). This module is the pure part:
 * which file a URL means (no way out of the bundle folder) and the Response that serves it, with
 * the Content-Security-Policy as a header. index/app.ts registers it with `protocol.handle`.
 */
import { readFile as fsReadFile } from 'node:fs/promises';
import path from 'node:path';
import { CONTENT_SECURITY_POLICY } from '../../shared/content-security-policy.ts';

export const APP_SCHEME = 'app';
export const APP_HOST = 'bundle';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * Privileges of the scheme (`protocol.registerSchemesAsPrivileged`): standard (relative URLs,
 * an origin of its own for 'self' and storage), secure (a secure context), fetch for its own
 * assets, V8 code cache. No bypassCSP, no service workers, no CORS for other origins.
 */
export const APP_SCHEME_PRIVILEGES = {
  standard: true,
  secure: true,
  supportFetchAPI: true,
  codeCache: true,
  bypassCSP: false,
  allowServiceWorkers: false,
  corsEnabled: false,
  stream: false,
} as const;

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
};

export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export type BundlePath = { ok: true; file: string } | { ok: false; status: 400 | 403 | 404; reason: string };

/** Whether `file` is `root` itself or inside it (after both are resolved). */
export function isInside(root: string, file: string, p: typeof path.posix = path): boolean {
  const rel = p.relative(p.resolve(root), p.resolve(file));
  return rel !== '' && !rel.startsWith('..') && !p.isAbsolute(rel);
}

/**
 * The file under `root` that `url` names, or why there is none. Refuses other schemes and hosts,
 * malformed escapes, NUL, backslashes and colons (Windows separators, drive letters, NTFS
 * streams), and anything that resolves outside `root` (`..`, `%2e%2e%2f`, …). A path ending in
 * `/` means its index.html. `p` is for tests of the Windows rules on any OS.
 */
export function resolveBundlePath(root: string, url: string, p: typeof path.posix = path): BundlePath {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { ok: false, status: 400, reason: 'not a URL' };
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host !== APP_HOST) return { ok: false, status: 404, reason: 'not the app bundle' };
  let pathname: string;
  try {
    pathname = decodeURIComponent(parsed.pathname);
  } catch {
    return { ok: false, status: 400, reason: 'malformed escape' };
  }
  if (/[\0\\:]/.test(pathname)) return { ok: false, status: 400, reason: 'forbidden character' };
  if (pathname.endsWith('/')) pathname += 'index.html';
  const segments = pathname.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) return { ok: false, status: 403, reason: 'outside the bundle' };
  const file = p.resolve(root, ...segments);
  if (!isInside(root, file, p)) return { ok: false, status: 403, reason: 'outside the bundle' };
  return { ok: true, file };
}

/** Headers on every answer of the scheme. */
export function securityHeaders(contentType: string): Record<string, string> {
  return {
    'Content-Type': contentType,
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cache-Control': 'no-cache',
  };
}

export interface BundleHandlerOptions {
  /** The built renderer folder (out/renderer), inside app.asar once packaged. */
  root: string;
  readFile?: (file: string) => Promise<Uint8Array>;
  /** Told about refused requests (not about missing files). */
  onRefused?: (url: string, reason: string) => void;
}

/** The `protocol.handle(APP_SCHEME, …)` handler: GET/HEAD of files under `root`, nothing else. */
export function createBundleHandler(options: BundleHandlerOptions): (request: Request) => Promise<Response> {
  const readFile = options.readFile ?? ((file: string) => fsReadFile(file));
  const plain = (status: number, text: string) => new Response(text, { status, headers: securityHeaders('text/plain; charset=utf-8') });
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'Method not allowed');
    const target = resolveBundlePath(options.root, request.url);
    if (!target.ok) {
      if (target.status !== 404) options.onRefused?.(request.url, target.reason);
      return plain(target.status, target.status === 404 ? 'Not found' : 'Refused');
    }
    let body: Uint8Array;
    try {
      body = await readFile(target.file);
    } catch {
      return plain(404, 'Not found');
    }
    return new Response(request.method === 'HEAD' ? null : (body as Uint8Array<ArrayBuffer>), { status: 200, headers: securityHeaders(contentTypeFor(target.file)) });
  };
}
