/**
 * The security settings of the shell, after Electron's security checklist
 * (https://www.electronjs.org/docs/latest/tutorial/security), in one place:
 * web preferences, the CSP, navigation and window-opening refused, every permission denied.
 * Pure: the Electron objects come in as parameters (structural types), so tests stub them.
 */

/**
 * The page's Content-Security-Policy (shared/content-security-policy.ts), sent as a header by the
 * app:// scheme (protocol.ts); the renderer's index.html carries it as a <meta> without the
 * header-only directives.
 */
export { CONTENT_SECURITY_POLICY } from '../../shared/content-security-policy.ts';

/** The main window's webPreferences besides `preload` (checklist items 2, 3, 4, 5, 8, 9, 12). */
export const SECURE_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  experimentalFeatures: false,
  webviewTag: false,
  navigateOnDragDrop: false,
  safeDialogs: true,
  spellcheck: false,
} as const;

interface NavigationEvent {
  preventDefault(): void;
  url?: string;
  isSameDocument?: boolean;
}

/** The webContents events and methods hardenWebContents uses (any EventEmitter-like `on`). */
export interface HardenableWebContents {
  on(event: string, listener: (...args: never[]) => void): unknown;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' }): void;
}

/**
 * No navigation away from the loaded page (reloads and in-page #hash changes are not navigations
 * and still work), no new windows, no <webview> (checklist items 12, 13, 14).
 */
export function hardenWebContents(contents: HardenableWebContents, onRefused: (what: string, url: string) => void = () => {}): void {
  const refuse = (what: string) => (event: NavigationEvent, url?: string) => {
    if (event.isSameDocument) return;
    event.preventDefault();
    onRefused(what, url ?? event.url ?? '');
  };
  contents.on('will-navigate', refuse('navigation'));
  contents.on('will-frame-navigate', refuse('frame navigation'));
  contents.on('will-redirect', refuse('redirect'));
  contents.on('will-attach-webview', (event: NavigationEvent) => {
    event.preventDefault();
    onRefused('webview', '');
  });
  contents.setWindowOpenHandler(({ url }) => {
    onRefused('new window', url);
    return { action: 'deny' };
  });
}

/** The session methods denyAllPermissions uses. */
export interface PermissionSession {
  setPermissionRequestHandler(handler: ((webContents: unknown, permission: string, callback: (granted: boolean) => void, details: unknown) => void) | null): void;
  setPermissionCheckHandler(handler: ((webContents: unknown, permission: string, requestingOrigin: string, details: unknown) => boolean) | null): void;
  setDevicePermissionHandler?(handler: ((details: unknown) => boolean) | null): void;
}

/**
 * The app needs no web permission (camera, notifications, geolocation, clipboard-read, HID, …):
 * every request and every check is answered no (checklist item 5). The renderer copes with the
 * clipboard API being refused (it falls back to a copy command).
 */
export function denyAllPermissions(session: PermissionSession, onRefused: (permission: string) => void = () => {}): void {
  session.setPermissionRequestHandler((_webContents, permission, callback) => {
    onRefused(permission);
    callback(false);
  });
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler?.(() => false);
}
