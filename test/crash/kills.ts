// Where the crash tests SIGKILL the child, and what each kill left behind.
//
// Kill placements (each iteration picks one; the numbers are drawn from a seeded PRNG, so a failing
// run can be replayed with CRASH_SEED=…):
//   delay        a random time after spawn (startup, token, early windows: anywhere);
//   after-start  a random time after the "Run started" log line (inside the extraction pass);
//   pra-bytes    when the PRA answers relayed this run reach a random share of the bytes it has to read:
//                mid-report (the child reads megabytes ahead of what it stores, so the kill may come
//                before this run stored anything: mid-window is the placement that waits for it);
//   mid-window   inside a window, deterministically: the PRA answers stop at a random point of a
//                window's report once this run stored some of it (the connection stays open), and
//                the kill follows: the cursor cannot pass the window without the rest;
//   db-events    when the store holds a random share of the events still missing (between two
//                write transactions);
//   mid-large    while a large session is stored in part (between two of its 500-event batches);
//   mid-follow   while the follow pass has unfollowed some ended sessions and not yet the others: the
//                answer to the k-th `lsids=` request is held back, k chosen so that ending sessions
//                are both in the batches before it (stored) and in it or after (not yet);
//   bulk-reply   when Elasticsearch answers the k-th _bulk request of the run (k small: each kill
//                should leave work for the next), before the child
//                reads the answer: the documents are indexed, the outbox does not know yet;
//   sent-count   when the outbox has marked a random share (2–30 %) of the events still pending as sent;
//   run-finished right after "Run finished" (extraction done, the outbox draining).
import assert from 'node:assert/strict';
import { cpSync, rmSync } from 'node:fs';
import { tempDir } from '../support/temp-dir.ts';
import { followed, pollUntil, spawnRun, storeCounts, storedEventCounts, type ChildRun, type StoreCounts, type TcpProxy } from './harness.ts';
import type { ElasticsearchSimulator } from '../simulators/elasticsearch/index.ts';
import type { PraSimulator } from '../simulators/pra/index.ts';
import { STREAM } from './harness.ts';
import { FOLLOW_LIMITS } from '../../electron/engine/extract/site-extractor.ts';

export type Strategy = 'delay' | 'after-start' | 'pra-bytes' | 'mid-window' | 'db-events' | 'mid-large' | 'mid-follow' | 'bulk-reply' | 'sent-count' | 'run-finished';

/** A seeded uniform source: [0, 1). */
export type Random = () => number;

