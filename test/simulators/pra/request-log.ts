// What the simulator saw, for tests to assert on: every request with its parsed parameters, the API
// account it belonged to, the answer it got, and its arrival time (to check a client's pacing).
import { performance } from 'node:perf_hooks';
import type { FaultKind } from './faults.ts';
import { maxInWindow } from './rate-limits.ts';

export interface RequestLogEntry {
  seq: number;
  /** Wall-clock arrival time, ms since the epoch (real time, not the simulated server clock). */
  at: number;
  /** Monotonic arrival time in ms (performance.now()), for rate computations. */
  atMono: number;
  /** Server clock (simulated) at arrival, Unix seconds. */
  serverTime: number;
  method: string;
  path: string;
  endpoint: 'token' | 'reporting' | 'backup' | 'other';
  /** generate_report, for reporting requests. */
  report?: string;
  /** Query string and form body merged (body wins). Secrets are not logged: the token endpoint logs grant_type only. */
  params: Record<string, string>;
  /** The API account: from the Basic credentials (token endpoint) or the token's owner (reporting). */
  clientId?: string;
  /** 0 until the status line is sent. */
  status: number;
  /** Why the answer is what it is, when not a plain success (e.g. 'rate-limited', 'token-expired', 'no-data'). */
  outcome?: string;
  fault?: FaultKind;
  /** Body bytes written. */
  bytes: number;
  /** Reporting requests answered with a report: the sessions it holds. */
  sessions?: number;
  /** True once the response ended normally. */
  completed: boolean;
}

export class RequestLog {
  readonly entries: RequestLogEntry[] = [];
  private seq = 0;

  start(init: Pick<RequestLogEntry, 'method' | 'path' | 'endpoint' | 'serverTime'>): RequestLogEntry {
    const entry: RequestLogEntry = {
      seq: ++this.seq,
      at: Date.now(),
      atMono: performance.now(),
      params: {},
      status: 0,
      bytes: 0,
      completed: false,
      ...init,
    };
    this.entries.push(entry);
    return entry;
  }

  forClient(clientId: string): RequestLogEntry[] {
    return this.entries.filter((e) => e.clientId === clientId);
  }

  /** Most requests of that account that arrived within any `windowMs` window (default 1 s). */
  maxObservedRps(clientId: string, windowMs = 1000): number {
    return maxInWindow(this.forClient(clientId).map((e) => e.atMono), windowMs);
  }

  clear(): void {
    this.entries.length = 0;
  }
}
