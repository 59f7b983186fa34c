// Executing parsed `_bulk` operations: one result per operation, each applied atomically or not at all.
//
// Documented behaviour relied on (bulk API "Response body", "Use a data stream", index API, security
// privileges; exact texts from Elasticsearch's responses):
// - Answer: `{ took, errors, items: [ { <op>: { _index, _id, _version, result, _shards, _seq_no,
//   _primary_term, status } } ] }`, plus `ingest_took` when ingest pipelines ran. `<op>` is the op type:
//   an `index` action with `op_type: create` reports as `create`. A failed item is `{ _index, _id, status,
//   error: { type, reason, ... } }` and sets `errors: true`. A delete of a missing document is
//   `result: "not_found"`, status 404, and not an error.
// - `create` of an existing id: 409 version_conflict_engine_exception
//   "[<id>]: version conflict, document already exists (current version [<v>])" with index_uuid, shard, index.
// - Data streams accept only `create` ("To add multiple documents ... use the bulk API. Only create actions
//   are supported."); anything else: 400 illegal_argument_exception
//   "only write ops with an op_type of create are allowed in data streams".
// - Documents of a data stream need `@timestamp` (a `date` or `date_nanos` field): else 400
//   document_parsing_exception "[l:c] failed to parse: data stream timestamp field [@timestamp] is missing",
//   caused by illegal_argument_exception; an unparsable value fails the `date` mapping
//   (strict_date_optional_time||epoch_millis).
// - `index.default_pipeline` (or the request/item `pipeline`, `_none` to skip) and `index.final_pipeline` run
//   before the document is parsed; a missing pipeline fails the item: 400 illegal_argument_exception
//   "pipeline with id [<id>] does not exist".
// - Auto-creating a data stream/index needs the `auto_configure` (or create_index/manage/all) index
//   privilege, writing needs create_doc/create/index/write/all; a denied item is 403 security_exception.
// - require_data_stream: 404 "[require_data_stream] request flag is [true] and [<name>] is not a data
//   stream", or index_not_found_exception "no such index [<name>] and the index creation request requires a
//   data stream".
// - Index names must be lowercase and must not start with `_`, `-` or `+` (invalid_index_name_exception).

import type { Identity } from './auth.ts';
import { documentParsing, exception, indexNotFound, type EsException } from './errors.ts';
import { itemRejection, type BulkItemView, type FaultQueue } from './faults.ts';
import { isJsonObject, parseJson, type JsonObject, type JsonValue } from './json.ts';
import type { BulkOp } from './ndjson.ts';
import { runPipeline } from './pipeline.ts';
import { indexAllows, unauthorizedIndex } from './privileges.ts';
import { autoId, type ClusterStore, type IndexState } from './store.ts';

export interface BulkContext {
  store: ClusterStore;
  identity: Identity;
  faults: FaultQueue;
  now: () => Date;
}

export interface BulkOutcome {
  body: { took: number; errors: boolean; items: JsonObject[]; ingest_took?: number };
  statuses: number[];
  /** Faults that were armed for this request. */
  faults: string[];
}

const SHARDS = { total: 2, successful: 1, failed: 0 };

const WRITE_ACTION: Record<string, string> = {
  create: 'indices:data/write/index:op_type/create',
  index: 'indices:data/write/index:op_type/index',
  update: 'indices:data/write/update',
  delete: 'indices:data/write/delete',
};

