// The `message` we ship must be what Elastic's collector (the beyondtrust_pra integration's CEL
// input) sends, except for three deliberate differences (see electron/engine/elastic/message.ts).
// The reference files live in the repository's sibling folder ../shared/reference/ (not copied here).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { SaxesParser } from 'saxes';
import { buildMessage, compareUtf8, messageSession, encodeMessage, normalizeIp, type JsonObject, type JsonValue } from '../../electron/engine/elastic/message.ts';
import { parseAccessSessionReport } from '../../electron/engine/pra/report-parser.ts';
import type { SessionEvent, SessionHeader } from '../../electron/engine/pra/report-types.ts';
import { SESSION_LIST_SHAPE, type XsdNode } from '../../electron/engine/elastic/xsd-shape.ts';

const REFERENCE = new URL('../../../shared/reference/', import.meta.url);
const readReference = (path: string) => readFileSync(new URL(path, REFERENCE), 'utf8');

interface ParsedSession {
  header: SessionHeader;
  events: SessionEvent[];
}

async function parseReport(xml: string): Promise<ParsedSession[]> {
  async function* body() {
    yield Buffer.from(xml, 'utf8');
  }
  const sessions: ParsedSession[] = [];
  for await (const item of parseAccessSessionReport(body())) {
    if (item.type === 'session') sessions.push({ header: item.header, events: [] });
    else if (item.type === 'event') sessions[sessions.length - 1]!.events.push(item.event);
  }
  return sessions;
}

/** The messages of every event of a report, in order. */
async function messagesOf(xml: string, syntheticLsid = 'synthetic-lsid'): Promise<JsonObject[]> {
  const sessions = await parseReport(xml);
  return sessions.flatMap((s) => s.events.map((e) => buildMessage(messageSession(s.header), e, { syntheticLsid })));
}

/** A report of one session (lsid `L1`) with the given header elements and events. */
function report(sessionInner: string, events: string, lsid: string | null = 'L1'): string {
  const attr = lsid === null ? '' : ` lsid="${lsid}"`;
  return `<?xml version="1.0" encoding="UTF-8"?>
<session_list xmlns="http://www.beyondtrust.com/sra/namespaces/API/reporting">
  <session${attr}>
    ${sessionInner}
    <session_details>
      ${events}
    </session_details>
  </session>
</session_list>`;
}

const PARTICIPANTS = `
    <customer_list>
      <customer gsnumber="22">
        <username>cust</username>
        <public_ip>4.231.237.19:61606</public_ip>
        <private_ip>10.0.0.4</private_ip>
        <hostname>custhost</hostname>
        <os>Windows</os>
      </customer>
      <customer gsnumber="23">
        <username>cust2</username>
        <public_ip>Unknown</public_ip>
        <private_ip></private_ip>
        <hostname>custhost2</hostname>
        <os>Linux</os>
      </customer>
    </customer_list>
    <rep_list>
      <representative gsnumber="21" id="1">
        <username>admin</username>
        <display_name>Admin</display_name>
        <public_ip>[2a01:e34:ec57:b230:f188:56c5:7089:d987]:56722</public_ip>
        <private_ip>Unknown</private_ip>
        <hostname>adminhost</hostname>
        <os>Unknown</os>
        <session_owner>1</session_owner>
        <seconds_involved>901</seconds_involved>
        <invited>0</invited>
      </representative>
    </rep_list>`;

// ---------------------------------------------------------------------------------------------
// Differences between two decoded JSON values, by path.
// ---------------------------------------------------------------------------------------------

interface Difference {
  path: string;
  kind: 'added' | 'missing' | 'type' | 'value';
  ours?: JsonValue;
  theirs?: JsonValue;
}

