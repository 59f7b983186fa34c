// Smoke test of the packaged Windows app, run by the release workflow after `npm run dist`
// (`npm run smoke:packaged`). Not part of `npm test`: its name does not end in .test.ts, and it
// needs Windows, the built installer and the Electron binary inside it.
//
//   1. release/win-unpacked: the release fuses are burnt in, the package holds what the app needs
//      and nothing else (packed-app.ts, the rules of file-list.test.ts);
//   2. the installer installs silently (per machine);
//   3. the installed app starts (Playwright's Electron launcher), its window shows the app from
//      app://bundle/ with only window.praIc exposed, a site is added against the PRA simulator
//      through the New site dialog and its Test passes, the site is saved with its secret in the
//      keychain; eval is blocked by the CSP and navigation away is refused;
//   4. Quit stops it; `--forget-secrets` removes its keychain entries;
//   5. a silent uninstall removes the program and keeps the user's data folder.
//
// Playwright drives Electron through Node's inspector (--inspect), which the release build's
// EnableNodeCliInspectArguments fuse turns off. So the app is launched from a copy of the
// installation with only that fuse turned back on; everything else (asar, integrity check, the
// other fuses, the code) is the installed app's.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { _electron as electron, type ElectronApplication, type Locator, type Page } from 'playwright-core';
import { DEFAULT_CLIENT, startPraSimulator, type PraSimulator } from '../simulators/pra/index.ts';
import { builderRequire, packedAppProblems, readPackedApp, ROOT } from './packed-app.ts';

const PRODUCT = 'PRA Integration Client';
const EXE = `${PRODUCT}.exe`;
const release = path.resolve(ROOT, process.env.SMOKE_RELEASE_DIR ?? 'release');
const results = path.join(ROOT, 'test-results', 'smoke');
const work = mkdtempSync(path.join(process.env.RUNNER_TEMP ?? tmpdir(), 'pra-ic-smoke-'));
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };

interface Fuses {
  FuseVersion: { V1: string };
  FuseV1Options: Record<string, number>;
  getCurrentFuseWire(exe: string): Promise<Record<string, unknown>>;
  flipFuses(exe: string, config: Record<string | number, unknown>): Promise<number>;
}
const fuses = builderRequire()('@electron/fuses') as Fuses;
const ENABLE = 49;
const DISABLE = 48;

