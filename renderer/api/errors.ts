/**
 * Whatever a transport throws becomes an ApiError, so screens handle one kind of error and can
 * show `body.issues` next to the fields they concern.
 */
import { ApiError, type ApiErrorBody } from '../../shared/contract.ts';
import { asUndeliveredWork } from '../../shared/undelivered.ts';

const CODES: ReadonlyArray<ApiErrorBody['code']> = ['invalid-input', 'not-found', 'conflict', 'failed'];

/** A plain object shaped like ApiErrorBody (as it arrives over HTTP, or cloned over IPC). */
export function asErrorBody(value: unknown): ApiErrorBody | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.message !== 'string') return null;
  const code = CODES.includes(v.code as ApiErrorBody['code']) ? (v.code as ApiErrorBody['code']) : 'failed';
  const body: ApiErrorBody = { message: v.message, code };
  if (Array.isArray(v.issues)) {
    body.issues = v.issues
      .filter((i): i is { field: unknown; message: string } => typeof i === 'object' && i !== null && typeof (i as { message?: unknown }).message === 'string')
      .map((i) => ({ field: typeof i.field === 'string' ? i.field : null, message: i.message }));
  }
  const undelivered = asUndeliveredWork(v.undelivered);
  if (undelivered) body.undelivered = undelivered;
  return body;
}

/** Electron's ipcRenderer.invoke wraps a main-process error as "Error invoking remote method 'x': Error: …". */
const REMOTE_PREFIX = /^Error invoking remote method '[^']*': (?:[A-Za-z]*Error: )?/;

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (typeof error === 'object' && error !== null) {
    const e = error as { body?: unknown; error?: unknown; message?: unknown };
    const body = asErrorBody(e.body) ?? asErrorBody(e.error);
    if (body) return new ApiError(body);
    if (typeof e.message === 'string') {
      const message = e.message.replace(REMOTE_PREFIX, '');
      // A preload may carry the body as JSON in the message (contextBridge keeps only the message of an Error).
      if (message.startsWith('{')) {
        try {
          const parsed = asErrorBody(JSON.parse(message));
          if (parsed) return new ApiError(parsed);
        } catch {
          // not JSON: use the text as it is
        }
      }
      return new ApiError({ code: 'failed', message });
    }
  }
  return new ApiError({ code: 'failed', message: typeof error === 'string' ? error : 'Something went wrong in the engine.' });
}

/** The message to show for any error. */
export function errorMessage(error: unknown): string {
  return toApiError(error).body.message;
}
