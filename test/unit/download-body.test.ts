import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { SiteUnavailableError } from '../../electron/engine/pra/errors.ts';
import { declaredLength, DownloadBody, errorElementText, sniffHead } from '../../electron/engine/pra/download-body.ts';

const failures = {
  broken: (error: unknown) => new Error(`broken: ${String(error)}`),
  incomplete: (received: number, declared: number) => new Error(`incomplete: ${received} of ${declared}`),
};

describe('download body helpers', () => {
  it('a Content-Length counts only as a plain decimal number', () => {
    assert.equal(declaredLength({ 'content-length': '1024' }), 1024);
    assert.equal(declaredLength({ 'content-length': '1e3' }), null);
    assert.equal(declaredLength({ 'content-length': ' 12' }), null);
    assert.equal(declaredLength({}), null);
  });

  it('sniffs markup, text and nothing from the first bytes', () => {
    assert.equal(sniffHead(Buffer.from('FLV\x01\x05'), 'video/x-flv', false), null);
    assert.equal(sniffHead(Buffer.from('\ufeff \n<error>x</error>'), undefined, true), 'markup');
    assert.equal(sniffHead(Buffer.from('{"error":"x"}'), 'application/problem+json', true), 'markup');
    assert.equal(sniffHead(Buffer.from(' \r\n'), undefined, true), 'empty');
    assert.equal(sniffHead(Buffer.from('Invalid credentials'), 'application/octet-stream', true), 'text');
    assert.equal(sniffHead(Buffer.from('Invalid credentials'), 'application/octet-stream', false), null, 'not the whole body: may be a file');
  });

  it("reads an <error>'s text with any namespace prefix, tags out and entities decoded", () => {
    assert.equal(errorElementText('<ns:error xmlns:ns="x">A &amp; <b>B</b>\n C</ns:error>'), 'A & B C');
    assert.equal(errorElementText('<session_list/>'), null);
  });

  it('the time the reader is busy (a slow disk) does not count against the site', async () => {
    const stream = new PassThrough();
    for (let i = 0; i < 5; i++) stream.write(Buffer.alloc(100));
    stream.end();
    // 1000 bytes per 50 ms of waiting: a clock counting wall time would fail these 100 bytes per 150 ms.
    const body = new DownloadBody(stream, { declaredBytes: 500, limits: { minBytesPerWindow: 1000, windowMs: 50 }, what: 'The test', failures });
    let bytes = 0;
    await body.writeTo((chunk) => {
      bytes += chunk.length;
      return sleep(150);
    });
    assert.equal(bytes, 500);
  });

  it('hands every chunk over in order: the peeked head first, then the rest, also while the writer makes it wait', async () => {
    const stream = new PassThrough();
    const sent: Buffer[] = [];
    for (let i = 0; i < 200; i++) sent.push(Buffer.from(`chunk ${i};`));
    const body = new DownloadBody(stream, { declaredBytes: Buffer.concat(sent).length, limits: { minBytesPerWindow: 1, windowMs: 60_000 }, what: 'The test', failures });
    // Written in bursts, from another turn of the loop, while the reader runs and pauses.
    const writer = (async () => {
      for (let i = 0; i < sent.length; i += 7) {
        for (const chunk of sent.slice(i, i + 7)) stream.write(chunk);
        await sleep(1);
      }
      stream.end();
    })();
    const { first } = await body.peek(20);
    assert.ok(first.length >= 20);
    const got: Buffer[] = [];
    let n = 0;
    await body.writeTo((chunk) => {
      got.push(chunk);
      return ++n % 3 === 0 ? sleep(2) : undefined;
    });
    await writer;
    assert.equal(Buffer.concat(got).toString(), Buffer.concat(sent).toString());
  });

  it('a stream that fails in the middle fails the write with the caller\'s broken error', async () => {
    const stream = new PassThrough();
    stream.write(Buffer.alloc(10));
    const body = new DownloadBody(stream, { declaredBytes: 100, limits: { minBytesPerWindow: 1, windowMs: 60_000 }, what: 'The test', failures });
    setTimeout(() => stream.destroy(new Error('ECONNRESET')), 20);
    await assert.rejects(body.writeTo(() => undefined), /broken: Error: ECONNRESET/);
  });

  it('a site silent for longer than its timeout fails as a broken connection (ETIMEDOUT); a paused reader is not silence', async () => {
    const socket = setInterval(() => undefined, 1000);
    after(() => clearInterval(socket));
    const silent = new PassThrough();
    silent.write(Buffer.alloc(10));
    const limits = { minBytesPerWindow: 1, windowMs: 60_000 };
    const body = new DownloadBody(silent, { declaredBytes: null, limits, silenceMs: 100, what: 'The test', failures });
    const started = Date.now();
    await assert.rejects(body.writeTo(() => undefined), /broken: Error: Timeout: no data for 100 ms/);
    assert.ok(Date.now() - started < 1000, 'stopped by the silence, not the 60 s window');

    // Chunks that come while the writer keeps the stream paused for 300 ms each: no silence.
    const steady = new PassThrough();
    const paused = new DownloadBody(steady, { declaredBytes: 30, limits, silenceMs: 100, what: 'The test', failures });
    const feeding = (async () => {
      for (let i = 0; i < 3; i++) {
        steady.write(Buffer.alloc(10));
        await sleep(20);
      }
      steady.end();
    })();
    let bytes = 0;
    await paused.writeTo((chunk) => {
      bytes += chunk.length;
      return sleep(300);
    });
    await feeding;
    assert.equal(bytes, 30);
  });

  it('a body that sends nothing is stopped by the watchdog, naming the rate', async () => {
    const stream = new PassThrough();
    stream.write(Buffer.alloc(10));
    // The watchdog does not hold the process open (a download's socket does): this stands in for the socket.
    const socket = setInterval(() => undefined, 1000);
    after(() => clearInterval(socket));
    const body = new DownloadBody(stream, { declaredBytes: null, limits: { minBytesPerWindow: 1000, windowMs: 100 }, what: 'The test', failures });
    await assert.rejects(
      body.writeTo(() => undefined),
      (error: Error) => error instanceof SiteUnavailableError && /^The test arrived too slowly \(10 bytes in [\d.]+ s; at least 1000 bytes per 0\.1 s are required\)/.test(error.message),
    );
    assert.equal(stream.destroyed, true);
  });

  it('a body shorter than its Content-Length is incomplete', async () => {
    const stream = new PassThrough();
    stream.end(Buffer.alloc(10));
    const body = new DownloadBody(stream, { declaredBytes: 20, limits: { minBytesPerWindow: 1, windowMs: 60_000 }, what: 'The test', failures });
    await assert.rejects(
      body.writeTo(() => undefined),
      /incomplete: 10 of 20/,
    );
  });
});
