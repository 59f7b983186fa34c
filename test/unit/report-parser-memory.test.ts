/**
 * The parser streams: a report far bigger than any sensible heap bound is parsed end to end with
 * exact counts while the heap stays bounded, and items come out while the body is still being
 * produced. Throughput is printed for information only (never asserted).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAccessSessionReport } from '../../electron/engine/pra/report-parser.ts';
import { BASE_TIME, eventBodyOf, lsidOf, ReportXmlGenerator } from '../support/report-xml-generator.ts';

const MB = 1024 * 1024;

/** Collects garbage when the process was started with --expose-gc; measuring does not depend on it. */
function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === 'function') gc();
}

class MemoryProbe {
  readonly baseHeap: number;
  readonly baseRss: number;
  peakHeap = 0;
  peakRss = 0;

  constructor() {
    collectGarbage();
    const m = process.memoryUsage();
    this.baseHeap = m.heapUsed;
    this.baseRss = m.rss;
    this.peakHeap = m.heapUsed;
    this.peakRss = m.rss;
  }

  sample(): void {
    const m = process.memoryUsage();
    if (m.heapUsed > this.peakHeap) this.peakHeap = m.heapUsed;
    if (m.rss > this.peakRss) this.peakRss = m.rss;
  }

  get heapGrowthMb(): number {
    return (this.peakHeap - this.baseHeap) / MB;
  }

  get rssGrowthMb(): number {
    return (this.peakRss - this.baseRss) / MB;
  }
}

function report(label: string, bytes: number, events: number, ms: number, probe: MemoryProbe): void {
  const seconds = ms / 1000;
  console.log(
    `${label}: ${(bytes / MB).toFixed(0)} MB, ${events} events in ${seconds.toFixed(1)} s (generation included): ` +
      `${(bytes / MB / seconds).toFixed(1)} MB/s, ${Math.round(events / seconds)} events/s; ` +
      `peak heapUsed growth ${probe.heapGrowthMb.toFixed(1)} MB, peak rss growth ${probe.rssGrowthMb.toFixed(1)} MB` +
      `${typeof (globalThis as { gc?: unknown }).gc === 'function' ? '' : ' (no --expose-gc: growth includes uncollected garbage)'}`,
  );
}

/**
 * Peak heapUsed growth allowed while parsing. Far below the 200+ MB report (whose text would take
 * twice that as JS strings), far above what the parser keeps (one event, one header, one slice).
 * What is measured above that is mostly garbage V8 has not collected yet: young-generation churn
 * (16 MB semi-spaces) and promoted garbage awaiting the next mark-compact; measured peaks are
 * 30-65 MB whatever the report size (111 MB or 447 MB), so the bound leaves room for GC timing.
 */
const HEAP_BOUND_MB = 100;

