import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openDatabase, SETTINGS_FILE, type AppDatabase } from '../../electron/engine/db/database.ts';
import { MigrationError, runMigrations, userVersion } from '../../electron/engine/db/migrations.ts';
import { MIGRATIONS, openSettingsDatabase, SCHEMA_VERSION } from '../../electron/engine/settings-db.ts';
import { ensureDataDir } from '../../electron/engine/paths.ts';
import { openWriterConnection } from '../../electron/engine/store/writer-connection.ts';
import { MemorySecretStore, secretAccounts } from '../../electron/engine/secrets/secret-store.ts';
import { DuplicateSiteNameError, SiteNotFoundError, SiteRepository, type SiteFields } from '../../electron/engine/sites/site-repository.ts';
import { SiteSecretError, SiteService, SiteValidationError } from '../../electron/engine/sites/site-service.ts';

const posix = process.platform !== 'win32';
const root = mkdtempSync(path.join(tmpdir(), 'pra-ic-settings-'));
after(() => rmSync(root, { recursive: true, force: true }));

let counter = 0;
/** A fresh data directory path (not created yet). */
function freshDir(): string {
  counter += 1;
  return path.join(root, `data-${counter}`, 'PRA Integration Client');
}

function withDb<T>(fn: (app: AppDatabase, dir: string) => T, dir = freshDir()): T {
  const app = openSettingsDatabase(dir);
  try {
    return fn(app, dir);
  } finally {
    app.close();
  }
}

async function withDbAsync<T>(fn: (app: AppDatabase, dir: string) => Promise<T>, dir = freshDir()): Promise<T> {
  const app = openSettingsDatabase(dir);
  try {
    return await fn(app, dir);
  } finally {
    app.close();
  }
}

function mode(file: string): number {
  return statSync(file).mode & 0o777;
}

const fields = (over: Partial<SiteFields> = {}): SiteFields => ({
  name: 'Production',
  host: 'access.example.com',
  clientId: 'client-1',
  enabled: true,
  initialIntervalSeconds: 86_400,
  pollIntervalSeconds: 300,
  timeoutSeconds: 30,
  caFile: null,
  proxyUrl: null,
  backupSchedule: 'off',
  keepBackups: 30,
  ...over,
});

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

