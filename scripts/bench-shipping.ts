// The shipping phase of `npm run bench` (alone: `npm run bench -- --ship-only`): END TO END INTO
// ELASTICSEARCH. From an empty store to every document acknowledged, by a fresh `pra-ic run --once`
// process started as a user starts it (`node bin/pra-ic.js`), against a FLOOR measured in the same
// run: the PRA simulator serving the corpus once (one report of it all, read by a plain HTTPS client)
// plus one perfect client indexing the same documents into the Elasticsearch simulator (prebuilt
// bulk bodies of 1,000 documents, as many in flight as the shipper uses). Both with and without a
// delay of every `_bulk` answer (a network round trip to a real cluster).
//
// Processes: this script orchestrates; each simulator runs in a child of its own (`--role=ship-sims`,
// one for PRA, one for Elasticsearch: an appliance and a cluster are separate machines, and in one
// process each simulator's work held up the other's answers, e.g. a report's first bytes waited
// 100-230 ms behind bulks being indexed); the store is set up (site, destination, keychain) by another (`ship-setup`, not timed); each floor
// client is a child of its own (`ship-serve`, `ship-index`). RSS of the `pra-ic` process is read
// from /proc/<pid>/status every 50 ms (VmRSS: sampled; VmHWM: its high-water mark, as last read).
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, createWriteStream, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const FILE = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DAY = 86_400;
const CLIENT = { clientId: 'bench-client', clientSecret: 'bench-secret' };
const ES_KEY = { id: 'bench', key: 'bench-key' };
/** The issue's held-out corpus was 3,000 sessions and 38,867 events: the same size. */
const CORPUS = { sessions: 3_000, eventsPerSession: [5, 8] as [number, number], days: 14, inProgressShare: 0.05 };
/** The simulated round trip of each `_bulk` answer in the second pair of runs. */
export const BULK_LATENCY_MS = 40;
/** The perfect client's bulks: documents each, requests in flight (about the documents the shipper has in flight: SHIP_LIMITS, 4 of 500). */
const PERFECT = { docs: 1000, inFlight: 3 };
const TARGETS = { ratio: 0.5, peakRssMb: 200, callsPer1000: 5, simDocsPerSecond: 20_000 };

const MB = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

type Message = { type: string; [key: string]: unknown };

