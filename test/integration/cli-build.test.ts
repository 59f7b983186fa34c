// The built pra-ic (scripts/build-cli.ts → dist/cli/, what `npm install` makes and bin/pra-ic.js
// runs) against the TypeScript sources every other test runs: built here, from the sources as they
// are now, and made to answer the same commands, so the build and the sources cannot drift apart.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { builtinModules } from 'node:module';
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { buildCli } from '../../scripts/build-cli.ts';
import { runCli, type CliResult } from '../support/cli.ts';
import { tempDir } from '../support/temp-dir.ts';
import { createManualClock, DEFAULT_CLIENT, generateCorpus, startPraSimulator, type PraSimulator } from '../simulators/pra/index.ts';
import { startElasticsearchSimulator, type ElasticsearchSimulator } from '../simulators/elasticsearch/index.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const T = Math.floor(Date.now() / 1000 / 3600) * 3600;
const INDEX = 'logs-beyondtrust_pra.access_session-default';

describe('the built pra-ic (dist/cli/) answers as the sources do', { timeout: 180_000 }, () => {
  // Inside node_modules, so that the bundle's external imports (the native addons) resolve as they
  // do from dist/cli/; apart from dist/cli/, so that a developer's build is left alone.
  const outdir = join(ROOT, 'node_modules', '.cache', `pra-ic-cli-test-${process.pid}`, 'cli');
  let inputs: string[];
  let externals: string[];
  let pra: PraSimulator;
  let es: ElasticsearchSimulator;

  /** The built entry, on plain Node: no tsx anywhere. */
  const built = (args: string[], input?: string, nodeArgs: string[] = []): Promise<CliResult> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [...nodeArgs, join(outdir, 'pra-ic.js'), ...args], { env: { ...process.env, PRA_IC_FROM_SOURCES: '' }, stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      child.on('error', reject);
      child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
      child.stdin.end(input ?? '');
    });
  /** bin/pra-ic.js on the sources (under tsx), as every other test runs it. */
  const sources = (args: string[], input?: string) => runCli(args, { input, env: { PRA_IC_FROM_SOURCES: '1' } });

  before(async () => {
    ({ inputs, externals } = await buildCli(outdir));
    const clock = createManualClock(T);
    pra = await startPraSimulator({ now: clock.now, sessions: generateCorpus({ seed: 16, from: T - 86_400, to: T - 3600, sessions: 25, inProgressShare: 0.2 }) });
    es = await startElasticsearchSimulator({
      users: [{ username: 'shipper', password: 'shipper-pw', privileges: { indices: [{ names: ['logs-beyondtrust_pra.access_session-*'], privileges: ['auto_configure', 'create_doc'] }] } }],
      integrationInstalled: true,
    });
  });
  after(async () => {
    await pra?.close();
    await es?.close();
    rmSync(join(outdir, '..'), { recursive: true, force: true });
  });

  it('is plain JavaScript that loads only Node, the native addons and what a command imports lazily from node_modules', () => {
    assert.ok(inputs.includes('electron/cli/main.ts') && inputs.includes('electron/engine/engine.ts'), 'build.json lists the sources');
    const files = readdirSync(outdir);
    assert.ok(files.includes('pra-ic.js') && files.includes('store-writer-worker.js'), files.join(', '));
    const packages = externals.filter((x) => !x.startsWith('node:') && !builtinModules.includes(x));
    assert.deepEqual(packages, ['better-sqlite3', 'keytar', 'vite']);
    // apache-arrow (the Elasticsearch client's ES|QL helpers, unused) is left out, and only it.
    assert.ok(!inputs.some((x) => x.includes('apache-arrow')), 'build.json lists only files');
    const chunks = files.filter((f) => f.endsWith('.js')).map((f) => readFileSync(join(outdir, f), 'utf8'));
    assert.ok(!chunks.some((text) => text.includes('node_modules/apache-arrow/')), 'apache-arrow is bundled');
    assert.ok(chunks.some((text) => text.includes('node_modules/@elastic/elasticsearch/lib/helpers.js')), 'the client is bundled');
  });

  it('is Latin-1 throughout, so that V8 holds its source at one byte a character', () => {
    for (const file of readdirSync(outdir).filter((f) => f.endsWith('.js'))) {
      const text = readFileSync(join(outdir, file), 'utf8');
      // eslint-disable-next-line no-control-regex -- what is not Latin-1
      const wide = /[^\u0000-\u00ff]/.exec(text);
      assert.equal(wide, null, `${file}: ${JSON.stringify(wide?.[0])} at ${wide?.index}: ${text.slice(Math.max(0, (wide?.index ?? 0) - 60), (wide?.index ?? 0) + 20)}`);
    }
  });

  it('--help does not load the engine: the entry imports it only when a command runs', () => {
    const entry = readFileSync(join(outdir, 'pra-ic.js'), 'utf8');
    assert.doesNotMatch(entry, /better-sqlite3|class Engine\b/);
  });

  for (const args of [['--help'], ['--version'], ['site', '--help'], ['run', '--help'], ['destination', 'set', '--help'], ['site', 'add', '--name', 'x'], ['no-such-command']]) {
    it(`\`pra-ic ${args.join(' ')}\`: same output and exit code`, async () => {
      const [fromBuild, fromSources] = await Promise.all([built(args), sources(args)]);
      assert.deepEqual({ code: fromBuild.code, stdout: fromBuild.stdout, stderr: fromBuild.stderr }, { code: fromSources.code, stdout: fromSources.stdout, stderr: fromSources.stderr });
      assert.ok(fromBuild.stdout.length + fromBuild.stderr.length > 0);
    });
  }

  it('status and run load no site schema (zod, the largest chunk at start): it loads to add a site', async () => {
    const zodChunk = readdirSync(outdir).find((f) => f.endsWith('.js') && readFileSync(join(outdir, f), 'utf8').includes('ZodType'));
    assert.ok(zodChunk, 'the build has a chunk with zod');
    // A module hook (off the main thread, as Node runs them) names every chunk loaded, on stderr.
    const hook = 'export async function load(url, context, next) { if (url.includes("/chunk-")) process.stderr.write("loaded " + url.slice(url.lastIndexOf("/") + 1) + "\\n"); return next(url, context); }';
    const register = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)});`;
    const traced = ['--import', `data:text/javascript,${encodeURIComponent(register)}`];
    const loaded = (stderr: string) => [...stderr.matchAll(/^loaded (\S+)$/gm)].map((m) => m[1]!);
    const dataDir = tempDir();
    const add = await built(['--data-dir', dataDir, 'site', 'add', '--name', 'Lazy', '--host', pra.host, '--client-id', DEFAULT_CLIENT.clientId, '--client-secret-stdin', '--ca-file', pra.caFile, '--initial-interval', '1d'], DEFAULT_CLIENT.clientSecret, traced);
    assert.equal(add.code, 0, add.stderr);
    assert.ok(loaded(add.stderr).includes(zodChunk), `adding a site validates it with the schema: ${loaded(add.stderr).join(' ')}`);
    for (const args of [['status'], ['run', '--once']]) {
      const result = await built(['--data-dir', dataDir, ...args], undefined, traced);
      assert.equal(result.code, 0, result.stderr);
      assert.ok(loaded(result.stderr).length > 5, `the hook saw the engine's chunks: ${result.stderr}`);
      assert.ok(!loaded(result.stderr).includes(zodChunk), `pra-ic ${args.join(' ')} loaded ${zodChunk}`);
    }
  });

  it('a real run: site add, run --once into Elasticsearch (the store writer thread from the build), status equal from both', async () => {
    const dataDir = tempDir();
    const add = await built(['--data-dir', dataDir, 'site', 'add', '--name', 'Sim', '--host', pra.host, '--client-id', DEFAULT_CLIENT.clientId, '--client-secret-stdin', '--ca-file', pra.caFile, '--initial-interval', '2d'], DEFAULT_CLIENT.clientSecret);
    assert.equal(add.code, 0, add.stderr);
    const set = await built(['--data-dir', dataDir, 'destination', 'set', '--url', es.url, '--username', 'shipper', '--password-stdin'], 'shipper-pw');
    assert.equal(set.code, 0, set.stderr);
    // -v: log lines on stderr too, where a fallback from the writer thread would show.
    const run = await built(['--data-dir', dataDir, '-v', 'run', '--once']);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /Sim: ok — \d+ sessions read, \d+ new events/);
    assert.doesNotMatch(run.stderr, /store writer thread could not start/);

    const [fromBuild, fromSources] = await Promise.all([built(['--data-dir', dataDir, 'status', '--json']), sources(['--data-dir', dataDir, 'status', '--json'])]);
    assert.equal(fromBuild.code, 0, fromBuild.stderr);
    const status = JSON.parse(fromBuild.stdout) as { sites: { sessionsStored: number; eventsStored: number }[]; outbox: { pending: number; sent: number; failed: number } };
    assert.deepEqual(status, JSON.parse(fromSources.stdout));
    assert.equal(status.sites[0]!.sessionsStored, 25);
    assert.deepEqual(status.outbox, { pending: 0, sent: status.sites[0]!.eventsStored, failed: 0 });
    assert.equal(es.count(INDEX), status.sites[0]!.eventsStored);
  });
});

