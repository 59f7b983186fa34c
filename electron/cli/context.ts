import { Engine, type EngineOptions } from '../engine/engine.ts';
import { resolveDataDir } from '../engine/paths.ts';

/** The CLI's lowest accepted poll interval: tests and the demo may poll faster than the app's 30 s. */
export const CLI_MIN_POLL_SECONDS = 1;

export interface GlobalOptions {
  dataDir?: string;
  verbose?: boolean;
}

/** Opens the engine on the data directory chosen by --data-dir, PRA_IC_DATA_DIR or the default. */
export function openEngine(global: GlobalOptions, extra: Partial<EngineOptions> = {}): Engine {
  const dataDir = resolveDataDir({ dataDir: global.dataDir });
  return new Engine({
    dataDir,
    minPollSeconds: CLI_MIN_POLL_SECONDS,
    echoLog: global.verbose ? (e) => process.stderr.write(`${e.time} ${e.level} ${e.message}\n`) : undefined,
    ...extra,
  });
}

/** Runs `fn` with an engine opened on the chosen data directory, and closes it however `fn` ends. */
export async function withEngine<T>(global: GlobalOptions, fn: (engine: Engine) => Promise<T>): Promise<T> {
  const engine = openEngine(global);
  try {
    return await fn(engine);
  } finally {
    await engine.close();
  }
}
