// Request dispatch: the HTTP layer (size limit, authentication, media types) then the endpoint.
//
// Endpoints (Elasticsearch REST API reference):
//   GET|HEAD /                                   root / cluster info (needs cluster:monitor/main → monitor)
//   GET /_security/_authenticate                 authenticate API
//   GET|POST /_security/user/_has_privileges     has privileges API
//   GET|HEAD /_index_template[/<name>]           get index template (cluster privilege monitor or manage_index_templates)
//   GET /_ingest/pipeline[/<id>]                 get pipeline (read_pipeline, manage_pipeline, ...); unknown id → 404 {}
//   GET /_data_stream[/<name>]                   get data stream
//   POST|PUT /_bulk, /<target>/_bulk             bulk API
//   GET|POST /_refresh, /<target>/_refresh       refresh (documents are always visible here)
// Unrouted paths answer as Elasticsearch does: GET /<name> is the get-index API (404
// index_not_found_exception), a known path with the wrong method is 405 "Incorrect HTTP method for uri
// [...] and method [...], allowed: [...]", anything else 400 "no handler found for uri [...] and method [...]".

import type { IncomingMessage, ServerResponse } from 'node:http';

import { authenticateResponse, type CredentialStore, type Identity } from './auth.ts';
import { executeBulk } from './bulk.ts';
import { errorBody, esError, exception, indexNotFound, type EsErrorBody } from './errors.ts';
import { statusFailure, type FaultQueue } from './faults.ts';
import { checkMediaTypes, readBody, sendEmpty, sendJson, type ResponseContext } from './http.ts';
import { isJsonObject, parseJson, type JsonObject, type JsonValue } from './json.ts';
import { parseBulk } from './ndjson.ts';
import { BULK_PARAMS, boolParam, checkRefresh, unrecognized } from './params.ts';
import { clusterAllows, hasPrivileges, unauthorizedCluster, UnknownPrivilegeError, type HasPrivilegesRequest } from './privileges.ts';
import { globMatch } from './privileges.ts';
import type { ClusterStore } from './store.ts';

export interface BulkRequestLog {
  at: Date;
  method: string;
  path: string;
  /** Raw body size in bytes (as received, before any decompression). */
  bytes: number;
  /** HTTP status of the answer (0 when the connection was dropped without one). */
  status: number;
  /** Number of operations parsed (0 when the body was rejected). */
  items: number;
  /** Item statuses, in order. */
  itemStatuses: number[];
  errors: boolean;
  /** Faults that shaped this request. */
  faults: string[];
  /** API key id or username that sent it. */
  principal: string | null;
}

export interface RequestLog {
  at: Date;
  method: string;
  path: string;
  status: number;
  principal: string | null;
}

export interface SimState {
  store: ClusterStore;
  creds: CredentialStore;
  faults: FaultQueue;
  now: () => Date;
  version: string;
  clusterName: string;
  nodeName: string;
  maxContentLength: number;
  strictBulk: boolean;
  bulkRequests: BulkRequestLog[];
  requests: RequestLog[];
  /** Delay of every `_bulk` answer (ms): a network round trip to a real cluster. */
  bulkLatencyMs: number;
}

/** Lucene version and compatibility floors per Elasticsearch minor (root API `version` object). */
function versionInfo(version: string): JsonObject {
  const [maj = 8, min = 0] = version.split('.').map(Number);
  const lucene: Record<string, string> = {
    '8.11': '9.8.0',
    '8.12': '9.9.2',
    '8.13': '9.10.0',
    '8.14': '9.10.0',
    '8.15': '9.11.1',
    '8.16': '9.12.0',
    '8.17': '9.12.0',
    '8.18': '9.12.1',
    '8.19': '9.12.2',
    '9.0': '10.1.0',
    '9.1': '10.2.2',
  };
  return {
    number: version,
    build_flavor: 'default',
    build_type: 'docker',
    build_hash: '0000000000000000000000000000000000000000',
    build_date: '2024-12-11T12:08:05.663969764Z',
    build_snapshot: false,
    lucene_version: lucene[`${maj}.${min}`] ?? (maj >= 9 ? '10.1.0' : '9.12.0'),
    minimum_wire_compatibility_version: maj >= 9 ? '8.18.0' : '7.17.0',
    minimum_index_compatibility_version: maj >= 9 ? '8.0.0' : '7.0.0',
  };
}

