import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import type { Engine } from '../engine/engine.ts';
import { openEngine, openLockedEngine, type GlobalOptions } from './context.ts';

const RENDERER_DIR = fileURLToPath(new URL('../../dist/renderer/', import.meta.url));
const RENDERER_CONFIG = fileURLToPath(new URL('../../renderer/vite.config.ts', import.meta.url));

/** The built UI; built on first use in a development checkout (Vite is a dev dependency). */
async function ensureRendererBuilt() {
  if (existsSync(`${RENDERER_DIR}index.html`)) return;
  process.stderr.write('Building the UI (first run)…\n');
  const { build } = await import('vite');
  await build({ configFile: RENDERER_CONFIG, logLevel: 'warn' });
}

function openBrowser(url: string) {
  const [command, args] =
    process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : process.platform === 'darwin' ? ['open', [url]] : ['xdg-open', [url]];
  try {
    spawn(command, args as string[], { detached: true, stdio: 'ignore' }).on('error', () => undefined).unref();
  } catch {
    // No browser launcher: the URL is printed anyway.
  }
}

export function registerUiCommand(program: Command, global: () => GlobalOptions) {
  program
    .command('ui')
    .description('serve the app\'s UI on this computer (127.0.0.1) for a browser, with extraction running, until Ctrl-C')
    .option('--port <port>', 'port to listen on (default: any free port)', (v) => Number.parseInt(v, 10))
    .option('--no-open', 'do not open a browser; just print the URL')
    .option('--no-extract', 'serve the UI only; do not run extraction and shipping in the background')
    .option('--wait', 'if another process (the app, pra-ic run or ui) is using the data folder, wait for it to end instead of refusing')
    .action(async (o: { port?: number; open: boolean; extract: boolean; wait?: boolean }) => {
      await ensureRendererBuilt();
      // Loaded when the command runs, like the engine (see openEngine): --help never loads them.
      const [{ ApiHandlers }, { startUiServer }] = await Promise.all([import('../engine/api/handlers.ts'), import('../engine/api/http-server.ts')]);
      // Extracting and shipping takes the data folder's lock (one engine per folder); --no-extract only serves the UI.
      let engine: Engine;
      let close: () => Promise<void>;
      let beforeWork: (() => void) | undefined;
      if (o.extract) ({ engine, close } = await openLockedEngine(global(), { wait: o.wait }, { minPollSeconds: undefined }));
      else {
        const opened = await openEngine(global(), { minPollSeconds: undefined });
        // Run now / Back up now still pull from the sites: they take the lock then (and keep it),
        // or are refused while another process (the app, pra-ic run) holds the folder.
        const { tryLockDataDir } = await import('../engine/lock/engine-lock.ts');
        let lock: { release(): void } | null = null;
        beforeWork = () => {
          lock ??= tryLockDataDir(opened.dataDir);
        };
        engine = opened;
        close = async () => {
          await opened.close();
          lock?.release();
        };
      }
      const handlers = new ApiHandlers(engine, 'browser', { beforeWork });
      const server = await startUiServer({ handlers, rendererDir: RENDERER_DIR, port: o.port });
      if (o.extract) engine.start();
      process.stdout.write(`PRA Integration Client UI: ${server.url}\n(the address carries a one-time token: it opens the UI once, in one browser tab, and a reload of that tab keeps working. Only this computer can connect. Stop with Ctrl-C.)\n`);
      if (o.open) openBrowser(server.url);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      process.stderr.write('Stopping…\n');
      await server.close();
      await close();
    });
}
