/** The main window: the renderer from app://bundle/, with the hardened preferences of security.ts. */
import { BrowserWindow, nativeTheme } from 'electron';
import { APP_ENTRY_URL } from './protocol.ts';
import { SECURE_WEB_PREFERENCES } from './security.ts';
import { PRODUCT_NAME } from './tray-menu.ts';

export interface MainWindowOptions {
  /** The built preload (out/preload/index.cjs). */
  preload: string;
  icon?: string;
  /** DevTools only in development runs. */
  devTools: boolean;
}

export function createMainWindow(options: MainWindowOptions): BrowserWindow {
  const win = new BrowserWindow({
    width: 1200,
    height: 820,
    minWidth: 760,
    minHeight: 520,
    show: false,
    title: PRODUCT_NAME,
    icon: options.icon,
    autoHideMenuBar: true,
    // The theme's background while the page loads: no white flash in dark mode.
    backgroundColor: nativeTheme.shouldUseDarkColors ? '#1f1f1f' : '#f5f5f5',
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload: options.preload, devTools: options.devTools },
  });
  void win.loadURL(APP_ENTRY_URL);
  return win;
}
