/**
 * The API as React context, and the hooks the screens use: `useApi` for calls, `useEngineEvents`
 * for pushed events, `useStatus` for the engine's status kept live by those events.
 */
import { createContext, useCallback, useContext, useEffect, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import type { EngineStatus, UiEvent } from '../../shared/contract.ts';
import type { SiteStatus } from '../../shared/status.ts';
import { errorMessage } from './errors.ts';
import type { ApiClient, ConnectionState } from './types.ts';

const ApiContext = createContext<ApiClient | null>(null);

export function ApiProvider({ api, children }: { api: ApiClient; children: ReactNode }) {
  return <ApiContext.Provider value={api}>{children}</ApiContext.Provider>;
}

export function useApi(): ApiClient {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi() must be used inside <ApiProvider>.');
  return api;
}

/** Calls `listener` for every event the engine pushes while the component is mounted. */
export function useEngineEvents(listener: (event: UiEvent) => void): void {
  const api = useApi();
  const latest = useRef(listener);
  latest.current = listener;
  useEffect(() => api.onEvent((event) => latest.current(event)), [api]);
}

/** Whether engine events are flowing (matters over HTTP, where the stream may drop). */
export function useConnection(): ConnectionState {
  const api = useApi();
  return useSyncExternalStore(
    useCallback((onChange) => api.onConnectionChange(onChange), [api]),
    () => api.connection(),
  );
}

/** A call's result, loaded on mount and whenever `deps` change; `reload` loads it again. */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[]): {
  data: T | undefined;
  error: string | null;
  loading: boolean;
  reload: () => void;
  setData: (update: (previous: T | undefined) => T | undefined) => void;
} {
  const [data, setDataState] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const latest = useRef(load);
  latest.current = load;
  useEffect(() => {
    let live = true;
    setLoading(true);
    latest
      .current()
      .then((value) => {
        if (!live) return;
        setDataState(value);
        setError(null);
      })
      .catch((e: unknown) => {
        if (live) setError(errorMessage(e));
      })
      .finally(() => {
        if (live) setLoading(false);
      });
    return () => {
      live = false;
    };
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const setData = useCallback((update: (previous: T | undefined) => T | undefined) => setDataState(update), []);
  return { data, error, loading, reload, setData };
}

export interface StatusState {
  status: EngineStatus | null;
  error: string | null;
  loading: boolean;
  reload: () => void;
  /** Applies a change the UI made itself (e.g. pause) before the next reload. */
  update: (change: (status: EngineStatus) => EngineStatus) => void;
}

function applyEvent(status: EngineStatus, event: UiEvent): EngineStatus {
  switch (event.type) {
    case 'site-status': {
      const exists = status.sites.some((s) => s.siteId === event.status.siteId);
      const sites: SiteStatus[] = exists
        ? status.sites.map((s) => (s.siteId === event.status.siteId ? event.status : s))
        : [...status.sites, event.status];
      return { ...status, sites };
    }
    case 'site-removed':
      return { ...status, sites: status.sites.filter((s) => s.siteId !== event.siteId) };
    case 'outbox':
      return { ...status, outbox: event.counts };
    case 'archive':
      return { ...status, archive: event.status };
    default:
      return status;
  }
}

/**
 * The engine's status: `status.get`, then kept current by `site-status`, `site-removed`, `outbox`
 * and `archive` events. Loaded again after the event stream reconnects (events may have been missed)
 * and when the number of failed deliveries changes (the failure reasons come only with status.get).
 */
export function useStatus(): StatusState {
  const api = useApi();
  const [status, setStatus] = useState<EngineStatus | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  /** Events that arrive while status.get is in flight, applied to its answer. */
  const pending = useRef<UiEvent[] | null>(null);
  const reloadTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);
  const latestStatus = useRef(status);
  latestStatus.current = status;

  useEffect(() => {
    let live = true;
    pending.current = [];
    setLoading(true);
    api
      .invoke('status.get', {})
      .then((value) => {
        if (!live) return;
        const queued = pending.current ?? [];
        pending.current = null;
        setStatus(queued.reduce(applyEvent, value));
        setError(null);
      })
      .catch((e: unknown) => {
        if (!live) return;
        pending.current = null;
        setError(errorMessage(e));
      })
      .finally(() => {
        if (live) setLoading(false);
      });
    return () => {
      live = false;
    };
  }, [api, generation]);

  useEngineEvents((event) => {
    if (event.type !== 'site-status' && event.type !== 'site-removed' && event.type !== 'outbox' && event.type !== 'archive') return;
    if (pending.current) {
      pending.current.push(event);
      return;
    }
    const current = latestStatus.current;
    if (event.type === 'outbox' && current && event.counts.failed !== current.outbox.failed && !reloadTimer.current) {
      reloadTimer.current = setTimeout(() => {
        reloadTimer.current = null;
        reload();
      }, 1_000);
    }
    setStatus((value) => (value ? applyEvent(value, event) : value));
  });

  useEffect(
    () => () => {
      if (reloadTimer.current) clearTimeout(reloadTimer.current);
    },
    [],
  );

  const connection = useConnection();
  const previous = useRef(connection);
  useEffect(() => {
    if (previous.current === 'reconnecting' && connection === 'connected') reload();
    previous.current = connection;
  }, [connection, reload]);

  const update = useCallback((change: (status: EngineStatus) => EngineStatus) => {
    setStatus((current) => (current ? change(current) : current));
  }, []);

  return { status, error, loading, reload, update };
}