function differences(ours: unknown, theirs: unknown, path = ''): Difference[] {
  const at = (key: string | number) => (path === '' ? String(key) : typeof key === 'number' ? `${path}[${key}]` : `${path}.${key}`);
  if (Array.isArray(ours) && Array.isArray(theirs)) {
    const out: Difference[] = [];
    for (let i = 0; i < Math.max(ours.length, theirs.length); i++) {
      if (i >= theirs.length) out.push({ path: at(i), kind: 'added', ours: ours[i] as JsonValue });
      else if (i >= ours.length) out.push({ path: at(i), kind: 'missing', theirs: theirs[i] as JsonValue });
      else out.push(...differences(ours[i], theirs[i], at(i)));
    }
    return out;
  }
  const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (isObj(ours) && isObj(theirs)) {
    const out: Difference[] = [];
    for (const key of new Set([...Object.keys(ours), ...Object.keys(theirs)])) {
      if (!Object.hasOwn(theirs, key)) out.push({ path: at(key), kind: 'added', ours: ours[key] as JsonValue });
      else if (!Object.hasOwn(ours, key)) out.push({ path: at(key), kind: 'missing', theirs: theirs[key] as JsonValue });
      else out.push(...differences(ours[key], theirs[key], at(key)));
    }
    return out;
  }
  const kindOf = (v: unknown) => (Array.isArray(v) ? 'array' : v === null ? 'null' : typeof v);
  if (kindOf(ours) !== kindOf(theirs)) return [{ path, kind: 'type', ours: ours as JsonValue, theirs: theirs as JsonValue }];
  return ours === theirs ? [] : [{ path, kind: 'value', ours: ours as JsonValue, theirs: theirs as JsonValue }];
}

/**
 * Number-vs-string differences we would tolerate, each only where the ingest pipeline converts the
 * field itself (so the indexed document is the same). Our builder needs none of them today: it
 * reproduces the collector's types exactly, including `files.file[].filesize` as a string. Kept
 * as the explicit list of what an equivalence failure may ever relax to.
 */
const TOLERATED_TYPE_DIFFERENCES: Record<string, string> = {
  filesize: 'convert_filesize_to_long (type: long)',
  'files.file[0].filesize': 'foreach_files_filesize_to_long / convert_files_file_filesize_to_long (type: long)',
  'session.file_move_count': 'convert_session_file_move_count_to_long (type: long)',
  'session.file_transfer_count': 'convert_session_file_transfer_count_to_long (type: long)',
  'performed_by.seconds_involved': 'convert_performed_by_seconds_involved_to_long (type: long)',
  'performed_by.session_owner': 'convert_performed_by_session_owner_to_string (type: string)',
  'destination.seconds_involved': 'convert_destination_seconds_involved_to_long (type: long)',
  'destination.session_owner': 'convert_destination_session_owner_to_string (type: string)',
};

/** The only differences allowed by design: deliberate difference (c) on a report without lsid. */
const ALLOWED_MOCK_DIFFERENCES: Difference[] = [{ path: 'session.lsid', kind: 'added', ours: 'synthetic-lsid' }];

describe('message: equivalence with Elastic collector output (mock-response.xml → mock-response.message.json)', () => {
  it('builds the same message key for key; the only difference is the deliberate session.lsid', async () => {
    const [message, ...rest] = await messagesOf(readReference('elastic-integration/mock-response.xml'));
    assert.equal(rest.length, 0, 'the mock holds exactly one event');
    const expected: unknown = JSON.parse(readReference('elastic-integration/mock-response.message.json'));
    const diff = differences(message, expected);
    for (const d of diff.filter((x) => x.kind === 'type')) {
      const where = d.path.replace(/\[\d+\]/g, '[0]');
      assert.ok(
        Object.hasOwn(TOLERATED_TYPE_DIFFERENCES, where) && typeof d.ours === 'number' !== (typeof d.theirs === 'number'),
        `type difference not converted by the pipeline at ${d.path}: ours ${JSON.stringify(d.ours)}, collector ${JSON.stringify(d.theirs)}`,
      );
    }
    assert.deepEqual(diff, ALLOWED_MOCK_DIFFERENCES);
  });

  it('serializes byte for byte like the collector (sorted keys, compact) once the lsid addition is removed', async () => {
    const [message] = await messagesOf(readReference('elastic-integration/mock-response.xml'));
    const session = message!.session as JsonObject;
    assert.equal(session.lsid, 'synthetic-lsid');
    delete session.lsid;
    const expectedText = readReference('elastic-integration/mock-response.message.json').trim();
    assert.equal(encodeMessage(message!), expectedText);
    // The same text is the event.original of the integration's sample document.
    const sample = JSON.parse(readReference('elastic-integration/sample_event.json')) as { event: { original: string } };
    assert.equal(encodeMessage(message!), sample.event.original);
  });

  it('orders keys as the collector does at every level (Go encoding/json: byte order, "#text" first)', async () => {
    const [message] = await messagesOf(readReference('elastic-integration/mock-response.xml'));
    const check = (value: unknown, path: string) => {
      if (Array.isArray(value)) value.forEach((v, i) => check(v, `${path}[${i}]`));
      else if (typeof value === 'object' && value !== null) {
        const keys = Object.keys(value);
        assert.deepEqual(keys, [...keys].sort(compareUtf8), `keys of ${path || '(root)'}`);
        for (const k of keys) check((value as Record<string, unknown>)[k], `${path}.${k}`);
      }
    };
    check(message, '');
    assert.deepEqual(Object.keys((message!.session as JsonObject).start_time as JsonObject), ['#text', 'timestamp']);
  });
});

