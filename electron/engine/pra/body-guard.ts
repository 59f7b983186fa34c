import type { Readable } from 'node:stream';
import { PraError, SiteUnavailableError } from './errors.ts';

/**
 * How slowly a site may send a response body before the client gives up. The socket's idle
 * timeout only catches a body that stops; one that trickles (a byte every few seconds, from a
 * struggling appliance, a broken proxy or a hostile peer) would hold a run — and the site Test —
 * forever. Only the time spent *waiting for the site* counts: while the parser or the store
 * is busy, the stream is paused and the clock stops, so a slow disk never blames the site.
 */
export interface BodyLimits {
  /** At least this many bytes must arrive per `windowMs` of waiting… */
  minBytesPerWindow: number;
  windowMs: number;
  /** …and one body may take at most this long in all. */
  deadlineMs: number;
}

/**
 * 1 KiB a minute is far below anything a working appliance sends (a single session's header is
 * about that much); 30 minutes is far above the time one report window takes to download.
 */
export const DEFAULT_BODY_LIMITS: BodyLimits = { minBytesPerWindow: 1024, windowMs: 60_000, deadlineMs: 30 * 60_000 };

const TIMED_OUT = Symbol('timed out');

/**
 * The chunks of `stream`, failing with a SiteUnavailableError that names the limit when the site
 * sends too slowly (see BodyLimits), and with one naming the broken connection when the stream
 * fails. The stream is destroyed however the loop ends.
 */
export async function* guardedBody(stream: Readable, limits: BodyLimits, what: string, describeFailure: (error: unknown) => string): AsyncGenerator<Buffer> {
  const chunks = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let pending: Promise<IteratorResult<Buffer>> | null = null;
  let waited = 0;
  let windowWaited = 0;
  let windowBytes = 0;
  let timer: NodeJS.Timeout | undefined;
  try {
    for (;;) {
      const budget = Math.max(0, Math.min(limits.windowMs - windowWaited, limits.deadlineMs - waited));
      // A chunk still on its way after a window ended is the same chunk: never ask for another one meanwhile.
      pending ??= chunks.next();
      const started = Date.now();
      const next = await Promise.race([pending, new Promise<typeof TIMED_OUT>((resolve) => (timer = setTimeout(resolve, budget, TIMED_OUT)))]);
      clearTimeout(timer);
      const elapsed = Date.now() - started;
      waited += elapsed;
      windowWaited += elapsed;
      if (next !== TIMED_OUT) {
        pending = null;
        if (next.done) return;
        windowBytes += next.value.length;
      }
      if (waited >= limits.deadlineMs) {
        throw new SiteUnavailableError(
          `${what} took longer than ${duration(limits.deadlineMs)} to arrive (the most one response may take): the download was stopped.`,
        );
      }
      if (windowWaited >= limits.windowMs) {
        if (windowBytes < limits.minBytesPerWindow) {
          throw tooSlowError(what, windowBytes, windowWaited, limits);
        }
        windowWaited = 0;
        windowBytes = 0;
      }
      if (next !== TIMED_OUT) yield next.value;
    }
  } catch (error) {
    if (error instanceof PraError) throw error;
    throw new SiteUnavailableError(describeFailure(error), { cause: error });
  } finally {
    clearTimeout(timer);
    // A read still on its way when the loop gave up settles once the stream is destroyed: nobody waits for it.
    pending?.catch(() => undefined);
    stream.destroy();
  }
}

/** The error of a body that arrived below its minimum throughput (reports here; downloads in download-body.ts). */
export function tooSlowError(what: string, bytes: number, waitedMs: number, limits: Pick<BodyLimits, 'minBytesPerWindow' | 'windowMs'>): SiteUnavailableError {
  return new SiteUnavailableError(
    `${what} arrived too slowly (${bytes} bytes in ${duration(waitedMs)}; at least ${limits.minBytesPerWindow} bytes per ${duration(limits.windowMs)} are required): the download was stopped. The site or a proxy on the way is struggling.`,
  );
}

function duration(ms: number): string {
  if (ms >= 60_000 && ms % 60_000 === 0) return `${ms / 60_000} min`;
  const seconds = ms / 1000;
  return `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;
}
