/**
 * Builds the renderer (React + Fluent UI) into dist/renderer. `base: './'` keeps every asset URL
 * relative, so the same build loads from Electron's custom protocol (or a file) and from the
 * loopback HTTP server of `pra-ic ui` at `/`. No React plugin: esbuild compiles the TSX.
 */
import { defineConfig } from 'vite';

export default defineConfig({
  // Vite (and Node ≥ 20.11) provide import.meta.dirname: the folder of this file, on any OS.
  root: import.meta.dirname,
  base: './',
  publicDir: false,
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    target: 'chrome120',
    sourcemap: false,
    chunkSizeWarningLimit: 2048,
    // No inline module-preload polyfill and no inlined assets: everything obeys script-src 'self'.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    rollupOptions: {
      onwarn(warning, warn) {
        // Fluent UI's packages start with "use client" (for React Server Components): harmless here.
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  server: { host: '127.0.0.1', strictPort: true },
});
