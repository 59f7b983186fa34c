// Tests of the Elasticsearch simulator and its Kibana Fleet stub, over plain HTTP (fetch / node:https):
// they check that the simulator answers as Elasticsearch documents it, not how any client uses it.
import assert from 'node:assert/strict';
import { request as httpsRequest } from 'node:https';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';

import {
  startElasticsearchSimulator,
  startKibanaSimulator,
  type ElasticsearchSimulator,
  type KibanaSimulator,
  type Privileges,
} from './elasticsearch/index.ts';
import { makeTestPki } from '../support/certs.ts';

const STREAM = 'logs-beyondtrust_pra.access_session-default';
const b64 = (s: string): string => Buffer.from(s).toString('base64');
const apiKey = (id: string, key: string): string => `ApiKey ${b64(`${id}:${key}`)}`;
const basic = (u: string, p: string): string => `Basic ${b64(`${u}:${p}`)}`;

// the least a shipper needs: write new documents and let the data stream be created
const SHIPPER: Privileges = {
  cluster: ['monitor', 'read_pipeline'],
  indices: [{ names: ['logs-beyondtrust_pra.access_session-*'], privileges: ['create_doc', 'auto_configure'] }],
};
const ADMIN = apiKey('admin-id', 'admin-secret');
const SHIP = apiKey('ship-id', 'ship-secret');
const NDJSON = { 'content-type': 'application/x-ndjson' };

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

async function call(base: string, path: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Reply> {
  const res = await fetch(base + path, { method: init.method ?? 'GET', headers: init.headers, body: init.body });
  const text = await res.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    json = null;
  }
  return { status: res.status, headers: res.headers, text, json };
}

function ndjson(...lines: unknown[]): string {
  return lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
}

function event(id: string, extra: Record<string, unknown> = {}): [unknown, unknown] {
  const message = JSON.stringify({ event_type: 'Session Start', timestamp: '2024-04-04T13:30:00Z', body: `event ${id}` });
  return [{ create: { _index: STREAM, _id: id } }, { message, ...extra }];
}

