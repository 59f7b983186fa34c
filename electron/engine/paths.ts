/**
 * Where the data directory is: `--data-dir`, else `PRA_IC_DATA_DIR`, else the app's user-data
 * folder — the same place Electron's `app.getPath('userData')` uses, so the desktop app and the
 * headless `pra-ic` share one settings database by default.
 */
import { mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/** The product name Electron derives the user-data folder from (package.json `productName`). */
export const APP_DIR_NAME = 'PRA Integration Client';
export const DATA_DIR_ENV = 'PRA_IC_DATA_DIR';
/** Owner only: the data directory holds settings and, later, audit data. */
export const DATA_DIR_MODE = 0o700;

export interface DataDirOptions {
  /** The `--data-dir` value, if given. */
  dataDir?: string | null;
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  homeDir?: string;
  /** Base for relative paths (default process.cwd()). */
  cwd?: string;
}

function nonEmpty(value: string | null | undefined): string | null {
  return value !== undefined && value !== null && value.trim() !== '' ? value.trim() : null;
}

function pathFor(platform: NodeJS.Platform) {
  return platform === 'win32' ? path.win32 : path.posix;
}

/** Expands a leading `~` (not done by the shell inside quotes or in environment variables). */
function expandHome(value: string, home: string, p: typeof path.posix): string {
  if (value === '~') return home;
  if (value.startsWith('~/') || value.startsWith('~\\')) return p.join(home, value.slice(2));
  return value;
}

/** The app's user-data folder, as Electron's app.getPath('userData') computes it. */
export function defaultDataDir(options: Omit<DataDirOptions, 'dataDir' | 'cwd'> = {}): string {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const home = options.homeDir ?? homedir();
  const p = pathFor(platform);
  let appData: string;
  if (platform === 'win32') {
    appData = nonEmpty(env.APPDATA) ?? p.join(home, 'AppData', 'Roaming');
  } else if (platform === 'darwin') {
    appData = p.join(home, 'Library', 'Application Support');
  } else {
    // XDG: a relative XDG_CONFIG_HOME is invalid and ignored.
    const xdg = nonEmpty(env.XDG_CONFIG_HOME);
    appData = xdg !== null && p.isAbsolute(xdg) ? xdg : p.join(home, '.config');
  }
  return p.join(appData, APP_DIR_NAME);
}

/** `--data-dir`, else `PRA_IC_DATA_DIR`, else the user-data folder; always absolute. */
export function resolveDataDir(options: DataDirOptions = {}): string {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  const home = options.homeDir ?? homedir();
  const p = pathFor(platform);
  const chosen = nonEmpty(options.dataDir) ?? nonEmpty(env[DATA_DIR_ENV]);
  if (chosen === null) return defaultDataDir({ env, platform, homeDir: home });
  return p.resolve(options.cwd ?? process.cwd(), expandHome(chosen, home, p));
}

/**
 * Creates the data directory (and missing parents) readable by its owner only. A folder that
 * already exists is left as it is: it may be shared on purpose (a `--data-dir /tmp` once made
 * /tmp 0700 and broke the machine), and what the tool creates inside it (settings.db, logs) is
 * owner-only anyway. When an existing folder can be read or entered by other users, `warn` is told
 * (POSIX; on Windows the per-user profile's ACLs decide). Returns the directory.
 */
export function ensureDataDir(dir: string, warn?: (message: string) => void): string {
  let created: string | undefined;
  try {
    created = mkdirSync(dir, { recursive: true, mode: DATA_DIR_MODE });
  } catch (error) {
    throw new Error(`Could not create the data folder ${dir}: ${(error as Error).message}`, { cause: error });
  }
  const stat = statSync(dir);
  if (!stat.isDirectory()) throw new Error(`The data folder ${dir} is not a folder: choose another path with --data-dir.`);
  if (created === undefined && warn && process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    const mode = (stat.mode & 0o7777).toString(8).padStart(4, '0');
    warn(
      `The data folder ${dir} is open to other users (mode ${mode}). It was left as it is; what pra-ic stores in it is readable by you only. ` +
        `To keep others out of it too, run: chmod 700 "${dir}" (or choose a folder of your own with --data-dir).`,
    );
  }
  return dir;
}
