/**
 * The Elasticsearch `_id` of one session event.
 *
 * Documents are created with `op_type: create` under this id, so delivering the same event twice
 * is answered with 409 (already there) instead of a duplicate: re-polled windows, retries after a
 * crash, a re-install or a fresh data directory all converge on the same document.
 *
 * The id is derived only from what identifies the event at its source: the site (host name,
 * lowercased), the session's `lsid` and the event's ordinal in its session (the appliance only
 * appends events to a session, so the ordinal is stable across re-fetches). It must NOT include
 * anything local to this installation (install id, data directory, database row ids), or the same
 * event extracted again elsewhere would be indexed a second time.
 *
 * Encoding: SHA-256 over `v1 NUL host NUL lsid NUL ordinal` (UTF-8), first 24 bytes, base64url
 * without padding: 32 characters from `[A-Za-z0-9_-]`. The NUL separators make the encoding
 * unambiguous (none of the parts may contain NUL); the `v1` prefix lets a future scheme coexist
 * without colliding. 192 bits keep accidental collisions out of reach.
 */
import * as crypto from 'node:crypto';

export interface DocumentIdParts {
  /** The PRA site's host name (as configured, without `https://`); compared case-insensitively. */
  siteHost: string;
  /** The session's lsid (the appliance's, or the stable synthesized one used in `session.lsid`). */
  lsid: string;
  /** 0-based position of the event in its session's `session_details`. */
  ordinal: number;
}

const VERSION = 'v1';
const ID_BYTES = 24;

export function documentId({ siteHost, lsid, ordinal }: DocumentIdParts): string {
  const host = siteHost.trim().toLowerCase();
  if (host === '') throw new TypeError('documentId: siteHost is empty.');
  if (lsid === '') throw new TypeError('documentId: lsid is empty.');
  if (host.includes('\0') || lsid.includes('\0')) throw new TypeError('documentId: siteHost and lsid must not contain NUL characters.');
  if (!Number.isSafeInteger(ordinal) || ordinal < 0) {
    throw new TypeError(`documentId: ordinal must be a non-negative integer, got ${String(ordinal)}.`);
  }
  return sha256Base64url(`${VERSION}\0${host}\0${lsid}\0${ordinal}`).slice(0, ID_CHARS);
}

/**
 * 24 bytes are 32 base64 characters exactly (3 bytes → 4 characters): the first 32 characters of the
 * whole digest's base64url are those of its first 24 bytes.
 */
const ID_CHARS = (ID_BYTES / 3) * 4;

/**
 * `crypto.hash` (Node ≥ 20.12) hashes in one call, without a Hash object per id: this runs once per
 * shipped event. The older form where it is missing.
 */
const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string }).hash;
const sha256Base64url: (text: string) => string =
  oneShot !== undefined ? (text) => oneShot('sha256', text, 'base64url') : (text) => crypto.createHash('sha256').update(text, 'utf8').digest('base64url');
