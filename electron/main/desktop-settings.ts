/**
 * The desktop shell's own settings, in `desktop-settings.json` beside settings.db in the data
 * directory. Only the shell uses them (the CLI has no tray and no login item), so they stay out of
 * the engine's database and out of the UI contract; the tray menu changes them.
 *
 * Start at login: the file holds the user's choice, and every start writes it to the OS again
 * (app.setLoginItemSettings with the current executable), so after an upgrade or a reinstall in
 * another folder the login item points at the app that is installed now.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const DESKTOP_SETTINGS_FILE = 'desktop-settings.json';
/** Passed by the login item: start in the tray, without opening the window. */
export const HIDDEN_ARG = '--hidden';

export interface DesktopSettings {
  openAtLogin: boolean;
  /** The "still running in the tray" hint was shown once. */
  trayHintShown: boolean;
}

export const DEFAULT_DESKTOP_SETTINGS: DesktopSettings = { openAtLogin: false, trayHintShown: false };

/** The stored settings; defaults for a missing or unreadable file (never throws). */
export function readDesktopSettings(dataDir: string): DesktopSettings {
  try {
    const raw = JSON.parse(readFileSync(join(dataDir, DESKTOP_SETTINGS_FILE), 'utf8')) as Partial<Record<keyof DesktopSettings, unknown>>;
    return {
      openAtLogin: typeof raw.openAtLogin === 'boolean' ? raw.openAtLogin : DEFAULT_DESKTOP_SETTINGS.openAtLogin,
      trayHintShown: typeof raw.trayHintShown === 'boolean' ? raw.trayHintShown : DEFAULT_DESKTOP_SETTINGS.trayHintShown,
    };
  } catch {
    return { ...DEFAULT_DESKTOP_SETTINGS };
  }
}

/** Writes the settings atomically (temp file, then rename), owner-only. */
export function writeDesktopSettings(dataDir: string, settings: DesktopSettings): void {
  const file = join(dataDir, DESKTOP_SETTINGS_FILE);
  const temp = `${file}.${process.pid}.tmp`;
  writeFileSync(temp, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
  renameSync(temp, file);
}

/** What app.setLoginItemSettings gets: the installed executable, started hidden in the tray. */
export function loginItemSettings(openAtLogin: boolean, executable: string): { openAtLogin: boolean; path: string; args: string[] } {
  return { openAtLogin, path: executable, args: [HIDDEN_ARG] };
}

/** Whether this start came from the login item (or was asked to start in the tray). */
export function startsHidden(argv: readonly string[]): boolean {
  return argv.includes(HIDDEN_ARG);
}