interface Call {
  req: IncomingMessage;
  res: ServerResponse;
  method: string;
  path: string;
  segments: string[];
  params: URLSearchParams;
  body: Buffer;
  identity: Identity;
  ctx: ResponseContext;
  state: SimState;
}

type Endpoint = (c: Call, vars: Record<string, string>) => Promise<number> | number;

interface Route {
  pattern: string[];
  params: string[];
  methods: Record<string, Endpoint>;
}

function send(c: Call, status: number, body: JsonValue | EsErrorBody, headers: Record<string, string | string[]> = {}): number {
  sendJson(c.res, status, body as unknown as JsonValue, c.ctx, headers);
  return status;
}

function forbidden(c: Call, action: string): number | null {
  if (clusterAllows(c.identity.privileges, action)) return null;
  return send(c, 403, errorBody(403, unauthorizedCluster(c.identity, action)));
}

const root: Endpoint = (c) => {
  const denied = forbidden(c, 'cluster:monitor/main');
  if (denied !== null) return denied;
  return send(c, 200, {
    name: c.state.nodeName,
    cluster_name: c.state.clusterName,
    cluster_uuid: c.state.store.clusterUuid,
    version: versionInfo(c.state.version),
    tagline: 'You Know, for Search',
  });
};

const authenticate: Endpoint = (c) => send(c, 200, authenticateResponse(c.identity) as JsonObject);

const hasPrivilegesEndpoint: Endpoint = (c) => {
  if (c.body.length === 0) return send(c, 400, esError(400, 'parse_exception', 'request body or source parameter is required'));
  const parsed = parseJson(c.body.toString('utf8'));
  if (!parsed.ok) return send(c, 400, esError(400, 'x_content_parse_exception', `[${parsed.error.line}:${parsed.error.column}] ${parsed.error.message}`));
  const v = parsed.value;
  if (!isJsonObject(v)) return send(c, 400, esError(400, 'parse_exception', 'failed to parse privileges check. expected an object'));
  for (const k of Object.keys(v)) {
    if (!['cluster', 'index', 'application'].includes(k)) {
      return send(c, 400, esError(400, 'parse_exception', `failed to parse privileges check [${c.identity.username}]. unexpected field [${k}]`));
    }
  }
  const reqBody = v as unknown as HasPrivilegesRequest;
  const clusterOk = reqBody.cluster === undefined || (Array.isArray(reqBody.cluster) && reqBody.cluster.every((p) => typeof p === 'string'));
  const indexOk =
    reqBody.index === undefined ||
    (Array.isArray(reqBody.index) &&
      reqBody.index.every((e) => isJsonObject(e as unknown as JsonValue) && Array.isArray(e.privileges) && (Array.isArray(e.names) || typeof e.names === 'string')));
  if (!clusterOk || !indexOk) return send(c, 400, esError(400, 'parse_exception', `failed to parse privileges check [${c.identity.username}]. malformed [cluster] or [index] field`));
  const problems: string[] = [];
  const count = (reqBody.cluster?.length ?? 0) + (reqBody.index?.length ?? 0) + (Array.isArray(reqBody.application) ? reqBody.application.length : 0);
  if (count === 0) problems.push('must specify at least one privilege');
  for (const e of reqBody.index ?? []) if (e.privileges.length === 0) problems.push('indices privileges must define at least one privilege');
  if (problems.length) {
    return send(c, 400, esError(400, 'action_request_validation_exception', 'Validation Failed: ' + problems.map((p, i) => `${i + 1}: ${p};`).join('')));
  }
  try {
    return send(c, 200, hasPrivileges(c.identity.username, c.identity.privileges, reqBody) as unknown as JsonObject);
  } catch (e) {
    if (e instanceof UnknownPrivilegeError) return send(c, 400, errorBody(400, e.body));
    throw e;
  }
};

