// electron-builder.yml, validated by electron-builder's own configuration check (its JSON schema,
// app-builder-lib/scheme.json, through the same ajv it uses) and held to what the release needs:
// an assisted per-machine NSIS installer, native addons unpacked, hardened fuses, an uninstaller
// that keeps the user's data unless asked, nothing but the built app in `files`.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import YAML from 'yaml';
import { builderRequire, ROOT } from './packed-app.ts';

type Config = Record<string, unknown> & {
  appId: string;
  productName: string;
  files: string[];
  asarUnpack: string[];
  electronFuses: Record<string, boolean>;
  directories: { output: string; buildResources: string };
  win: { target: { target: string; arch: string[] }[]; icon: string; requestedExecutionLevel: string };
  nsis: Record<string, unknown>;
};

const config = YAML.parse(readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as Config;
const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { productName: string; main: string; version: string; scripts: Record<string, string> };
const requireBuilder = builderRequire();

interface Ajv {
  compile(schema: object): ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };
}

describe('electron-builder.yml against electron-builder’s own schema', () => {
  const schema = JSON.parse(readFileSync(requireBuilder.resolve('app-builder-lib/scheme.json'), 'utf8')) as object;

  it('passes electron-builder’s validateConfiguration (what `electron-builder` runs first)', async () => {
    const { validateConfiguration } = requireBuilder('app-builder-lib/out/util/config/config') as { validateConfiguration(config: unknown, debugLogger: unknown): Promise<void> };
    const debugLogger = { isEnabled: false, add() {} };
    await validateConfiguration(structuredClone(config), debugLogger);
    // The check is not vacuous: a misspelt option and a wrong type are refused.
    await assert.rejects(validateConfiguration({ ...structuredClone(config), nsis: { ...config.nsis, oneclick: false } }, debugLogger), /configuration\.nsis/);
    await assert.rejects(validateConfiguration({ ...structuredClone(config), win: { ...config.win, requestedExecutionLevel: 'godmode' } }, debugLogger), /requestedExecutionLevel/);
  });

  it('is valid against scheme.json with ajv in strict types (no coercion)', () => {
    const Ajv = requireBuilder('ajv') as { default: new (options: object) => Ajv };
    const validate = new Ajv.default({ allErrors: true, strict: false, coerceTypes: false }).compile(schema);
    const ok = validate(structuredClone(config));
    assert.ok(ok, JSON.stringify(validate.errors, null, 2));
  });
});

