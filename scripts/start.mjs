#!/usr/bin/env node
// npm start: runs the desktop app from this checkout.
//
//   1. finds the Electron binary (node_modules/electron/dist); if it is missing, tries Electron's own
//      installer once; if that fails (no internet), says so, points at the CLI and exits 1;
//   2. makes sure the native modules (better-sqlite3, keytar) have Electron builds: they are built
//      in a SEPARATE folder, node_modules/.cache/electron-native/<electron>-<platform>-<arch>/,
//      from copies of the packages, so node_modules keeps the Node builds that the tests and the
//      pra-ic CLI load (nothing here ever rebuilds node_modules in place); the build is cached;
//   3. builds the app with electron-vite (out/);
//   4. starts Electron with PRA_IC_ELECTRON_NATIVE_DIR pointing at the Electron builds (the main
//      process of a development run and its threads load addons from there: electron/engine/native-addons.ts).
//
// Arguments after `--` go to the app, e.g. `npm start -- --hidden` (start in the tray).
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
process.chdir(root);

/** The native modules of the app, and their addon files relative to the package folder. */
const NATIVE_MODULES = {
  'better-sqlite3': ['build/Release/better_sqlite3.node'],
  keytar: ['build/Release/keytar.node'],
};

function say(message) {
  console.log(`[start] ${message}`);
}

function fail(message) {
  console.error(`\n[start] ${message.replace(/\n/g, '\n        ')}\n`);
  process.exit(1);
}

/**
 * The folder of package `name` as Node would find it from `fromDir` (walking up the node_modules
 * folders; read directly, because some packages' "exports" hide their package.json and bin files).
 */
function packageDir(name, fromDir = root) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) throw new Error(`${name} is not installed (run npm ci).`);
  }
}

function packageJson(name, fromDir = root) {
  return JSON.parse(readFileSync(join(packageDir(name, fromDir), 'package.json'), 'utf8'));
}

/** @electron/rebuild, the one electron-builder itself uses (it is electron-builder's dependency, not ours). */
function electronRebuildCli() {
  const builderLib = packageDir('app-builder-lib', packageDir('electron-builder'));
  const rebuild = packageDir('@electron/rebuild', builderLib);
  return join(rebuild, packageJson('@electron/rebuild', builderLib).bin['electron-rebuild']);
}

// ── 1. Electron ─────────────────────────────────────────────────────────────────────────────────
function electronBinary() {
  const dir = packageDir('electron');
  const pathFile = join(dir, 'path.txt');
  const name = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null;
  if (process.env.ELECTRON_OVERRIDE_DIST_PATH) {
    const file = join(process.env.ELECTRON_OVERRIDE_DIST_PATH, name ?? (process.platform === 'win32' ? 'electron.exe' : 'electron'));
    return existsSync(file) ? file : null;
  }
  if (!name) return null;
  const file = join(dir, 'dist', name);
  return existsSync(file) ? file : null;
}

const electronVersion = packageJson('electron').version;
let electron = electronBinary();
if (!electron) {
  say(`The Electron ${electronVersion} binary is not installed yet: downloading it with Electron's installer…`);
  const install = spawnSync(process.execPath, [join(packageDir('electron'), 'install.js')], { encoding: 'utf8', timeout: 10 * 60_000 });
  electron = electronBinary();
  if (!electron) {
    const why = `${install.stderr ?? ''}${install.stdout ?? ''}`.trim().split('\n').find((line) => line.trim() !== '') ?? (install.error?.message || `exit code ${install.status}`);
    fail(
      `The desktop app can't start here: the Electron ${electronVersion} binary is missing and could not be downloaded\n` +
        `(${why}).\n\n` +
        `Nothing was changed: node_modules still holds the Node.js builds the tests and the CLI use.\n\n` +
        `The same UI runs in your browser, served by the CLI:   npx pra-ic ui\n` +
        `Everything else is in the CLI:                         npx pra-ic --help\n\n` +
        `On a machine with internet access, \`npx install-electron\` (or deleting node_modules/electron and\n` +
        `running \`npm ci\`) installs the binary; then run \`npm start\` again.`,
    );
  }
}
say(`Electron ${electronVersion}: ${relative(root, electron)}`);

