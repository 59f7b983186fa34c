/**
 * What an answer or a failure of the PRA API means, for the client's retries and in words for the
 * user: Retry-After, OAuth error codes, HTML where XML or JSON was expected, network errors that
 * are worth another try, and every network failure as a sentence (TLS problems named precisely).
 */
import { describeTlsProblem } from './tls-trust.ts';

/** How long a 429 or 503 asks to wait (Retry-After in seconds or as a date); at least a second. */
export function retryAfterMs(header: string | string[] | undefined): number {
  const value = Array.isArray(header) ? header[0] : header;
  if (value) {
    const seconds = Number(value);
    if (Number.isFinite(seconds) && seconds >= 0) return Math.max(1000, seconds * 1000);
    const date = Date.parse(value);
    if (!Number.isNaN(date)) return Math.max(1000, date - Date.now());
  }
  return 1000;
}

/** The `error` of an OAuth error answer (`invalid_client`…), null when the body is not one. */
export function oauthErrorCode(body: string): string | null {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    return typeof parsed.error === 'string' ? parsed.error : null;
  } catch {
    return null;
  }
}

/** A login page or a proxy's error page where the API's XML or JSON was expected. */
export function looksLikeHtml(text: string) {
  return /^\s*(<!doctype html|<html)/i.test(text);
}

/** An answer's text for an error message: tags dropped, white space folded, at most 200 characters. */
export function summarize(text: string) {
  const plain = text.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim();
  return plain.length > 200 ? `${plain.slice(0, 200)}…` : plain;
}

/** A network error's code (`ECONNRESET`…), else its name. */
export function errorCode(error: unknown): string {
  return (error as { code?: string }).code ?? (error as Error).name ?? 'error';
}

const RETRYABLE_CODES = new Set(['ETIMEDOUT', 'ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ECONNABORTED', 'ERR_STREAM_PREMATURE_CLOSE']);

/** A failure of the network that another try may not meet (a reset, a refused connection, a DNS hiccup). */
export function isRetryableNetworkError(error: unknown) {
  // A trickling answer (the total timeout) would trickle again: say so now rather than after every retry.
  if ((error as { event?: string }).event === 'request') return false;
  return RETRYABLE_CODES.has(errorCode(error));
}

/** A network failure in words; TLS problems are named precisely (self-signed, expired, wrong host). */
export function networkProblem(error: unknown, connection: { host: string; timeoutSeconds: number }): string {
  const code = errorCode(error);
  // Callers end the sentence: no full stop of our own (it made "..").
  const tls = describeTlsProblem(code, connection.host);
  if (tls) return tls.replace(/\.$/, '');
  if (code === 'ETIMEDOUT' && (error as { event?: string }).event === 'request') {
    // got's total `request` timeout, set on the token request: its tiny answer trickled.
    const ms = /for (\d+)\s*ms/.exec((error as Error).message ?? '')?.[1];
    const within = ms ? ` within ${Number(ms) / 1000} s` : ' in time';
    return `the answer did not arrive completely${within}: it came too slowly (the site or a proxy on the way is struggling)`;
  }
  switch (code) {
    case 'ENOTFOUND':
      return `the name ${connection.host.replace(/:\d+$/, '')} does not resolve: check the site URL and this computer's DNS`;
    case 'EAI_AGAIN':
      return 'name resolution failed temporarily (DNS)';
    case 'ECONNREFUSED':
      return 'the connection was refused: check the host and port';
    case 'ETIMEDOUT':
      return `no answer within ${connection.timeoutSeconds} s`;
    case 'ECONNRESET':
      return 'the connection was reset';
    case 'EPROTO':
    case 'ERR_SSL_WRONG_VERSION_NUMBER':
      return 'the TLS handshake failed: is this an HTTPS port?';
    default:
      return ((error as Error).message ?? code).replace(/\.+$/, '');
  }
}