describe('Elasticsearch simulator', () => {
  let es: ElasticsearchSimulator;
  let kibana: KibanaSimulator;
  let url: string;
  const bulk = (body: string | Buffer, headers: Record<string, string> = {}, path = '/_bulk'): Promise<Reply> =>
    call(url, path, { method: 'POST', headers: { authorization: ADMIN, ...NDJSON, ...headers }, body });

  before(async () => {
    es = await startElasticsearchSimulator({
      version: '8.17.0',
      apiKeys: [
        { id: 'admin-id', key: 'admin-secret', name: 'admin' },
        { id: 'ship-id', key: 'ship-secret', name: 'pra-shipper', privileges: SHIPPER },
        { id: 'nothing-id', key: 'nothing-secret', privileges: { cluster: [], indices: [] } },
      ],
      users: [{ username: 'elastic', password: 'changeme' }],
    });
    kibana = await startKibanaSimulator({ elasticsearch: es });
    url = es.url;
  });
  after(async () => {
    await kibana.close();
    await es.close();
  });

  describe('root and authentication', () => {
    it('answers GET / with cluster info and the product header', async () => {
      const r = await call(url, '/', { headers: { authorization: ADMIN } });
      assert.equal(r.status, 200);
      assert.equal(r.headers.get('x-elastic-product'), 'Elasticsearch');
      assert.equal(r.json.version.number, '8.17.0');
      assert.equal(r.json.version.build_flavor, 'default');
      assert.equal(r.json.version.lucene_version, '9.12.0');
      assert.equal(r.json.version.minimum_wire_compatibility_version, '7.17.0');
      assert.equal(r.json.tagline, 'You Know, for Search');
      assert.match(r.json.cluster_uuid, /^[0-9a-f-]{36}$/);
    });

    it('refuses a request without credentials with the documented 401', async () => {
      const r = await call(url, '/?pretty');
      assert.equal(r.status, 401);
      assert.equal(r.headers.get('x-elastic-product'), 'Elasticsearch');
      assert.equal(r.json.status, 401);
      assert.equal(r.json.error.type, 'security_exception');
      assert.equal(r.json.error.reason, 'missing authentication credentials for REST request [/?pretty]');
      assert.equal(r.json.error.root_cause[0].type, 'security_exception');
      assert.deepEqual(r.json.error.header['WWW-Authenticate'], ['Basic realm="security", charset="UTF-8"', 'Bearer realm="security"', 'ApiKey']);
      assert.match(r.headers.get('www-authenticate') ?? '', /ApiKey/);
    });

    it('refuses a wrong API key secret, an unknown key and a wrong password', async () => {
      const wrong = await call(url, '/', { headers: { authorization: apiKey('ship-id', 'nope') } });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.json.error.reason, 'unable to authenticate with provided credentials and anonymous access is not allowed for this request');
      assert.equal(wrong.json.error.additional_unsuccessful_credentials, 'API key: invalid credentials for API key [ship-id]');
      const unknown = await call(url, '/', { headers: { authorization: apiKey('ghost', 'x') } });
      assert.equal(unknown.json.error.additional_unsuccessful_credentials, 'API key: unable to find apikey with id ghost');
      const pw = await call(url, '/', { headers: { authorization: basic('elastic', 'bad') } });
      assert.equal(pw.status, 401);
      assert.equal(pw.json.error.reason, 'unable to authenticate user [elastic] for REST request [/]');
    });

    it('stops accepting an invalidated API key', async () => {
      es.addApiKey({ id: 'temp-id', key: 'temp', privileges: SHIPPER });
      assert.equal((await call(url, '/_security/_authenticate', { headers: { authorization: apiKey('temp-id', 'temp') } })).status, 200);
      es.invalidateApiKey('temp-id');
      const r = await call(url, '/_security/_authenticate', { headers: { authorization: apiKey('temp-id', 'temp') } });
      assert.equal(r.status, 401);
      assert.equal(r.json.error.additional_unsuccessful_credentials, 'API key: api key [temp-id] has been invalidated');
    });

    it('describes the caller through the authenticate API', async () => {
      const key = await call(url, '/_security/_authenticate', { headers: { authorization: SHIP } });
      assert.equal(key.status, 200);
      assert.equal(key.json.authentication_type, 'api_key');
      assert.deepEqual(key.json.api_key, { id: 'ship-id', name: 'pra-shipper' });
      assert.deepEqual(key.json.authentication_realm, { name: '_es_api_key', type: '_es_api_key' });
      const user = await call(url, '/_security/_authenticate', { headers: { authorization: basic('elastic', 'changeme') } });
      assert.equal(user.json.username, 'elastic');
      assert.equal(user.json.authentication_type, 'realm');
      assert.equal(user.json.api_key, undefined);
    });

    it('answers 403 to a credential without the cluster privilege an API needs', async () => {
      const r = await call(url, '/', { headers: { authorization: apiKey('nothing-id', 'nothing-secret') } });
      assert.equal(r.status, 403);
      assert.equal(r.json.error.type, 'security_exception');
      assert.equal(
        r.json.error.reason,
        'action [cluster:monitor/main] is unauthorized for API key id [nothing-id] of user [elastic], this action is granted by the cluster privileges [monitor,manage,all]',
      );
    });

    it('lets anonymous requests in only when configured to', async () => {
      const anon = await startElasticsearchSimulator({ anonymous: true });
      try {
        const r = await call(anon.url, '/_security/_authenticate');
        assert.equal(r.status, 200);
        assert.equal(r.json.authentication_type, 'anonymous');
      } finally {
        await anon.close();
      }
    });
  });

  describe('has privileges', () => {
    const check = (auth: string, body: unknown): Promise<Reply> =>
      call(url, '/_security/user/_has_privileges', { method: 'POST', headers: { authorization: auth, 'content-type': 'application/json' }, body: JSON.stringify(body) });

    it('evaluates index privileges with wildcards and the privilege hierarchy', async () => {
      const r = await check(SHIP, {
        cluster: ['monitor', 'manage'],
        index: [{ names: [STREAM, 'logs-beyondtrust_pra.access_session-*', 'logs-other-default'], privileges: ['create_doc', 'create', 'index', 'auto_configure'] }],
      });
      assert.equal(r.status, 200);
      assert.equal(r.json.username, 'elastic');
      assert.equal(r.json.has_all_requested, false);
      assert.deepEqual(r.json.cluster, { monitor: true, manage: false });
      assert.deepEqual(r.json.index[STREAM], { create_doc: true, create: false, index: false, auto_configure: true });
      assert.deepEqual(r.json.index['logs-beyondtrust_pra.access_session-*'], { create_doc: true, create: false, index: false, auto_configure: true });
      assert.deepEqual(r.json.index['logs-other-default'], { create_doc: false, create: false, index: false, auto_configure: false });
      assert.deepEqual(r.json.application, {});
    });

    it('counts all, write, index and create as granting create_doc; create_index does not grant auto_configure', async () => {
      for (const granted of ['all', 'write', 'index', 'create']) {
        es.addApiKey({ id: `k-${granted}`, key: 's', privileges: { indices: [{ names: ['logs-*'], privileges: [granted] }] } });
        const r = await check(apiKey(`k-${granted}`, 's'), { index: [{ names: [STREAM], privileges: ['create_doc'] }] });
        assert.equal(r.json.has_all_requested, true, granted);
      }
      es.addApiKey({ id: 'k-ci', key: 's', privileges: { indices: [{ names: ['logs-*'], privileges: ['create_index'] }] } });
      const ci = await check(apiKey('k-ci', 's'), { index: [{ names: [STREAM], privileges: ['auto_configure', 'create_doc'] }] });
      assert.deepEqual(ci.json.index[STREAM], { auto_configure: false, create_doc: false });
      es.addApiKey({ id: 'k-mix', key: 's', privileges: { indices: [{ names: ['logs-*'], privileges: ['create_index', 'write'] }] } });
      const mix = await check(apiKey('k-mix', 's'), { index: [{ names: [STREAM], privileges: ['auto_configure'] }] });
      assert.equal(mix.json.has_all_requested, true);
    });

    it('rejects an unknown privilege and an empty request', async () => {
      const bad = await check(SHIP, { index: [{ names: [STREAM], privileges: ['write_everything'] }] });
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error.type, 'illegal_argument_exception');
      assert.match(bad.json.error.reason, /^unknown index privilege \[write_everything\]/);
      const empty = await check(SHIP, {});
      assert.equal(empty.status, 400);
      assert.equal(empty.json.error.type, 'action_request_validation_exception');
      assert.equal(empty.json.error.reason, 'Validation Failed: 1: must specify at least one privilege;');
    });
  });

  describe('integration assets through the Kibana stub', () => {
    it('has no template or pipeline before the install, then has both', async () => {
      const tpl = await call(url, '/_index_template/logs-beyondtrust_pra.access_session', { headers: { authorization: SHIP } });
      assert.equal(tpl.status, 404);
      assert.equal(tpl.json.error.type, 'resource_not_found_exception');
      assert.equal(tpl.json.error.reason, 'index template matching [logs-beyondtrust_pra.access_session] not found');
      const pipe = await call(url, '/_ingest/pipeline/logs-beyondtrust_pra.access_session-0.3.0', { headers: { authorization: SHIP } });
      assert.equal(pipe.status, 404);
      assert.deepEqual(pipe.json, {});

      const info = await call(kibana.url, '/api/fleet/epm/packages/beyondtrust_pra', { headers: { authorization: ADMIN } });
      assert.equal(info.status, 200);
      assert.equal(info.json.item.status, 'not_installed');

      const noAuth = await call(kibana.url, '/api/fleet/epm/packages/beyondtrust_pra', { method: 'POST', headers: { 'kbn-xsrf': 'true' } });
      assert.equal(noAuth.status, 401);
      const noXsrf = await call(kibana.url, '/api/fleet/epm/packages/beyondtrust_pra', { method: 'POST', headers: { authorization: ADMIN } });
      assert.equal(noXsrf.status, 400);
      assert.deepEqual(noXsrf.json, { statusCode: 400, error: 'Bad Request', message: 'Request must contain a kbn-xsrf header.' });
      const notAllowed = await call(kibana.url, '/api/fleet/epm/packages/beyondtrust_pra', { method: 'POST', headers: { authorization: SHIP, 'kbn-xsrf': 'true' } });
      assert.equal(notAllowed.status, 403);

      const install = await call(kibana.url, '/api/fleet/epm/packages/beyondtrust_pra/0.3.0', {
        method: 'POST',
        headers: { authorization: ADMIN, 'kbn-xsrf': 'true', 'content-type': 'application/json' },
        body: JSON.stringify({ force: false }),
      });
      assert.equal(install.status, 200);
      assert.deepEqual(install.json._meta, { install_source: 'registry', name: 'beyondtrust_pra' });
      assert.ok(install.json.items.some((a: { id: string; type: string }) => a.type === 'ingest_pipeline' && a.id === 'logs-beyondtrust_pra.access_session-0.3.0'));

      const tpl2 = await call(url, '/_index_template/logs-beyondtrust_pra.access_session', { headers: { authorization: SHIP } });
      assert.equal(tpl2.status, 200);
      assert.equal(tpl2.json.index_templates[0].name, 'logs-beyondtrust_pra.access_session');
      assert.deepEqual(tpl2.json.index_templates[0].index_template.index_patterns, ['logs-beyondtrust_pra.access_session-*']);
      assert.ok(tpl2.json.index_templates[0].index_template.data_stream);
      const pipe2 = await call(url, '/_ingest/pipeline/logs-beyondtrust_pra.access_session-0.3.0', { headers: { authorization: SHIP } });
      assert.equal(pipe2.status, 200);
      assert.ok(pipe2.json['logs-beyondtrust_pra.access_session-0.3.0'].processors.length > 0);

      const info2 = await call(kibana.url, '/api/fleet/epm/packages/beyondtrust_pra', { headers: { authorization: ADMIN } });
      assert.equal(info2.json.item.status, 'installed');
      assert.equal(info2.json.item.installationInfo.version, '0.3.0');
      const status = await call(kibana.url, '/api/status', { headers: { authorization: ADMIN } });
      assert.equal(status.status, 200);
      assert.equal(status.json.status.overall.level, 'available');
    });
  });

  describe('bulk', () => {
    before(() => {
      if (!es.integrationAssetsInstalled()) es.installIntegrationAssets();
    });

    it('creates documents (201) in the data stream, then refuses the same ids (409)', async () => {
      const body = ndjson(...event('ev-1'), ...event('ev-2'));
      const r = await call(url, '/_bulk', { method: 'POST', headers: { authorization: SHIP, ...NDJSON }, body });
      assert.equal(r.status, 200);
      assert.equal(r.json.errors, false);
      assert.equal(typeof r.json.took, 'number');
      assert.equal(typeof r.json.ingest_took, 'number');
      const first = r.json.items[0].create;
      assert.equal(first.status, 201);
      assert.equal(first.result, 'created');
      assert.equal(first._id, 'ev-1');
      assert.match(first._index, /^\.ds-logs-beyondtrust_pra\.access_session-default-\d{4}\.\d{2}\.\d{2}-000001$/);
      assert.equal(first._version, 1);
      assert.equal(first._primary_term, 1);
      assert.deepEqual(first._shards, { total: 2, successful: 1, failed: 0 });
      assert.equal(r.json.items[1].create._seq_no, first._seq_no + 1);

      const again = await call(url, '/_bulk', { method: 'POST', headers: { authorization: SHIP, ...NDJSON }, body });
      assert.equal(again.json.errors, true);
      const dup = again.json.items[0].create;
      assert.equal(dup.status, 409);
      assert.equal(dup.error.type, 'version_conflict_engine_exception');
      assert.equal(dup.error.reason, '[ev-1]: version conflict, document already exists (current version [1])');
      assert.equal(dup.error.shard, '0');
      assert.equal(dup.error.index, first._index);

      const docs = es.documents(STREAM);
      assert.deepEqual(docs.map((d) => d._id), ['ev-1', 'ev-2']);
      assert.equal(es.count(STREAM), 2);
      assert.equal(es.dataStreams()[0]?.defaultPipeline, 'logs-beyondtrust_pra.access_session-0.3.0');
    });

    it('runs the integration pipeline: message → event.original, @timestamp from the event', async () => {
      const src = es.documents(STREAM).find((d) => d._id === 'ev-1')?._source as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      assert.equal(src['@timestamp'], '2024-04-04T13:30:00.000Z');
      assert.equal(typeof src.event.original, 'string');
      assert.equal(src.event.kind, 'event');
      assert.equal(src.event.action, 'session-start');
      assert.equal(src.message, 'event ev-1');
      assert.equal(src.event.agent_id_status, 'missing');
      assert.match(src.event.ingested, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    });

    it('indexes a message that is not JSON with error.message set, as the real pipeline does', async () => {
      const r = await bulk(ndjson({ create: { _index: STREAM, _id: 'bad-json' } }, { '@timestamp': '2024-04-04T13:30:00Z', message: 'not json' }));
      assert.equal(r.json.items[0].create.status, 201);
      const src = es.documents(STREAM).find((d) => d._id === 'bad-json')?._source as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
      assert.equal(src.event.kind, 'pipeline_error');
      assert.match(String(src.error.message), /^Processor json with tag json_event_original in pipeline logs-beyondtrust_pra\.access_session-0\.3\.0 failed with message: /);
    });

    it('takes the index from the path, and refuses index ops and documents without @timestamp on a data stream', async () => {
      const r = await bulk(
        ndjson(
          { index: { _id: 'x1' } },
          { '@timestamp': '2024-01-01T00:00:00Z', note: 'index op' },
          { create: { _id: 'x2', pipeline: '_none' } },
          { note: 'no timestamp' },
          { create: { _id: 'x3', pipeline: '_none' } },
          { '@timestamp': 'yesterday' },
          { create: { _id: 'x4', pipeline: '_none' } },
          { '@timestamp': 1712237400000 },
        ),
        {},
        `/${STREAM}/_bulk?refresh=wait_for`,
      );
      assert.equal(r.status, 200);
      const [a, b, c, d] = r.json.items;
      assert.equal(a.index.status, 400);
      assert.equal(a.index.error.type, 'illegal_argument_exception');
      assert.equal(a.index.error.reason, 'only write ops with an op_type of create are allowed in data streams');
      assert.equal(b.create.status, 400);
      assert.equal(b.create.error.type, 'document_parsing_exception');
      assert.match(b.create.error.reason, /^\[1:\d+\] failed to parse: data stream timestamp field \[@timestamp\] is missing$/);
      assert.equal(b.create.error.caused_by.type, 'illegal_argument_exception');
      assert.equal(c.create.status, 400);
      assert.match(c.create.error.caused_by.reason, /failed to parse date field \[yesterday\] with format \[strict_date_optional_time\|\|epoch_millis\]/);
      assert.equal(d.create.status, 201);
    });

    it('rejects malformed NDJSON the way Elasticsearch does', async () => {
      const noNewline = await bulk('{"create":{"_index":"' + STREAM + '","_id":"n1"}}\n{"@timestamp":"2024-01-01T00:00:00Z"}');
      assert.equal(noNewline.status, 400);
      assert.equal(noNewline.json.error.type, 'illegal_argument_exception');
      assert.equal(noNewline.json.error.reason, 'The bulk request must be terminated by a newline [\\n]');

      const badJson = await bulk('{"create":{"_index":"x"}\n{}\n');
      assert.equal(badJson.status, 400);
      assert.equal(badJson.json.error.type, 'x_content_parse_exception');
      assert.match(badJson.json.error.reason, /^\[1:\d+\] Unexpected end-of-input/);

      const notObject = await bulk('"create"\n');
      assert.equal(notObject.json.error.reason, 'Malformed action/metadata line [1], expected START_OBJECT but found [VALUE_STRING]');
      const unknownAction = await bulk(ndjson({ upsert: { _index: STREAM } }, {}));
      assert.equal(unknownAction.json.error.reason, 'Malformed action/metadata line [1], expected field [create], [delete], [index] or [update] but found [upsert]');
      const twoKeys = await bulk(ndjson({ create: { _index: STREAM }, index: {} }, {}));
      assert.equal(twoKeys.json.error.reason, 'Malformed action/metadata line [1], expected END_OBJECT but found [FIELD_NAME]');
      const unknownParam = await bulk(ndjson({ create: { _index: STREAM, _type: '_doc' } }, {}));
      assert.equal(unknownParam.json.error.reason, 'Action/metadata line [1] contains an unknown parameter [_type]');
      const secondAction = await bulk(ndjson({ create: { _index: STREAM } }, { '@timestamp': 1 }, { create: { _index: STREAM, foo: 1 } }, {}));
      assert.equal(secondAction.json.error.reason, 'Action/metadata line [3] contains an unknown parameter [foo]');

      const empty = await bulk('');
      assert.equal(empty.status, 400);
      assert.equal(empty.json.error.type, 'parse_exception');
      assert.equal(empty.json.error.reason, 'request body is required');
      const noIndex = await bulk(ndjson({ create: {} }, {}));
      assert.equal(noIndex.json.error.type, 'action_request_validation_exception');
      assert.equal(noIndex.json.error.reason, 'Validation Failed: 1: index is missing;');
      const blank = await bulk('\n');
      assert.equal(blank.json.error.reason, 'Validation Failed: 1: no requests added;');
      assert.equal(es.count(STREAM), 4, 'nothing was written by the rejected requests');
    });

    it('reads documents as Jackson does: duplicate keys refused at any depth, keys counted right past tricky strings', async () => {
      const lines = [
        '{"create":{"_index":"json-checks","_id":"dup-top"}}',
        '{"@timestamp":"2024-01-01T00:00:00Z","a":1,"a":2}',
        '{"create":{"_index":"json-checks","_id":"dup-nested"}}',
        '{"o":{"k":[{"x":1}],"k":2}}',
        '{"create":{"_index":"json-checks","_id":"tricky"}}',
        '{"s":"a:b \\" : \\\\","t":{"u":"v:\\"w\\":"},"__proto__":{"p":1},"n":[1,{"m":":"}]}',
      ];
      const r = await bulk(lines.join('\n') + '\n');
      assert.equal(r.status, 200);
      const [top, nested, tricky] = r.json.items.map((i: { create: unknown }) => i.create);
      assert.equal(top.status, 400);
      assert.match(JSON.stringify(top.error), /Duplicate field 'a'/);
      assert.equal(nested.status, 400);
      assert.match(JSON.stringify(nested.error), /Duplicate field 'k'/);
      assert.equal(tricky.status, 201);
      const stored = es.documents('json-checks').find((d) => d._id === 'tricky')!._source;
      assert.deepEqual(JSON.parse(JSON.stringify(stored)), JSON.parse(lines[5]!));
      assert.equal(Object.getPrototypeOf(stored), Object.prototype, '__proto__ is a key, not a prototype');
    });

    it('delays every bulk answer by the configured latency, having indexed first', async () => {
      es.setBulkLatency(300);
      try {
        let answered = false;
        const pending = bulk(ndjson(...event('latent-1'))).then((r) => ((answered = true), r));
        while (!es.documents(STREAM).some((d) => d._id === 'latent-1')) await new Promise((r) => setTimeout(r, 5));
        assert.equal(answered, false, 'indexed, the answer still on its way');
        assert.equal((await pending).status, 200);
      } finally {
        es.setBulkLatency(0);
      }
    });

    it('checks Content-Type (406) and REST compatibility headers', async () => {
      const body = ndjson(...event('ct-1'));
      const plain = await call(url, '/_bulk', { method: 'POST', headers: { authorization: ADMIN, 'content-type': 'text/plain' }, body });
      assert.equal(plain.status, 406);
      assert.deepEqual(plain.json, { error: 'Content-Type header [text/plain] is not supported', status: 406 });
      const json = await call(url, '/_bulk', { method: 'POST', headers: { authorization: ADMIN, 'content-type': 'application/json' }, body });
      assert.equal(json.status, 200);
      const vnd = 'application/vnd.elasticsearch+x-ndjson; compatible-with=8';
      const compat = await call(url, '/_bulk', {
        method: 'POST',
        headers: { authorization: ADMIN, 'content-type': vnd, accept: 'application/vnd.elasticsearch+json; compatible-with=8' },
        body: ndjson(...event('ct-2')),
      });
      assert.equal(compat.status, 200);
      assert.equal(compat.headers.get('content-type'), 'application/vnd.elasticsearch+json;compatible-with=8');
      const half = await call(url, '/_bulk', { method: 'POST', headers: { authorization: ADMIN, 'content-type': vnd }, body: ndjson(...event('ct-3')) });
      assert.equal(half.status, 400);
      assert.equal(half.json.error.type, 'media_type_header_exception');
      assert.equal(half.json.error.caused_by.type, 'status_exception');
      const v9 = await call(url, '/_bulk', {
        method: 'POST',
        headers: { authorization: ADMIN, 'content-type': 'application/vnd.elasticsearch+json; compatible-with=9', accept: 'application/vnd.elasticsearch+json; compatible-with=9' },
        body: ndjson(...event('ct-4')),
      });
      assert.equal(v9.status, 400);
      assert.match(v9.json.error.caused_by.reason, /^Accept version must be either version 8 or 7, but found 9/);
    });

    it('accepts gzip bodies, applies filter_path and rejects unknown parameters', async () => {
      const r = await bulk(gzipSync(ndjson(...event('gz-1'))), { 'content-encoding': 'gzip' }, '/_bulk?filter_path=errors,items.*.status');
      assert.equal(r.status, 200);
      assert.deepEqual(r.json, { errors: false, items: [{ create: { status: 201 } }] });
      const bad = await bulk(ndjson(...event('p-1')), {}, '/_bulk?refreshh=true');
      assert.equal(bad.status, 400);
      assert.equal(bad.json.error.reason, 'request [/_bulk] contains unrecognized parameter: [refreshh]');
    });

    it('answers 403 per item when the credential may not write there', async () => {
      const r = await call(url, '/_bulk', {
        method: 'POST',
        headers: { authorization: SHIP, ...NDJSON },
        body: ndjson({ create: { _index: 'logs-other-default', _id: 'o1' } }, { '@timestamp': 1 }),
      });
      assert.equal(r.json.items[0].create.status, 403);
      assert.equal(
        r.json.items[0].create.error.reason,
        'action [indices:admin/auto_create] is unauthorized for API key id [ship-id] of user [elastic] on indices [logs-other-default], this action is granted by the index privileges [auto_configure,create_index,manage,all]',
      );
    });

    it('rejects chosen items with 429 and indexes the rest', async () => {
      await es.injectFaults([{ kind: 'reject-items', status: 429, everyNth: 2 }]);
      const body = ndjson(...event('r-1'), ...event('r-2'), ...event('r-3'), ...event('r-4'));
      const r = await bulk(body);
      assert.equal(r.json.errors, true);
      assert.deepEqual(r.json.items.map((i: { create: { status: number } }) => i.create.status), [201, 429, 201, 429]);
      assert.equal(r.json.items[1].create.error.type, 'es_rejected_execution_exception');
      assert.ok(!es.documents(STREAM).some((d) => d._id === 'r-2'));
      const retry = await bulk(ndjson(...event('r-2'), ...event('r-4')));
      assert.deepEqual(retry.json.items.map((i: { create: { status: number } }) => i.create.status), [201, 201]);
      const last = es.bulkRequests.at(-2);
      assert.deepEqual(last?.itemStatuses, [201, 429, 201, 429]);
      assert.deepEqual(last?.faults, ['reject-items']);
    });

    it('rejects matching items with a mapping error until cleared', async () => {
      await es.injectFaults([{ kind: 'item-400', match: (item) => item.id === 'm-2', reason: 'failed to parse field [source.ip] of type [ip]' }]);
      const r = await bulk(ndjson(...event('m-1'), ...event('m-2')));
      assert.equal(r.json.items[0].create.status, 201);
      assert.equal(r.json.items[1].create.status, 400);
      assert.equal(r.json.items[1].create.error.type, 'document_parsing_exception');
      assert.match(r.json.items[1].create.error.reason, /^\[1:\d+\] failed to parse field \[source\.ip\] of type \[ip\]$/);
      assert.equal((await bulk(ndjson(...event('m-2')))).json.items[0].create.status, 400);
      es.clearFaults();
      assert.equal((await bulk(ndjson(...event('m-2')))).json.items[0].create.status, 201);
    });

    it('fails whole requests with 503 and 429 for the injected count', async () => {
      await es.injectFaults([{ kind: 'status', status: 503, count: 2 }]);
      const body = ndjson(...event('s-1'));
      const a = await bulk(body);
      assert.equal(a.status, 503);
      assert.equal(a.json.error.type, 'cluster_block_exception');
      assert.equal(a.json.status, 503);
      assert.equal((await bulk(body)).status, 503);
      assert.equal((await bulk(body)).status, 200);
      assert.ok(!es.documents(STREAM).some((d) => d._id === 's-1' && d._version > 1));

      await es.injectFaults([{ kind: 'status', status: 429, retryAfter: 3 }]);
      const t = await bulk(ndjson(...event('s-2')));
      assert.equal(t.status, 429);
      assert.equal(t.headers.get('retry-after'), '3');
      assert.equal(t.json.error.type, 'es_rejected_execution_exception');
      await es.injectFaults([{ kind: 'status', status: 502 }]);
      const p = await bulk(ndjson(...event('s-2')));
      assert.equal(p.status, 502);
      assert.equal(p.headers.get('x-elastic-product'), null, 'a proxy answered, not Elasticsearch');
    });

    it('delays the answer of a slow request but has indexed it already', async () => {
      await es.injectFaults([{ kind: 'slow', delayMs: 300 }]);
      const started = Date.now();
      const pending = bulk(ndjson(...event('slow-1')));
      await new Promise((r) => setTimeout(r, 100));
      assert.ok(es.documents(STREAM).some((d) => d._id === 'slow-1'));
      const r = await pending;
      assert.equal(r.status, 200);
      assert.ok(Date.now() - started >= 290);
    });

    it('goes down (connection refused or reset) and comes back', async () => {
      await es.injectFaults([{ kind: 'down' }]);
      assert.equal(es.isDown(), true);
      // a pooled keep-alive connection may die under a request ("other side closed"); new ones are refused
      const codes: string[] = [];
      for (let i = 0; i < 3 && codes.at(-1) !== 'ECONNREFUSED'; i++) {
        await assert.rejects(fetch(url + '/'), (e: Error & { cause?: { code?: string } }) => (codes.push(e.cause?.code ?? 'other'), true));
      }
      assert.equal(codes.at(-1), 'ECONNREFUSED');
      await es.up();
      assert.equal((await call(url, '/', { headers: { authorization: ADMIN } })).status, 200);
      await es.down('reset');
      await assert.rejects(fetch(url + '/'));
      await es.up();
      assert.equal((await call(url, '/', { headers: { authorization: ADMIN } })).status, 200);
    });
  });

  it('answers 413 above http.max_content_length', async () => {
    const small = await startElasticsearchSimulator({ maxContentLength: '1kb', apiKeys: [{ id: 'a', key: 'b' }] });
    try {
      const big = ndjson(...event('big-1', { pad: 'x'.repeat(2000) }));
      const r = await call(small.url, '/_bulk', { method: 'POST', headers: { authorization: apiKey('a', 'b'), ...NDJSON }, body: big });
      assert.equal(r.status, 413);
      assert.equal(r.headers.get('x-elastic-product'), 'Elasticsearch');
      assert.equal(small.count(), 0);
      assert.equal(small.bulkRequests[0]?.status, 413);
      const ok = await call(small.url, '/_bulk', { method: 'POST', headers: { authorization: apiKey('a', 'b'), ...NDJSON }, body: ndjson(...event('ok-1')) });
      assert.equal(ok.status, 200);
    } finally {
      await small.close();
    }
  });

  it('serves HTTPS with the test certificate', async () => {
    const pki = await makeTestPki();
    const secure = await startElasticsearchSimulator({ tls: { key: pki.serverKeyPem, cert: pki.serverCertPem }, apiKeys: [{ id: 'a', key: 'b' }] });
    try {
      assert.match(secure.url, /^https:\/\/127\.0\.0\.1:\d+$/);
      const { status, body } = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const r = httpsRequest(secure.url + '/', { ca: pki.caPem, headers: { authorization: apiKey('a', 'b') } }, (res) => {
          let data = '';
          res.on('data', (c: Buffer) => (data += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
        });
        r.on('error', reject);
        r.end();
      });
      assert.equal(status, 200);
      assert.equal(JSON.parse(body).tagline, 'You Know, for Search');
    } finally {
      await secure.close();
    }
  });
});
