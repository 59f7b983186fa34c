import type { Engine, EngineOptions } from '../engine/engine.ts';

/** The CLI's lowest accepted poll interval: tests and the demo may poll faster than the app's 30 s. */
export const CLI_MIN_POLL_SECONDS = 1;

export interface GlobalOptions {
  dataDir?: string;
  verbose?: boolean;
}

/**
 * Built (dist/cli/, see scripts/build-cli.ts), the store writer thread's script is the entry built
 * next to this bundle; from the sources, the engine finds its own.
 */
const storeWriterScript = () => (import.meta.url.endsWith('.ts') ? undefined : new URL('./store-writer-worker.js', import.meta.url));

/** The batch builder thread, opt-in (PRA_IC_SHIP_BUILDER=thread; see batch-source.ts): built, its entry next to this bundle. */
const shipBuilderScript = () =>
  process.env.PRA_IC_SHIP_BUILDER === 'thread' && !import.meta.url.endsWith('.ts') ? new URL('./batch-builder-worker.js', import.meta.url) : undefined;

/**
 * The data directory chosen by --data-dir, PRA_IC_DATA_DIR or the default, created if missing
 * (with a warning on stderr if it exists and others can read it).
 */
async function prepareDataDir(global: GlobalOptions): Promise<string> {
  const { ensureDataDir, resolveDataDir } = await import('../engine/paths.ts');
  return ensureDataDir(resolveDataDir({ dataDir: global.dataDir }), (warning) => process.stderr.write(`Warning: ${warning}\n`));
}

async function engineOn(dataDir: string, global: GlobalOptions, extra: Partial<EngineOptions>): Promise<Engine> {
  const { Engine } = await import('../engine/engine.ts');
  return new Engine({
    dataDir,
    minPollSeconds: CLI_MIN_POLL_SECONDS,
    storeWriterScript: storeWriterScript(),
    shipBuilderScript: shipBuilderScript(),
    echoLog: global.verbose ? (e) => process.stderr.write(`${e.time} ${e.level} ${e.message}\n`) : undefined,
    ...extra,
  });
}

/**
 * Opens the engine on the data directory chosen by --data-dir, PRA_IC_DATA_DIR or the default. The
 * engine is imported here, when a command runs, not at start: `pra-ic --help` and usage errors
 * never load it (in the build it is a chunk of its own).
 */
export async function openEngine(global: GlobalOptions, extra: Partial<EngineOptions> = {}): Promise<Engine> {
  return engineOn(await prepareDataDir(global), global, extra);
}

/**
 * Opens the engine for a command that extracts or ships (`run`, `ui`): first takes the data
 * folder's lock (engine/lock), so two engines never work on one folder; with `wait`, waits for the
 * holder to end instead of refusing. `close()` closes the engine, then releases the lock.
 */
export async function openLockedEngine(
  global: GlobalOptions,
  options: { wait?: boolean; extracts?: boolean },
  extra: Partial<EngineOptions> = {},
): Promise<{ engine: Engine; close: () => Promise<void> }> {
  const dataDir = await prepareDataDir(global);
  const { lockDataDir } = await import('../engine/lock/engine-lock.ts');
  const lock = await lockDataDir(dataDir, {
    wait: options.wait,
    onWaiting: (busy) => process.stderr.write(`Waiting: ${busy.pid === null ? 'another process' : `process ${busy.pid}`} is using the data folder ${dataDir}…\n`),
  });
  // A command that extracts starts the store writer thread now, on the other core, and opens the
  // way to the keychain (its sites' secrets are read first), while the engine's modules load on this
  // one: ~0.1 s each, one after the other otherwise.
  let early: Awaited<ReturnType<typeof startEarlyWriter>> | undefined;
  if (options.extracts) {
    early = await startEarlyWriter(dataDir);
    void import('../engine/secrets/keytar-secret-store.ts').then((keychain) => keychain.warmUpKeychain());
  }
  let engine: Engine;
  try {
    engine = await engineOn(dataDir, global, { storeWriterThread: early, ...extra });
  } catch (error) {
    await early?.terminate();
    lock.release();
    throw error;
  }
  return {
    engine,
    async close() {
      try {
        await engine.close();
      } finally {
        lock.release();
      }
    },
  };
}

/** The store writer thread, started ahead of the engine (EarlyWriterThread); from the sources, its own script. */
async function startEarlyWriter(dataDir: string) {
  const { EarlyWriterThread, defaultWorkerScript } = await import('../engine/store/store-writer-thread.ts');
  return new EarlyWriterThread(dataDir, storeWriterScript() ?? defaultWorkerScript());
}

/** Runs `fn` with an engine opened on the chosen data directory, and closes it however `fn` ends. */
export async function withEngine<T>(global: GlobalOptions, fn: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = await openEngine(global);
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}
