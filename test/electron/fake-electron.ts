// A stand-in for the 'electron' module, for main-process.test.ts: the Electron binary cannot run in
// our CI, so the shell's wiring (electron/main/app.ts) runs against these fakes. They keep what the
// app did (in call order) and, like Electron, refuse APIs used before the app is ready.
import { EventEmitter } from 'node:events';

export const calls: string[] = [];

function requireReady(what: string) {
  if (!app.isReady()) throw new Error(`${what} cannot be used before the app is ready`);
}

export class PreventableEvent {
  defaultPrevented = false;
  preventDefault() {
    this.defaultPrevented = true;
  }
}

class FakeApp extends EventEmitter {
  isPackaged = false;
  private ready = false;
  private markReady!: () => void;
  private readonly readyPromise = new Promise<void>((resolve) => (this.markReady = resolve));
  readonly paths = new Map<string, string>([['userData', '/nonexistent/default-user-data']]);
  appPath = process.cwd();
  quitted = false;
  exitCode: number | null = null;
  loginItem: unknown = null;

  isReady() {
    return this.ready;
  }
  whenReady() {
    return this.readyPromise;
  }
  /** The test's "Electron is ready now". */
  fireReady() {
    this.ready = true;
    this.markReady();
    this.emit('ready');
  }
  getPath(name: string) {
    return this.paths.get(name) ?? `/nonexistent/${name}`;
  }
  setPath(name: string, value: string) {
    if (this.ready && name === 'userData') throw new Error('userData must be set before ready');
    calls.push(`setPath ${name}`);
    this.paths.set(name, value);
  }
  getAppPath() {
    return this.appPath;
  }
  getVersion() {
    return '0.0.0-test';
  }
  requestSingleInstanceLock() {
    calls.push('requestSingleInstanceLock');
    return true;
  }
  setAppUserModelId(id: string) {
    calls.push(`setAppUserModelId ${id}`);
  }
  setLoginItemSettings(settings: unknown) {
    this.loginItem = settings;
  }
  quit() {
    calls.push('quit');
    const event = new PreventableEvent();
    this.emit('before-quit', event);
    if (event.defaultPrevented) return;
    for (const win of BrowserWindow.all) win.close();
    this.quitted = true;
  }
  exit(code: number) {
    calls.push(`exit ${code}`);
    this.exitCode = code;
  }
}

export const app = new FakeApp();

export const protocol = {
  privileged: [] as unknown[],
  handlers: new Map<string, (request: Request) => Promise<Response>>(),
  registerSchemesAsPrivileged(schemes: unknown[]) {
    if (app.isReady()) throw new Error('registerSchemesAsPrivileged must be called before ready');
    calls.push('registerSchemesAsPrivileged');
    this.privileged.push(...schemes);
  },
  handle(scheme: string, handler: (request: Request) => Promise<Response>) {
    requireReady('protocol.handle');
    calls.push(`protocol.handle ${scheme}`);
    this.handlers.set(scheme, handler);
  },
};

const defaultSession = {
  requestHandler: null as unknown,
  checkHandler: null as null | ((...args: unknown[]) => boolean),
  setPermissionRequestHandler(handler: unknown) {
    this.requestHandler = handler;
  },
  setPermissionCheckHandler(handler: (...args: unknown[]) => boolean) {
    this.checkHandler = handler;
  },
  setDevicePermissionHandler() {},
};
export const session = {
  get defaultSession() {
    requireReady('session.defaultSession');
    return defaultSession;
  },
};

type InvokeListener = (event: unknown, ...args: unknown[]) => Promise<unknown>;
export const ipcMain = {
  handlers: new Map<string, InvokeListener>(),
  handle(channel: string, listener: InvokeListener) {
    if (this.handlers.has(channel)) throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  },
  removeHandler(channel: string) {
    this.handlers.delete(channel);
  },
};

let nextId = 1;
export class FakeWebContents extends EventEmitter {
  readonly id = nextId++;
  url = '';
  readonly sent: unknown[][] = [];
  openHandler: ((details: { url: string }) => unknown) | null = null;
  getURL() {
    return this.url;
  }
  send(channel: string, ...args: unknown[]) {
    this.sent.push([channel, ...args]);
  }
  isDestroyed() {
    return false;
  }
  setWindowOpenHandler(handler: (details: { url: string }) => unknown) {
    this.openHandler = handler;
  }
}

export class BrowserWindow extends EventEmitter {
  static readonly all: BrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  visible = false;
  constructor(readonly options: { webPreferences?: Record<string, unknown> } & Record<string, unknown>) {
    super();
    requireReady('BrowserWindow');
    BrowserWindow.all.push(this);
    app.emit('web-contents-created', {}, this.webContents);
  }
  loadURL(url: string) {
    this.webContents.url = url;
    setImmediate(() => this.emit('ready-to-show'));
    return Promise.resolve();
  }
  show() {
    this.visible = true;
  }
  hide() {
    this.visible = false;
  }
  focus() {}
  isMinimized() {
    return false;
  }
  restore() {}
  isDestroyed() {
    return false;
  }
  /** What the user's close button does: a preventable 'close'. */
  close() {
    const event = new PreventableEvent();
    this.emit('close', event);
    if (!event.defaultPrevented) this.visible = false;
    return event;
  }
}

export const Menu = {
  setApplicationMenu() {},
  buildFromTemplate(template: unknown[]) {
    return { template };
  },
};

export class Tray extends EventEmitter {
  static current: Tray | null = null;
  menu: { template: { id?: string; label?: string; click?: () => void }[] } | null = null;
  tooltip = '';
  image: unknown = null;
  destroyed = false;
  constructor(image: unknown) {
    super();
    requireReady('Tray');
    this.image = image;
    Tray.current = this;
  }
  setContextMenu(menu: Tray['menu']) {
    this.menu = menu;
  }
  setToolTip(text: string) {
    this.tooltip = text;
  }
  setImage(image: unknown) {
    this.image = image;
  }
  isDestroyed() {
    return this.destroyed;
  }
  destroy() {
    this.destroyed = true;
  }
  displayBalloon() {}
}

export const nativeImage = {
  createFromPath(file: string) {
    return { file, resize() {
      return this;
    } };
  },
};

export const nativeTheme = { shouldUseDarkColors: false };

export class Notification extends EventEmitter {
  static readonly shown: unknown[] = [];
  static isSupported() {
    return true;
  }
  constructor(readonly options: unknown) {
    super();
    requireReady('Notification');
  }
  show() {
    Notification.shown.push(this.options);
  }
}

export const powerMonitor = {
  on(event: string) {
    requireReady('powerMonitor');
    calls.push(`powerMonitor.on ${event}`);
  },
};

export const dialog = {
  showErrorBox(title: string, content: string) {
    calls.push(`showErrorBox ${title}: ${content}`);
  },
};
