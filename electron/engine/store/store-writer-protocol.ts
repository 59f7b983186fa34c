import type { SessionWrite } from './session-store.ts';

/** Messages to the store writer thread (store-writer-worker.ts), applied in order. */
export type WriterRequest =
  | { kind: 'write'; id: number; stream: number; site: { id: number; host: string }; writes: SessionWrite[] }
  | { kind: 'end-stream'; stream: number }
  | { kind: 'close' };

/** What it says: once, that its connection is open; then an answer to each write. */
export type WriterReply =
  | { kind: 'ready' }
  | { kind: 'answer'; id: number; ok: true; added: number }
  | { kind: 'answer'; id: number; ok: false; refused: boolean; message: string; code: string | undefined };
