// POST /oauth2/token, per "Authenticate to the Privileged Remote Access API": HTTP Basic
// `client_id:client_secret`, form body `grant_type=client_credentials`, answer
// {"access_token","token_type":"Bearer","expires_in":3600}. Errors use the OAuth 2.0 (RFC 6749 §5.2)
// shapes: bad or missing client credentials → 401 invalid_client with a Basic challenge; missing
// grant_type → 400 invalid_request; any other grant type → 400 unsupported_grant_type.
// The request counts against the account's rate limit like any other call.
import { basicCredentials, enactFault, json, parseForm, respond, type Exchange } from './http-exchange.ts';
import type { SimState } from './sim-state.ts';

const JSON_TYPE = 'application/json';

export async function handleToken(ex: Exchange, state: SimState): Promise<void> {
  if (ex.req.method !== 'POST') {
    ex.entry.outcome = 'method-not-allowed';
    return respond(ex, 405, { 'Content-Type': JSON_TYPE, Allow: 'POST' }, json({ error: 'invalid_request', error_description: 'The token endpoint only accepts POST.' }));
  }

  const form = parseForm(ex.body.toString('utf8'));
  // Log the grant type only: a client might (wrongly) put its secret in the body.
  if (form.grant_type !== undefined) ex.entry.params = { grant_type: form.grant_type };
  const credentials = basicCredentials(ex.req.headers.authorization);
  if (credentials) ex.entry.clientId = credentials.clientId;

  if (credentials) {
    const decision = state.limiter.check(credentials.clientId);
    if (!decision.allowed) {
      ex.entry.outcome = 'rate-limited';
      return respond(ex, 429, { 'Content-Type': 'text/plain; charset=UTF-8', 'Retry-After': String(decision.retryAfterSeconds) }, 'Too Many Requests\n');
    }
  }

  const faulted = await enactFault(ex, state.faults.take('token'), { list: 'session_list', namespace: state.site.namespace });
  if (faulted === 'answered') return;
  // A body fault (stall/truncate) applies to whatever the answer is.
  const cut = faulted.cut;
  const oauthError = (status: number, error: string, description: string, extra: Record<string, string> = {}): Promise<void> => {
    ex.entry.outcome = error;
    return respond(ex, status, { 'Content-Type': JSON_TYPE, Pragma: 'no-cache', ...extra }, json({ error, error_description: description }), cut);
  };

  if (!credentials || !state.accounts.authenticate(credentials.clientId, credentials.secret)) {
    return oauthError(401, 'invalid_client', 'Client authentication failed.', { 'WWW-Authenticate': 'Basic realm="oauth2"' });
  }
  if (form.grant_type === undefined || form.grant_type === '') {
    return oauthError(400, 'invalid_request', 'Missing grant_type.');
  }
  if (form.grant_type !== 'client_credentials') {
    return oauthError(400, 'unsupported_grant_type', 'Only client_credentials is supported.');
  }

  const issued = state.accounts.issue(credentials.clientId);
  ex.entry.outcome = 'token-issued';
  return respond(ex, 200, { 'Content-Type': JSON_TYPE, Pragma: 'no-cache' },
    json({ access_token: issued.token, token_type: 'Bearer', expires_in: issued.expiresIn }), cut);
}
