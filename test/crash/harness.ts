// Crash-test harness: the product runs as a child process (`pra-ic run --once`, the real CLI) and is
// SIGKILLed at chosen moments; the simulators run in this process. Pieces:
//   - spawnRun: the child, with its stderr read line by line (`-v` echoes the engine's log lines);
//   - TcpProxy: a byte-level relay in front of a simulator. It sees every chunk an answer carries
//     before the child does, so a hook can kill the child at a precise point of a report (TLS bytes,
//     counted) or right after Elasticsearch accepted a _bulk request but before its answer arrives;
//   - StoreProbe: reads the child's SQLite file (read-only, WAL) while it runs and after a kill;
//   - storeContent / compareStores: the store's content without row ids and timestamps of storing.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import type { ElasticsearchSimulator } from '../simulators/elasticsearch/index.ts';
import { DEFAULT_CLIENT, type PraSimulator } from '../simulators/pra/index.ts';
import { runCli } from '../support/cli.ts';

const BIN = fileURLToPath(new URL('../../bin/pra-ic.js', import.meta.url));

export const STREAM = 'logs-beyondtrust_pra.access_session-default';
export const WRITER_KEY = 'writer:writer-key';
export const WRITER = { cluster: ['monitor'], indices: [{ names: ['logs-beyondtrust_pra.access_session-*'], privileges: ['auto_configure', 'create_doc'] }] };

// ── The child ──────────────────────────────────────────────────────────────────────────────

export interface ChildRun {
  readonly child: ChildProcess;
  readonly startedAt: number;
  /** Resolves when the child has exited (killed or not). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly stdout: () => string;
  readonly stderr: () => string;
  /** Calls `listener` for every complete stderr line from now on. */
  onLine(listener: (line: string) => void): void;
  /** SIGKILL now (synchronously sent); true when the child was still running. */
  kill(): boolean;
  readonly killed: boolean;
}

/** `pra-ic --data-dir DIR -v run --once` as a child process. */
export function spawnRun(dataDir: string): ChildRun {
  const child = spawn(process.execPath, [BIN, '--data-dir', dataDir, '-v', 'run', '--once'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  let partial = '';
  let killed = false;
  let running = true;
  const listeners: ((line: string) => void)[] = [];
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
    const lines = (partial + d.toString()).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) for (const l of listeners) l(line);
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      running = false;
      resolve({ code, signal });
    });
  });
  // A child left running by a failed test would keep the test process alive.
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
  void exited.finally(() => clearTimeout(timer));
  return {
    child,
    startedAt: Date.now(),
    exited,
    stdout: () => out,
    stderr: () => err,
    onLine: (listener) => void listeners.push(listener),
    kill() {
      if (!running || killed) return false;
      killed = true;
      return child.kill('SIGKILL');
    },
    get killed() {
      return killed;
    },
  };
}

/** Adds the simulator's site (and the destination, if given) to a fresh data directory through the CLI. */
export async function configure(dataDir: string, site: { host: string; caFile: string }, es?: { url: string }): Promise<void> {
  const add = await runCli(
    ['--data-dir', dataDir, 'site', 'add', '--name', 'Sim', '--host', site.host, '--client-id', DEFAULT_CLIENT.clientId,
      '--client-secret-stdin', '--ca-file', site.caFile, '--initial-interval', '7d', '--timeout', '30s'],
    { input: DEFAULT_CLIENT.clientSecret },
  );
  assert.equal(add.code, 0, `site add: ${add.stderr}`);
  if (!es) return;
  const dest = await runCli(['--data-dir', dataDir, 'destination', 'set', '--url', es.url, '--api-key-stdin', '--namespace', 'default'], { input: WRITER_KEY });
  assert.equal(dest.code, 0, `destination set: ${dest.stderr}`);
}

// ── A byte relay in front of a simulator ───────────────────────────────────────────────────

