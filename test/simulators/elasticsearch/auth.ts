// Authentication: API keys, native users and anonymous access, and the authenticate API.
//
// Documented behaviour relied on (Elasticsearch reference, "Security" > "User authentication", "API keys",
// "Anonymous access", "Authenticate API"):
// - `Authorization: ApiKey <base64(id:api_key)>` and `Authorization: Basic <base64(username:password)>`.
// - No credentials (and anonymous access off): 401 security_exception "missing authentication credentials
//   for REST request [<uri>]"; wrong user/password: 401 "unable to authenticate user [<name>] for REST
//   request [<uri>]"; a bad API key: 401 "unable to authenticate with provided credentials and anonymous
//   access is not allowed for this request" with `additional_unsuccessful_credentials` naming the key problem.
//   Every 401 carries the WWW-Authenticate challenges, as response headers and inside error.header:
//   `Basic realm="security", charset="UTF-8"`, `Bearer realm="security"`, `ApiKey`.
// - `GET /_security/_authenticate` answers { username, roles, full_name, email, metadata, enabled,
//   authentication_realm { name, type }, lookup_realm { name, type }, authentication_type } and, for an API
//   key, `api_key { id, name }`; authentication_type is "realm", "api_key", "token" or "anonymous".
//   API keys authenticate in the realm `_es_api_key`; the built-in `elastic` user in `reserved`; native users
//   in `default_native`; anonymous in `__anonymous`.

import type { IncomingMessage } from 'node:http';

import { errorBody, exception, type EsErrorBody } from './errors.ts';
import { SUPERUSER, type Principal, type Privileges } from './privileges.ts';

export interface ApiKeyCredential {
  id: string;
  key: string;
  /** The API key's name (authenticate API `api_key.name`). */
  name?: string;
  /** The user who created the key (default `elastic`). */
  owner?: string;
  /** Role descriptor limiting the key (default: everything, like a key made by a superuser without descriptors). */
  privileges?: Privileges;
  /** Invalidated keys authenticate no more. */
  invalidated?: boolean;
  /** Expiry, epoch milliseconds. */
  expiration?: number;
}

export interface UserCredential {
  username: string;
  password: string;
  roles?: string[];
  privileges?: Privileges;
  enabled?: boolean;
}

export interface Identity extends Principal {
  authenticationType: 'api_key' | 'realm' | 'anonymous';
  realm: { name: string; type: string };
  apiKeyName?: string;
  privileges: Privileges;
}

export const WWW_AUTHENTICATE = ['Basic realm="security", charset="UTF-8"', 'Bearer realm="security"', 'ApiKey'];

export type AuthResult = { ok: true; identity: Identity } | { ok: false; status: 401; body: EsErrorBody; headers: Record<string, string[]> };

export class CredentialStore {
  readonly apiKeys = new Map<string, ApiKeyCredential>();
  readonly users = new Map<string, UserCredential>();
  anonymous: Privileges | null;

  constructor(apiKeys: ApiKeyCredential[], users: UserCredential[], anonymous: Privileges | null, readonly now: () => number) {
    for (const k of apiKeys) this.apiKeys.set(k.id, { ...k });
    for (const u of users) this.users.set(u.username, { ...u });
    this.anonymous = anonymous;
  }

  private fail(uri: string, reason: string, extra: Record<string, unknown> = {}): AuthResult {
    const header = { 'WWW-Authenticate': WWW_AUTHENTICATE };
    const body = errorBody(401, exception('security_exception', reason, { ...extra, header }));
    return { ok: false, status: 401, body, headers: { 'www-authenticate': WWW_AUTHENTICATE } };
  }

  authenticate(req: IncomingMessage): AuthResult {
    const uri = req.url ?? '/';
    const header = req.headers.authorization;
    if (!header) {
      if (this.anonymous) {
        return {
          ok: true,
          identity: {
            username: '_anonymous',
            roles: ['_anonymous'],
            authenticationType: 'anonymous',
            realm: { name: '__anonymous', type: '__anonymous' },
            privileges: this.anonymous,
          },
        };
      }
      return this.fail(uri, `missing authentication credentials for REST request [${uri}]`);
    }
    const space = header.indexOf(' ');
    const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
    const token = space < 0 ? '' : header.slice(space + 1).trim();
    const decoded = Buffer.from(token, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (scheme === 'apikey') {
      const unsuccessful = (why: string): AuthResult =>
        this.fail(uri, 'unable to authenticate with provided credentials and anonymous access is not allowed for this request', {
          additional_unsuccessful_credentials: `API key: ${why}`,
        });
      if (colon < 0) return unsuccessful('invalid ApiKey value');
      const id = decoded.slice(0, colon);
      const secret = decoded.slice(colon + 1);
      const key = this.apiKeys.get(id);
      if (!key) return unsuccessful(`unable to find apikey with id ${id}`);
      if (key.invalidated) return unsuccessful(`api key [${id}] has been invalidated`);
      if (key.expiration !== undefined && key.expiration <= this.now()) return unsuccessful('api key is expired');
      if (key.key !== secret) return unsuccessful(`invalid credentials for API key [${id}]`);
      return {
        ok: true,
        identity: {
          username: key.owner ?? 'elastic',
          roles: [],
          apiKeyId: key.id,
          apiKeyName: key.name ?? key.id,
          authenticationType: 'api_key',
          realm: { name: '_es_api_key', type: '_es_api_key' },
          privileges: key.privileges ?? SUPERUSER,
        },
      };
    }
    if (scheme === 'basic') {
      const username = colon < 0 ? decoded : decoded.slice(0, colon);
      const password = colon < 0 ? '' : decoded.slice(colon + 1);
      const user = this.users.get(username);
      if (!user || user.password !== password || user.enabled === false) {
        return this.fail(uri, `unable to authenticate user [${username}] for REST request [${uri}]`);
      }
      const reserved = username === 'elastic';
      return {
        ok: true,
        identity: {
          username,
          roles: user.roles ?? (reserved ? ['superuser'] : []),
          authenticationType: 'realm',
          realm: reserved ? { name: 'reserved', type: 'reserved' } : { name: 'default_native', type: 'native' },
          privileges: user.privileges ?? SUPERUSER,
        },
      };
    }
    // An Authorization scheme no realm understands is "no credentials" to Elasticsearch.
    return this.fail(uri, `missing authentication credentials for REST request [${uri}]`);
  }
}

/** The authenticate API's answer for an identity. */
export function authenticateResponse(id: Identity): Record<string, unknown> {
  const out: Record<string, unknown> = {
    username: id.username,
    roles: id.roles,
    full_name: null,
    email: null,
    metadata: {},
    enabled: true,
    authentication_realm: id.realm,
    lookup_realm: id.realm,
    authentication_type: id.authenticationType,
  };
  if (id.apiKeyId !== undefined) out.api_key = { id: id.apiKeyId, name: id.apiKeyName ?? null };
  return out;
}
