// Benchmark of the engine against the simulators: `npm run bench` (full, ~10–15 min on 2 cores) or
// `npm run bench -- --quick` (a small run, ~1–2 min; `--extract-only`: phases 1 and 2 only; `--ship-only`: phase 5
// only, end to end into Elasticsearch, see bench-shipping.ts). Prints figures and PASS/MISS against the
// targets; it never fails on a missed target (exit 1 only when something broke).
//
// Processes, so that every figure is the engine's own: this script orchestrates; the PRA and
// Elasticsearch simulators run in one child process (their corpus and documents are not the
// engine's memory); each measured phase runs in a fresh child process (its peak RSS is the phase's,
// not left over from the previous one):
//   parse     the report the simulator serves for the whole corpus, rendered once to a temp file
//             and streamed from it through parseAccessSessionReport: no network, no database;
//   extract   engine.runNow() against the simulator over TLS into a fresh store (real keychain);
//   ship      engine.shipper.drain() of that store's outbox into the Elasticsearch simulator;
//   gb        one AccessSession report of ≥ 1 GB (one window over lazy large sessions) into a fresh
//             store, with RSS sampled against the bytes the simulator has sent.
// Linux without a D-Bus session: relaunches itself under scripts/with-keyring.sh (the engine keeps
// the site's secret in the OS keychain).
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync, createReadStream, createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { getHeapSpaceStatistics } from 'node:v8';
import { join } from 'node:path';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { shippingBench } from './bench-shipping.ts';

const FILE = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const argv = process.argv.slice(2);
const ROLE = argv.find((a) => a.startsWith('--role='))?.slice('--role='.length) ?? 'main';
const QUICK = argv.includes('--quick');
/** Only phases 1 and 2 (parse-only and end to end): a quicker loop while working on their ratio. */
const EXTRACT_ONLY = argv.includes('--extract-only');
/** Only the archive phase (scripts/bench-archive.ts). */
const ARCHIVE_ONLY = argv.includes('--archive-only');
/** Only phase 5 (end to end into Elasticsearch, see bench-shipping.ts), ~1 min. */
const SHIP_ONLY = argv.includes('--ship-only');
const DAY = 86_400;
/** The simulators' fixed clock: every phase sees the same data. */
const T = Number(argv.find((a) => a.startsWith('--t='))?.slice('--t='.length)) || Math.floor(Date.now() / 1000 / 3600) * 3600;
const CLIENT = { clientId: 'bench-client', clientSecret: 'bench-secret' };
const ES_KEY = { id: 'bench', key: 'bench-key' };

interface Sizes {
  label: string;
  sessions: number;
  eventsPerSession: [number, number];
  days: number;
  inProgressShare: number;
  large: { count: number; events: number };
  /** The single big report: lazy sessions × events. */
  gb: { sessions: number; events: number };
  /** Events shipped in the shipping phase, and events of a large session shipped apart. */
  shipEvents: number;
  shipSample: number;
}

const SIZES: Sizes = QUICK
  ? { label: 'quick', sessions: 2_000, eventsPerSession: [40, 48], days: 7, inProgressShare: 0.05, large: { count: 1, events: 20_000 }, gb: { sessions: 4, events: 80_000 }, shipEvents: 20_000, shipSample: 50 }
  : { label: 'full', sessions: 20_000, eventsPerSession: [40, 48], days: 30, inProgressShare: 0.05, large: { count: 3, events: 100_000 }, gb: { sessions: 34, events: 100_000 }, shipEvents: 100_000, shipSample: 10 };

const TARGETS = { ratio: 0.5, peakRssMb: 200, callsPer1000: 5 };

// ── Shared helpers ─────────────────────────────────────────────────────────────────────────

