// Builds the pra-ic command: electron/cli/main.ts and the engine bundled by esbuild into plain
// JavaScript under dist/cli/, so `pra-ic` starts on plain Node instead of compiling TypeScript
// with tsx at every start (~1 s). `npm install` / `npm ci` run it (package.json "prepare");
// `npm run build:cli` runs it by hand. bin/pra-ic.js runs the build when it is there and not
// older than its sources, the sources under tsx otherwise (see there).
//
//   dist/cli/pra-ic.js               the entry: commander and the command definitions only
//   dist/cli/chunk-*.js              the engine and what it loads, split off by esbuild: a command
//                                    imports it when it runs, so `--help` never loads it
//   dist/cli/store-writer-worker.js  the store writer thread's script (a worker loads a file of its own)
//   dist/cli/build.json              the sources the build was made from (bin/pra-ic.js's staleness check)
//
// The bundle sits two folders below the project root, as electron/cli/ does, so the paths the CLI
// resolves from import.meta.url (the UI's dist/renderer/) mean the same from the build.
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions, Plugin } from 'esbuild';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLI_OUT_DIR = join(ROOT, 'dist', 'cli');
export const STORE_WRITER_ENTRY = join(ROOT, 'electron/engine/store/store-writer-worker.ts');
/** The opt-in batch builder thread's script (PRA_IC_SHIP_BUILDER=thread, see batch-source.ts). */
const BATCH_BUILDER_ENTRY = join(ROOT, 'electron/engine/elastic/batch-builder-worker.ts');

/** The plugin's name, and the namespace of the stand-in it makes (not a file: build.json leaves it out). */
const WITHOUT_ARROW = 'without-apache-arrow';

/**
 * What every esbuild bundle of the engine shares (this CLI, the benchmark's): ES modules for Node 20,
 * the store writer thread's script as an entry of its own, as in the app's build.
 */
export const engineBundleBase = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  logLevel: 'error',
  plugins: [withoutArrow()],
} satisfies BuildOptions;

/**
 * apache-arrow is left out: the Elasticsearch client requires it at load only for its ES|QL helpers
 * (`helpers.esql().toArrowTable()` / `toArrowReader()`), which the engine never calls. It was 670 KB
 * of the client's chunk, and a shipping run's start spent ~20 ms of its busiest thread compiling
 * it. What stands in its place throws a plain error if anything ever uses it.
 */
function withoutArrow(): Plugin {
  return {
    name: WITHOUT_ARROW,
    setup(build) {
      build.onResolve({ filter: /^apache-arrow(\/|$)/ }, (args) => ({ path: args.path, namespace: WITHOUT_ARROW }));
      build.onLoad({ filter: /.*/, namespace: WITHOUT_ARROW }, () => ({
        loader: 'js',
        // Symbols, `then` and `__esModule` are what module interop, awaiting and inspecting look
        // at without using it: they read as absent; any other name throws.
        contents: `module.exports = new Proxy({}, { get(_, name) { if (typeof name !== 'string' || name === 'then' || name === '__esModule') return undefined; throw new Error('apache-arrow is not part of this build (' + name + '): the ES|QL Arrow helpers are not used.'); } });`,
      }));
    },
  };
}

/**
 * Our code and the pure-JavaScript packages are bundled: one file read instead of hundreds of
 * module resolutions at every start (`status` takes ~30 % less CPU than with every package left in
 * node_modules). What our code imports with import() becomes a chunk of its own, loaded only when
 * needed: the Elasticsearch client (when shipping starts; bundled, it loads in ~50 ms instead of
 * ~150 ms from its hundreds of files; its chunk's only export is the package's `module.exports`, as
 * `default`, which elastic-connection.ts takes). Left as imports, loaded from node_modules by Node itself:
 *   - the native addons (their .node files load from node_modules);
 *   - Vite, for `pra-ic ui`'s first build of the UI (a build tool, with files of its own to find).
 */
const EXTERNAL = ['better-sqlite3', 'keytar', 'vite'];

/** Bundled CommonJS packages call require() for Node's built-ins: give the ES module bundle one. */
const REQUIRE_SHIM = "import { createRequire as __praIcCreateRequire } from 'node:module'; const require = __praIcCreateRequire(import.meta.url);";

export interface CliBuild {
  outdir: string;
  /** Source files of this project the build was made from, relative to the project root. */
  inputs: string[];
  /** What the build imports at run time (Node's built-ins and the EXTERNAL packages). */
  externals: string[];
}

/** Builds the CLI into `outdir` (replaced whole, so no chunk of an older build stays behind). */
export async function buildCli(outdir = CLI_OUT_DIR): Promise<CliBuild> {
  const esbuild = await import('esbuild');
  const staging = `${outdir}.building-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const result = await esbuild.build({
    ...engineBundleBase,
    entryPoints: { 'pra-ic': join(ROOT, 'electron/cli/main.ts'), 'store-writer-worker': STORE_WRITER_ENTRY, 'batch-builder-worker': BATCH_BUILDER_ENTRY },
    outdir: staging,
    splitting: true,
    chunkNames: 'chunk-[hash]',
    external: EXTERNAL,
    banner: { js: REQUIRE_SHIM },
    metafile: true,
    // Smaller and in ASCII: V8 keeps every module's source text in the heap (to compile functions
    // when first called), at two bytes a character if any character is beyond Latin-1. Names are
    // kept (no minifyIdentifiers), so stack traces still name functions. 3.7 → 2.6 MB; bench phase
    // 5, 6 alternating pairs: VmHWM 171-187 against 181-191 MB, the same speed.
    minifyWhitespace: true,
    minifySyntax: true,
    charset: 'ascii',
  });
  const inputs = Object.keys(result.metafile.inputs)
    .filter((input) => !input.startsWith(`${WITHOUT_ARROW}:`)) // made by the plugin, not a file
    .map((input) => relative(ROOT, join(process.cwd(), input)).split('\\').join('/'))
    .filter((input) => !input.startsWith('node_modules/') && !input.includes('/node_modules/'))
    .sort();
  // package.json too: its version is compiled in, and a change of dependencies calls for a rebuild.
  inputs.push('package.json');
  const externals = [...new Set(Object.values(result.metafile.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path)))].sort();
  writeFileSync(join(staging, 'build.json'), `${JSON.stringify({ builtAt: new Date().toISOString(), inputs }, null, 2)}\n`);
  mkdirSync(dirname(outdir), { recursive: true });
  rmSync(outdir, { recursive: true, force: true });
  renameSync(staging, outdir);
  return { outdir, inputs, externals };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const started = performance.now();
  const { outdir, inputs } = await buildCli();
  process.stdout.write(`pra-ic built into ${relative(process.cwd(), outdir) || outdir} from ${inputs.length} source files in ${Math.round(performance.now() - started)} ms\n`);
}
