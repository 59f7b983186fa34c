/**
 * The desktop app's life: one instance per data directory, the engine running from start to Quit,
 * a window that hides to the tray when closed, IPC for the renderer, notifications when a site
 * needs attention. Everything that decides something lives in the pure modules beside this one;
 * this file only wires them to Electron.
 */
import path from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, Menu, nativeImage, Notification, powerMonitor, protocol, session, type WebContents } from 'electron';
import appIcon from '../../build/icon.png?asset';
import { ApiHandlers } from '../engine/api/handlers.ts';
import { KeytarSecretStore } from '../engine/secrets/keytar-secret-store.ts';
import { Engine } from '../engine/engine.ts';
import { tryLockDataDir, type EngineLock } from '../engine/lock/engine-lock.ts';
import { DATA_DIR_ENV, ensureDataDir, resolveDataDir } from '../engine/paths.ts';
import { ArchivePauseWatcher, AttentionWatcher, archivePausedNotification, attentionNotification } from './attention.ts';
import { FORGET_SECRETS_ARG, forgetSecrets } from './forget-secrets.ts';
import { loginItemSettings, readDesktopSettings, startsHidden, writeDesktopSettings, type DesktopSettings } from './desktop-settings.ts';
import { createIpcRegistrar, forwardUiEvents, type IpcRegistrar } from './ipc.ts';
import { APP_SCHEME, APP_SCHEME_PRIVILEGES, createBundleHandler } from './protocol.ts';
import { denyAllPermissions, hardenWebContents } from './security.ts';
import { TrayController } from './tray.ts';
import { PRODUCT_NAME, type TrayState } from './tray-menu.ts';
import { createTrustedSenderCheck } from './trusted-sender.ts';
import { createMainWindow } from './window.ts';

/** Same as electron-builder's appId: Windows attributes notifications to the Start-menu shortcut by it. */
export const APP_USER_MODEL_ID = 'io.github.pra-integration-client';
/** How long Quit waits for the engine to stop (an HTTP request in flight) before leaving anyway. */
const CLOSE_TIMEOUT_MS = 15_000;

/**
 * The data directory: PRA_IC_DATA_DIR when set (then Chromium's own profile and the
 * single-instance lock follow it, so a second data directory is a second, independent app),
 * otherwise app.getPath('userData') — the per-user folder that engine/paths.ts defaultDataDir()
 * and the CLI use too (%APPDATA%\PRA Integration Client on Windows), never the install folder.
 */
function chooseDataDir(): string {
  const fromEnv = process.env[DATA_DIR_ENV];
  if (fromEnv && fromEnv.trim() !== '') {
    const dir = resolveDataDir();
    app.setPath('userData', dir);
    return dir;
  }
  return app.getPath('userData');
}

