// One request/response pair and the helpers both endpoints share: reading the form body, the
// headers every answer carries, sending a small answer, and acting out the injected faults.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { BodySink, type BodyCut } from './body-sink.ts';
import { LOGIN_PAGE_HTML, NOT_XML_BODY, statusPage, type FaultSpec } from './faults.ts';
import { errorDocument, type ListElement } from './report-xml.ts';
import type { RequestLogEntry } from './request-log.ts';
import type { SimState } from './sim-state.ts';

export interface Exchange {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Raw request body (forms are small; the simulator caps it at 1 MiB). */
  body: Buffer;
  entry: RequestLogEntry;
  /** Server clock (ms) for the Date header. */
  serverNowMs: number;
}

const MAX_BODY = 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > MAX_BODY) throw new Error('request body too large');
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** application/x-www-form-urlencoded → plain record (last value wins). */
export function parseForm(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of new URLSearchParams(text)) out[k] = v;
  return out;
}

/** `Authorization: Basic base64(id:secret)` → its parts, or null. */
export function basicCredentials(header: string | undefined): { clientId: string; secret: string } | null {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return null;
  const decoded = Buffer.from(m[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { clientId: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

export function bearerToken(header: string | undefined): string | null {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  return m ? m[1]! : null;
}

/**
 * Headers on every answer. BeyondTrust asks API clients to close the connection after each call, so
 * the simulator says `Connection: close` and Node closes the socket after the response. The Date
 * header follows the simulated server clock (including any configured skew).
 */
export function baseHeaders(ex: Exchange): Record<string, string> {
  return { Date: new Date(ex.serverNowMs).toUTCString(), Connection: 'close', 'Cache-Control': 'no-store' };
}

export function writeHead(ex: Exchange, status: number, headers: Record<string, string>): void {
  ex.entry.status = status;
  ex.res.writeHead(status, { ...baseHeaders(ex), ...headers });
}

/** A whole answer through a BodySink, so that stall/truncate faults apply to small answers too. */
export async function respond(ex: Exchange, status: number, headers: Record<string, string>, body: string, cut?: BodyCut): Promise<void> {
  const withLength = cut ? headers : { ...headers, 'Content-Length': String(Buffer.byteLength(body)) };
  writeHead(ex, status, withLength);
  const sink = sinkFor(ex, cut);
  sink.add(body);
  ex.entry.completed = await sink.end();
}

export function sinkFor(ex: Exchange, cut: BodyCut | undefined): BodySink {
  return new BodySink(ex.res, cut, (total) => {
    ex.entry.bytes = total;
  });
}

export function json(value: unknown): string {
  return JSON.stringify(value);
}

export const XML_TYPE = 'text/xml; charset=UTF-8';

/**
 * Acts out a fault taken from the queue. Returns 'answered' when the fault replaced the answer,
 * otherwise what the normal answer must do (a body cut), after any delay.
 */
export async function enactFault(
  ex: Exchange,
  fault: FaultSpec | undefined,
  xml: { list: ListElement; namespace: string | null },
): Promise<'answered' | { cut?: BodyCut }> {
  if (!fault) return {};
  ex.entry.fault = fault.kind;
  switch (fault.kind) {
    case 'status': {
      const headers: Record<string, string> = { 'Content-Type': 'text/html; charset=UTF-8' };
      if (fault.retryAfterSeconds !== undefined) headers['Retry-After'] = String(fault.retryAfterSeconds);
      await respond(ex, fault.status, headers, statusPage(fault.status));
      return 'answered';
    }
    case '429':
      await respond(ex, 429, { 'Content-Type': 'text/plain; charset=UTF-8', 'Retry-After': String(fault.retryAfterSeconds) }, 'Too Many Requests\n');
      return 'answered';
    case 'slow':
    case 'held':
      await (fault.kind === 'slow' ? sleep(fault.delayMs) : fault.until.catch(() => undefined));
      // The client may have given up (or the simulator closed) meanwhile.
      return ex.res.destroyed ? 'answered' : {};
    case 'stall-body':
      return { cut: { mode: 'stall', afterBytes: fault.afterBytes } };
    case 'truncate':
      return { cut: { mode: 'truncate', afterBytes: fault.afterBytes } };
    case 'trickle':
      return { cut: { mode: 'trickle', afterBytes: fault.afterBytes, intervalMs: fault.intervalMs, bytesPerTick: fault.bytesPerTick ?? 1 } };
    case 'html':
      await respond(ex, 200, { 'Content-Type': 'text/html; charset=UTF-8' }, LOGIN_PAGE_HTML);
      return 'answered';
    case 'error-root':
    case 'error-in-list':
      await respond(ex, 200, { 'Content-Type': XML_TYPE },
        errorDocument(xml.list, fault.text, fault.kind === 'error-root' ? 'root' : 'in-list', xml.namespace));
      return 'answered';
    case 'not-xml':
      await respond(ex, 200, { 'Content-Type': XML_TYPE }, NOT_XML_BODY);
      return 'answered';
    case 'empty':
      await respond(ex, 200, { 'Content-Type': 'application/octet-stream' }, '');
      return 'answered';
  }
}

/**
 * The account a bearer token belongs to is logged and counted against its limits (20/s, 15,000/h),
 * before the token itself is judged, as the appliance counts every call. True when the call was
 * answered 429 (Retry-After) and the handler must stop.
 */
export async function answeredRateLimited(ex: Exchange, state: Pick<SimState, 'accounts' | 'limiter'>, token: string | null): Promise<boolean> {
  const owner = token === null ? undefined : state.accounts.ownerOf(token);
  ex.entry.clientId = owner;
  if (owner === undefined) return false;
  const decision = state.limiter.check(owner);
  if (decision.allowed) return false;
  ex.entry.outcome = 'rate-limited';
  await respond(ex, 429, { 'Content-Type': 'text/plain; charset=UTF-8', 'Retry-After': String(decision.retryAfterSeconds) }, 'Too Many Requests\n');
  return true;
}
