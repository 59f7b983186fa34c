/** The body's own failure, as the parser on the writer thread sees it (the engine holds the real error). */
export class BodyFailedError extends Error {
  constructor() {
    super('the report body failed');
    this.name = 'BodyFailedError';
  }
}

/**
 * A report's body on the writer thread: the chunks the engine sends (report-chunk), read by the
 * parser as any body, each one acknowledged as it is taken (so the engine sends more), until the
 * engine says the body ended, or failed (then the parser's read throws).
 */
export class BodyChunks implements AsyncIterable<Uint8Array> {
  private readonly chunks: Uint8Array[] = [];
  private ended = false;
  private failed = false;
  private wake: (() => void) | null = null;

  constructor(private readonly onTaken: (bytes: number) => void) {}

  push(chunk: Uint8Array) {
    this.chunks.push(chunk);
    this.wakeUp();
  }

  end(failed: boolean) {
    this.ended = true;
    this.failed = failed;
    this.wakeUp();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      const chunk = this.chunks.shift();
      if (chunk !== undefined) {
        this.onTaken(chunk.length);
        yield chunk;
      } else if (this.ended) {
        if (this.failed) throw new BodyFailedError();
        return;
      } else {
        await new Promise<void>((resolve) => (this.wake = resolve));
      }
    }
  }

  private wakeUp() {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