function step(message: string) {
  console.log(`[smoke] ${message}`);
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
  const r = spawnSync(file, args, { encoding: 'utf8', env, timeout: 5 * 60_000, windowsHide: true });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

function findExe(dir: string): string {
  for (const candidate of [path.join(dir, EXE), path.join(dir, PRODUCT, EXE)]) if (existsSync(candidate)) return candidate;
  throw new Error(`No ${EXE} under ${dir}: ${existsSync(dir) ? readdirSync(dir).join(', ') : 'the folder does not exist'}`);
}

async function checkPackage(): Promise<{ installer: string }> {
  const installer = readdirSync(release).find((f) => /^PRA-Integration-Client-Setup-.+\.exe$/.test(f));
  assert.ok(installer, `no installer in ${release}: ${readdirSync(release).join(', ')}`);
  assert.ok(installer.includes(pkg.version), `${installer} carries the version ${pkg.version}`);

  const unpacked = path.join(release, 'win-unpacked');
  const wire = await fuses.getCurrentFuseWire(path.join(unpacked, EXE));
  const o = fuses.FuseV1Options;
  const expected: Record<string, number> = {
    RunAsNode: DISABLE,
    EnableCookieEncryption: ENABLE,
    EnableNodeOptionsEnvironmentVariable: DISABLE,
    EnableNodeCliInspectArguments: DISABLE,
    EnableEmbeddedAsarIntegrityValidation: ENABLE,
    OnlyLoadAppFromAsar: ENABLE,
    GrantFileProtocolExtraPrivileges: DISABLE,
  };
  for (const [name, state] of Object.entries(expected)) assert.equal(wire[o[name]!], state, `fuse ${name}`);
  step('release fuses: burnt in as configured');

  assert.deepEqual(packedAppProblems(readPackedApp(path.join(unpacked, 'resources')), ROOT), []);
  step('package contents: the app, its run-time packages and unpacked addons; no tests, simulators or tooling');
  return { installer: path.join(release, installer) };
}

function install(installer: string): string {
  const dir = path.join(work, 'installed');
  const r = run(installer, ['/S', `/D=${dir}`]);
  assert.equal(r.status, 0, `silent install failed: ${r.output}`);
  const exe = findExe(dir);
  step(`installed silently: ${exe}`);
  return exe;
}

/** A copy of the installation with only Node's --inspect allowed again (Playwright needs it). */
async function inspectableCopy(installedExe: string): Promise<string> {
  const copy = path.join(work, 'inspectable');
  cpSync(path.dirname(installedExe), copy, { recursive: true });
  const exe = path.join(copy, EXE);
  await fuses.flipFuses(exe, { version: fuses.FuseVersion.V1, [fuses.FuseV1Options.EnableNodeCliInspectArguments!]: true });
  return exe;
}

/** A Fluent field by its test id: the element itself when it is the input, else the input inside it. */
async function field(page: Page, testId: string): Promise<Locator> {
  const el = page.getByTestId(testId).first();
  await el.waitFor();
  const tag = await el.evaluate((e) => e.tagName);
  return tag === 'INPUT' || tag === 'TEXTAREA' ? el : el.locator('input, textarea').first();
}

async function exerciseApp(exe: string, sim: PraSimulator, dataDir: string): Promise<void> {
  let app: ElectronApplication | null = null;
  let page: Page | null = null;
  try {
    app = await electron.launch({ executablePath: exe, args: [], env: { ...process.env, PRA_IC_DATA_DIR: dataDir }, timeout: 90_000 });
    page = await app.firstWindow({ timeout: 60_000 });
    await page.getByTestId('app-root').waitFor({ timeout: 60_000 });
    assert.match(page.url(), /^app:\/\/bundle\//);
    step(`window open on ${page.url()}`);

    // Main process: the data folder and the window's preferences.
    assert.equal(await app.evaluate(({ app: a }) => a.getPath('userData')), dataDir);
    // The renderer process runs in the OS sandbox (ProcessMetric.sandboxed is reported on Windows).
    const sandboxed = await app.evaluate(({ app: a, BrowserWindow }) => {
      const pid = BrowserWindow.getAllWindows()[0]!.webContents.getOSProcessId();
      return a.getAppMetrics().find((m) => m.pid === pid)?.sandboxed ?? null;
    });
    assert.equal(sandboxed, true, 'the renderer is sandboxed');

    // The page: only the contract, no Node, no eval.
    const surface = await page.evaluate(() => ({
      api: Object.keys((globalThis as unknown as Record<string, object>).praIc ?? {}).sort(),
      // contextBridge hands the page proxies (native functions), never the preload's own objects.
      isolated: String((globalThis as unknown as { praIc: { invoke: unknown } }).praIc.invoke).includes('[native code]'),
      node: typeof (globalThis as Record<string, unknown>).process !== 'undefined' || typeof (globalThis as Record<string, unknown>).require !== 'undefined',
      evalBlocked: (() => {
        try {
          (0, eval)('1');
          return false;
        } catch {
          return true;
        }
      })(),
    }));
    assert.deepEqual(surface, { api: ['invoke', 'onEvent'], isolated: true, node: false, evalBlocked: true });
    step('page: window.praIc has only invoke/onEvent (through contextBridge), no Node, eval blocked by the CSP');

    // A site against the simulator, through the New site dialog; its Test passes.
    const newSite = page.getByTestId('first-run-add-site').or(page.getByTestId('sites-new')).first();
    await newSite.click();
    await page.getByTestId('site-dialog').waitFor();
    await (await field(page, 'site-name')).fill('Smoke');
    await (await field(page, 'site-host')).fill(sim.host);
    await (await field(page, 'site-client-id')).fill(DEFAULT_CLIENT.clientId);
    await (await field(page, 'site-client-secret')).fill(DEFAULT_CLIENT.clientSecret);
    await page.getByTestId('site-advanced').click();
    await (await field(page, 'site-ca-file')).fill(sim.caFile);
    await page.getByTestId('site-test-button').click();
    const summary = page.getByTestId('site-test-summary');
    await summary.waitFor({ timeout: 60_000 });
    assert.equal(await summary.getAttribute('data-result'), 'ok', `Test: ${await summary.innerText()}`);
    step('New site → Test: every step passed against the PRA simulator');
    await page.getByTestId('site-save-button').click();
    await page.getByTestId('site-dialog').waitFor({ state: 'detached', timeout: 30_000 });
    const sites = (await page.evaluate(() => (globalThis as unknown as { praIc: { invoke(c: string, i: object): Promise<unknown> } }).praIc.invoke('sites.list', {}))) as { name: string; clientSecretStored: boolean }[];
    assert.deepEqual(
      sites.map((s) => [s.name, s.clientSecretStored]),
      [['Smoke', true]],
    );
    step('site saved, its secret in Windows Credential Manager');

    // Navigation away is refused.
    await page.evaluate(() => {
      (globalThis as unknown as { location: { href: string } }).location.href = 'https://example.invalid/';
    });
    await page.waitForTimeout(1000);
    assert.match(page.url(), /^app:\/\/bundle\//);
    step('navigation to another origin refused');
  } catch (error) {
    if (page) {
      mkdirSync(results, { recursive: true });
      await page.screenshot({ path: path.join(results, 'failure.png') }).catch(() => {});
    }
    throw error;
  } finally {
    // Quit: the engine stops, then the process ends.
    if (app) await app.close();
  }
  for (const file of ['settings.db', 'logs']) assert.ok(existsSync(path.join(dataDir, file)), `${file} in the data folder`);
  step('quit; settings.db and logs/ are in the data folder');
}

function forgetSecrets(installedExe: string, dataDir: string) {
  const r = run(installedExe, ['--forget-secrets'], { ...process.env, PRA_IC_DATA_DIR: dataDir });
  assert.equal(r.status, 0, `--forget-secrets: ${r.output}`);
  step('--forget-secrets removed the keychain entries of the data folder');
}

function uninstallKeepsData(installedExe: string) {
  const installDir = path.dirname(installedExe);
  const userData = path.join(process.env.APPDATA ?? path.join(process.env.USERPROFILE ?? '', 'AppData', 'Roaming'), PRODUCT);
  const existed = existsSync(userData);
  mkdirSync(userData, { recursive: true });
  const marker = path.join(userData, 'smoke-marker.txt');
  writeFileSync(marker, 'the uninstaller must keep this');
  try {
    const uninstaller = readdirSync(installDir).find((f) => /^Uninstall .*\.exe$/i.test(f));
    assert.ok(uninstaller, `no uninstaller in ${installDir}`);
    // _?= runs the uninstaller in place, so this waits for it to finish.
    const r = run(path.join(installDir, uninstaller), ['/S', `_?=${installDir}`]);
    assert.equal(r.status, 0, `silent uninstall failed: ${r.output}`);
    assert.ok(!existsSync(installedExe), 'the program is removed');
    assert.ok(existsSync(marker), 'the user data folder is kept');
    step('silent uninstall: program removed, user data kept');
  } finally {
    rmSync(existed ? marker : userData, { recursive: true, force: true });
  }
}

async function main() {
  assert.equal(process.platform, 'win32', 'the smoke test runs on Windows (the release runner)');
  const { installer } = await checkPackage();
  const installedExe = install(installer);
  const exe = await inspectableCopy(installedExe);
  const sim = await startPraSimulator();
  const dataDir = path.join(work, 'data');
  try {
    await exerciseApp(exe, sim, dataDir);
  } finally {
    await sim.close();
    forgetSecrets(installedExe, dataDir);
  }
  uninstallKeepsData(installedExe);
  console.log('1 passed, 0 failed');
}

main().then(
  () => rmSync(work, { recursive: true, force: true }),
  (error: unknown) => {
    console.error(`[smoke] FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    console.log('0 passed, 1 failed');
    process.exitCode = 1;
  },
);
