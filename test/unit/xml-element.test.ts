// parseElementXml reads plain XML text (most events and session headers) with a small scanner and
// leaves everything else to saxes. The scanner must give the very tree saxes gives, or give up:
// never a different tree, never a tree for text saxes refuses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAccessSessionReport } from '../../electron/engine/pra/report-parser.ts';
import { splitPlainElementXml } from '../../electron/engine/pra/xml-children.ts';
import { parseElementXml, parseElementXmlWithSaxes, parsePlainElementXml, type XmlElement } from '../../electron/engine/pra/xml-element.ts';
import { generateCorpus, REPORTING_NAMESPACES } from '../simulators/pra/index.ts';
import { renderAccessSessionReport } from '../simulators/pra/report-xml.ts';
import { completeSession } from '../simulators/pra/session-defaults.ts';

const T = 1_733_000_000;

async function corpusTexts(): Promise<string[]> {
  const corpus = generateCorpus({ seed: 'xml-element', from: T - 86_400, to: T - 3600, sessions: 80, inProgressShare: 0.2 }).map((s) => completeSession(s));
  const ctx = { now: T, namespace: REPORTING_NAMESPACES.sra, siteHostname: 'access.example.com', inProgressEndTime: 'empty' as const };
  async function* body() {
    for (const piece of renderAccessSessionReport(corpus, ctx)) yield typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
  }
  const texts: string[] = [];
  for await (const item of parseAccessSessionReport(body())) {
    if (item.type === 'session') texts.push(item.header.xml);
    else if (item.type === 'event') texts.push(item.event.xml);
  }
  return texts;
}

function saxes(xml: string): XmlElement | Error {
  try {
    return parseElementXmlWithSaxes(xml);
  } catch (error) {
    return error as Error;
  }
}

/** The scanner's answer is saxes' tree, or null (saxes decides). */
function assertAgrees(xml: string) {
  const plain = parsePlainElementXml(xml);
  if (plain === null) return;
  const expected = saxes(xml);
  assert.ok(!(expected instanceof Error), `the scanner read text saxes refuses (${expected instanceof Error ? expected.message : ''}): ${JSON.stringify(xml)}`);
  assert.deepStrictEqual(plain, expected, JSON.stringify(xml));
}

describe('parseElementXml: the plain scanner and saxes', () => {
  it('read every event and session header of a corpus alike, without falling back', async () => {
    const texts = await corpusTexts();
    assert.ok(texts.length > 1000, `${texts.length} texts`);
    for (const xml of texts) {
      const plain = parsePlainElementXml(xml);
      assert.notEqual(plain, null, `fell back to saxes: ${xml.slice(0, 200)}`);
      assert.deepStrictEqual(plain, parseElementXmlWithSaxes(xml));
    }
  });

  it('agree on written-out cases, the plain ones read by the scanner', () => {
    const plainCases = [
      '<a/>',
      '<a />',
      '<a></a >',
      '<p:a xmlns:p="urn:x" xmlns="urn:y" p:b="1" c = \'2\'>t<p:c/></p:a>',
      '<a x="1&amp;2&lt;3&gt;&quot;&apos;">&lt;b&gt; &amp; c</a>',
      '<a x="line\nbreak\ttab">  text\n  <b>in</b> between <c/> after  </a>',
      '<a x="&gt;>">></a>',
      '<a p:x="1" q:x="2"/>',
      '<a __proto__="x" b="y"/>',
      '<event timestamp="1" event_type="Chat Message"><body>héllo ✓ </body></event>',
    ];
    for (const xml of plainCases) {
      assert.notEqual(parsePlainElementXml(xml), null, xml);
      assertAgrees(xml);
    }
    const leftToSaxes = [
      '<a><!-- c --></a>',
      '<a><![CDATA[x<y]]></a>',
      '<a>&#65;</a>',
      '<a>x\r\ny</a>',
      '<a x="\r"/>',
      '<?xml version="1.0"?><a/>',
      ' <a/>',
      '<a/> ',
      '<é/>',
      '<a>😀</a>',
      '<a>&nbsp;</a>',
      '<a>&amp</a>',
      '<a x=1/>',
      '<a x="1"y="2"/>',
      '<a x="1" x="2"/>',
      '<a x="<"/>',
      '<a>]]></a>',
      '<a><b></a></b>',
      '<a></b>',
      '<a>',
      '<a/><b/>',
      '<a x/>',
      '<a / >',
      '<p:a p:__proto__="x"/>',
      '<a>\u0001</a>',
      '',
    ];
    for (const xml of leftToSaxes) assert.equal(parsePlainElementXml(xml), null, JSON.stringify(xml));
    // Through parseElementXml, the same outcome as saxes: its tree, or its refusal.
    for (const xml of [...plainCases, ...leftToSaxes]) {
      const expected = saxes(xml);
      if (expected instanceof Error) assert.throws(() => parseElementXml(xml), JSON.stringify(xml));
      else assert.deepStrictEqual(parseElementXml(xml), expected, JSON.stringify(xml));
    }
  });

  it('agree on corpus texts with characters inserted, removed or swapped at random', async () => {
    const texts = (await corpusTexts()).slice(0, 300);
    let read = 0;
    for (const xml of mutated(texts)) {
      assertAgrees(xml);
      if (parsePlainElementXml(xml) !== null) read++;
    }
    assert.ok(read > 500, `the scanner read ${read} of the changed texts`);
  });
});

