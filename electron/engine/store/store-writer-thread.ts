// Starting the store writer thread (WorkerSessionWriter), also before the engine that will use it
// exists: small on purpose, so that `pra-ic run` can load it ahead of the engine's own modules.
import type { Worker } from 'node:worker_threads';
import { resolve } from 'node:path';
import { startScriptWorker } from '../script-worker.ts';

/**
 * The writer's JavaScript heap. It holds the report being parsed (a slice of text, the open
 * session), a few commits (each ~500 events of strings) and one session header, so V8's defaults
 * (up to 16 MB per young semi-space, an old generation allowed to grow to gigabytes before it is
 * collected hard) would only let garbage pile up: when the thread only stored, a 4 MB young
 * generation took ~15–45 MB off the benchmark's peak RSS at the same speed, and 2 MB another ~4 MB.
 * Since it parses too, 2 MB made its collector run for ~12 % of its time (0.4 s in bench phase 5):
 * 8 MB, end to end 3.21-3.30 s against 3.32-3.51 s, at a peak RSS of 183-189 MB. The old
 * generation leaves room for a header of tens of megabytes (a session with ~100,000 shell
 * recordings).
 */
const WRITER_HEAP = { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 256 };

/**
 * A writer thread on `dataDir`. It loads its modules, then waits: it opens its connection only when
 * told to (`{ kind: 'open' }`, see store-writer-protocol.ts), once the engine's own connection has
 * migrated the database.
 */
export function startWriterThread(dataDir: string, script: URL): Worker {
  return startScriptWorker(script, { workerData: { dataDir }, resourceLimits: WRITER_HEAP });
}

/**
 * The worker's script next to this module: store-writer-worker.ts when the engine runs from its
 * sources (tests, the CLI under tsx). A bundle (the desktop app, the benchmark) builds the worker
 * as an entry of its own and passes its URL instead.
 */
export function defaultWorkerScript(): URL {
  if (!import.meta.url.endsWith('.ts')) {
    throw new Error('the store writer worker was not given: a bundle of the engine must build store-writer-worker.ts as an entry and pass its URL (EngineOptions.storeWriterScript)');
  }
  return new URL('./store-writer-worker.ts', import.meta.url);
}

/**
 * A writer thread started before the engine, for the engine to adopt (EngineOptions.storeWriterThread).
 *
 * Why: `pra-ic run --once` spent its first ~0.3 s before the first report could be parsed, and a
 * third of it was the writer thread starting (Node's start of a thread, then its modules: 90-120 ms
 * measured) after the engine's modules had loaded on the main thread (~80 ms), one after the other,
 * while the second core was idle. Started first, the two overlap.
 *
 * Until it is adopted the thread holds no connection and does nothing, and it does not keep the
 * process alive. One that stopped meanwhile (an error, an exit) is not handed over: the adopter
 * starts a thread of its own, as it would have without this one.
 */
export class EarlyWriterThread {
  readonly worker: Worker;
  readonly dataDir: string;
  private stopped = false;
  private adopted = false;
  private readonly onStop = () => (this.stopped = true);

  constructor(
    dataDir: string,
    readonly script: URL,
  ) {
    this.dataDir = resolve(dataDir);
    this.worker = startWriterThread(this.dataDir, script);
    this.worker.unref();
    // Listened to until adopted: an error nobody listens to would be thrown as an uncaught 'error' event.
    this.worker.on('error', this.onStop);
    this.worker.on('exit', this.onStop);
  }

  /**
   * The thread, referenced from now on as a thread just started is, if it was started for this folder
   * and script and is still running; otherwise it is stopped and null returned. The adopter attaches
   * its listeners in the same tick (nothing is emitted in between). Once only.
   */
  adopt(dataDir: string, script: URL): Worker | null {
    if (this.adopted) return null;
    if (this.stopped || resolve(dataDir) !== this.dataDir || script.href !== this.script.href) {
      void this.terminate();
      return null;
    }
    this.adopted = true;
    this.worker.off('error', this.onStop);
    this.worker.off('exit', this.onStop);
    this.worker.ref();
    return this.worker;
  }

  /** Stops a thread nobody adopted (the engine did not start, or did not want it). */
  async terminate(): Promise<void> {
    if (this.adopted) return;
    this.adopted = true;
    // Its listeners stay: an error while it stops is not an uncaught 'error' event.
    await this.worker.terminate();
  }
}
