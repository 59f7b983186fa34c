// The archive's settings and layout: folders (absolute, UNC on Windows), templates that cannot leave
// the folder, values from the appliance made safe, the file type from the response's headers.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { extensionFromResponse, layoutProblem, resolveInArchive, safeSegment, sessionFolder } from '../../electron/engine/archive/archive-layout.ts';
import { folderProblem, validateArchiveSettings } from '../../electron/engine/archive/archive-settings.ts';
import { isExpiredText, looksLikeMarkup } from '../../electron/engine/archive/recording-download.ts';
import { headerPrefix, recordingsOf } from '../../electron/engine/archive/session-xml.ts';

const START = Date.UTC(2026, 11, 5, 23, 59, 59) / 1000;

describe('archive layout', () => {
  it('renders the default layout: host with : as _, the UTC start date, the lsid', () => {
    assert.equal(sessionFolder('{host}/{date}/{lsid}', { host: 'access.example.com:8443', site: 'Prod', lsid: 'abc123', startTime: START }), 'access.example.com_8443/2026-12-05/abc123');
    assert.equal(sessionFolder('{site}/{yyyy}/{mm}/{dd}/{lsid}', { host: 'h', site: 'Prod EU / 2', lsid: 'x', startTime: START }), 'Prod_EU___2/2026/12/05/x');
    assert.equal(sessionFolder('{host}/{date}/{lsid}', { host: 'h', site: 's', lsid: 'x', startTime: null }), 'h/unknown-date/x');
  });

  it('cannot be made to leave the folder by what the appliance sends', () => {
    for (const lsid of ['..', '../../etc', '/abs', 'a\\..\\b', '.', 'con', 'a:b', '']) {
      const folder = sessionFolder('{host}/{lsid}', { host: 'h', site: 's', lsid, startTime: START });
      assert.ok(!folder.split('/').some((seg) => seg === '..' || seg === '.' || seg === ''), `${lsid} → ${folder}`);
      assert.ok(resolveInArchive('/archive', `${folder}/session.xml`).startsWith('/archive/'), folder);
    }
    assert.equal(safeSegment('..'), '___');
    assert.throws(() => resolveInArchive('/archive', '../x'), /outside the archive folder/);
  });

  it('refuses templates that could leave the folder, lack {lsid} or use unknown tokens', () => {
    assert.equal(layoutProblem('{host}/{date}/{lsid}'), null);
    assert.match(layoutProblem('{host}/{date}')!, /must contain \{lsid\}/);
    assert.match(layoutProblem('../{lsid}')!, /“\.\.”/);
    assert.match(layoutProblem('/abs/{lsid}')!, /relative/);
    assert.match(layoutProblem('C:/x/{lsid}')!, /relative/);
    assert.match(layoutProblem('{host}\\{lsid}')!, /Separate the layout's folders with \//);
    assert.match(layoutProblem('{hostname}/{lsid}')!, /Unknown layout token \{hostname\}/);
    assert.match(layoutProblem('ab:c/{lsid}')!, /Windows does not allow/);
    assert.match(layoutProblem('x|y/{lsid}')!, /Windows does not allow/);
  });
});

describe('archive settings', () => {
  it('takes absolute folders, UNC paths on Windows only, with messages that say what to do', () => {
    assert.equal(folderProblem('/srv/archive', 'linux'), null);
    assert.match(folderProblem('archive', 'linux')!, /absolute path/);
    assert.match(folderProblem('\\\\nas\\pra', 'linux')!, /Windows only/);
    assert.equal(folderProblem('\\\\nas\\pra-archive', 'win32'), null);
    assert.equal(folderProblem('D:\\PRA', 'win32'), null);
    assert.match(folderProblem('PRA', 'win32')!, /full path .* or a UNC path/);
    assert.match(folderProblem('\\\\nas', 'win32')!, /server and a share/);
    const s = validateArchiveSettings({ dir: ' /srv/archive/ ' }, 'linux');
    assert.deepEqual(s, { dir: '/srv/archive', layout: '{host}/{date}/{lsid}', sessionXml: true, recordings: true, shellRecordings: true });
    assert.throws(() => validateArchiveSettings({ dir: 'rel', layout: '{host}' }, 'linux'), (e: Error & { issues?: { field: string }[] }) => e.issues?.map((i) => i.field).join() === 'dir,layout');
  });
});

describe('recording answers', () => {
  it('takes the extension from Content-Disposition, else Content-Type, else flv', () => {
    assert.equal(extensionFromResponse('attachment; filename="abc.MP4"', 'video/x-flv'), 'mp4');
    assert.equal(extensionFromResponse("attachment; filename*=UTF-8''r%C3%A9c.webm", undefined), 'webm');
    assert.equal(extensionFromResponse('attachment; filename="../../evil.sh;.exe"', undefined), 'exe');
    assert.equal(extensionFromResponse(undefined, 'video/x-flv; charset=binary'), 'flv');
    assert.equal(extensionFromResponse(undefined, 'application/octet-stream'), 'flv');
    assert.equal(extensionFromResponse('attachment', undefined), 'flv');
  });

  it('tells an error page from a recording by its first bytes', () => {
    assert.equal(looksLikeMarkup(Buffer.from('FLV\x01\x05'), 'application/octet-stream'), false);
    assert.equal(looksLikeMarkup(Buffer.from('\ufeff  <?xml version="1.0"?><error/>'), undefined), true);
    assert.equal(looksLikeMarkup(Buffer.from('<!DOCTYPE html>'), 'application/octet-stream'), true);
    assert.equal(looksLikeMarkup(Buffer.from('FLV'), 'text/xml'), true);
    assert.equal(isExpiredText('This recording has expired and can no longer be viewed or downloaded.'), true);
    assert.equal(isExpiredText('Invalid lsid.'), false);
  });

  it('finds the recordings a stored header lists, with any namespace prefix', () => {
    const header = '<ns:session lsid="a"><ns:session_recording_download_url>u</ns:session_recording_download_url><ns:command_shell_recordings><ns:command_shell_recording instance="2"/><ns:command_shell_recording instance="0"></ns:command_shell_recording></ns:command_shell_recordings></ns:session>';
    assert.deepEqual(recordingsOf(header), { screen: true, shellInstances: [0, 2] });
    assert.deepEqual(recordingsOf('<session lsid="b"><session_recording_view_url>v</session_recording_view_url></session>'), { screen: false, shellInstances: [] });
    assert.equal(headerPrefix(header), 'ns:');
    assert.equal(headerPrefix('<session lsid="b">'), '');
  });
});
