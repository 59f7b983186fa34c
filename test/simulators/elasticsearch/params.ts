// Query parameters: Elasticsearch rejects any parameter an endpoint does not consume
// (400 illegal_argument_exception "request [/_bulk] contains unrecognized parameter: [foo]", or
// "... unrecognized parameters: [a], [b]"), and a few values are validated up front.
// Every endpoint also takes the common options `pretty`, `human`, `error_trace` and `filter_path`
// (reference, "Common options").

import { esError, type EsErrorBody } from './errors.ts';

export const COMMON_PARAMS = ['pretty', 'human', 'error_trace', 'filter_path'];

/** Parameters the `_bulk` endpoint accepts (bulk API, "Query parameters"). */
export const BULK_PARAMS = [
  'include_source_on_error',
  'list_executed_pipelines',
  'pipeline',
  'refresh',
  'routing',
  '_source',
  '_source_excludes',
  '_source_includes',
  'timeout',
  'wait_for_active_shards',
  'require_alias',
  'require_data_stream',
];

export function unrecognized(path: string, params: URLSearchParams, allowed: string[]): EsErrorBody | null {
  const ok = new Set([...COMMON_PARAMS, ...allowed]);
  const bad = [...new Set([...params.keys()].filter((k) => !ok.has(k)))];
  if (!bad.length) return null;
  const list = bad.map((b) => `[${b}]`).join(', ');
  return esError(400, 'illegal_argument_exception', `request [${path}] contains unrecognized parameter${bad.length > 1 ? 's' : ''}: ${list}`);
}

/** Boolean query values: "true", "false" or empty (= true). */
export function boolParam(params: URLSearchParams, name: string): boolean | EsErrorBody {
  const v = params.get(name);
  if (v === null) return false;
  if (v === '' || v === 'true') return true;
  if (v === 'false') return false;
  return esError(400, 'illegal_argument_exception', `Failed to parse value [${v}] as only [true] or [false] are allowed.`);
}

/** `refresh`: "", "true", "false" or "wait_for" (bulk API). */
export function checkRefresh(params: URLSearchParams): EsErrorBody | null {
  const v = params.get('refresh');
  if (v === null || v === '' || v === 'true' || v === 'false' || v === 'wait_for') return null;
  return esError(400, 'illegal_argument_exception', `Unknown value for refresh: [${v}].`);
}
