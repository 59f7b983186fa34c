// What the integration's ingest pipeline and Fleet's final pipeline do to a document — a small, faithful
// subset of /work/shared/reference/elastic-integration/ingest_pipeline-default.yml (tags cited below), enough
// for tests to see the outcome that matters: `message` becomes `event.original`, its JSON is parsed,
// `@timestamp` comes from the event's `timestamp`, and a `message` that is not JSON does NOT reject the
// document — every processor has an on_failure that appends to `error.message`, and the document is then
// indexed with `event.kind: pipeline_error` (documented ingest behaviour: a handled failure is not an error).
//
// Fleet's `.fleet_final_pipeline-1` (index.final_pipeline of every integration data stream) adds
// `event.ingested` (seconds precision) and `event.agent_id_status` ("missing" when the event has no agent.id,
// "auth_metadata_missing" when the API key carries no agent metadata — always the case here).

import { FLEET_FINAL_PIPELINE, DATASET } from './assets.ts';
import { isJsonObject, parseJson, type JsonObject, type JsonValue } from './json.ts';

function getPath(doc: JsonObject, path: string): JsonValue | undefined {
  let cur: JsonValue | undefined = doc;
  for (const part of path.split('.')) {
    if (!isJsonObject(cur)) return undefined;
    cur = cur[part];
  }
  return cur;
}

function setPath(doc: JsonObject, path: string, value: JsonValue): void {
  const parts = path.split('.');
  let cur: JsonObject = doc;
  for (const part of parts.slice(0, -1)) {
    const next = cur[part];
    if (!isJsonObject(next)) cur[part] = {};
    cur = cur[part] as JsonObject;
  }
  cur[parts[parts.length - 1] as string] = value;
}

function removePath(doc: JsonObject, path: string): void {
  const parts = path.split('.');
  const parent = parts.length === 1 ? doc : getPath(doc, parts.slice(0, -1).join('.'));
  if (isJsonObject(parent)) delete parent[parts[parts.length - 1] as string];
}

function appendPath(doc: JsonObject, path: string, value: JsonValue): void {
  const cur = getPath(doc, path);
  if (cur === undefined || cur === null) setPath(doc, path, value);
  else if (Array.isArray(cur)) cur.push(value);
  else setPath(doc, path, [cur, value]);
}

function present(v: JsonValue | undefined): boolean {
  return v !== undefined && v !== null;
}

/** ISO 8601 as the `date` processor's ISO8601 format reads it; null when it cannot. */
export function parseIso8601(v: string): Date | null {
  if (!/^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?([Zz]|[+-]\d{2}(:?\d{2})?)?)?$/.test(v)) return null;
  const d = new Date(/[Zz]|[+-]\d{2}(:?\d{2})?$/.test(v) || v.length === 10 ? v : `${v}Z`);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** The `script_to_drop_null_values` processor: drop nulls, empty strings, empty objects and arrays, recursively. */
