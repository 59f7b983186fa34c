// The store writer thread (see WorkerSessionWriter): its own connection to settings.db, the same
// SessionStore transactions, applied in the order they arrive.
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import type { AppDatabase } from '../db/database.ts';
import { redirectNativeAddonsFromEnv } from '../native-addons.ts';
import { SessionStore } from './session-store.ts';
import { learnedNoData } from '../pra/no-data-text.ts';
import { parseAccessSessionReport } from '../pra/report-parser.ts';
import { BodyChunks, BodyFailedError } from './body-chunks.ts';
import { storeReport, type ReportContext } from './report-storing.ts';
import type { WriterReply, WriterRequest } from './store-writer-protocol.ts';
import { toThreadError } from './writer-errors.ts';
import { openWriterConnection } from './writer-connection.ts';
import { InlineSessionWriter, sameSite, WriteRefusedError, type QueuedWrite, type WriteOutcome } from './store-writer.ts';

/**
 * Writes committed together at most. When this thread is the slower one, the extractor's commits
 * (at most a few per report, see site-extractor.ts) wait in its queue; taking them in one
 * transaction spends one commit and one fsync where it would spend several, exactly when storing
 * is what holds extraction back.
 */
const MAX_GROUP = 8;

const port = parentPort!;
// A development run of the app: this thread's better-sqlite3 must load its Electron build too
// (the addon is loaded by the first `new Database`, in open()).
redirectNativeAddonsFromEnv(process);
// Opened when the engine says so (the first message), not as the thread starts: the thread may be
// started before the engine exists (store-writer-thread.ts), and the engine's connection migrates
// the file first, so this open does not migrate.
let database: AppDatabase | undefined;
// The same refusal rule as on the main thread: once a write of a report fails, its later writes are
// refused, never applied.
let writer!: InlineSessionWriter;

function open() {
  const opened = openWriterConnection((workerData as { dataDir: string }).dataDir);
  database = opened;
  writer = new InlineSessionWriter(new SessionStore(opened.db));
  port.postMessage({ kind: 'ready' } satisfies WriterReply);
}

/** The next message already waiting, taken now instead of as its own event. */
const waiting = () => receiveMessageOnPort(port)?.message as WriterRequest | undefined;

port.on('message', (request: WriterRequest) => {
  let next: WriterRequest | undefined = request;
  while (next) {
    if (next.kind === 'write') {
      // This write and the writes of the same site queued behind it, in order; what comes after them waits its turn.
      const group: (QueuedWrite & { id: number })[] = [next];
      next = undefined;
      for (let m = waiting(); m; m = waiting()) {
        if (m.kind === 'write' && sameSite(m.site, group[0]!.site) && group.length < MAX_GROUP) group.push(m);
        else {
          next = m;
          break;
        }
      }
      writer.writeTogether(group).forEach((outcome, i) => port.postMessage(reply(group[i]!.id, outcome)));
    } else if (next.kind === 'close') {
      database?.close();
      port.close();
      return;
    } else {
      handle(next);
      next = undefined;
    }
  }
});

/** Everything but writes (grouped above) and close. */
function handle(request: Exclude<WriterRequest, { kind: 'write' | 'close' }>) {
  switch (request.kind) {
    case 'open':
      open();
      break;
    case 'end-stream':
      writer.endStream(request.stream);
      break;
    case 'report':
      startReport(request.id, request.context, request.noDataTexts);
      break;
    case 'report-chunk':
      reports.get(request.id)?.push(request.chunk);
      break;
    case 'report-end':
      reports.get(request.id)?.end(request.failed);
      break;
  }
}

/** Bodies of the reports being parsed here, as they arrive. */
const reports = new Map<number, BodyChunks>();

/** Parses and stores one report (WorkerSessionWriter.pullReport), then answers with what it held or why it failed. */
function startReport(id: number, context: ReportContext, noDataTexts: string[]) {
  const body = new BodyChunks((bytes) => port.postMessage({ kind: 'report-read', id, bytes } satisfies WriterReply));
  reports.set(id, body);
  const totals = { sessionsSeen: 0, eventsAdded: 0 };
  const items = parseAccessSessionReport(body, { isNoData: learnedNoData(noDataTexts) });
  const progress = () => port.postMessage({ kind: 'report-progress', id, ...totals } satisfies WriterReply);
  storeReport(items, writer, context, totals, progress).then(
    (out) => port.postMessage({ kind: 'report-done', id, ok: true, sessions: out.sessions, events: out.events, seen: [...out.seen], ended: [...out.ended], ...totals } satisfies WriterReply),
    // The body's own failure is the engine's to throw (it holds the error); any other came first.
    (error) => port.postMessage({ kind: 'report-done', id, ok: false, error: error instanceof BodyFailedError ? null : toThreadError(error), ...totals } satisfies WriterReply),
  ).finally(() => reports.delete(id));
}

function reply(id: number, outcome: WriteOutcome): WriterReply {
  if (outcome.ok) return { kind: 'answer', id, ok: true, added: outcome.added };
  const { message, code } = outcome.error as Error & { code?: string };
  return { kind: 'answer', id, ok: false, refused: outcome.error instanceof WriteRefusedError, message, code };
}
