import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/temp-dir.ts';
import { startPraSimulator, type PraSimulator } from '../simulators/pra/index.ts';

/** Every byte of every file under `dir` (settings.db, its -wal/-shm, logs). */
function allBytes(dir: string): Buffer {
  const parts: Buffer[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d)) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p);
      else parts.push(readFileSync(p));
    }
  };
  walk(dir);
  return Buffer.concat(parts);
}

describe('pra-ic site add / list / test / remove against the PRA simulator', () => {
  const SECRET = 'cli-secret-Z9q7-never-stored-in-sqlite';
  let sim: PraSimulator;
  let dataDir: string;
  const cli = (args: string[], input?: string) => runCli(['--data-dir', dataDir, ...args], { input });

  before(async () => {
    sim = await startPraSimulator({ clients: [{ clientId: 'cli-client', clientSecret: SECRET }, { clientId: 'no-reports', clientSecret: SECRET, permissions: { reporting: false } }] });
    dataDir = tempDir();
  });
  after(() => sim.close());

  it('adds a site with the secret from stdin, normalising a pasted URL', async () => {
    const r = await cli(['site', 'add', '--name', 'Prod', '--host', `https://${sim.host}/login`, '--client-id', 'cli-client', '--client-secret-stdin', '--ca-file', sim.caFile, '--interval', '1m'], `${SECRET}\n`);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /Removed “https:\/\/” and “\/login”/);
    assert.match(r.stdout, /Added site “Prod”/);
  });

  it('refuses a duplicate name (case-insensitive) and a bad host, saying what to type', async () => {
    const dup = await cli(['site', 'add', '--name', 'PROD', '--host', sim.host, '--client-id', 'x', '--client-secret-stdin'], 'x');
    assert.notEqual(dup.code, 0);
    assert.match(dup.stderr, /already exists/);
    const bad = await cli(['site', 'add', '--name', 'Other', '--host', 'ftp://x y', '--client-id', 'x', '--client-secret-stdin'], 'x');
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /access\.example\.com/);
  });

  it('lists sites, as a table and as JSON, without the secret', async () => {
    const table = await cli(['site', 'list']);
    assert.equal(table.code, 0);
    assert.match(table.stdout, /Prod\s+127\.0\.0\.1:\d+\s+cli-client/);
    const json = await cli(['site', 'list', '--json']);
    const sites = JSON.parse(json.stdout) as { name: string; clientSecretStored: boolean }[];
    assert.equal(sites[0]!.name, 'Prod');
    assert.equal(sites[0]!.clientSecretStored, true);
    assert.ok(!json.stdout.includes(SECRET));
  });

  it('test passes every step for a good site (exit 0)', async () => {
    const r = await cli(['site', 'test', 'Prod', '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const result = JSON.parse(r.stdout) as { ok: boolean; steps: { id: string; status: string }[] };
    assert.deepEqual(result.steps.map((s) => [s.id, s.status]), [['dns', 'ok'], ['tls', 'ok'], ['token', 'ok'], ['reporting', 'ok'], ['clock', 'ok'], ['backup', 'skipped']]);
  });

  it('test names the failing step: wrong secret → sign-in', async () => {
    assert.equal((await cli(['site', 'edit', 'Prod', '--client-secret-stdin'], 'wrong-secret-value')).code, 0);
    const r = await cli(['site', 'test', 'prod']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAILED {2}Sign-in with client ID and secret.*\n.*Client ID or secret rejected/);
    assert.ok(!r.stdout.includes('wrong-secret-value'));
    assert.equal((await cli(['site', 'edit', 'Prod', '--client-secret-stdin'], SECRET)).code, 0);
  });

  it('test names the failing step: untrusted certificate → TLS, with subject and issuer', async () => {
    assert.equal((await cli(['site', 'edit', 'Prod', '--ca-file', ''])).code, 0);
    const r = await cli(['site', 'test', 'Prod']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAILED {2}Secure connection \(TLS\)[^\n]*\n[^\n]*(does not trust|self-signed).*subject .*issuer /);
    assert.equal((await cli(['site', 'edit', 'Prod', '--ca-file', sim.caFile])).code, 0);
  });

  it('test names the failing step: missing reporting permission', async () => {
    const add = await cli(['site', 'add', '--name', 'NoReports', '--host', sim.host, '--client-id', 'no-reports', '--client-secret-stdin', '--ca-file', sim.caFile], SECRET);
    assert.equal(add.code, 0, add.stderr);
    const r = await cli(['site', 'test', 'NoReports']);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /FAILED {2}Permission to read access session reports[^\n]*\n[^\n]*Allow Access to Access Session Reports and Recordings/);
  });

  it('never writes the secret to the database files or the logs', () => {
    const bytes = allBytes(dataDir);
    assert.ok(bytes.length > 0);
    assert.equal(bytes.indexOf(Buffer.from(SECRET)), -1, 'the secret is nowhere in the data directory');
    assert.equal(bytes.indexOf(Buffer.from('wrong-secret-value')), -1);
  });

  it('removes a site and its secrets', async () => {
    const r = await cli(['site', 'remove', 'NoReports']);
    assert.equal(r.code, 0, r.stderr);
    const list = JSON.parse((await cli(['site', 'list', '--json'])).stdout) as { name: string }[];
    assert.deepEqual(list.map((s) => s.name), ['Prod']);
    const again = await cli(['site', 'test', 'NoReports']);
    assert.notEqual(again.code, 0);
    assert.match(again.stderr, /no site named “NoReports”/);
  });

  it('--help works on every level', async () => {
    for (const args of [['--help'], ['site', '--help'], ['site', 'add', '--help'], ['run', '--help'], ['destination', 'set', '--help']]) {
      const r = await runCli(args);
      assert.equal(r.code, 0, args.join(' '));
      assert.match(r.stdout, /Usage: pra-ic/);
    }
  });
});
