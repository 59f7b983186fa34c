// The shipper writes each event's message directly as text (message-text.ts); message.ts spells out
// the collector's rules on plain objects and is the definition. The two must give the same bytes,
// for every rule: checked here on random sessions and events built to hit each of them (repeated
// and XSD-plural elements, integer paths, attributes named like children, Go's escapes, keys
// beyond U+D800, participants found or not, IPs with ports, Unix timestamps), and on the body
// buffers the batches are sent as.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bodyOf } from '../../electron/engine/elastic/bulk-request.ts';
import { BulkBodyWriter } from '../../electron/engine/elastic/bulk-body.ts';
import { buildMessage, encodeMessage, type MessageSession } from '../../electron/engine/elastic/message.ts';
import { eventMessageText, prepareSessionText } from '../../electron/engine/elastic/message-text.ts';
import { childShape, EVENT_SHAPE, SESSION_SHAPE, type XsdNode } from '../../electron/engine/elastic/xsd-shape.ts';
import { splitPlainElementXml } from '../../electron/engine/pra/xml-children.ts';
import { parseElementXml } from '../../electron/engine/pra/xml-element.ts';
import type { SessionEvent } from '../../electron/engine/pra/report-types.ts';

/** Deterministic: a failure names its seed and can be replayed. */
function random(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T,>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
  return { next, pick, int: (n: number) => Math.floor(next() * n) };
}

const TEXTS = [
  '', '  ', 'plain', ' padded\n ', '<b>&"\\\'', 'line\u2028sep\u2029', 'tab\there', '42', ' 42 ', '007', '-0', '+5', '1e3',
  '99999999999999999999', '9223372036854775807', '-9223372036854775808', '-9223372036854775809', '1234567890123456',
  '1733239565', '2024-12-03T15:26:05Z', 'Unknown', 'unknown', '10.0.0.1:5000', '4.231.237.19', '[2a01:e34::1]:56722',
  '[::1]', 'é', 'Ｚ', '😀 emoji', '\u0085nel\u00a0', 'x'.repeat(40), 'https://h/dl?lsid=l%3D9e&dl_action=chat&view=1', 'a<b>c',
];
const NAMES = ['a', 'b', 'gsnumber', 'type', 'public_ip', 'private_ip', 'hostname', 'timestamp', 'session', 'lsid', 'é', 'Ｚz', '𝒜', 'aa', 'A', '_x'];

type Tree = { name: string; attrs: Record<string, string>; children: Tree[]; text: string };

function tree(r: ReturnType<typeof random>, name: string, shape: XsdNode | undefined, depth: number): Tree {
  const node: Tree = { name, attrs: {}, children: [], text: '' };
  const attrCount = r.int(depth === 0 ? 4 : 3);
  for (let i = 0; i < attrCount; i++) node.attrs[r.pick(NAMES)] = r.pick(TEXTS);
  if (depth < 3 && r.next() < 0.7) {
    const names = [...Object.keys(shape?.children ?? {}), ...NAMES];
    const count = r.int(5);
    for (let i = 0; i < count; i++) {
      const child = r.pick(names);
      // Often the same name twice in a row (repetition), sometimes apart.
      const times = r.next() < 0.25 ? 2 : 1;
      for (let k = 0; k < times; k++) node.children.push(tree(r, child, childShape(shape, child), depth + 1));
    }
  }
  if (r.next() < 0.6) node.text = r.pick(TEXTS);
  return node;
}

function participantTree(r: ReturnType<typeof random>, name: 'representative' | 'customer', gsnumber: string): Tree {
  const field = (n: string, t: string): Tree => ({ name: n, attrs: {}, children: [], text: t });
  const children = [field('username', r.pick(['alice', 'bob', '<x&y>'])), field('public_ip', r.pick(TEXTS)), field('private_ip', r.pick(TEXTS))];
  if (name === 'representative') children.push(field('seconds_involved', r.pick(['12', 'Unknown', ''])));
  return { name, attrs: { gsnumber, ...(r.next() < 0.3 ? { type: r.pick(['x', 'representative']) } : {}) }, children, text: '' };
}

