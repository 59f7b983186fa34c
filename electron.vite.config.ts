/**
 * `electron-vite build` → out/: the three parts of the desktop app.
 *   out/main/index.js      main process, ESM (package.json "type": "module"), and
 *   out/main/store-writer-worker.js, the engine's store writer thread; every dependency
 *                          stays external (better-sqlite3 and keytar are native addons; the rest
 *                          are loaded from the packaged node_modules as they are)
 *   out/preload/index.cjs  the preload, one CommonJS file with no import but 'electron' (sandboxed
 *                          preloads cannot load ES modules nor other files)
 *   out/renderer/          the React UI, built with renderer/vite.config.ts's own settings
 */
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'electron-vite';
import rendererConfig from './renderer/vite.config.ts';

// electron-vite's config loader rewrites import.meta.url (not import.meta.dirname) to this file's.
const root = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  main: {
    build: {
      outDir: resolve(root, 'out/main'),
      // All of package.json's dependencies (better-sqlite3, keytar, got, zod, …) stay `import`s.
      externalizeDeps: true,
      sourcemap: true,
      // Two entries: the main process, and the store writer thread's script (a worker loads a file of
      // its own; the app passes out/main/store-writer-worker.js to the engine).
      lib: {
        entry: { index: resolve(root, 'electron/main/index.ts'), 'store-writer-worker': resolve(root, 'electron/engine/store/store-writer-worker.ts') },
        formats: ['es'],
        fileName: (_format, entryName) => `${entryName}.js`,
      },
    },
  },
  preload: {
    build: {
      outDir: resolve(root, 'out/preload'),
      // Bundle everything the preload imports (only ../../shared constants): nothing is loaded at run time.
      externalizeDeps: false,
      sourcemap: false,
      lib: { entry: resolve(root, 'electron/preload/index.ts'), formats: ['cjs'], fileName: () => 'index.cjs' },
    },
  },
  renderer: {
    ...rendererConfig,
    // The renderer config's own root and outDir come from import.meta.dirname, which the config
    // loader does not rewrite for imported files: set both explicitly.
    root: resolve(root, 'renderer'),
    build: {
      ...rendererConfig.build,
      outDir: resolve(root, 'out/renderer'),
      emptyOutDir: true,
      // electron-vite reads rolldownOptions and copies them over rollupOptions.
      rolldownOptions: { ...rendererConfig.build?.rollupOptions, input: resolve(root, 'renderer/index.html') },
    },
  },
});
