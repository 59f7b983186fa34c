// The archive survives SIGKILL during downloads: the real CLI (`pra-ic run --once`) runs as a child
// process against the PRA simulator and is killed again and again at random moments while it
// downloads recordings, then allowed to finish. Afterwards: every recording of every ended session
// is in the archive with exactly the simulator's bytes, no `.part` is recorded as archived, every
// recorded file is complete (`pra-ic archive verify` agrees), and no recording was downloaded in
// full more than twice (once before a kill that landed between the rename and the record, once after).
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { createPrng } from '../simulators/pra/prng.ts';
import { recordingSha256, startPraSimulator, type PraSimulator } from '../simulators/pra/index.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/temp-dir.ts';
import { configure, spawnRun } from './harness.ts';

const SEED = process.env.CRASH_SEED ?? String(Date.now() % 1_000_000);
const T = Math.floor(Date.now() / 1000) - 6 * 3600;
const SESSIONS = 24;
const KILLS = 6;

describe(`archive downloads killed at random points end complete (CRASH_SEED=${SEED})`, () => {
  let sim: PraSimulator;
  const expected = new Map<string, { lsid: string; instance: number | null; bytes: number }>();

  before(async () => {
    sim = await startPraSimulator();
    const prng = createPrng(`archive-crash/${SEED}`);
    for (let i = 0; i < SESSIONS; i++) {
      const lsid = `crash${String(i).padStart(27, '0')}`;
      const shells = prng.int(0, 2);
      sim.addSession({ lsid, startTime: T + i * 120, endTime: T + i * 120 + 60, hasRecording: true, commandShellRecordings: shells });
      // 0.5–3 MB each: a kill lands mid-file most of the time.
      const bytes = prng.int(512 * 1024, 3 * 1024 * 1024);
      sim.recordings.set(lsid, null, { bytes });
      expected.set(`${lsid}#null`, { lsid, instance: null, bytes });
      for (let s = 0; s < shells; s++) expected.set(`${lsid}#${s}`, { lsid, instance: s, bytes: sim.recordings.spec(lsid, s).bytes });
    }
  });
  after(() => sim.close());

  it('no .part counted, every file complete, nothing downloaded more than twice', async () => {
    const dataDir = tempDir();
    const archiveDir = tempDir('pra-ic-archive-');
    await configure(dataDir, sim);
    const set = await runCli(['--data-dir', dataDir, 'archive', 'set', '--dir', archiveDir]);
    assert.equal(set.code, 0, set.stderr);
    const prng = createPrng(`archive-crash-kills/${SEED}`);
    const recordingRequests = () => sim.requests.filter((r) => r.report === 'AccessSessionRecording' || r.report === 'CommandShellRecording').length;

    let kills = 0;
    for (let attempt = 0; attempt < KILLS * 3 && kills < KILLS; attempt++) {
      const run = spawnRun(dataDir);
      const seen = recordingRequests();
      // Kill when the run has asked for 2–6 more recordings, a few milliseconds in (mid-download).
      // Not at its first: a run starts with the file the previous kill interrupted (the earliest
      // due), and killing every run at its first request would interrupt that file forever — the
      // measure here is that nothing complete is fetched again, not the luck of where kills land.
      const target = seen + prng.int(2, 6);
      const delay = prng.int(0, 40);
      let killed = false;
      const watcher = setInterval(() => {
        if (recordingRequests() >= target && !killed) {
          killed = true;
          clearInterval(watcher);
          setTimeout(() => run.kill(), delay);
        }
      }, 2);
      const exit = await run.exited;
      clearInterval(watcher);
      if (exit.signal === 'SIGKILL') kills++;
      else {
        assert.equal(exit.code, 0, `an uninterrupted run succeeds: ${run.stderr().slice(-2000)}`);
        break; // the work was done before the kill could land
      }
      // After every kill: nothing recorded as archived that is not complete on disk.
      checkLedger(dataDir, archiveDir, expected, false);
    }
    assert.ok(kills >= 2, `the runs were killed mid-download (${kills} kills)`);

    const final = spawnRun(dataDir);
    const exit = await final.exited;
    assert.equal(exit.code, 0, final.stderr().slice(-2000));
    checkLedger(dataDir, archiveDir, expected, true);
    for (const { lsid, instance } of expected.values()) {
      const served = sim.recordings.servedCount(lsid, instance);
      assert.ok(served >= 1 && served <= 2, `${lsid}#${instance} downloaded in full ${served} times`);
    }
    const verify = await runCli(['--data-dir', dataDir, 'archive', 'verify', '--json']);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    const result = JSON.parse(verify.stdout) as { checked: number; ok: number };
    assert.equal(result.ok, result.checked);
    assert.equal(result.checked, expected.size + SESSIONS, 'every recording and every session XML');
  });
});

function checkLedger(dataDir: string, archiveDir: string, expected: Map<string, { lsid: string; instance: number | null; bytes: number }>, complete: boolean) {
  const db = new Database(join(dataDir, 'settings.db'), { readonly: true });
  try {
    const rows = db.prepare("SELECT kind, lsid, instance, path, bytes, sha256 FROM archive_files WHERE kind IN ('recording', 'shell-recording')").all() as {
      kind: string; lsid: string; instance: number | null; path: string; bytes: number; sha256: string;
    }[];
    for (const row of rows) {
      assert.ok(!row.path.endsWith('.part'), `a .part recorded: ${row.path}`);
      const want = expected.get(`${row.lsid}#${row.instance}`);
      assert.ok(want, `unexpected ${row.lsid}#${row.instance}`);
      const bytes = readFileSync(join(archiveDir, row.path));
      assert.equal(bytes.length, want.bytes, `${row.path} complete`);
      assert.equal(row.sha256, recordingSha256(want.lsid, want.instance, want.bytes));
      assert.equal(createHash('sha256').update(bytes).digest('hex'), row.sha256, `${row.path} as recorded`);
    }
    if (complete) assert.equal(rows.length, expected.size, 'every recording archived');
  } finally {
    db.close();
  }
}
