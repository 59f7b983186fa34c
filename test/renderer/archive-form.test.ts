/** The archive form's checks, the layout example, byte sizes, and the site form's backup fields, under plain Node. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatBytes } from '../../renderer/components/format.ts';
import { archiveFormFrom, archiveIssues, checkArchive, dirError, layoutError, layoutExample } from '../../renderer/screens/archive-form.ts';
import { checkNewSite, checkSitePatch, emptySiteForm, issuesByField } from '../../renderer/screens/site-form.ts';

describe('archive form', () => {
  test('an archive that is not set up starts with everything kept, in the default layout', () => {
    const values = archiveFormFrom({ dir: null, layout: '', sessionXml: false, recordings: false, shellRecordings: false, configured: false });
    assert.deepEqual(values, { dir: '', layout: '{host}/{date}/{lsid}', sessionXml: true, recordings: true, shellRecordings: true });
  });

  test('folders: UNC, drive and POSIX paths pass; relative paths and a bare server do not', () => {
    for (const ok of ['\\\\nas\\pra-archive', '\\\\nas\\share\\sub dir', 'D:\\PRA archive', 'C:/archive', '/srv/pra-archive']) assert.equal(dirError(ok), null, ok);
    assert.match(dirError('')!, /Enter the archive folder/);
    assert.match(dirError('archive')!, /full path/);
    assert.match(dirError('Z:')!, /full path/);
    assert.match(dirError('\\\\nas')!, /server and a share/);
    assert.match(dirError('\\\\nas\\')!, /server and a share/);
  });

  test('layouts follow the engine: known tokens, {lsid}, forward slashes, relative, no empty or ".." folder', () => {
    assert.equal(layoutError(''), null);
    assert.equal(layoutError('{host}/{yyyy}/{mm}/{dd}/{lsid}'), null);
    assert.equal(layoutError('{site}/{date}/{lsid}'), null);
    assert.match(layoutError('{host}/{date}')!, /\{lsid\}/);
    assert.match(layoutError('{host}/{month}/{lsid}')!, /Unknown token \{month\}/);
    assert.match(layoutError('{host}\\{lsid}')!, /with \//);
    assert.match(layoutError('/{host}/{lsid}')!, /relative/);
    assert.match(layoutError('C:/{lsid}')!, /relative/);
    assert.match(layoutError('{host}/../{lsid}')!, /“\.\.”/);
    assert.match(layoutError('{host}//{lsid}')!, /empty/);
  });

  test('checked settings are trimmed; an empty layout is the default; at least one kind of file', () => {
    const checked = checkArchive({ dir: '  \\\\nas\\pra-archive ', layout: ' ', sessionXml: true, recordings: false, shellRecordings: true });
    assert.ok(checked.ok);
    assert.deepEqual(checked.settings, { dir: '\\\\nas\\pra-archive', layout: '{host}/{date}/{lsid}', sessionXml: true, recordings: false, shellRecordings: true });
    const none = checkArchive({ dir: '/srv/a', layout: '', sessionXml: false, recordings: false, shellRecordings: false });
    assert.ok(!none.ok);
    assert.deepEqual(Object.keys(none.errors), ['kinds']);
  });

  test("the engine's issues by field", () => {
    assert.deepEqual(
      archiveIssues([
        { field: 'settings.dir', message: 'UNC paths work on Windows only.' },
        { field: 'draft.layout', message: 'Bad layout.' },
        { field: 'recordings', message: 'Must be true or false.' },
        { field: null, message: 'The database is locked.' },
      ]),
      { errors: { dir: 'UNC paths work on Windows only.', layout: 'Bad layout.', kinds: 'Must be true or false.' }, general: ['The database is locked.'] },
    );
  });

  test('the example path uses the folder\'s separator, the host without ":", and the tokens', () => {
    assert.equal(layoutExample('\\\\nas\\pra-archive\\', '{host}/{date}/{lsid}'), '\\\\nas\\pra-archive\\access.example.com\\2026-03-14\\c5f29a41e1d94b7fa0c3\\recording.flv');
    assert.equal(
      layoutExample('/srv/archive', '{site}/{yyyy}/{mm}/{dd}/{lsid}', { host: 'lab:8443', site: 'Lab', lsid: 'abc', start: '2025-01-02T00:00:00Z' }),
      '/srv/archive/Lab/2025/01/02/abc/recording.flv',
    );
    assert.equal(layoutExample('', '{host}/{lsid}', { host: 'lab.example.net:8443', site: 'Lab', lsid: 'abc', start: '2025-01-02T00:00:00Z' }), '\\\\nas\\pra-archive\\lab.example.net_8443\\abc\\recording.flv');
  });
});

describe('byte sizes', () => {
  test('units of 1,024, one decimal below 100, never "1,024 KB"', () => {
    assert.equal(formatBytes(0), '0 bytes');
    assert.equal(formatBytes(1), '1 byte');
    assert.equal(formatBytes(1023), '1,023 bytes');
    assert.equal(formatBytes(1024), '1 KB');
    assert.equal(formatBytes(1536), '1.5 KB');
    assert.equal(formatBytes(1024 * 1024 - 1), '1 MB');
    assert.equal(formatBytes(48_318_464), '46.1 MB');
    assert.equal(formatBytes(742.6 * 1024 ** 3), '743 GB');
    assert.equal(formatBytes(1.8 * 1024 ** 4), '1.8 TB');
    assert.equal(formatBytes(-1), '—');
    assert.equal(formatBytes(Number.NaN), '—');
  });
});

describe('site form: backups', () => {
  const base = { ...emptySiteForm(), name: 'Production', host: 'access.example.com', clientId: 'abc' };

  test('a new site: backups off, keep 30, unless chosen', () => {
    const plain = checkNewSite(base);
    assert.ok(plain.ok);
    assert.equal(plain.value.backupSchedule, 'off');
    assert.equal(plain.value.keepBackups, 30);
    const daily = checkNewSite({ ...base, backupSchedule: 'daily', keepBackups: ' 14 ' });
    assert.ok(daily.ok);
    assert.equal(daily.value.backupSchedule, 'daily');
    assert.equal(daily.value.keepBackups, 14);
  });

  test('how many to keep: a whole number from 1, said by its field', () => {
    for (const [typed, message] of [
      ['0', /at least 1/],
      ['1.5', /whole number/],
      ['many', /whole number/],
      ['', /whole number/],
      ['100000', /at most 1000/],
    ] as const) {
      const checked = checkSitePatch({ ...base, keepBackups: typed });
      assert.ok(!checked.ok, typed);
      assert.match(checked.errors.keepBackups!, message, typed);
      assert.doesNotMatch(checked.errors.keepBackups!, /^Backups to keep:/);
    }
  });

  test("the engine's word on the backup password lands by its field, not the client secret's", () => {
    const { errors, general } = issuesByField([
      { field: 'backupPassword', message: 'That secret is too long.' },
      { field: null, message: 'The site refused the backup password.' },
      { field: null, message: 'Enter the client secret.' },
    ]);
    assert.deepEqual(errors, { backupPassword: 'That secret is too long.', clientSecret: 'Enter the client secret.' });
    assert.deepEqual(general, []);
    assert.equal(issuesByField([{ field: null, message: 'The site refused the backup password.' }]).errors.backupPassword, 'The site refused the backup password.');
  });
});
