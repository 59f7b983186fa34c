// The archive phase of `npm run bench` (alone: `npm run bench -- --archive-only`, small:
// `-- --archive-only --quick`): recordings streamed from the PRA simulator to the archive folder by
// the engine (TLS, the account's limiter and token, SHA-256, fsync, rename), against `curl` copying
// the same bytes from the same simulator to a file on the same disk. Target: the engine at ≥ 80 %
// of curl's speed, with its RSS flat however large the recording (sampled at each quarter of the
// bytes of the largest one).
//
// Three processes, so none takes CPU from another's thread: this one (orchestration, curl), the
// simulator (serving bytes), the engine. Runs alternate curl and engine, several rounds, because
// this shared machine's speed changes by the minute; each round's ratio and the median are printed.
import { spawn, fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FILE = fileURLToPath(import.meta.url);
const argv = process.argv.slice(2);
const ROLE = argv.find((a) => a.startsWith('--archive-role='))?.slice('--archive-role='.length) ?? 'main';
const QUICK = argv.includes('--quick');
const MB = 1024 * 1024;
/** The recordings: a few ordinary ones and one large (2 GB; --quick: 256 MB). */
const SIZES = QUICK ? [32 * MB, 32 * MB, 256 * MB] : [128 * MB, 128 * MB, 2048 * MB];
const ROUNDS = QUICK ? 2 : 3;
const TARGET_RATIO = 0.8;
const T = Math.floor(Date.now() / 1000) - 3 * 3600;

interface SimInfo { host: string; port: number; caFile: string; clientId: string; clientSecret: string; lsids: string[] }

// ── Simulator process ────────────────────────────────────────────────────────────────────────
async function simulator() {
  const { startPraSimulator, DEFAULT_CLIENT } = await import('../test/simulators/pra/index.ts');
  const sim = await startPraSimulator();
  const lsids = SIZES.map((bytes, i) => {
    const lsid = `benchrec${String(i).padStart(24, '0')}`;
    sim.addSession({ lsid, startTime: T + i * 60, endTime: T + i * 60 + 30, hasRecording: true });
    sim.recordings.set(lsid, null, { bytes });
    return lsid;
  });
  const info: SimInfo = { host: sim.host, port: sim.port, caFile: sim.caFile, clientId: DEFAULT_CLIENT.clientId, clientSecret: DEFAULT_CLIENT.clientSecret, lsids };
  process.send!({ type: 'ready', info });
  process.on('message', (m: { cmd: string }) => {
    if (m.cmd === 'exit') void sim.close().then(() => process.exit(0));
  });
}

// ── Engine process ───────────────────────────────────────────────────────────────────────────
async function enginePhase(args: { sim: SimInfo; dataDir: string; archiveDir: string }) {
  const { Engine } = await import('../electron/engine/engine.ts');
  const engine = new Engine({ dataDir: args.dataDir, minPollSeconds: 1, storeWriterScript: 'inline' });
  try {
    if (engine.sites.listSites().length === 0) {
      await engine.addSite({ name: 'Bench', host: args.sim.host, clientId: args.sim.clientId, caFile: args.sim.caFile, initialIntervalSeconds: 86_400, timeoutSeconds: 60 }, args.sim.clientSecret);
      await engine.runOnce(); // the sessions, into the store (no archive folder yet)
    }
    // Each round archives into a fresh folder: forget what the previous round archived.
    engine.database.db.exec('DELETE FROM archive_files; DELETE FROM archive_sessions; DELETE FROM archive_items;');
    engine.setArchive({ dir: args.archiveDir, sessionXml: false });
    const largest = Math.max(...SIZES);
    const marks: { share: number; rss: number }[] = [];
    let peak = process.memoryUsage.rss();
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage.rss());
    }, 50);
    // Each quarter of the largest recording's bytes is marked as the progress crosses it, in the
    // progress event itself (a timer polling the progress missed quarters).
    const intoLargest = (bytes: number) => bytes - (SIZES.reduce((a, b) => a + b, 0) - largest);
    const unsubscribe = engine.onEvent((e) => {
      if (e.type !== 'archive' || !e.status.progress) return;
      // The largest recording is last (sessions in start order): its quarters are those of the bytes past the others.
      const share = intoLargest(e.status.progress.bytes) / largest;
      while (marks.length < 4 && share >= (marks.length + 1) / 4) marks.push({ share: (marks.length + 1) / 4, rss: process.memoryUsage.rss() });
    });
    const started = performance.now();
    const result = await engine.archiver.runPass();
    const seconds = (performance.now() - started) / 1000;
    // Status events are paced: the last quarter's may be folded into the pass's end. Its mark is then the RSS right after.
    if (marks.length === 3 && result.bytes === SIZES.reduce((a, b) => a + b, 0)) marks.push({ share: 1, rss: process.memoryUsage.rss() });
    clearInterval(sampler);
    unsubscribe();
    process.send!({ type: 'done', seconds, bytes: result.bytes, files: result.files, failed: result.failed, peak, marks, vmHwm: vmHwm() });
  } finally {
    await engine.close();
  }
}

function vmHwm(): number | null {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    return kb ? Number(kb) * 1024 : null;
  } catch {
    return null;
  }
}

