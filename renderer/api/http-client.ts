/**
 * The contract over loopback HTTP, for `pra-ic ui` (see shared/http-transport.ts): each call is a
 * `POST /api/invoke/<channel>`, engine events arrive as Server-Sent Events from `/api/events`.
 *
 * The page's credential never lives in a cookie (a cookie for 127.0.0.1 goes to every local server,
 * whatever its port). The printed address carries a one-time token in its fragment; the page takes
 * it out of the address bar, trades it once for a session credential, keeps that in memory and in
 * this tab's sessionStorage (scoped to this origin, port included, and never sent anywhere by the
 * browser: a reload of the tab keeps working), and sends it as an `Authorization` header — on the
 * event stream too, which is why the stream is read with fetch rather than EventSource.
 */
import { ApiError, type Channel, type ChannelInput, type ChannelOutput, type UiEvent } from '../../shared/contract.ts';
import {
  HTTP_EVENTS_PATH, HTTP_INVOKE_PATH, HTTP_REQUEST_HEADER, HTTP_SESSION_PATH, HTTP_SESSION_STORAGE_KEY, HTTP_TOKEN_PARAM,
} from '../../shared/http-transport.ts';
import { asErrorBody, toApiError } from './errors.ts';
import type { ApiClient, ConnectionState } from './types.ts';

/**
 * Takes the one-time token out of the address bar (`#token=…`), leaving no trace of it in the
 * history entry; returns it, or null when the address has none.
 */
