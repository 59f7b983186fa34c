import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, utimesSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { Engine } from '../../electron/engine/engine.ts';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/temp-dir.ts';
import { backupBytes, startPraSimulator, type PraSimulator } from '../simulators/pra/index.ts';

const SECRET = 'cli-backup-secret-4Kq';
const PASSWORD = 'cli-backup-password-Zz9 with spaces';

function allBytes(dir: string): Buffer {
  const parts: Buffer[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else parts.push(readFileSync(p));
    }
  };
  if (existsSync(dir)) walk(dir);
  return Buffer.concat(parts);
}

describe('pra-ic site … --backups / --backup-password-stdin, backup now, run --once', () => {
  let sim: PraSimulator;
  let dataDir: string;
  let archive: string;
  const cli = (args: string[], input?: string) => runCli(['--data-dir', dataDir, ...args], { input });

  before(async () => {
    sim = await startPraSimulator({
      clients: [{ clientId: 'cli-client', clientSecret: SECRET }, { clientId: 'no-backups', clientSecret: SECRET, permissions: { backup: false } }],
      backup: { password: PASSWORD },
    });
    dataDir = tempDir();
    archive = tempDir('pra-ic-archive-');
  });
  after(() => sim.close());

  it('site add reads two lines with both flags: the client secret, then the backup password', async () => {
    const r = await cli(
      ['site', 'add', '--name', 'Prod', '--host', sim.host, '--client-id', 'cli-client', '--client-secret-stdin', '--backup-password-stdin', '--ca-file', sim.caFile, '--backups', 'daily', '--keep-backups', '3'],
      `${SECRET}\n${PASSWORD}\n`,
    );
    assert.equal(r.code, 0, r.stderr);
    const list = await cli(['site', 'list', '--json']);
    const [site] = JSON.parse(list.stdout) as { backupSchedule: string; keepBackups: number; clientSecretStored: boolean; backupPasswordStored: boolean }[];
    assert.deepEqual([site!.backupSchedule, site!.keepBackups, site!.clientSecretStored, site!.backupPasswordStored], ['daily', 3, true, true]);
    assert.ok(!list.stdout.includes(PASSWORD));
    // The keychain holds each on its own (the lines were not swapped or merged).
    const engine = new Engine({ dataDir });
    try {
      const stored = engine.sites.getSite('Prod');
      assert.equal(await engine.sites.getClientSecret(stored), SECRET);
      assert.equal(await engine.sites.getBackupPassword(stored), PASSWORD);
    } finally {
      await engine.close();
    }
  });

  it('refuses bad backup options and a missing second line, saying what to give', async () => {
    const bad = await cli(['site', 'edit', 'Prod', '--backups', 'hourly']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /Backups must be off, daily or weekly/);
    const keep = await cli(['site', 'edit', 'Prod', '--keep-backups', 'many']);
    assert.equal(keep.code, 1);
    assert.match(keep.stderr, /Backups to keep must be a whole number/);
    const oneLine = await cli(['site', 'add', '--name', 'Other', '--host', sim.host, '--client-id', 'x', '--client-secret-stdin', '--backup-password-stdin'], `${SECRET}`);
    assert.equal(oneLine.code, 1);
    assert.match(oneLine.stderr, /2 are expected, one per secret, in this order: client secret, then backup password/);
  });

  it('backup now: a clear error without an archive folder, then the backup in <dir>/<host>/backups/', async () => {
    const none = await cli(['backup', 'now', 'Prod']);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /No archive folder is set.*pra-ic archive set --dir DIR/);

    // What `pra-ic archive set --dir` stores.
    const db = new Database(join(dataDir, 'settings.db'));
    db.prepare("INSERT INTO settings (key, value) VALUES ('archive.folder', ?)").run(JSON.stringify({ dir: archive }));
    db.close();
    const before = sim.backup.served;
    const r = await cli(['backup', 'now', 'prod']);
    assert.equal(r.code, 0, r.stderr);
    const host = sim.host.replace(':', '_');
    const match = new RegExp(`saved: (.*${host}-\\d{8}-\\d{6}Z\\.nsb) \\((\\d+) bytes`).exec(r.stdout);
    assert.ok(match, r.stdout);
    assert.ok(match[1]!.startsWith(join(archive, host, 'backups')));
    assert.deepEqual(readFileSync(match[1]!), backupBytes(before + 1, sim.backup.settings.bytes));
    assert.equal(sim.requests.filter((x) => x.endpoint === 'backup').at(-1)!.outcome, 'backup', 'the simulator checked the password');
  });

  it('edit keeps the password when not given, replaces it from stdin (one line), clears it on request', async () => {
    assert.equal((await cli(['site', 'edit', 'Prod', '--keep-backups', '4'])).code, 0);
    const test = await cli(['site', 'test', 'Prod', '--json']);
    assert.equal(test.code, 0, test.stdout);
    const steps = (JSON.parse(test.stdout) as { steps: { id: string; status: string }[] }).steps;
    assert.deepEqual(steps.map((s) => [s.id, s.status]).at(-1), ['backup', 'ok']);

    assert.equal((await cli(['site', 'edit', 'Prod', '--backup-password-stdin'], 'wrong-password\n')).code, 0);
    const wrong = await cli(['site', 'test', 'Prod']);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stdout, /FAILED {2}Permission to take site backups.*\n.*refused the backup password/);
    assert.ok(!wrong.stdout.includes('wrong-password'));
    const cleared = await cli(['site', 'edit', 'Prod', '--clear-backup-password']);
    assert.match(cleared.stdout, /backup password was removed/);
    const list = JSON.parse((await cli(['site', 'list', '--json'])).stdout) as { backupPasswordStored: boolean }[];
    assert.equal(list[0]!.backupPasswordStored, false);
    assert.equal((await cli(['site', 'edit', 'Prod', '--client-secret-stdin', '--backup-password-stdin'], `${SECRET}\r\n${PASSWORD}\r\n`)).code, 0);
  });

  it('run --once takes the backups that are due and exits non-zero when one fails', async () => {
    const add = await cli(
      ['site', 'add', '--name', 'NoPerm', '--host', sim.host, '--client-id', 'no-backups', '--client-secret-stdin', '--ca-file', sim.caFile, '--backups', 'weekly'],
      SECRET,
    );
    assert.equal(add.code, 0, add.stderr);
    const r = await cli(['run', '--once']);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stderr, /NoPerm: backup FAILED — The API account may not take backups/);
    assert.doesNotMatch(r.stdout + r.stderr, /Prod: backup/, 'Prod was backed up a moment ago: not due');

    const removed = await cli(['site', 'remove', 'NoPerm']);
    assert.equal(removed.code, 0);
    const again = await cli(['run', '--once']);
    assert.equal(again.code, 0, again.stdout + again.stderr);
  });

  it('SIGKILL during a backup: the .part never counts, and a later backup removes it once stale', async () => {
    const backups = join(archive, sim.host.replace(':', '_'), 'backups');
    const recorded = () => {
      const db = new Database(join(dataDir, 'settings.db'), { readonly: true });
      try {
        return (db.prepare("SELECT path FROM archive_files WHERE kind = 'backup' ORDER BY id").all() as { path: string }[]).map((r) => r.path.split('/').at(-1)!);
      } finally {
        db.close();
      }
    };
    const before = recorded();
    sim.backup.settings = { ...sim.backup.settings, bytes: 4 * 1024 * 1024, chunkDelayMs: 100 };
    const child = spawn(process.execPath, [fileURLToPath(new URL('../../bin/pra-ic.js', import.meta.url)), '--data-dir', dataDir, 'backup', 'now', 'Prod'], { stdio: 'ignore' });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    const partOf = () => readdirSync(backups).find((f) => f.endsWith('.nsb.part'));
    while (!partOf() || statSync(join(backups, partOf()!)).size < 256 * 1024) {
      assert.equal(child.exitCode, null, 'the backup ended before it could be killed');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    child.kill('SIGKILL');
    assert.equal(await exited, 'SIGKILL');
    const part = partOf()!;
    assert.deepEqual(recorded(), before, 'nothing recorded for the killed backup');
    assert.ok(!readdirSync(backups).includes(part.replace(/\.part$/, '')));

    // A fresh .part may be another process's backup in progress: left alone. An old one is removed.
    sim.backup.settings = { ...sim.backup.settings, bytes: 300 * 1024, chunkDelayMs: 0 };
    assert.equal((await cli(['backup', 'now', 'Prod'])).code, 0);
    assert.ok(readdirSync(backups).includes(part));
    const hoursAgo = (Date.now() - 2 * 3600_000) / 1000;
    utimesSync(join(backups, part), hoursAgo, hoursAgo);
    const r = await cli(['backup', 'now', 'Prod']);
    assert.equal(r.code, 0, r.stderr);
    const files = readdirSync(backups).sort();
    assert.ok(!files.includes(part), 'the stale .part was removed');
    assert.deepEqual(files, recorded().slice(-4).sort(), 'on disk: exactly the kept, recorded backups (keep 4)');
  });

  it('the password is nowhere in the data folder or the archive', () => {
    assert.equal(allBytes(dataDir).indexOf(Buffer.from(PASSWORD)), -1);
    assert.equal(allBytes(archive).indexOf(Buffer.from(PASSWORD)), -1);
    assert.equal(allBytes(dataDir).indexOf(Buffer.from(SECRET)), -1);
  });
});
