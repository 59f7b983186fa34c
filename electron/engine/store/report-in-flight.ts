import type { StoredReport, StoringTotals } from './report-storing.ts';
import type { ReportTotals, WriterReply } from './store-writer-protocol.ts';
import { fromThreadError } from './writer-errors.ts';

/**
 * Bytes of a report's body handed to the writer thread and not yet taken by its parser, at most:
 * beyond, the engine stops reading the body (it waits in the socket), so memory stays bounded when
 * parsing is the slower side. A few of the TLS layer's 16 KB records.
 */
export const MAX_UNREAD_BYTES = 2 * 1024 * 1024;

type Done = Extract<WriterReply, { kind: 'report-done' }>;

/**
 * The engine's side of one report parsed and stored on the writer thread
 * (WorkerSessionWriter.pullReport): room to send more of the body, the running totals, and the
 * answer.
 */
export class ReportInFlight {
  /** Bytes sent and not yet taken by the parser. */
  unread = 0;
  /** Whether the thread answered (or died): nothing more to send. */
  answered = false;
  private applied: ReportTotals = { sessionsSeen: 0, eventsAdded: 0 };
  private wake: (() => void) | null = null;
  private settle!: { resolve: (done: Done) => void; reject: (error: Error) => void };
  /** The thread's answer; rejected when the thread died. */
  readonly done = new Promise<Done>((resolve, reject) => (this.settle = { resolve, reject }));
  /** Resolves (never rejects) once answered: to stop waiting for the body. */
  readonly ended = new Promise<typeof ENDED>((resolve) => {
    this.done.then(
      () => resolve(ENDED),
      () => resolve(ENDED),
    );
  });

  constructor(
    private readonly totals: StoringTotals,
    private readonly onProgress: () => void,
  ) {}

  /** Waits while more than MAX_UNREAD_BYTES are unread; false once answered. */
  async room(): Promise<boolean> {
    while (!this.answered && this.unread > MAX_UNREAD_BYTES) await new Promise<void>((resolve) => (this.wake = resolve));
    return !this.answered;
  }

  onReply(reply: Extract<WriterReply, { id: number }>) {
    if (reply.kind === 'report-read') {
      this.unread -= reply.bytes;
      if (this.unread <= MAX_UNREAD_BYTES) this.wakeUp();
    } else if (reply.kind === 'report-progress') {
      this.apply(reply);
      this.onProgress();
    } else if (reply.kind === 'report-done') {
      this.apply(reply);
      this.answered = true;
      this.wakeUp();
      this.settle.resolve(reply);
    }
  }

  /** The thread died: the report failed with it. */
  fail(error: Error) {
    this.answered = true;
    this.wakeUp();
    this.settle.reject(error);
  }

  /**
   * What the answer says: what was stored, or the failure to throw (the thread's own, or else the
   * body's, which the thread only saw as "the body failed").
   */
  static result(done: Done, bodyError: unknown): StoredReport {
    if (done.ok) return { sessions: done.sessions, events: done.events, seen: new Set(done.seen), ended: new Set(done.ended) };
    if (done.error !== null) throw fromThreadError(done.error);
    throw bodyError ?? new Error('the report failed on the store writer thread');
  }

  /** The thread's totals are cumulative for the report: the run's totals get what is new. */
  private apply(t: ReportTotals) {
    this.totals.sessionsSeen += t.sessionsSeen - this.applied.sessionsSeen;
    this.totals.eventsAdded += t.eventsAdded - this.applied.eventsAdded;
    this.applied = { sessionsSeen: t.sessionsSeen, eventsAdded: t.eventsAdded };
  }

  private wakeUp() {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}

/** What {@link ReportInFlight.ended} resolves with. */
export const ENDED = Symbol('report answered');
