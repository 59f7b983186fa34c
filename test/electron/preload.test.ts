// The preload's builder (electron/preload/api.ts) with contextBridge and ipcRenderer stubbed: the
// page gets exactly { invoke, onEvent }, unknown channels never reach IPC, the IPC event object never
// reaches the page, and an engine error survives contextBridge as the renderer's ApiError.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ApiError, inputSchemas, type PraApi, type UiEvent } from '../../shared/contract.ts';
import { PRELOAD_GLOBAL } from '../../shared/http-transport.ts';
import { BridgeError, buildPreloadApi, exposePreloadApi, type IpcRendererLike } from '../../electron/preload/api.ts';
import { CHANNELS, IPC_EVENT_CHANNEL, ipcInvokeChannel, isKnownChannel } from '../../electron/preload/channels.ts';
import { toApiError } from '../../renderer/api/errors.ts';

type IpcListener = (event: unknown, ...args: unknown[]) => void;

class StubIpcRenderer implements IpcRendererLike {
  readonly invoked: { channel: string; args: unknown[] }[] = [];
  readonly listeners = new Map<string, Set<IpcListener>>();
  answer: (channel: string, input: unknown) => Promise<unknown> = async () => ({ ok: true, result: null });
  async invoke(channel: string, ...args: unknown[]) {
    this.invoked.push({ channel, args });
    return this.answer(channel, args[0]);
  }
  on(channel: string, listener: IpcListener) {
    if (!this.listeners.has(channel)) this.listeners.set(channel, new Set());
    this.listeners.get(channel)!.add(listener);
    return this;
  }
  removeListener(channel: string, listener: IpcListener) {
    this.listeners.get(channel)?.delete(listener);
    return this;
  }
  /** What Electron does for webContents.send: the listener gets (event, ...args); the event holds `sender`. */
  emit(channel: string, payload: unknown) {
    const event = { sender: this, senderId: 0, ports: [] };
    for (const listener of this.listeners.get(channel) ?? []) listener(event, payload);
  }
}

/** contextBridge copies a thrown Error as a new Error with the same message: own properties are lost. */
function acrossContextBridge(error: unknown): Error {
  return new Error((error as Error).message);
}

describe('preload channel list', () => {
  it('is exactly the contract’s channels', () => {
    assert.deepEqual([...CHANNELS].sort(), Object.keys(inputSchemas).sort());
    for (const channel of Object.keys(inputSchemas)) assert.equal(isKnownChannel(channel), true, channel);
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'secrets.get', '', 'pra-ic:event']) assert.equal(isKnownChannel(name), false, name);
    assert.equal(isKnownChannel(42), false);
  });
});

