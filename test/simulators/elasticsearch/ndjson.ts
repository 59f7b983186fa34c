// The `_bulk` request body parser, strict as Elasticsearch's BulkRequestParser is.
//
// Documented behaviour relied on (bulk API: "The bulk API's request body ... newline delimited JSON
// (NDJSON)": action_and_meta_data\n optional_source\n ...; "The final line of data must end with a newline
// character \n. Each newline character may be preceded by a carriage return \r."; actions are `index`,
// `create` (followed by a source line), `update` (followed by a partial document / script line) and
// `delete` (no source line)), and the parser's own error texts:
// - empty body: 400 parse_exception "request body is required";
// - last line without \n: 400 illegal_argument_exception "The bulk request must be terminated by a newline [\n]";
// - an action line that is not JSON: 400 x_content_parse_exception "[l:c] <parser message>";
// - "Malformed action/metadata line [N], expected START_OBJECT but found [VALUE_STRING]",
//   "... expected FIELD_NAME but found [END_OBJECT]",
//   "... expected field [create], [delete], [index] or [update] but found [foo]",
//   "... expected START_OBJECT or END_OBJECT but found [VALUE_NULL]",
//   "... expected a simple value for field [x] but found [START_ARRAY]",
//   "Action/metadata line [N] contains an unknown parameter [x]" (including `_type` since 8.0),
//   "Malformed action/metadata line [N], expected END_OBJECT but found [FIELD_NAME]" (a second key in the
//   action object: rejected by 9.x; 8.x still accepts it with a deprecation warning — see `strict`),
//   "Malformed action/metadata line [N], unexpected data after the closing brace";
// - blank action lines are skipped; an index/create/update action with no line after it (body ends right
//   after the action's \n) is dropped, as the real parser breaks out of its loop there;
// - no operations at all, or operations without an index: 400 action_request_validation_exception
//   "Validation Failed: 1: no requests added;" / "Validation Failed: 1: index is missing;2: ...".
// Lines are numbered from 1 over the whole body, source lines included.

import { errorBody, esError, exception, type EsErrorBody } from './errors.ts';
import { isJsonObject, parseJson, tokenName, type JsonObject, type JsonValue } from './json.ts';

export type BulkAction = 'create' | 'index' | 'update' | 'delete';

export interface BulkOp {
  /** Line number of the action line. */
  line: number;
  action: BulkAction;
  /** Effective op type of an index request (`index` with op_type create is a create). */
  opType: BulkAction;
  index: string | null;
  id: string | null;
  routing: string | null;
  pipeline: string | null;
  requireAlias: boolean;
  requireDataStream: boolean;
  ifSeqNo: number | null;
  ifPrimaryTerm: number | null;
  version: number | null;
  /** Raw source line (carriage return trimmed) for index/create; null for delete. */
  source: string | null;
  /** Parsed update body for update. */
  update: JsonObject | null;
}

export interface BulkDefaults {
  index: string | null;
  pipeline: string | null;
  routing: string | null;
  requireAlias: boolean;
  requireDataStream: boolean;
}

export type BulkParseResult = { ok: true; ops: BulkOp[]; warnings: string[] } | { ok: false; status: number; body: EsErrorBody };

const ACTIONS = new Set<string>(['create', 'index', 'update', 'delete']);

class BulkSyntaxError extends Error {
  constructor(readonly body: EsErrorBody) {
    super(String(body.error.reason));
  }
}

function iae(reason: string): BulkSyntaxError {
  return new BulkSyntaxError(esError(400, 'illegal_argument_exception', reason));
}

function xContent(line: number, column: number, message: string): BulkSyntaxError {
  return new BulkSyntaxError(esError(400, 'x_content_parse_exception', `[${line}:${column}] ${message}`));
}

function text(v: JsonValue): string {
  return typeof v === 'string' ? v : String(v);
}

function bool(v: JsonValue, field: string, line: number): boolean {
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  throw iae(`Failed to parse value [${text(v)}] as only [true] or [false] are allowed. (field [${field}] on line [${line}])`);
}

function long(v: JsonValue, field: string): number {
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isInteger(n)) throw iae(`failed to parse field [${field}] as a long: [${text(v)}]`);
  return n;
}

const UPDATE_FIELDS = new Set(['doc', 'upsert', 'doc_as_upsert', 'script', 'scripted_upsert', 'detect_noop', '_source']);

/**
 * Parses a bulk body. `strict` rejects action objects with more than one key or trailing data (9.x
 * behaviour); when false they are accepted with a deprecation warning, as 8.x does.
 */
