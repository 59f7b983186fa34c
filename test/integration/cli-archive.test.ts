// `pra-ic archive set|show|test|off|verify` and the archive in `run --once` and `status --json`,
// through the real CLI in child processes against the PRA simulator.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createManualClock, DEFAULT_CLIENT, generateCorpus, startPraSimulator, type PraSimulator } from '../simulators/pra/index.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/temp-dir.ts';

const T = Math.floor(Date.now() / 1000 / 3600) * 3600;

describe('pra-ic archive', () => {
  let pra: PraSimulator;
  let dataDir: string;
  let archiveDir: string;
  const cli = (args: string[], input?: string) => runCli(['--data-dir', dataDir, ...args], { input });

  before(async () => {
    const corpus = generateCorpus({ seed: 'cli-archive', from: T - 86_400, to: T - 3600, sessions: 20, inProgressShare: 0 });
    pra = await startPraSimulator({ now: createManualClock(T).now, sessions: corpus });
    // One recording the appliance has expired: reported, not a failure of the run.
    const withRecording = corpus.find((s) => s.hasRecording)!;
    pra.recordings.set(withRecording.lsid, null, { expired: true });
    dataDir = tempDir();
    archiveDir = join(tempDir(), 'archive');
    const add = await cli(['site', 'add', '--name', 'Sim', '--host', pra.host, '--client-id', DEFAULT_CLIENT.clientId, '--client-secret-stdin', '--ca-file', pra.caFile, '--initial-interval', '2d'], DEFAULT_CLIENT.clientSecret);
    assert.equal(add.code, 0, add.stderr);
  });
  after(() => pra.close());

  it('refuses a relative folder and a layout without {lsid}, saying what to fix', async () => {
    const rel = await cli(['archive', 'set', '--dir', 'relative/dir']);
    assert.notEqual(rel.code, 0);
    assert.match(rel.stderr, /absolute path/);
    const layout = await cli(['archive', 'set', '--dir', archiveDir, '--layout', '{host}/{date}']);
    assert.notEqual(layout.code, 0);
    assert.match(layout.stderr, /must contain \{lsid\}/);
  });

  it('set, show and test the folder', async () => {
    const set = await cli(['archive', 'set', '--dir', archiveDir, '--no-shell-recordings', '--json']);
    assert.equal(set.code, 0, set.stderr);
    assert.deepEqual(JSON.parse(set.stdout), { dir: archiveDir, layout: '{host}/{date}/{lsid}', sessionXml: true, recordings: true, shellRecordings: false, configured: true });
    const show = await cli(['archive', 'show']);
    assert.match(show.stdout, new RegExp(`Archive folder: ${archiveDir}`));
    assert.match(show.stdout, /Archives:\s+session XML, recordings\n/);
    const test = await cli(['archive', 'test', '--json']);
    assert.equal(test.code, 0, test.stdout);
    assert.deepEqual((JSON.parse(test.stdout) as { steps: { id: string; status: string }[] }).steps.map((s) => [s.id, s.status]), [['folder', 'ok'], ['write', 'ok'], ['space', 'ok']]);
  });

  it('run --once archives what is due, counts the expired recording, exits 0; status --json has the counts; verify passes, then fails when a file is gone', async () => {
    const run = await cli(['run', '--once']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Archive: \d+ file\(s\), \d+ bytes written this run; 1 recording\(s\) expired on the appliance/);
    const status = JSON.parse((await cli(['status', '--json'])).stdout) as { archive: { state: string; written: { files: number }; expired: number; failed: number; pending: number } };
    assert.equal(status.archive.state, 'ok');
    assert.ok(status.archive.written.files >= 20, `${status.archive.written.files} files`);
    assert.equal(status.archive.expired, 1);
    assert.equal(status.archive.failed, 0);
    assert.equal(status.archive.pending, 0);
    const verify = await cli(['archive', 'verify']);
    assert.equal(verify.code, 0, verify.stdout);
    assert.match(verify.stdout, new RegExp(`${status.archive.written.files} of ${status.archive.written.files} archived file\\(s\\) intact`));
    const files = JSON.parse((await cli(['archive', 'verify', '--json'])).stdout) as { checked: number };
    assert.equal(files.checked, status.archive.written.files);
    // A file removed behind the archive's back is reported, with a non-zero exit.
    const { readdirSync } = await import('node:fs');
    const xml = readdirSync(archiveDir, { recursive: true, withFileTypes: true }).find((e) => e.name === 'session.xml')!;
    rmSync(join(xml.parentPath, xml.name));
    const broken = await cli(['archive', 'verify']);
    assert.equal(broken.code, 1);
    assert.match(broken.stdout, /^MISSING {2}.*session\.xml$/m);
  });

  it('off stops archiving and leaves the files', async () => {
    const off = await cli(['archive', 'off']);
    assert.equal(off.code, 0, off.stderr);
    assert.match(off.stdout, /Archive off/);
    const show = await cli(['archive', 'show', '--json']);
    assert.equal((JSON.parse(show.stdout) as { configured: boolean }).configured, false);
    const status = await cli(['status']);
    assert.match(status.stdout, /Archive: off\./);
  });
});