export interface ProxyConnection {
  /** 1-based, in the order connections arrived. */
  index: number;
  /** Bytes from the client so far (requests). */
  up: number;
  /** Bytes from the simulator so far (answers). */
  down: number;
  /** Plain-text HTTP only: the request line of the request in flight, if any. */
  request: string | null;
}

export interface ProxyHooks {
  /**
   * Called with every chunk the simulator sends, before it is relayed. Return false to drop the
   * chunk and cut the connection (the hook has killed the child: it must never see this chunk).
   * Return 'hold' to drop it and keep the connection open: the child waits for an answer that does
   * not come (until the test kills it), with what it read so far.
   */
  beforeDown?(conn: ProxyConnection, chunk: Buffer): boolean | 'hold' | void;
}

export class TcpProxy {
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();
  hooks: ProxyHooks = {};
  connections = 0;
  port = 0;
  /** Answer bytes relayed since the last resetCounters(). */
  downBytes = 0;

  constructor(private readonly targetPort: number) {}

  async listen(): Promise<number> {
    this.server = createServer((client) => this.relay(client));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.port = (this.server.address() as { port: number }).port;
    return this.port;
  }

  resetCounters() {
    this.connections = 0;
    this.downBytes = 0;
  }

  private relay(client: Socket) {
    const conn: ProxyConnection = { index: ++this.connections, up: 0, down: 0, request: null };
    const upstream = connect(this.targetPort, '127.0.0.1');
    this.sockets.add(client);
    this.sockets.add(upstream);
    const cut = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', () => this.sockets.delete(client));
    upstream.on('close', () => this.sockets.delete(upstream));
    client.on('error', cut);
    upstream.on('error', cut);
    client.on('data', (chunk: Buffer) => {
      conn.up += chunk.length;
      const head = /^(GET|POST|PUT|DELETE|HEAD) (\S+)/.exec(chunk.subarray(0, 200).toString('latin1'));
      if (head) conn.request = `${head[1]} ${head[2]}`;
      if (!upstream.write(chunk)) client.pause();
    });
    upstream.on('drain', () => client.resume());
    upstream.on('data', (chunk: Buffer) => {
      const verdict = this.hooks.beforeDown?.(conn, chunk);
      if (verdict === false) return cut();
      if (verdict === 'hold') return;
      conn.down += chunk.length;
      this.downBytes += chunk.length;
      if (!client.write(chunk)) upstream.pause();
    });
    client.on('drain', () => upstream.resume());
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  }