describe('message: the Sekoia AccessSession example (a real-looking PRA cloud answer)', () => {
  const sekoia = () => readReference('beyondtrust-api/sekoia_AccessSession_example.xml');

  it('keeps the lsid attribute, renders empty elements as "" and the header as the collector does', async () => {
    const [first, second] = await messagesOf(sekoia(), 'must-not-be-used');
    const session = first!.session as JsonObject;
    assert.equal(session.lsid, 'e9e99aeb9ad54fb381634498502c5a1b');
    assert.equal(session.custom_attributes, '', 'an empty <custom_attributes> decodes to "" in the collector');
    assert.equal(session.external_key, '');
    assert.equal(session.lseq, '8', 'lseq is xs:string');
    assert.equal(session.file_transfer_count, 2);
    assert.equal(session.file_move_count, 0);
    assert.equal(session.file_delete_count, 1);
    assert.deepEqual(session.end_time, { '#text': '2024-12-03T15:41:07+00:00', timestamp: '1733240467' });
    assert.ok(!('customer_list' in session) && !('rep_list' in session) && !('session_details' in session));
    assert.match(session.session_chat_view_url as string, /&dl_action=chat&view=1$/, 'entities resolved');
    // Whitespace-only <event> content: just its attributes, plus session.
    assert.deepEqual(Object.keys(first!), ['event_type', 'session', 'timestamp']);
    assert.equal(first!.timestamp, '2024-12-03T15:26:05Z', '(d) Unix seconds become ISO 8601, the format the pipeline parses');
    assert.deepEqual(second!.data, { value: [{ name: 'owner', value: 'Pre-start Conference' }] });
    // Go's encoding/json escapes & in the URLs.
    assert.match(encodeMessage(first!), /chat\\u0026dl_action=chat\\u0026view=1"/);
  });

  it('(d) sends the event timestamp as ISO 8601, which the pipeline\'s date processor (formats: ISO8601) accepts', async () => {
    const pipeline = readReference('elastic-integration/ingest_pipeline-default.yml');
    assert.match(pipeline, /field: json\.timestamp\n\s+tag: date_timestamp\n\s+target_field: [^\n]+\n\s+formats:\n\s+- ISO8601\n/);
    const [first] = await messagesOf(sekoia());
    assert.ok(!Number.isNaN(Date.parse(first!.timestamp as string)));
    assert.equal(Date.parse(first!.timestamp as string) / 1000, 1733239565);
  });

  it('(a) does NOT map a system destination without a matching participant to the first customer', async () => {
    const [, second] = await messagesOf(sekoia());
    // The collector would produce the customer's fields here (and even its gsnumber "22").
    assert.deepEqual(second!.destination, { '#text': 'Pre-start Conference', gsnumber: '0', type: 'system' });
  });

  it('(b) normalises IPs of matched participants: port removed, Unknown dropped', async () => {
    // The fixture's events reference nobody; point the first one at its representative and customer.
    const xml = sekoia().replace(
      /(<event timestamp="1733239565" event_type="Session Start" >)/,
      '$1<performed_by type="representative" gsnumber="21">Admin</performed_by><destination type="customer" gsnumber="22">Sekoia.io integration</destination>',
    );
    const [first] = await messagesOf(xml);
    assert.deepEqual(first!.performed_by, {
      '#text': 'Admin',
      display_name: 'Admin',
      gsnumber: '21',
      id: '1',
      // private_ip "Unknown": dropped. os "Unknown": not an IP field, kept.
      os: 'Unknown',
      private_display_name: 'Admin',
      public_display_name: 'Admin',
      public_ip: '2a01:e34:ec57:b230:f188:56c5:7089:d987',
      seconds_involved: 901,
      session_owner: 1,
      type: 'representative',
      username: 'admin',
    });
    assert.deepEqual(first!.destination, {
      '#text': 'Sekoia.io integration',
      gsnumber: '22',
      hostname: 'Windows2022',
      os: 'Windows Server 2022 Datacenter Azure Edition (21H2)',
      private_ip: '10.0.0.4',
      public_ip: '4.231.237.19',
      type: 'customer',
      username: 'Sekoia.io integration',
    });
  });
});

describe('message: the integration pipeline test event (pipeline-test-event.log)', () => {
  // The pipeline test's input is a hand-written message. Its equivalent XML, as PRA would send it:
  // the log's destination is a representative "R56789" with other IPs than performed_by's
  // "R56789", which one report cannot express, so the destination here is "R56790".
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<session_list>
  <session lsid="12345">
    <session_type>support</session_type>
    <lseq>12345</lseq>
    <start_time timestamp="1704110400">2024-01-01T12:00:00Z</start_time>
    <end_time timestamp="1704114000">2024-01-01T13:00:00Z</end_time>
    <duration>01:00:00</duration>
    <jump_group type="shared" id="56789">Support Team</jump_group>
    <jumpoint id="98765">Main Jumpoint</jumpoint>
    <custom_attributes>
      <custom_attribute display_name="priority" code_name="priority">High</custom_attribute>
      <custom_attribute display_name="priority" code_name="priority">High</custom_attribute>
    </custom_attributes>
    <session_chat_view_url>https://example.com/chat_view/12345</session_chat_view_url>
    <session_chat_download_url>https://example.com/chat_download/12345</session_chat_download_url>
    <session_recording_view_url>https://example.com/recording_view/12345</session_recording_view_url>
    <session_recording_download_url>https://example.com/recording_download/12345</session_recording_download_url>
    <command_shell_recordings>
      <command_shell_recording instance="0">
        <download_url>https://example.com/shell_download/12345</download_url>
        <view_url>https://example.com/shell_view/12345</view_url>
      </command_shell_recording>
      <command_shell_recording instance="0">
        <download_url>https://example.com/shell_download/12345</download_url>
        <view_url>https://example.com/shell_view/12345</view_url>
      </command_shell_recording>
    </command_shell_recordings>
    <file_transfer_count>3</file_transfer_count>
    <file_move_count>1</file_move_count>
    <primary_customer gsnumber="C12345">Remote PC</primary_customer>
    <primary_rep gsnumber="R56789" id="112233">John Doe</primary_rep>
    <rep_list>
      <representative gsnumber="R56789" id="112233">
        <username>admin_user</username>
        <display_name>Admin</display_name>
        <public_ip>216.160.83.56</public_ip>
        <private_ip>1.128.0.1</private_ip>
        <hostname>admin-host</hostname>
        <os>Windows 11</os>
        <session_owner>1</session_owner>
        <seconds_involved>3600</seconds_involved>
        <invited>1</invited>
      </representative>
      <representative gsnumber="R56790" id="112233">
        <username>admin_user</username>
        <display_name>Admin</display_name>
        <public_ip>81.2.69.142</public_ip>
        <private_ip>1.128.0.0</private_ip>
        <hostname>admin-host</hostname>
        <os>Windows 11</os>
        <session_owner>1</session_owner>
        <seconds_involved>3600</seconds_involved>
        <invited>1</invited>
      </representative>
    </rep_list>
    <session_details>
      <event timestamp="2024-01-01T12:30:00Z" event_type="Session Start">
        <performed_by gsnumber="R56789" type="representative" />
        <destination gsnumber="R56790" type="representative" />
        <body>Session started by Admin</body>
        <encoded_body>U2Vzc2lvbiBzdGFydGVkIGJ5IEFkbWlu</encoded_body>
        <filename>logfile.txt</filename>
        <filesize>1024</filesize>
        <files>
          <file><filename>logfile.txt</filename><filesize>1024</filesize></file>
          <file><filename>logfile.txt</filename><filesize>1024</filesize></file>
        </files>
        <system_information>
          <category>
            <description>
              <field name="os">Operating System</field>
              <field name="hostname">Hostname</field>
            </description>
            <data>
              <row>
                <field name="os">Windows 10</field>
                <field name="hostname">remote-host</field>
              </row>
            </data>
          </category>
        </system_information>
        <data>
          <value name="username" value="JohnDoe" />
          <value name="private_ip" value="128.0.0.1" />
        </data>
      </event>
    </session_details>
  </session>
</session_list>`;

  it('has the same content as the pipeline test input, except the two documented points', async () => {
    const [message] = await messagesOf(xml);
    const log = JSON.parse(readReference('elastic-integration/pipeline-test-event.log').trim()) as unknown;
    assert.deepEqual(differences(message, log), [
      // One report cannot hold two different representatives with the same gsnumber.
      { path: 'destination.gsnumber', kind: 'value', ours: 'R56790', theirs: 'R56789' },
      // Hand-written numbers; the collector's real output (mock-response.message.json) has strings
      // here, and the pipeline converts both (convert_files_file_filesize_to_long).
      { path: 'files.file[0].filesize', kind: 'type', ours: '1024', theirs: 1024 },
      { path: 'files.file[1].filesize', kind: 'type', ours: '1024', theirs: 1024 },
    ]);
  });

  it('renders single repeating elements (row, category) as arrays, like the test input', async () => {
    const [message] = await messagesOf(xml);
    const category = (message!.system_information as JsonObject).category as JsonObject[];
    assert.equal(category.length, 1);
    assert.ok(Array.isArray((category[0]!.data as JsonObject).row));
  });
});

describe('message: decoding rules (as mito decode_xml with the integration XSD)', () => {
  it('makes XSD-repeating elements arrays even when single, and any repeated element an array', async () => {
    const [m] = await messagesOf(
      report(
        `<custom_attributes><custom_attribute code_name="a" display_name="A">x</custom_attribute></custom_attributes>
         <external_key>k1</external_key><external_key>k2</external_key>`,
        `<event timestamp="1" event_type="E"><data><value name="n" value="v"/></data>
           <files><file><filename>f</filename><filesize>5</filesize></file></files></event>`,
      ),
    );
    const session = m!.session as JsonObject;
    assert.deepEqual(session.custom_attributes, { custom_attribute: [{ '#text': 'x', code_name: 'a', display_name: 'A' }] });
    assert.deepEqual(session.external_key, ['k1', 'k2']);
    assert.deepEqual(m!.data, { value: [{ name: 'n', value: 'v' }] });
    assert.deepEqual(m!.files, { file: [{ filename: 'f', filesize: '5' }] });
  });

  it('types integer elements only when their whole trimmed text is a base-10 int64; never attributes', async () => {
    const [m] = await messagesOf(
      report(
        `<file_transfer_count> 7 </file_transfer_count><file_move_count>Unknown</file_move_count>
         <file_delete_count>99999999999999999999</file_delete_count>
         <command_shell_recordings><command_shell_recording instance="3"><download_url>d</download_url><view_url>v</view_url></command_shell_recording></command_shell_recordings>`,
        `<event timestamp="1" event_type="E"><filesize>+12</filesize></event>`,
      ),
    );
    const session = m!.session as JsonObject;
    assert.equal(session.file_transfer_count, 7);
    assert.equal(session.file_move_count, 'Unknown');
    assert.equal(session.file_delete_count, '99999999999999999999', 'beyond int64: left as text');
    assert.deepEqual(session.command_shell_recordings, { command_shell_recording: [{ download_url: 'd', instance: '3', view_url: 'v' }] });
    assert.equal(m!.filesize, 12);
  });

  it('handles empty, attribute-only and whitespace-only elements like the collector', async () => {
    const [m] = await messagesOf(
      report(
        `<external_key/><duration>
         </duration><jumpoint id="9"></jumpoint><jump_group type="shared" id="1">  Team  </jump_group>`,
        `<event timestamp="1" event_type="E"><body></body><performed_by type="system" gsnumber="0"/></event>`,
      ),
    );
    const session = m!.session as JsonObject;
    assert.equal(session.external_key, '');
    assert.equal(session.duration, '');
    assert.deepEqual(session.jumpoint, { id: '9' });
    assert.deepEqual(session.jump_group, { '#text': 'Team', id: '1', type: 'shared' });
    assert.equal(m!.body, '');
    assert.deepEqual(m!.performed_by, { gsnumber: '0', type: 'system' });
  });

  it('trims like Go bytes.TrimSpace (NBSP and NEL trimmed, BOM kept)', async () => {
    const [m] = await messagesOf(report(`<duration>\u00a0\u008501:00:00\u3000</duration><lseq>\ufeff1</lseq>`, `<event timestamp="1" event_type="E"/>`));
    const session = m!.session as JsonObject;
    assert.equal(session.duration, '01:00:00');
    assert.equal(session.lseq, '\ufeff1');
  });

  it('lets an attribute win over a child element of the same name, and keeps unknown elements', async () => {
    const [m] = await messagesOf(report(`<jumpoint id="attr"><id>child</id></jumpoint><new_thing>x</new_thing>`, `<event timestamp="1" event_type="E"/>`));
    const session = m!.session as JsonObject;
    assert.deepEqual(session.jumpoint, { id: 'attr' });
    assert.equal(session.new_thing, 'x');
  });

  it('is safe with an element called __proto__', async () => {
    const [m] = await messagesOf(report(`<__proto__>x</__proto__>`, `<event timestamp="1" event_type="E"/>`));
    const session = m!.session as JsonObject;
    assert.ok(Object.hasOwn(session, '__proto__'));
    assert.equal(Object.getPrototypeOf(session), Object.prototype);
    assert.match(encodeMessage(m!), /"__proto__":"x"/);
  });

  it('encodes like Go encoding/json (HTML characters and U+2028/U+2029 escaped)', () => {
    assert.equal(encodeMessage({ a: '<b> & \u2028\u2029 é 🚀 "q" \\ \n' }), '{"a":"\\u003cb\\u003e \\u0026 \\u2028\\u2029 é 🚀 \\"q\\" \\\\ \\n"}');
  });

  it('orders keys by UTF-8 bytes (code points), not UTF-16 units', () => {
    const keys = ['\uffff', '#text', 'b', 'a', '\u{1f680}', 'é'];
    assert.deepEqual([...keys].sort(compareUtf8), ['#text', 'a', 'b', 'é', '\uffff', '\u{1f680}']);
  });
});

describe('message: performed_by / destination', () => {
  const events = `
      <event timestamp="1" event_type="A"><performed_by type="representative" gsnumber="21"/><destination type="customer" gsnumber="22"/></event>
      <event timestamp="2" event_type="B"><performed_by type="customer" gsnumber="23"/><destination type="representative" gsnumber="99"/></event>
      <event timestamp="3" event_type="C"><performed_by type="representative" gsnumber="22"/><destination type="customer" gsnumber="98">Someone</destination></event>`;

  it('merges the matching representative or customer (its keys win), types its integers', async () => {
    const [a] = await messagesOf(report(PARTICIPANTS, events));
    assert.deepEqual(a!.performed_by, {
      display_name: 'Admin',
      gsnumber: '21',
      hostname: 'adminhost',
      id: '1',
      invited: 0,
      os: 'Unknown',
      public_ip: '2a01:e34:ec57:b230:f188:56c5:7089:d987',
      seconds_involved: 901,
      session_owner: 1,
      type: 'representative',
      username: 'admin',
    });
    assert.deepEqual(a!.destination, {
      gsnumber: '22',
      hostname: 'custhost',
      os: 'Windows',
      private_ip: '10.0.0.4',
      public_ip: '4.231.237.19',
      type: 'customer',
      username: 'cust',
    });
  });

  it('drops Unknown and empty IPs of a matched customer', async () => {
    const [, b] = await messagesOf(report(PARTICIPANTS, events));
    assert.deepEqual(b!.performed_by, { gsnumber: '23', hostname: 'custhost2', os: 'Linux', type: 'customer', username: 'cust2' });
  });

  it('(a) keeps only the own attributes/text of an unmatched destination (no first-customer fallback)', async () => {
    const [, b, c] = await messagesOf(report(PARTICIPANTS, events));
    assert.deepEqual(b!.destination, { gsnumber: '99', type: 'representative' });
    assert.deepEqual(c!.destination, { '#text': 'Someone', gsnumber: '98', type: 'customer' });
    // The kind decides where to look: a representative gsnumber that is a customer's does not match.
    assert.deepEqual(c!.performed_by, { gsnumber: '22', type: 'representative' });
  });

  it('leaves them out when the event has none, and survives empty participant lists', async () => {
    const [m] = await messagesOf(report('<customer_list></customer_list><rep_list/>', `<event timestamp="1" event_type="E"><destination type="customer" gsnumber="1"/></event>`));
    assert.ok(!('performed_by' in m!));
    assert.deepEqual(m!.destination, { gsnumber: '1', type: 'customer' });
  });
});

describe('message: (c) session.lsid', () => {
  it('uses the lsid attribute when present, even when a synthetic one is offered', async () => {
    const [m] = await messagesOf(report('', `<event timestamp="1" event_type="E"/>`, 'abc'), 'synthetic');
    assert.equal((m!.session as JsonObject).lsid, 'abc');
  });

  it('uses the synthetic lsid when the session has none (or an empty one)', async () => {
    for (const lsid of [null, '', '  ']) {
      const [m] = await messagesOf(report('', `<event timestamp="1" event_type="E"/>`, lsid), 'synthetic');
      assert.equal((m!.session as JsonObject).lsid, 'synthetic');
    }
  });

  it('refuses to build a message without any lsid', async () => {
    const [s] = await parseReport(report('', `<event timestamp="1" event_type="E"/>`, null));
    assert.throws(() => buildMessage(messageSession(s!.header), s!.events[0]!), { name: 'TypeError', message: /syntheticLsid/ });
    assert.throws(() => buildMessage(messageSession(s!.header), s!.events[0]!, { syntheticLsid: ' ' }), TypeError);
  });
});

describe('normalizeIp', () => {
  const cases: [string, string | null][] = [
    ['4.231.237.19:61606', '4.231.237.19'],
    ['[2a01:e34::1]:56722', '2a01:e34::1'],
    ['[2a01:e34::1]', '2a01:e34::1'],
    ['2a01:e34::1', '2a01:e34::1'],
    ['10.0.0.4', '10.0.0.4'],
    ['::ffff:10.0.0.4', '::ffff:10.0.0.4'],
    ['Unknown', null],
    ['unknown', null],
    ['', null],
    ['  ', null],
    ['999.1.1.1:80', '999.1.1.1:80'],
    ['[not-an-ip]:80', '[not-an-ip]:80'],
    ['host.example.com', 'host.example.com'],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} → ${JSON.stringify(expected)}`, () => {
      assert.equal(normalizeIp(input), expected);
    });
  }
});

