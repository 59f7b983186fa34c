// A full archive folder (a real 2 MB tmpfs mount): the archive pauses with a clear status and an
// event, nothing archived is touched, nothing is recorded that is not complete on disk, the
// extraction keeps running, and once the volume has room again the archive resumes by itself and
// completes with nothing lost. Needs root (mount); skipped otherwise.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_CLIENT, recordingSha256, startPraSimulator, type PraSimulator } from '../simulators/pra/index.ts';
import { newEngine } from '../support/engine-fixture.ts';
import { tempDir } from '../support/temp-dir.ts';

const root = process.getuid?.() === 0;
const T = Math.floor(Date.now() / 1000) - 3 * 3600;

function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

describe('archive on a full volume', { skip: root ? false : 'needs root to mount a tmpfs' }, () => {
  let sim: PraSimulator;
  let mountPoint: string;

  before(async () => {
    sim = await startPraSimulator();
    // Six ended sessions, each with a 600 KB recording: 3.6 MB for a 2 MB volume.
    for (let i = 0; i < 6; i++) {
      const lsid = `full${String(i).padStart(28, '0')}`;
      sim.addSession({ lsid, startTime: T + i * 60, endTime: T + i * 60 + 30, hasRecording: true });
      sim.recordings.set(lsid, null, { bytes: 600 * 1024 });
    }
    mountPoint = tempDir('pra-ic-tmpfs-');
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', mountPoint]);
  });
  after(async () => {
    await sim.close();
    try {
      execFileSync('umount', [mountPoint]);
    } catch {
      // already unmounted
    }
  });

  it('pauses when the disk is full and resumes by itself with nothing lost', async () => {
    const engine = newEngine({ archiveResumeCheckMs: 100 });
    try {
      const dir = join(mountPoint, 'archive');
      mkdirSync(dir);
      await engine.addSite({ name: 'Sim', host: sim.host, clientId: DEFAULT_CLIENT.clientId, caFile: sim.caFile, initialIntervalSeconds: 86_400, timeoutSeconds: 5 }, DEFAULT_CLIENT.clientSecret);
      engine.setArchive({ dir });
      await engine.archiver.runPass();
      const states: string[] = [];
      engine.onEvent((e) => {
        if (e.type === 'archive') states.push(e.status.state);
      });

      const run = await engine.runOnce();
      assert.equal(run.sites[0]!.ok, true, 'extraction is not held up by the archive');
      assert.match(run.archive?.paused ?? '', /is full/);
      const status = engine.archiver.status();
      assert.equal(status.state, 'paused');
      assert.match(status.pausedReason!, /full.*resumes by itself/s);
      // Published paced (at most a few times a second), so wait for it.
      for (let i = 0; i < 100 && !states.includes('paused'); i++) await new Promise((r) => setTimeout(r, 50));
      assert.ok(states.includes('paused'), 'an event announced the pause');

      // What is recorded is complete on disk; nothing half-written counts; no .part stays behind.
      const onDisk = files(dir);
      assert.ok(!onDisk.some((f) => f.endsWith('.part')), `no .part: ${onDisk}`);
      const recorded = engine.database.db.prepare('SELECT path, bytes, sha256 FROM archive_files ORDER BY path').all() as { path: string; bytes: number; sha256: string }[];
      assert.ok(recorded.length >= 2, `some files fit (${recorded.length})`);
      assert.ok(recorded.filter((r) => r.path.endsWith('.flv')).length < 6, 'not all recordings fit');
      for (const r of recorded) assert.equal(createHash('sha256').update(readFileSync(join(dir, r.path))).digest('hex'), r.sha256);
      const before = new Map(recorded.map((r) => [r.path, r.sha256]));

      // While paused, a pass does nothing (not even a request for a recording).
      const asked = sim.requests.filter((r) => r.report === 'AccessSessionRecording').length;
      const idle = await engine.archiver.runPass();
      assert.ok(idle.paused);
      assert.equal(sim.requests.filter((r) => r.report === 'AccessSessionRecording').length, asked);

      // Room again: the archive resumes by itself (its timer) and completes.
      execFileSync('mount', ['-o', 'remount,size=16m', mountPoint]);
      const deadline = Date.now() + 30_000;
      while (engine.archiver.status().state !== 'ok' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(engine.archiver.status().state, 'ok');
      await engine.archiver.runPass();
      const all = engine.database.db.prepare("SELECT path, sha256 FROM archive_files WHERE kind = 'recording'").all() as { path: string; sha256: string }[];
      assert.equal(all.length, 6);
      for (const r of all) {
        const lsid = r.path.split('/')[2]!;
        assert.equal(r.sha256, recordingSha256(lsid, null, 600 * 1024));
      }
      for (const [path, sha] of before) assert.equal(createHash('sha256').update(readFileSync(join(dir, path))).digest('hex'), sha, `${path} untouched`);
      assert.equal((await engine.verifyArchive()).problems.length, 0);
      assert.ok(!files(dir).some((f) => f.endsWith('.part')));
    } finally {
      await engine.close();
    }
  });
});
