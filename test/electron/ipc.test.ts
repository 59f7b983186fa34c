// The main process's IPC wrapper (electron/main/ipc.ts) with Electron's ipcMain stubbed: every
// contract channel registered once, untrusted senders refused before the engine sees anything,
// payloads validated by the real ApiHandlers over a real Engine (temp data dir, in-memory secrets).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { inputSchemas, type UiEvent } from '../../shared/contract.ts';
import { ApiHandlers } from '../../electron/engine/api/handlers.ts';
import { Engine } from '../../electron/engine/engine.ts';
import { MemorySecretStore } from '../../electron/engine/secrets/secret-store.ts';
import { createIpcRegistrar, forwardUiEvents, UNTRUSTED_SENDER_ERROR, type Dispatcher, type IpcMainLike, type IpcResponse } from '../../electron/main/ipc.ts';
import { createTrustedSenderCheck, isAppUrl, type IpcInvokeEventLike } from '../../electron/main/trusted-sender.ts';
import { IPC_EVENT_CHANNEL, ipcInvokeChannel } from '../../electron/preload/channels.ts';
import { tempDir } from '../support/temp-dir.ts';

type Listener = (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<IpcResponse>;

/** ipcMain as Electron behaves: one handler per name, and invoking an unknown name is an error. */
class StubIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, Listener>();
  handle(channel: string, listener: Listener) {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string) {
    this.handlers.delete(channel);
  }
  invoke(channel: string, event: IpcInvokeEventLike, ...args: unknown[]): Promise<IpcResponse> {
    const handler = this.handlers.get(channel);
    if (!handler) return Promise.reject(new Error(`No handler registered for '${channel}'`));
    return handler(event, ...args);
  }
}

const mainWebContents = { id: 1 };
const otherWebContents = { id: 2 };
const trusted: IpcInvokeEventLike = { sender: mainWebContents, senderFrame: { url: 'app://bundle/index.html#/sites', parent: null } };

class SpyDispatcher implements Dispatcher {
  readonly calls: { channel: string; payload: unknown }[] = [];
  async dispatch(channel: string, payload: unknown) {
    this.calls.push({ channel, payload });
    return { ok: true as const, result: { echoed: channel } };
  }
}

describe('trusted sender check', () => {
  const check = createTrustedSenderCheck(() => mainWebContents);

  it('accepts the main window’s top frame on app://bundle/', () => {
    assert.equal(check(trusted), true);
    assert.equal(check({ sender: mainWebContents, senderFrame: { url: 'app://bundle/' } }), true);
  });

  it('refuses another webContents, even on the app’s own URL', () => {
    assert.equal(check({ ...trusted, sender: otherWebContents }), false);
  });

  it('refuses a frame of another origin or scheme', () => {
    for (const url of ['https://evil.example/', 'http://127.0.0.1:5173/', 'file:///C:/app/out/renderer/index.html', 'app://evil/index.html', 'app://bundle.evil.example/', 'devtools://devtools/', 'about:blank', '', 'not a url']) {
      assert.equal(check({ sender: mainWebContents, senderFrame: { url, parent: null } }), false, url);
    }
  });

  it('refuses a subframe and a gone frame', () => {
    assert.equal(check({ sender: mainWebContents, senderFrame: { url: 'app://bundle/index.html', parent: { url: 'app://bundle/index.html' } } }), false);
    assert.equal(check({ sender: mainWebContents, senderFrame: null }), false);
  });

  it('refuses everything while there is no main window', () => {
    assert.equal(createTrustedSenderCheck(() => null)(trusted), false);
    assert.equal(createTrustedSenderCheck(() => null)({ sender: null, senderFrame: trusted.senderFrame }), false);
  });

  it('isAppUrl knows the bundle origin only', () => {
    assert.equal(isAppUrl('app://bundle/assets/x.js'), true);
    assert.equal(isAppUrl('app://bundle:8080/'), false);
  });
});