function xmlOf(t: Tree): string {
  const escape = (s: string, attr: boolean) => {
    let out = s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    if (attr) out = out.replace(/"/g, '&quot;').replace(/\t/g, '&#9;').replace(/\n/g, '&#10;');
    return out;
  };
  const attrs = Object.entries(t.attrs).map(([k, v]) => ` ${k}="${escape(v, true)}"`).join('');
  return `<${t.name}${attrs}>${escape(t.text, false)}${t.children.map(xmlOf).join('')}</${t.name}>`;
}

function sessionAndEvent(seed: number): { header: MessageSession; event: SessionEvent } {
  const r = random(seed);
  const session = tree(r, 'session', SESSION_SHAPE, 1);
  if (r.next() < 0.8) session.attrs.lsid = r.pick(['abc', '', ' ']);
  const gs = ['1', '2', '3', ' 1'];
  session.children.push({ name: 'rep_list', attrs: {}, children: [participantTree(r, 'representative', r.pick(gs)), participantTree(r, 'representative', r.pick(gs))], text: '' });
  if (r.next() < 0.8) session.children.push({ name: 'customer_list', attrs: {}, children: [participantTree(r, 'customer', r.pick(gs))], text: '' });
  const event = tree(r, 'event', EVENT_SHAPE, 1);
  event.attrs.timestamp = r.pick(['1733239565', ' 1733239565 ', '2024-12-03T15:26:05Z', 'later', '1234567890123']);
  for (const key of ['performed_by', 'destination']) {
    if (r.next() < 0.8) {
      const attrs: Record<string, string> = { gsnumber: r.pick([...gs, '9']), type: r.pick(['representative', 'customer', 'system']) };
      if (r.next() < 0.3) attrs.public_ip = r.pick(TEXTS);
      event.children.push({ name: key, attrs, children: [], text: r.pick(['', 'Name <n@x>']) });
      if (r.next() < 0.1) event.children.push({ name: key, attrs, children: [], text: 'again' });
    }
  }
  const header: MessageSession = { lsid: session.attrs.lsid ?? null, startTime: 1_733_000_000, tree: parseElementXml(xmlOf(session)) };
  return { header, event: { ordinal: 0, timestamp: null, xml: xmlOf(event) } as SessionEvent };
}

describe('the message written as text', () => {
  it('is byte for byte the message message.ts builds, on 3,000 random sessions and events', () => {
    let withParticipants = 0;
    let cut = 0;
    let remembered = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const { header, event } = sessionAndEvent(seed);
      const expected = encodeMessage(buildMessage(header, event, { syntheticLsid: 'synthetic' }));
      // Read twice: the second time its children come from what its session remembered.
      const session = prepareSessionText(header, { syntheticLsid: 'synthetic' });
      for (let time = 0; time < 2; time++) {
        const actual = eventMessageText(session, event);
        assert.equal(actual, expected, `seed ${seed}\n${event.xml}`);
      }
      if (/"performed_by":\{[^}]*"username"/.test(expected)) withParticipants++;
      const parts = splitPlainElementXml(event.xml);
      if (parts !== null) {
        cut++;
        if (parts.children.length > 0) remembered += session.children.size > 0 ? 1 : 0;
      }
    }
    // The generator does reach the participant rule (and so the comparison covers it), and events
    // are read both child by child (without text of their own) and whole.
    assert.ok(withParticipants > 300, `${withParticipants} events enriched`);
    assert.ok(cut > 500 && cut < 2500, `${cut} events read child by child`);
    assert.ok(remembered > 500, `${remembered} sessions remembered their event's children`);
  });

  it("remembers a session's event children in that session only, bounded in count and size", () => {
    const { header } = sessionAndEvent(7);
    const event = (i: number, note: string) =>
      ({ ordinal: i, timestamp: null, xml: `<event timestamp="1733239565" event_type="x"><memo_test value="${note}"/><body_test>${i >> 1}</body_test></event>` }) as SessionEvent;
    const one = prepareSessionText(header, { syntheticLsid: 'synthetic' });
    const other = prepareSessionText(header, { syntheticLsid: 'synthetic' });
    // 600 different bodies, each in two events in a row (found again half the time: remembered).
    for (let i = 0; i < 1200; i++) eventMessageText(one, event(i, 'same'));
    assert.equal(one.children.size, 512, 'at most 512 children kept');
    assert.equal(other.children.size, 0, 'another session starts with nothing remembered');
    eventMessageText(other, event(0, 'y'.repeat(2000)));
    assert.ok([...other.children.keys()].every((xml) => xml.length <= 1024), 'a child of more than 1,024 characters is read each time');
    assert.equal(eventMessageText(other, event(1, 'same')), eventMessageText(one, event(1, 'same')));
  });

  it('stops remembering children that never repeat, and tries them again later', () => {
    const { header } = sessionAndEvent(11);
    const event = (i: number) => ({ ordinal: i, timestamp: null, xml: `<event timestamp="1733239565" event_type="x"><retry_test>${i}</retry_test></event>` }) as SessionEvent;
    const first = prepareSessionText(header, { syntheticLsid: 'synthetic' });
    for (let i = 0; i < 300; i++) eventMessageText(first, event(i));
    assert.equal(first.children.size, 256, 'remembered for its first 256 lookups, none found again');
    const later = prepareSessionText(header, { syntheticLsid: 'synthetic' });
    for (let i = 300; i < 4096; i++) eventMessageText(later, event(i));
    assert.equal(later.children.size, 0, 'then read each time');
    const again = prepareSessionText(header, { syntheticLsid: 'synthetic' });
    eventMessageText(again, event(5000));
    assert.equal(again.children.size, 1, 'after 4,096 of them, remembered again');
  });
});

