// Writes a response body in chunks, honouring backpressure (res.write() returning false → wait for
// 'drain'), so a multi-hundred-megabyte report never sits in the simulator's memory. It also carries
// out the body faults: stop sending after N bytes and keep the connection open ("stall"), or send N
// bytes and then destroy the socket ("truncate"), or send N bytes and then the rest a byte at a time
// with pauses in between ("trickle"). Without Content-Length the body is chunked, so a
// truncated body is detectable by the client only as a connection that died before the last chunk.
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';

export type BodyCut =
  | { mode: 'stall' | 'truncate'; afterBytes: number }
  | { mode: 'trickle'; afterBytes: number; intervalMs: number; bytesPerTick: number };

const FLUSH_AT = 64 * 1024;

export class BodySink {
  private parts: (string | Buffer)[] = [];
  private pending = 0;
  private sent = 0;
  private dead = false;
  /** Resolves when the response closed (one listener for every write that waits on it). */
  private readonly gone: Promise<void>;

  constructor(
    private readonly res: ServerResponse,
    private readonly cut: BodyCut | undefined,
    private readonly onBytes: (total: number) => void = () => {},
  ) {
    this.gone = closed(res);
    res.once('close', () => {
      this.dead = true;
    });
  }

  /** Bytes actually handed to the socket so far. */
  get bytesSent(): number {
    return this.sent;
  }

  /** False once the client went away or a fault cut the body: stop producing. */
  get alive(): boolean {
    return !this.dead;
  }

  /** Text, or bytes already encoded as UTF-8. */
  add(part: string | Buffer): void {
    this.parts.push(part);
    this.pending += part.length;
  }

  get shouldFlush(): boolean {
    return this.pending >= FLUSH_AT;
  }

  /** Sends what was added; resolves when the socket can take more. False when the body must stop. */
  async flush(): Promise<boolean> {
    if (this.dead) return false;
    if (this.parts.length === 0) return true;
    const chunks = encodeParts(this.parts);
    this.parts = [];
    this.pending = 0;
    if (this.cut?.mode === 'trickle') return this.trickle(Buffer.concat(chunks), this.cut);
    if (this.cut && this.sent + chunks.reduce((n, c) => n + c.length, 0) > this.cut.afterBytes) {
      await this.write([Buffer.concat(chunks).subarray(0, Math.max(0, this.cut.afterBytes - this.sent))]);
      this.applyCut();
      return false;
    }
    return this.write(chunks);
  }

  /**
   * Flushes and ends the response, unless a body fault says the body never completes. True when
   * the response ended normally.
   */
  async end(): Promise<boolean> {
    if (!(await this.flush())) return false;
    if (this.cut && this.cut.mode !== 'trickle') {
      // The fault always fires, even when the body was shorter than afterBytes: the final chunk never comes.
      this.applyCut();
      return false;
    }
    await new Promise<void>((resolve) => this.res.end(resolve));
    return true;
  }

  /** Up to `afterBytes` at once, the rest `bytesPerTick` per `intervalMs`, until done or the client left. */
  private async trickle(bytes: Buffer, cut: { afterBytes: number; intervalMs: number; bytesPerTick: number }): Promise<boolean> {
    const fast = Math.max(0, Math.min(bytes.length, cut.afterBytes - this.sent));
    if (fast > 0 && !(await this.write([bytes.subarray(0, fast)]))) return false;
    for (let at = fast; at < bytes.length; at += cut.bytesPerTick) {
      await sleep(cut.intervalMs);
      if (this.dead || !(await this.write([bytes.subarray(at, at + cut.bytesPerTick)]))) return false;
    }
    return !this.dead;
  }

  private applyCut(): void {
    this.dead = true;
    // stall: leave the socket open and silent; the server's close() destroys it later.
    if (this.cut?.mode === 'truncate') this.res.socket?.destroy();
  }

  private async write(parts: readonly Buffer[]): Promise<boolean> {
    const chunks = parts.filter((c) => c.length > 0);
    if (chunks.length === 0) return !this.dead;
    let flushed!: () => void;
    const written = new Promise<void>((resolve) => (flushed = resolve));
    let ok = true;
    chunks.forEach((chunk, i) => {
      ok = this.res.write(chunk, i === chunks.length - 1 ? () => flushed() : undefined);
      this.sent += chunk.length;
    });
    this.onBytes(this.sent);
    if (!ok) await waitForDrain(this.res);
    // With a cut pending, wait until the bytes really left so that destroy() cannot drop them.
    if (this.cut) await Promise.race([written, this.gone]);
    return !this.dead;
  }
}

/**
 * The parts as bytes: consecutive texts encoded together, bytes (a render cache's) as they are —
 * not copied into one buffer per flush, which made a new 64 KB+ buffer each time for the
 * simulator's GC to account for.
 */
export function encodeParts(parts: readonly (string | Buffer)[]): Buffer[] {
  const out: Buffer[] = [];
  let text: string[] = [];
  const endText = () => {
    if (text.length > 0) out.push(Buffer.from(text.join(''), 'utf8'));
    text = [];
  };
  for (const part of parts) {
    if (typeof part === 'string') text.push(part);
    else {
      endText();
      out.push(part);
    }
  }
  endText();
  return out;
}

function closed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    if (res.destroyed || res.writableEnded) resolve();
    else res.once('close', () => resolve());
  });
}

function waitForDrain(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
