// The batch builder thread (see WorkerBatchSource): reads pending events from its own read-only
// connection to the store and builds their NDJSON lines, off the thread that parses reports.
import Database from 'better-sqlite3';
import { parentPort, workerData } from 'node:worker_threads';
import { redirectNativeAddonsFromEnv } from '../native-addons.ts';
import type { BuilderReply, BuilderRequest } from './batch-builder-protocol.ts';
import { BatchReader } from './outbox-batches.ts';

const port = parentPort!;
// A development run of the app: this thread's better-sqlite3 must load its Electron build too.
redirectNativeAddonsFromEnv(process);
// Read-only: this thread never writes (the main thread records Elasticsearch's answers).
const db = new Database((workerData as { file: string }).file, { readonly: true, fileMustExist: true, timeout: 10_000 });
const reader = new BatchReader(db);
const reply = (message: BuilderReply) => port.postMessage(message);

port.on('message', (request: BuilderRequest) => {
  if (request.kind === 'close') {
    db.close();
    port.close();
    return;
  }
  if (request.kind === 'recycle') {
    reader.recycle(request.buffer);
    return;
  }
  try {
    const result = reader.read(request.cursor, request.limits, request.index, request.context);
    // The body's bytes move to the main thread (its buffer is the batch's own), not copied.
    const owned = result?.batch?.owned;
    port.postMessage({ kind: 'read', id: request.id, result } satisfies BuilderReply, owned ? [owned.buffer as ArrayBuffer] : []);
  } catch (error) {
    reply({ kind: 'read', id: request.id, error: (error as Error).message });
  }
});
reply({ kind: 'ready' });
