/**
 * The contract (shared/contract.ts) over Electron IPC, main side: one `ipcMain.handle` per channel,
 * each through one wrapper that
 *   1. refuses a caller that is not the app's own window on app://bundle/ (trusted-sender.ts),
 *   2. hands the payload to ApiHandlers.dispatch, which validates it against the channel's schema
 *      and never throws (a bad payload comes back as an `invalid-input` error, not a crash),
 *   3. answers `{ ok: true, result }` or `{ ok: false, error: ApiErrorBody }`.
 * Engine events go to the window with `webContents.send(IPC_EVENT_CHANNEL, event)`.
 *
 * No import of 'electron' here: index/app.ts passes the real ipcMain, tests pass stubs.
 */
import type { ApiErrorBody, UiEvent } from '../../shared/contract.ts';
import { inputSchemas } from '../../shared/contract.ts';
import { IPC_EVENT_CHANNEL, ipcInvokeChannel } from '../preload/channels.ts';
import type { Channel } from '../../shared/contract.ts';
import { isAppUrl, type IpcInvokeEventLike } from './trusted-sender.ts';

export type IpcResponse = { ok: true; result: unknown } | { ok: false; error: ApiErrorBody };

/** The part of Electron's ipcMain the registrar uses. */
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<IpcResponse>): void;
  removeHandler(channel: string): void;
}

/** ApiHandlers, as far as IPC is concerned. */
export interface Dispatcher {
  dispatch(channel: string, payload: unknown): Promise<{ ok: true; result: unknown } | { ok: false; error: ApiErrorBody }>;
}

export interface IpcRegistrarOptions {
  ipcMain: IpcMainLike;
  isTrustedSender: (event: IpcInvokeEventLike) => boolean;
  handlers: Dispatcher;
  /** Told about every refused call (for the log): never the payload, which may hold a secret. */
  onRefused?: (channel: string, reason: string) => void;
}

export const UNTRUSTED_SENDER_ERROR: ApiErrorBody = {
  code: 'failed',
  message: 'Refused: only the app’s own window may call the engine.',
};

export interface IpcRegistrar {
  /** The ipcMain channel names, one per contract channel. */
  readonly channels: readonly string[];
  register(): void;
  unregister(): void;
}

export function createIpcRegistrar(options: IpcRegistrarOptions): IpcRegistrar {
  const { ipcMain, isTrustedSender, handlers, onRefused } = options;
  const contract = Object.keys(inputSchemas) as Channel[];
  const channels = contract.map(ipcInvokeChannel);

  const wrap = (channel: Channel) =>
    async (event: IpcInvokeEventLike, ...args: unknown[]): Promise<IpcResponse> => {
      if (!isTrustedSender(event)) {
        onRefused?.(channel, `untrusted sender (${event.senderFrame?.url ?? 'no frame'})`);
        return { ok: false, error: UNTRUSTED_SENDER_ERROR };
      }
      if (args.length > 1) {
        onRefused?.(channel, `${args.length} arguments`);
        return { ok: false, error: { code: 'invalid-input', message: `Invalid request for ${channel}: expected one argument, got ${args.length}.` } };
      }
      try {
        const response = await handlers.dispatch(channel, args[0]);
        return response.ok ? { ok: true, result: response.result } : { ok: false, error: response.error };
      } catch (error) {
        // dispatch never throws; should it ever, the window still gets an answer, not a hang.
        return { ok: false, error: { code: 'failed', message: error instanceof Error ? error.message : String(error) } };
      }
    };

  return {
    channels,
    register() {
      for (const channel of contract) ipcMain.handle(ipcInvokeChannel(channel), wrap(channel));
    },
    unregister() {
      for (const name of channels) ipcMain.removeHandler(name);
    },
  };
}

/** The part of a webContents that receives events. */
export interface EventTargetLike {
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
  getURL(): string;
}

/**
 * Forwards every UI event to the main window while it shows the app bundle. Returns the
 * unsubscribe function.
 */
export function forwardUiEvents(source: { onEvent(listener: (event: UiEvent) => void): () => void }, getTarget: () => EventTargetLike | null): () => void {
  return source.onEvent((event) => {
    const target = getTarget();
    if (!target || target.isDestroyed() || !isAppUrl(target.getURL())) return;
    target.send(IPC_EVENT_CHANNEL, event);
  });
}
