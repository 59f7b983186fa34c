import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration, parseDurationOrThrow } from '../../shared/durations.ts';

const HOW = /Use a number followed by s, m, h or d, e\.g\. 24h/;

describe('parseDuration', () => {
  const cases: [string, number][] = [
    ['30s', 30],
    ['5m', 300],
    ['24h', 86_400],
    ['7d', 604_800],
    ['90d', 7_776_000],
    ['1h30m', 5_400],
    ['1d2h3m4s', 93_784],
    ['0s', 0],
    [' 5m ', 300],
    ['5M', 300],
    ['1h 30m', 5_400],
    ['90m', 5_400],
    ['3600s', 3_600],
  ];
  for (const [input, seconds] of cases) {
    it(`${JSON.stringify(input)} → ${seconds}`, () => {
      assert.deepEqual(parseDuration(input), { ok: true, seconds });
      assert.equal(parseDurationOrThrow(input), seconds);
    });
  }

  it('refuses what is not a duration, saying how to write one', () => {
    for (const input of ['', '  ', 'abc', '5x', '5 minutes', '-5m', '30m1h', '1h1h', 'h', '5w', '1e3s']) {
      const result = parseDuration(input);
      assert.equal(result.ok, false, input);
      assert.match((result as { error: string }).error, HOW, input);
    }
  });

  it('a bare number needs a unit', () => {
    const result = parseDuration('300');
    assert.equal(result.ok, false);
    assert.match((result as { error: string }).error, /“300” has no unit/);
    assert.match((result as { error: string }).error, /300s/);
  });

  it('fractions are refused with the whole-number alternative', () => {
    const result = parseDuration('1.5h');
    assert.equal(result.ok, false);
    assert.match((result as { error: string }).error, /1h30m/);
  });

  it('too large', () => {
    const result = parseDuration('99999999999999999999d');
    assert.equal(result.ok, false);
    assert.match((result as { error: string }).error, /too long/);
  });

  it('parseDurationOrThrow throws a RangeError with the message', () => {
    assert.throws(() => parseDurationOrThrow('soon'), { name: 'RangeError', message: HOW });
  });
});

describe('formatDuration', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [30, '30s'],
    [60, '1m'],
    [90, '1m30s'],
    [300, '5m'],
    [3_600, '1h'],
    [5_400, '1h30m'],
    [86_400, '1d'],
    [604_800, '7d'],
    [7_776_000, '90d'],
    [93_784, '1d2h3m4s'],
    [90_000, '1d1h'],
  ];
  for (const [seconds, text] of cases) {
    it(`${seconds} → ${text}`, () => {
      assert.equal(formatDuration(seconds), text);
      assert.deepEqual(parseDuration(text), { ok: true, seconds });
    });
  }

  it('round-trips', () => {
    for (const seconds of [1, 59, 61, 3_599, 3_601, 86_399, 86_401, 1_000_000]) {
      assert.deepEqual(parseDuration(formatDuration(seconds)), { ok: true, seconds });
    }
  });

  it('refuses negative and fractional seconds', () => {
    assert.throws(() => formatDuration(-1), RangeError);
    assert.throws(() => formatDuration(1.5), RangeError);
    assert.throws(() => formatDuration(Number.NaN), RangeError);
  });
});
