import type { SessionWrite } from './session-store.ts';
import type { ReportContext } from './report-storing.ts';
import type { ThreadError } from './writer-errors.ts';

/** Messages to the store writer thread (store-writer-worker.ts), applied in order. */
export type WriterRequest =
  /** First: open the connection (the database is migrated by then); answered `ready`. */
  | { kind: 'open' }
  | { kind: 'write'; id: number; stream: number; site: { id: number; host: string }; writes: SessionWrite[] }
  | { kind: 'end-stream'; stream: number }
  /** A report to parse and store there (WorkerSessionWriter.pullReport); its body follows in chunks. */
  | { kind: 'report'; id: number; context: ReportContext; noDataTexts: string[] }
  | { kind: 'report-chunk'; id: number; chunk: Uint8Array }
  /** The body ended; `failed`: its stream failed (the engine throws that error itself). */
  | { kind: 'report-end'; id: number; failed: boolean }
  | { kind: 'close' };

/** Totals of a report being stored there, so far (cumulative). */
export interface ReportTotals {
  sessionsSeen: number;
  eventsAdded: number;
}

/** What it says: once, that its connection is open; then an answer to each write and report. */
export type WriterReply =
  | { kind: 'ready' }
  | { kind: 'answer'; id: number; ok: true; added: number }
  | { kind: 'answer'; id: number; ok: false; refused: boolean; message: string; code: string | undefined }
  /** The parser took this many bytes of the report's body: room for more. */
  | { kind: 'report-read'; id: number; bytes: number }
  | ({ kind: 'report-progress'; id: number } & ReportTotals)
  | ({ kind: 'report-done'; id: number; ok: true; sessions: number; events: number; seen: string[]; ended: string[] } & ReportTotals)
  /** `error` null: the body's own failure (report-end failed), which the engine holds. */
  | ({ kind: 'report-done'; id: number; ok: false; error: ThreadError | null } & ReportTotals);