describe('report parser memory', () => {
  it('parses a ≥ 200 MB report (40,000 sessions × 50 events) with exact counts and bounded memory', async () => {
    const SESSIONS = 40_000;
    const EVENTS = 50;
    const generator = new ReportXmlGenerator({ sessions: SESSIONS, eventsPerSession: EVENTS });
    const probe = new MemoryProbe();
    const started = performance.now();

    let sessions = 0;
    let sessionEnds = 0;
    let events = 0;
    let expectedOrdinal = 0;
    let currentLsid: string | null = null;
    let items = 0;
    for await (const item of parseAccessSessionReport(generator.chunks())) {
      if ((++items & 4095) === 0) probe.sample();
      switch (item.type) {
        case 'session':
          assert.equal(item.header.lsid, lsidOf(sessions));
          assert.equal(item.header.startTime, BASE_TIME + sessions * 60);
          currentLsid = item.header.lsid;
          expectedOrdinal = 0;
          sessions++;
          break;
        case 'event': {
          const e = item.event;
          if (e.ordinal !== expectedOrdinal || item.lsid !== currentLsid) assert.fail(`event ${events}: ordinal ${e.ordinal}, lsid ${item.lsid}`);
          expectedOrdinal++;
          events++;
          // Spot-check content, including base64 and CDATA bodies and multibyte text across chunk boundaries.
          if (e.ordinal === EVENTS - 1 || (events & 1023) === 0) {
            const s = sessions - 1;
            assert.equal(e.body, eventBodyOf(s, e.ordinal));
            assert.equal(e.timestamp, BASE_TIME + s * 60 + e.ordinal);
          }
          break;
        }
        case 'session-end':
          assert.equal(item.lsid, currentLsid);
          assert.equal(item.eventCount, EVENTS);
          sessionEnds++;
          break;
      }
    }
    probe.sample();
    const ms = performance.now() - started;

    assert.equal(sessions, SESSIONS);
    assert.equal(sessionEnds, SESSIONS);
    assert.equal(events, SESSIONS * EVENTS);
    assert.ok(generator.bytesProduced >= 200 * 1000 * 1000, `report is ${generator.bytesProduced} bytes`);
    report('40,000 sessions', generator.bytesProduced, events, ms, probe);
    assert.ok(probe.heapGrowthMb < HEAP_BOUND_MB, `peak heapUsed growth ${probe.heapGrowthMb.toFixed(1)} MB ≥ ${HEAP_BOUND_MB} MB for a ${(generator.bytesProduced / MB).toFixed(0)} MB report`);
  });

  it('streams the events of one very large session (200,000 events) without holding the session', async () => {
    const EVENTS = 200_000;
    const generator = new ReportXmlGenerator({ sessions: 1, eventsPerSession: EVENTS });
    const probe = new MemoryProbe();
    const started = performance.now();

    let headerSeenAfterBytes = -1;
    let maxLead = 0;
    let events = 0;
    let end: { eventCount: number } | null = null;
    for await (const item of parseAccessSessionReport(generator.chunks())) {
      if (item.type === 'session') {
        headerSeenAfterBytes = generator.bytesProduced;
      } else if (item.type === 'event') {
        assert.equal(item.event.ordinal, events);
        events++;
        // How far the body had to be produced to get this event: proves nothing waits for the session's end.
        const lead = generator.eventsRendered - events;
        if (lead > maxLead) maxLead = lead;
        if ((events & 4095) === 0) probe.sample();
      } else {
        end = item;
      }
    }
    probe.sample();
    const ms = performance.now() - started;

    assert.equal(events, EVENTS);
    assert.deepEqual(end, { type: 'session-end', lsid: lsidOf(0), eventCount: EVENTS });
    assert.ok(headerSeenAfterBytes > 0 && headerSeenAfterBytes <= 256 * 1024, `header yielded after ${headerSeenAfterBytes} bytes of a ${generator.bytesProduced}-byte report`);
    assert.ok(maxLead < 2_000, `events were yielded at most ${maxLead} events behind the producer (of ${EVENTS})`);
    report('1 session × 200,000 events', generator.bytesProduced, events, ms, probe);
    // The proof for a single session is the producer lead above; the heap check is a sanity check
    // (at 40 MB this session is below the bound anyway).
    assert.ok(probe.heapGrowthMb < HEAP_BOUND_MB, `peak heapUsed growth ${probe.heapGrowthMb.toFixed(1)} MB`);

    // Informational: the generator alone, to estimate the parser's own speed.
    const genStarted = performance.now();
    let genBytes = 0;
    for await (const chunk of new ReportXmlGenerator({ sessions: 1, eventsPerSession: EVENTS }).chunks()) genBytes += chunk.length;
    const genMs = performance.now() - genStarted;
    const parseSeconds = Math.max(ms - genMs, 1) / 1000;
    console.log(`  generation alone ${(genMs / 1000).toFixed(1)} s → parsing ≈ ${(genBytes / MB / parseSeconds).toFixed(1)} MB/s, ${Math.round(EVENTS / parseSeconds)} events/s`);
  });
});
