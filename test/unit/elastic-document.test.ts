// The Elasticsearch document around the message: envelope fields, data stream name, and the
// deterministic _id that makes re-deliveries answer 409 instead of duplicating events.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import {
  AGENT_TYPE,
  assertValidNamespace,
  buildDocument,
  DATASET,
  dataStreamName,
  namespaceError,
  type DocumentContext,
} from '../../electron/engine/elastic/document.ts';
import { documentId } from '../../electron/engine/elastic/document-id.ts';
import { buildMessage, encodeMessage, messageSession, type MessageSession } from '../../electron/engine/elastic/message.ts';
import { parseAccessSessionReport } from '../../electron/engine/pra/report-parser.ts';
import type { SessionEvent } from '../../electron/engine/pra/report-types.ts';

const REFERENCE = new URL('../../../shared/reference/', import.meta.url);
const readReference = (path: string) => readFileSync(new URL(path, REFERENCE), 'utf8');

async function firstEvent(xml: string): Promise<{ header: MessageSession; event: SessionEvent }> {
  async function* body() {
    yield Buffer.from(xml, 'utf8');
  }
  let header: MessageSession | null = null;
  for await (const item of parseAccessSessionReport(body())) {
    if (item.type === 'session') header = messageSession(item.header);
    else if (item.type === 'event' && header !== null) return { header, event: item.event };
  }
  throw new Error('no event in the report');
}

const CONTEXT: DocumentContext = {
  namespace: 'default',
  agent: { name: 'collector-01', version: '0.1.0', installId: '7f6c1e2a-0000-4000-8000-000000000001' },
  siteHost: 'Access.Example.com',
  syntheticLsid: 'synthetic-lsid',
};

describe('buildDocument', () => {
  it('wraps the message in the envelope the integration expects', async () => {
    const { header, event } = await firstEvent(readReference('elastic-integration/mock-response.xml'));
    const doc = buildDocument(header, event, CONTEXT);
    assert.deepEqual(doc, {
      '@timestamp': '2024-04-04T13:30:00.000Z',
      message: encodeMessage(buildMessage(header, event, { syntheticLsid: 'synthetic-lsid' })),
      data_stream: { type: 'logs', dataset: 'beyondtrust_pra.access_session', namespace: 'default' },
      event: { dataset: 'beyondtrust_pra.access_session' },
      input: { type: 'cel' },
      tags: ['forwarded', 'beyondtrust_pra-access_session'],
      agent: { name: 'collector-01', type: 'pra-integration-client', version: '0.1.0', id: '7f6c1e2a-0000-4000-8000-000000000001' },
      observer: { hostname: 'access.example.com' },
    });
  });

  it('agrees with the integration sample document on the fields the collector sets', async () => {
    const { header, event } = await firstEvent(readReference('elastic-integration/mock-response.xml'));
    const doc = buildDocument(header, event, CONTEXT);
    const sample = JSON.parse(readReference('elastic-integration/sample_event.json')) as {
      '@timestamp': string;
      data_stream: { type: string; dataset: string };
      event: { dataset: string };
      input: { type: string };
      tags: string[];
    };
    assert.equal(doc['@timestamp'], sample['@timestamp']);
    assert.equal(doc.data_stream.type, sample.data_stream.type);
    assert.equal(doc.data_stream.dataset, sample.data_stream.dataset);
    assert.equal(doc.event.dataset, sample.event.dataset);
    assert.deepEqual(doc.input, sample.input);
    for (const tag of doc.tags) assert.ok(sample.tags.includes(tag), `tag ${tag} not in the sample`);
  });

  it('is honest about who sent it, and leaves ecs.version to the pipeline', async () => {
    const { header, event } = await firstEvent(readReference('elastic-integration/mock-response.xml'));
    const doc = buildDocument(header, event, CONTEXT) as unknown as Record<string, unknown>;
    assert.equal(AGENT_TYPE, 'pra-integration-client');
    assert.notEqual((doc.agent as { type: string }).type, 'filebeat');
    assert.ok(!('elastic_agent' in doc));
    assert.ok(!('ecs' in doc), 'the pipeline sets ecs.version (set_ecs_version)');
    assert.ok(!('host' in doc), 'forwarded events carry no host of the collector');
    assert.match(readReference('elastic-integration/ingest_pipeline-default.yml'), /field: ecs\.version\n\s+tag: set_ecs_version/);
  });

  it('stamps the event time from a Unix-seconds timestamp, falling back to the session start', async () => {
    const sekoia = readReference('beyondtrust-api/sekoia_AccessSession_example.xml');
    const { header, event } = await firstEvent(sekoia);
    assert.equal(buildDocument(header, event, CONTEXT)['@timestamp'], '2024-12-03T15:26:05.000Z');
    const noTime = { ...event, timestamp: null };
    assert.equal(buildDocument(header, noTime, CONTEXT)['@timestamp'], new Date(header.startTime! * 1000).toISOString());
    assert.throws(() => buildDocument({ ...header, startTime: null }, noTime, CONTEXT), /no readable timestamp/);
  });

  it('refuses an invalid namespace', async () => {
    const { header, event } = await firstEvent(readReference('elastic-integration/mock-response.xml'));
    assert.throws(() => buildDocument(header, event, { ...CONTEXT, namespace: 'Prod' }), { name: 'RangeError', message: /lowercase/ });
  });
});