function child(role: string, args: unknown): { proc: ChildProcess; next: <M = Message>(type: string) => Promise<M>; ask: <M = Message>(cmd: Record<string, unknown>, answer: string) => Promise<M>; exited: Promise<number | null> } {
  // BENCH_SIM_FLAGS (diagnosis): more Node flags for the simulators' processes, e.g. --cpu-prof.
  const flags = role === 'ship-sims' ? (process.env.BENCH_SIM_FLAGS?.split(/\s+/).filter(Boolean) ?? []) : [];
  const proc = fork(FILE, [`--role=${role}`, `--args=${JSON.stringify(args)}`], { execArgv: [...flags, '--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const waiters: { type: string; resolve: (m: Message) => void }[] = [];
  proc.on('message', (raw) => {
    const m = raw as Message;
    const i = waiters.findIndex((w) => w.type === m.type);
    if (i >= 0) waiters.splice(i, 1)[0]!.resolve(m);
  });
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  const next = <M = Message>(type: string) =>
    new Promise<M>((resolve, reject) => {
      waiters.push({ type, resolve: resolve as (m: Message) => void });
      void exited.then((code) => reject(new Error(`the ${role} process exited (${code}) before answering ${type}`)));
    });
  return {
    proc,
    next,
    exited,
    ask<M = Message>(cmd: Record<string, unknown>, answer: string) {
      const reply = next<M>(answer);
      proc.send(cmd);
      return reply;
    },
  };
}

/** A one-shot role's answer, then its exit (the IPC channel would keep it alive). */
function done(message: Message) {
  process.send!(message, () => process.exit(0));
}

// ── Role: the simulators ───────────────────────────────────────────────────────────────────

async function simsRole(args: { t: number; which: 'pra' | 'es' }) {
  const send = (m: unknown) => process.send!(m);
  const cpuMs = () => {
    const used = process.cpuUsage();
    return (used.user + used.system) / 1000;
  };
  if (args.which === 'pra') {
    const pra = await import('../test/simulators/pra/index.ts');
    const corpus = pra.generateCorpus({ seed: 'bench-ship', from: args.t - CORPUS.days * DAY, to: args.t - 3600, sessions: CORPUS.sessions, eventsPerSession: CORPUS.eventsPerSession, inProgressShare: CORPUS.inProgressShare });
    const clock = pra.createManualClock(args.t);
    // The report is rendered once and replayed (renderCache): rendering is the simulator's CPU, not the engine's.
    const sim = await pra.startPraSimulator({ now: clock.now, sessions: corpus, clients: [CLIENT], renderCache: true });
    process.on('message', async (raw) => {
      const msg = raw as { cmd: string };
      if (msg.cmd === 'reset') {
        sim.clearRequests();
        send({ type: 'reset' });
      } else if (msg.cmd === 'counts') send({ type: 'counts', cpuMs: cpuMs(), praCalls: sim.requests.length });
      else if (msg.cmd === 'exit') {
        await sim.close();
        process.exit(0);
      }
    });
    return send({ type: 'ready', host: sim.host, caFile: sim.caFile, sessions: corpus.length });
  }
  const { startElasticsearchSimulator } = await import('../test/simulators/elasticsearch/index.ts');
  const es = await startElasticsearchSimulator({
    apiKeys: [{ id: ES_KEY.id, key: ES_KEY.key, privileges: { cluster: ['monitor'], indices: [{ names: ['logs-*'], privileges: ['auto_configure', 'create_doc'] }] } }],
    // No ingest pipeline: what Elasticsearch does with a document is not the engine's cost.
    integrationInstalled: false,
  });
  process.on('message', async (raw) => {
    const msg = raw as { cmd: string; file?: string; latency?: number };
    switch (msg.cmd) {
      case 'reset':
        es.reset();
        es.setBulkLatency(msg.latency ?? 0);
        return send({ type: 'reset' });
      case 'counts': {
        const statuses: Record<string, number> = {};
        for (const r of es.bulkRequests) for (const s of r.itemStatuses) statuses[s] = (statuses[s] ?? 0) + 1;
        return send({ type: 'counts', cpuMs: cpuMs(), docs: es.count(), bulks: es.bulkRequests.length, bulkBytes: es.bulkRequests.reduce((n, r) => n + r.bytes, 0), statuses });
      }
      case 'export': {
        // The documents as indexed, as prebuilt bulk bodies for the perfect client (one per line of the file).
        const out = createWriteStream(msg.file!);
        const docs = es.documents();
        for (let i = 0; i < docs.length; i += PERFECT.docs) {
          let body = '';
          for (const d of docs.slice(i, i + PERFECT.docs)) body += `${JSON.stringify({ create: { _index: d.data_stream ?? d._index, _id: d._id } })}\n${JSON.stringify(d._source)}\n`;
          out.write(`${JSON.stringify(body)}\n`);
        }
        await new Promise<void>((resolve) => out.end(() => resolve()));
        return send({ type: 'exported', docs: docs.length });
      }
      case 'exit':
        await es.close();
        process.exit(0);
    }
  });
  send({ type: 'ready', esUrl: es.url });
}

// ── Role: setting up a fresh store (not timed) ─────────────────────────────────────────────

async function setupRole(args: { dataDir: string; host: string; caFile: string; esUrl: string }) {
  const { Engine } = await import('../electron/engine/engine.ts');
  const engine = new Engine({ dataDir: args.dataDir });
  try {
    await engine.addSite({ name: 'Bench', host: args.host, clientId: CLIENT.clientId, caFile: args.caFile, initialIntervalSeconds: (CORPUS.days + 1) * DAY, timeoutSeconds: 120 }, CLIENT.clientSecret);
    await engine.setDestination({ url: args.esUrl, auth: 'api-key', namespace: 'default' }, `${ES_KEY.id}:${ES_KEY.key}`);
  } finally {
    await engine.close();
  }
  done({ type: 'done' });
}

// ── Role: the floor's first half, serving the corpus once ──────────────────────────────────

async function serveRole(args: { host: string; caFile: string; t: number }) {
  const ca = readFileSync(args.caFile);
  const call = (method: string, path: string, headers: Record<string, string>, body?: string) =>
    new Promise<{ status: number; bytes: number; text: string }>((resolve, reject) => {
      const req = httpsRequest(`https://${args.host}${path}`, { method, headers, ca }, (res) => {
        let bytes = 0;
        const keep: Buffer[] = [];
        res.on('data', (c: Buffer) => {
          bytes += c.length;
          if (keep.length < 4) keep.push(c);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes, text: Buffer.concat(keep).toString('utf8', 0, 2000) }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  const token = await call('POST', '/oauth2/token', { authorization: `Basic ${Buffer.from(`${CLIENT.clientId}:${CLIENT.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' }, 'grant_type=client_credentials');
  const accessToken = (JSON.parse(token.text) as { access_token: string }).access_token;
  const from = args.t - (CORPUS.days + 1) * DAY;
  const report = await call('GET', `/api/reporting?generate_report=AccessSession&start_time=${from}&duration=${(CORPUS.days + 1) * DAY}`, { authorization: `Bearer ${accessToken}` });
  const ms = performance.now() - started;
  if (report.status !== 200 || !report.text.includes('<session')) throw new Error(`the corpus report failed: HTTP ${report.status} ${report.text.slice(0, 200)}`);
  const used = process.cpuUsage(cpu0);
  done({ type: 'result', ms, bytes: report.bytes, cpuMs: (used.user + used.system) / 1000 });
}

// ── Role: the floor's second half, one perfect client indexing the documents ──────────────

async function indexRole(args: { file: string; esUrl: string }) {
  // Prebuilt before the clock starts: the client does nothing but send.
  const bodies = readFileSync(args.file, 'utf8').split('\n').filter(Boolean).map((line) => Buffer.from(JSON.parse(line) as string));
  const agent = new HttpAgent({ keepAlive: true, maxSockets: PERFECT.inFlight });
  const auth = `ApiKey ${Buffer.from(`${ES_KEY.id}:${ES_KEY.key}`).toString('base64')}`;
  const post = (body: Buffer) =>
    new Promise<void>((resolve, reject) => {
      const req = httpRequest(`${args.esUrl}/_bulk?filter_path=errors`, { method: 'POST', agent, headers: { authorization: auth, 'content-type': 'application/x-ndjson', 'content-length': String(body.length) } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200 || !text.includes('"errors":false')) reject(new Error(`perfect client: HTTP ${res.statusCode} ${text.slice(0, 200)}`));
          else resolve();
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: PERFECT.inFlight }, async () => {
      while (next < bodies.length) await post(bodies[next++]!);
    }),
  );
  const ms = performance.now() - started;
  agent.destroy();
  const used = process.cpuUsage(cpu0);
  done({ type: 'result', ms, bulks: bodies.length, bytes: bodies.reduce((n, b) => n + b.length, 0), cpuMs: (used.user + used.system) / 1000 });
}

// ── The end-to-end run: a fresh `pra-ic run --once` ────────────────────────────────────────

interface EndToEnd {
  ms: number;
  code: number | null;
  peakRss: number;
  vmHwm: number;
  /** CPU time of the process (all its threads), as last read. */
  cpuMs: number;
  /** Of which in the kernel (stime). */
  systemMs: number;
  stdout: string;
}

/** `pra-ic run --once` on `dataDir`, measured; `diagnosed`: with the BENCH_* diagnosis settings below (not for the warm-up). */
function runCli(dataDir: string, diagnosed = true): Promise<EndToEnd> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const spawnedAt = new Date().toISOString();
    // BENCH_CPU_PROF=DIR (diagnosis): a CPU profile of the pra-ic process (and its threads) there.
    const prof = diagnosed && process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
    // BENCH_ENGINE_FLAGS (diagnosis): more Node flags for the pra-ic process, e.g. --trace-gc;
    // BENCH_ENGINE_OUT=FILE appends what the process printed (its own lines and such traces) there.
    if (diagnosed) prof.push(...(process.env.BENCH_ENGINE_FLAGS?.split(/\s+/).filter(Boolean) ?? []));
    const proc = spawn(process.execPath, [...prof, join(ROOT, 'bin/pra-ic.js'), '--data-dir', dataDir, 'run', '--once'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    proc.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (stdout += c.toString()));
    let peakRss = 0;
    let vmHwm = 0;
    let cpuMs = 0;
    let systemMs = 0;
    const sample = () => {
      try {
        const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
        peakRss = Math.max(peakRss, Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024);
        vmHwm = Math.max(vmHwm, Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) * 1024);
        // utime + stime (fields 14 and 15 of /proc/<pid>/stat, in clock ticks of 10 ms)
        const stat = readFileSync(`/proc/${proc.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        cpuMs = (Number(stat[11]) + Number(stat[12])) * 10;
        systemMs = Number(stat[12]) * 10;
      } catch {
        // exited, or not Linux
      }
    };
    const timer = setInterval(sample, 50);
    proc.on('error', reject);
    proc.on('exit', (code) => {
      clearInterval(timer);
      if (diagnosed && process.env.BENCH_ENGINE_OUT) appendFileSync(process.env.BENCH_ENGINE_OUT, stdout);
      // With BENCH_SHIP_LOG, when it was started and ended, beside the timestamps of its own lines.
      const log = process.env.BENCH_SHIP_LOG ? `spawned ${spawnedAt}\n${stdout}exited ${new Date().toISOString()}\n` : stdout;
      resolve({ ms: performance.now() - started, code, peakRss, vmHwm, cpuMs, systemMs, stdout: log });
    });
  });
}

// ── Orchestration ──────────────────────────────────────────────────────────────────────────

export async function shippingBench(line: (s?: string) => void, options: { t: number; work?: string } = { t: Math.floor(Date.now() / 1000 / 3600) * 3600 }): Promise<void> {
  const work = options.work ?? mkdtempSync(join(tmpdir(), 'pra-ic-bench-ship-'));
  // pra-ic as a user has it after `npm install`: built (bin/pra-ic.js runs dist/cli/ when it is current).
  const build = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts/build-cli.ts')], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`npm run build:cli failed: ${build.stderr}`);
  const praSim = child('ship-sims', { t: options.t, which: 'pra' });
  const esSim = child('ship-sims', { t: options.t, which: 'es' });
  const [praReady, esReady] = await Promise.all([praSim.next<Message & { host: string; caFile: string; sessions: number }>('ready'), esSim.next<Message & { esUrl: string }>('ready')]);
  const ready = { ...praReady, esUrl: esReady.esUrl };
  // The two simulators as one: reset both, their CPU summed, each one's own counts.
  const sims = {
    async ask<M>(cmd: Record<string, unknown>, answer: string): Promise<M> {
      if (cmd.cmd === 'export') return esSim.ask<M>(cmd, answer);
      const [a, b] = await Promise.all([praSim.ask<Message>(cmd, answer), esSim.ask<Message>(cmd, answer)]);
      return { ...a, ...b, cpuMs: Number(a.cpuMs ?? 0) + Number(b.cpuMs ?? 0) } as M;
    },
  };
  /** A new store on `dataDir` (what a run left there removed): the site and the destination set up, as a user would (not timed). */
  const setUpStore = async (dataDir: string) => {
    rmSync(dataDir, { recursive: true, force: true });
    const setup = child('ship-setup', { dataDir, host: ready.host, caFile: ready.caFile, esUrl: ready.esUrl });
    await setup.next('done');
    await setup.exited;
  };
  line(`5. End to end into Elasticsearch: a fresh \`pra-ic run --once\` (node bin/pra-ic.js) from an empty store to every document acknowledged, against a floor measured in the same run`);
  line(`   Corpus: ${fmt(ready.sessions)} sessions of ${CORPUS.eventsPerSession.join('–')} events + opening/closing events (the issue's held-out corpus: 3,000 sessions, 38,867 events); Elasticsearch simulator without ingest pipeline`);
  line(`   The simulators are warmed first by one unmeasured run of pra-ic (as the floor's client meets a simulator warmed by the run before it)`);
  try {
    // Warm-up, not measured: one `pra-ic run --once` like the measured ones, then both simulators
    // reset. The floor's perfect client always met an Elasticsearch simulator warmed by the
    // end-to-end run before it, but the first end-to-end run met a cold one: its first bulks took
    // 40-110 ms each to index (15-30 later), partly while V8 compiled the simulator's code. Warmed,
    // the simulator's CPU for that run fell from a median of 2.0 to 1.6 s (5 alternating pairs): a
    // cost a long-running cluster never charges.
    await sims.ask({ cmd: 'reset', latency: 0 }, 'reset');
    const warmDir = join(work, 'store-warm-up');
    await setUpStore(warmDir);
    const warm = await runCli(warmDir, false);
    if (warm.code !== 0) throw new Error(`the warm-up pra-ic run --once failed (exit ${warm.code})\n${warm.stdout}`);
    rmSync(warmDir, { recursive: true, force: true });
    for (const latency of [0, BULK_LATENCY_MS]) {
      type Counts = { cpuMs: number; docs: number; bulks: number; bulkBytes: number; statuses: Record<string, number>; praCalls: number };
      const simCpu = async () => (await sims.ask<Counts>({ cmd: 'counts' }, 'counts')).cpuMs;
      await sims.ask({ cmd: 'reset', latency }, 'reset');
      // Warm the PRA simulator's render cache and measure serving the corpus once.
      await child('ship-serve', { host: ready.host, caFile: ready.caFile, t: options.t }).next('result');
      const serveCpu0 = await simCpu();
      const serve = await child('ship-serve', { host: ready.host, caFile: ready.caFile, t: options.t }).next<{ ms: number; bytes: number; cpuMs: number }>('result');
      const serveSimCpu = (await simCpu()) - serveCpu0;
      await sims.ask({ cmd: 'reset', latency }, 'reset');
      const dataDir = join(work, `store-${latency}`);
      await setUpStore(dataDir);
      const e2eCpu0 = await simCpu();
      const e2e = await runCli(dataDir);
      const counts = await sims.ask<Counts>({ cmd: 'counts' }, 'counts');
      const e2eSimCpu = counts.cpuMs - e2eCpu0;
      // Every event stored was delivered: the run's own summary line, checked against Elasticsearch.
      const summary = /outbox (\d+) pending, (\d+) sent, (\d+) failed/.exec(e2e.stdout);
      const events = Number(summary?.[2] ?? NaN);
      if (e2e.code !== 0 || !summary || summary[1] !== '0' || summary[3] !== '0' || counts.docs !== events) {
        throw new Error(`pra-ic run --once: exit ${e2e.code}, ${counts.docs} documents indexed\n${e2e.stdout}`);
      }
      // The perfect client indexes the same documents into an empty simulator.
      const file = join(work, 'bulks.ndjson');
      await sims.ask({ cmd: 'export', file }, 'exported');
      await sims.ask({ cmd: 'reset', latency }, 'reset');
      const indexCpu0 = await simCpu();
      const index = await child('ship-index', { file, esUrl: ready.esUrl }).next<{ ms: number; bulks: number; bytes: number; cpuMs: number }>('result');
      const indexed = await sims.ask<Counts>({ cmd: 'counts' }, 'counts');
      const indexSimCpu = indexed.cpuMs - indexCpu0;
      if (indexed.docs !== events) throw new Error(`the perfect client indexed ${indexed.docs} of ${events} documents`);
      rmSync(file, { force: true });

      const floor = serve.ms + index.ms;
      const ratio = floor / e2e.ms;
      const peak = Math.max(e2e.peakRss, e2e.vmHwm);
      const per1000 = (counts.praCalls / ready.sessions) * 1000;
      const simRate = events / (index.ms / 1000);
      const conflicts = counts.statuses['409'] ?? 0;
      line();
      line(`   ${latency ? `With ${latency} ms of latency on every _bulk answer` : 'Without latency'}:`);
      line(`   floor ${(floor / 1000).toFixed(2)} s = serving the corpus once ${(serve.ms / 1000).toFixed(2)} s (${mb(serve.bytes)}) + the perfect client ${(index.ms / 1000).toFixed(2)} s (${index.bulks} bulks of ${PERFECT.docs}, ${mb(index.bytes)}, ${PERFECT.inFlight} in flight: the simulator indexes ${fmt(simRate)} documents/s${latency ? '' : ` (target ≥ ${fmt(TARGETS.simDocsPerSecond)}) ${verdict(simRate >= TARGETS.simDocsPerSecond)}`})`);
      line(`   end to end ${(e2e.ms / 1000).toFixed(2)} s: ${fmt(events)} documents, ${fmt(events / (e2e.ms / 1000))} documents/s; ${counts.bulks} _bulk requests (${mb(counts.bulkBytes)}), ${conflicts} answered 409 (sent twice); pra-ic CPU ${(e2e.cpuMs / 1000).toFixed(1)} s (all threads; ${(e2e.systemMs / 1000).toFixed(1)} s of it in the kernel)`);
      line(`   ratio floor / end to end ${ratio.toFixed(2)} (target ≥ ${TARGETS.ratio}) ${verdict(ratio >= TARGETS.ratio)}`);
      // CPU seconds: what the work costs whatever else the machine runs (a shared machine stretches wall time).
      const floorCpu = serveSimCpu + serve.cpuMs + indexSimCpu + index.cpuMs;
      const e2eCpu = e2e.cpuMs + e2eSimCpu;
      line(`   CPU: floor ${(floorCpu / 1000).toFixed(1)} s (simulators ${((serveSimCpu + indexSimCpu) / 1000).toFixed(1)} s, clients ${((serve.cpuMs + index.cpuMs) / 1000).toFixed(1)} s); end to end ${(e2eCpu / 1000).toFixed(1)} s (pra-ic ${(e2e.cpuMs / 1000).toFixed(1)} s, simulators ${(e2eSimCpu / 1000).toFixed(1)} s): ratio ${(floorCpu / e2eCpu).toFixed(2)}`);
      line(`   peak RSS ${mb(e2e.peakRss)} sampled, VmHWM ${mb(e2e.vmHwm)} (target ≤ ${TARGETS.peakRssMb} MB) ${verdict(peak <= TARGETS.peakRssMb * MB)}`);
      line(`   ${per1000.toFixed(2)} PRA API calls per 1,000 sessions (${counts.praCalls} calls; target ≤ ${TARGETS.callsPer1000}) ${verdict(per1000 <= TARGETS.callsPer1000)}`);
      if (process.env.BENCH_SHIP_LOG) line(e2e.stdout.replace(/^/gm, '     | '));
    }
  } finally {
    for (const sim of [praSim, esSim]) sim.proc.send({ cmd: 'exit' });
    await Promise.all([praSim.exited, esSim.exited]);
    if (!options.work) rmSync(work, { recursive: true, force: true });
  }
}

// ── Entry (as a child of itself) ───────────────────────────────────────────────────────────

const argv = process.argv.slice(2);
const role = argv.find((a) => a.startsWith('--role='))?.slice('--role='.length);
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each role reads its own arguments
const roleArgs = JSON.parse(argv.find((a) => a.startsWith('--args='))?.slice('--args='.length) ?? 'null') as any;
// Only this module's roles: bench.ts's own roles pass through here too when it is bundled with this module.
if (process.argv[1] === FILE && role?.startsWith('ship-')) {
  if (role === 'ship-sims') await simsRole(roleArgs);
  else if (role === 'ship-setup') await setupRole(roleArgs);
  else if (role === 'ship-serve') await serveRole(roleArgs);
  else if (role === 'ship-index') await indexRole(roleArgs);
  else throw new Error(`unknown role ${role}`);
}