function invalidIndexName(name: string): EsException | null {
  const bad = (why: string): EsException => exception('invalid_index_name_exception', `Invalid index name [${name}], ${why}`, { index_uuid: '_na_', index: name });
  if (name !== name.toLowerCase()) return bad('must be lowercase');
  if (/^[_\-+]/.test(name)) return bad("must not start with '_', '-', or '+'");
  if (/[\\/*?"<>| ,#:]/.test(name)) return bad('must not contain the following characters [ , ", *, \\, <, |, ,, >, /, ?]');
  if (name === '.' || name === '..') return bad("must not be '.' or '..'");
  if (Buffer.byteLength(name) > 255) return bad('index name is too long, (' + Buffer.byteLength(name) + ' > 255)');
  return null;
}

/** strict_date_optional_time || epoch_millis, the default format of a `date` field. */
function validDate(v: JsonValue): boolean {
  if (typeof v === 'number') return Number.isFinite(v);
  if (typeof v !== 'string') return false;
  if (/^-?\d+(\.\d+)?$/.test(v)) return true;
  const m = /^(\d{4})(-(\d{2})(-(\d{2})([Tt](\d{2})(:(\d{2})(:(\d{2})([.,]\d{1,9})?)?)?)?)?)?([Zz]|[+-]\d{2}(:?\d{2})?)?$/.exec(v);
  if (!m) return false;
  const month = m[3] ? Number(m[3]) : 1;
  const day = m[5] ? Number(m[5]) : 1;
  const hour = m[7] ? Number(m[7]) : 0;
  const minute = m[9] ? Number(m[9]) : 0;
  const second = m[11] ? Number(m[11]) : 0;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return false;
  const dim = new Date(Date.UTC(Number(m[1]), month, 0)).getUTCDate();
  return day >= 1 && day <= dim;
}

function preview(v: JsonValue): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

export function executeBulk(ops: BulkOp[], ctx: BulkContext): BulkOutcome {
  const started = Date.now();
  const { store, identity } = ctx;
  const rejectFault = ctx.faults.take('reject-items');
  const mappingFault = ctx.faults.take('item-400');
  let ingestMs = 0;
  let ingestRan = false;
  const items: JsonObject[] = [];
  const statuses: number[] = [];
  // A request's items nearly always share one target: its name check and privilege answers are
  // computed once per request (neither can change while the request runs).
  const nameChecks = new Map<string, EsException | null>();
  const checkName = (name: string): EsException | null => {
    if (!nameChecks.has(name)) nameChecks.set(name, invalidIndexName(name));
    return nameChecks.get(name)!;
  };
  const allowed = new Map<string, boolean>();
  const allows = (name: string, action: string): boolean => {
    const key = `${name}\0${action}`;
    let yes = allowed.get(key);
    if (yes === undefined) allowed.set(key, (yes = indexAllows(identity.privileges, name, action)));
    return yes;
  };

  ops.forEach((op, i) => {
    const position = i + 1;
    const key = op.action === 'index' ? op.opType : op.action;
    const name = op.index as string; // validated by the parser
    let resultIndex = name;
    let id: string | null = op.id;
    const fail = (status: number, error: EsException): void => {
      items.push({ [key]: { _index: resultIndex, _id: id, status, error } as unknown as JsonValue });
      statuses.push(status);
    };
    const ok = (status: number, body: JsonObject): void => {
      items.push({ [key]: { ...body, status } });
      statuses.push(status);
    };

    const nameProblem = checkName(name);
    if (nameProblem) return fail(400, nameProblem);

    let target = store.resolve(name);
    if (!target) {
      if (op.action === 'delete') return fail(404, indexNotFound(name));
      const becomesDataStream = store.wouldBeDataStream(name);
      if (op.requireDataStream && !becomesDataStream) {
        return fail(404, indexNotFound(name, `no such index [${name}] and the index creation request requires a data stream`));
      }
      if (!allows(name, 'indices:admin/auto_create')) {
        return fail(403, unauthorizedIndex(identity, 'indices:admin/auto_create', name));
      }
      target = store.autoCreate(name);
    } else if (op.requireDataStream && target.kind === 'index') {
      return fail(404, exception('resource_not_found_exception', `[require_data_stream] request flag is [true] and [${name}] is not a data stream`));
    }
    if (target.kind === 'data_stream' && key !== 'create') {
      return fail(400, exception('illegal_argument_exception', 'only write ops with an op_type of create are allowed in data streams'));
    }
    if (!allows(name, 'indices:data/write/bulk[s]')) {
      return fail(403, unauthorizedIndex(identity, 'indices:data/write/bulk[s]', name));
    }
    const writeAction = WRITE_ACTION[key] as string;
    if (!allows(name, writeAction)) return fail(403, unauthorizedIndex(identity, writeAction, name));

    const index: IndexState = target.kind === 'data_stream' ? target.write : target.index;
    resultIndex = index.name;
    if (id === null) id = autoId();
    const docId = id;

    const view = (source: JsonObject | null): BulkItemView => ({ action: op.action, target: name, id: docId, source, position });
    const selectedForRejection = (): boolean => {
      if (!rejectFault) return false;
      if (rejectFault.match) return rejectFault.match(view(op.source !== null ? ((p) => (p.ok && isJsonObject(p.value) ? p.value : null))(parseJson(op.source)) : null));
      const n = rejectFault.everyNth ?? 2;
      return position % n === 0;
    };
    if (selectedForRejection()) return fail(rejectFault?.status ?? 429, itemRejection(rejectFault?.status ?? 429, Buffer.byteLength(op.source ?? '')));

    const versionConflict = (reason: string): EsException =>
      exception('version_conflict_engine_exception', `[${docId}]: ${reason}`, { index_uuid: index.uuid, shard: '0', index: index.name });
    const existing = index.docs.get(docId);

    if (op.action === 'delete') {
      const seq = index.nextSeqNo++;
      if (!existing) return ok(404, { _index: index.name, _id: docId, _version: 1, result: 'not_found', _shards: SHARDS, _seq_no: seq, _primary_term: 1 });
      index.docs.delete(docId);
      return ok(200, { _index: index.name, _id: docId, _version: existing._version + 1, result: 'deleted', _shards: SHARDS, _seq_no: seq, _primary_term: 1 });
    }

    if (op.action === 'update') {
      const u = op.update as JsonObject;
      if (u.script !== undefined) return fail(400, exception('illegal_argument_exception', 'the simulator does not run update scripts'));
      const doc = isJsonObject(u.doc) ? u.doc : {};
      if (!existing) {
        const upsert = u.doc_as_upsert === true ? doc : isJsonObject(u.upsert) ? u.upsert : null;
        if (!upsert) return fail(404, exception('document_missing_exception', `[${docId}]: document missing`, { index_uuid: index.uuid, shard: '0', index: index.name }));
        const seq = index.nextSeqNo++;
        index.docs.set(docId, { _index: index.name, _id: docId, _version: 1, _seq_no: seq, _primary_term: 1, _source: structuredClone(upsert) });
        return ok(201, { _index: index.name, _id: docId, _version: 1, result: 'created', _shards: SHARDS, _seq_no: seq, _primary_term: 1 });
      }
      const merged = deepMerge(structuredClone(existing._source), doc);
      if (JSON.stringify(merged) === JSON.stringify(existing._source) && u.detect_noop !== false) {
        return ok(200, { _index: index.name, _id: docId, _version: existing._version, result: 'noop', _shards: { total: 0, successful: 0, failed: 0 }, _seq_no: existing._seq_no, _primary_term: 1 });
      }
      const seq = index.nextSeqNo++;
      index.docs.set(docId, { ...existing, _version: existing._version + 1, _seq_no: seq, _source: merged });
      return ok(200, { _index: index.name, _id: docId, _version: existing._version + 1, result: 'updated', _shards: SHARDS, _seq_no: seq, _primary_term: 1 });
    }

    // index / create
    const sourceText = op.source ?? '';
    let pipelineId = op.pipeline ?? index.defaultPipeline ?? null;
    if (pipelineId === '_none') pipelineId = null;
    const pipelines = [pipelineId, index.finalPipeline ?? null].filter((p): p is string => p !== null);
    let source: JsonObject;
    let sourceForPositions = sourceText;
    if (pipelines.length) {
      for (const p of pipelines) if (!store.pipelines.has(p)) return fail(400, exception('illegal_argument_exception', `pipeline with id [${p}] does not exist`));
      const parsed = parseJson(sourceText);
      if (!parsed.ok || !isJsonObject(parsed.value)) {
        const cause = parsed.ok
          ? exception('illegal_argument_exception', 'Malformed content, must start with an object')
          : exception('x_content_parse_exception', `[${parsed.error.line}:${parsed.error.column}] ${parsed.error.message}`);
        return fail(400, exception('parse_exception', 'Failed to parse content to map', {}, cause));
      }
      source = parsed.value;
      const t0 = Date.now();
      for (const p of pipelines) runPipeline(p, source, ctx.now());
      ingestMs += Date.now() - t0;
      ingestRan = true;
      sourceForPositions = JSON.stringify(source);
    } else {
      if (sourceText.trim() === '') return fail(400, documentParsing(1, 1, 'failed to parse, document is empty'));
      const parsed = parseJson(sourceText);
      if (!parsed.ok) {
        const { line, column, message } = parsed.error;
        return fail(400, documentParsing(line, column, 'failed to parse', exception('x_content_parse_exception', `[${line}:${column}] ${message}`)));
      }
      if (!isJsonObject(parsed.value)) return fail(400, documentParsing(1, 1, 'Malformed content, must start with an object'));
      if (parsed.trailing !== null) {
        return fail(400, documentParsing(1, parsed.end + 1, `Malformed content, found extra data after parsing: ${parsed.trailing.trim().startsWith('{') ? 'START_OBJECT' : 'VALUE_STRING'}`));
      }
      source = parsed.value;
    }
    const endColumn = Math.max(1, sourceForPositions.length);

    if (mappingFault && (mappingFault.match ? mappingFault.match(view(source)) : true)) {
      const type = mappingFault.type ?? 'document_parsing_exception';
      const reason = mappingFault.reason ?? `failed to parse field [message] of type [match_only_text] in document with id '${docId}'. Preview of field's value: '${preview(source.message ?? null)}'`;
      return fail(400, exception(type, /^\[\d+:\d+\] /.test(reason) ? reason : `[1:${endColumn}] ${reason}`));
    }

    if (target.kind === 'data_stream') {
      const ts = source['@timestamp'];
      if (ts === undefined || ts === null) {
        const why = 'data stream timestamp field [@timestamp] is missing';
        return fail(400, documentParsing(1, endColumn, `failed to parse: ${why}`, exception('illegal_argument_exception', why)));
      }
      if (Array.isArray(ts)) {
        const why = 'data stream timestamp field [@timestamp] encountered multiple values';
        return fail(400, documentParsing(1, endColumn, `failed to parse: ${why}`, exception('illegal_argument_exception', why)));
      }
      if (!validDate(ts)) {
        const col = Math.max(1, sourceForPositions.indexOf('"@timestamp"') + 14);
        return fail(
          400,
          documentParsing(
            1,
            col,
            `failed to parse field [@timestamp] of type [date] in document with id '${docId}'. Preview of field's value: '${preview(ts)}'`,
            exception(
              'illegal_argument_exception',
              `failed to parse date field [${preview(ts)}] with format [strict_date_optional_time||epoch_millis]`,
              {},
              exception('date_time_parse_exception', 'Failed to parse with all enclosed parsers'),
            ),
          ),
        );
      }
    }

    if (key === 'create' && existing) return fail(409, versionConflict(`version conflict, document already exists (current version [${existing._version}])`));
    if (op.ifSeqNo !== null || op.ifPrimaryTerm !== null) {
      const want = `required seqNo [${op.ifSeqNo ?? -2}], primary term [${op.ifPrimaryTerm ?? 0}]`;
      if (!existing) return fail(409, versionConflict(`version conflict, ${want}. but no document was found`));
      if (existing._seq_no !== op.ifSeqNo || op.ifPrimaryTerm !== 1) {
        return fail(409, versionConflict(`version conflict, ${want}. current document has seqNo [${existing._seq_no}] and primary term [1]`));
      }
    }
    const version = existing ? existing._version + 1 : 1;
    const seq = index.nextSeqNo++;
    const stored = { _index: index.name, _id: docId, _version: version, _seq_no: seq, _primary_term: 1, _source: source } as const;
    index.docs.set(docId, index.dataStream ? { ...stored, data_stream: index.dataStream } : { ...stored });
    return ok(existing ? 200 : 201, { _index: index.name, _id: docId, _version: version, result: existing ? 'updated' : 'created', _shards: SHARDS, _seq_no: seq, _primary_term: 1 });
  });

  // BulkResponse field order: took, ingest_took (when pipelines ran), errors, items
  const errors = items.some((it) => Object.values(it).some((v) => isJsonObject(v) && v.error !== undefined));
  const took = Date.now() - started;
  const body: BulkOutcome['body'] = ingestRan ? { took, ingest_took: ingestMs, errors, items } : { took, errors, items };
  const faults = [rejectFault ? 'reject-items' : null, mappingFault ? 'item-400' : null].filter((f): f is string => f !== null);
  return { body, statuses, faults };
}

function deepMerge(base: JsonObject, patch: JsonObject): JsonObject {
  for (const [k, v] of Object.entries(patch)) {
    const cur = base[k];
    base[k] = isJsonObject(v) && isJsonObject(cur) ? deepMerge(cur, v) : structuredClone(v);
  }
  return base;
}
