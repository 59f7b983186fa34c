/**
 * What a clumsy or hostile user, or an unlucky machine, gives the CLI (issue 17, items 4, 12–16):
 * bad secrets on standard input, garbage Cloud IDs, site names that differ only in case or Unicode
 * form, contradictory or malformed options, a shared data folder, a damaged, empty or full disk's
 * database, and output piped into `head`. Real processes, real files, a real keychain.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/temp-dir.ts';

const BIN = fileURLToPath(new URL('../../bin/pra-ic.js', import.meta.url));
const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('secrets from standard input', () => {
  const dataDir = tempDir();
  const cli = (args: string[], input?: string) => runCli(['--data-dir', dataDir, ...args], { input });
  const add = (name: string, secret: string) => cli(['site', 'add', '--name', name, '--host', 'access.example.com', '--client-id', 'id-1', '--client-secret-stdin'], secret);
  const names = async () => (JSON.parse((await cli(['site', 'list', '--json'])).stdout) as { name: string }[]).map((s) => s.name);

  it('refuses a NUL, a line break inside, and an absurd length, saying why and storing nothing', async () => {
    const nul = await add('Nul', 'abc\u0000def');
    assert.equal(nul.code, 1);
    assert.match(nul.stderr, /client secret \(read from standard input\) contains a line break, tab, NUL or other control character/);
    const lines = await add('Lines', 'first-line\nsecond-line\n');
    assert.equal(lines.code, 1);
    assert.match(lines.stderr, /control character/);
    const huge = await add('Huge', 'x'.repeat(2_600_000));
    assert.equal(huge.code, 1);
    assert.match(huge.stderr, /too long \(.*at most 4,096\)/);
    for (const r of [nul, lines, huge]) assert.doesNotMatch(r.stderr, /abc|def|first-line|xxxx/, 'the secret is never quoted');
    assert.deepEqual(await names(), []);
    // One trailing newline (echo) is fine.
    const ok = await add('Ok', 'a-good-secret\n');
    assert.equal(ok.code, 0, ok.stderr);
  });

  it('destination set refuses an empty API key or password, as site add does', async () => {
    const key = await cli(['destination', 'set', '--url', 'https://elastic.example.com:9200', '--api-key-stdin'], '');
    assert.equal(key.code, 1);
    assert.match(key.stderr, /API key \(read from standard input\) is empty/);
    const newline = await cli(['destination', 'set', '--url', 'https://elastic.example.com:9200', '--api-key-stdin'], '\n');
    assert.equal(newline.code, 1);
    const password = await cli(['destination', 'set', '--url', 'https://elastic.example.com:9200', '--username', 'u', '--password-stdin'], '');
    assert.equal(password.code, 1);
    assert.match(password.stderr, /password \(read from standard input\) is empty/);
    const show = await cli(['destination', 'show']);
    assert.match(show.stdout, /No destination yet/);
  });

  it('refuses garbage Cloud IDs, saying what one looks like, and takes a real one', async () => {
    for (const cloudId of [':abc', `x:${b64('onlyhost')}`, `x:${b64('es.example.com$')}`, 'prod:not base64!', `a:b:${b64('h.example.com$x$y')}`]) {
      const r = await cli(['destination', 'set', '--cloud-id', cloudId, '--api-key-stdin'], 'id:key');
      assert.equal(r.code, 1, cloudId);
      assert.match(r.stderr, /A Cloud ID looks like deployment-name:base64-text/, cloudId);
    }
    const good = await cli(['destination', 'set', '--cloud-id', `prod:${b64('us-east-1.aws.found.io$abc123$def456')}`, '--api-key-stdin'], 'id:key');
    assert.equal(good.code, 0, good.stderr);
  });
});

describe('site names and options', () => {
  const dataDir = tempDir();
  const cli = (args: string[], input?: string) => runCli(['--data-dir', dataDir, ...args], { input });
  const add = (name: string, host = 'access.example.com') => cli(['site', 'add', '--name', name, '--host', host, '--client-id', 'id-1', '--client-secret-stdin'], 'secret-value-1');

  it('names are one whatever their case or Unicode form', async () => {
    assert.equal((await add('Émile', 'emile.example.com')).code, 0);
    for (const clash of ['émile', 'ÉMILE', 'E\u0301mile', 'Ｅ\u0301mile']) {
      const r = await add(clash, 'other.example.com');
      assert.equal(r.code, 1, clash);
      assert.match(r.stderr, /A site named “Émile” already exists/, clash);
    }
    // The site itself may change its name's case; `site test émile` finds it.
    const rename = await cli(['site', 'edit', 'émile', '--name', 'émile']);
    assert.equal(rename.code, 0, rename.stderr);
    assert.equal((await add('Straße', 'strasse.example.com')).code, 0);
    assert.match((await add('STRASSE', 'x.example.com')).stderr, /already exists/);
  });

  it('refuses --enable with --disable', async () => {
    const r = await cli(['site', 'edit', 'émile', '--enable', '--disable']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /--enable or --disable, not both/);
    const list = JSON.parse((await cli(['site', 'list', '--json'])).stdout) as { name: string; enabled: boolean }[];
    assert.equal(list.find((s) => s.name === 'émile')?.enabled, true, 'not silently disabled');
  });

  it('warns when a second site pulls from the same appliance', async () => {
    const r = await add('Emile again', 'EMILE.example.com');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Warning: “émile” already pulls from emile\.example\.com\. .*doubles the API calls/);
    const other = await add('Elsewhere', 'elsewhere.example.com');
    assert.doesNotMatch(other.stderr, /Warning/);
  });

  it('validates sessions list --limit', async () => {
    for (const limit of ['abc', '-1', '1e9', '0', '2.5', '1001']) {
      const r = await cli(['sessions', 'list', '--limit', limit]);
      assert.equal(r.code, 1, limit);
      assert.match(r.stderr, /--limit.*whole number from 1 to 1000/, limit);
    }
    assert.equal((await cli(['sessions', 'list', '--limit', '5'])).code, 0);
  });
});

describe('the data folder', () => {
  it('leaves an existing shared folder as it is, and warns', { skip: process.platform === 'win32' && 'POSIX modes' }, async () => {
    const shared = path.join(tempDir(), 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const r = await runCli(['--data-dir', shared, 'status']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(statSync(shared).mode & 0o7777, 0o1777, 'the folder keeps its mode');
    assert.match(r.stderr, /Warning: The data folder .* is open to other users \(mode 1777\)\. It was left as it is/);
    assert.equal(statSync(path.join(shared, 'settings.db')).mode & 0o777, 0o600, 'what the tool creates is owner-only');
    assert.equal(statSync(path.join(shared, 'logs')).mode & 0o777, 0o700);
    // A folder the tool creates is owner-only, without a warning.
    const created = path.join(tempDir(), 'new', 'data');
    const fresh = await runCli(['--data-dir', created, 'status']);
    assert.equal(fresh.code, 0, fresh.stderr);
    assert.equal(statSync(created).mode & 0o777, 0o700);
    assert.doesNotMatch(fresh.stderr, /Warning/);
  });

  it('a damaged database: names the file and says what to do', async () => {
    const dir = tempDir();
    assert.equal((await runCli(['--data-dir', dir, 'status'])).code, 0);
    const db = new Database(path.join(dir, 'settings.db'));
    const pages = db.pragma('page_count', { simple: true }) as number;
    db.close();
    assert.ok(pages > 4);
    // Garbage over the pages after the first two (the schema's pages): a malformed image.
    const fd = Buffer.alloc(4096 * (pages - 2), 0xff);
    const file = path.join(dir, 'settings.db');
    const { openSync, writeSync, closeSync } = await import('node:fs');
    const h = openSync(file, 'r+');
    writeSync(h, fd, 0, fd.length, 4096 * 2);
    closeSync(h);
    const r = await runCli(['--data-dir', dir, 'status']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`The settings database ${file.replace(/[/\\.]/g, '\\$&')} is damaged \\(SQLite: database disk image is malformed\\)`));
    assert.match(r.stderr, /restore settings\.db from a backup, or move it .* away/);
  });

  it('an empty settings.db is refused, not taken for a new install', async () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'settings.db'), '');
    const r = await runCli(['--data-dir', dir, 'status']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /settings\.db is empty \(0 bytes\).*install id.*keychain.*Restore settings\.db from a backup/s);
    assert.equal(statSync(path.join(dir, 'settings.db')).size, 0, 'no new install id was written');
  });
});

describe('a full disk', () => {
  let mount: string | null = null;
  before(() => {
    if (process.platform !== 'linux') return;
    const dir = tempDir('pra-ic-full-');
    // A 320 KiB tmpfs, filled: needs root (the CI container runs as root); skipped otherwise.
    if (spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=320k', 'tmpfs', dir]).status !== 0) return;
    mount = dir;
    spawnSync('dd', ['if=/dev/zero', `of=${path.join(dir, 'fill')}`, 'bs=4k', 'count=200']);
  });
  after(() => {
    if (mount) spawnSync('umount', [mount]);
  });

  it('at start says the disk is full, and leaves no empty settings.db behind', async (t) => {
    if (!mount) return t.skip('needs a tmpfs mount (root on Linux)');
    const dir = path.join(mount, 'data');
    const r = await runCli(['--data-dir', dir, 'status']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /The disk that holds the data folder .* is full \(\d+ KB free\): free some space there, then try again/);
    assert.doesNotMatch(r.stderr, /disk I\/O error|database or disk is full/);
    assert.equal(existsSync(path.join(dir, 'settings.db')), false, 'no half-made settings.db');
    assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith('settings.db')), []);
    // Space again: a normal first start.
    spawnSync('rm', [path.join(mount, 'fill')]);
    const again = await runCli(['--data-dir', dir, 'status']);
    assert.equal(again.code, 0, again.stderr);
  });
});

describe('output piped into head', () => {
  it('stops quietly when the reader goes away (no EPIPE crash)', async () => {
    const dir = tempDir();
    assert.equal((await runCli(['--data-dir', dir, 'status'])).code, 0);
    // Enough sites for a table far larger than a pipe's buffer.
    const db = new Database(path.join(dir, 'settings.db'));
    const insert = db.prepare(
      "INSERT INTO sites (name, host, client_id, enabled, initial_interval_seconds, poll_interval_seconds, timeout_seconds, created_at, updated_at) VALUES (?, ?, 'client', 1, 86400, 300, 30, '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')",
    );
    db.transaction(() => {
      for (let i = 0; i < 3000; i++) insert.run(`Site number ${i} with a long name to fill the table`, `site-${i}.access.example.com`);
    })();
    db.close();
    const child = spawn('bash', ['-c', `set -o pipefail; "${process.execPath}" "${BIN}" --data-dir "${dir}" site list | head -n 1; echo "rc=\${PIPESTATUS[0]}" >&2`], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise((resolve) => child.on('close', resolve));
    assert.match(stdout, /^ID\s+NAME/);
    assert.doesNotMatch(stderr, /EPIPE|Error|at /);
    assert.match(stderr, /rc=0/);
  });
});