const getIndexTemplate: Endpoint = (c, vars) => {
  const denied = forbidden(c, 'indices:admin/index_template/get');
  if (denied !== null) return denied;
  const wanted = vars.name;
  const names = wanted ? wanted.split(',') : ['*'];
  const found = [...c.state.store.indexTemplates.entries()].filter(([n]) => names.some((w) => globMatch(w, n)));
  if (found.length === 0 && wanted && !wanted.includes('*')) {
    if (c.method === 'HEAD') {
      sendEmpty(c.res, 404);
      return 404;
    }
    return send(c, 404, esError(404, 'resource_not_found_exception', `index template matching [${wanted}] not found`));
  }
  if (c.method === 'HEAD') {
    sendEmpty(c.res, 200);
    return 200;
  }
  return send(c, 200, { index_templates: found.map(([name, body]) => ({ name, index_template: body as unknown as JsonObject })) });
};

const getPipeline: Endpoint = (c, vars) => {
  const denied = forbidden(c, 'cluster:admin/ingest/pipeline/get');
  if (denied !== null) return denied;
  const ids = vars.id ? vars.id.split(',') : ['*'];
  const out: JsonObject = {};
  for (const [id, body] of c.state.store.pipelines) if (ids.some((w) => globMatch(w, id))) out[id] = body as unknown as JsonObject;
  // the get pipeline API answers 404 with an empty object when the named pipelines do not exist
  return send(c, Object.keys(out).length === 0 && vars.id ? 404 : 200, out);
};

const getDataStream: Endpoint = (c, vars) => {
  const store = c.state.store;
  const names = vars.name ? vars.name.split(',') : ['*'];
  const found = [...store.dataStreams.values()].filter((d) => names.some((w) => globMatch(w, d.name)));
  if (found.length === 0 && vars.name && !vars.name.includes('*')) return send(c, 404, errorBody(404, indexNotFound(vars.name)));
  return send(c, 200, {
    data_streams: found.map((d) => ({
      name: d.name,
      timestamp_field: { name: '@timestamp' },
      indices: d.indices.map((i) => ({ index_name: i, index_uuid: store.indices.get(i)?.uuid ?? '_na_', prefer_ilm: true, managed_by: 'Unmanaged' })),
      generation: d.generation,
      status: 'YELLOW',
      template: d.template,
      hidden: false,
      system: false,
      allow_custom_routing: false,
      replicated: false,
      rollover_on_write: false,
    })),
  });
};

const refresh: Endpoint = (c) => send(c, 200, { _shards: { total: 2, successful: 1, failed: 0 } });

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const bulk: Endpoint = async (c, vars) => {
  const state = c.state;
  const log: BulkRequestLog = {
    at: state.now(),
    method: c.method,
    path: c.path,
    bytes: c.body.length,
    status: 0,
    items: 0,
    itemStatuses: [],
    errors: false,
    faults: [],
    principal: c.identity.apiKeyId ?? c.identity.username,
  };
  state.bulkRequests.push(log);
  const refreshProblem = checkRefresh(c.params);
  if (refreshProblem) return (log.status = send(c, 400, refreshProblem));
  const flags: Record<string, boolean> = {};
  for (const f of ['require_alias', 'require_data_stream']) {
    const b = boolParam(c.params, f);
    if (typeof b !== 'boolean') return (log.status = send(c, 400, b));
    flags[f] = b;
  }

  const slow = state.faults.take('slow');
  if (slow) log.faults.push(`slow:${slow.delayMs}`);
  const statusFault = state.faults.take('status');
  if (statusFault) {
    log.faults.push(`status:${statusFault.status}`);
    if (slow) await sleep(slow.delayMs);
    if (state.bulkLatencyMs > 0) await sleep(state.bulkLatencyMs);
    const f = statusFault;
    const answer = statusFailure(f);
    log.status = f.status;
    if (c.res.destroyed) return 0;
    if (!answer.elastic) c.res.removeHeader('X-Elastic-Product');
    if (typeof answer.body === 'string') {
      c.res.writeHead(f.status, { ...answer.headers, 'content-type': answer.contentType, 'content-length': String(Buffer.byteLength(answer.body)) });
      c.res.end(answer.body);
      return f.status;
    }
    return send(c, f.status, answer.body, answer.headers);
  }

  const parsed = parseBulk(
    c.body,
    {
      index: vars.index ?? null,
      pipeline: c.params.get('pipeline'),
      routing: c.params.get('routing'),
      requireAlias: flags.require_alias ?? false,
      requireDataStream: flags.require_data_stream ?? false,
    },
    state.strictBulk,
  );
  if (!parsed.ok) {
    if (slow) await sleep(slow.delayMs);
    return (log.status = send(c, parsed.status, parsed.body));
  }
  // Elasticsearch indexes even if the client goes away while it works: run before any delay.
  const outcome = executeBulk(parsed.ops, { store: state.store, identity: c.identity, faults: state.faults, now: state.now });
  log.faults.push(...outcome.faults);
  log.items = parsed.ops.length;
  log.itemStatuses = outcome.statuses;
  log.errors = outcome.body.errors;
  if (slow) await sleep(slow.delayMs);
  if (state.bulkLatencyMs > 0) await sleep(state.bulkLatencyMs);
  const headers: Record<string, string[]> = {};
  if (parsed.warnings.length) {
    headers.warning = parsed.warnings.map((w) => `299 Elasticsearch-${state.version}-0000000000000000000000000000000000000000 "${w}"`);
  }
  return (log.status = send(c, 200, outcome.body as unknown as JsonObject, headers));
};