/** MB here are MiB (what RSS figures are usually read in). */
const MB = 1024 * 1024;
const mb = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`;
const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));
const fmt = (n: number) => n.toLocaleString('en-US');

/** Peak resident set size of this process so far (Linux: VmHWM), or null. */
function vmHwm(): number | null {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** Linux: the resident memory that is anonymous (heaps: V8's and malloc's) and file-backed (code, libraries). */
function residentKinds(): { anon: number; file: number } | null {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? NaN) * 1024;
    const anon = kb('RssAnon');
    return Number.isNaN(anon) ? null : { anon, file: kb('RssFile') };
  } catch {
    return null;
  }
}

/** Samples process.memoryUsage().rss every 100 ms; keeps the full breakdown at the peak. */
/**
 * BENCH_SMAPS=FILE (diagnosis, Linux): the resident anonymous memory at the peak by kind of mapping,
 * appended to FILE: the brk heap (glibc's main arena), 64 MB-aligned regions (its per-thread
 * arenas), and everything else (V8's pages and code, thread stacks, other mmap allocations).
 */
function anonymousBySource(): string {
  const lines = readFileSync('/proc/self/smaps', 'utf8').split('\n');
  const totals = { brkHeap: 0, threadArenas: 0, other: 0 };
  let kind: keyof typeof totals | null = null;
  for (const line of lines) {
    const header = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (header) {
      const [, from, to, path] = header;
      const start = BigInt(`0x${from}`);
      const size = BigInt(`0x${to}`) - start;
      if (path === '[heap]') kind = 'brkHeap';
      else if (path !== '') kind = null;
      else kind = start % (64n * 1024n * 1024n) === 0n && size <= 64n * 1024n * 1024n ? 'threadArenas' : 'other';
      continue;
    }
    const anon = /^Anonymous:\s+(\d+) kB/.exec(line);
    if (anon && kind) totals[kind] += Number(anon[1]) * 1024;
  }
  return `anonymous at the peak: brk heap ${mb(totals.brkHeap)}, 64 MB-aligned (thread arenas) ${mb(totals.threadArenas)}, other ${mb(totals.other)}`;
}

/** BENCH_RSS_TRACE=FILE (diagnosis): every RSS sample (ms, RSS, V8 heap total and used), with the events stored so far and the backfill's position; BENCH_SAMPLE_MS: the sampling interval (default 100). */
let traceMark = '';
function rssSampler(onSample?: (rss: number) => void) {
  const start = process.memoryUsage();
  let atPeak = start;
  let kindsAtPeak = residentKinds();
  let spacesAtPeak = heapSpaces();
  let smapsAtPeak = '';
  const timer = setInterval(() => {
    const usage = process.memoryUsage();
    if (usage.rss > atPeak.rss) {
      atPeak = usage;
      kindsAtPeak = residentKinds();
      spacesAtPeak = heapSpaces();
      if (process.env.BENCH_SMAPS) smapsAtPeak = anonymousBySource();
    }
    onSample?.(usage.rss);
    if (process.env.BENCH_RSS_TRACE) appendFileSync(process.env.BENCH_RSS_TRACE, `${Math.round(performance.now())} ${mb(usage.rss)} ${mb(usage.heapTotal)} ${mb(usage.heapUsed)} ${traceMark}\n`);
  }, Number(process.env.BENCH_SAMPLE_MS) || 100);
  return {
    stop() {
      clearInterval(timer);
      if (process.env.BENCH_SMAPS) appendFileSync(process.env.BENCH_SMAPS, `${process.pid}: peak ${mb(atPeak.rss)}; ${smapsAtPeak}\n`);
      return Math.max(atPeak.rss, process.memoryUsage.rss());
    },
    /** RSS before the work, and where the memory was at the peak sample. */
    breakdown: () => ({ startRss: start.rss, heapTotal: atPeak.heapTotal, heapUsed: atPeak.heapUsed, external: atPeak.external, arrayBuffers: atPeak.arrayBuffers, kinds: kindsAtPeak, spaces: spacesAtPeak }),
  };
}

type MemoryBreakdown = ReturnType<ReturnType<typeof rssSampler>['breakdown']>;
/** This thread's V8 heap by space (committed MB), short names: new, old, code, large objects… */
function heapSpaces(): string {
  return getHeapSpaceStatistics()
    .filter((s) => s.space_size >= MB)
    .map((s) => `${s.space_name.replace(/_space$/, '').replace('_object', '')} ${mb(s.space_size)}`)
    .join(', ');
}

const breakdownLine = (b: MemoryBreakdown) =>
  `RSS before the run ${mb(b.startRss)}; at the peak sample: V8 heap ${mb(b.heapTotal)} (${mb(b.heapUsed)} in use; by space: ${b.spaces}), external ${mb(b.external)} (array buffers ${mb(b.arrayBuffers)})` +
  (b.kinds ? `; resident anonymous ${mb(b.kinds.anon)}, file-backed ${mb(b.kinds.file)}` : '');

interface PhaseResult {
  ms: number;
  cpuMs: number;
  peakRss: number;
  vmHwm: number | null;
  [key: string]: unknown;
}

function send(message: unknown) {
  process.send!(message);
}

// ── Role: simulators ───────────────────────────────────────────────────────────────────────

async function simulators() {
  const pra = await import('../test/simulators/pra/index.ts');
  const xml = await import('../test/simulators/pra/report-xml.ts');
  const { encodeParts } = await import('../test/simulators/pra/body-sink.ts');
  const { startElasticsearchSimulator } = await import('../test/simulators/elasticsearch/index.ts');
  const clock = pra.createManualClock(T);
  const corpus = pra.generateCorpus({
    seed: 'bench',
    from: T - SIZES.days * DAY,
    to: T - 3600,
    sessions: SIZES.sessions,
    eventsPerSession: SIZES.eventsPerSession,
    inProgressShare: SIZES.inProgressShare,
    largeSessions: { count: SIZES.large.count, eventsPerSession: SIZES.large.events },
  });
  const events = corpus.reduce((n, s) => n + s.events.length + (s.lazyEvents?.count ?? 0), 0);
  // The main corpus is rendered once (for the parse phase) and replayed to the engine: rendering is
  // the simulator's CPU, and on a 2-core machine it would take a core's share from the engine it measures.
  const main = await pra.startPraSimulator({ now: clock.now, sessions: corpus, clients: [CLIENT], renderCache: true });
  // The big report: lazy sessions that all begin in the first window of a site whose initial interval is one day.
  const gbCorpus = pra.generateCorpus({
    seed: 'bench-gb',
    from: T - DAY + 600,
    to: T - DAY + 3000,
    sessions: 0,
    largeSessions: { count: SIZES.gb.sessions, eventsPerSession: SIZES.gb.events },
  });
  const gb = await pra.startPraSimulator({ now: clock.now, sessions: gbCorpus, clients: [CLIENT] });
  const es = await startElasticsearchSimulator({
    apiKeys: [{ id: ES_KEY.id, key: ES_KEY.key, privileges: { cluster: ['monitor'], indices: [{ names: ['logs-*'], privileges: ['auto_configure', 'create_doc'] }] } }],
    // No ingest pipeline: what Elasticsearch does with a document is not the engine's cost.
    integrationInstalled: false,
  });
  let watch: NodeJS.Timeout | null = null;

  process.on('message', async (raw) => {
    const msg = raw as { cmd: string; file?: string; which?: 'main' | 'gb' };
    const sim = msg.which === 'gb' ? gb : main;
    switch (msg.cmd) {
      case 'render': {
        // The whole corpus as one AccessSession report, as the simulator would serve it.
        const out = createWriteStream(msg.file!);
        let bytes = 0;
        const ctx = { now: T, namespace: pra.REPORTING_NAMESPACES.sra, siteHostname: 'access.example.com', inProgressEndTime: 'empty' as const, cache: main.renderCache };
        let buffered: (string | Buffer)[] = [];
        let size = 0;
        // The simulator's own sessions (with its defaults filled in): exactly what it serves.
        const served = corpus.map((s) => main.getSession(s.lsid)!);
        for (const piece of xml.renderAccessSessionReport(served, ctx)) {
          buffered.push(piece);
          size += piece.length;
          if (size >= 1 << 20) {
            const chunk = Buffer.concat(encodeParts(buffered));
            bytes += chunk.length;
            buffered = [];
            size = 0;
            if (!out.write(chunk)) await new Promise<void>((r) => out.once('drain', () => r()));
          }
        }
        const last = Buffer.concat(encodeParts(buffered));
        bytes += last.length;
        await new Promise<void>((resolve) => out.end(last, () => resolve()));
        return send({ type: 'rendered', bytes });
      }
      case 'requests': {
        const requests = sim.requests;
        return send({
          type: 'requests',
          total: requests.length,
          token: requests.filter((r) => r.endpoint === 'token').length,
          windows: requests.filter((r) => r.endpoint === 'reporting' && r.params.start_time !== undefined).length,
          lsids: requests.filter((r) => r.endpoint === 'reporting' && (r.params.lsids !== undefined || r.params.lsid !== undefined)).length,
          bytes: requests.reduce((n, r) => n + r.bytes, 0),
          largestReport: Math.max(0, ...requests.map((r) => r.bytes)),
        });
      }
      case 'cpu': {
        const used = process.cpuUsage();
        return send({ type: 'cpu', ms: (used.user + used.system) / 1000 });
      }
      case 'clear':
        sim.clearRequests();
        return send({ type: 'cleared' });
      case 'watch':
        // Bytes of the report being sent, every 100 ms.
        watch = setInterval(() => {
          const reports = sim.requests.filter((r) => r.endpoint === 'reporting');
          send({ type: 'bytes', t: Date.now(), bytes: reports.reduce((n, r) => n + r.bytes, 0) });
        }, 100);
        return send({ type: 'watching' });
      case 'unwatch':
        if (watch) clearInterval(watch);
        return send({ type: 'unwatched' });
      case 'es':
        return send({
          type: 'es',
          docs: es.count(),
          bulks: es.bulkRequests.length,
          bulkBytes: es.bulkRequests.reduce((n, r) => n + r.bytes, 0),
          statuses: es.bulkRequests.flatMap((r) => r.itemStatuses).reduce<Record<string, number>>((acc, s) => ((acc[s] = (acc[s] ?? 0) + 1), acc), {}),
        });
      case 'es-reset':
        es.reset();
        return send({ type: 'es-reset' });
      case 'exit':
        await Promise.all([main.close(), gb.close(), es.close()]);
        process.exit(0);
    }
  });
  send({
    type: 'ready',
    main: { host: main.host, caFile: main.caFile },
    gb: { host: gb.host, caFile: gb.caFile },
    es: { url: es.url },
    sessions: corpus.length,
    events,
    large: corpus.filter((s) => s.lazyEvents).map((s) => s.lsid),
    gbSessions: gbCorpus.length,
    gbEvents: gbCorpus.reduce((n, s) => n + (s.lazyEvents?.count ?? 0), 0),
  });
}

// ── Role: parse only ───────────────────────────────────────────────────────────────────────

async function parsePhase(file: string) {
  const { parseAccessSessionReport } = await import('../electron/engine/pra/report-parser.ts');
  // The same V8 settings as the engine's processes (the extract phase gets them from its Engine).
  (await import('../electron/engine/v8-tuning.ts')).tuneV8();
  const sampler = rssSampler();
  const cpu = process.cpuUsage();
  const started = performance.now();
  let sessions = 0;
  let events = 0;
  for await (const item of parseAccessSessionReport(createReadStream(file, { highWaterMark: 64 * 1024 }))) {
    if (item.type === 'event') events++;
    else if (item.type === 'session') sessions++;
  }
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  send({ type: 'result', ms, cpuMs: (used.user + used.system) / 1000, peakRss: sampler.stop(), vmHwm: vmHwm(), sessions, events } satisfies PhaseResult);
}

// ── Role: extraction into the store ────────────────────────────────────────────────────────

/** Bundled: the store writer's entry next to the bundle (see buildBundle); from the sources, the engine finds it. */
// BENCH_WRITER=inline (diagnosis): stores on the main thread, without the writer thread.
const writerScript = () =>
  process.env.BENCH_WRITER === 'inline' ? ('inline' as const) : import.meta.url.endsWith('.ts') ? undefined : new URL('./store-writer-worker.js', import.meta.url);

async function extractPhase(opts: { dataDir: string; host: string; caFile: string; initialIntervalSeconds: number; streamRss?: boolean }) {
  const { Engine } = await import('../electron/engine/engine.ts');
  const engine = new Engine({ dataDir: opts.dataDir, minPollSeconds: 1, storeWriterScript: writerScript() });
  try {
    await engine.addSite({ name: 'Bench', host: opts.host, clientId: CLIENT.clientId, caFile: opts.caFile, initialIntervalSeconds: opts.initialIntervalSeconds, timeoutSeconds: 120 }, CLIENT.clientSecret);
    if (process.env.BENCH_RSS_TRACE) engine.onEvent((e) => { if (e.type === 'site-status') traceMark = `${e.status.eventsStored} ${e.status.backfill?.coveredUntil ?? ''}`; });
    const sampler = rssSampler(opts.streamRss ? (rss) => send({ type: 'rss', t: Date.now(), rss }) : undefined);
    // The live JS heap: heapUsed right after each major (mark-sweep) GC, observed, not forced.
    // BENCH_HEAP_SNAPSHOT=DIR[:MB] (diagnosis): a heap snapshot the first time the live heap after a
    // major GC exceeds MB (default 50), to see what the peak holds.
    const [snapshotDir, snapshotMb] = (process.env.BENCH_HEAP_SNAPSHOT ?? '').split(':');
    let snapshotTaken = !snapshotDir;
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        if ((entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind === constants.NODE_PERFORMANCE_GC_MAJOR) {
          const heap = process.memoryUsage().heapUsed;
          if (opts.streamRss) send({ type: 'live', t: Date.now(), heap });
          if (!snapshotTaken && heap > Number(snapshotMb || 50) * MB) {
            snapshotTaken = true;
            void import('node:v8').then((v8) => v8.writeHeapSnapshot(join(snapshotDir!, `extract-${process.pid}-${Math.round(heap / MB)}MB.heapsnapshot`)));
          }
        }
      }
    });
    if (opts.streamRss || !snapshotTaken) observer.observe({ entryTypes: ['gc'] });
    const cpu = process.cpuUsage();
    const started = performance.now();
    const [outcome] = await engine.runNow();
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const peakRss = sampler.stop();
    observer.disconnect();
    if (!outcome?.ok) throw new Error(`extraction failed: ${outcome?.error}`);
    const db = engine.database.db;
    const one = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    send({
      type: 'result',
      ms,
      cpuMs: (used.user + used.system) / 1000,
      peakRss,
      memory: sampler.breakdown(),
      vmHwm: vmHwm(),
      sessions: one('SELECT count(*) AS n FROM sessions'),
      events: one('SELECT count(*) AS n FROM events'),
      followed: one('SELECT count(*) AS n FROM follow'),
      windows: outcome.result!.windows,
      largestHeader: one('SELECT coalesce(max(length(header_xml)), 0) AS n FROM sessions'),
      dbBytes: statSync(engine.database.file).size + (existsSync(`${engine.database.file}-wal`) ? statSync(`${engine.database.file}-wal`).size : 0),
    } satisfies PhaseResult);
  } finally {
    await engine.close();
  }
}

// ── Role: shipping the outbox ──────────────────────────────────────────────────────────────

async function shipPhase(opts: { dataDir: string; esUrl: string; largeLsids: string[]; limit: number; sample: number }) {
  const { Engine } = await import('../electron/engine/engine.ts');
  const engine = new Engine({ dataDir: opts.dataDir, minPollSeconds: 1, storeWriterScript: writerScript() });
  try {
    await engine.setDestination({ url: opts.esUrl, auth: 'api-key', namespace: 'default' }, `${ES_KEY.id}:${ES_KEY.key}`);
    const db = engine.database.db;
    // Held back (marked failed for the time being): the large sessions' events, whose documents each
    // carry the session's whole header (thousands of command shell recordings, see the report), and
    // the ordinary events beyond `limit` (all of them would not fit in the bench's time).
    const hold = (where: string, ...params: unknown[]) =>
      db.prepare(`UPDATE outbox SET state = 'failed', last_error = 'bench: held back' WHERE state = 'pending' AND ${where}`).run(...params).changes;
    let heldLarge = 0;
    for (const lsid of opts.largeLsids) heldLarge += hold('event_id IN (SELECT e.id FROM events e JOIN sessions s ON s.id = e.session_id WHERE s.site_id = 1 AND s.lsid = ?)', lsid);
    const cutoff = db.prepare("SELECT event_id AS id FROM outbox WHERE state = 'pending' ORDER BY event_id LIMIT 1 OFFSET ?").get(opts.limit) as { id: number } | undefined;
    const heldOrdinary = cutoff ? hold('event_id >= ?', cutoff.id) : 0;
    const pending = engine.queries.outboxCounts().pending;
    const sampler = rssSampler();
    const cpu = process.cpuUsage();
    const started = performance.now();
    const drained = await engine.shipper.drain({ maxFailures: 20 });
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    const peakRss = sampler.stop();
    const hwm = vmHwm();
    if (drained.gaveUp) throw new Error(`shipping gave up: ${drained.gaveUp}`);
    send({ type: 'drained' });

    // A few events of a large session, released once the orchestrator has counted the documents.
    await new Promise((resolve) => process.once('message', resolve));
    let sample = null;
    if (heldLarge > 0 && opts.sample > 0) {
      try {
        writeFileSync('/proc/self/clear_refs', '5'); // resets VmHWM (Linux)
      } catch {
        // not Linux
      }
      const n = db
        .prepare(`UPDATE outbox SET state = 'pending', last_error = NULL WHERE event_id IN (
          SELECT o.event_id FROM outbox o JOIN events e ON e.id = o.event_id JOIN sessions s ON s.id = e.session_id
          WHERE o.state = 'failed' AND o.last_error = 'bench: held back' AND s.site_id = 1 AND s.lsid = ? ORDER BY o.event_id LIMIT ?)`)
        .run(opts.largeLsids[0], opts.sample).changes;
      const rss0 = process.memoryUsage.rss();
      const sampleSampler = rssSampler();
      const cpu2 = process.cpuUsage();
      const t2 = performance.now();
      const r = await engine.shipper.drain({ maxFailures: 20 });
      const used2 = process.cpuUsage(cpu2);
      sample = { events: n, sent: r.sent, ms: performance.now() - t2, cpuMs: (used2.user + used2.system) / 1000, rssBefore: rss0, peakRss: sampleSampler.stop(), vmHwm: vmHwm() };
    }
    send({ type: 'result', ms, cpuMs: (used.user + used.system) / 1000, peakRss, vmHwm: hwm, pending, sent: drained.sent, failed: drained.failed, retried: drained.retried, heldLarge, heldOrdinary, sample } satisfies PhaseResult);
  } finally {
    await engine.close();
  }
}

// ── Orchestration ──────────────────────────────────────────────────────────────────────────

type Message = { type: string; [key: string]: unknown };

class Child {
  private readonly waiters: { type: string; resolve: (m: Message) => void }[] = [];
  readonly listeners = new Set<(m: Message) => void>();
  readonly exited: Promise<number | null>;

  constructor(readonly proc: ChildProcess) {
    proc.on('message', (raw) => {
      const m = raw as Message;
      for (const l of this.listeners) l(m);
      const i = this.waiters.findIndex((w) => w.type === m.type);
      if (i >= 0) this.waiters.splice(i, 1)[0]!.resolve(m);
    });
    this.exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
  }

  next<M = Message>(type: string): Promise<M> {
    return new Promise((resolve, reject) => {
      this.waiters.push({ type, resolve: resolve as (m: Message) => void });
      void this.exited.then((code) => reject(new Error(`the ${type} process exited (${code}) before answering`)));
    });
  }

  ask<M = Message>(cmd: Record<string, unknown>, answer: string): Promise<M> {
    const reply = this.next<M>(answer);
    this.proc.send(cmd);
    return reply;
  }
}

/**
 * The measured phases run the engine as it ships: the desktop app runs an electron-vite (esbuild)
 * bundle of it, not the TypeScript sources. So this script is bundled once (esbuild, packages left
 * external as electron-vite leaves them) and the parse, extract and ship phases run from the bundle on plain Node. The
 * simulators keep running from the sources under tsx. `--tsx` runs the phases under tsx as well
 * (its loader thread adds ~45 MB of RSS and some start-up CPU).
 */
const UNBUNDLED = argv.includes('--tsx');
let bundle: string | null = null;

async function buildBundle(): Promise<string> {
  const esbuild = await import('esbuild');
  // Inside node_modules, so that the external packages resolve from the project's node_modules.
  const outdir = join(ROOT, 'node_modules', '.cache', `pra-ic-bench-${process.pid}`);
  rmSync(outdir, { recursive: true, force: true });
  // The same esbuild settings as pra-ic's build (scripts/build-cli.ts).
  const { engineBundleBase, STORE_WRITER_ENTRY } = await import('./build-cli.ts');
  await esbuild.build({
    ...engineBundleBase,
    // The store writer thread's script is an entry of its own, as in the app's build.
    entryPoints: { bench: FILE, 'store-writer-worker': STORE_WRITER_ENTRY },
    outdir,
    splitting: true, // the simulators' code (dynamic imports of the sims role) stays in chunks the phases never load
    // Like electron-vite's externalizeDeps for the app: our code is bundled, packages load from node_modules.
    packages: 'external',
  });
  return join(outdir, 'bench.js');
}

function start(role: string, args: unknown = null, heapMb?: number): Child {
  // BENCH_CPU_PROF=DIR writes a CPU profile of every measured phase there (open in Chrome DevTools),
  // and with BENCH_CPU_PROF_SIMS=1 of the simulators' process too (its whole life: all phases);
  // BENCH_NODE_FLAGS adds Node/V8 flags to the measured phases (to try GC settings, for instance).
  const measured = role !== 'sims';
  const profiled = process.env.BENCH_CPU_PROF && (measured || process.env.BENCH_CPU_PROF_SIMS);
  const extra = [
    ...(profiled ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []),
    ...(measured ? (process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? []) : []),
  ];
  const fromBundle = measured && bundle !== null;
  const execArgv = [...(fromBundle ? [] : ['--import', 'tsx']), ...extra, ...(heapMb ? [`--max-old-space-size=${heapMb}`] : [])];
  const proc = fork(fromBundle ? bundle! : FILE, [`--role=${role}`, ...(QUICK ? ['--quick'] : []), `--t=${T}`, `--args=${JSON.stringify(args)}`], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Child(proc);
}

async function phase<R extends PhaseResult>(role: string, args: unknown, onMessage?: (m: Message) => void): Promise<R> {
  const child = start(role, args);
  if (onMessage) child.listeners.add(onMessage);
  const result = await child.next<R>('result');
  await child.exited;
  return result;
}

function machine() {
  let model = cpus()[0]?.model ?? 'unknown';
  try {
    model = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? model;
  } catch {
    // not Linux
  }
  return `${model}, ${cpus().length} cores, ${(totalmem() / 1024 ** 3).toFixed(1)} GB RAM, Node ${process.version}, ${process.platform} ${release()}`;
}

const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

async function main() {
  const wall = performance.now();
  const keep = argv.includes('--keep');
  const line = (s = '') => process.stdout.write(`${s}\n`);
  // The archive phase (scripts/bench-archive.ts): imported here only, so the bundle's phases never run it.
  const { benchArchive } = await import('./bench-archive.ts');
  if (ARCHIVE_ONLY) {
    // It has a work directory of its own (no empty one left behind in the temporary folder).
    await benchArchive(line);
    return;
  }
  const work = mkdtempSync(join(tmpdir(), 'pra-ic-bench-'));
  line(`PRA Integration Client benchmark (${SIZES.label}${QUICK ? '' : '; --quick for a small run'})`);
  line(`Machine: ${machine()}`);
  line(`Work directory: ${work}${keep ? ' (kept)' : ''}`);
  if (!UNBUNDLED && !SHIP_ONLY) bundle = await buildBundle();
  if (SHIP_ONLY) line('Phase 5 only (--ship-only): the measured process is `node bin/pra-ic.js run --once`, as a user starts it');
  else line(
    bundle
      ? 'Measured phases run from an esbuild bundle of the engine on plain Node, as the desktop app runs it (--tsx: from the sources under tsx)'
      : 'Measured phases run from the TypeScript sources under tsx (without --tsx they run from a bundle, as the app does)',
  );
  line();

  if (SHIP_ONLY) {
    try {
      await shippingBench(line, { t: T });
    } catch (error) {
      process.exitCode = 1;
      process.stderr.write(`bench: ${(error as Error).stack ?? error}\n`);
    }
    rmSync(work, { recursive: true, force: true });
    line();
    line(`Total ${((performance.now() - wall) / 1000 / 60).toFixed(1)} min.`);
    return;
  }
  const sims = start('sims', null, 16_384);
  const ready = await sims.next<Message & { main: { host: string; caFile: string }; gb: { host: string; caFile: string }; es: { url: string }; sessions: number; events: number; large: string[]; gbSessions: number; gbEvents: number }>('ready');
  line(`Corpus: ${fmt(ready.sessions)} sessions (${fmt(SIZES.sessions)} ordinary of ${SIZES.eventsPerSession.join('–')} + opening/closing events, ${SIZES.large.count} large of ${fmt(SIZES.large.events)}), ${fmt(ready.events)} events over ${SIZES.days} days; ${Math.round(SIZES.inProgressShare * 100)} % in progress.`);
  let failed = false;
  try {
    // 1. Parse only.
    const reportFile = join(work, 'report.xml');
    const rendered = await sims.ask<{ bytes: number }>({ cmd: 'render', file: reportFile }, 'rendered');
    const parse = await phase<PhaseResult & { events: number; sessions: number }>('parse', { file: reportFile });
    line();
    line('1. Parse only (the same XML, rendered once to a file and streamed through parseAccessSessionReport; no network, no database)');
    line(`   ${fmt(parse.events)} events of ${fmt(parse.sessions)} sessions, ${mb(rendered.bytes)} in ${(parse.ms / 1000).toFixed(1)} s: ${fmt(rate(parse.events, parse.ms))} events/s, ${(rendered.bytes / MB / (parse.ms / 1000)).toFixed(1)} MB/s (${fmt(rate(parse.events, parse.cpuMs))} events per CPU second); peak RSS ${mb(parse.peakRss)} (VmHWM ${parse.vmHwm ? mb(parse.vmHwm) : 'n/a'})`);

    // 2. End to end into the store.
    await sims.ask({ cmd: 'clear', which: 'main' }, 'cleared');
    const simCpu0 = await sims.ask<{ ms: number }>({ cmd: 'cpu' }, 'cpu');
    const dataDir = join(work, 'store');
    const extract = await phase<PhaseResult & { sessions: number; events: number; followed: number; windows: number; largestHeader: number; dbBytes: number; memory: MemoryBreakdown }>('extract', {
      dataDir,
      host: ready.main.host,
      caFile: ready.main.caFile,
      initialIntervalSeconds: (SIZES.days + 1) * DAY,
    });
    const simCpu1 = await sims.ask<{ ms: number }>({ cmd: 'cpu' }, 'cpu');
    const requests = await sims.ask<{ total: number; token: number; windows: number; lsids: number; bytes: number; largestReport: number }>({ cmd: 'requests', which: 'main' }, 'requests');
    // Parse-only once more, right after: the ratio's reference is both runs together (their events
    // over their time), before and after the end-to-end run, so that this shared machine getting
    // faster or slower between two phases (parse-only has varied by a third within minutes here)
    // does not decide the ratio.
    const parseAgain = await phase<PhaseResult & { events: number; sessions: number }>('parse', { file: reportFile });
    rmSync(reportFile, { force: true });
    const parseRate = rate(parse.events + parseAgain.events, parse.ms + parseAgain.ms);
    const parseCpuRate = rate(parse.events + parseAgain.events, parse.cpuMs + parseAgain.cpuMs);
    const [parseRateBefore, parseRateAfter] = [rate(parse.events, parse.ms), rate(parseAgain.events, parseAgain.ms)];
    const extractRate = rate(extract.events, extract.ms);
    const ratio = extractRate / parseRate;
    const peak = Math.max(extract.peakRss, extract.vmHwm ?? 0);
    const per1000 = (requests.total / extract.sessions) * 1000;
    line();
    line('2. End to end into the store (engine.runNow against the PRA simulator over TLS, real keychain, SQLite with synchronous=FULL)');
    line(`   ${fmt(extract.events)} events of ${fmt(extract.sessions)} sessions in ${(extract.ms / 1000).toFixed(1)} s: ${fmt(extractRate)} events/s; engine CPU ${(extract.cpuMs / 1000).toFixed(1)} s (${fmt(rate(extract.events, extract.cpuMs))} events per CPU second), simulator CPU ${((simCpu1.ms - simCpu0.ms) / 1000).toFixed(1)} s; ${extract.followed} in progress followed`);
    line(`   API calls: ${requests.total} (${requests.token} token, ${requests.windows} windows incl. the "no data" probe, ${requests.lsids} by lsid), ${mb(requests.bytes)}; largest report ${mb(requests.largestReport)}; store ${mb(extract.dbBytes)}, largest session header ${mb(extract.largestHeader)}`);
    line(`   parse-only again right after: ${(parseAgain.ms / 1000).toFixed(1)} s, ${fmt(parseRateAfter)} events/s; both runs together: ${fmt(parseRate)} events/s (${fmt(parseCpuRate)} per CPU second)`);
    line(`   ratio to parse-only (both runs) ${ratio.toFixed(2)} (target ≥ ${TARGETS.ratio}) ${verdict(ratio >= TARGETS.ratio)}; to the run before ${(extractRate / parseRateBefore).toFixed(2)}, after ${(extractRate / parseRateAfter).toFixed(2)}; per CPU second ${(rate(extract.events, extract.cpuMs) / parseCpuRate).toFixed(2)}`);
    line(`   peak RSS ${mb(extract.peakRss)} sampled, VmHWM ${extract.vmHwm ? mb(extract.vmHwm) : 'n/a'} (target ≤ ${TARGETS.peakRssMb} MB) ${verdict(peak <= TARGETS.peakRssMb * MB)}`);
    line(`     ${breakdownLine(extract.memory)}`);
    line(`   ${per1000.toFixed(2)} API calls per 1,000 sessions (target ≤ ${TARGETS.callsPer1000}) ${verdict(per1000 <= TARGETS.callsPer1000)}`);
    if (EXTRACT_ONLY) return;

    // 3. Shipping.
    const shipChild = start('ship', { dataDir, esUrl: ready.es.url, largeLsids: ready.large, limit: SIZES.shipEvents, sample: SIZES.shipSample });
    await shipChild.next('drained');
    const es = await sims.ask<{ docs: number; bulks: number; bulkBytes: number }>({ cmd: 'es' }, 'es');
    shipChild.proc.send({ cmd: 'sample' });
    type Sample = { events: number; sent: number; ms: number; cpuMs: number; rssBefore: number; peakRss: number; vmHwm: number | null };
    const ship = await shipChild.next<PhaseResult & { pending: number; sent: number; failed: number; retried: number; heldLarge: number; heldOrdinary: number; sample: Sample | null }>('result');
    await shipChild.exited;
    const esAfter = await sims.ask<{ docs: number; bulks: number; bulkBytes: number }>({ cmd: 'es' }, 'es');
    const shipRate = rate(ship.sent, ship.ms);
    const shipPeak = Math.max(ship.peakRss, ship.vmHwm ?? 0);
    line();
    line(`3. Shipping (engine.shipper.drain into the Elasticsearch simulator, no ingest pipeline; the first ${fmt(ship.pending)} events of the outbox, the rest held back)`);
    line(`   ${fmt(ship.sent)} events in ${(ship.ms / 1000).toFixed(1)} s: ${fmt(shipRate)} events/s; engine CPU ${(ship.cpuMs / 1000).toFixed(1)} s = ${(ship.cpuMs / (ship.sent / 1000)).toFixed(0)} ms per 1,000 events (${fmt(rate(ship.sent, ship.cpuMs))} events/s if Elasticsearch answered instantly)`);
    line(`   ${es.bulks} _bulk requests, ${mb(es.bulkBytes)} (${fmt(Math.round(es.bulkBytes / Math.max(1, es.docs)))} bytes per document), ${fmt(es.docs)} documents indexed`);
    line(`   ratio to parse-only ${(shipRate / parseRate).toFixed(3)} (target ≥ ${TARGETS.ratio}) ${verdict(shipRate / parseRate >= TARGETS.ratio)}; engine-bound (CPU) ${(rate(ship.sent, ship.cpuMs) / parseCpuRate).toFixed(3)}`);
    line(`   peak RSS ${mb(ship.peakRss)} sampled, VmHWM ${ship.vmHwm ? mb(ship.vmHwm) : 'n/a'} (target ≤ ${TARGETS.peakRssMb} MB) ${verdict(shipPeak <= TARGETS.peakRssMb * MB)}`);
    const s = ship.sample;
    if (s) {
      const docs = esAfter.docs - es.docs;
      const perDoc = (esAfter.bulkBytes - es.bulkBytes) / Math.max(1, docs);
      line(`   held back: ${fmt(ship.heldOrdinary)} ordinary events and the ${fmt(ship.heldLarge)} events of the ${ready.large.length} large session(s). ${s.events} events of a large session, shipped apart:`);
      line(`     ${s.sent} sent in ${(s.ms / 1000).toFixed(1)} s (${(s.sent / (s.ms / 1000)).toFixed(1)} events/s) in ${esAfter.bulks - es.bulks} _bulk requests, ${fmt(Math.round(perDoc))} bytes per document, engine CPU ${(s.cpuMs / Math.max(1, s.sent)).toFixed(0)} ms per event; RSS ${mb(s.rssBefore)} → peak ${mb(s.peakRss)} sampled, VmHWM ${s.vmHwm ? mb(s.vmHwm) : 'n/a'}`);
      line(`     → the ${fmt(ship.heldLarge)} large-session events would be ~${((perDoc * ship.heldLarge) / 1024 ** 3).toFixed(0)} GB of _bulk bodies`);
    }

    // 4. One report of ≥ 1 GB.
    await sims.ask({ cmd: 'clear', which: 'gb' }, 'cleared');
    const bytesSamples: { t: number; bytes: number }[] = [];
    const rssSamples: { t: number; rss: number }[] = [];
    const liveSamples: { t: number; heap: number }[] = [];
    const onBytes = (m: Message) => m.type === 'bytes' && bytesSamples.push({ t: m.t as number, bytes: m.bytes as number });
    sims.listeners.add(onBytes);
    await sims.ask({ cmd: 'watch', which: 'gb' }, 'watching');
    const gb = await phase<PhaseResult & { sessions: number; events: number; largestHeader: number; dbBytes: number; memory: MemoryBreakdown }>(
      'extract',
      { dataDir: join(work, 'gb-store'), host: ready.gb.host, caFile: ready.gb.caFile, initialIntervalSeconds: DAY, streamRss: true },
      (m) => {
        if (m.type === 'rss') rssSamples.push({ t: m.t as number, rss: m.rss as number });
        if (m.type === 'live') liveSamples.push({ t: m.t as number, heap: m.heap as number });
      },
    );
    await sims.ask({ cmd: 'unwatch' }, 'unwatched');
    sims.listeners.delete(onBytes);
    const gbRequests = await sims.ask<{ total: number; bytes: number; largestReport: number; windows: number }>({ cmd: 'requests', which: 'gb' }, 'requests');
    line();
    line(`4. One AccessSession report of ${(gbRequests.largestReport / 1e9).toFixed(2)} GB = ${mb(gbRequests.largestReport)} (${ready.gbSessions} lazy sessions × ${fmt(SIZES.gb.events)} events in one window) into a fresh store`);
    line(`   ${fmt(gb.events)} events in ${(gb.ms / 1000).toFixed(1)} s: ${fmt(rate(gb.events, gb.ms))} events/s, ${(gbRequests.bytes / MB / (gb.ms / 1000)).toFixed(1)} MB/s; ${gbRequests.total} API calls; largest session header ${mb(gb.largestHeader)}`);
    const total = bytesSamples.at(-1)?.bytes ?? gbRequests.bytes;
    const marks: string[] = [];
    const liveMarks: string[] = [];
    for (let p = 10; p <= 100; p += 10) {
      const at = bytesSamples.find((s) => s.bytes >= (total * p) / 100);
      if (!at) continue;
      const near = rssSamples.reduce<{ t: number; rss: number } | null>((best, s) => (!best || Math.abs(s.t - at.t) < Math.abs(best.t - at.t) ? s : best), null);
      marks.push(`${p} %: ${near ? mb(near.rss) : '?'}`);
      const live = liveSamples.filter((s) => s.t <= at.t).at(-1);
      liveMarks.push(`${p} %: ${live ? mb(live.heap) : '-'}`);
    }
    line(`   RSS at share of the bytes sent: ${marks.join(', ')}`);
    line(`   live JS heap (after the last major GC) at the same points: ${liveMarks.join(', ')} (${liveSamples.length} major GCs)`);
    const gbPeak = Math.max(gb.peakRss, gb.vmHwm ?? 0);
    line(`   peak RSS ${mb(gb.peakRss)} sampled, VmHWM ${gb.vmHwm ? mb(gb.vmHwm) : 'n/a'} (target ≤ ${TARGETS.peakRssMb} MB) ${verdict(gbPeak <= TARGETS.peakRssMb * MB)}`);
    line(`     ${breakdownLine(gb.memory)}`);

    // 5. End to end into Elasticsearch (its own simulators and processes).
    line();
    await shippingBench(line, { t: T });
  } catch (error) {
    failed = true;
    process.stderr.write(`bench: ${(error as Error).stack ?? error}\n`);
  } finally {
    sims.proc.send({ cmd: 'exit' });
    await sims.exited;
    if (!keep) rmSync(work, { recursive: true, force: true });
    if (bundle) rmSync(join(bundle, '..'), { recursive: true, force: true });
  }
  if (!EXTRACT_ONLY) {
    line();
    await benchArchive(line).catch((error: unknown) => {
      failed = true;
      process.stderr.write(`bench: ${(error as Error).stack ?? error}\n`);
    });
  }
  line();
  line(`Total ${((performance.now() - wall) / 1000 / 60).toFixed(1)} min.`);
  process.exitCode = failed ? 1 : 0;
}

// ── Entry ──────────────────────────────────────────────────────────────────────────────────

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each role reads its own arguments
const args = JSON.parse(argv.find((a) => a.startsWith('--args='))?.slice('--args='.length) ?? 'null') as any;
if (ROLE === 'main' && process.platform === 'linux' && !process.env.DBUS_SESSION_BUS_ADDRESS && !process.env.PRA_IC_KEYRING_RELAUNCHED) {
  // No D-Bus session bus: no Secret Service for the keychain. Run inside a private one.
  const run = spawnSync(join(ROOT, 'scripts/with-keyring.sh'), [process.execPath, '--import', 'tsx', FILE, ...argv], {
    stdio: 'inherit',
    env: { ...process.env, PRA_IC_KEYRING_RELAUNCHED: '1' },
  });
  process.exitCode = run.status ?? 1;
} else if (ROLE === 'main') await main();
else if (ROLE === 'sims') await simulators();
else if (ROLE === 'parse') await parsePhase(args.file);
else if (ROLE === 'extract') await extractPhase(args);
else if (ROLE === 'ship') await shipPhase(args);
else throw new Error(`unknown role ${ROLE}`);