describe('preload API', () => {
  it('exposes exactly { invoke, onEvent }, frozen, as window.praIc — never ipcRenderer', () => {
    const ipc = new StubIpcRenderer();
    const exposed: { key: string; api: unknown }[] = [];
    exposePreloadApi({ exposeInMainWorld: (key, api) => exposed.push({ key, api }) }, ipc);
    assert.equal(exposed.length, 1);
    assert.equal(exposed[0]!.key, PRELOAD_GLOBAL);
    const api = exposed[0]!.api as Record<string, unknown>;
    assert.deepEqual(Object.keys(api).sort(), ['invoke', 'onEvent']);
    assert.equal(typeof api.invoke, 'function');
    assert.equal(typeof api.onEvent, 'function');
    assert.ok(Object.isFrozen(api));
    assert.ok(!Object.values(api).includes(ipc));
  });

  it('invoke sends the input on the channel’s IPC name and unwraps { ok, result }', async () => {
    const ipc = new StubIpcRenderer();
    ipc.answer = async (channel) => ({ ok: true, result: { from: channel } });
    const api = buildPreloadApi(ipc);
    const result = await api.invoke('engine.setPaused', { paused: true });
    assert.deepEqual(result, { from: ipcInvokeChannel('engine.setPaused') });
    assert.deepEqual(ipc.invoked, [{ channel: 'pra-ic:invoke:engine.setPaused', args: [{ paused: true }] }]);
  });

  it('refuses an unknown channel before anything is sent', async () => {
    const ipc = new StubIpcRenderer();
    const api = buildPreloadApi(ipc) as unknown as { invoke(channel: string, input: unknown): Promise<unknown> };
    for (const channel of ['secrets.get', '__proto__', 'constructor', '', 'pra-ic:event']) {
      await assert.rejects(api.invoke(channel, {}), (error: unknown) => {
        assert.ok(error instanceof BridgeError);
        assert.equal(error.body.code, 'not-found');
        return true;
      });
    }
    await assert.rejects(api.invoke(undefined as unknown as string, {}), BridgeError);
    assert.equal(ipc.invoked.length, 0);
  });

  it('throws the engine’s error body, which the renderer turns back into an ApiError after contextBridge', async () => {
    const ipc = new StubIpcRenderer();
    const body = { code: 'invalid-input' as const, message: 'Invalid request for sites.add: site.name: Enter a name', issues: [{ field: 'name', message: 'Enter a name' }] };
    ipc.answer = async () => ({ ok: false, error: body });
    const api = buildPreloadApi(ipc);
    let thrown: unknown;
    try {
      await api.invoke('sites.add', { site: {}, clientSecret: 's' });
    } catch (error) {
      thrown = error;
    }
    assert.ok(thrown instanceof BridgeError);
    assert.deepEqual(thrown.body, body);
    // This side of the bridge: the body is on the error.
    assert.deepEqual(toApiError(thrown).body, body);
    // The page's side: only the message crossed; the renderer reads the body back from it.
    const copied = acrossContextBridge(thrown);
    const apiError = toApiError(copied);
    assert.ok(apiError instanceof ApiError);
    assert.deepEqual(apiError.body, body);
  });

  it('turns an IPC failure (no handler, main process error) into a plain failed error', async () => {
    const ipc = new StubIpcRenderer();
    ipc.answer = async () => {
      throw new Error("Error invoking remote method 'pra-ic:invoke:status.get': Error: No handler registered for 'pra-ic:invoke:status.get'");
    };
    const api = buildPreloadApi(ipc);
    await assert.rejects(api.invoke('status.get', {}), (error: unknown) => {
      const apiError = toApiError(acrossContextBridge(error));
      assert.equal(apiError.body.code, 'failed');
      assert.equal(apiError.body.message, "No handler registered for 'pra-ic:invoke:status.get'");
      return true;
    });
  });

  it('refuses an answer that is not an envelope', async () => {
    const ipc = new StubIpcRenderer();
    ipc.answer = async () => 'surprise';
    await assert.rejects(buildPreloadApi(ipc).invoke('status.get', {}), (error: unknown) => error instanceof BridgeError && error.body.code === 'failed');
  });

  it('onEvent passes the payload only — never the IPC event (whose sender is ipcRenderer) — and unsubscribes', () => {
    const ipc = new StubIpcRenderer();
    const api: PraApi = buildPreloadApi(ipc);
    const received: unknown[][] = [];
    const unsubscribe = api.onEvent((...args: unknown[]) => received.push(args));
    const event: UiEvent = { type: 'site-removed', siteId: 3 };
    ipc.emit(IPC_EVENT_CHANNEL, event);
    assert.deepEqual(received, [[event]]);
    assert.equal(received[0]!.length, 1);
    ipc.emit('pra-ic:invoke:status.get', { type: 'other' });
    assert.equal(received.length, 1, 'only the event channel is listened to');
    unsubscribe();
    unsubscribe();
    assert.equal(ipc.listeners.get(IPC_EVENT_CHANNEL)?.size, 0);
    ipc.emit(IPC_EVENT_CHANNEL, event);
    assert.equal(received.length, 1);
  });

  it('onEvent refuses a non-function', () => {
    const api = buildPreloadApi(new StubIpcRenderer());
    assert.throws(() => api.onEvent('x' as unknown as () => void), TypeError);
  });
});
