import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PacedPublisher, type PacerClock } from '../../electron/engine/paced-publisher.ts';

/** A clock whose time moves only when told; timers fire as time passes them, in order. */
function manualClock() {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: PacerClock = {
    now: () => now,
    setTimeout: (fn, ms) => {
      timers.set(++seq, { at: now + ms, fn });
      return seq;
    },
    clearTimeout: (handle) => void timers.delete(handle as number),
  };
  const advanceTo = (t: number) => {
    for (;;) {
      const due = [...timers].filter(([, x]) => x.at <= t).sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (!due) break;
      timers.delete(due[0]);
      now = Math.max(now, due[1].at);
      due[1].fn();
    }
    now = Math.max(now, t);
  };
  return { clock, advanceTo, spend: (ms: number) => (now += ms), pending: () => timers.size };
}

/** Notifies every `everyMs` from 0 to `untilMs`, each publish costing `costMs`; returns when publishes began. */
function run(costMs: number, everyMs: number, untilMs: number) {
  const c = manualClock();
  const publishedAt: number[] = [];
  const pacer = new PacedPublisher(
    () => {
      publishedAt.push(c.clock.now());
      c.spend(costMs);
    },
    { clock: c.clock },
  );
  for (let t = 0; t <= untilMs; t += everyMs) {
    c.advanceTo(t);
    pacer.notify();
  }
  c.advanceTo(Number.MAX_SAFE_INTEGER);
  return { publishedAt, pending: c.pending() };
}

describe('PacedPublisher', () => {
  it('publishes the first change at once, then at most four times a second while changes keep coming', () => {
    const { publishedAt } = run(1, 10, 2_000);
    assert.equal(publishedAt[0], 0);
    const gaps = publishedAt.slice(1).map((t, i) => t - publishedAt[i]!);
    assert.ok(gaps.every((g) => g >= 250), `gaps ${gaps.join(', ')}`);
    // 2 s of changes: one at once, about one per 250 ms after it, and the trailing one.
    assert.ok(publishedAt.length >= 8 && publishedAt.length <= 10, `${publishedAt.length} publishes`);
  });

  it('spaces costly publishes so that they take at most 5 % of the time', () => {
    const cost = 80; // a count over ~1.3 M outbox rows
    const { publishedAt } = run(cost, 10, 20_000);
    const gaps = publishedAt.slice(1).map((t, i) => t - publishedAt[i]!);
    // Each gap is the publish itself plus 20 times its cost.
    assert.ok(gaps.every((g) => g >= cost + cost / 0.05), `gaps ${gaps.join(', ')}`);
    assert.ok((publishedAt.length * cost) / 20_000 <= 0.05 + cost / 20_000, `${publishedAt.length} publishes of ${cost} ms in 20 s`);
    assert.ok(publishedAt.length >= 11, `still publishing while changes come (${publishedAt.length})`);
  });

  it('always publishes after the last change (trailing), and once per burst', () => {
    const c = manualClock();
    const publishedAt: number[] = [];
    const pacer = new PacedPublisher(() => publishedAt.push(c.clock.now()), { clock: c.clock });
    pacer.notify();
    c.advanceTo(0);
    c.advanceTo(100);
    pacer.notify();
    pacer.notify();
    pacer.notify();
    c.advanceTo(1_000);
    assert.deepEqual(publishedAt, [0, 250], 'the burst at 100 ms is published once, 250 ms after the first');
    c.advanceTo(5_000);
    pacer.notify();
    c.advanceTo(5_000);
    assert.deepEqual(publishedAt, [0, 250, 5_000], 'after a quiet spell, at once');
  });

  it('cancel() drops a publish still waiting', () => {
    const c = manualClock();
    let published = 0;
    const pacer = new PacedPublisher(() => published++, { clock: c.clock });
    pacer.notify();
    c.advanceTo(0);
    pacer.notify();
    pacer.cancel();
    c.advanceTo(10_000);
    assert.equal(published, 1);
    assert.equal(c.pending(), 0);
  });

  it('a publish that throws does not stop later ones', () => {
    const c = manualClock();
    let calls = 0;
    const pacer = new PacedPublisher(
      () => {
        calls++;
        if (calls === 1) throw new Error('database closed');
      },
      { clock: c.clock },
    );
    pacer.notify();
    assert.throws(() => c.advanceTo(0), /database closed/);
    pacer.notify();
    c.advanceTo(1_000);
    assert.equal(calls, 2);
  });
});
