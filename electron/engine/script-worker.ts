import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread on an engine script: the built `.js` as it is, or — when the engine runs
 * from its sources — the `.ts` behind tsx's loader, registered inside the worker first (as
 * bin/pra-ic.js does for the main thread), since a worker does not inherit the parent's loader.
 */
export function startScriptWorker(script: URL, options: WorkerOptions): Worker {
  if (!script.href.endsWith('.ts')) return new Worker(script, options);
  const loader = JSON.stringify(import.meta.resolve('tsx/esm/api'));
  return new Worker(`import(${loader}).then((tsx) => { tsx.register(); return import(${JSON.stringify(script.href)}); })`, { ...options, eval: true });
}