/**
 * What splitPlainElementXml gives is saxes' tree cut at its top level: the root's attributes, and
 * each child's text reads back to saxes' child. And it never makes text saxes refuses readable: then
 * one of the children fails to read.
 */
function assertSplitAgrees(xml: string): boolean {
  const parts = splitPlainElementXml(xml);
  if (parts === null) return false;
  const children: (XmlElement | Error)[] = parts.children.map((c) => {
    try {
      return parseElementXml(c.xml);
    } catch (error) {
      return error as Error;
    }
  });
  const expected = saxes(xml);
  if (expected instanceof Error) {
    assert.ok(children.some((c) => c instanceof Error), `split text saxes refuses (${expected.message}) into readable children: ${JSON.stringify(xml)}`);
    return true;
  }
  assert.match(expected.text, /^[ \t\n]*$/, `split an element with text of its own: ${JSON.stringify(xml)}`);
  assert.deepStrictEqual(parts.attrs, expected.attrs, JSON.stringify(xml));
  assert.deepStrictEqual(children, expected.children, JSON.stringify(xml));
  assert.deepStrictEqual(parts.children.map((c) => c.name), expected.children.map((c) => c.name));
  return true;
}

describe('splitPlainElementXml: an element cut at its top level', () => {
  it('cuts every event of a corpus as saxes reads it', async () => {
    const events = (await corpusTexts()).filter((t) => t.startsWith('<event'));
    assert.ok(events.length > 500, `${events.length} events`);
    for (const xml of events) assert.ok(assertSplitAgrees(xml), `not cut: ${xml.slice(0, 200)}`);
  });

  it('cuts written-out cases as saxes reads them, and leaves the others whole', () => {
    const cut = [
      '<event a="1"></event>',
      '<event a="1">\n</event >',
      '<p:event xmlns:p="urn:x" p:a="1">\n\t<p:b x="a>b/>" y=\'"\'/>\n<c>t<d/>&amp;</c>\n<c/></p:event>',
      '<event><b x="/"></b><b>x</b></event>',
      '<event><b></c></event>',
      '<event><b>&#65;</b><c>x\r\ny</c></event>',
    ];
    for (const xml of cut) assert.ok(assertSplitAgrees(xml), JSON.stringify(xml));
    const whole = [
      '<event/>',
      '<event>text<b/></event>',
      '<event><b/>text</event>',
      '<event>&amp;<b/></event>',
      '<event>\r\n<b/></event>',
      '<event><!-- c --><b/></event>',
      '<event><b><!-- </b> --></b></event>',
      '<event><b><![CDATA[</b>]]></b></event>',
      '<event><c><![CDATA[x]]></c></event>',
      '<event><?pi x?></event>',
      '<event><b/></event> ',
      '<event><b/></events>',
      '<event><b/></event><c/>',
      '<event><b/>',
      '<event><b x="1></b></event>',
      '<event a="&#65;"><b/></event>',
      '<event a="1" a="2"><b/></event>',
      ' <event/>',
      '',
    ];
    for (const xml of whole) assert.equal(splitPlainElementXml(xml), null, JSON.stringify(xml));
  });

  it('agrees with saxes on corpus events with characters inserted, removed or swapped at random', async () => {
    const events = (await corpusTexts()).filter((t) => t.startsWith('<event')).slice(0, 300);
    let cut = 0;
    for (const xml of mutated(events)) if (assertSplitAgrees(xml)) cut++;
    assert.ok(cut > 500, `${cut} of the changed events cut`);
  });
});

/** Each text, changed 20 times at random (1-2 characters inserted, removed or swapped). */
function* mutated(texts: string[]): Generator<string> {
  const pieces = ['<', '>', '/', '&', ';', '"', "'", '=', ' ', '\n', '\t', '\r', ':', 'x', '&amp;', '&#', ']]>', '<!--', '-->', 'é', '\u0000'];
  // A fixed pseudo-random sequence (the test is the same at every run).
  let seed = 0x2545f491;
  const random = (n: number) => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) % n;
  };
  for (let round = 0; round < 20; round++) {
    for (const original of texts) {
      let xml = original;
      for (let k = 1 + random(2); k > 0; k--) {
        const at = random(xml.length + 1);
        const what = random(3);
        if (what === 0) xml = xml.slice(0, at) + pieces[random(pieces.length)]! + xml.slice(at);
        else if (what === 1) xml = xml.slice(0, at) + xml.slice(at + 1 + random(3));
        else xml = xml.slice(0, at) + pieces[random(pieces.length)]! + xml.slice(at + 1);
      }
      yield xml;
    }
  }
}
