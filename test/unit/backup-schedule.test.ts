import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backupHostSegment, backupRelativePath, nextDueAt, RETRY_BASE_SECONDS, RETRY_MAX_SECONDS } from '../../electron/engine/backup/backup-schedule.ts';
import { plainText } from '../../electron/engine/pra/download-body.ts';

const none = { lastAttemptAt: null, lastSuccessAt: null, lastError: null, failures: 0 };

describe('backup schedule', () => {
  it('off is never due; a site never backed up is due at once; then a day or a week after the last start', () => {
    assert.equal(nextDueAt('off', { ...none, lastSuccessAt: 100 }), null);
    assert.equal(nextDueAt('daily', none), 0);
    assert.equal(nextDueAt('daily', { ...none, lastAttemptAt: 1000, lastSuccessAt: 1000 }), 1000 + 86_400);
    assert.equal(nextDueAt('weekly', { ...none, lastAttemptAt: 1000, lastSuccessAt: 1000 }), 1000 + 7 * 86_400);
  });

  it('after failures: exponential backoff from 15 minutes, at most 6 hours', () => {
    const failed = (failures: number) => nextDueAt('daily', { lastAttemptAt: 10_000, lastSuccessAt: 1000, lastError: 'x', failures })! - 10_000;
    assert.equal(failed(1), RETRY_BASE_SECONDS);
    assert.equal(failed(2), 2 * RETRY_BASE_SECONDS);
    assert.equal(failed(3), 4 * RETRY_BASE_SECONDS);
    assert.equal(failed(10), RETRY_MAX_SECONDS);
    assert.equal(failed(500), RETRY_MAX_SECONDS);
  });

  it('names: <host>/backups/<host>-<YYYYMMDD-HHMMSS>Z.nsb in UTC, the host safe for Windows', () => {
    assert.equal(backupRelativePath('access.example.com:8443', Date.parse('2026-12-06T22:30:18.999Z')), 'access.example.com_8443/backups/access.example.com_8443-20261206-223018Z.nsb');
    assert.equal(backupHostSegment('[2001:db8::1]:443'), '_2001_db8__1__443');
    assert.equal(backupHostSegment('Access.Example.COM'), 'access.example.com');
    assert.equal(backupHostSegment('..'), '___');
  });

  it("quotes the appliance's words: an <error>'s text, a page's title and text, entities decoded", () => {
    assert.equal(plainText('<?xml version="1.0"?><error xmlns="x">Backup &amp; restore is busy.</error>'), 'Backup & restore is busy.');
    assert.equal(plainText('<html><head><title>Login</title><style>p{}</style></head><body><p>Sign in</p></body></html>'), 'Login — Sign in');
    assert.equal(plainText('Invalid credentials\n'), 'Invalid credentials');
    assert.equal(plainText('x'.repeat(400)).length, 301);
  });
});
