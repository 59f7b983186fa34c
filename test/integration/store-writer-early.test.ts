// The store writer thread started ahead of the engine (EarlyWriterThread, `pra-ic run`): a real
// worker, started before the data folder holds a database, adopted by the WorkerSessionWriter once
// the engine's connection has migrated it; let go when it does not suit; never keeping a process
// alive when nobody adopts it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { openSettingsDatabase } from '../../electron/engine/settings-db.ts';
import { eventColumns, headerRow, SessionStore } from '../../electron/engine/store/session-store.ts';
import { defaultWorkerScript, EarlyWriterThread } from '../../electron/engine/store/store-writer-thread.ts';
import { newStream, WorkerSessionWriter } from '../../electron/engine/store/store-writer.ts';
import { insertSite, minimalEvent, minimalHeader } from '../support/store-fixtures.ts';
import { tempDir } from '../support/temp-dir.ts';

const NOW = Math.floor(Date.now() / 1000);
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/**
 * An early thread for a test: referenced, so that the test's awaits keep this process running (the
 * thread alone does not: the last test checks that; adoption references it in the product).
 */
function startEarly(dir: string): EarlyWriterThread {
  const early = new EarlyWriterThread(dir, defaultWorkerScript());
  early.worker.ref();
  return early;
}

/** One session's header and `count` events. */
const session = (lsid: string, count: number) => ({
  lsid,
  header: headerRow(minimalHeader(lsid, NOW - 7200, NOW - 3600, '01:00:00')),
  events: eventColumns(Array.from({ length: count }, (_, i) => minimalEvent(i, NOW - 7200 + i, 'Chat Message', `message ${i}`))),
  follow: null,
});

/** The engine's side, made after the thread: the migrated database, a site, a writer given the early thread. */
function engineSide(dir: string, early: EarlyWriterThread | null) {
  const database = openSettingsDatabase(dir);
  const site = { id: insertSite(database.db, 'E', 'e.example.com'), host: 'e.example.com' };
  const fallbacks: string[] = [];
  const writer = new WorkerSessionWriter(dir, defaultWorkerScript(), { store: new SessionStore(database.db), onFallback: (reason) => fallbacks.push(reason) }, early);
  const events = () => database.db.prepare('SELECT count(*) FROM events').pluck().get() as number;
  return { database, site, writer, fallbacks, events, workerOf: () => (writer as unknown as { worker: Worker | null }).worker };
}

/** Runs `body` on an engine side (engineSide), then closes its writer and database whatever happens. */
async function withEngineSide(dir: string, early: EarlyWriterThread, body: (side: ReturnType<typeof engineSide>) => Promise<void>) {
  const side = engineSide(dir, early);
  try {
    await body(side);
  } finally {
    await side.writer.close();
    side.database.close();
  }
}

describe('the store writer thread started ahead of the engine', () => {
  it('starts before the folder holds a database, opens it only once adopted (after the migrations), and stores', async () => {
    const dir = tempDir('pra-early-writer-');
    const early = startEarly(dir);
    await once(early.worker, 'online');
    // Give it time to load its modules: a thread that opened the database as it started would find
    // no tables (or no file) here, fail, and the writes would go to the fallback.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(existsSync(path.join(dir, 'settings.db')), false, 'the thread has not opened (or created) the database');
    await withEngineSide(dir, early, async (side) => {
      assert.equal(await side.writer.write(newStream(), side.site, [session('a', 3), session('b', 2)]), 5);
      assert.equal(side.events(), 5);
      assert.deepEqual(side.fallbacks, []);
      assert.equal(side.workerOf(), early.worker, 'the early thread is the one that wrote');
    });
  });

  it('a thread started for another folder is let go (it exits) and the writer starts its own', async () => {
    const early = startEarly(tempDir('pra-early-other-'));
    const exited = once(early.worker, 'exit');
    await withEngineSide(tempDir('pra-early-writer-'), early, async (side) => {
      assert.equal(await side.writer.write(newStream(), side.site, [session('c', 4)]), 4);
      await exited;
      assert.notEqual(side.workerOf(), early.worker);
      assert.deepEqual(side.fallbacks, []);
    });
  });

  it('a thread that stopped before it was adopted is replaced by a new one, not taken for a runtime that cannot start threads', async () => {
    const dir = tempDir('pra-early-writer-');
    const early = startEarly(dir);
    await early.worker.terminate();
    await withEngineSide(dir, early, async (side) => {
      assert.equal(await side.writer.write(newStream(), side.site, [session('d', 2)]), 2);
      assert.notEqual(side.workerOf(), early.worker);
      assert.deepEqual(side.fallbacks, [], 'no fallback to this thread');
    });
  });

  it('a writer closed before it wrote anything stops the early thread', async () => {
    const dir = tempDir('pra-early-writer-');
    const early = startEarly(dir);
    const exited = once(early.worker, 'exit');
    await withEngineSide(dir, early, async () => {}); // closes the writer, unused
    await exited;
  });

  it('nobody adopts it: the process still ends by itself', async () => {
    const dir = tempDir('pra-early-alone-');
    // A process that starts the thread and then has nothing left to do (an engine that failed to load).
    const script = `import { EarlyWriterThread, defaultWorkerScript } from ${JSON.stringify(path.join(ROOT, 'electron/engine/store/store-writer-thread.ts'))};
      const early = new EarlyWriterThread(${JSON.stringify(dir)}, defaultWorkerScript());
      early.worker.once('online', () => console.log('online'));`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    clearTimeout(timer);
    assert.equal(signal, null, `the process had to be killed: ${out}`);
    assert.equal(code, 0, out);
  });
});
