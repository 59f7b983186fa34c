/**
 * How `pra-ic ui` carries the contract (shared/contract.ts) over loopback HTTP, for both ends.
 *
 * - The server binds 127.0.0.1 and prints `http://127.0.0.1:<port>/?token=<random>`.
 * - The first page load presents the token in the query; the server answers with a
 *   `SameSite=Strict; HttpOnly` cookie holding it, so the page's later requests (assets, API,
 *   events) carry it without the token staying in the address bar. The renderer removes the query.
 * - API: `POST /api/invoke/<channel>` with the JSON input as body and the header
 *   `X-PRA-IC-Request: 1` (a custom header: a cross-site form cannot send it). Answers
 *   `{ ok: true, result }` or `{ ok: false, error: ApiErrorBody }` with a 4xx/5xx status.
 * - Events: `GET /api/events`, Server-Sent Events, one `UiEvent` JSON per `data:` line.
 * - Any request without the token, with a `Host` other than the server's own loopback address,
 *   or with a foreign `Origin`, is refused (403) — no DNS rebinding, no cross-site calls.
 */
export const HTTP_TOKEN_QUERY = 'token';
export const HTTP_TOKEN_COOKIE = 'pra_ic_token';
export const HTTP_REQUEST_HEADER = 'x-pra-ic-request';
export const HTTP_INVOKE_PATH = '/api/invoke/';
export const HTTP_EVENTS_PATH = '/api/events';

/** The name under which the preload exposes the contract to the renderer in Electron. */
export const PRELOAD_GLOBAL = 'praIc';