export function parseBulk(raw: Buffer, defaults: BulkDefaults, strict: boolean): BulkParseResult {
  if (raw.length === 0) return { ok: false, status: 400, body: esError(400, 'parse_exception', 'request body is required') };
  const data = raw.toString('utf8');
  const ops: BulkOp[] = [];
  const warnings: string[] = [];
  let from = 0;
  let line = 0;
  const nextMarker = (): number => {
    const at = data.indexOf('\n', from);
    if (at < 0 && from !== data.length) throw iae('The bulk request must be terminated by a newline [\\n]');
    return at;
  };
  try {
    for (;;) {
      let marker = nextMarker();
      if (marker < 0) break;
      line++;
      const actionText = data.slice(from, marker);
      from = marker + 1;
      if (actionText.trim() === '') continue;

      const parsed = parseJson(actionText);
      if (!parsed.ok) throw xContent(parsed.error.line, parsed.error.column, parsed.error.message);
      const value = parsed.value;
      if (!isJsonObject(value)) throw iae(`Malformed action/metadata line [${line}], expected START_OBJECT but found [${tokenName(value)}]`);
      const keys = Object.keys(value);
      const action = keys[0];
      if (action === undefined) throw iae(`Malformed action/metadata line [${line}], expected FIELD_NAME but found [END_OBJECT]`);
      if (!ACTIONS.has(action)) {
        throw iae(`Malformed action/metadata line [${line}], expected field [create], [delete], [index] or [update] but found [${action}]`);
      }
      const meta = value[action] as JsonValue;
      const op: BulkOp = {
        line,
        action: action as BulkAction,
        opType: action as BulkAction,
        index: defaults.index,
        id: null,
        routing: defaults.routing,
        pipeline: defaults.pipeline,
        requireAlias: defaults.requireAlias,
        requireDataStream: defaults.requireDataStream,
        ifSeqNo: null,
        ifPrimaryTerm: null,
        version: null,
        source: null,
        update: null,
      };
      let opType: string | null = null;
      if (isJsonObject(meta)) {
        for (const [field, v] of Object.entries(meta)) {
          if (v === null) continue;
          if (Array.isArray(v)) {
            throw iae(`Malformed action/metadata line [${line}], expected a simple value for field [${field}] but found [START_ARRAY]`);
          }
          if (isJsonObject(v)) {
            if (field === '_source' || field === 'dynamic_templates') continue;
            throw iae(`Malformed action/metadata line [${line}], expected a simple value for field [${field}] but found [START_OBJECT]`);
          }
          switch (field) {
            case '_index':
              op.index = text(v);
              break;
            case '_id':
              op.id = text(v);
              break;
            case 'routing':
              op.routing = text(v);
              break;
            case 'op_type':
              opType = text(v);
              break;
            case 'pipeline':
              op.pipeline = text(v);
              break;
            case 'require_alias':
              op.requireAlias = bool(v, field, line);
              break;
            case 'require_data_stream':
              op.requireDataStream = bool(v, field, line);
              break;
            case 'list_executed_pipelines':
              bool(v, field, line);
              break;
            case 'if_seq_no':
              op.ifSeqNo = long(v, field);
              break;
            case 'if_primary_term':
              op.ifPrimaryTerm = long(v, field);
              break;
            case 'version':
              op.version = long(v, field);
              break;
            case 'version_type':
            case 'retry_on_conflict':
            case '_source':
              break;
            default:
              throw iae(`Action/metadata line [${line}] contains an unknown parameter [${field}]`);
          }
        }
      } else if (meta !== undefined) {
        throw iae(`Malformed action/metadata line [${line}], expected START_OBJECT or END_OBJECT but found [${tokenName(meta)}]`);
      }
      if (keys.length > 1) {
        if (strict) throw iae(`Malformed action/metadata line [${line}], expected END_OBJECT but found [FIELD_NAME]`);
        warnings.push('A bulk action object contained multiple keys. Additional keys are currently ignored but will be rejected in a future version.');
      }
      if (parsed.trailing !== null) {
        if (strict) throw iae(`Malformed action/metadata line [${line}], unexpected data after the closing brace`);
        warnings.push('A bulk action contained trailing data after the closing brace. This is currently ignored but will be rejected in a future version.');
      }
      if (op.action === 'index' && opType !== null) op.opType = opType === 'create' ? 'create' : 'index';

      if (op.action === 'delete') {
        ops.push(op);
        continue;
      }
      marker = nextMarker();
      if (marker < 0) break; // action at the very end with no line after it: dropped
      line++;
      let sourceText = data.slice(from, marker);
      if (sourceText.endsWith('\r')) sourceText = sourceText.slice(0, -1);
      from = marker + 1;
      if (op.action === 'update') {
        const u = parseJson(sourceText);
        if (!u.ok) throw xContent(u.error.line, u.error.column, u.error.message);
        if (!isJsonObject(u.value)) throw xContent(1, 1, `[UpdateRequest] Expected START_OBJECT but was: ${tokenName(u.value)}`);
        for (const k of Object.keys(u.value)) if (!UPDATE_FIELDS.has(k)) throw xContent(1, 2, `[UpdateRequest] unknown field [${k}]`);
        op.update = u.value;
      } else op.source = sourceText;
      ops.push(op);
    }
  } catch (e) {
    if (e instanceof BulkSyntaxError) return { ok: false, status: 400, body: e.body };
    throw e;
  }

  // BulkRequest.validate()
  const problems: string[] = [];
  if (ops.length === 0) problems.push('no requests added');
  for (const op of ops) {
    if (op.index === null) problems.push('index is missing');
    if ((op.action === 'delete' || op.action === 'update') && op.id === null) problems.push('id is missing');
    if (op.action === 'update' && op.update && op.update.doc === undefined && op.update.script === undefined) problems.push('script or doc is missing');
    if (op.id !== null && Buffer.byteLength(op.id) > 512) {
      problems.push(`id [${op.id}] is too long, must be no longer than 512 bytes but was: ${Buffer.byteLength(op.id)}`);
    }
    if (op.pipeline === '') problems.push('pipeline cannot be an empty string');
  }
  if (problems.length) {
    const reason = 'Validation Failed: ' + problems.map((p, i) => `${i + 1}: ${p};`).join('');
    return { ok: false, status: 400, body: errorBody(400, exception('action_request_validation_exception', reason)) };
  }
  return { ok: true, ops, warnings };
}
