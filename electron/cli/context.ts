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

/**
 * Opens the engine on the data directory chosen by --data-dir, PRA_IC_DATA_DIR or the default. The
 * engine is imported here, when a command runs, not at start: `pra-ic --help` and usage errors
 * never load it (in the build it is a chunk of its own).
 */
export async function openEngine(global: GlobalOptions, extra: Partial<EngineOptions> = {}): Promise<Engine> {
  const [{ Engine }, { resolveDataDir }] = await Promise.all([import('../engine/engine.ts'), import('../engine/paths.ts')]);
  const dataDir = resolveDataDir({ dataDir: global.dataDir });
  return new Engine({
    dataDir,
    minPollSeconds: CLI_MIN_POLL_SECONDS,
    storeWriterScript: storeWriterScript(),
    echoLog: global.verbose ? (e) => process.stderr.write(`${e.time} ${e.level} ${e.message}\n`) : undefined,
    ...extra,
  });
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