const getIndex: Endpoint = (c, vars) => {
  const name = vars.index as string;
  const store = c.state.store;
  const hit = store.indices.get(name) ?? (store.dataStreams.has(name) ? store.indices.get(store.dataStreams.get(name)?.indices.at(-1) ?? '') : undefined);
  if (!hit) {
    if (c.method === 'HEAD') {
      sendEmpty(c.res, 404);
      return 404;
    }
    return send(c, 404, errorBody(404, indexNotFound(name)));
  }
  if (c.method === 'HEAD') {
    sendEmpty(c.res, 200);
    return 200;
  }
  return send(c, 200, { [hit.name]: { aliases: {}, mappings: {}, settings: { index: { uuid: hit.uuid, creation_date: String(hit.creationDate) } }, ...(hit.dataStream ? { data_stream: hit.dataStream } : {}) } });
};

const notSimulated: Endpoint = (c) =>
  send(c, 400, esError(400, 'illegal_argument_exception', `the Elasticsearch simulator does not implement [${c.method} ${c.path}]`));

const ROUTES: Route[] = [
  { pattern: [], params: [], methods: { GET: root, HEAD: root } },
  { pattern: ['_security', '_authenticate'], params: [], methods: { GET: authenticate } },
  { pattern: ['_security', 'user', '_has_privileges'], params: [], methods: { GET: hasPrivilegesEndpoint, POST: hasPrivilegesEndpoint } },
  { pattern: ['_index_template'], params: ['flat_settings', 'local', 'master_timeout', 'include_defaults'], methods: { GET: getIndexTemplate } },
  { pattern: ['_index_template', '{name}'], params: ['flat_settings', 'local', 'master_timeout', 'include_defaults'], methods: { GET: getIndexTemplate, HEAD: getIndexTemplate, PUT: notSimulated, POST: notSimulated, DELETE: notSimulated } },
  { pattern: ['_ingest', 'pipeline'], params: ['master_timeout', 'summary'], methods: { GET: getPipeline } },
  { pattern: ['_ingest', 'pipeline', '{id}'], params: ['master_timeout', 'summary'], methods: { GET: getPipeline, PUT: notSimulated, DELETE: notSimulated } },
  { pattern: ['_data_stream'], params: ['expand_wildcards', 'include_defaults', 'master_timeout', 'verbose'], methods: { GET: getDataStream } },
  { pattern: ['_data_stream', '{name}'], params: ['expand_wildcards', 'include_defaults', 'master_timeout', 'verbose'], methods: { GET: getDataStream, PUT: notSimulated, DELETE: notSimulated } },
  { pattern: ['_bulk'], params: BULK_PARAMS, methods: { POST: bulk, PUT: bulk } },
  { pattern: ['_refresh'], params: ['allow_no_indices', 'expand_wildcards', 'ignore_unavailable'], methods: { GET: refresh, POST: refresh } },
  { pattern: ['{index}', '_bulk'], params: BULK_PARAMS, methods: { POST: bulk, PUT: bulk } },
  { pattern: ['{index}', '_refresh'], params: ['allow_no_indices', 'expand_wildcards', 'ignore_unavailable'], methods: { GET: refresh, POST: refresh } },
  { pattern: ['{index}'], params: ['allow_no_indices', 'expand_wildcards', 'flat_settings', 'ignore_unavailable', 'include_defaults', 'local', 'master_timeout', 'features'], methods: { GET: getIndex, HEAD: getIndex, PUT: notSimulated, DELETE: notSimulated } },
];

