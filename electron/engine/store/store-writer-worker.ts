// The store writer thread (see WorkerSessionWriter): its own connection to settings.db, the same
// SessionStore transactions, applied in the order they arrive.
import { parentPort, workerData } from 'node:worker_threads';
import { openDatabase } from '../db/database.ts';
import { redirectNativeAddonsFromEnv } from '../native-addons.ts';
import { SessionStore } from './session-store.ts';
import type { WriterReply, WriterRequest } from './store-writer-protocol.ts';
import { InlineSessionWriter, WriteRefusedError } from './store-writer.ts';

const port = parentPort!;
// A development run of the app: this thread's better-sqlite3 must load its Electron build too
// (the addon is loaded by the first `new Database`, below).
redirectNativeAddonsFromEnv(process);
// The engine's connection has already migrated the file; this open only checks it.
const database = openDatabase((workerData as { dataDir: string }).dataDir);
// The same refusal rule as on the main thread: once a write of a report fails, its later writes are
// refused, never applied.
const writer = new InlineSessionWriter(new SessionStore(database.db));

port.on('message', (request: WriterRequest) => {
  if (request.kind === 'end-stream') {
    writer.endStream(request.stream);
    return;
  }
  if (request.kind === 'close') {
    database.close();
    port.close();
    return;
  }
  let reply: WriterReply;
  try {
    reply = { kind: 'answer', id: request.id, ok: true, added: writer.writeNow(request.stream, request.site, request.writes) };
  } catch (error) {
    const { message, code } = error as Error & { code?: string };
    reply = { kind: 'answer', id: request.id, ok: false, refused: error instanceof WriteRefusedError, message, code };
  }
  port.postMessage(reply);
});
port.postMessage({ kind: 'ready' } satisfies WriterReply);