function dropEmpty(v: JsonValue): JsonValue | undefined {
  if (v === null || v === '') return undefined;
  if (Array.isArray(v)) {
    const out = v.map(dropEmpty).filter((x): x is JsonValue => x !== undefined);
    return out.length ? out : undefined;
  }
  if (isJsonObject(v)) {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) {
      const y = dropEmpty(x);
      if (y !== undefined) out[k] = y;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return v;
}

function integrationPipeline(doc: JsonObject, pipelineId: string): void {
  const fail = (type: string, tag: string, message: string): void =>
    appendPath(doc, 'error.message', `Processor ${type} with tag ${tag} in pipeline ${pipelineId} failed with message: ${message}`);

  setPath(doc, 'ecs.version', '8.17.0'); // set_ecs_version
  // data_collection_error: an error document from the collector with nothing to parse
  if (present(getPath(doc, 'error.message')) && !present(doc.message) && !present(getPath(doc, 'event.original'))) return;
  if (!present(getPath(doc, 'event.original'))) {
    // rename_message_to_event_original (ignore_missing)
    if (doc.message !== undefined) {
      setPath(doc, 'event.original', doc.message);
      delete doc.message;
    }
  } else delete doc.message; // remove_message

  // json_event_original
  const original = getPath(doc, 'event.original');
  let json: JsonValue | undefined;
  if (original === undefined || original === null) fail('json', 'json_event_original', 'field [event.original] not present as part of path [event.original]');
  else if (typeof original !== 'string') fail('json', 'json_event_original', `field [event.original] of type [${Array.isArray(original) ? 'java.util.ArrayList' : 'java.lang.Object'}] cannot be cast to [java.lang.String]`);
  else {
    const parsed = parseJson(original);
    if (!parsed.ok) fail('json', 'json_event_original', `[${parsed.error.line}:${parsed.error.column}] ${parsed.error.message}`);
    else json = parsed.value;
  }
  setPath(doc, 'event.kind', 'event'); // set_event_kind

  if (isJsonObject(json)) {
    if (json.body !== undefined) {
      setPath(doc, 'beyondtrust_pra.access_session.body', json.body); // rename_body
      if (typeof json.body === 'string' && json.body !== '') doc.message = json.body; // set_message_from_access_session_body
    }
    if (json.event_type !== undefined) {
      setPath(doc, 'beyondtrust_pra.access_session.event_type', json.event_type); // rename_event_type
      if (typeof json.event_type === 'string' && json.event_type !== '') {
        // set_event_action_from_access_session_event_type, lowercase_event_action, split_event_action, join_event_action
        setPath(doc, 'event.action', json.event_type.toLowerCase().split(/\s+/).join('-'));
      }
    }
    const ts = json.timestamp;
    if (ts !== undefined && ts !== null && ts !== '') {
      // date_timestamp (formats: ISO8601), then set_@timestamp_from_access_session_timestamp
      const d = typeof ts === 'string' ? parseIso8601(ts) : null;
      if (d) {
        setPath(doc, 'beyondtrust_pra.access_session.timestamp', d.toISOString());
        doc['@timestamp'] = d.toISOString();
      } else fail('date', 'date_timestamp', `unable to parse date [${String(ts)}]`);
    }
  }
  setPath(doc, 'observer.product', 'Privileged Remote Access');
  setPath(doc, 'observer.type', 'Proxy');
  setPath(doc, 'observer.vendor', 'BeyondTrust');

  // remove_custom_duplicate_fields (unless tagged preserve_duplicate_custom_fields)
  const tags = doc.tags;
  if (!(Array.isArray(tags) && tags.includes('preserve_duplicate_custom_fields'))) {
    removePath(doc, 'beyondtrust_pra.access_session.body');
    removePath(doc, 'beyondtrust_pra.access_session.timestamp');
  }
  if (present(getPath(doc, 'error.message'))) setPath(doc, 'event.kind', 'pipeline_error'); // set_pipeline_error_into_event_kind
  const cleaned = dropEmpty(doc); // script_to_drop_null_values
  for (const k of Object.keys(doc)) delete doc[k];
  if (isJsonObject(cleaned ?? null)) Object.assign(doc, cleaned);
}

function fleetFinalPipeline(doc: JsonObject, now: Date): void {
  setPath(doc, 'event.ingested', now.toISOString().replace(/\.\d{3}Z$/, 'Z'));
  setPath(doc, 'event.agent_id_status', present(getPath(doc, 'agent.id')) ? 'auth_metadata_missing' : 'missing');
  delete doc._security;
}

/** Is this pipeline one whose effect the simulator models? (Others pass documents through unchanged.) */
export function isModelledPipeline(id: string): boolean {
  return id === FLEET_FINAL_PIPELINE || id.startsWith(`logs-${DATASET}-`);
}

/** Runs the named pipeline on `doc` in place. */
export function runPipeline(id: string, doc: JsonObject, now: Date): void {
  if (id === FLEET_FINAL_PIPELINE) fleetFinalPipeline(doc, now);
  else if (id.startsWith(`logs-${DATASET}-`)) integrationPipeline(doc, id);
}