  async close() {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

// ── Reading the child's store ──────────────────────────────────────────────────────────────

export function dbFile(dataDir: string) {
  return join(dataDir, 'settings.db');
}

/** Runs `fn` on a read-only connection to the data directory's database (null before the file exists). */
export function withStore<T>(dataDir: string, fn: (db: Database.Database) => T): T | null {
  const file = dbFile(dataDir);
  if (!existsSync(file)) return null;
  for (const readonly of [true, false]) {
    let db: Database.Database;
    try {
      db = new Database(file, { readonly, fileMustExist: true, timeout: 5000 });
    } catch {
      return null;
    }
    try {
      return fn(db);
    } catch (error) {
      const { message, code } = error as { message: string; code?: string };
      // The child may still be creating the schema.
      if (/no such table/.test(message)) return null;
      // A WAL left by a killed writer may need recovery, which a read-only connection cannot do:
      // open it for writing then, as the restarted child would.
      if (readonly && code?.startsWith('SQLITE_READONLY')) continue;
      throw error;
    } finally {
      db.close();
    }
  }
  return null;
}

export interface StoreCounts {
  sessions: number;
  events: number;
  follow: number;
  pending: number;
  sent: number;
  failed: number;
  outbox: number;
  cursor: number | null;
  /** Sessions stored that began at or after the cursor: a window read in part (its cursor not moved yet). */
  beyondCursor: number;
}

export function storeCounts(dataDir: string): StoreCounts | null {
  return withStore(dataDir, (db) => {
    const one = (sql: string) => (db.prepare(sql).get() as { n: number | null }).n;
    const cursor = one('SELECT max(cursor) AS n FROM site_state');
    return {
      sessions: one('SELECT count(*) AS n FROM sessions')!,
      events: one('SELECT count(*) AS n FROM events')!,
      follow: one('SELECT count(*) AS n FROM follow')!,
      pending: one("SELECT count(*) AS n FROM outbox WHERE state = 'pending'")!,
      sent: one("SELECT count(*) AS n FROM outbox WHERE state = 'sent'")!,
      failed: one("SELECT count(*) AS n FROM outbox WHERE state = 'failed'")!,
      outbox: one('SELECT count(*) AS n FROM outbox')!,
      cursor,
      beyondCursor: cursor === null ? 0 : one(`SELECT count(*) AS n FROM sessions WHERE start_time >= ${Number(cursor)}`)!,
    };
  });
}

/** Stored events of the given sessions (their `event_count`, bumped with every batch: cheap to poll). */
export function storedEventCounts(dataDir: string, lsids: string[]): Map<string, number> {
  const rows =
    withStore(dataDir, (db) => {
      const get = db.prepare('SELECT event_count AS n FROM sessions WHERE site_id = 1 AND lsid = ?');
      return lsids.map((lsid) => ({ lsid, n: (get.get(lsid) as { n: number } | undefined)?.n ?? 0 }));
    }) ?? [];
  return new Map(rows.map((r) => [r.lsid, r.n]));
}

export function followed(dataDir: string): Set<string> {
  const rows = withStore(dataDir, (db) => db.prepare('SELECT lsid FROM follow').all() as { lsid: string }[]) ?? [];
  return new Set(rows.map((r) => r.lsid));
}

/**
 * Everything the store knows, as comparable rows: no row ids, no stored_at/updated_at, and the
 * follow entries' sighting times (the site clock as the child read it, to the second) apart.
 */
export function storeContent(dataDir: string) {
  const content = withStore(dataDir, (db) => {
    const all = (sql: string) => db.prepare(sql).raw().all() as unknown[][];
    return {
      sessions: all(`SELECT site_id, lsid, host_name, session_type, lseq, start_time, end_time, duration, external_key, jump_group_id,
          jump_group_type, jump_group_name, jumpoint_id, jumpoint_name, primary_customer_gsnumber, primary_customer_name,
          primary_rep_gsnumber, primary_rep_id, primary_rep_name, file_transfer_count, file_move_count, file_delete_count,
          custom_attributes, header_xml, event_count
        FROM sessions ORDER BY site_id, lsid`),
      participants: all('SELECT * FROM participants ORDER BY site_id, lsid, kind, gsnumber'),
      events: all(`SELECT s.site_id, s.lsid, e.ordinal, e.timestamp, e.event_type, e.xml
        FROM events e JOIN sessions s ON s.id = e.session_id ORDER BY s.site_id, s.lsid, e.ordinal`),
      outbox: all(`SELECT s.site_id, s.lsid, e.ordinal, o.destination, o.state
        FROM outbox o JOIN events e ON e.id = o.event_id JOIN sessions s ON s.id = e.session_id ORDER BY s.site_id, s.lsid, e.ordinal, o.destination`),
      follow: all('SELECT site_id, lsid, start_time FROM follow ORDER BY site_id, lsid'),
      followSeen: all('SELECT lsid, first_seen_at, last_seen_at FROM follow ORDER BY site_id, lsid') as [string, number, number][],
      eventsWithoutOutbox: all("SELECT e.id FROM events e WHERE NOT EXISTS (SELECT 1 FROM outbox o WHERE o.event_id = e.id AND o.destination = 'elastic')").length,
      outboxRowsPerEvent: all('SELECT max(n) FROM (SELECT count(*) AS n FROM outbox GROUP BY destination, event_id)')[0]![0] as number | null,
      orphanOutbox: all('SELECT o.event_id FROM outbox o LEFT JOIN events e ON e.id = o.event_id WHERE e.id IS NULL').length,
      siteState: db.prepare('SELECT cursor, needs_attention AS needsAttention, last_error AS lastError FROM site_state').all() as { cursor: number; needsAttention: string | null; lastError: string | null }[],
    };
  });
  assert.ok(content, `no store in ${dataDir}`);
  return content;
}

export type StoreContent = ReturnType<typeof storeContent>;

/** Rows compared one by one, so a failure names the first difference instead of printing two stores. */
function compareRows(what: string, actual: unknown[][], expected: unknown[][]) {
  const a = new Set(actual.map((r) => JSON.stringify(r)));
  const e = new Set(expected.map((r) => JSON.stringify(r)));
  assert.equal(a.size, actual.length, `${what}: a row is stored twice`);
  const missing = [...e].filter((r) => !a.has(r));
  const extra = [...a].filter((r) => !e.has(r));
  assert.ok(
    missing.length === 0 && extra.length === 0,
    `${what}: ${actual.length} rows after the crashes, ${expected.length} in the uninterrupted run; ${missing.length} missing (first: ${missing[0]?.slice(0, 400)}), ${extra.length} unexpected (first: ${extra[0]?.slice(0, 400)})`,
  );
}

/** The crashed store holds exactly what the uninterrupted one holds. */
export function compareStores(actual: StoreContent, expected: StoreContent, label: string) {
  compareRows(`${label} sessions`, actual.sessions, expected.sessions);
  compareRows(`${label} participants`, actual.participants, expected.participants);
  compareRows(`${label} events`, actual.events, expected.events);
  compareRows(`${label} outbox`, actual.outbox, expected.outbox);
  compareRows(`${label} follow set`, actual.follow, expected.follow);
  assert.equal(actual.outbox.length, actual.events.length, `${label}: one outbox row per event`);
  assert.equal(actual.eventsWithoutOutbox, 0, `${label}: every event queued`);
  assert.equal(actual.orphanOutbox, 0, `${label}: no outbox row without its event`);
  assert.ok(actual.outboxRowsPerEvent === null || actual.outboxRowsPerEvent === 1, `${label}: no event queued twice`);
  // Sighting times are the site clock as each child read it (to the second): close, not equal.
  const seen = new Map(expected.followSeen.map(([lsid, first, last]) => [lsid, [first, last]]));
  for (const [lsid, first, last] of actual.followSeen) {
    const [f, l] = seen.get(lsid)!;
    assert.ok(Math.abs(first - f!) <= 60 && Math.abs(last - l!) <= 60, `${label}: follow times of ${lsid} (${first}, ${last}) vs (${f}, ${l})`);
  }
  for (const s of actual.siteState) {
    assert.equal(s.needsAttention, null, `${label}: site needs attention: ${s.needsAttention}`);
    assert.equal(s.lastError, null, `${label}: last run failed: ${s.lastError}`);
    assert.ok(Math.abs(s.cursor - expected.siteState[0]!.cursor) <= 60, `${label}: cursor ${s.cursor} vs ${expected.siteState[0]!.cursor}`);
  }
}

// ── Elasticsearch ──────────────────────────────────────────────────────────────────────────

/** _id → the event as shipped (`message`, or `event.original` once the integration's pipeline moved it). */
export function esMessages(es: ElasticsearchSimulator): { byId: Map<string, string>; docs: number } {
  const docs = es.documents(STREAM);
  const byId = new Map<string, string>();
  for (const d of docs) {
    const src = d._source as { message?: string; event?: { original?: string } };
    byId.set(d._id, String(src.event?.original ?? src.message));
  }
  return { byId, docs: docs.length };
}

// ── Waiting on a condition while the child runs ────────────────────────────────────────────

/** Polls `check` every `ms` until it returns true or the run exits; returns whether it fired. */
export async function pollUntil(run: ChildRun, ms: number, check: () => boolean): Promise<boolean> {
  let done = false;
  void run.exited.then(() => (done = true));
  while (!done) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, ms));
  }
  return false;
}

export type { PraSimulator };
