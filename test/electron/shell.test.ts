// The pure parts of the desktop shell: needs-attention notifications, the tray menu, the desktop
// settings file and login item, the development-run addon redirect, and --forget-secrets.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import type { SiteStatus } from '../../shared/status.ts';
import { openSettingsDatabase } from '../../electron/engine/settings-db.ts';
import { MemorySecretStore, secretAccounts } from '../../electron/engine/secrets/secret-store.ts';
import { AttentionWatcher, attentionNotification, type AttentionNotice } from '../../electron/main/attention.ts';
import { DESKTOP_SETTINGS_FILE, HIDDEN_ARG, loginItemSettings, readDesktopSettings, startsHidden, writeDesktopSettings } from '../../electron/main/desktop-settings.ts';
import { forgetSecrets } from '../../electron/main/forget-secrets.ts';
import { redirectNativeAddons, redirectedAddon } from '../../electron/engine/native-addons.ts';
import { trayIconVariant, trayMenuTemplate, trayTooltip, type TrayActions, type TrayState } from '../../electron/main/tray-menu.ts';
import { tempDir } from '../support/temp-dir.ts';

function status(siteId: number, state: SiteStatus['state'], needsAttention: string | null = null): SiteStatus {
  return {
    siteId,
    name: `Site ${siteId}`,
    host: 'access.example.com',
    state,
    lastRunAt: null,
    lastSuccessAt: null,
    nextRunAt: null,
    lastError: null,
    needsAttention,
    sessionsStored: 0,
    eventsStored: 0,
    sessionsFollowed: 0,
    backfill: null,
  };
}

describe('needs-attention notifications', () => {
  it('notifies once when a site enters needs-attention, again only after it recovered', () => {
    const notices: AttentionNotice[] = [];
    const watcher = new AttentionWatcher((n) => notices.push(n));
    watcher.prime([status(1, 'idle'), status(2, 'needs-attention', 'Old problem')]);
    assert.deepEqual(watcher.names(), ['Site 2']);

    const secretRejected = 'The client secret was rejected: edit the site and enter the new one.';
    watcher.handle({ type: 'site-status', status: status(1, 'running') });
    watcher.handle({ type: 'site-status', status: status(1, 'needs-attention', secretRejected) });
    watcher.handle({ type: 'site-status', status: status(1, 'needs-attention', secretRejected) });
    watcher.handle({ type: 'site-status', status: status(2, 'needs-attention', 'Old problem') });
    assert.deepEqual(notices, [{ siteId: 1, name: 'Site 1', reason: secretRejected }]);
    assert.equal(watcher.count, 2);

    watcher.handle({ type: 'site-status', status: status(1, 'idle') });
    watcher.handle({ type: 'site-status', status: status(1, 'needs-attention', secretRejected) });
    assert.equal(notices.length, 2);

    watcher.handle({ type: 'site-removed', siteId: 1 });
    watcher.handle({ type: 'outbox', counts: { pending: 0, sent: 0, failed: 0 } });
    assert.deepEqual(watcher.names(), ['Site 2']);
  });

  it('the notification names the site and says what to do', () => {
    const n = attentionNotification({ siteId: 1, name: 'Prod', reason: 'The client secret was rejected.' });
    assert.equal(n.title, 'Site “Prod” needs attention');
    assert.match(n.body, /client secret was rejected/);
    assert.match(n.body, /Open PRA Integration Client/);
  });
});

describe('tray', () => {
  const calls: string[] = [];
  const actions: TrayActions = {
    open: () => calls.push('open'),
    runNow: () => calls.push('runNow'),
    setPaused: (p) => calls.push(`paused=${p}`),
    setOpenAtLogin: (v) => calls.push(`login=${v}`),
    quit: () => calls.push('quit'),
  };
  const state: TrayState = { paused: false, sites: 2, attention: [], openAtLogin: false };

  it('has Open, Run now, Pause, Start at login and Quit, wired to their actions', () => {
    calls.length = 0;
    const menu = trayMenuTemplate(state, actions);
    assert.deepEqual(menu.filter((i) => i.type !== 'separator').map((i) => i.id), ['open', 'run-now', 'pause', 'open-at-login', 'quit']);
    for (const item of menu) item.click?.();
    assert.deepEqual(calls, ['open', 'runNow', 'paused=true', 'login=true', 'quit']);
    assert.equal(menu.find((i) => i.id === 'open-at-login')?.type, 'checkbox');
  });

  it('offers Resume while paused, no Run now without sites, no login item where unsupported', () => {
    calls.length = 0;
    const menu = trayMenuTemplate({ paused: true, sites: 0, attention: [], openAtLogin: null }, actions);
    assert.deepEqual(menu.filter((i) => i.type !== 'separator').map((i) => i.id), ['open', 'run-now', 'resume', 'quit']);
    assert.equal(menu.find((i) => i.id === 'run-now')?.enabled, false);
    menu.find((i) => i.id === 'resume')!.click!();
    assert.deepEqual(calls, ['paused=false']);
  });

  it('icon and tooltip show paused and attention (attention first)', () => {
    assert.equal(trayIconVariant(state), 'tray');
    assert.equal(trayIconVariant({ ...state, paused: true }), 'tray-paused');
    assert.equal(trayIconVariant({ ...state, paused: true, attention: ['Prod'] }), 'tray-attention');
    assert.equal(trayTooltip(state), 'PRA Integration Client');
    assert.equal(trayTooltip({ ...state, paused: true, attention: ['Prod'] }), 'PRA Integration Client — paused — “Prod” needs attention');
    assert.equal(trayTooltip({ ...state, attention: ['a', 'b', 'c'] }), 'PRA Integration Client — 3 sites need attention');
    assert.ok(trayTooltip({ ...state, attention: ['x'.repeat(300)] }).length <= 127);
  });
});

