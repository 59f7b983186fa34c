/**
 * Builds `window.praIc` (shared/contract.ts `PraApi`) over ipcRenderer. Pure: Electron's
 * contextBridge and ipcRenderer come in as parameters, so tests run it under plain Node.
 *
 * What the page gets is exactly `{ invoke, onEvent }`, frozen: never ipcRenderer, never the IPC
 * event object (its `sender` would hand the page ipcRenderer back), never a channel outside the
 * contract.
 */
import type { ApiErrorBody, Channel, ChannelInput, ChannelOutput, PraApi, UiEvent } from '../../shared/contract.ts';
import { PRELOAD_GLOBAL } from '../../shared/http-transport.ts';
import { IPC_EVENT_CHANNEL, ipcInvokeChannel, isKnownChannel } from './channels.ts';

/** The part of Electron's ipcRenderer the preload uses. */
export interface IpcRendererLike {
  invoke(channel: string, ...args: unknown[]): Promise<unknown>;
  on(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
  removeListener(channel: string, listener: (event: unknown, ...args: unknown[]) => void): unknown;
}

/** The part of Electron's contextBridge the preload uses. */
export interface ContextBridgeLike {
  exposeInMainWorld(apiKey: string, api: unknown): void;
}

/**
 * An engine error on its way to the page. contextBridge copies only the message of an Error (its
 * own properties are dropped), so the message is the ApiErrorBody as JSON, which the renderer's
 * transport (renderer/api/errors.ts) turns back into an ApiError; `body` serves callers on this
 * side of the bridge.
 */
export class BridgeError extends Error {
  override name = 'ApiError';
  constructor(readonly body: ApiErrorBody) {
    super(JSON.stringify(body));
  }
}

/** ipcRenderer.invoke wraps a main-process exception as "Error invoking remote method 'x': Error: …". */
const REMOTE_PREFIX = /^Error invoking remote method '[^']*': (?:[A-Za-z]*Error: )?/;

function isErrorBody(value: unknown): value is ApiErrorBody {
  return typeof value === 'object' && value !== null && typeof (value as ApiErrorBody).message === 'string' && typeof (value as ApiErrorBody).code === 'string';
}

export function buildPreloadApi(ipcRenderer: IpcRendererLike): PraApi {
  async function invoke<C extends Channel>(channel: C, input: ChannelInput<C>): Promise<ChannelOutput<C>> {
    if (!isKnownChannel(channel)) {
      throw new BridgeError({ code: 'not-found', message: `Unknown channel “${String(channel)}”.` });
    }
    let response: unknown;
    try {
      response = await ipcRenderer.invoke(ipcInvokeChannel(channel), input);
    } catch (error) {
      const message = error instanceof Error ? error.message.replace(REMOTE_PREFIX, '') : String(error);
      throw new BridgeError({ code: 'failed', message: message || 'The engine did not answer.' });
    }
    const envelope = response as { ok?: unknown; result?: unknown; error?: unknown } | null;
    if (envelope && typeof envelope === 'object' && envelope.ok === true) return envelope.result as ChannelOutput<C>;
    if (envelope && typeof envelope === 'object' && envelope.ok === false && isErrorBody(envelope.error)) throw new BridgeError(envelope.error);
    throw new BridgeError({ code: 'failed', message: `The engine answered ${channel} with something that is not a result.` });
  }

  function onEvent(listener: (event: UiEvent) => void): () => void {
    if (typeof listener !== 'function') throw new TypeError('onEvent expects a function.');
    // The IPC event (with `sender`, i.e. ipcRenderer) stays here: the page gets the payload only.
    const forward = (_event: unknown, payload: unknown) => listener(payload as UiEvent);
    ipcRenderer.on(IPC_EVENT_CHANNEL, forward);
    let subscribed = true;
    return () => {
      if (!subscribed) return;
      subscribed = false;
      ipcRenderer.removeListener(IPC_EVENT_CHANNEL, forward);
    };
  }

  return Object.freeze({ invoke, onEvent });
}

/** Puts the API on `window[PRELOAD_GLOBAL]` (`window.praIc`) in the page's world. */
export function exposePreloadApi(contextBridge: ContextBridgeLike, ipcRenderer: IpcRendererLike): void {
  contextBridge.exposeInMainWorld(PRELOAD_GLOBAL, buildPreloadApi(ipcRenderer));
}
