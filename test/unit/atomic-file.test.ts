// writeFileAtomically on the real filesystem: bytes pushed in chunks of every size (smaller than,
// equal to and larger than its 1 MiB batches, across batch edges) land in order with their
// SHA-256, whether the source is pushed (a download) or iterated (session XML), and whether the
// writer makes the source wait or not.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setImmediate as tick } from 'node:timers/promises';
import { writeFileAtomically } from '../../electron/engine/archive/atomic-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'pra-ic-atomic-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** ~9.5 MiB cut at sizes from 1 byte to 3 MiB (a pseudo-random but fixed sequence). */
function pieces(): { whole: Buffer; chunks: Buffer[] } {
  const whole = randomBytes(9.5 * 1024 * 1024);
  const sizes = [1, 16_384, 1024 * 1024, 3 * 1024 * 1024, 7, 1024 * 1024 - 1, 65_536, 2, 2 * 1024 * 1024 + 5];
  const chunks: Buffer[] = [];
  for (let at = 0, i = 0; at < whole.length; i++) {
    const n = Math.min(sizes[i % sizes.length]!, whole.length - at);
    chunks.push(whole.subarray(at, at + n));
    at += n;
  }
  return { whole, chunks };
}

describe('writeFileAtomically', () => {
  it('a pushed source: every byte in order, its SHA-256, no .part left', async () => {
    const { whole, chunks } = pieces();
    const path = join(dir, 'pushed.bin');
    const written = await writeFileAtomically(path, async (sink) => {
      for (const chunk of chunks) {
        const wait = sink(chunk);
        if (wait) await wait;
      }
    });
    assert.equal(written.bytes, whole.length);
    assert.equal(written.sha256, createHash('sha256').update(whole).digest('hex'));
    assert.ok(readFileSync(path).equals(whole), 'the file holds exactly the bytes, in order');
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.part')), []);
  });

  it('an iterated source that pauses between chunks gives the same file', async () => {
    const { whole, chunks } = pieces();
    const path = join(dir, 'iterated.bin');
    const written = await writeFileAtomically(path, (async function* () {
      for (const chunk of chunks) {
        await tick();
        yield chunk;
      }
    })());
    assert.equal(written.sha256, createHash('sha256').update(whole).digest('hex'));
    assert.ok(readFileSync(path).equals(whole));
  });

  it('a source that fails leaves nothing: no file, no .part', async () => {
    const path = join(dir, 'failed.bin');
    await assert.rejects(
      writeFileAtomically(path, async (sink) => {
        await sink(randomBytes(3 * 1024 * 1024));
        throw new Error('the connection broke');
      }),
      /the connection broke/,
    );
    assert.equal(existsSync(path), false);
    assert.equal(existsSync(`${path}.part`), false);
  });
});
