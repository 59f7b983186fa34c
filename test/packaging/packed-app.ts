// What a packaged app must and must not contain, checked on its resources folder (app.asar and
// app.asar.unpacked). Used by file-list.test.ts (a real electron-builder run on Linux) and by
// smoke.electron.ts (the real Windows package on the release runner).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '..', '..');

/** A module of electron-builder's own toolchain (app-builder-lib and its dependencies), as electron-builder resolves it. */
export function builderRequire(): NodeJS.Require {
  const builder = createRequire(path.join(ROOT, 'package.json')).resolve('electron-builder/package.json');
  const appBuilderLib = createRequire(builder).resolve('app-builder-lib/package.json');
  return createRequire(appBuilderLib);
}

interface AsarModule {
  listPackage(archive: string, options: { isPack: boolean }): string[];
  extractFile(archive: string, filename: string): Buffer;
  statFile(archive: string, filename: string, followLinks?: boolean): { unpacked?: boolean; files?: unknown };
}

export interface PackedApp {
  resources: string;
  /** Paths inside app.asar, posix, without a leading slash (files and folders). */
  entries: string[];
  isUnpacked(entry: string): boolean;
  isDirectory(entry: string): boolean;
  readJson(entry: string): unknown;
}

export function readPackedApp(resources: string): PackedApp {
  const asar = builderRequire()('@electron/asar') as AsarModule;
  const archive = path.join(resources, 'app.asar');
  const entries = asar.listPackage(archive, { isPack: false }).map((e) => e.replace(/\\/g, '/').replace(/^\//, ''));
  return {
    resources,
    entries,
    isUnpacked: (entry) => Boolean(asar.statFile(archive, entry).unpacked),
    isDirectory: (entry) => 'files' in asar.statFile(archive, entry),
    readJson: (entry) => JSON.parse(asar.extractFile(archive, entry).toString('utf8')),
  };
}

/** The packages the main bundle imports at run time (everything but node built-ins and electron). */
export function mainBundleImports(outMain: string): string[] {
  const names = new Set<string>();
  const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
  for (const file of readdirSync(outMain).filter((f) => f.endsWith('.js'))) {
    const code = readFileSync(path.join(outMain, file), 'utf8');
    // Rollup's ES output: static imports start a line; dynamic ones are import("x") with a literal.
    const specs = [
      ...code.matchAll(/^import\s[^;]*?\bfrom\s*["']([^"']+)["'];?\s*$/gm),
      ...code.matchAll(/^import\s*["']([^"']+)["'];?\s*$/gm),
      ...code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g),
    ].map((m) => m[1]!);
    for (const spec of specs) {
      if (spec.startsWith('.') || spec.startsWith('/')) continue;
      if (builtins.has(spec) || spec === 'electron' || spec.startsWith('electron/') || spec.startsWith('node:')) continue;
      const parts = spec.split('/');
      names.add(spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!);
    }
  }
  return [...names].sort();
}

/** Only used while a native module installs (prebuild-install, node-addon-api), or type declarations. */
const NOT_NEEDED_AT_RUN_TIME = /^(prebuild-install|node-addon-api|@types\/.*)$/;

interface PackageJson {
  name?: string;
  version?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/**
 * Resolves, inside the package, every package the main process needs, the way Node will at run
 * time: the bundle's imports from the app root, then each package's dependencies from where that
 * package was packed (electron-builder re-hoists the production tree, so the layout may differ
 * from node_modules on disk). Returns what cannot be resolved or has a version outside the range
 * its dependent asks for. Optional dependencies may be absent.
 */
export function unresolvedRuntimeDependencies(app: PackedApp, imports: readonly string[]): string[] {
  const semver = builderRequire()('semver') as { satisfies(version: string, range: string, options?: { includePrerelease?: boolean }): boolean; validRange(range: string): string | null };
  const entries = new Set(app.entries);
  const resolve = (fromDir: string, name: string): string | null => {
    for (let dir = fromDir; ; dir = path.posix.dirname(dir)) {
      const base = dir === '.' ? '' : dir;
      if (path.posix.basename(base) !== 'node_modules') {
        const candidate = base ? `${base}/node_modules/${name}` : `node_modules/${name}`;
        if (entries.has(`${candidate}/package.json`)) return candidate;
      }
      if (base === '') return null;
    }
  };
  const problems: string[] = [];
  const seen = new Set<string>();
  const visit = (fromDir: string, name: string, range: string | null, optional: boolean, parent: string) => {
    if (NOT_NEEDED_AT_RUN_TIME.test(name)) return;
    const dir = resolve(fromDir, name);
    if (!dir) {
      if (!optional) problems.push(`${parent} needs ${name}${range ? `@${range}` : ''}, which is not packed where Node will look`);
      return;
    }
    const pkg = app.readJson(`${dir}/package.json`) as PackageJson;
    if (range && semver.validRange(range) && pkg.version && !semver.satisfies(pkg.version, range, { includePrerelease: true })) {
      problems.push(`${parent} needs ${name}@${range} but finds ${pkg.version} at ${dir}`);
    }
    if (seen.has(dir)) return;
    seen.add(dir);
    for (const [dep, r] of Object.entries(pkg.dependencies ?? {})) visit(dir, dep, r, false, `${name}@${pkg.version}`);
    for (const [dep, r] of Object.entries(pkg.optionalDependencies ?? {})) visit(dir, dep, r, true, `${name}@${pkg.version}`);
  };
  for (const name of imports) visit('', name, null, false, 'out/main');
  if (seen.size === 0) problems.push('no run-time package resolved (was out/main built?)');
  return problems;
}

export const NATIVE_ADDONS = ['node_modules/better-sqlite3/build/Release/better_sqlite3.node', 'node_modules/keytar/build/Release/keytar.node'];

/** Top-level folders of the repository that are never part of the app. */
const SOURCE_FOLDERS = ['test', 'scripts', 'docs', 'electron', 'renderer', 'shared', 'bin', 'build', 'release', 'dist', '.github', '.ci', '.tmp', 'test-results'];

/**
 * Everything wrong with a packaged app, as sentences (empty when it is right). `projectRoot` is the
 * checkout it was built from (for package.json and the built out/ folder).
 */
export function packedAppProblems(app: PackedApp, projectRoot: string): string[] {
  const problems: string[] = [];
  const entries = new Set(app.entries);

  // What the app needs.
  for (const required of ['package.json', 'out/main/index.js', 'out/preload/index.cjs', 'out/renderer/index.html']) {
    if (!entries.has(required)) problems.push(`missing ${required}`);
  }
  if (!app.entries.some((e) => /^out\/renderer\/assets\/.+\.js$/.test(e))) problems.push('missing the renderer’s script (out/renderer/assets/*.js)');
  const outDir = path.join(projectRoot, 'out');
  if (existsSync(outDir)) {
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? walk(path.join(dir, d.name)) : [path.join(dir, d.name)]));
    for (const file of walk(outDir)) {
      const rel = path.relative(projectRoot, file).split(path.sep).join('/');
      if (!rel.endsWith('.map') && !entries.has(rel)) problems.push(`built file not packed: ${rel}`);
    }
  }
  for (const addon of NATIVE_ADDONS) {
    if (!entries.has(addon)) problems.push(`missing native addon ${addon}`);
    else if (!app.isUnpacked(addon)) problems.push(`native addon not unpacked from the asar: ${addon}`);
    else if (!existsSync(path.join(app.resources, 'app.asar.unpacked', ...addon.split('/')))) problems.push(`native addon marked unpacked but absent from app.asar.unpacked: ${addon}`);
  }
  problems.push(...unresolvedRuntimeDependencies(app, mainBundleImports(path.join(projectRoot, 'out', 'main'))));

  // What it must not hold.
  const pkg = JSON.parse(readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { devDependencies?: Record<string, string> };
  const devOnly = [...Object.keys(pkg.devDependencies ?? {}), 'app-builder-lib', 'vite', 'rollup', 'rolldown', 'esbuild', 'playwright-core', 'typescript', 'eslint', 'tsx', '@fluentui/react-components', 'react', 'react-dom'];
  for (const entry of app.entries) {
    const top = entry.split('/')[0]!;
    if (SOURCE_FOLDERS.includes(top)) problems.push(`source or test file packed: ${entry}`);
    if (/simulator/i.test(entry)) problems.push(`simulator file packed: ${entry}`);
    if (/\.(ts|tsx|mts|cts)$/.test(entry) && !/\.d\.[cm]?ts$/.test(entry)) problems.push(`TypeScript source packed: ${entry}`);
    if (/(^|\/)\.env$|\.pem$|\.pfx$|\.p12$|(^|\/)settings\.db$/.test(entry)) problems.push(`secret-looking file packed: ${entry}`);
    for (const name of devOnly) if (entry === `node_modules/${name}` || entry.startsWith(`node_modules/${name}/`)) problems.push(`build-time package packed: ${entry}`);
  }
  return [...new Set(problems)];
}
