// The HTTP layer in front of every Elasticsearch handler: body size limit, content decoding, media
// types (Content-Type / Accept, REST API compatibility) and how responses are written.
//
// Documented behaviour relied on:
// - `http.max_content_length` (default 100mb): "Maximum size of an HTTP request body" — a larger request
//   is answered 413 Request Entity Too Large by the HTTP layer, before authentication or any handler.
// - A request with a body must name a supported Content-Type; otherwise 406 with the short error form
//   `{"error":"Content-Type header [text/plain] is not supported","status":406}` (or "... is missing").
// - REST API compatibility: `application/vnd.elasticsearch+json; compatible-with=N` (and `+x-ndjson`) where
//   N is the server's major or the one before; Content-Type and Accept must both carry the same version or
//   neither does — else 400 media_type_header_exception caused by status_exception.
// - Every response carries `X-Elastic-Product: Elasticsearch` (clients refuse a 2xx without it);
//   `X-Opaque-Id` is echoed back.
// - gzip / deflate request bodies are accepted (Content-Encoding), as the official clients send them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createGunzip, createInflate } from 'node:zlib';
import type { Transform } from 'node:stream';

import { applyFilterPath } from './filter-path.ts';
import type { JsonValue } from './json.ts';
import { errorBody, exception } from './errors.ts';

export const DEFAULT_MAX_CONTENT_LENGTH = 100 * 1024 * 1024;

/** `100mb`, `1kb`, `512b`, or a number of bytes (Elasticsearch byte-size units). */
export function parseByteSize(v: number | string | undefined, fallback = DEFAULT_MAX_CONTENT_LENGTH): number {
  if (v === undefined) return fallback;
  if (typeof v === 'number') return v;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb|tb)?\s*$/i.exec(v);
  if (!m) throw new Error(`bad byte size ${v}`);
  const unit = (m[2] ?? 'b').toLowerCase();
  const mult = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 }[unit] ?? 1;
  return Math.floor(Number(m[1]) * mult);
}

export interface MediaType {
  essence: string; // type/subtype, lowercased
  version: number | null; // compatible-with
  params: Record<string, string>;
}

export function parseMediaType(header: string | undefined): MediaType | null {
  if (!header) return null;
  const [essenceRaw, ...rawParams] = header.split(';');
  const essence = (essenceRaw ?? '').trim().toLowerCase();
  if (!/^[a-z0-9.+*-]+\/[a-z0-9.+*-]+$/.test(essence)) return null;
  const params: Record<string, string> = {};
  for (const p of rawParams) {
    const eq = p.indexOf('=');
    if (eq < 0) {
      if (p.trim()) return null;
      continue;
    }
    params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim().replace(/^"|"$/g, '');
  }
  const cw = params['compatible-with'];
  return { essence, version: cw !== undefined && /^\d+$/.test(cw) ? Number(cw) : null, params };
}

const BODY_TYPES = new Set([
  'application/json',
  'application/x-ndjson',
  'application/vnd.elasticsearch+json',
  'application/vnd.elasticsearch+x-ndjson',
]);

/** Is this a Content-Type Elasticsearch parses as JSON / NDJSON? (SMILE, CBOR and YAML are not simulated.) */
function supportedBodyType(mt: MediaType | null): boolean {
  if (!mt || !BODY_TYPES.has(mt.essence)) return false;
  for (const [k, v] of Object.entries(mt.params)) {
    if (k === 'charset' && v.toLowerCase() === 'utf-8') continue;
    if (k === 'compatible-with' && mt.essence.startsWith('application/vnd.elasticsearch+') && /^\d+$/.test(v)) continue;
    return false;
  }
  // the vendor types are only meaningful with a version
  if (mt.essence.startsWith('application/vnd.elasticsearch+') && mt.version === null) return false;
  return true;
}

export interface HttpFailure {
  status: number;
  body: JsonValue;
}

/**
 * Content-Type and Accept checks done before any handler runs. Returns null when the request may proceed.
 * `major` is the simulated server's major version.
 */
