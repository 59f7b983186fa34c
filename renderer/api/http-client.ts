/**
 * The contract over loopback HTTP, for `pra-ic ui` (see shared/http-transport.ts): each call is a
 * `POST /api/invoke/<channel>`, engine events arrive as Server-Sent Events from `/api/events`.
 * The session token travels in an HttpOnly cookie the server set on the first page load; the
 * token in the address bar is removed as soon as the page runs.
 */
import { ApiError, type Channel, type ChannelInput, type ChannelOutput, type UiEvent } from '../../shared/contract.ts';
import { HTTP_EVENTS_PATH, HTTP_INVOKE_PATH, HTTP_TOKEN_QUERY } from '../../shared/http-transport.ts';
import { asErrorBody, toApiError } from './errors.ts';
import type { ApiClient, ConnectionState } from './types.ts';

/** Removes `?token=…` from the address bar (keeping any other query and the hash). */
export function removeTokenFromAddressBar(win: Window = window): void {
  const url = new URL(win.location.href);
  if (!url.searchParams.has(HTTP_TOKEN_QUERY)) return;
  url.searchParams.delete(HTTP_TOKEN_QUERY);
  win.history.replaceState(win.history.state, '', `${url.pathname}${url.search}${url.hash}`);
}

const BACKOFF_START_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;

export interface HttpClientOptions {
  /** Prefix of the API paths (the page's origin by default). */
  baseUrl?: string;
  fetch?: typeof fetch;
  EventSource?: typeof EventSource;
}

export class HttpClient implements ApiClient {
  readonly transport = 'http' as const;
  private readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;
  private readonly EventSourceCtor: typeof EventSource;
  private readonly listeners = new Set<(event: UiEvent) => void>();
  private readonly connectionListeners = new Set<(state: ConnectionState) => void>();
  private source: EventSource | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private backoff = BACKOFF_START_MS;
  private state: ConnectionState = 'connecting';

  constructor(options: HttpClientOptions = {}) {
    this.baseUrl = options.baseUrl ?? '';
    this.fetchFn = options.fetch ?? fetch.bind(globalThis);
    this.EventSourceCtor = options.EventSource ?? EventSource;
  }

  async invoke<C extends Channel>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> {
    let response: Response;
    try {
      response = await this.fetchFn(`${this.baseUrl}${HTTP_INVOKE_PATH}${encodeURIComponent(channel)}`, {
        method: 'POST',
        credentials: 'same-origin',
        cache: 'no-store',
        headers: { 'Content-Type': 'application/json', 'X-PRA-IC-Request': '1' },
        body: JSON.stringify(input ?? {}),
      });
    } catch {
      throw new ApiError({
        code: 'failed',
        message: "Can't reach the engine. Check that “pra-ic ui” is still running, then try again.",
      });
    }
    let payload: unknown = null;
    try {
      payload = await response.json();
    } catch {
      payload = null;
    }
    const envelope = payload as { ok?: unknown; result?: unknown; error?: unknown } | null;
    if (response.ok && envelope && envelope.ok === true) return envelope.result as ChannelOutput<C>;
    const body = asErrorBody(envelope?.error);
    if (body) throw new ApiError(body);
    if (response.status === 401 || response.status === 403) {
      throw new ApiError({
        code: 'failed',
        message: `The engine refused the request (HTTP ${response.status}). Open the address that “pra-ic ui” printed again.`,
      });
    }
    throw toApiError(new Error(`The engine answered ${channel} with HTTP ${response.status} and no usable result.`));
  }

  onEvent(listener: (event: UiEvent) => void): () => void {
    this.listeners.add(listener);
    this.connect();
    return () => {
      this.listeners.delete(listener);
      if (this.listeners.size === 0) this.disconnect();
    };
  }

  connection(): ConnectionState {
    return this.state;
  }

  onConnectionChange(listener: (state: ConnectionState) => void): () => void {
    this.connectionListeners.add(listener);
    return () => this.connectionListeners.delete(listener);
  }

  private setState(state: ConnectionState) {
    if (state === this.state) return;
    this.state = state;
    for (const listener of [...this.connectionListeners]) listener(state);
  }

  private connect() {
    if (this.source || this.retryTimer) return;
    const source = new this.EventSourceCtor(`${this.baseUrl}${HTTP_EVENTS_PATH}`, { withCredentials: false });
    this.source = source;
    source.onopen = () => {
      this.backoff = BACKOFF_START_MS;
      this.setState('connected');
    };
    source.onmessage = (message: MessageEvent<string>) => {
      let event: UiEvent;
      try {
        event = JSON.parse(message.data) as UiEvent;
      } catch {
        return;
      }
      if (!event || typeof event !== 'object' || typeof (event as { type?: unknown }).type !== 'string') return;
      for (const listener of [...this.listeners]) listener(event);
    };
    source.onerror = () => {
      // Reconnect ourselves, with a growing delay (the browser's own retry gives up on an HTTP error).
      source.close();
      if (this.source !== source) return;
      this.source = null;
      this.setState('reconnecting');
      if (this.listeners.size === 0) return;
      const delay = this.backoff;
      this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = null;
        if (this.listeners.size > 0) this.connect();
      }, delay);
    };
  }

  private disconnect() {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.source?.close();
    this.source = null;
    this.setState('connecting');
  }
}
