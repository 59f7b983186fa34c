// The main process's wiring (electron/main/app.ts) against a stand-in 'electron' module
// (fake-electron.ts): the order of things before and after ready, the secure window, the trusted
// IPC, events to the window, the tray, hide on close, second launch, and Quit closing the engine.
// The real Electron binary cannot run here; the Windows release job runs the real app (smoke.electron.ts).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { pathToFileURL } from 'node:url';
import { inputSchemas } from '../../shared/contract.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/temp-dir.ts';

// 'electron' → fake-electron.ts; `x.png?asset` → a module exporting a fake path (electron-vite does this at build time).
const fakeUrl = pathToFileURL(path.join(import.meta.dirname, 'fake-electron.ts')).href;
const hooks = `
export async function resolve(specifier, context, next) {
  if (specifier === 'electron') return { url: ${JSON.stringify(fakeUrl)}, shortCircuit: true };
  if (specifier.endsWith('?asset')) {
    const name = specifier.slice(specifier.lastIndexOf('/') + 1).replace('?asset', '');
    return { url: 'data:text/javascript,export default ' + encodeURIComponent(JSON.stringify('/fake-assets/' + name)), shortCircuit: true };
  }
  return next(specifier, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

const fake = (await import(fakeUrl)) as typeof import('./fake-electron.ts');
const { app, BrowserWindow, calls, ipcMain, protocol, session, Tray } = fake;
const { main, APP_USER_MODEL_ID } = await import('../../electron/main/app.ts');

const dataDir = tempDir('pra-ic-main-');
const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('main process wiring (with a stand-in electron module)', () => {
  before(async () => {
    process.env.PRA_IC_DATA_DIR = dataDir;
    main();
    app.fireReady();
    for (let i = 0; i < 5; i++) await flush();
  });
  after(async () => {
    if (!app.quitted) app.quit();
    for (let i = 0; i < 50 && !app.quitted; i++) await new Promise((r) => setTimeout(r, 20));
    delete process.env.PRA_IC_DATA_DIR;
  });

  it('before ready: the app:// scheme is privileged, the data folder set, the single-instance lock taken', () => {
    assert.deepEqual(calls.slice(0, 3), ['registerSchemesAsPrivileged', 'setPath userData', 'requestSingleInstanceLock']);
    assert.deepEqual(protocol.privileged, [{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true, bypassCSP: false, allowServiceWorkers: false, corsEnabled: false, stream: false } }]);
    assert.equal(app.getPath('userData'), dataDir);
    if (process.platform === 'win32') assert.ok(calls.includes(`setAppUserModelId ${APP_USER_MODEL_ID}`));
  });

  it('after ready: the protocol is served, every permission denied, the engine running in the data folder', async () => {
    assert.ok(protocol.handlers.has('app'));
    const response = await protocol.handlers.get('app')!(new Request('app://bundle/../../package.json'));
    assert.notEqual(response.status, 200);
    assert.ok(response.headers.get('content-security-policy')?.includes("script-src 'self'"));
    assert.equal(session.defaultSession.checkHandler?.({}, 'media', 'app://bundle', {}), false);
    assert.ok(existsSync(path.join(dataDir, 'settings.db')), 'the engine opened its database in PRA_IC_DATA_DIR');
    assert.ok(calls.includes('powerMonitor.on shutdown'));
  });

  it('opens one secure window on app://bundle/ with the CommonJS preload', () => {
    assert.equal(BrowserWindow.all.length, 1);
    const win = BrowserWindow.all[0]!;
    const prefs = win.options.webPreferences!;
    assert.equal(prefs.contextIsolation, true);
    assert.equal(prefs.sandbox, true);
    assert.equal(prefs.nodeIntegration, false);
    assert.equal(prefs.webSecurity, true);
    assert.equal(prefs.devTools, true, 'DevTools in a development run only');
    assert.equal(prefs.preload, path.join(app.getAppPath(), 'out', 'preload', 'index.cjs'));
    assert.equal(win.webContents.getURL(), 'app://bundle/index.html');
    assert.equal(win.visible, true, 'shown once ready-to-show');
    // Hardened like every webContents: navigation refused, new windows denied.
    assert.ok(win.webContents.listenerCount('will-navigate') > 0);
    assert.deepEqual(win.webContents.openHandler?.({ url: 'https://evil.example/' }), { action: 'deny' });
  });

  it('registers every contract channel, answers the window and refuses anyone else', async () => {
    assert.deepEqual([...ipcMain.handlers.keys()].sort(), Object.keys(inputSchemas).map((c) => `pra-ic:invoke:${c}`).sort());
    const win = BrowserWindow.all[0]!;
    const trusted = { sender: win.webContents, senderFrame: { url: 'app://bundle/index.html', parent: null } };
    const info = (await ipcMain.handlers.get('pra-ic:invoke:app.info')!(trusted, {})) as { ok: boolean; result: { dataDir: string; transport: string } };
    assert.equal(info.ok, true);
    assert.equal(info.result.dataDir, dataDir);
    assert.equal(info.result.transport, 'electron');
    const evil = (await ipcMain.handlers.get('pra-ic:invoke:app.info')!({ sender: win.webContents, senderFrame: { url: 'https://evil.example/', parent: null } }, {})) as { ok: boolean };
    assert.equal(evil.ok, false);
    const bad = (await ipcMain.handlers.get('pra-ic:invoke:engine.setPaused')!(trusted, { paused: 'no' })) as { ok: boolean; error: { code: string } };
    assert.deepEqual([bad.ok, bad.error.code], [false, 'invalid-input']);
  });

  it('pausing from the window reaches the tray and sends the engine’s events to the window', async () => {
    const win = BrowserWindow.all[0]!;
    const trusted = { sender: win.webContents, senderFrame: { url: 'app://bundle/index.html', parent: null } };
    const tray = Tray.current!;
    assert.ok(tray.menu?.template.some((i) => i.id === 'pause'));
    await ipcMain.handlers.get('pra-ic:invoke:engine.setPaused')!(trusted, { paused: true });
    assert.ok(win.webContents.sent.some(([channel, event]) => channel === 'pra-ic:event' && (event as { type: string }).type === 'log'));
    assert.match(tray.tooltip, /paused/);
    const resume = tray.menu!.template.find((i) => i.id === 'resume');
    assert.ok(resume, 'the tray offers Resume');
    resume.click!();
    await flush();
    assert.ok(tray.menu!.template.some((i) => i.id === 'pause'));
    assert.equal(tray.menu!.template.some((i) => i.id === 'open-at-login'), false, 'no login item in a development run');
  });

  it('holds the data folder: a pra-ic run on it (a real process) is refused, naming the app', async () => {
    const refused = await runCli(['--data-dir', dataDir, 'run', '--once']);
    assert.equal(refused.code, 75, refused.stderr);
    assert.match(refused.stderr, new RegExp(`is in use by process ${process.pid}\\b`));
  });

  it('closing the window hides it; a second launch shows it again', () => {
    const win = BrowserWindow.all[0]!;
    const event = win.close();
    assert.equal(event.defaultPrevented, true);
    assert.equal(win.visible, false);
    app.emit('second-instance', {}, [], '');
    assert.equal(win.visible, true);
    assert.equal(BrowserWindow.all.length, 1, 'the same window, not a new one');
  });

  it('Quit stops the engine first, then quits (and the window may close)', async () => {
    const quitsBefore = calls.filter((c) => c === 'quit').length;
    Tray.current!.menu!.template.find((i) => i.id === 'quit')!.click!();
    assert.equal(app.quitted, false, 'held until the engine has stopped');
    for (let i = 0; i < 100 && !app.quitted; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(app.quitted, true);
    assert.equal(calls.filter((c) => c === 'quit').length - quitsBefore, 2, 'quit, engine.close(), quit again');
    assert.equal(BrowserWindow.all[0]!.visible, false, 'the window closed instead of hiding');
    assert.equal(Tray.current!.destroyed, true);
    assert.ok(!calls.some((c) => c.startsWith('showErrorBox')), calls.join('\n'));
  });
});