describe('dataStreamName / namespace validation', () => {
  it('names the integration data stream', () => {
    assert.equal(DATASET, 'beyondtrust_pra.access_session');
    assert.equal(dataStreamName('default'), 'logs-beyondtrust_pra.access_session-default');
    assert.equal(dataStreamName('site_a.prod2'), 'logs-beyondtrust_pra.access_session-site_a.prod2');
    assert.equal(dataStreamName('12228'), 'logs-beyondtrust_pra.access_session-12228');
    assert.equal(dataStreamName('a'.repeat(100)), `logs-beyondtrust_pra.access_session-${'a'.repeat(100)}`);
    assert.equal(dataStreamName('zürich'), 'logs-beyondtrust_pra.access_session-zürich');
  });

  const refused: [string, RegExp][] = [
    ['', /empty/],
    ['   ', /empty/],
    ['Production', /lowercase/],
    ['my-site', /must not contain "-"/],
    ['a b', /white space/],
    ['a\tb', /white space/],
    ['a/b', /"\/"/],
    ['a\\b', /"\\"/],
    ['a*b', /"\*"/],
    ['a?b', /"\?"/],
    ['a"b', /"""/],
    ['a<b', /"<"/],
    ['a>b', /">"/],
    ['a|b', /"\|"/],
    ['a,b', /","/],
    ['a#b', /"#"/],
    ['a:b', /":"/],
    ['a'.repeat(101), /at most 100 bytes/],
    ['é'.repeat(51), /at most 100 bytes/],
  ];
  for (const [namespace, message] of refused) {
    it(`refuses ${JSON.stringify(namespace.length > 20 ? `${namespace.slice(0, 20)}…` : namespace)}`, () => {
      const error = namespaceError(namespace);
      assert.ok(error !== null);
      assert.match(error, message);
      assert.throws(() => dataStreamName(namespace), { name: 'RangeError', message: error });
      assert.throws(() => assertValidNamespace(namespace), RangeError);
    });
  }

  it('says what to use instead', () => {
    assert.match(namespaceError('my-site')!, /use letters, digits, "_" or "\."/);
    assert.equal(namespaceError('default'), null);
  });
});

describe('documentId', () => {
  const parts = { siteHost: 'access.example.com', lsid: 'e9e99aeb9ad54fb381634498502c5a1b', ordinal: 0 };

  it('is a fixed function of (site host, lsid, ordinal): version v1 pinned', () => {
    // Pinned: changing the scheme would re-index every event already delivered.
    assert.equal(documentId(parts), documentId({ ...parts }));
    assert.equal(documentId(parts), 'kC2xY_T2HatwKOwXwP2xQlJYnfEIj6ZF');
    assert.match(documentId(parts), /^[A-Za-z0-9_-]{32}$/);
  });

  it('ignores the case of the host', () => {
    assert.equal(documentId({ ...parts, siteHost: 'ACCESS.Example.COM' }), documentId(parts));
  });

  it('differs for every part', () => {
    const ids = new Set([
      documentId(parts),
      documentId({ ...parts, ordinal: 1 }),
      documentId({ ...parts, lsid: 'other' }),
      documentId({ ...parts, siteHost: 'other.example.com' }),
      documentId({ ...parts, siteHost: 'access.example.com:8443' }),
      // No ambiguity between where one part ends and the next begins.
      documentId({ siteHost: 'ab', lsid: 'c', ordinal: 1 }),
      documentId({ siteHost: 'a', lsid: 'bc', ordinal: 1 }),
      documentId({ siteHost: 'a', lsid: 'b', ordinal: 11 }),
    ]);
    assert.equal(ids.size, 8);
    const many = new Set<string>();
    for (let i = 0; i < 10_000; i++) many.add(documentId({ ...parts, ordinal: i }));
    assert.equal(many.size, 10_000);
  });

  it('takes nothing local to the installation (same event, any install → same _id)', () => {
    // The signature has no install id or data directory; extra properties are ignored.
    const withExtra = { ...parts, installId: 'another-install', dataDir: '/elsewhere' };
    assert.equal(documentId(withExtra), documentId(parts));
    assert.equal(documentId.length, 1);
  });

  it('refuses parts that would make the id ambiguous or meaningless', () => {
    assert.throws(() => documentId({ ...parts, siteHost: '' }), TypeError);
    assert.throws(() => documentId({ ...parts, lsid: '' }), TypeError);
    assert.throws(() => documentId({ ...parts, lsid: 'a\0b' }), TypeError);
    assert.throws(() => documentId({ ...parts, ordinal: -1 }), TypeError);
    assert.throws(() => documentId({ ...parts, ordinal: 1.5 }), TypeError);
    assert.throws(() => documentId({ ...parts, ordinal: Number.NaN }), TypeError);
  });
});
