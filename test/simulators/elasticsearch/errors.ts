// Elasticsearch's error bodies.
//
// A failed request answers (Elasticsearch reference, "Common options" > "Error responses" / every API
// page's error examples):
//   { "error": { "root_cause": [ { "type", "reason", ... } ], "type", "reason", ..., "caused_by"? }, "status": N }
// `root_cause` lists the innermost causes; the top-level `type`/`reason` is the outermost exception.
// A failed bulk item carries the same exception object without `root_cause` (bulk API, "Response body",
// items.<action>.error: "type", "reason", and e.g. "index_uuid", "shard", "index").
// A few HTTP-layer failures are not exceptions and answer the short form `{ "error": "<text>", "status": N }`
// (406 "Content-Type header [...] is not supported", 405 "Incorrect HTTP method ...", 400 "no handler found ...").

export interface EsException {
  type: string;
  reason: string | null;
  caused_by?: EsException;
  /** Extra metadata Elasticsearch prints beside type/reason (`index`, `index_uuid`, `shard`, `header`, ...). */
  [extra: string]: unknown;
}

export interface EsErrorBody {
  error: EsException & { root_cause: EsException[] };
  status: number;
}

export function exception(type: string, reason: string | null, extra: Record<string, unknown> = {}, causedBy?: EsException): EsException {
  const e: EsException = { type, reason, ...extra };
  if (causedBy) e.caused_by = causedBy;
  return e;
}

function withoutCause(e: EsException): EsException {
  const { caused_by: _ignored, ...rest } = e;
  return rest as EsException;
}

/** The full `{ error: {...}, status }` body for an exception. */
export function errorBody(status: number, e: EsException, rootCause: EsException = e): EsErrorBody {
  // Elasticsearch's root_cause is the deepest *Elasticsearch* exception of the chain; the causes it wraps
  // here (IllegalArgumentException, Jackson's parse errors, status_exception under media_type_header_exception)
  // are not, so for every error this simulator raises the root cause is the outermost exception itself.
  return { error: { root_cause: [withoutCause(rootCause)], ...e }, status };
}

export function esError(status: number, type: string, reason: string | null, extra: Record<string, unknown> = {}, causedBy?: EsException): EsErrorBody {
  return errorBody(status, exception(type, reason, extra, causedBy));
}

/** `index_not_found_exception` with the metadata Elasticsearch attaches to it. */
export function indexNotFound(name: string, reason = `no such index [${name}]`): EsException {
  return exception('index_not_found_exception', reason, {
    'resource.type': 'index_or_alias',
    'resource.id': name,
    index_uuid: '_na_',
    index: name,
  });
}

/** Bulk items and 4xx bodies that a document parser produces: `[line:col] failed to parse...`. */
export function documentParsing(line: number, column: number, reason: string, causedBy?: EsException, type = 'document_parsing_exception'): EsException {
  return exception(type, `[${line}:${column}] ${reason}`, {}, causedBy);
}
