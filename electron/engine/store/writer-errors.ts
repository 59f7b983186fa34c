import { CredentialsRejectedError, MalformedReportError, PermissionDeniedError, PraError, ReportError, RequestRejectedError, SiteUnavailableError } from '../pra/errors.ts';

/** A write not applied because an earlier write of the same report failed (that failure is the one reported). */
export class WriteRefusedError extends Error {
  constructor() {
    super('not stored: an earlier write of the same report failed');
    this.name = 'WriteRefusedError';
  }
}

/** A store error that happened in the writer thread, rebuilt on this side with its SQLite code. */
export class StoreWriteError extends Error {
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message);
    this.name = 'StoreWriteError';
  }
}

/** An error of the writer thread as it crosses to the engine's (an Error's class does not survive postMessage). */
export interface ThreadError {
  name: string;
  message: string;
  /** A store error's SQLite or file system code (what describeStorageError words). */
  code?: string;
  /** ReportError's. */
  text?: string;
  permissionDenied?: boolean;
  /** RequestRejectedError's. */
  statusCode?: number;
}

export function toThreadError(error: unknown): ThreadError {
  const e = error instanceof Error ? error : new Error(String(error));
  const out: ThreadError = { name: e.name, message: e.message };
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string') out.code = code;
  if (e instanceof ReportError) Object.assign(out, { text: e.text, permissionDenied: e.permissionDenied });
  if (e instanceof RequestRejectedError) out.statusCode = e.statusCode;
  return out;
}

/**
 * The error again, of the class the callers test for: a report's failures (ReportError,
 * MalformedReportError… decide whether a window is split and asked again, or the site needs
 * attention), a refused write, or a store error with its code.
 */
export function fromThreadError(e: ThreadError): Error {
  switch (e.name) {
    case 'ReportError':
      return new ReportError(e.text ?? e.message, e.permissionDenied ?? false);
    case 'MalformedReportError':
      return new MalformedReportError(e.message);
    case 'SiteUnavailableError':
      return new SiteUnavailableError(e.message);
    case 'CredentialsRejectedError':
      return new CredentialsRejectedError(e.message);
    case 'PermissionDeniedError':
      return new PermissionDeniedError(e.message);
    case 'RequestRejectedError':
      return new RequestRejectedError(e.message, e.statusCode ?? 0);
    case 'PraError':
      return new PraError(e.message);
    case 'WriteRefusedError':
      return new WriteRefusedError();
    default:
      return new StoreWriteError(e.message, e.code);
  }
}
