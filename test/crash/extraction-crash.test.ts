// Extraction survives SIGKILL anywhere: the real CLI (`pra-ic run --once`) runs as a child process
// against the PRA simulator (through a byte relay that lets kills land mid-report) and is killed
// again and again, then allowed to finish. Its store must then hold exactly what an uninterrupted
// run of the same corpus stored: the same sessions (header texts, end times, participants), the
// same events (ordinals, timestamps, types, XML texts), the same follow set, and one outbox row
// per event. Two phases: a backfill at T, then at T + 2 h, when in-progress sessions have gained
// events or ended and new sessions began, so the follow pass is killed too.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPrng } from '../simulators/pra/prng.ts';
import { createManualClock, generateCorpus, startPraSimulator, type PraSimulator, type SimSession } from '../simulators/pra/index.ts';
import { tempDir } from '../support/temp-dir.ts';
import { compareStores, configure, storeContent, TcpProxy } from './harness.ts';
import { describeKill, killRuns, profiledRun, type KillRecord, type Strategy } from './kills.ts';

const T = Math.floor(Date.now() / 1000 / 3600) * 3600;
const DAY = 86_400;
const SEED = process.env.CRASH_SEED ?? String(Date.now() % 1_000_000);

/**
 * Kill placements per phase, used in turn until the phase has its kills (see kills.ts). Those that
 * need a moment that passes for good (a large session stored in part, ended sessions still
 * followed) come first.
 */
// The placements measured in work left (bytes relayed, events stored) come before the ones measured
// in time: under load a timed kill can land after the backfill is over and use up the windows.
const PHASE1: Strategy[] = ['mid-large', 'mid-window', 'mid-window', 'db-events', 'pra-bytes', 'delay', 'mid-large'];
const PHASE2: Strategy[] = ['mid-follow', 'pra-bytes', 'db-events', 'after-start', 'mid-follow'];
/** Kills wanted in phase 1, and in all: phase 2 makes up the difference (at least 4). */
const KILLS = { phase1: 7, total: 12 };

describe(`extraction killed at random points ends identical to an uninterrupted run (CRASH_SEED=${SEED})`, () => {
  const clock = createManualClock(T);
  let sim: PraSimulator;
  let proxy: TcpProxy;
  let corpus: SimSession[];

  before(async () => {
    // A backfill of a few days with sessions in progress, two large sessions (stored in batches of
    // 500 events), and sessions that begin after T, for the second phase.
    corpus = [
      ...generateCorpus({ seed: 'crash-extraction', from: T - 3 * DAY, to: T - 3600, sessions: 1200, inProgressShare: 0.1, largeSessions: { count: 2, eventsPerSession: 3000 } }),
      // In progress at T, ended by T + 2 h: the follow pass of phase 2 has work.
      ...generateCorpus({ seed: 'crash-extraction-ending', from: T - 3 * 3600, to: T - 200, sessions: 300, inProgressShare: 0, eventsPerSession: [20, 60] }),
      ...generateCorpus({ seed: 'crash-extraction-later', from: T + 600, to: T + 3000, sessions: 300, inProgressShare: 0.3 }),
    ];
    sim = await startPraSimulator({ now: clock.now, sessions: corpus });
    proxy = new TcpProxy(sim.port);
    await proxy.listen();
  });
  after(async () => {
    await proxy.close();
    await sim.close();
  });

  it('after ≥ 10 SIGKILLs at different points, the store holds exactly what one uninterrupted run stored', { timeout: 240_000 }, async (t) => {
    const random = createPrng(SEED);
    const site = { host: `127.0.0.1:${proxy.port}`, caFile: sim.caFile };
    const refDir = tempDir('pra-crash-ref-');
    const crashDir = tempDir('pra-crash-');
    await configure(refDir, site);
    await configure(crashDir, site);
    const large = new Map(corpus.filter((s) => s.lazyEvents).map((s) => [s.lsid, s.lazyEvents!.count]));
    const records: KillRecord[] = [];

    const phase = async (name: string, strategies: Strategy[], wantedKills: number) => {
      const followedBefore = new Set((storeContent(refDir).follow as [number, string][]).map((r) => r[1]));
      const profile = await profiledRun(refDir, proxy, sim);
      assert.equal(profile.exitCode, 0, `uninterrupted run: ${profile.stderr}`);
      const expected = storeContent(refDir);
      const stillFollowed = new Set((expected.follow as [number, string][]).map((r) => r[1]));
      t.diagnostic(`${name}: uninterrupted run ${profile.startupMs} ms startup + ${profile.workMs} ms work, ${(profile.praBytes / 1e6).toFixed(1)} MB from PRA, ${expected.sessions.length} sessions, ${expected.events.length} events, ${expected.follow.length} followed`);
      const ctx = {
        dataDir: crashDir,
        praProxy: proxy,
        random: random.next,
        profile,
        expectedEvents: expected.events.length,
        sim,
        largeSessions: large,
        endingInPhase: new Set([...followedBefore].filter((l) => !stillFollowed.has(l))),
      };
      // A run that finishes before its kill must already have stored what the uninterrupted run did.
      records.push(
        ...(await killRuns(ctx, name, strategies, wantedKills, {
          onRecord: (record) => t.diagnostic(describeKill(record)),
          onFinished: (kills) => compareStores(storeContent(crashDir), expected, `${name}, a run that finished after ${kills} kills`),
        })),
      );
      const final = await profiledRun(crashDir, proxy, sim);
      assert.equal(final.exitCode, 0, `final run: ${final.stderr}`);
      compareStores(storeContent(crashDir), expected, name);
    };

    await phase('phase 1 (backfill at T)', PHASE1, KILLS.phase1);
    const killsSoFar = records.filter((r) => r.killed).length;
    clock.advance(2 * 3600);
    await phase('phase 2 (T + 2 h: follow, new sessions)', PHASE2, Math.max(4, KILLS.total - killsSoFar));

    const kills = records.filter((r) => r.killed);
    const count = (f: (r: KillRecord) => boolean) => kills.filter(f).length;
    t.diagnostic(`${kills.length} kills: ${count((r) => r.partialWindow)} between a window's writes and its cursor move, ${count((r) => r.midSession)} inside a large session, ${count((r) => r.midFollow)} inside the follow pass`);
    assert.ok(kills.length >= 10, `at least 10 kills (${kills.length})`);
    assert.ok(count((r) => r.partialWindow) >= 3, 'kills landed after some of a window was stored and before its cursor moved');
    assert.ok(count((r) => r.midSession) >= 1, 'a kill landed inside a large session');
    assert.ok(count((r) => r.midFollow) >= 1, 'a kill landed inside the follow pass');
  });
});