// ── curl ─────────────────────────────────────────────────────────────────────────────────────
function run(cmd: string, args: string[], stdin: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** curl's copy of every recording to files in `dir`; the secret and the token go in a config on stdin, not in arguments. */
async function curlPhase(sim: SimInfo, dir: string): Promise<{ seconds: number; bytes: number }> {
  const basic = Buffer.from(`${sim.clientId}:${sim.clientSecret}`).toString('base64');
  const token = await run('curl', ['-sS', '-K', '-'], `url = "https://${sim.host}/oauth2/token"\ncacert = "${sim.caFile}"\nheader = "Authorization: Basic ${basic}"\ndata = "grant_type=client_credentials"\n`);
  const value = (JSON.parse(token.stdout) as { access_token: string }).access_token;
  const started = performance.now();
  let bytes = 0;
  // One at a time, as the archive downloads them.
  for (const lsid of sim.lsids) {
    const out = join(dir, `${lsid}.flv`);
    const res = await run('curl', ['-sS', '-K', '-'], `url = "https://${sim.host}/api/reporting"\ncacert = "${sim.caFile}"\nheader = "Authorization: Bearer ${value}"\ndata = "generate_report=AccessSessionRecording&lsid=${lsid}"\noutput = "${out}"\n`);
    if (res.code !== 0) throw new Error(`curl failed: ${res.stderr}`);
    bytes += statSync(out).size;
  }
  return { seconds: (performance.now() - started) / 1000, bytes };
}

/** Node flags for the engine process: BENCH_CPU_PROF=DIR profiles it, BENCH_ENGINE_FLAGS adds any (e.g. --trace-gc). */
function engineFlags(): string[] {
  const flags = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  return [...flags, ...(process.env.BENCH_ENGINE_FLAGS?.split(/\s+/).filter(Boolean) ?? [])];
}

// ── Main ─────────────────────────────────────────────────────────────────────────────────────
function start(role: string, extra: unknown): ChildProcess {
  return fork(FILE, [`--archive-role=${role}`, ...(QUICK ? ['--quick'] : []), `--archive-args=${JSON.stringify(extra)}`], { execArgv: ['--import', 'tsx', ...(role === 'engine' ? engineFlags() : [])], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}

function next<T>(proc: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: { type: string }) => {
      if (m.type === type) {
        proc.off('message', onMessage);
        resolve(m as T);
      }
    };
    proc.on('message', onMessage);
    proc.once('exit', (code) => reject(new Error(`${type}: the process exited (${code})`)));
  });
}

export async function benchArchive(line: (s?: string) => void = (s = '') => process.stdout.write(`${s}\n`)): Promise<boolean> {
  const work = mkdtempSync(join(tmpdir(), 'pra-ic-bench-archive-'));
  const sims = start('sim', null);
  const mbps = (bytes: number, s: number) => bytes / MB / s;
  const mb = (n: number) => `${Math.round(n / MB)} MB`;
  try {
    const { info } = await next<{ info: SimInfo }>(sims, 'ready');
    const total = SIZES.reduce((a, b) => a + b, 0);
    line(`Archive: ${SIZES.length} recordings (${SIZES.map(mb).join(', ')}; ${mb(total)}), from the PRA simulator over TLS, ${ROUNDS} rounds of curl then the engine`);
    const dataDir = join(work, 'data');
    const ratios: number[] = [];
    let ok = true;
    for (let round = 1; round <= ROUNDS; round++) {
      const curlDir = join(work, `curl-${round}`);
      mkdirSync(curlDir);
      const curl = await curlPhase(info, curlDir);
      rmSync(curlDir, { recursive: true, force: true });
      const archiveDir = join(work, `archive-${round}`);
      const engine = start('engine', { sim: info, dataDir, archiveDir });
      const done = await next<{ seconds: number; bytes: number; files: number; failed: number; peak: number; marks: { share: number; rss: number }[]; vmHwm: number | null }>(engine, 'done');
      await new Promise((r) => engine.once('exit', r));
      rmSync(archiveDir, { recursive: true, force: true });
      if (done.bytes !== total || done.failed) {
        line(`   round ${round}: the engine archived ${done.bytes} of ${total} bytes (${done.failed} failed) MISS`);
        ok = false;
        continue;
      }
      const ratio = mbps(done.bytes, done.seconds) / mbps(curl.bytes, curl.seconds);
      ratios.push(ratio);
      line(`   round ${round}: curl ${mbps(curl.bytes, curl.seconds).toFixed(0)} MB/s, engine ${mbps(done.bytes, done.seconds).toFixed(0)} MB/s (SHA-256, fsync, rename): ratio ${ratio.toFixed(2)}; ` +
        `RSS at 25/50/75/100 % of the ${mb(Math.max(...SIZES))} recording ${done.marks.map((m) => mb(m.rss)).join(' / ')}, peak ${mb(done.peak)} sampled, VmHWM ${done.vmHwm ? mb(done.vmHwm) : 'n/a'}`);
      const flat = done.marks.length === 4 && Math.max(...done.marks.map((m) => m.rss)) - Math.min(...done.marks.map((m) => m.rss)) < 64 * MB;
      if (!flat) ok = false;
    }
    // With an even number of rounds (--quick runs two), the mean of the middle two: not the higher one.
    const sorted = ratios.sort((a, b) => a - b);
    const middle = sorted.length >> 1;
    const median = sorted.length === 0 ? 0 : sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
    const pass = median >= TARGET_RATIO;
    line(`   median ratio engine / curl ${median.toFixed(2)} (target ≥ ${TARGET_RATIO}) ${pass ? 'PASS' : 'MISS'}; RSS flat over the large recording (within 64 MB) ${ok ? 'PASS' : 'MISS'}`);
    return pass && ok;
  } finally {
    sims.send({ cmd: 'exit' });
    rmSync(work, { recursive: true, force: true });
  }
}

const args = JSON.parse(argv.find((a) => a.startsWith('--archive-args='))?.slice('--archive-args='.length) ?? 'null') as { sim: SimInfo; dataDir: string; archiveDir: string } | null;
if (ROLE === 'sim') await simulator();
else if (ROLE === 'engine') await enginePhase(args!);
else if (ROLE === 'main' && process.argv[1] === FILE) process.exitCode = (await benchArchive()) ? 0 : 1;
