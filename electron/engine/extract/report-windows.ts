/**
 * How big the next time window is. Each AccessSession request asks for the sessions that *began*
 * in one window; its size adapts so that every response stays bounded (a few tens of thousands of
 * events) while a backfill needs few requests: an empty window makes the next one four times
 * wider, a crowded one makes it proportionally narrower, and a window whose response failed
 * (too slow, cut off) is split in half and asked again.
 */
export const WINDOW_LIMITS = {
  /** Never narrower: a minute of sessions is always a small answer. */
  minSeconds: 60,
  /** Never wider: a week, so a long quiet stretch is crossed in a few requests. */
  maxSeconds: 7 * 86_400,
  /** The first window of a new site. */
  initialSeconds: 3_600,
  /** Aim for responses of about this many events … */
  targetEvents: 25_000,
  /** … and at most this many sessions. */
  targetSessions: 2_000,
};

/** The size of the window after one that held `sessions` sessions and `events` events. */
export function nextWindowSeconds(current: number, sessions: number, events: number, limits = WINDOW_LIMITS): number {
  const fill = Math.max(events / limits.targetEvents, sessions / limits.targetSessions);
  let next = current;
  if (fill === 0) next = current * 4;
  else if (fill > 1 || fill < 0.5) next = current * Math.min(4, Math.max(0.25, 0.75 / fill));
  return clampWindow(Math.round(next), limits);
}

/** Half the window that failed, rounded, never below the minimum. */
export function splitWindowSeconds(failed: number, limits = WINDOW_LIMITS): number {
  return clampWindow(Math.floor(failed / 2), limits);
}

export function clampWindow(seconds: number, limits = WINDOW_LIMITS): number {
  return Math.min(limits.maxSeconds, Math.max(limits.minSeconds, seconds));
}