/** An uninterrupted run's figures, to place kills inside the work. */
export interface RunProfile {
  /** Spawn → "Run started". */
  startupMs: number;
  /** "Run started" → exit. */
  workMs: number;
  /** "Run finished" → exit (the outbox drain, when shipping). */
  drainMs: number;
  /** Bytes the PRA simulator sent (through the relay). */
  praBytes: number;
  /** _bulk requests (shipping). */
  bulks: number;
  /** The run's report requests as the PRA simulator logged them: window start (null: by lsid), body bytes and sessions. */
  reports: { start: number | null; bytes: number; sessions: number }[];
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the child to completion and measures it. */
export async function profiledRun(dataDir: string, praProxy: TcpProxy, sim: PraSimulator, es?: ElasticsearchSimulator): Promise<RunProfile> {
  praProxy.resetCounters();
  praProxy.hooks = {};
  const bulksBefore = es?.bulkRequests.length ?? 0;
  const requestsBefore = sim.requests.length;
  const run = spawnRun(dataDir);
  let started = 0;
  let finished = 0;
  run.onLine((line) => {
    if (/Run started for/.test(line)) started = Date.now();
    if (/Run finished for/.test(line)) finished = Date.now();
  });
  const exit = await run.exited;
  const end = Date.now();
  return {
    startupMs: (started || end) - run.startedAt,
    workMs: end - (started || end),
    drainMs: end - (finished || end),
    praBytes: praProxy.downBytes,
    bulks: (es?.bulkRequests.length ?? 0) - bulksBefore,
    reports: sim.requests
      .slice(requestsBefore)
      .filter((r) => r.endpoint === 'reporting')
      .map((r) => ({ start: r.params.start_time === undefined ? null : Number(r.params.start_time), bytes: r.bytes, sessions: r.sessions ?? 0 })),
    exitCode: exit.code,
    stdout: run.stdout(),
    stderr: run.stderr(),
  };
}

export interface KillContext {
  dataDir: string;
  praProxy: TcpProxy;
  /** The PRA simulator behind praProxy (its request log tells which request an answer belongs to). */
  sim?: PraSimulator;
  /** The relay in front of the Elasticsearch simulator the child ships to (shipping tests). */
  esProxy?: TcpProxy;
  es?: ElasticsearchSimulator;
  random: Random;
  profile: RunProfile;
  /** Events the uninterrupted run stored by the end of this phase. */
  expectedEvents: number;
  /** Large sessions: lsid → events. */
  largeSessions: Map<string, number>;
  /** Sessions the uninterrupted run stopped following in this phase (they ended). */
  endingInPhase: Set<string>;
}

export interface KillRecord {
  phase: string;
  strategy: Strategy;
  /** What the kill waited for, in words. */
  trigger: string;
  killed: boolean;
  exitCode: number | null;
  /** Spawn → kill (or exit). */
  ms: number;
  before: StoreCounts | null;
  after: StoreCounts | null;
  // Each flag says what this run's kill cut through: it needs this run's own progress, not a state
  // an earlier kill left behind (a run killed before it stored anything would otherwise count again).
  /** This run stored sessions of a window and was killed before the window's cursor moved. */
  partialWindow: boolean;
  /** This run stored part of a large session (some of its batches, not all). */
  midSession: boolean;
  /** Some sessions that ended were unfollowed, others not yet. */
  midFollow: boolean;
  /** This run marked events sent and was killed with others still pending. */
  partialOutbox: boolean;
  /** This run had documents indexed that the outbox had not marked sent (killed during/after a _bulk, before its answer was recorded). */
  esAhead: boolean;
  /** Elasticsearch documents at the kill. */
  esDocs: number | null;
}

const between = (random: Random, lo: number, hi: number) => lo + random() * (hi - lo);

/**
 * The share of a full run's PRA bytes that a run starting at `cursor` still has to read: windows
 * are re-asked from the cursor (a window read in part is read again) and the follow requests come
 * after them. Windows are the same in every run of one corpus (their sizes follow the data).
 */
function remainingShare(profile: RunProfile, cursor: number | null | undefined): number {
  const total = profile.reports.reduce((n, r) => n + r.bytes, 0);
  if (total === 0) return 1;
  const left = reportsLeft(profile, cursor).reduce((n, r) => n + r.bytes, 0);
  return Math.max(0.02, left / total);
}

/**
 * The reports of the profiled run that a run starting at `cursor` reads again: the windows that end
 * after the cursor, and the follow requests. A window's boundaries can differ by a second between
 * runs (they count from the time of the run), so the window holding the cursor is one of them even
 * when it began a second before it.
 */
function reportsLeft(profile: RunProfile, cursor: number | null | undefined): RunProfile['reports'] {
  if (cursor === null || cursor === undefined) return profile.reports;
  const starts = profile.reports.map((r) => r.start);
  return profile.reports.filter((r, i) => {
    if (r.start === null) return true;
    // A window ends where the next begins; the last one ends at the time of the run, unknown here:
    // it is read again when it began at the cursor.
    const next = starts.slice(i + 1).find((s) => s !== null);
    return next === undefined || next === null ? r.start + 2 > cursor : next > cursor;
  });
}

/**
 * Where to stop the PRA answers for a mid-window kill: a random point of a window the run still has
 * to read, among windows large enough to be stored in several commits, counted in the relay's bytes
 * (the reports before it in request order, from the cursor on). In the window holding the cursor, an
 * earlier run may have stored sessions already (`stored`, beyond the cursor): the point is drawn past
 * them, and at most 60 % into the window's rest, so that the child (which reads a few megabytes ahead
 * of what it stores) cannot have read the window's end when this run's first commit shows. Null when
 * no window fits.
 */
function midWindowStop(profile: RunProfile, cursor: number | null | undefined, stored: number, random: Random): { at: number; start: number } | null {
  const left = reportsLeft(profile, cursor).filter((r) => r.start !== null);
  // What an earlier run stored beyond the cursor belongs to the first window with sessions.
  const first = left.find((r) => r.sessions > 0);
  const fits = left.map((r) => {
    const done = r === first ? Math.min(1, stored / r.sessions) : 0;
    return { r, done, room: (1 - done) * r.bytes };
  });
  const large = fits.filter((f) => f.room >= MID_WINDOW_MIN_BYTES);
  if (large.length === 0) return null;
  const { r: target, done } = large[Math.floor(random() * large.length)]!;
  const before = left.slice(0, left.indexOf(target)).reduce((n, r) => n + r.bytes, 0);
  return { at: Math.round(before + (done + between(random, 0.05, 0.6) * (1 - done)) * target.bytes), start: target.start! };
}

/** Window bytes left to read: several commits (25 sessions each), more than the child reads ahead. */
const MID_WINDOW_MIN_BYTES = 3_000_000;
/** A held run without progress whose store has not changed for this long is killed anyway. */
const MID_WINDOW_STILL_MS = 3_000;

/** One child run with one kill placement; returns what the kill left behind. */
export async function runAndKill(ctx: KillContext, phase: string, strategy: Strategy): Promise<KillRecord> {
  const { random, profile, praProxy } = ctx;
  const before = storeCounts(ctx.dataDir);
  // Kills are placed within what is left to do, so that they land in work, not after the run ended:
  // the PRA bytes still to read, and (shipping) the events not yet marked sent.
  const outboxShare = ctx.esProxy ? Math.max(0.02, (ctx.expectedEvents - (before?.sent ?? 0)) / Math.max(1, ctx.expectedEvents)) : 0;
  const praShare = remainingShare(profile, before?.cursor);
  const share = Math.max(praShare, outboxShare);
  const beforeLarge = largeCounts(ctx);
  const followedBefore = followed(ctx.dataDir);
  const esBefore = ctx.es ? ctx.es.count(STREAM) : null;
  const ending = new Set([...ctx.endingInPhase].filter((l) => followedBefore.has(l)));
  praProxy.resetCounters();
  praProxy.hooks = {};
  if (ctx.esProxy) {
    ctx.esProxy.resetCounters();
    ctx.esProxy.hooks = {};
  }
  const run = spawnRun(ctx.dataDir);
  let trigger = '';
  let killedAt = 0;
  const kill = () => {
    if (run.kill()) killedAt = Date.now();
  };
  const timers: NodeJS.Timeout[] = [];
  const killAfter = (ms: number) => timers.push(setTimeout(kill, ms));
  const onBytes = (threshold: number) => {
    praProxy.hooks.beforeDown = (_conn, chunk) => {
      if (praProxy.downBytes + chunk.length < threshold) return;
      kill();
      return false;
    };
  };

  let effective = strategy;
  // Placements that need something left to do fall back to a byte threshold when it is done already.
  if (strategy === 'db-events' && ctx.expectedEvents - (before?.events ?? 0) < 100) effective = 'pra-bytes';
  const stop = strategy === 'mid-window' ? midWindowStop(profile, before?.cursor, before?.beyondCursor ?? 0, random) : null;
  if (strategy === 'mid-window' && stop === null) effective = 'pra-bytes';
  if (strategy === 'mid-large' && [...ctx.largeSessions].every(([l, n]) => (beforeLarge.get(l) ?? 0) >= n)) effective = 'pra-bytes';
  const followBatch = strategy === 'mid-follow' && ctx.sim ? midFollowBatch(followedBefore, ending, random) : null;
  if (strategy === 'mid-follow' && followBatch === null) effective = 'after-start';
  if ((strategy === 'sent-count' || strategy === 'bulk-reply' || strategy === 'run-finished') && !ctx.esProxy) effective = 'after-start';

  let poll: Promise<boolean> | null = null;
  switch (effective) {
    case 'delay': {
      const ms = between(random, 0.2, 1) * (profile.startupMs + 0.8 * share * profile.workMs);
      trigger = `${Math.round(ms)} ms after spawn`;
      killAfter(ms);
      break;
    }
    case 'after-start': {
      const ms = between(random, 0, 0.8) * share * profile.workMs;
      trigger = `${Math.round(ms)} ms after "Run started"`;
      run.onLine((line) => {
        if (/Run started for/.test(line)) killAfter(ms);
      });
      break;
    }
    case 'pra-bytes': {
      const threshold = Math.round(between(random, 0.05, 0.9) * praShare * profile.praBytes);
      trigger = `PRA answers reached ${(threshold / 1e6).toFixed(2)} MB`;
      onBytes(threshold);
      break;
    }
    case 'mid-window': {
      const { at, start } = stop!;
      trigger = `PRA answers held from ${(at / 1e6).toFixed(2)} MB (the window from ${new Date(start * 1000).toISOString()}), killed with part of it stored`;
      // The answers stop at the byte point, or later when this run has not yet stored anything past
      // what an earlier run stored (a run re-reads the window from its start); the child cannot read
      // the rest of the window, so what it stored of it stays so until the kill.
      let progressed = false;
      let heldAt = 0;
      let last = -1;
      let lastChange = 0;
      praProxy.hooks.beforeDown = (_conn, chunk) => {
        if (heldAt === 0 && (praProxy.downBytes + chunk.length < at || !progressed)) return;
        heldAt ||= Date.now();
        return 'hold';
      };
      poll = pollUntil(run, 5, () => {
        const now = storeCounts(ctx.dataDir);
        progressed = !!now && now.beyondCursor > 0 && now.sessions > (before?.sessions ?? 0);
        if (heldAt === 0) return false;
        if (progressed) return true;
        // Held right after the child received the window's end: it moved on, nothing more comes.
        if ((now?.events ?? 0) !== last) [last, lastChange] = [now?.events ?? 0, Date.now()];
        return Date.now() - Math.max(heldAt, lastChange) > MID_WINDOW_STILL_MS;
      });
      break;
    }
    case 'db-events': {
      const from = before?.events ?? 0;
      const threshold = from + Math.max(1, Math.round(between(random, 0.1, 0.9) * (ctx.expectedEvents - from)));
      trigger = `store reached ${threshold} events`;
      poll = pollUntil(run, 5, () => (storeCounts(ctx.dataDir)?.events ?? 0) >= threshold);
      break;
    }
    case 'mid-large': {
      trigger = 'a large session stored in part';
      poll = pollUntil(run, 3, () => {
        const now = largeCounts(ctx);
        return [...ctx.largeSessions].some(([l, n]) => {
          const c = now.get(l) ?? 0;
          return c > (beforeLarge.get(l) ?? 0) && c < n;
        });
      });
      break;
    }
    case 'mid-follow': {
      // Deterministic whatever the load: the child sends follow request k only after it stored
      // the answers to 1 … k-1, and it never sees the answer to k.
      const { k, of } = followBatch!;
      const sim = ctx.sim!;
      const seen = sim.requests.length;
      trigger = `answer to follow request ${k} of ${of} held back (${ending.size} ending sessions)`;
      praProxy.hooks.beforeDown = () => {
        const follows = sim.requests.slice(seen).filter((r) => r.endpoint === 'reporting' && r.params.lsids !== undefined).length;
        if (follows < k) return;
        kill();
        return false;
      };
      break;
    }
    case 'bulk-reply': {
      const k = Math.max(1, Math.round(between(random, 0, 0.3) * outboxShare * ctx.profile.bulks));
      trigger = `answer of _bulk #${k} held back`;
      let seen = 0;
      ctx.esProxy!.hooks.beforeDown = (conn) => {
        if (!conn.request?.includes('_bulk')) return;
        conn.request = null; // one answer per request (the client does not pipeline)
        if (++seen < k) return;
        kill();
        return false;
      };
      break;
    }
    case 'sent-count': {
      const from = before?.sent ?? 0;
      const threshold = from + Math.max(1, Math.round(between(random, 0.02, 0.3) * (ctx.expectedEvents - from)));
      trigger = `outbox reached ${threshold} sent`;
      poll = pollUntil(run, 5, () => (storeCounts(ctx.dataDir)?.sent ?? 0) >= threshold);
      break;
    }
    case 'run-finished': {
      const ms = between(random, 0, 50);
      trigger = `${Math.round(ms)} ms after "Run finished"`;
      run.onLine((line) => {
        if (/Run finished for/.test(line)) killAfter(ms);
      });
      break;
    }
  }
  if (effective !== strategy) trigger = `(${strategy} had nothing left: ${effective}) ${trigger}`;
  if (poll) void poll.then((fired) => fired && kill());

  const exit = await run.exited;
  for (const t of timers) clearTimeout(t);
  await poll;
  praProxy.hooks = {};
  if (ctx.esProxy) ctx.esProxy.hooks = {};

  const after = storeCounts(ctx.dataDir);
  const afterLarge = largeCounts(ctx);
  const stillFollowed = followed(ctx.dataDir);
  const endingLeft = [...ending].filter((l) => stillFollowed.has(l)).length;
  const esDocs = ctx.es ? ctx.es.count(STREAM) : null;
  return {
    phase,
    strategy,
    trigger,
    killed: run.killed,
    exitCode: exit.code,
    ms: (killedAt || Date.now()) - run.startedAt,
    before,
    after,
    partialWindow: run.killed && (after?.beyondCursor ?? 0) > 0 && (after?.sessions ?? 0) > (before?.sessions ?? 0),
    midSession: run.killed && [...ctx.largeSessions].some(([l, n]) => (afterLarge.get(l) ?? 0) > (beforeLarge.get(l) ?? 0) && (afterLarge.get(l) ?? 0) < n),
    midFollow: run.killed && endingLeft > 0 && endingLeft < ending.size,
    partialOutbox: run.killed && (after?.sent ?? 0) > (before?.sent ?? 0) && (after?.pending ?? 0) > 0,
    esAhead: run.killed && esDocs !== null && esDocs > (esBefore ?? 0) && esDocs > (after?.sent ?? 0),
    esDocs,
  };
}

/**
 * Which follow request to hold back: the child asks for the followed sessions in lsid order (the
 * store's order), FOLLOW_LIMITS.batchSize per request. Returns a 1-based k such that some ending
 * sessions are in requests before k and some in k or later, or null when there is no such k.
 */
function midFollowBatch(followedNow: Set<string>, ending: Set<string>, random: Random): { k: number; of: number } | null {
  const order = [...followedNow].sort();
  const batches: boolean[] = [];
  for (let i = 0; i < order.length; i += FOLLOW_LIMITS.batchSize) batches.push(order.slice(i, i + FOLLOW_LIMITS.batchSize).some((l) => ending.has(l)));
  const candidates = batches.map((_, i) => i + 1).filter((k) => batches.slice(0, k - 1).some(Boolean) && batches.slice(k - 1).some(Boolean));
  return candidates.length === 0 ? null : { k: candidates[Math.floor(random() * candidates.length)]!, of: batches.length };
}

function largeCounts(ctx: KillContext): Map<string, number> {
  return ctx.largeSessions.size === 0 ? new Map() : storedEventCounts(ctx.dataDir, [...ctx.largeSessions.keys()]);
}

/** One line per kill, for the test's diagnostics. */
export function describeKill(r: KillRecord): string {
  const a = r.after;
  const flags = [r.partialWindow && 'partial-window', r.midSession && 'mid-session', r.midFollow && 'mid-follow', r.partialOutbox && 'partial-outbox', r.esAhead && 'es-ahead']
    .filter(Boolean)
    .join(',');
  return `${r.phase} ${r.strategy.padEnd(12)} ${r.killed ? `killed at ${r.ms} ms` : `not killed (exit ${r.exitCode})`} — ${r.trigger}; ` +
    `store: ${a?.sessions ?? 0} sessions, ${a?.events ?? 0} events, ${a?.beyondCursor ?? 0} past the cursor, ${a?.follow ?? 0} followed, ` +
    `outbox ${a?.pending ?? 0} pending/${a?.sent ?? 0} sent${r.esDocs === null ? '' : `, Elasticsearch ${r.esDocs} docs`}${flags ? ` [${flags}]` : ''}`;
}

export type { ChildRun };

/**
 * Kills runs until `wanted` of them were killed, placements taken from `strategies` in turn. A run
 * whose kill moment never came (under load a placement can land after the work is done) finished
 * the work: `onFinished` checks the result then, the data directory goes back to how this call found
 * it (and `onFinished` resets whatever else the runs changed), and the kills go on — at most three
 * times, so that placements that never fit fail the test instead of looping.
 */
export async function killRuns(
  ctx: KillContext,
  phase: string,
  strategies: readonly Strategy[],
  wanted: number,
  hooks: { onRecord(record: KillRecord): void; onFinished(killsSoFar: number): void },
): Promise<KillRecord[]> {
  const snapshot = tempDir('pra-crash-snapshot-');
  cpSync(ctx.dataDir, snapshot, { recursive: true });
  const records: KillRecord[] = [];
  let finished = 0;
  for (let i = 0, kills = 0; kills < wanted; i++) {
    const record = await runAndKill(ctx, phase, strategies[i % strategies.length]!);
    records.push(record);
    hooks.onRecord(record);
    if (record.killed) {
      kills++;
      continue;
    }
    assert.equal(record.exitCode, 0, `a run that was not killed succeeds (${phase}, ${record.strategy}): ${record.trigger}`);
    hooks.onFinished(kills);
    assert.ok(++finished <= 3, `${phase}: ${finished} runs finished before their kill moment; the placements do not fit this machine`);
    rmSync(ctx.dataDir, { recursive: true, force: true });
    cpSync(snapshot, ctx.dataDir, { recursive: true });
  }
  return records;
}
