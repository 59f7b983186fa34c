// The store writer thread (see WorkerSessionWriter): its own connection to settings.db, the same
// SessionStore transactions, applied in the order they arrive.
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db/database.ts';
import { redirectNativeAddonsFromEnv } from '../native-addons.ts';
import { SessionStore } from './session-store.ts';
import type { WriterReply, WriterRequest } from './store-writer-protocol.ts';

const port = parentPort!;
// A development run of the app: this thread's better-sqlite3 must load its Electron build too
// (the addon is loaded by the first `new Database`, below).
redirectNativeAddonsFromEnv(process);
// The engine's connection has already migrated the file; this open only checks it.
const database = openDatabase((workerData as { dataDir: string }).dataDir);
const store = new SessionStore(database.db);
/** Streams with a failed write: their later writes are refused, never applied. */
const failed = new Set<number>();

port.on('message', (request: WriterRequest) => {
  if (request.kind === 'end-stream') {
    failed.delete(request.stream);
    return;
  }
  if (request.kind === 'close') {
    database.close();
    port.close();
    return;
  }
  let reply: WriterReply;
  if (failed.has(request.stream)) {
    reply = { kind: 'answer', id: request.id, ok: false, refused: true, message: 'refused', code: undefined };
  } else {
    try {
      reply = { kind: 'answer', id: request.id, ok: true, added: store.write(request.site, request.writes) };
    } catch (error) {
      failed.add(request.stream);
      reply = { kind: 'answer', id: request.id, ok: false, refused: false, message: (error as Error).message, code: (error as { code?: string }).code };
    }
  }
  port.postMessage(reply);
});
port.postMessage({ kind: 'ready' } satisfies WriterReply);