// ── 2. Native modules built for Electron, beside node_modules' Node builds ─────────────────────
const nativeDir = join(root, 'node_modules', '.cache', 'electron-native', `${electronVersion}-${process.platform}-${process.arch}`);
const wanted = {
  electron: electronVersion,
  platform: process.platform,
  arch: process.arch,
  modules: Object.fromEntries(Object.keys(NATIVE_MODULES).map((name) => [name, packageJson(name).version])),
};
const stampFile = join(nativeDir, 'stamp.json');
const addons = Object.entries(NATIVE_MODULES).flatMap(([name, files]) => files.map((f) => join(nativeDir, 'node_modules', name, f)));
const stamp = existsSync(stampFile) ? readFileSync(stampFile, 'utf8') : '';

if (stamp === JSON.stringify(wanted) && addons.every((file) => existsSync(file))) {
  say(`Native modules for Electron: up to date in ${relative(root, nativeDir)}`);
} else {
  say(`Building ${Object.keys(NATIVE_MODULES).join(' and ')} for Electron ${electronVersion} in ${relative(root, nativeDir)} (node_modules is not touched)…`);
  rmSync(nativeDir, { recursive: true, force: true });
  mkdirSync(join(nativeDir, 'node_modules'), { recursive: true });
  writeFileSync(join(nativeDir, 'package.json'), `${JSON.stringify({ name: 'pra-ic-electron-native', private: true, dependencies: wanted.modules }, null, 2)}\n`);
  for (const name of Object.keys(NATIVE_MODULES)) {
    const from = packageDir(name);
    // The sources, without the Node build: it is rebuilt here for Electron.
    cpSync(from, join(nativeDir, 'node_modules', name), { recursive: true, filter: (src) => relative(from, src).split(/[\\/]/)[0] !== 'build' });
  }
  // npm's own configuration reaches child processes as npm_config_* variables. `nodedir` (set on
  // machines whose npm builds addons against the system Node's headers) would make node-gyp build
  // for that Node instead of Electron, and target/runtime/disturl would do the same: drop them.
  const env = { ...process.env };
  for (const key of Object.keys(env)) {
    if (/^npm_config_(nodedir|target|runtime|disturl|dist_url|build_from_source)$/i.test(key)) delete env[key];
  }
  const rebuild = spawnSync(
    process.execPath,
    [electronRebuildCli(), '--version', electronVersion, '--arch', process.arch, '--module-dir', nativeDir, '--only', Object.keys(NATIVE_MODULES).join(','), '--force'],
    { stdio: 'inherit', env, cwd: nativeDir },
  );
  const missing = addons.filter((file) => !existsSync(file));
  if (rebuild.status !== 0 || missing.length > 0) {
    fail(
      `Could not build the native modules for Electron ${electronVersion}` +
        `${missing.length ? ` (missing: ${missing.map((f) => relative(root, f)).join(', ')})` : ''}.\n` +
        `This needs either the prebuilt Electron binaries of better-sqlite3 (downloaded from GitHub) or\n` +
        `Electron's headers (downloaded from electronjs.org) and a C++ toolchain (python3, make, g++ / Visual Studio Build Tools).\n\n` +
        `node_modules is unchanged: the tests and \`npx pra-ic\` keep working. \`npx pra-ic ui\` serves the same UI in a browser.`,
    );
  }
  writeFileSync(stampFile, JSON.stringify(wanted));
  say('Native modules for Electron: built.');
}

// ── 3. Build ────────────────────────────────────────────────────────────────────────────────────
say('Building the app with electron-vite…');
const { build } = await import('electron-vite');
try {
  await build({});
} catch (error) {
  fail(`The build failed: ${error instanceof Error ? error.message : String(error)}`);
}

// ── 4. Run ──────────────────────────────────────────────────────────────────────────────────────
const args = ['.', ...process.argv.slice(2)];
if (process.platform === 'linux' && process.getuid?.() === 0 && !args.includes('--no-sandbox')) {
  // Chromium refuses to run as root with its OS sandbox. The renderer keeps Electron's sandbox
  // (no Node, preload sandboxed); only Chromium's process sandbox is off. Never do this as a user.
  say('Running as root: adding --no-sandbox (Chromium requires it for root).');
  args.push('--no-sandbox');
}
const env = { ...process.env, PRA_IC_ELECTRON_NATIVE_DIR: nativeDir };
delete env.ELECTRON_RUN_AS_NODE;
say(`Starting: electron ${args.join(' ')}`);
const child = spawn(electron, args, { stdio: 'inherit', env });
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
