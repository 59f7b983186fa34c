// The OS notification of a paused archive: once when it pauses, again only after it resumed.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ArchiveStatus } from '../../shared/archive.ts';
import { ArchivePauseWatcher, archivePausedNotification } from '../../electron/main/attention.ts';

function status(state: ArchiveStatus['state'], pausedReason: string | null = null): ArchiveStatus {
  return { state, pausedReason, dir: '/a', freeBytes: null, written: { files: 0, bytes: 0 }, pending: 0, expired: 0, failed: 0, failures: [], backups: [], progress: null };
}

describe('archive paused notifications', () => {
  it('notifies when the archive enters paused, once per incident', () => {
    const seen: string[] = [];
    const watcher = new ArchivePauseWatcher((reason) => seen.push(reason));
    watcher.prime(status('ok'));
    watcher.handle({ type: 'archive', status: status('ok') });
    watcher.handle({ type: 'archive', status: status('paused', 'The archive folder /a is full.') });
    watcher.handle({ type: 'archive', status: status('paused', 'The archive folder /a is full.') });
    assert.deepEqual(seen, ['The archive folder /a is full.']);
    watcher.handle({ type: 'archive', status: status('ok') });
    watcher.handle({ type: 'archive', status: status('paused', 'gone') });
    assert.deepEqual(seen, ['The archive folder /a is full.', 'gone']);
  });

  it('does not notify for a pause already shown at start-up', () => {
    const seen: string[] = [];
    const watcher = new ArchivePauseWatcher((reason) => seen.push(reason));
    watcher.prime(status('paused', 'x'));
    watcher.handle({ type: 'archive', status: status('paused', 'x') });
    assert.deepEqual(seen, []);
    assert.match(archivePausedNotification('x').body, /Elasticsearch goes on/);
  });
});