describe('IPC registrar with a stub dispatcher', () => {
  const setup = () => {
    const ipcMain = new StubIpcMain();
    const dispatcher = new SpyDispatcher();
    const refused: string[] = [];
    const registrar = createIpcRegistrar({ ipcMain, isTrustedSender: createTrustedSenderCheck(() => mainWebContents), handlers: dispatcher, onRefused: (channel, reason) => refused.push(`${channel}: ${reason}`) });
    registrar.register();
    return { ipcMain, dispatcher, refused, registrar };
  };

  it('registers exactly one handler per contract channel, under the preload’s names', () => {
    const { ipcMain, registrar } = setup();
    const expected = Object.keys(inputSchemas).map((c) => ipcInvokeChannel(c as keyof typeof inputSchemas));
    assert.deepEqual([...ipcMain.handlers.keys()].sort(), [...expected].sort());
    assert.deepEqual([...registrar.channels].sort(), [...expected].sort());
    registrar.unregister();
    assert.equal(ipcMain.handlers.size, 0);
  });

  it('refuses an untrusted sender without calling the engine, and says why in the log', async () => {
    const { ipcMain, dispatcher, refused } = setup();
    const evil = await ipcMain.invoke(ipcInvokeChannel('sites.list'), { sender: mainWebContents, senderFrame: { url: 'https://evil.example/', parent: null } }, {});
    const other = await ipcMain.invoke(ipcInvokeChannel('sites.add'), { ...trusted, sender: otherWebContents }, { site: {}, clientSecret: 'x' });
    assert.deepEqual(evil, { ok: false, error: UNTRUSTED_SENDER_ERROR });
    assert.deepEqual(other, { ok: false, error: UNTRUSTED_SENDER_ERROR });
    assert.equal(dispatcher.calls.length, 0);
    assert.equal(refused.length, 2);
    assert.match(refused[0]!, /sites\.list: untrusted sender \(https:\/\/evil\.example\/\)/);
    // The refusal never echoes the payload (it may hold a secret).
    assert.ok(!refused.join('\n').includes('clientSecret'));
  });

  it('has no handler for a channel outside the contract', async () => {
    const { ipcMain, dispatcher } = setup();
    await assert.rejects(ipcMain.invoke('pra-ic:invoke:secrets.read', trusted, {}), /No handler registered/);
    await assert.rejects(ipcMain.invoke('pra-ic:invoke:__proto__', trusted, {}), /No handler registered/);
    assert.equal(dispatcher.calls.length, 0);
  });

  it('passes the channel it was registered for and the payload, and unwraps to { ok, result }', async () => {
    const { ipcMain, dispatcher } = setup();
    const response = await ipcMain.invoke(ipcInvokeChannel('status.get'), trusted, {});
    assert.deepEqual(response, { ok: true, result: { echoed: 'status.get' } });
    assert.deepEqual(dispatcher.calls, [{ channel: 'status.get', payload: {} }]);
  });

  it('refuses a call with more than one argument', async () => {
    const { ipcMain, dispatcher } = setup();
    const response = await ipcMain.invoke(ipcInvokeChannel('status.get'), trusted, {}, 'extra');
    assert.equal(response.ok, false);
    assert.equal(!response.ok && response.error.code, 'invalid-input');
    assert.equal(dispatcher.calls.length, 0);
  });

  it('answers even if a dispatcher throws (ApiHandlers never does)', async () => {
    const ipcMain = new StubIpcMain();
    createIpcRegistrar({ ipcMain, isTrustedSender: () => true, handlers: { dispatch: async () => Promise.reject(new Error('boom')) } }).register();
    assert.deepEqual(await ipcMain.invoke(ipcInvokeChannel('status.get'), trusted, {}), { ok: false, error: { code: 'failed', message: 'boom' } });
  });
});