describe('bulk bodies as bytes', () => {
  it('the writer grows, truncates and hands over exactly what was written', () => {
    const writer = new BulkBodyWriter(8);
    writer.writeString('héllo ');
    writer.writeBytes(Buffer.from('wörld'));
    const mark = writer.length;
    writer.writeString('😀 dropped');
    writer.truncate(mark);
    writer.writeString('\n');
    const first = writer.take();
    assert.equal(first.body.toString('utf8'), 'héllo wörld\n');
    assert.equal(first.body.buffer, first.owned.buffer);
    assert.equal(writer.length, 0);
    writer.writeString('next');
    assert.equal(writer.take().body.toString('utf8'), 'next');
  });

  it('a buffer given back is written again, and only once', () => {
    const writer = new BulkBodyWriter(16);
    writer.writeString('first body');
    const { owned } = writer.take(); // the writer moved on to a new buffer
    writer.recycle(owned);
    writer.writeString('x');
    writer.take(); // the buffer after this one is the recycled one
    writer.writeString('second');
    const second = writer.take();
    assert.equal(second.body.buffer, owned.buffer, 'the recycled buffer is written again');
    assert.equal(second.body.toString(), 'second');
    writer.writeString('third');
    assert.notEqual(writer.take().body.buffer, owned.buffer, 'not handed out twice');
    // Idle (nothing to ship): buffers given back are let go, not written again.
    writer.recycle(second.owned);
    writer.idle();
    writer.writeString('after idle');
    writer.take();
    writer.writeString('later');
    assert.notEqual(writer.take().body.buffer, second.owned.buffer, 'let go when idle');
  });

  it('a batch is sent as one buffer: its own views without a copy, lines from several bodies joined, arrays from a thread made Buffers', () => {
    const body = Buffer.from('one\ntwo\nthree\n');
    const lines = [body.subarray(0, 4), body.subarray(4, 8), body.subarray(8)];
    const whole = bodyOf({ lines, bytes: body.length });
    assert.ok(Buffer.isBuffer(whole));
    assert.equal(whole.buffer, body.buffer, 'no copy');
    assert.equal(whole.toString(), 'one\ntwo\nthree\n');
    const mixed = bodyOf({ lines: [lines[2]!, Buffer.from('other\n'), lines[0]!], bytes: 16 });
    assert.equal(mixed.toString(), 'three\nother\none\n');
    // What a worker thread's message turns a Buffer into.
    const cloned = structuredClone(lines).map((l) => new Uint8Array(l.buffer, l.byteOffset, l.byteLength)) as unknown as Buffer[];
    const fromThread = bodyOf({ lines: cloned, bytes: body.length });
    assert.ok(Buffer.isBuffer(fromThread));
    assert.equal(fromThread.toString(), 'one\ntwo\nthree\n');
  });
});