describe('what the release needs from electron-builder.yml', () => {
  it('names the app as package.json does, with a stable appId', () => {
    assert.equal(config.appId, 'io.github.pra-integration-client');
    assert.equal(config.productName, pkg.productName);
    assert.equal(pkg.main, 'out/main/index.js');
    // The main process sets the same id as its AppUserModelID (Windows notifications need it).
    assert.match(readFileSync(path.join(ROOT, 'electron/main/app.ts'), 'utf8'), new RegExp(`APP_USER_MODEL_ID = '${config.appId.replace(/\./g, '\\.')}'`));
  });

  it('builds an assisted, per-machine NSIS installer with shortcuts and a versioned name', () => {
    assert.deepEqual(config.win.target, [{ target: 'nsis', arch: ['x64'] }]);
    assert.equal(config.win.requestedExecutionLevel, 'asInvoker', 'the app itself runs as the user');
    const nsis = config.nsis;
    assert.equal(nsis.oneClick, false);
    assert.equal(nsis.perMachine, true);
    assert.equal(nsis.allowElevation, true);
    assert.equal(nsis.allowToChangeInstallationDirectory, true);
    assert.ok(nsis.createDesktopShortcut === true || nsis.createDesktopShortcut === 'always');
    assert.equal(nsis.createStartMenuShortcut, true);
    assert.match(String(nsis.artifactName), /\$\{version\}/);
    assert.match(String(nsis.artifactName), /\$\{arch\}\.\$\{ext\}$/);
  });

  it('keeps the user’s data on uninstall unless asked, through build/installer.nsh', () => {
    assert.equal(config.nsis.deleteAppDataOnUninstall, false);
    assert.equal(config.nsis.include, 'build/installer.nsh');
    const nsh = readFileSync(path.join(ROOT, 'build', 'installer.nsh'), 'utf8');
    assert.match(nsh, /!macro customUnInstall/);
    assert.match(nsh, /\$\{ifNot\} \$\{isUpdated\}/, 'upgrades never ask nor remove');
    assert.match(nsh, /\$\{AndIfNot\} \$\{Silent\}/, 'silent uninstalls keep the data');
    assert.match(nsh, /MessageBox MB_YESNO\|MB_ICONQUESTION\|MB_DEFBUTTON2 .*\/SD IDNO IDNO praIcKeepData/, '"No" is the default and keeps the data');
    assert.match(nsh, /--forget-secrets/);
    assert.match(nsh, /RMDir \/r "\$APPDATA\\\$\{APP_FILENAME\}"/);
    // Every label jumped to exists, and the shell context is put back.
    assert.match(nsh, /^\s*praIcKeepData:$/m);
    assert.match(nsh, /SetShellVarContext current[\s\S]*SetShellVarContext all/);
  });

  it('unpacks native addons from the asar and rebuilds them for Electron', () => {
    assert.equal(config.asar, true);
    assert.ok(config.asarUnpack.includes('**/*.node'));
    assert.equal(config.npmRebuild, true);
  });

  it('rebuilds for Electron even where npm is set to build addons against the system Node (nodedir)', async () => {
    assert.equal(config.beforeBuild, './build/before-build.cjs');
    const beforeBuild = createRequire(import.meta.url)(path.join(ROOT, 'build', 'before-build.cjs')) as () => Promise<boolean>;
    const saved = { ...process.env };
    try {
      Object.assign(process.env, { npm_config_nodedir: '/usr', NPM_CONFIG_TARGET: '20.0.0', npm_config_runtime: 'node', npm_config_disturl: 'https://nodejs.org/dist', npm_config_cache: '/keep/me' });
      assert.equal(await beforeBuild(), true, 'electron-builder still does the rebuild');
      for (const key of ['npm_config_nodedir', 'NPM_CONFIG_TARGET', 'npm_config_runtime', 'npm_config_disturl']) assert.equal(process.env[key], undefined, key);
      assert.equal(process.env.npm_config_cache, '/keep/me');
    } finally {
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
    }
  });

  it('hardens the Electron fuses of the release build', () => {
    assert.deepEqual(config.electronFuses, {
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('packs only the built app: its `files` patterns take nothing from tests, simulators, scripts, docs or sources', () => {
    const { minimatch } = requireBuilder('minimatch') as { minimatch(file: string, pattern: string, options: object): boolean };
    const includes = config.files.filter((p) => !p.startsWith('!'));
    assert.deepEqual(includes.sort(), ['out/**/*', 'package.json']);
    const taken = (file: string) => {
      let included = false;
      for (const pattern of config.files) {
        if (pattern.startsWith('!')) {
          if (minimatch(file, pattern.slice(1), { dot: true })) included = false;
        } else if (minimatch(file, pattern, { dot: true })) included = true;
      }
      return included;
    };
    for (const file of ['out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html', 'out/renderer/assets/index-x.js', 'package.json']) assert.equal(taken(file), true, file);
    for (const file of [
      'test/simulators/pra/index.ts',
      'test/packaging/smoke.electron.ts',
      'scripts/start.mjs',
      'docs/release.md',
      'electron/main/app.ts',
      'renderer/App.tsx',
      'shared/contract.ts',
      'bin/pra-ic.js',
      'dist/cli/pra-ic.js', // the CLI's build (npm install's prepare): not the app's
      'build/installer.nsh',
      'out/main/index.js.map',
      'node_modules/@fluentui/react-components/package.json',
      'node_modules/react-dom/index.js',
      'node_modules/tsx/package.json',
      'node_modules/better-sqlite3/deps/sqlite3/sqlite3.c',
      'node_modules/apache-arrow/src/Arrow.ts',
    ]) {
      assert.equal(taken(file), false, file);
    }
    assert.equal(config.directories.output, 'release');
    assert.equal(config.directories.buildResources, 'build');
  });

  it('has the icons it names: a 512 px PNG and an ICO with a 256 px image', () => {
    const png = readFileSync(path.join(ROOT, 'build', 'icon.png'));
    assert.equal(png.toString('latin1', 1, 4), 'PNG');
    assert.deepEqual([png.readUInt32BE(16), png.readUInt32BE(20)], [512, 512]);
    const ico = readFileSync(path.join(ROOT, config.win.icon));
    assert.equal(ico.readUInt16LE(2), 1, 'an icon resource');
    const sizes = Array.from({ length: ico.readUInt16LE(4) }, (_, i) => ico[6 + i * 16] || 256);
    assert.ok(sizes.includes(256) && sizes.includes(16) && sizes.includes(32), `sizes ${sizes.join(', ')}`);
    for (const variant of ['tray', 'tray-paused', 'tray-attention']) {
      assert.ok(existsSync(path.join(ROOT, 'build', 'tray', `${variant}.ico`)), variant);
      assert.ok(existsSync(path.join(ROOT, 'build', 'tray', `${variant}.png`)), variant);
    }
  });

  it('has the scripts: build, dist (Windows installer), dist:dir, start', () => {
    assert.equal(pkg.scripts.build, 'electron-vite build');
    assert.match(pkg.scripts.dist!, /^electron-vite build && electron-builder --win nsis/);
    assert.match(pkg.scripts['dist:dir']!, /^electron-vite build && electron-builder --dir/);
    assert.equal(pkg.scripts.start, 'node scripts/start.mjs');
    // Packaging rebuilds node_modules' native modules for Electron in place: the Node builds come back after.
    assert.match(pkg.scripts.postdist!, /npm rebuild better-sqlite3 keytar/);
    assert.match(pkg.scripts['postdist:dir']!, /npm rebuild better-sqlite3 keytar/);
  });
});
