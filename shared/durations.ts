/**
 * Durations as people type them: `30s`, `5m`, `24h`, `7d`, `90d`, `1h30m` (whole numbers, units
 * from largest to smallest, each at most once). Pure: runs in the renderer too.
 */

export type DurationResult = { ok: true; seconds: number } | { ok: false; error: string };

export const SECONDS_PER = { d: 86_400, h: 3_600, m: 60, s: 1 } as const;

const HOW = 'Use a number followed by s, m, h or d, e.g. 24h';
const PATTERN = /^(?:(\d+)\s*d)?\s*(?:(\d+)\s*h)?\s*(?:(\d+)\s*m)?\s*(?:(\d+)\s*s)?$/;

function quote(text: string): string {
  return `“${text.length > 40 ? `${text.slice(0, 40)}…` : text}”`;
}

/** Parses a duration into seconds. */
export function parseDuration(input: string): DurationResult {
  if (typeof input !== 'string') return { ok: false, error: `Enter a duration. ${HOW}.` };
  const text = input.trim().toLowerCase();
  if (text === '') return { ok: false, error: `Enter a duration. ${HOW}.` };
  if (/^\d+$/.test(text)) {
    return { ok: false, error: `${quote(input.trim())} has no unit. ${HOW} (or ${text}s for seconds).` };
  }
  if (/\d[.,]\d/.test(text)) {
    return { ok: false, error: `${quote(input.trim())} is not a whole number. ${HOW}, or combine units: 1h30m rather than 1.5h.` };
  }
  const match = PATTERN.exec(text);
  if (!match || match.slice(1).every((g) => g === undefined)) {
    return {
      ok: false,
      error: `${quote(input.trim())} is not a duration. ${HOW} (units can be combined from largest to smallest: 1h30m).`,
    };
  }
  const [, d, h, m, s] = match;
  const seconds =
    Number(d ?? 0) * SECONDS_PER.d + Number(h ?? 0) * SECONDS_PER.h + Number(m ?? 0) * SECONDS_PER.m + Number(s ?? 0);
  if (!Number.isSafeInteger(seconds)) return { ok: false, error: `${quote(input.trim())} is too long a duration. ${HOW}.` };
  return { ok: true, seconds };
}

/** Like parseDuration, but throws a RangeError with the same message. */
export function parseDurationOrThrow(input: string): number {
  const result = parseDuration(input);
  if (!result.ok) throw new RangeError(result.error);
  return result.seconds;
}

/**
 * Writes whole seconds back in the form parseDuration reads: the largest units first, zero parts
 * left out (`86400` → `1d`, `5400` → `1h30m`, `90` → `1m30s`, `0` → `0s`).
 */
export function formatDuration(seconds: number): string {
  if (!Number.isSafeInteger(seconds) || seconds < 0) {
    throw new RangeError(`A duration must be a whole, non-negative number of seconds (got ${seconds}).`);
  }
  if (seconds === 0) return '0s';
  let rest = seconds;
  let out = '';
  for (const unit of ['d', 'h', 'm', 's'] as const) {
    const size = SECONDS_PER[unit];
    const count = Math.floor(rest / size);
    if (count > 0) {
      out += `${count}${unit}`;
      rest -= count * size;
    }
  }
  return out;
}
