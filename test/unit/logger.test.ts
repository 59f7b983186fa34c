// The log file cannot be written (its folder was removed, its disk is full): logging must not fail
// the work being logged — a run that failed because the disk is full still logs that it failed.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Logger, type LogEntry } from '../../electron/engine/log/logger.ts';

describe('logger', () => {
  it('goes on without its file, says so once, and writes the file again once it can', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pra-ic-log-'));
    const logger = new Logger(dir);
    const seen: LogEntry[] = [];
    logger.onEntry((e) => seen.push(e));
    logger.info('test', 'first');
    rmSync(dir, { recursive: true });

    assert.doesNotThrow(() => logger.error('extract', 'Run failed: the disk is full'));
    logger.warn('ship', 'second while gone');
    // Every entry still reaches the listeners (the app's log view), with one note about the file.
    assert.deepEqual(
      seen.map((e) => [e.topic, e.topic === 'log' ? 'note' : e.message]),
      [['test', 'first'], ['log', 'note'], ['extract', 'Run failed: the disk is full'], ['ship', 'second while gone']],
    );
    const notes = seen.filter((e) => e.topic === 'log');
    assert.equal(notes.length, 1, 'said once, not with every entry');
    assert.match(notes[0]!.message, /cannot be written \(ENOENT\).*shown in the app but not kept/);

    mkdirSync(dir);
    logger.info('test', 'back');
    assert.deepEqual(
      readFileSync(path.join(dir, 'pra-ic.log'), 'utf8').trim().split('\n').map((l) => (JSON.parse(l) as LogEntry).message),
      ['back'],
    );
    rmSync(dir, { recursive: true });
  });
});
