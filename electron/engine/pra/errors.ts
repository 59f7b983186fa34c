/**
 * Typed failures of the PRA API client. Every message is written for the admin who reads it:
 * it says what went wrong and what to do, and never contains a secret.
 */
export class PraError extends Error {
  override name = 'PraError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The appliance answered with an `<error>` element (HTTP 200), at the root or inside the list. */
export class ReportError extends PraError {
  override name = 'ReportError';
  constructor(
    /** The `<error>` text as the appliance wrote it (trimmed). */
    readonly text: string,
    /** Looks like a missing reporting permission. */
    readonly permissionDenied = false,
  ) {
    super(`The site refused the report: ${text}`);
  }
}

/** The body is not a complete PRA XML report: HTML (proxy or login page), not XML, truncated, or the wrong root. */
export class MalformedReportError extends PraError {
  override name = 'MalformedReportError';
}

/** Client id / secret rejected (token endpoint 401, or a second 401 from the API after re-authenticating). */
export class CredentialsRejectedError extends PraError {
  override name = 'CredentialsRejectedError';
}

/** HTTP 403: the API account lacks a permission. */
export class PermissionDeniedError extends PraError {
  override name = 'PermissionDeniedError';
}

/** The request itself was refused (HTTP 400 and other 4xx that retrying cannot fix). */
export class RequestRejectedError extends PraError {
  override name = 'RequestRejectedError';
  constructor(
    message: string,
    readonly statusCode: number,
  ) {
    super(message);
  }
}

/** The site could not be reached or kept failing (network, TLS, timeouts, 5xx, 429) after bounded retries. */
export class SiteUnavailableError extends PraError {
  override name = 'SiteUnavailableError';
}
