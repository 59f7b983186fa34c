/**
 * How `pra-ic ui` carries the contract (shared/contract.ts) over loopback HTTP, for both ends.
 *
 * - The server binds 127.0.0.1 and prints `http://127.0.0.1:<port>/#token=<random>`. The token is
 *   in the fragment, which the browser never sends to any server.
 * - The page (public code: the built renderer, served to any request addressed to this server)
 *   takes the token out of the address bar and trades it once, `POST /api/session` with
 *   `{ token }`, for a session credential. The token is then spent: the printed address opens the
 *   UI once. The credential stays in the page (memory, and the tab's sessionStorage so a reload
 *   of that tab keeps working); it is sent as `Authorization: Bearer <credential>` on every call
 *   and on the event stream. No cookie is ever set: a cookie for 127.0.0.1 would travel to every
 *   other server on 127.0.0.1, whatever its port (cookies are not scoped by port, and all
 *   loopback ports are one "site" for SameSite).
 * - API: `POST /api/invoke/<channel>` with the JSON input as body and the header
 *   `X-PRA-IC-Request: 1`. Answers `{ ok: true, result }` or `{ ok: false, error: ApiErrorBody }`
 *   with a 4xx/5xx status; every refusal of the server has that JSON shape too.
 * - Events: `GET /api/events` (read with fetch, which can send the header; EventSource cannot),
 *   Server-Sent Events, one `UiEvent` JSON per `data:` line.
 * - Any request with a `Host` other than the server's own loopback address, or with a foreign
 *   `Origin`, is refused (403) — no DNS rebinding, no cross-site calls.
 */
/** Name of the fragment parameter that carries the one-time token in the printed address. */
export const HTTP_TOKEN_PARAM = 'token';
/** The tab's sessionStorage key holding the session credential (per origin, so per port). */
export const HTTP_SESSION_STORAGE_KEY = 'pra-ic-session';
export const HTTP_REQUEST_HEADER = 'x-pra-ic-request';
export const HTTP_SESSION_PATH = '/api/session';
export const HTTP_INVOKE_PATH = '/api/invoke/';
export const HTTP_EVENTS_PATH = '/api/events';

/** The name under which the preload exposes the contract to the renderer in Electron. */
export const PRELOAD_GLOBAL = 'praIc';
