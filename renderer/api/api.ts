/**
 * Picks the transport: the Electron preload's `window.praIc` when it is there, otherwise the
 * loopback HTTP API of `pra-ic ui` (same origin as the page).
 */
import type { PraApi } from '../../shared/contract.ts';
import { PRELOAD_GLOBAL } from '../../shared/http-transport.ts';
import { ElectronClient } from './electron-client.ts';
import { HttpClient, tabStorage, takeTokenFromAddressBar } from './http-client.ts';
import type { ApiClient } from './types.ts';

function isPraApi(value: unknown): value is PraApi {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as PraApi).invoke === 'function' &&
    typeof (value as PraApi).onEvent === 'function'
  );
}

export function createApi(win: Window = window): ApiClient {
  const bridge = (win as unknown as Record<string, unknown>)[PRELOAD_GLOBAL];
  if (isPraApi(bridge)) return new ElectronClient(bridge);
  return new HttpClient({ token: takeTokenFromAddressBar(win), storage: tabStorage(win) });
}

export type { ApiClient, ConnectionState } from './types.ts';
