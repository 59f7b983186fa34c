import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import type { Site } from '../../shared/models.ts';
import type { SiteInputRaw } from '../../shared/site-schema.ts';
import { BackupService } from '../../electron/engine/backup/backup-service.ts';
import type { Engine } from '../../electron/engine/engine.ts';
import { secretAccounts } from '../../electron/engine/secrets/secret-store.ts';
import { ApiHandlers } from '../../electron/engine/api/handlers.ts';
import { backupBytes, BACKUP_PERMISSION_TEXT, DEFAULT_CLIENT, startPraSimulator, type PraSimulator } from '../simulators/pra/index.ts';
import { newEngine } from '../support/engine-fixture.ts';
import { tempDir } from '../support/temp-dir.ts';

const PASSWORD = 'nsb-pw Ü7q!never-on-disk';
const DAY = 86_400_000;
const T0 = Date.parse('2026-03-01T02:00:00Z');

/** What `pra-ic archive set --dir` stores (the archive module's settings row). */
export function setArchiveDir(engine: Engine, dir: string | null) {
  engine.database.db
    .prepare("INSERT INTO settings (key, value) VALUES ('archive.folder', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    .run(JSON.stringify({ dir, layout: '{host}/{date}/{lsid}', sessionXml: true, recordings: true, shellRecordings: true }));
}

/** Every file under `dir`, relative, '/' separated. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  const walk = (d: string, prefix: string) => {
    for (const entry of readdirSync(d)) {
      const p = join(d, entry);
      if (statSync(p).isDirectory()) walk(p, `${prefix}${entry}/`);
      else out.push(`${prefix}${entry}`);
    }
  };
  walk(dir, '');
  return out.sort();
}

function allBytes(dir: string): Buffer {
  return Buffer.concat(filesUnder(dir).map((f) => readFileSync(join(dir, ...f.split('/')))));
}

function ledger(engine: Engine) {
  return engine.database.db.prepare("SELECT site_id, path, bytes, sha256, deleted_at FROM archive_files WHERE kind = 'backup' ORDER BY id").all() as {
    site_id: number; path: string; bytes: number; sha256: string; deleted_at: number | null;
  }[];
}

function addSite(engine: Engine, sim: PraSimulator, extra: Record<string, unknown> = {}, password: string | null = PASSWORD) {
  return engine.addSite(
    { name: `Site ${Math.random().toString(36).slice(2, 8)}`, host: sim.host, clientId: DEFAULT_CLIENT.clientId, caFile: sim.caFile, timeoutSeconds: 5, backupSchedule: 'daily', keepBackups: 2, ...extra },
    DEFAULT_CLIENT.clientSecret,
    password,
  );
}

/** A backup service on the engine's real pieces, with a clock the test moves. */
function serviceWithClock(engine: Engine, clock: { now: number }) {
  return new BackupService({
    db: engine.database.db,
    listSites: () => engine.sites.listSites(),
    getSite: (id) => engine.sites.findSite(id),
    clientFor: (site) => engine.clientFor(site),
    backupPassword: (site) => engine.sites.getBackupPassword(site),
    logger: engine.logger,
    archiveDir: () => engine.archiveDir(),
    now: () => clock.now,
  });
}

describe('site backups against the PRA simulator', () => {
  let sim: PraSimulator;
  let engine: Engine;
  let archive: string;

  before(async () => {
    sim = await startPraSimulator({ backup: { password: PASSWORD } });
  });
  after(() => sim.close());
  beforeEach(async () => {
    if (engine) await engine.close();
    engine = newEngine();
    archive = tempDir('pra-ic-archive-');
    setArchiveDir(engine, archive);
    sim.clearFaults();
    sim.backup.settings = { ...sim.backup.settings, password: PASSWORD, bytes: 300 * 1024, contentLength: false, chunkDelayMs: 0 };
    sim.setPermissions(DEFAULT_CLIENT.clientId, { backup: true });
  });
  after(() => engine?.close());

  it('sends the backup password as JSON, saves exactly the served bytes and records them; keeps only N', async () => {
    const site = await addSite(engine, sim);
    const clock = { now: T0 };
    const backups = serviceWithClock(engine, clock);
    const served: Buffer[] = [];
    const files: string[] = [];
    for (let i = 0; i < 4; i++) {
      const before = sim.backup.served;
      const result = await backups.takeBackup(site);
      served.push(backupBytes(before + 1, sim.backup.settings.bytes));
      files.push(result.file);
      assert.equal(result.bytes, 300 * 1024);
      assert.deepEqual(readFileSync(join(archive, ...result.file.split('/'))), served[i], 'the file holds exactly the bytes the appliance sent');
      clock.now += DAY;
    }
    const host = sim.host.replace(':', '_');
    assert.equal(files[0], `${host}/backups/${host}-20260301-020000Z.nsb`);
    const request = sim.requests.filter((r) => r.endpoint === 'backup').at(-1)!;
    assert.equal(request.method, 'POST');
    assert.match(request.params.content_type!, /^application\/json/);
    assert.equal(request.outcome, 'backup', 'the simulator accepted the password');

    // Keep 2: the two newest are on disk and recorded; the older two deleted and marked so.
    assert.deepEqual(filesUnder(archive), files.slice(2).sort());
    const rows = ledger(engine);
    assert.deepEqual(rows.map((r) => [r.path, r.deleted_at !== null]), files.map((f, i) => [f, i < 2]));
    assert.equal(rows[3]!.bytes, 300 * 1024);
    assert.match(rows[3]!.sha256, /^[0-9a-f]{64}$/);
    const status = backups.statuses().find((s) => s.siteId === site.id)!;
    assert.equal(status.kept, 2);
    assert.equal(status.lastFile, files[3]);
    assert.equal(status.lastBackupAt, new Date(T0 + 3 * DAY).toISOString());
    assert.equal(status.nextDueAt, new Date(T0 + 4 * DAY).toISOString());
    assert.equal(status.lastError, null);
  });

  it('a wrong, missing or refused password, an error, a web page, an empty or cut-short body: a failed backup, no .nsb, no ledger row', async () => {
    const site = await addSite(engine, sim);
    const clock = { now: T0 };
    const backups = serviceWithClock(engine, clock);
    const attempt = async (expected: RegExp) => {
      clock.now += 1000;
      await assert.rejects(backups.takeBackup(site), expected);
      assert.deepEqual(filesUnder(archive), [], 'nothing on disk, not even a .part');
      assert.deepEqual(ledger(engine), []);
      const state = backups.store.state(site.id);
      assert.match(state.lastError!, expected);
      assert.ok(!state.lastError!.includes(PASSWORD));
    };
    sim.injectFaults([{ kind: 'error-root', text: 'Backup generation failed: disk error', endpoint: 'backup' }]);
    await attempt(/refused the backup: Backup generation failed: disk error/);
    // Longer than what is peeked: judged by its label and its first bytes, not by its length.
    sim.injectFaults([{ kind: 'error-root', text: `Backup failed: ${'detail '.repeat(1000)}`, endpoint: 'backup' }]);
    await attempt(/refused the backup: Backup failed: detail detail/);
    sim.injectFaults([{ kind: 'html', endpoint: 'backup' }]);
    await attempt(/web page instead of a backup file.*Privileged Remote Access Login/);
    sim.injectFaults([{ kind: 'empty', endpoint: 'backup' }]);
    await attempt(/empty body/);
    sim.injectFaults([{ kind: 'not-xml', endpoint: 'backup' }]);
    await attempt(/message instead of a backup file: Internal Server Error/);
    sim.injectFaults([{ kind: 'truncate', afterBytes: 100_000, endpoint: 'backup' }]);
    await attempt(/broke after \d+ bytes of the backup/);
    sim.backup.settings.contentLength = true;
    sim.injectFaults([{ kind: 'truncate', afterBytes: 5000, endpoint: 'backup' }]);
    await attempt(/broke after|cut short/);
    // The appliance's words are scrubbed of the password, whatever it says.
    sim.injectFaults([{ kind: 'error-root', text: `Could not encrypt with ${PASSWORD}`, endpoint: 'backup' }]);
    await attempt(/Could not encrypt with \[password\]/);
    await engine.editSite(site.id, {}, undefined, { password: 'not-the-password' });
    await attempt(/refused the backup password: The backup password is missing or incorrect/);
    await engine.editSite(site.id, {}, undefined, { clear: true });
    await attempt(/refused the backup password/);
    assert.equal(sim.requests.filter((r) => r.endpoint === 'backup').at(-1)!.params.password, 'absent');
    sim.setPermissions(DEFAULT_CLIENT.clientId, { backup: false });
    await attempt(new RegExp(`may not take backups: ${BACKUP_PERMISSION_TEXT.replace(/[.]/g, '\\.')}.*Backup API: Allow Access`));
    assert.equal(backups.store.state(site.id).failures, 11);
  });

  it('a slow appliance is waited for; a backup stopped mid-way leaves nothing', async () => {
    const site = await addSite(engine, sim);
    const clock = { now: T0 };
    const backups = serviceWithClock(engine, clock);
    sim.injectFaults([{ kind: 'slow', delayMs: 300, endpoint: 'backup' }]);
    sim.backup.settings.chunkDelayMs = 20;
    const result = await backups.takeBackup(site);
    assert.equal(statSync(join(archive, ...result.file.split('/'))).size, 300 * 1024);

    clock.now += 1000;
    sim.backup.settings.chunkDelayMs = 1000; // ~5 s in all: long enough to stop it mid-way even on a busy machine
    const running = backups.takeBackup(site);
    // Wait (bounded) until the download has begun writing: a fixed pause is too short on a busy machine.
    for (let waited = 0; waited < 15_000 && !filesUnder(archive).some((f) => f.endsWith('.nsb.part')); waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.ok(filesUnder(archive).some((f) => f.endsWith('.nsb.part')), 'the backup streams to a .part file');
    await backups.close();
    await assert.rejects(running);
    assert.deepEqual(filesUnder(archive), [result.file], 'only the complete backup; the .part was removed');
    assert.equal(ledger(engine).length, 1);
    assert.equal(backups.store.state(site.id).failures, 0, 'stopping is not a failure of the site');
  });

  it('takes backups when due: daily or weekly, not when off or disabled, retried with backoff, none without a folder', async () => {
    const daily = await addSite(engine, sim, { name: 'Daily' });
    const weekly = await addSite(engine, sim, { name: 'Weekly', backupSchedule: 'weekly' });
    await addSite(engine, sim, { name: 'Off', backupSchedule: 'off' });
    await addSite(engine, sim, { name: 'Disabled', enabled: false });
    const clock = { now: T0 };
    const backups = serviceWithClock(engine, clock);
    const taken = async () => (await backups.runDue()).map((o) => `${o.siteName}:${o.ok ? 'ok' : 'failed'}`).sort();

    assert.deepEqual(await taken(), ['Daily:ok', 'Weekly:ok'], 'never backed up: due at once');
    clock.now += 60_000;
    assert.deepEqual(await taken(), []);
    clock.now = T0 + DAY;
    assert.deepEqual(await taken(), ['Daily:ok']);
    sim.injectFaults([{ kind: 'error-root', text: 'Backup failed', endpoint: 'backup' }]);
    clock.now = T0 + 2 * DAY;
    assert.deepEqual(await taken(), ['Daily:failed']);
    clock.now += 10 * 60_000;
    assert.deepEqual(await taken(), [], 'not retried within 15 minutes');
    clock.now += 6 * 60_000;
    assert.deepEqual(await taken(), ['Daily:ok'], 'retried after the backoff');
    clock.now = T0 + 7 * DAY;
    assert.deepEqual(await taken(), ['Daily:ok', 'Weekly:ok']);
    assert.equal(backups.store.kept(weekly.id).length, 2);
    assert.equal(backups.store.kept(daily.id).length, 2);

    setArchiveDir(engine, null);
    clock.now = T0 + 14 * DAY;
    const outcomes = await backups.runDue();
    assert.equal(outcomes.length, 2);
    for (const o of outcomes) assert.match(o.error!, /No archive folder is set/);
  });

  it("the site Test checks the backup permission only when backups are on, without downloading the backup", async () => {
    const off = await addSite(engine, sim, { name: 'Off', backupSchedule: 'off' });
    let result = await engine.testStoredSite(off.id);
    assert.equal(result.ok, true);
    assert.deepEqual(result.steps.at(-1), { id: 'backup', title: 'Permission to take site backups', status: 'skipped', detail: 'Backups are off for this site: nothing to check.', durationMs: 0 });

    const on = await addSite(engine, sim, { name: 'On' });
    sim.backup.settings = { ...sim.backup.settings, bytes: 16 * 1024 * 1024, chunkDelayMs: 5 };
    result = await engine.testStoredSite(on.id);
    assert.equal(result.ok, true, JSON.stringify(result.steps));
    const step = result.steps.find((s) => s.id === 'backup')!;
    assert.equal(step.status, 'ok');
    assert.match(step.detail, /may take site backups.*with the backup password.*nothing was saved/);
    const request = sim.requests.filter((r) => r.endpoint === 'backup').at(-1)!;
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(request.completed, false, 'the Test hung up after the first bytes');
    assert.ok(request.bytes < 8 * 1024 * 1024, `${request.bytes} bytes sent`);
    assert.deepEqual(filesUnder(archive), []);

    // The dialog's unsaved values: a wrong typed password, then backups turned on over a stored site.
    result = await engine.testSiteDraft({ host: sim.host } as SiteInputRaw, undefined, on.id, undefined, 'typed-wrong');
    assert.equal(result.steps.find((s) => s.id === 'backup')!.status, 'failed');
    assert.match(result.steps.find((s) => s.id === 'backup')!.detail, /refused the backup password/);
    result = await engine.testSiteDraft({ backupSchedule: 'weekly' } as SiteInputRaw, undefined, off.id);
    assert.equal(result.steps.find((s) => s.id === 'backup')!.status, 'ok', 'backups turned on in the dialog: checked with the stored password');

    sim.setPermissions(DEFAULT_CLIENT.clientId, { backup: false });
    result = await engine.testStoredSite(on.id);
    assert.equal(result.ok, false);
    const denied = result.steps.find((s) => s.id === 'backup')!;
    assert.equal(denied.status, 'failed');
    assert.match(denied.detail, /may not take backups.*Backup API: Allow Access/);
    for (const s of result.steps.slice(0, -1)) assert.equal(s.status, 'ok', s.id);
  });

  it('keeps the password in the keychain only: kept on an empty edit, cleared on request, removed with the site; never in the data folder', async () => {
    const handlers = new ApiHandlers(engine, 'browser');
    const added = await handlers.dispatch('sites.add', {
      site: { name: 'Api', host: sim.host, clientId: DEFAULT_CLIENT.clientId, caFile: sim.caFile, backupSchedule: 'weekly', keepBackups: 5 },
      clientSecret: DEFAULT_CLIENT.clientSecret,
      backupPassword: PASSWORD,
    });
    assert.ok(added.ok);
    const view = added.result as { id: number; backupPasswordStored: boolean; backupSchedule: string; keepBackups: number };
    assert.deepEqual([view.backupPasswordStored, view.backupSchedule, view.keepBackups], [true, 'weekly', 5]);
    const account = secretAccounts.siteBackupPassword(engine.installId, view.id);
    assert.equal(await engine.secrets.get(account), PASSWORD);

    const edited = await handlers.dispatch('sites.edit', { id: view.id, patch: { keepBackups: 7 }, backupPassword: '' });
    assert.ok(edited.ok);
    assert.equal((edited.result as { backupPasswordStored: boolean }).backupPasswordStored, true, 'an empty password keeps the stored one');
    assert.equal(await engine.secrets.get(account), PASSWORD);

    const now = await handlers.dispatch('backup.now', { siteId: view.id });
    assert.ok(now.ok, JSON.stringify(now));
    const { file, bytes } = now.result as { file: string; bytes: number };
    assert.equal(statSync(join(archive, ...file.split('/'))).size, bytes);
    assert.ok(!JSON.stringify(now.result).includes(PASSWORD));

    assert.equal((await engine.testStoredSite(view.id)).ok, true);
    sim.injectFaults([{ kind: 'error-root', text: `bad ${PASSWORD}`, endpoint: 'backup' }]);
    const refused = await handlers.dispatch('backup.now', { siteId: view.id });
    assert.ok(!refused.ok);
    assert.ok(!JSON.stringify(refused).includes(PASSWORD));

    await engine.close();
    const data = allBytes(engine.dataDir);
    assert.ok(data.length > 0);
    assert.equal(data.indexOf(Buffer.from(PASSWORD)), -1, 'the password is nowhere in settings.db, its WAL or the logs');
    assert.equal(allBytes(archive).indexOf(Buffer.from(PASSWORD)), -1);
    engine = newEngine({ dataDir: engine.dataDir });
    const again = new ApiHandlers(engine, 'browser');
    const cleared = await again.dispatch('sites.edit', { id: view.id, patch: {}, clearBackupPassword: true });
    assert.ok(cleared.ok);
    assert.equal((cleared.result as { backupPasswordStored: boolean }).backupPasswordStored, false);
    assert.equal(await engine.secrets.get(account), null);
    await engine.editSite(view.id, {}, undefined, { password: 'another' });
    await engine.removeSite(view.id);
    assert.equal(await engine.secrets.get(account), null, 'removing the site removes its backup password');
    assert.deepEqual(engine.database.db.prepare('SELECT count(*) AS n FROM site_backups WHERE site_id = ?').get(view.id), { n: 0 });
    assert.equal(ledger(engine).length, 1, 'the archived backup stays recorded');
  });

  it('backup now without an archive folder says what to do', async () => {
    const site: Site = await addSite(engine, sim);
    setArchiveDir(engine, null);
    await assert.rejects(engine.backupNow(site.id), /No archive folder is set.*pra-ic archive set --dir DIR/);
  });
});