describe('xsd-shape: written from access_session.xsd', () => {
  const INTEGER_TYPES = new Set(['byte', 'short', 'int', 'integer', 'long', 'nonNegativeInteger', 'nonPositiveInteger', 'positiveInteger', 'negativeInteger', 'unsignedByte', 'unsignedShort', 'unsignedInt', 'unsignedLong']);
  /** The one integer path the collector's observed output leaves a string (see xsd-shape.ts). */
  const OBSERVED_STRING = 'session_list/session/session_details/event/files/file/filesize';

  /** Element paths of the XSD that repeat, and that have an integer type. */
  function readXsd(): { plural: string[]; integer: string[] } {
    const plural: string[] = [];
    const integer: string[] = [];
    const path: (string | null)[] = [];
    const parser = new SaxesParser();
    parser.on('opentag', (tag) => {
      const isElement = tag.name === 'xs:element';
      const name = isElement ? tag.attributes.name : undefined;
      path.push(isElement && typeof name === 'string' ? name : null);
      if (!isElement || typeof name !== 'string') return;
      const here = path.filter((p) => p !== null).join('/');
      if (tag.attributes.maxOccurs === 'unbounded') plural.push(here);
      const type = tag.attributes.type;
      if (typeof type === 'string' && INTEGER_TYPES.has(type.replace(/^xs:/, ''))) integer.push(here);
    });
    parser.on('closetag', () => {
      path.pop();
    });
    parser.write(readReference('elastic-integration/access_session.xsd')).close();
    return { plural: plural.sort(), integer: integer.sort() };
  }

  function readShape(): { plural: string[]; integer: string[] } {
    const plural: string[] = [];
    const integer: string[] = [];
    const walk = (node: XsdNode, here: string) => {
      if (node.plural === true) plural.push(here);
      if (node.integer === true) integer.push(here);
      for (const [name, child] of Object.entries(node.children ?? {})) walk(child, `${here}/${name}`);
    };
    walk(SESSION_LIST_SHAPE, 'session_list');
    return { plural: plural.sort(), integer: integer.sort() };
  }

  it('marks exactly the XSD maxOccurs="unbounded" element paths as arrays', () => {
    const xsd = readXsd();
    assert.ok(xsd.plural.length >= 10, 'the XSD was read');
    assert.deepEqual(readShape().plural, xsd.plural);
  });

  it('marks exactly the XSD integer element paths as numbers, but files/file/filesize (observed string)', () => {
    const xsd = readXsd();
    assert.ok(xsd.integer.includes(OBSERVED_STRING), 'the XSD declares it an integer');
    assert.deepEqual(readShape().integer, xsd.integer.filter((p) => p !== OBSERVED_STRING));
  });
});