describe('IPC registrar over the real ApiHandlers (validation by the contract’s schemas)', () => {
  let engine: Engine;
  let ipcMain: StubIpcMain;
  const paused: boolean[] = [];

  before(() => {
    engine = new Engine({ dataDir: tempDir(), secrets: new MemorySecretStore() });
    const original = engine.setPaused.bind(engine);
    engine.setPaused = (value: boolean) => {
      paused.push(value);
      original(value);
    };
    ipcMain = new StubIpcMain();
    createIpcRegistrar({ ipcMain, isTrustedSender: createTrustedSenderCheck(() => mainWebContents), handlers: new ApiHandlers(engine, 'electron') }).register();
  });
  after(() => engine.close());

  it('a bad payload comes back as a clear invalid-input error naming the field, not a crash', async () => {
    const wrongType = await ipcMain.invoke(ipcInvokeChannel('engine.setPaused'), trusted, { paused: 'yes' });
    assert.equal(wrongType.ok, false);
    assert.ok(!wrongType.ok);
    assert.equal(wrongType.error.code, 'invalid-input');
    assert.match(wrongType.error.message, /^Invalid request for engine\.setPaused: paused: /);
    assert.equal(wrongType.error.issues?.[0]?.field, 'paused');

    const extraKey = await ipcMain.invoke(ipcInvokeChannel('sites.remove'), trusted, { id: 1, sql: 'DROP TABLE sites' });
    assert.ok(!extraKey.ok);
    assert.equal(extraKey.error.code, 'invalid-input');

    const notAnObject = await ipcMain.invoke(ipcInvokeChannel('sessions.list'), trusted, 'everything');
    assert.ok(!notAnObject.ok);
    assert.equal(notAnObject.error.code, 'invalid-input');
    assert.deepEqual(paused, [], 'the engine saw none of them');
  });

  it('a good payload reaches the engine parsed, and the result comes back', async () => {
    const response = await ipcMain.invoke(ipcInvokeChannel('engine.setPaused'), trusted, { paused: true });
    assert.deepEqual(response, { ok: true, result: { paused: true } });
    assert.deepEqual(paused, [true]);
    const info = await ipcMain.invoke(ipcInvokeChannel('app.info'), trusted, undefined);
    assert.ok(info.ok);
    assert.equal((info.result as { transport: string }).transport, 'electron');
    assert.equal((info.result as { paused: boolean }).paused, true);
    assert.deepEqual(await ipcMain.invoke(ipcInvokeChannel('sites.list'), trusted, {}), { ok: true, result: [] });
    await ipcMain.invoke(ipcInvokeChannel('engine.setPaused'), trusted, { paused: false });
  });

  it('an engine failure is an error body, e.g. a missing site', async () => {
    const response = await ipcMain.invoke(ipcInvokeChannel('sites.remove'), trusted, { id: 4242 });
    assert.ok(!response.ok);
    assert.equal(response.error.code, 'not-found');
  });
});

describe('UI events to the window', () => {
  const event: UiEvent = { type: 'outbox', counts: { pending: 1, sent: 2, failed: 0 } };
  const source = () => {
    const listeners = new Set<(e: UiEvent) => void>();
    return { listeners, onEvent: (l: (e: UiEvent) => void) => (listeners.add(l), () => listeners.delete(l)), emit: (e: UiEvent) => listeners.forEach((l) => l(e)) };
  };

  it('sends each event on the event channel while the window shows the bundle', () => {
    const s = source();
    const sent: unknown[][] = [];
    let url = 'app://bundle/index.html';
    let destroyed = false;
    const target = { send: (...args: unknown[]) => sent.push(args), isDestroyed: () => destroyed, getURL: () => url };
    const stop = forwardUiEvents(s, () => target);
    s.emit(event);
    assert.deepEqual(sent, [[IPC_EVENT_CHANNEL, event]]);
    url = 'https://evil.example/';
    s.emit(event);
    url = 'app://bundle/index.html';
    destroyed = true;
    s.emit(event);
    assert.equal(sent.length, 1, 'not to another page, not to a destroyed window');
    stop();
    assert.equal(s.listeners.size, 0);
  });

  it('drops events while there is no window', () => {
    const s = source();
    forwardUiEvents(s, () => null);
    assert.doesNotThrow(() => s.emit(event));
  });
});