export function takeTokenFromAddressBar(win: Window = window): string | null {
  const url = new URL(win.location.href);
  const fragment = new URLSearchParams(url.hash.replace(/^#/, ''));
  const token = fragment.get(HTTP_TOKEN_PARAM);
  if (token === null) return null;
  win.history.replaceState(win.history.state, '', `${url.pathname}${url.search}`);
  return token;
}

const BACKOFF_START_MS = 1_000;
const BACKOFF_MAX_MS = 30_000;
const NO_SESSION =
  'This page has no session with “pra-ic ui”. Open the address that “pra-ic ui” printed (it works once), or restart “pra-ic ui” for a new one.';

/** Where the session credential is kept between reloads of the tab (sessionStorage, or nothing). */
export interface CredentialStore {
  get(): string | null;
  set(value: string | null): void;
}

export function tabStorage(win: Window = window): CredentialStore {
  return {
    get: () => {
      try {
        return win.sessionStorage.getItem(HTTP_SESSION_STORAGE_KEY);
      } catch {
        return null;
      }
    },
    set: (value) => {
      try {
        if (value === null) win.sessionStorage.removeItem(HTTP_SESSION_STORAGE_KEY);
        else win.sessionStorage.setItem(HTTP_SESSION_STORAGE_KEY, value);
      } catch {
        // Storage refused (privacy settings): the credential stays in memory, a reload needs a new address.
      }
    },
  };
}

export interface HttpClientOptions {
  /** Prefix of the API paths (the page's origin by default). */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** The one-time token taken from the address, if the page was opened with one. */
  token?: string | null;
  storage?: CredentialStore;
}

export class HttpClient implements ApiClient {
  readonly transport = 'http' as const;
  private readonly baseUrl: string;
  private readonly fetchFn: typeof fetch;
  private readonly storage: CredentialStore;
  private token: string | null;
  private session: Promise<string> | null = null;
  private readonly listeners = new Set<(event: UiEvent) => void>();
  private readonly connectionListeners = new Set<(state: ConnectionState) => void>();
  private stream: AbortController | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private backoff = BACKOFF_START_MS;
  private state: ConnectionState = 'connecting';

  constructor(options: HttpClientOptions = {}) {
    this.baseUrl = options.baseUrl ?? '';
    this.fetchFn = options.fetch ?? fetch.bind(globalThis);
    this.storage = options.storage ?? { get: () => null, set: () => undefined };
    this.token = options.token ?? null;
  }

  /** The session credential: traded for the address's token once, else the one this tab kept. */
  private credential(): Promise<string> {
    this.session ??= this.openSession().catch((error: unknown) => {
      this.session = null;
      throw error;
    });
    return this.session;
  }

  private async openSession(): Promise<string> {
    const token = this.token;
    this.token = null; // one attempt: the server spends the token on the first exchange anyway
    if (token === null) {
      const kept = this.storage.get();
      if (kept) return kept;
      throw new ApiError({ code: 'failed', message: NO_SESSION });
    }
    const session = await this.post<{ session?: unknown }>(HTTP_SESSION_PATH, { token }, null);
    if (typeof session.session !== 'string') throw new ApiError({ code: 'failed', message: NO_SESSION });
    this.storage.set(session.session);
    return session.session;
  }

  /** The server no longer knows the credential (restarted): forget it, so the next call says so. */
  private dropSession() {
    this.storage.set(null);
    this.session = Promise.reject(new ApiError({ code: 'failed', message: NO_SESSION }));
    this.session.catch(() => undefined);
  }

  async invoke<C extends Channel>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> {
    const session = await this.credential();
    return this.post<ChannelOutput<C>>(`${HTTP_INVOKE_PATH}${encodeURIComponent(channel)}`, input ?? {}, session, channel);
  }

  private async post<T>(path: string, input: unknown, session: string | null, what = 'the request'): Promise<T> {
    const headers: Record<string, string> = { 'Content-Type': 'application/json', [HTTP_REQUEST_HEADER]: '1' };
    if (session !== null) headers.Authorization = `Bearer ${session}`;
    let response: Response;
    try {
      response = await this.fetchFn(`${this.baseUrl}${path}`, { method: 'POST', credentials: 'omit', cache: 'no-store', headers, body: JSON.stringify(input) });
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
    if (response.status === 401 && session !== null) this.dropSession();
    const envelope = payload as { ok?: unknown; result?: unknown; error?: unknown } | null;
    if (response.ok && envelope && envelope.ok === true) return envelope.result as T;
    const body = asErrorBody(envelope?.error);
    if (body) throw new ApiError(body);
    if (response.status === 401 || response.status === 403) {
      throw new ApiError({
        code: 'failed',
        message: `The engine refused the request (HTTP ${response.status}). Open the address that “pra-ic ui” printed again.`,
      });
    }
    throw toApiError(new Error(`The engine answered ${what} with HTTP ${response.status} and no usable result.`));
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
    if (this.stream || this.retryTimer) return;
    const controller = new AbortController();
    this.stream = controller;
    void this.readStream(controller).then(
      (again) => this.streamEnded(controller, again),
      () => this.streamEnded(controller, true),
    );
  }

  /**
   * Reads the Server-Sent Events stream until it ends or fails. False when trying again is
   * pointless: the page has no session (the calls say what to do about it).
   */
  private async readStream(controller: AbortController): Promise<boolean> {
    let session: string;
    try {
      session = await this.credential();
    } catch {
      return false;
    }
    const response = await this.fetchFn(`${this.baseUrl}${HTTP_EVENTS_PATH}`, {
      credentials: 'omit',
      cache: 'no-store',
      headers: { Accept: 'text/event-stream', Authorization: `Bearer ${session}` },
      signal: controller.signal,
    });
    if (response.status === 401) {
      this.dropSession();
      return false;
    }
    if (!response.ok || !response.body) return true;
    this.backoff = BACKOFF_START_MS;
    this.setState('connected');
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffered = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return true;
      buffered += value;
      // Frames end with a blank line; only `data:` lines matter (comments are keep-alives).
      let end: number;
      while ((end = buffered.search(/\r?\n\r?\n/)) >= 0) {
        const frame = buffered.slice(0, end);
        buffered = buffered.slice(end).replace(/^\r?\n\r?\n/, '');
        const data = frame
          .split(/\r?\n/)
          .filter((line) => line.startsWith('data:'))
          .map((line) => line.slice(5).replace(/^ /, ''))
          .join('\n');
        if (data) this.deliver(data);
      }
    }
  }

  private deliver(data: string) {
    let event: UiEvent;
    try {
      event = JSON.parse(data) as UiEvent;
    } catch {
      return;
    }
    if (!event || typeof event !== 'object' || typeof (event as { type?: unknown }).type !== 'string') return;
    for (const listener of [...this.listeners]) listener(event);
  }

  /** Reconnects ourselves, with a growing delay, unless nobody listens any more or there is no session. */
  private streamEnded(controller: AbortController, again: boolean) {
    if (this.stream !== controller) return;
    this.stream = null;
    controller.abort();
    if (this.listeners.size === 0 || !again) return;
    this.setState('reconnecting');
    const delay = this.backoff;
    this.backoff = Math.min(this.backoff * 2, BACKOFF_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.listeners.size > 0) this.connect();
    }, delay);
  }

  private disconnect() {
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const stream = this.stream;
    this.stream = null;
    stream?.abort();
    this.setState('connecting');
  }
}
