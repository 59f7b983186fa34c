// The shipper writes each event's bulk lines as text, with the session's part of the message built
// once per session: the text must be exactly what serialising the action and buildDocument's object
// gives, for every event of a varied corpus (participants, system targets, encoded bodies,
// non-ASCII, characters Go escapes), and for sessions without an lsid.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventLines, lineSession, lineTemplate } from '../../electron/engine/elastic/bulk-lines.ts';
import { buildDocument, dataStreamName, type DocumentContext } from '../../electron/engine/elastic/document.ts';
import { documentId } from '../../electron/engine/elastic/document-id.ts';
import { buildMessage, encodeMessage, messageSession, type MessageSession } from '../../electron/engine/elastic/message.ts';
import { eventMessageText, prepareSessionText } from '../../electron/engine/elastic/message-text.ts';
import { parseAccessSessionReport } from '../../electron/engine/pra/report-parser.ts';
import type { SessionEvent } from '../../electron/engine/pra/report-types.ts';
import { generateCorpus, REPORTING_NAMESPACES } from '../simulators/pra/index.ts';
import { renderAccessSessionReport } from '../simulators/pra/report-xml.ts';
import { completeSession } from '../simulators/pra/session-defaults.ts';

const T = 1_733_000_000;
const CONTEXT = { namespace: 'default', agent: { name: 'collector-01', version: '0.1.0', installId: 'install-1' }, siteHost: 'Access.Example.com' };

async function* reportOf(sessions = 60) {
  const corpus = generateCorpus({ seed: 'bulk-lines', from: T - 86_400, to: T - 3600, sessions, inProgressShare: 0.2 }).map((s) => completeSession(s));
  const ctx = { now: T, namespace: REPORTING_NAMESPACES.sra, siteHostname: 'access.example.com', inProgressEndTime: 'empty' as const };
  for (const piece of renderAccessSessionReport(corpus, ctx)) yield typeof piece === 'string' ? Buffer.from(piece, 'utf8') : piece;
}

async function eventsOf(): Promise<{ header: MessageSession; lsid: string; event: SessionEvent }[]> {
  const out: { header: MessageSession; lsid: string; event: SessionEvent }[] = [];
  let header: MessageSession | null = null;
  let lsid = '';
  for await (const item of parseAccessSessionReport(reportOf())) {
    if (item.type === 'session') {
      header = messageSession(item.header);
      lsid = item.header.lsid ?? 'synthetic';
    } else if (item.type === 'event' && header !== null) out.push({ header, lsid, event: item.event });
  }
  return out;
}

describe('bulk lines written as text', () => {
  it('equal JSON.stringify of the create action and of buildDocument, event by event', async () => {
    const events = await eventsOf();
    assert.ok(events.length > 1000, `${events.length} events`);
    const index = dataStreamName('default');
    const template = lineTemplate(index, CONTEXT);
    const sessions = new Map<MessageSession, ReturnType<typeof lineSession>>();
    for (const { header, lsid, event } of events) {
      let session = sessions.get(header);
      if (!session) sessions.set(header, (session = lineSession(header, lsid)));
      const context: DocumentContext = { ...CONTEXT, syntheticLsid: lsid };
      const expected =
        `${JSON.stringify({ create: { _index: index, _id: documentId({ siteHost: CONTEXT.siteHost, lsid, ordinal: event.ordinal }) } })}\n` +
        `${JSON.stringify(buildDocument(header, event, context))}\n`;
      assert.equal(eventLines(template, session, event), expected);
    }
  });

  it('a session without lsid takes the synthetic one, in the message as buildMessage puts it', async () => {
    const { header, event } = (await eventsOf())[0]!;
    const tree = { ...header.tree, attrs: { ...header.tree.attrs, lsid: '' } };
    const noLsid: MessageSession = { lsid: null, startTime: header.startTime, tree };
    const prepared = prepareSessionText(noLsid, { syntheticLsid: 'synthetic-1' });
    assert.equal(eventMessageText(prepared, event), encodeMessage(buildMessage(noLsid, event, { syntheticLsid: 'synthetic-1' })));
    assert.match(eventMessageText(prepared, event), /"lsid":"synthetic-1"/);
    assert.throws(() => prepareSessionText(noLsid), /syntheticLsid/);
  });

  it('an event without a time in a session without a start time cannot be built (kept as failed by the shipper)', async () => {
    const { header, event } = (await eventsOf())[0]!;
    const session = lineSession({ ...header, startTime: null }, 'x');
    assert.throws(() => eventLines(lineTemplate(dataStreamName('default'), CONTEXT), session, { ...event, timestamp: null }), /no readable timestamp/);
  });
});