export function checkMediaTypes(req: IncomingMessage, hasBody: boolean, major: number): HttpFailure | null {
  const ctHeader = req.headers['content-type'];
  const contentType = parseMediaType(ctHeader);
  if (hasBody && !supportedBodyType(contentType)) {
    const error = ctHeader === undefined ? 'Content-Type header is missing' : `Content-Type header [${ctHeader}] is not supported`;
    return { status: 406, body: { error, status: 406 } };
  }
  const acceptHeader = req.headers.accept;
  const accept = parseMediaType(acceptHeader?.split(',')[0]);
  const aVersion = accept?.version ?? null;
  const cVersion = hasBody ? (contentType?.version ?? null) : null;
  const acceptVersion = aVersion ?? major;
  const contentVersion = cVersion ?? major;
  let problem: string | null = null;
  if (acceptVersion > major || acceptVersion < major - 1) {
    problem = `Accept version must be either version ${major} or ${major - 1}, but found ${acceptVersion}. Accept=${acceptHeader}`;
  } else if (hasBody) {
    if (contentVersion > major || contentVersion < major - 1) {
      problem = `Content-Type version must be either version ${major} or ${major - 1}, but found ${contentVersion}. Content-Type=${ctHeader}`;
    } else if (contentVersion !== acceptVersion) {
      problem =
        'A compatible version is required on both Content-Type and Accept headers if either one has requested a compatible version ' +
        `and the compatible versions must match. Accept=${acceptHeader ?? null}, Content-Type=${ctHeader}`;
    } else if ((cVersion === null) !== (aVersion === null)) {
      problem =
        'A compatible version is required on both Content-Type and Accept headers if either one has requested a compatible version. ' +
        `Accept=${acceptHeader ?? null}, Content-Type=${ctHeader}`;
    }
  }
  if (!problem) return null;
  const e = exception('media_type_header_exception', 'Invalid media-type value on headers [Content-Type, Accept]', {}, exception('status_exception', problem));
  return { status: 400, body: errorBody(400, e) as unknown as JsonValue };
}

export type BodyResult = { ok: true; body: Buffer } | { ok: false; tooLarge: true } | { ok: false; tooLarge: false; error: Error };

/**
 * Reads the whole request body, decoding gzip/deflate, stopping at `max` bytes (decoded size, as the
 * limit applies after decompression). A declared Content-Length above the limit fails without reading.
 */
export function readBody(req: IncomingMessage, max: number): Promise<BodyResult> {
  return new Promise((resolve) => {
    const encoding = String(req.headers['content-encoding'] ?? '').toLowerCase();
    const declared = Number(req.headers['content-length'] ?? NaN);
    if (!encoding && Number.isFinite(declared) && declared > max) {
      resolve({ ok: false, tooLarge: true });
      return;
    }
    let source: IncomingMessage | Transform = req;
    if (encoding === 'gzip' || encoding === 'x-gzip') source = req.pipe(createGunzip());
    else if (encoding === 'deflate') source = req.pipe(createInflate());
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (r: BodyResult): void => {
      if (settled) return;
      settled = true;
      resolve(r);
    };
    source.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        settle({ ok: false, tooLarge: true });
        if (source !== req) (source as Transform).destroy();
        return;
      }
      if (!settled) chunks.push(c);
    });
    source.on('end', () => settle({ ok: true, body: Buffer.concat(chunks) }));
    source.on('error', (error: Error) => settle({ ok: false, tooLarge: false, error }));
    req.on('error', (error: Error) => settle({ ok: false, tooLarge: false, error }));
  });
}

export interface ResponseContext {
  req: IncomingMessage;
  filterPath: string | null;
  pretty: boolean;
}

/** The JSON content type of a response: the vendor type, versioned, when the client asked for one. */
export function responseContentType(req: IncomingMessage): string {
  const accept = parseMediaType(req.headers.accept?.split(',')[0]);
  if (accept?.version != null && accept.essence.startsWith('application/vnd.elasticsearch+')) {
    return `application/vnd.elasticsearch+json;compatible-with=${accept.version}`;
  }
  return 'application/json';
}

export function sendJson(res: ServerResponse, status: number, body: JsonValue, ctx: ResponseContext, headers: Record<string, string | string[]> = {}): void {
  if (res.headersSent || res.destroyed) return;
  const filtered = applyFilterPath(body, ctx.filterPath);
  const text = ctx.pretty ? JSON.stringify(filtered, null, 2) + '\n' : JSON.stringify(filtered);
  res.writeHead(status, {
    ...headers,
    'content-type': responseContentType(ctx.req),
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(ctx.req.method === 'HEAD' ? undefined : text);
}

/** A bodiless answer (HEAD, 413). */
export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { ...headers, 'content-length': '0' });
  res.end();
}
