/**
 * Entry of the main process. Kept tiny: in a development run it first points native addons at
 * their Electron builds (engine/native-addons.ts, which needs only node:fs and node:path), then
 * loads the app, so no other engine module (and no external package) is evaluated before that;
 * and a start-up failure (a missing or mismatched native module, say) becomes a dialog instead of
 * a silent exit.
 *
 * The top-level await holds Electron's ready event until app.ts has registered what must come
 * before it (the app:// scheme); app.ts itself never awaits ready at top level.
 */
import path from 'node:path';
import { app, dialog } from 'electron';
import { APP_NODE_MODULES_ENV, ELECTRON_NATIVE_DIR_ENV, redirectNativeAddonsFromEnv } from '../engine/native-addons.ts';

if (!app.isPackaged && process.env[ELECTRON_NATIVE_DIR_ENV]) {
  // Published for the engine's threads too (they inherit the environment; see native-addons.ts).
  process.env[APP_NODE_MODULES_ENV] = path.join(app.getAppPath(), 'node_modules');
  redirectNativeAddonsFromEnv(process);
}

try {
  const { main } = await import('./app.ts');
  main();
} catch (error) {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  console.error(message);
  dialog.showErrorBox(
    'PRA Integration Client could not start',
    `${message}${/NODE_MODULE_VERSION|was compiled against a different Node\.js version/.test(message) ? '\n\nA native module was built for another runtime. In a development checkout, start the app with “npm start”, which builds the Electron copies.' : ''}`,
  );
  app.exit(1);
}