describe('settings.db', () => {
  it("sets WAL, foreign keys, FULL sync, a busy timeout and SQLite's default page cache", () => {
    withDb(({ db }) => {
      assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
      assert.equal(db.pragma('synchronous', { simple: true }), 2);
      assert.equal(db.pragma('busy_timeout', { simple: true }), 5000);
      assert.equal(db.pragma('cache_size', { simple: true }), -2000, "2 MB, not better-sqlite3's 16 MB");
    });
  });

  it("gives the store writer thread a connection that commits without an fsync, and leaves the engine's FULL", () => {
    withDb(({ db }, dir) => {
      const writer = openWriterConnection(dir);
      try {
        assert.equal(writer.db.pragma('synchronous', { simple: true }), 1, 'NORMAL: its windows are made durable by the cursor commit after them');
        assert.equal(writer.db.pragma('journal_mode', { simple: true }), 'wal', 'NORMAL is safe only with a write-ahead log');
        assert.equal(db.pragma('synchronous', { simple: true }), 2, "the engine's connection, which moves the cursor, stays FULL");
        // The writer's commit is seen by the engine's connection at once (one file, one log).
        const before = db.prepare('SELECT count(*) FROM settings').pluck().get() as number;
        writer.db.prepare("INSERT INTO settings (key, value) VALUES ('writer-test', 'x')").run();
        assert.equal(db.prepare('SELECT count(*) FROM settings').pluck().get(), before + 1);
      } finally {
        writer.close();
      }
    });
  });

  it('is at the latest schema version', () => {
    assert.equal(SCHEMA_VERSION, MIGRATIONS.length);
    withDb(({ db }) => assert.equal(userVersion(db), SCHEMA_VERSION));
  });

  it('registers every module’s migrations in the order they shipped (an existing database’s version means the same)', () => {
    // Each module owns its migrations; electron/engine/settings-db.ts lists them. Appending is the
    // only allowed change: version i of every database in the field was made by migration i.
    assert.deepEqual(
      MIGRATIONS.map((m) => m.description).slice(0, 6),
      [
        'meta (install id) and sites',
        'session store, extraction state and outbox',
        'outbox keyed by event, events counted per hour',
        'events kept as XML text',
        'session headers kept as XML text',
        'events keyed by session id',
      ],
    );
  });

  it('a second connection opened without migrations refuses a file that has no schema yet', () => {
    const dir = freshDir();
    assert.throws(() => openDatabase(dir, { migrations: null }), /Could not open the settings database .*it has no schema yet/);
    const app = openSettingsDatabase(dir);
    const second = openDatabase(dir, { migrations: null });
    try {
      assert.equal(second.installId, app.installId);
      assert.equal(userVersion(second.db), SCHEMA_VERSION);
    } finally {
      second.close();
      app.close();
    }
  });

  it('keeps its install id across reopening; another data dir has another', () => {
    const dir = freshDir();
    const first = withDb((app) => app.installId, dir);
    assert.match(first, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(withDb((app) => app.installId, dir), first);
    assert.notEqual(withDb((app) => app.installId), first);
  });

  it('creates the data dir 0700 and the file 0600 (and the -wal / -shm files)', { skip: !posix && 'POSIX modes' }, () => {
    withDb((app, dir) => {
      assert.equal(mode(dir), 0o700);
      assert.equal(app.file, path.join(dir, SETTINGS_FILE));
      assert.equal(mode(app.file), 0o600);
      app.db.prepare("INSERT INTO meta (key, value) VALUES ('probe', 'x')").run();
      for (const suffix of ['-wal', '-shm']) {
        assert.ok(existsSync(app.file + suffix), suffix);
        assert.equal(mode(app.file + suffix), 0o600, suffix);
      }
    });
  });

  it('leaves an existing data dir as it is (with a warning) and tightens its own database file', { skip: !posix && 'POSIX modes' }, () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    chmodSync(dir, 0o755);
    withDb(() => undefined, dir);
    chmodSync(dir, 0o775);
    chmodSync(path.join(dir, SETTINGS_FILE), 0o644);
    withDb((app) => {
      assert.equal(mode(dir), 0o775, 'a folder the tool did not create keeps its mode');
      assert.equal(mode(app.file), 0o600);
    }, dir);
    chmodSync(dir, 0o750);
    const warnings: string[] = [];
    assert.equal(ensureDataDir(dir, (w) => warnings.push(w)), dir);
    assert.equal(mode(dir), 0o750);
    assert.match(warnings.join(), /is open to other users \(mode 0750\)/);
    chmodSync(dir, 0o700);
    warnings.length = 0;
    ensureDataDir(dir, (w) => warnings.push(w));
    assert.deepEqual(warnings, []);
  });

  it('refuses a database made by a newer version, leaving it untouched', () => {
    const dir = freshDir();
    withDb(() => undefined, dir);
    const file = path.join(dir, SETTINGS_FILE);
    const raw = new Database(file);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    assert.throws(() => openSettingsDatabase(dir), {
      name: 'DatabaseTooNewError',
      message: new RegExp(`settings\\.db was made by a newer version of PRA Integration Client \\(schema version ${SCHEMA_VERSION + 1}; this version knows up to ${SCHEMA_VERSION}\\)`),
    });
    const check = new Database(file, { readonly: true });
    assert.equal(userVersion(check), SCHEMA_VERSION + 1);
    check.close();
  });

  it('refuses a file that is not a database, saying so', () => {
    const dir = freshDir();
    ensureDataDir(dir);
    writeFileSync(path.join(dir, SETTINGS_FILE), 'this is not sqlite at all, just some text that is long enough to be a header'.repeat(20));
    assert.throws(() => openSettingsDatabase(dir), /Could not open the settings database .*not a SQLite database/);
  });

  it('runs appended migrations in order, each with its version bump', () => {
    const db = new Database(':memory:');
    const extended = [
      ...MIGRATIONS,
      { description: 'second', up: (d: Database.Database) => d.exec('CREATE TABLE second (x INTEGER) STRICT') },
      { description: 'third', up: (d: Database.Database) => d.exec('ALTER TABLE second ADD COLUMN y TEXT') },
    ];
    runMigrations(db, MIGRATIONS);
    assert.equal(userVersion(db), SCHEMA_VERSION);
    runMigrations(db, extended);
    assert.equal(userVersion(db), SCHEMA_VERSION + 2);
    const columns = (db.prepare('PRAGMA table_info(second)').all() as { name: string }[]).map((c) => c.name);
    assert.deepEqual(columns, ['x', 'y']);
    runMigrations(db, extended); // idempotent
    assert.equal(userVersion(db), SCHEMA_VERSION + 2);
    db.close();
  });

  it('rolls a failing migration back entirely', () => {
    const db = new Database(':memory:');
    const broken = [
      ...MIGRATIONS,
      {
        description: 'half done',
        up: (d: Database.Database) => {
          d.exec('CREATE TABLE half (x INTEGER)');
          throw new Error('boom');
        },
      },
    ];
    assert.throws(() => runMigrations(db, broken), (error: unknown) => {
      assert.ok(error instanceof MigrationError);
      assert.match(error.message, new RegExp(`Could not upgrade settings\\.db to schema version ${SCHEMA_VERSION + 1} \\(half done\\): boom`));
      return true;
    });
    assert.equal(userVersion(db), SCHEMA_VERSION);
    assert.deepEqual(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'half'").get(), { n: 0 });
    db.close();
  });

  it('has no column for secrets', () => {
    withDb(({ db }) => {
      const columns = (db.prepare('PRAGMA table_info(sites)').all() as { name: string }[]).map((c) => c.name);
      assert.deepEqual(columns, [
        'id',
        'name',
        'host',
        'client_id',
        'enabled',
        'initial_interval_seconds',
        'poll_interval_seconds',
        'timeout_seconds',
        'ca_file',
        'proxy_url',
        'created_at',
        'updated_at',
        'backup_schedule',
        'keep_backups',
      ]);
    });
  });
});

describe('SiteRepository', () => {
  it('creates, reads, lists, updates and removes sites', () => {
    withDb(({ db }) => {
      let clock = new Date('2026-01-02T03:04:05.678Z');
      const repo = new SiteRepository(db, () => clock);
      const prod = repo.create(fields({ caFile: '/etc/ca.pem', proxyUrl: 'http://proxy:3128' }));
      assert.deepEqual(prod, {
        id: prod.id,
        ...fields({ caFile: '/etc/ca.pem', proxyUrl: 'http://proxy:3128' }),
        createdAt: '2026-01-02T03:04:05.678Z',
        updatedAt: '2026-01-02T03:04:05.678Z',
      });
      assert.equal(typeof prod.id, 'number');
      const lab = repo.create(fields({ name: 'lab', host: '10.0.0.5:8443', enabled: false }));
      assert.equal(lab.enabled, false);

      assert.deepEqual(repo.get(prod.id), prod);
      assert.equal(repo.get(9999), null);
      assert.deepEqual(
        repo.list().map((s) => s.name),
        ['lab', 'Production'],
      );
      assert.deepEqual(repo.findByName('PRODUCTION'), prod);
      assert.deepEqual(repo.findByName(' production '), prod);
      assert.equal(repo.findByName('nothing'), null);

      clock = new Date('2026-02-03T04:05:06.789Z');
      const updated = repo.update(prod.id, { pollIntervalSeconds: 60, enabled: false, caFile: null });
      assert.equal(updated.pollIntervalSeconds, 60);
      assert.equal(updated.enabled, false);
      assert.equal(updated.caFile, null);
      assert.equal(updated.proxyUrl, 'http://proxy:3128');
      assert.equal(updated.createdAt, '2026-01-02T03:04:05.678Z');
      assert.equal(updated.updatedAt, '2026-02-03T04:05:06.789Z');
      assert.deepEqual(repo.update(prod.id, {}), updated);
      assert.equal(repo.update(prod.id, { name: 'PROD' }).name, 'PROD');

      assert.throws(() => repo.update(9999, { enabled: true }), SiteNotFoundError);
      assert.throws(() => repo.update(9999, {}), SiteNotFoundError);

      assert.equal(repo.remove(lab.id), true);
      assert.equal(repo.remove(lab.id), false);
      assert.equal(repo.get(lab.id), null);
    });
  });

  it('stamps ISO 8601 UTC times', () => {
    withDb(({ db }) => {
      const site = new SiteRepository(db).create(fields());
      assert.match(site.createdAt, ISO_UTC);
      assert.match(site.updatedAt, ISO_UTC);
    });
  });

  it('refuses a duplicate name in any case', () => {
    withDb(({ db }) => {
      const repo = new SiteRepository(db);
      repo.create(fields({ name: 'Production' }));
      const lab = repo.create(fields({ name: 'Lab' }));
      for (const name of ['Production', 'production', 'PRODUCTION']) {
        assert.throws(() => repo.create(fields({ name })), (error: unknown) => {
          assert.ok(error instanceof DuplicateSiteNameError);
          assert.equal(error.message, 'A site named “Production” already exists');
          return true;
        });
      }
      assert.throws(() => repo.update(lab.id, { name: 'pRoDuCtIoN' }), {
        name: 'DuplicateSiteNameError',
        message: 'A site named “Production” already exists',
      });
      assert.equal(repo.list().length, 2);
      assert.equal(repo.update(lab.id, { name: 'LAB' }).name, 'LAB'); // its own name in another case is fine
    });
  });

  it('never reuses the id of a removed site', () => {
    withDb(({ db }) => {
      const repo = new SiteRepository(db);
      repo.create(fields({ name: 'a' }));
      const b = repo.create(fields({ name: 'b' }));
      repo.remove(b.id);
      assert.ok(repo.create(fields({ name: 'c' })).id > b.id);
    });
  });
});

/** A MemorySecretStore whose writes can be made to fail — with the secret in the error, to prove it is redacted. */
class FlakySecretStore extends MemorySecretStore {
  failSet = false;
  failDelete = false;
  override async set(account: string, secret: string) {
    if (this.failSet) throw new Error(`Secret Service is locked (while storing ${secret})`);
    return super.set(account, secret);
  }
  override async delete(account: string) {
    if (this.failDelete) throw new Error('Secret Service is locked');
    return super.delete(account);
  }
}

describe('SiteService', () => {
  const input = { name: 'Production', host: 'https://access.example.com/login', clientId: 'client-1' };

  it('adds a site with its secret, validating the input', async () => {
    await withDbAsync(async (app) => {
      const secrets = new MemorySecretStore();
      const service = new SiteService(app, secrets);
      const site = await service.addSite(input, '  s3cret-value\n');
      assert.equal(site.host, 'access.example.com');
      assert.equal(site.pollIntervalSeconds, 300);
      assert.equal(await service.getClientSecret(site), 's3cret-value');
      assert.equal(await secrets.get(secretAccounts.siteClientSecret(app.installId, site.id)), 's3cret-value');
      assert.equal(await service.hasClientSecret(site), true);
      assert.deepEqual(service.listSites(), [site]);
      assert.deepEqual(service.getSite('production'), site);
      assert.deepEqual(service.getSite(site.id), site);
      assert.deepEqual(service.getSite(String(site.id)), site);
      assert.throws(() => service.getSite('nope'), SiteNotFoundError);
    });
  });

  it('refuses invalid input and an empty secret, storing nothing', async () => {
    await withDbAsync(async (app) => {
      const secrets = new MemorySecretStore();
      const service = new SiteService(app, secrets);
      await assert.rejects(service.addSite({ ...input, host: 'http://access.example.com' }, 'x'), (error: unknown) => {
        assert.ok(error instanceof SiteValidationError);
        assert.match(error.message, /only served over HTTPS/);
        assert.equal(error.issues[0]!.field, 'host');
        return true;
      });
      for (const empty of ['', '   ']) {
        await assert.rejects(service.addSite(input, empty), { name: 'SiteValidationError', message: /^Client secret is required/ });
      }
      await assert.rejects(service.addSite({ ...input, pollIntervalSeconds: 5 }, 'x'), /Poll interval must be at least 30s/);
      assert.deepEqual(service.listSites(), []);
      assert.deepEqual(await secrets.accounts(''), []);
    });
  });

  it('lets tests poll faster through minPollSeconds', async () => {
    await withDbAsync(async (app) => {
      const service = new SiteService(app, new MemorySecretStore(), { minPollSeconds: 1 });
      assert.equal((await service.addSite({ ...input, pollIntervalSeconds: 2 }, 'x')).pollIntervalSeconds, 2);
    });
  });

  it('refuses a duplicate name (any case) without touching the secret store', async () => {
    await withDbAsync(async (app) => {
      const secrets = new MemorySecretStore();
      const service = new SiteService(app, secrets);
      await service.addSite(input, 'first');
      await assert.rejects(service.addSite({ ...input, name: 'PRODUCTION' }, 'second'), {
        name: 'DuplicateSiteNameError',
        message: 'A site named “Production” already exists',
      });
      assert.equal((await secrets.accounts('')).length, 1);
    });
  });

  it('removes the row again when the keychain refuses the secret, without the secret in the error', async () => {
    await withDbAsync(async (app) => {
      const secrets = new FlakySecretStore();
      secrets.failSet = true;
      const service = new SiteService(app, secrets);
      await assert.rejects(service.addSite(input, 'top-secret-value'), (error: unknown) => {
        assert.ok(error instanceof SiteSecretError);
        assert.match(error.message, /^Could not store the client secret in the OS keychain: Secret Service is locked/);
        assert.match(error.message, /was not added/);
        assert.doesNotMatch(error.message, /top-secret-value/);
        assert.doesNotMatch(String(error.stack), /top-secret-value/);
        assert.equal(error.cause, undefined);
        return true;
      });
      assert.deepEqual(service.listSites(), []);
      secrets.failSet = false;
      const site = await service.addSite(input, 'top-secret-value'); // the name is free again
      assert.equal(await service.getClientSecret(site), 'top-secret-value');
    });
  });

  it('edits settings, keeping the secret unless a new one is given', async () => {
    await withDbAsync(async (app) => {
      const secrets = new FlakySecretStore();
      const service = new SiteService(app, secrets);
      const site = await service.addSite(input, 'one');
      const edited = await service.editSite('PRODUCTION', { pollIntervalSeconds: '10m', host: 'access.example.com:8443' });
      assert.equal(edited.pollIntervalSeconds, 600);
      assert.equal(edited.host, 'access.example.com:8443');
      assert.equal(await service.getClientSecret(site), 'one');
      await service.editSite(site.id, {}, null);
      assert.equal(await service.getClientSecret(site), 'one');
      await service.editSite(String(site.id), { name: 'Prod' }, ' two ');
      assert.equal(await service.getClientSecret(site), 'two');
      assert.equal(service.getSite(site.id).name, 'Prod');

      await assert.rejects(service.editSite(site.id, {}, '  '), { name: 'SiteValidationError', message: /Client secret can't be empty/ });
      await assert.rejects(service.editSite(site.id, { timeoutSeconds: 0 }), /Timeout must be at least 1s/);
      await assert.rejects(service.editSite('missing', {}), SiteNotFoundError);

      // A failed rename leaves the secret as it was.
      await service.addSite({ ...input, name: 'Lab' }, 'lab');
      await assert.rejects(service.editSite(site.id, { name: 'lab' }, 'three'), DuplicateSiteNameError);
      assert.equal(await service.getClientSecret(site), 'two');

      // A keychain failure leaves the row as it was.
      secrets.failSet = true;
      await assert.rejects(service.editSite(site.id, { enabled: false }, 'four'), (error: unknown) => {
        assert.ok(error instanceof SiteSecretError);
        assert.match(error.message, /^Could not store the client secret in the OS keychain/);
        assert.doesNotMatch(error.message, /four/);
        return true;
      });
      assert.equal(service.getSite(site.id).enabled, true);
      assert.equal(await service.getClientSecret(site), 'two');
    });
  });

  it('removes a site with every secret it owns, and only those', async () => {
    await withDbAsync(async (app) => {
      const secrets = new FlakySecretStore();
      const service = new SiteService(app, secrets);
      const prod = await service.addSite(input, 'prod-secret');
      const lab = await service.addSite({ ...input, name: 'Lab' }, 'lab-secret');
      await secrets.set(secretAccounts.siteBackupPassword(app.installId, prod.id), 'backup');
      await secrets.set(secretAccounts.siteClientSecret('other-install', prod.id), 'other');

      secrets.failDelete = true;
      await assert.rejects(service.removeSite('Production'), { name: 'SiteSecretError', message: /was not removed/ });
      assert.ok(service.findSite(prod.id));
      secrets.failDelete = false;

      const removed = await service.removeSite('production');
      assert.equal(removed.id, prod.id);
      assert.equal(service.findSite(prod.id), null);
      assert.deepEqual(await secrets.accounts(secretAccounts.sitePrefix(app.installId, prod.id)), []);
      assert.equal(await service.hasClientSecret(prod), false);
      assert.equal(await service.getClientSecret(lab), 'lab-secret');
      assert.equal(await secrets.get(secretAccounts.siteClientSecret('other-install', prod.id)), 'other');
      await assert.rejects(service.removeSite('production'), SiteNotFoundError);
    });
  });

  it('never writes a secret into settings.db, -wal or -shm', async () => {
    const dir = freshDir();
    const file = path.join(dir, SETTINGS_FILE);
    const secretsUsed = ['Zq7-client-secret-VALUE-1f9e', 'Xk2-second-SECRET-88aa', 'Yp5-edited-SECRET-0c0c'];
    /** The files (of the three) whose raw bytes contain the text, in UTF-8 or UTF-16. */
    const filesContaining = (text: string): string[] =>
      [file, `${file}-wal`, `${file}-shm`].filter(
        (f) =>
          existsSync(f) &&
          (['utf8', 'utf16le'] as const).some((encoding) => readFileSync(f).indexOf(Buffer.from(text, encoding)) !== -1),
      );

    const app = openSettingsDatabase(dir);
    const secrets = new FlakySecretStore();
    const service = new SiteService(app, secrets);
    const prod = await service.addSite({ ...input, clientId: 'canary-client-id-7d1e' }, secretsUsed[0]!);
    await service.addSite({ ...input, name: 'Lab', host: '10.0.0.5:8443' }, secretsUsed[1]!);
    await service.editSite(prod.id, { pollIntervalSeconds: 60 }, secretsUsed[2]!);
    secrets.failSet = true;
    await assert.rejects(service.addSite({ ...input, name: 'Failing' }, secretsUsed[0]!), SiteSecretError);

    // While open: the rows are in the WAL (the scan does find what was written)...
    assert.ok(existsSync(`${file}-wal`) && existsSync(`${file}-shm`));
    assert.notDeepEqual(filesContaining('canary-client-id-7d1e'), []);
    // ...but no secret is anywhere.
    for (const secret of secretsUsed) assert.deepEqual(filesContaining(secret), [], `${secret} while open`);

    app.close();
    assert.deepEqual(filesContaining('canary-client-id-7d1e'), [file]);
    for (const secret of secretsUsed) assert.deepEqual(filesContaining(secret), [], `${secret} after close`);
  });
});