export function main(): void {
  // ── Before ready ──────────────────────────────────────────────────────────────────────────────
  protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: APP_SCHEME_PRIVILEGES }]);
  const dataDir = chooseDataDir();
  if (process.argv.includes(FORGET_SECRETS_ARG)) {
    // Run by the uninstaller (build/installer.nsh) when the user removes their data: no window, no tray.
    void forgetSecrets(dataDir, new KeytarSecretStore()).then(
      ({ removed }) => {
        console.log(`Removed ${removed} secret(s) of ${dataDir} from the keychain.`);
        app.exit(0);
      },
      (error: unknown) => {
        console.error(`Could not remove the secrets of ${dataDir}: ${(error as Error).message}`);
        app.exit(1);
      },
    );
    return;
  }
  if (!app.requestSingleInstanceLock()) {
    // Another instance runs on this data directory: it shows its window (second-instance), we leave.
    app.quit();
    return;
  }
  if (process.platform === 'win32') app.setAppUserModelId(APP_USER_MODEL_ID);

  const appRoot = app.getAppPath();
  const rendererRoot = path.join(appRoot, 'out', 'renderer');
  const preload = path.join(appRoot, 'out', 'preload', 'index.cjs');
  const loginItemSupported = app.isPackaged && (process.platform === 'win32' || process.platform === 'darwin');

  let engine: Engine | null = null;
  /** The data folder's lock (engine/lock): a `pra-ic run` or `ui` on the same folder keeps the app out, and the app keeps them out. */
  let folderLock: EngineLock | null = null;
  let handlers: ApiHandlers | null = null;
  let registrar: IpcRegistrar | null = null;
  let tray: TrayController | null = null;
  let mainWindow: BrowserWindow | null = null;
  let desktop: DesktopSettings = readDesktopSettings(dataDir);
  let quitting = false;
  let engineClosed = false;
  let closing = false;
  const attention = new AttentionWatcher((notice) => {
    if (!Notification.isSupported()) return;
    // A NativeImage, not a path: the icon is inside app.asar, which Windows' toast host cannot read.
    const notification = new Notification({ ...attentionNotification(notice), icon: nativeImage.createFromPath(appIcon) });
    notification.on('click', () => showWindow());
    notification.show();
  });
  const archivePause = new ArchivePauseWatcher((reason) => {
    if (!Notification.isSupported()) return;
    const notification = new Notification({ ...archivePausedNotification(reason), icon: nativeImage.createFromPath(appIcon) });
    notification.on('click', () => showWindow());
    notification.show();
  });

  const log = (level: 'info' | 'warn', message: string) => {
    if (engine) engine.logger[level]('desktop', message);
    else console[level === 'info' ? 'log' : 'warn'](message);
  };

  // Every webContents, present and future: no navigation, no new window, no <webview>.
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, (what, url) => log('warn', `Refused ${what}${url ? ` to ${url}` : ''}.`)));
  // Closing the window only hides it: extraction goes on in the tray until Quit.
  app.on('window-all-closed', () => {});
  app.on('second-instance', () => showWindow());
  app.on('activate', () => showWindow());

  function mainWebContents(): WebContents | null {
    return mainWindow && !mainWindow.isDestroyed() ? mainWindow.webContents : null;
  }

  function showWindow(): void {
    if (!app.isReady() || !engine) return;
    if (!mainWindow || mainWindow.isDestroyed()) {
      const win = createMainWindow({ preload, icon: appIcon, devTools: !app.isPackaged });
      mainWindow = win;
      win.once('ready-to-show', () => win.show());
      win.on('close', (event) => {
        if (quitting) return;
        event.preventDefault();
        win.hide();
        if (!desktop.trayHintShown && tray) {
          tray.hint(PRODUCT_NAME, 'Still collecting sessions in the background. Open or quit it from this icon.');
          updateDesktop({ trayHintShown: true });
        }
      });
      // Windows is logging off or shutting down: let the window close.
      win.on('session-end', () => {
        quitting = true;
      });
      win.on('closed', () => {
        if (mainWindow === win) mainWindow = null;
      });
      return;
    }
    if (mainWindow.isMinimized()) mainWindow.restore();
    mainWindow.show();
    mainWindow.focus();
  }

  function updateDesktop(patch: Partial<DesktopSettings>): void {
    desktop = { ...desktop, ...patch };
    try {
      writeDesktopSettings(dataDir, desktop);
    } catch (error) {
      log('warn', `Could not save the desktop settings: ${(error as Error).message}`);
    }
  }

  function setOpenAtLogin(openAtLogin: boolean): void {
    updateDesktop({ openAtLogin });
    app.setLoginItemSettings(loginItemSettings(openAtLogin, process.execPath));
    log('info', openAtLogin ? 'Start at login turned on.' : 'Start at login turned off.');
    tray?.refresh();
  }

  /** Cheap: called on the events that can change it (not on every log line or outbox count). */
  function trayState(): TrayState {
    return {
      paused: engine?.scheduler.isPaused ?? false,
      sites: engine?.sites.listSites().length ?? 0,
      attention: attention.names(),
      openAtLogin: loginItemSupported ? desktop.openAtLogin : null,
    };
  }

  async function closeEngine(): Promise<void> {
    registrar?.unregister();
    if (!engine) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(() => {
        console.warn(`The engine did not stop within ${CLOSE_TIMEOUT_MS / 1000} s: quitting anyway.`);
        resolve();
      }, CLOSE_TIMEOUT_MS);
    });
    try {
      await Promise.race([engine.close(), timeout]);
    } catch (error) {
      console.warn(`Stopping the engine failed: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
      folderLock?.release();
    }
  }

  // Quit (tray, OS, or app.quit): stop the engine first, then let Electron quit.
  app.on('before-quit', (event) => {
    quitting = true;
    if (engineClosed) return;
    event.preventDefault();
    if (closing) return;
    closing = true;
    void closeEngine().finally(() => {
      engineClosed = true;
      tray?.destroy();
      app.quit();
    });
  });

  // ── Ready ─────────────────────────────────────────────────────────────────────────────────────
  void app.whenReady().then(() => {
    if (process.platform !== 'darwin') Menu.setApplicationMenu(null);
    // The OS is shutting down: let the window close instead of hiding it (powerMonitor needs ready).
    powerMonitor.on('shutdown', () => {
      quitting = true;
    });
    denyAllPermissions(session.defaultSession, (permission) => log('warn', `Refused the permission “${permission}”.`));
    protocol.handle(APP_SCHEME, createBundleHandler({ root: rendererRoot, onRefused: (url, reason) => log('warn', `Refused ${url}: ${reason}.`) }));

    try {
      // The store writer thread's script: the second entry of this bundle (electron.vite.config.ts);
      // run from the sources (tests), the engine finds it next to its own.
      const storeWriterScript = import.meta.url.endsWith('.ts') ? undefined : new URL('./store-writer-worker.js', import.meta.url);
      folderLock = tryLockDataDir(ensureDataDir(dataDir));
      engine = new Engine({ dataDir, storeWriterScript });
    } catch (error) {
      folderLock?.release();
      dialog.showErrorBox(`${PRODUCT_NAME} could not start`, `${(error as Error).message}\n\nData folder: ${dataDir}`);
      engineClosed = true;
      app.exit(1);
      return;
    }
    const api = new ApiHandlers(engine, 'electron');
    handlers = api;
    registrar = createIpcRegistrar({
      ipcMain,
      isTrustedSender: createTrustedSenderCheck(mainWebContents),
      handlers: api,
      onRefused: (channel, reason) => log('warn', `Refused an IPC call to ${channel}: ${reason}.`),
    });
    registrar.register();
    forwardUiEvents(api, mainWebContents);
    attention.prime(engine.status().sites);
    archivePause.prime(engine.status().archive);
    api.onEvent((event) => {
      attention.handle(event);
      archivePause.handle(event);
      // What the tray shows: sites (status, added, removed) and pause/resume, from the window or the tray.
      const affectsTray = event.type === 'site-status' || event.type === 'site-removed' || (event.type === 'log' && (event.line.topic === 'engine' || event.line.topic === 'site'));
      if (affectsTray) tray?.refresh();
    });

    if (loginItemSupported) app.setLoginItemSettings(loginItemSettings(desktop.openAtLogin, process.execPath));
    tray = new TrayController(trayState, {
      open: () => showWindow(),
      runNow: () => void handlers?.dispatch('sites.runNow', {}),
      setPaused: (paused) => void handlers?.dispatch('engine.setPaused', { paused }),
      setOpenAtLogin,
      quit: () => app.quit(),
    });

    engine.start();
    log('info', `${PRODUCT_NAME} ${app.getVersion()} started (data folder ${dataDir}).`);
    if (!startsHidden(process.argv)) showWindow();
  });
}
