// What the installer would ship: the real `electron-vite build`, then electron-builder itself
// packing the app (its own file matcher, node_modules collector and asar writer) into a temp
// folder, for Linux `dir` with a stand-in Electron binary: the Electron download is not possible
// here and the fuses need a real binary, so those two are left out; nothing else is changed. The
// file set is the same for the Windows installer, except that electron-builder keeps .dll/.exe
// files of node_modules on Windows only (the app's dependencies have none). The Windows release job
// checks its real package with the same rules (smoke.electron.ts).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import YAML from 'yaml';
import { tempDir } from '../support/temp-dir.ts';
import { mainBundleImports, NATIVE_ADDONS, packedAppProblems, readPackedApp, ROOT, unresolvedRuntimeDependencies, type PackedApp } from './packed-app.ts';

const skip = process.platform !== 'linux' ? 'packs for Linux with a stand-in Electron: runs on Linux CI (the Windows job checks its real package)' : false;

describe('packaged file list', { skip, timeout: 240_000 }, () => {
  let app: PackedApp;

  before(async () => {
    // 1. The real build.
    const vite = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(vite.status, 0, `electron-vite build failed:\n${vite.stdout}\n${vite.stderr}`);

    // 2. electron-builder packs it, with electron-builder.yml as the only configuration except:
    //    a stand-in Electron (electronDist), no native rebuild for Electron (needs a download), no fuses.
    const work = tempDir('pra-ic-pack-');
    const stub = path.join(work, 'electron-dist');
    mkdirSync(stub);
    writeFileSync(path.join(stub, 'electron'), '#!/bin/sh\nexit 0\n');
    chmodSync(path.join(stub, 'electron'), 0o755);
    const config = YAML.parse(readFileSync(path.join(ROOT, 'electron-builder.yml'), 'utf8')) as Record<string, unknown>;
    const { build, Platform } = await import('electron-builder');
    await build({
      projectDir: ROOT,
      targets: Platform.LINUX.createTarget('dir'),
      publish: 'never',
      config: {
        ...config,
        electronDist: stub,
        npmRebuild: false,
        electronFuses: null,
        directories: { ...(config.directories as object), output: path.join(work, 'release') },
      },
    });
    const resources = path.join(work, 'release', 'linux-unpacked', 'resources');
    assert.ok(existsSync(path.join(resources, 'app.asar')), 'electron-builder wrote no app.asar');
    app = readPackedApp(resources);
  });

  it("holds the built app: out/main (with the store writer thread's entry), out/preload, out/renderer/index.html and package.json", () => {
    for (const entry of ['out/main/index.js', 'out/main/store-writer-worker.js', 'out/preload/index.cjs', 'out/renderer/index.html', 'package.json']) assert.ok(app.entries.includes(entry), entry);
    assert.ok(!app.entries.some((e) => e.endsWith('.map')), 'no source maps');
    assert.ok(!app.entries.some((e) => /\.(ts|tsx|mts|cts)$/.test(e)), 'no TypeScript, not even in dependencies');
  });

  it('the preload is one CommonJS file that loads nothing but electron (a sandboxed preload can load no other file)', () => {
    const preload = readFileSync(path.join(ROOT, 'out', 'preload', 'index.cjs'), 'utf8');
    assert.deepEqual([...preload.matchAll(/\brequire\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]), ['electron']);
    assert.doesNotMatch(preload, /^\s*import\s/m);
    assert.doesNotMatch(preload, /\bzod\b/, 'the contract’s schemas stay in the main process');
  });

  it('holds the native addons, unpacked from the asar', () => {
    for (const addon of NATIVE_ADDONS) {
      assert.ok(app.entries.includes(addon), addon);
      assert.equal(app.isUnpacked(addon), true, `${addon} is unpacked`);
      assert.ok(existsSync(path.join(app.resources, 'app.asar.unpacked', ...addon.split('/'))), `${addon} is in app.asar.unpacked`);
    }
  });

  it('holds every package the main process imports, with its production dependencies', () => {
    const imports = mainBundleImports(path.join(ROOT, 'out', 'main'));
    for (const name of ['better-sqlite3', 'keytar', 'zod', 'got', '@elastic/elasticsearch']) assert.ok(imports.includes(name), `out/main imports ${name}`);
    assert.deepEqual(unresolvedRuntimeDependencies(app, imports), []);
  });

  it('holds nothing from tests, simulators, sources, scripts or build tooling', () => {
    assert.deepEqual(packedAppProblems(app, ROOT), []);
    for (const prefix of ['test/', 'scripts/', 'electron/', 'renderer/', 'shared/', 'docs/', 'build/']) assert.ok(!app.entries.some((e) => e.startsWith(prefix)), prefix);
    assert.ok(!app.entries.some((e) => /simulator/i.test(e)));
    assert.ok(!app.entries.some((e) => /\.tsx?$/.test(e) && !e.endsWith('.d.ts')));
    for (const name of ['electron', 'electron-builder', 'electron-vite', 'vite', 'playwright-core', 'typescript', 'eslint', 'yaml', 'tsx', 'esbuild', 'react', 'react-dom', '@fluentui/react-components', 'commander']) {
      assert.ok(!app.entries.includes(`node_modules/${name}`), `${name} is not packed`);
    }
  });

  it('the checker itself flags what it should (a packed test file, a missing addon, a missing dependency)', () => {
    const broken: PackedApp = {
      ...app,
      entries: [...app.entries.filter((e) => e !== NATIVE_ADDONS[0] && !e.startsWith('node_modules/saxes')), 'test/simulators/pra/index.ts', 'node_modules/vite/package.json'],
    };
    const problems = packedAppProblems(broken, ROOT).join('\n');
    assert.match(problems, /missing native addon node_modules\/better-sqlite3/);
    assert.match(problems, /source or test file packed: test\/simulators\/pra\/index\.ts/);
    assert.match(problems, /simulator file packed/);
    assert.match(problems, /build-time package packed: node_modules\/vite/);
    assert.match(problems, /out\/main needs saxes, which is not packed/);
  });
});