describe('desktop settings and login item', () => {
  it('defaults when missing or unreadable, and keeps what was written', () => {
    const dir = tempDir();
    assert.deepEqual(readDesktopSettings(dir), { openAtLogin: false, trayHintShown: false });
    writeFileSync(path.join(dir, DESKTOP_SETTINGS_FILE), '{ not json');
    assert.deepEqual(readDesktopSettings(dir), { openAtLogin: false, trayHintShown: false });
    writeFileSync(path.join(dir, DESKTOP_SETTINGS_FILE), JSON.stringify({ openAtLogin: 'yes', trayHintShown: true }));
    assert.deepEqual(readDesktopSettings(dir), { openAtLogin: false, trayHintShown: true });
    writeDesktopSettings(dir, { openAtLogin: true, trayHintShown: false });
    assert.deepEqual(readDesktopSettings(dir), { openAtLogin: true, trayHintShown: false });
    assert.deepEqual(JSON.parse(readFileSync(path.join(dir, DESKTOP_SETTINGS_FILE), 'utf8')), { openAtLogin: true, trayHintShown: false });
    if (process.platform !== 'win32') assert.equal(statSync(path.join(dir, DESKTOP_SETTINGS_FILE)).mode & 0o777, 0o600);
  });

  it('the login item starts the installed executable hidden in the tray', () => {
    const exe = 'C:\\Program Files\\PRA Integration Client\\PRA Integration Client.exe';
    assert.deepEqual(loginItemSettings(true, exe), { openAtLogin: true, path: exe, args: [HIDDEN_ARG] });
    assert.equal(startsHidden([exe, HIDDEN_ARG]), true);
    assert.equal(startsHidden([exe]), false);
  });
});

describe('development-run addon redirect', () => {
  const from = '/src/app/node_modules';
  const to = '/src/app/node_modules/.cache/electron-native/45-linux-x64/node_modules';
  const exists = (file: string) => file === `${to}/better-sqlite3/build/Release/better_sqlite3.node`;

  it('maps an addon under node_modules to its Electron twin when there is one', () => {
    assert.equal(redirectedAddon(`${from}/better-sqlite3/build/Release/better_sqlite3.node`, from, to, exists, path.posix), `${to}/better-sqlite3/build/Release/better_sqlite3.node`);
    assert.equal(redirectedAddon(`${from}/keytar/build/Release/keytar.node`, from, to, exists, path.posix), null, 'no twin: the original loads');
    assert.equal(redirectedAddon('/elsewhere/x.node', from, to, () => true, path.posix), null);
    assert.equal(redirectedAddon(`${from}/better-sqlite3/lib/index.js`, from, to, () => true, path.posix), null);
  });

  it('understands Windows namespaced paths', () => {
    const winFrom = 'C:\\src\\app\\node_modules';
    const winTo = 'C:\\cache\\node_modules';
    assert.equal(
      redirectedAddon('\\\\?\\C:\\src\\app\\node_modules\\keytar\\build\\Release\\keytar.node', winFrom, winTo, () => true, path.win32),
      'C:\\cache\\node_modules\\keytar\\build\\Release\\keytar.node',
    );
  });

  it('wraps dlopen and can be undone', () => {
    const loaded: string[] = [];
    const proc = { dlopen: (_module: object, filename: string) => void loaded.push(filename) };
    const original = proc.dlopen;
    const dir = tempDir();
    const fromDir = path.join(dir, 'node_modules');
    const toDir = path.join(dir, 'electron', 'node_modules');
    const twin = path.join(toDir, 'keytar', 'build', 'Release', 'keytar.node');
    mkdirSync(path.dirname(twin), { recursive: true });
    writeFileSync(twin, '');
    const undo = redirectNativeAddons(proc, fromDir, toDir);
    proc.dlopen({}, path.join(fromDir, 'keytar', 'build', 'Release', 'keytar.node'));
    proc.dlopen({}, path.join(fromDir, 'other', 'x.node'));
    assert.deepEqual(loaded, [twin, path.join(fromDir, 'other', 'x.node')]);
    undo();
    assert.equal(proc.dlopen, original);
  });
});

describe('--forget-secrets (run by the uninstaller when the user removes their data)', () => {
  it('removes the secrets of this data directory only, and creates nothing where there is no data', async () => {
    const dir = tempDir();
    const secrets = new MemorySecretStore();
    assert.deepEqual(await forgetSecrets(dir, secrets), { removed: 0 });
    assert.throws(() => statSync(path.join(dir, 'settings.db')), 'no database was created');

    const db = openSettingsDatabase(dir);
    const installId = db.installId;
    db.close();
    await secrets.set(secretAccounts.siteClientSecret(installId, 1), 's1');
    await secrets.set(secretAccounts.elasticApiKey(installId), 'k');
    await secrets.set(secretAccounts.siteClientSecret('another-install', 1), 'keep me');
    assert.deepEqual(await forgetSecrets(dir, secrets), { removed: 2 });
    assert.deepEqual(await secrets.accounts(''), [secretAccounts.siteClientSecret('another-install', 1)]);
  });
});
