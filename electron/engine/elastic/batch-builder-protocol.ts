import type { DocumentContext } from './document.ts';
import type { BatchLimits, ReadResult } from './outbox-batches.ts';

/** What the batch builder thread is asked (see WorkerBatchSource). */
export type BuilderRequest =
  | { kind: 'read'; id: number; cursor: number; limits: BatchLimits; index: string; context: Omit<DocumentContext, 'siteHost' | 'syntheticLsid'> }
  /** A body's buffer given back (transferred) to be written again. */
  | { kind: 'recycle'; buffer: Uint8Array }
  | { kind: 'close' };

export type BuilderReply = { kind: 'ready' } | { kind: 'read'; id: number; result: ReadResult | null } | { kind: 'read'; id: number; error: string };