describe('bin/pra-ic.js chooses the build or the sources', () => {
  // A stand-in project: bin/pra-ic.js as it is, a "build" and "sources" that only say which ran,
  // and the project's node_modules (for tsx).
  const root = tempDir('pra-ic-bin-test-');
  const source = join(root, 'electron', 'engine', 'thing.ts');
  const run = (env: NodeJS.ProcessEnv = {}) => spawnSync(process.execPath, [join(root, 'bin', 'pra-ic.js')], { env: { ...process.env, PRA_IC_FROM_SOURCES: '', ...env }, encoding: 'utf8' });
  const age = (file: string, secondsAgo: number) => utimesSync(file, Date.now() / 1000 - secondsAgo, Date.now() / 1000 - secondsAgo);

  before(() => {
    for (const dir of ['bin', 'dist/cli', 'electron/cli', 'electron/engine']) mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, 'package.json'), JSON.stringify({ type: 'module' }));
    symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'junction');
    copyFileSync(join(ROOT, 'bin', 'pra-ic.js'), join(root, 'bin', 'pra-ic.js'));
    writeFileSync(join(root, 'electron', 'cli', 'main.ts'), "const from: string = 'sources';\nprocess.stdout.write(from);\n");
    writeFileSync(source, 'export {};\n');
    writeFileSync(join(root, 'dist', 'cli', 'pra-ic.js'), "process.stdout.write('build');\n");
    writeFileSync(join(root, 'dist', 'cli', 'build.json'), JSON.stringify({ inputs: ['electron/cli/main.ts', 'electron/engine/thing.ts'] }));
  });

  it('runs the build when no source it was made from is newer, without a word on stderr', () => {
    age(source, 60);
    age(join(root, 'electron', 'cli', 'main.ts'), 60);
    const r = run();
    assert.deepEqual({ status: r.status, stdout: r.stdout, stderr: r.stderr }, { status: 0, stdout: 'build', stderr: '' });
  });

  it('runs the sources under tsx when one changed since the build, and names it', () => {
    age(source, -5); // written after the build
    const r = run();
    assert.equal(r.stdout, 'sources');
    assert.match(r.stderr, /build \(dist\/cli\/\) is older than electron\/engine\/thing\.ts: running the TypeScript sources.*npm run build:cli/);
    age(source, 60);
  });

  it('runs the sources when asked (PRA_IC_FROM_SOURCES=1, as the tests do), silently', () => {
    const r = run({ PRA_IC_FROM_SOURCES: '1' });
    assert.deepEqual({ stdout: r.stdout, stderr: r.stderr }, { stdout: 'sources', stderr: '' });
  });

  it('runs the sources when there is no build, and says how to make one', () => {
    rmSync(join(root, 'dist'), { recursive: true });
    const r = run();
    assert.equal(r.stdout, 'sources');
    assert.match(r.stderr, /pra-ic is not built \(dist\/cli\/\).*Build it with: npm run build:cli/);
  });
});