function match(route: Route, segments: string[]): Record<string, string> | null {
  if (route.pattern.length !== segments.length) return null;
  const vars: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const p = route.pattern[i] as string;
    const s = segments[i] as string;
    if (p.startsWith('{')) {
      if (s.startsWith('_') && route.pattern.length > 1 && i === 0) return null; // `/_foo/_bulk` is not an index
      vars[p.slice(1, -1)] = s;
    } else if (p !== s) return null;
  }
  return vars;
}

/** The request handler of the simulator. */
export function handler(state: SimState): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void dispatch(state, req, res).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        const body = errorBody(500, exception('simulator_exception', err instanceof Error ? err.message : String(err)));
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      } else res.destroy();
    });
  };
}

async function dispatch(state: SimState, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const method = (req.method ?? 'GET').toUpperCase();
  const url = new URL(req.url ?? '/', 'http://simulator');
  const path = url.pathname;
  const params = url.searchParams;
  const pretty = params.has('pretty') && params.get('pretty') !== 'false';
  const ctx: ResponseContext = { req, filterPath: params.get('filter_path'), pretty };
  res.setHeader('X-Elastic-Product', 'Elasticsearch');
  const opaque = req.headers['x-opaque-id'];
  if (typeof opaque === 'string') res.setHeader('X-Opaque-Id', opaque);
  const log: RequestLog = { at: state.now(), method, path, status: 0, principal: null };
  state.requests.push(log);

  // http.max_content_length is enforced by the HTTP layer, before anything else
  const body = await readBody(req, state.maxContentLength);
  if (!body.ok) {
    if (body.tooLarge) {
      sendEmpty(res, 413);
      req.unpipe();
      req.resume(); // drain what the client still sends, keeping the connection usable
      log.status = 413;
      if (/\/_bulk$/.test(path)) {
        state.bulkRequests.push({ at: log.at, method, path, bytes: Number(req.headers['content-length'] ?? 0), status: 413, items: 0, itemStatuses: [], errors: false, faults: [], principal: null });
      }
    } else res.destroy();
    return;
  }

  const auth = state.creds.authenticate(req);
  if (!auth.ok) {
    sendJson(res, 401, auth.body as unknown as JsonValue, ctx, auth.headers);
    log.status = 401;
    return;
  }
  const identity = auth.identity;
  log.principal = identity.apiKeyId ?? identity.username;

  const media = checkMediaTypes(req, body.body.length > 0, Number(state.version.split('.')[0]));
  if (media) {
    sendJson(res, media.status, media.body, ctx);
    log.status = media.status;
    return;
  }

  const segments = path.split('/').filter(Boolean).map((s) => decodeURIComponent(s));
  const candidates = ROUTES.map((r) => ({ r, vars: match(r, segments) })).filter((x): x is { r: Route; vars: Record<string, string> } => x.vars !== null);
  const call: Call = { req, res, method, path, segments, params, body: body.body, identity, ctx, state };
  const hit = candidates.find((x) => x.r.methods[method]);
  if (!hit) {
    if (candidates.length) {
      const allowed = [...new Set(candidates.flatMap((x) => Object.keys(x.r.methods)))];
      log.status = send(call, 405, { error: `Incorrect HTTP method for uri [${req.url}] and method [${method}], allowed: [${allowed.join(', ')}]`, status: 405 }, { allow: allowed.join(',') });
    } else log.status = send(call, 400, { error: `no handler found for uri [${req.url}] and method [${method}]`, status: 400 });
    return;
  }
  const bad = unrecognized(path, params, hit.r.params);
  if (bad) {
    log.status = send(call, 400, bad);
    return;
  }
  log.status = await (hit.r.methods[method] as Endpoint)(call, hit.vars);
}
