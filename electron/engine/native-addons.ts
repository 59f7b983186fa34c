/**
 * Native addons for a development run (`npm start`) only.
 *
 * node_modules holds better-sqlite3 (and keytar) built for the Node.js that runs the tests and the
 * `pra-ic` CLI. Electron has another ABI, so scripts/start.mjs builds Electron copies in a separate
 * folder (node_modules/.cache/electron-native/<electron version>-<platform>-<arch>/node_modules)
 * and passes that folder in PRA_IC_ELECTRON_NATIVE_DIR. This module makes the development app load
 * `<app>/node_modules/<package>/…/x.node` from that folder instead, when a copy exists there; the
 * JavaScript of the packages still comes from node_modules. The Node builds are never touched.
 *
 * A packaged app never does this: electron-builder rebuilt the addons for Electron inside it.
 *
 * It lives in the engine, not in the Electron shell, because the engine's store writer thread
 * loads better-sqlite3 too, and a thread has a `process.dlopen` of its own: the main process
 * (electron/main/index.ts) publishes the two folders in the environment, which threads inherit,
 * and both apply them with redirectNativeAddonsFromEnv.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';

export const ELECTRON_NATIVE_DIR_ENV = 'PRA_IC_ELECTRON_NATIVE_DIR';
/** The app's own node_modules, set by the development main process for its threads. */
export const APP_NODE_MODULES_ENV = 'PRA_IC_APP_NODE_MODULES';

interface DlopenProcess {
  dlopen(module: object, filename: string, flags?: number): void;
}

/** `\\?\C:\x` → `C:\x` (Node passes namespaced paths to dlopen on Windows). */
function plainPath(file: string): string {
  return file.startsWith('\\\\?\\') ? file.slice(4) : file;
}

/**
 * The file to load instead of `filename`, or null: `filename` must be under `fromNodeModules`
 * and its twin under `toNodeModules` must exist.
 */
export function redirectedAddon(filename: string, fromNodeModules: string, toNodeModules: string, exists: (file: string) => boolean = existsSync, p: typeof path.posix = path): string | null {
  const rel = p.relative(p.resolve(fromNodeModules), p.resolve(plainPath(filename)));
  if (rel === '' || rel.startsWith('..') || p.isAbsolute(rel) || !rel.endsWith('.node')) return null;
  const twin = p.join(p.resolve(toNodeModules), rel);
  return exists(twin) ? twin : null;
}

/** Wraps `proc.dlopen` so addons under `fromNodeModules` load from `toNodeModules`. Returns the undo. */
export function redirectNativeAddons(proc: DlopenProcess, fromNodeModules: string, toNodeModules: string, onRedirect: (from: string, to: string) => void = () => {}): () => void {
  const original = proc.dlopen;
  proc.dlopen = function dlopen(module: object, filename: string, flags?: number) {
    const twin = redirectedAddon(filename, fromNodeModules, toNodeModules);
    if (twin) onRedirect(filename, twin);
    return flags === undefined ? original.call(proc, module, twin ?? filename) : original.call(proc, module, twin ?? filename, flags);
  };
  return () => {
    proc.dlopen = original;
  };
}

/**
 * Redirects this thread's addons when both folders are in the environment (a development run of
 * the app, see electron/main/index.ts); does nothing otherwise (tests, the CLI, a packaged app).
 */
export function redirectNativeAddonsFromEnv(proc: DlopenProcess, env: NodeJS.ProcessEnv = process.env): boolean {
  const from = env[APP_NODE_MODULES_ENV];
  const to = env[ELECTRON_NATIVE_DIR_ENV];
  if (!from || !to) return false;
  redirectNativeAddons(proc, from, path.join(to, 'node_modules'));
  return true;
}
