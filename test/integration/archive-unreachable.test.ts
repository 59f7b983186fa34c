// An archive folder that was in use and is now missing — a NAS share not mounted (its empty mount
// point left behind), a disconnected drive — is unreachable, not a folder to create: creating it
// again would fill the local disk under the mount point and split the archive in two. The archive
// pauses, the backups fail saying so, nothing is created; once the folder is back, the archive
// resumes by itself. (The folder is renamed away and back here: the same as a share going away.)
import assert from 'node:assert/strict';
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MemorySecretStore } from '../../electron/engine/secrets/secret-store.ts';
import { newEngine } from '../support/engine-fixture.ts';
import { tempDir } from '../support/temp-dir.ts';

describe('archive folder that goes away', () => {
  it('is created the first time, never again once used: the archive pauses and backups fail until it is back', async () => {
    const engine = newEngine({ secrets: new MemorySecretStore(), archiveResumeCheckMs: 50 });
    const mount = tempDir('pra-ic-mount-');
    const dir = join(mount, 'pra-archive');
    const away = join(tempDir('pra-ic-away-'), 'pra-archive');
    try {
      const site = await engine.addSite({ name: 'S', host: 's.example.com', clientId: 'c', backupSchedule: 'daily' }, 'secret');
      engine.setArchive({ dir });
      const first = await engine.archiver.runPass();
      assert.equal(first.paused, null);
      assert.ok(existsSync(dir), 'a new folder is created by the first pass');

      renameSync(dir, away); // the share goes away
      const second = await engine.archiver.runPass();
      assert.match(second.paused ?? '', /cannot be reached/);
      assert.equal(existsSync(dir), false, 'not created again under the mount point');
      await assert.rejects(engine.backupNow(site.name), /cannot be reached/);
      assert.equal(existsSync(dir), false, 'nor by a backup');

      renameSync(away, dir); // back
      const deadline = Date.now() + 5000;
      while (engine.archiver.isPaused && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.equal(engine.archiver.isPaused, false, 'resumed by itself');

      // Another folder set on purpose is new again: created.
      const other = join(mount, 'other-archive');
      engine.setArchive({ dir: other });
      assert.equal((await engine.archiver.runPass()).paused, null);
      assert.ok(existsSync(other));
    } finally {
      await engine.close();
    }
  });
});
