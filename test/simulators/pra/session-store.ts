// The appliance's session database as the tests drive it: sessions start, gain events while in
// progress, end, and disappear when retention removes them. Queries apply the documented filter
// semantics against the server's clock ("now"):
//   start_time/start_date: sessions that BEGAN in [from, to), "even those still in progress";
//   end_time/end_date:     "only closed sessions" that ENDED in [from, to);
//   duration 0:            "from the specified date or time to present";
//   lsid/lsids:            those sessions, whatever their times.
// Nothing dated after "now" exists yet: a session starting later is invisible, a session ending
// later is still in progress, and events stamped later have not happened.
import { byTime, completeSession } from './session-defaults.ts';
import type { SessionInput, SimEvent, SimSession, UnixSeconds } from './types.ts';

export type SessionFilter =
  | { kind: 'start'; from: UnixSeconds; to: UnixSeconds | null }
  | { kind: 'end'; from: UnixSeconds; to: UnixSeconds | null }
  | { kind: 'lsids'; lsids: string[] };

export class SessionStore {
  private readonly sessions = new Map<string, SimSession>();

  add(input: SessionInput): SimSession {
    const session = completeSession(input);
    this.sessions.set(session.lsid, session);
    return session;
  }

  get(lsid: string): SimSession | undefined {
    return this.sessions.get(lsid);
  }

  get size(): number {
    return this.sessions.size;
  }

  appendEvents(lsid: string, events: SimEvent[]): void {
    const session = this.require(lsid);
    session.events.push(...events);
    session.events.sort(byTime);
  }

  /** Ends a session; adds a "Session End" event at `endTime` unless one is there already. */
  end(lsid: string, endTime: UnixSeconds, opts: { addEndEvent?: boolean } = {}): void {
    const session = this.require(lsid);
    session.endTime = endTime;
    const hasEnd = session.events.some((e) => e.eventType === 'Session End');
    if ((opts.addEndEvent ?? true) && !hasEnd) this.appendEvents(lsid, [{ timestamp: endTime, eventType: 'Session End' }]);
  }

  remove(lsid: string): boolean {
    return this.sessions.delete(lsid);
  }

  clear(): void {
    this.sessions.clear();
  }

  /** Matching sessions in report order (by start time, then lsid; by end time for end filters). */
  query(filter: SessionFilter, now: UnixSeconds): SimSession[] {
    const visible = [...this.sessions.values()].filter((s) => s.startTime <= now);
    const inWindow = (t: number, from: number, to: number | null): boolean => t >= from && (to === null || t < to);
    switch (filter.kind) {
      case 'start':
        return visible.filter((s) => inWindow(s.startTime, filter.from, filter.to)).sort(byStart);
      case 'end':
        return visible
          .filter((s) => s.endTime !== null && s.endTime <= now && inWindow(s.endTime, filter.from, filter.to))
          .sort((a, b) => (a.endTime ?? 0) - (b.endTime ?? 0) || byStart(a, b));
      case 'lsids': {
        const wanted = new Set(filter.lsids);
        return visible.filter((s) => wanted.has(s.lsid)).sort(byStart);
      }
    }
  }

  private require(lsid: string): SimSession {
    const session = this.sessions.get(lsid);
    if (!session) throw new Error(`PRA simulator: no session ${lsid}`);
    return session;
  }
}

function byStart(a: SimSession, b: SimSession): number {
  return a.startTime - b.startTime || (a.lsid < b.lsid ? -1 : a.lsid > b.lsid ? 1 : 0);
}

/** The session as the server shows it at `now`: ended or not, and which events exist yet. */
export function isEndedAt(session: SimSession, now: UnixSeconds): boolean {
  return session.endTime !== null && session.endTime <= now;
}

export function* visibleEvents(session: SimSession, now: UnixSeconds): Generator<SimEvent> {
  if (session.lazyEvents) {
    for (const event of session.lazyEvents.iterate()) {
      if (event.timestamp > now) break;
      yield event;
    }
  }
  // A copy: a test may append events while a report is being streamed.
  for (const event of session.events.slice()) {
    if (event.timestamp > now) break;
    yield event;
  }
}
