// Fault injection: what networks, proxies and a struggling appliance do to a client. Faults wait in
// a FIFO queue; each request to the fault's endpoint (reporting by default) takes one from the first
// matching entry, until its `count` is used up. A fault is taken after the rate limiter let the
// request through and before authentication, so a queued fault hits the very next request to that
// endpoint whatever its token (as a proxy or load balancer in front of the appliance would).
export type FaultSpec =
  /** An HTTP error status instead of the answer (short text/html body, like a proxy's). */
  | { kind: 'status'; status: 500 | 502 | 503 | 504; retryAfterSeconds?: number }
  /** 429 with Retry-After, independent of the real rate limiter. */
  | { kind: '429'; retryAfterSeconds: number }
  /** Waits before sending headers, then answers normally. */
  | { kind: 'slow'; delayMs: number }
  /**
   * Waits until `until` settles, then answers normally: a test holds a run part-way for as long as
   * it needs to look at it, whatever the machine's speed (in-process simulators only).
   */
  | { kind: 'held'; until: Promise<unknown> }
  /** Sends `afterBytes` of the (real) body, then nothing more, connection left open. */
  | { kind: 'stall-body'; afterBytes: number }
  /** Sends `afterBytes` of the (real) body, then destroys the socket. */
  | { kind: 'truncate'; afterBytes: number }
  /**
   * Sends `afterBytes` of the (real) body at full speed, then the rest `bytesPerTick` (default 1)
   * every `intervalMs`: a body that never stalls long enough for an idle timeout, yet never ends
   * in practice (a struggling appliance, a throttling proxy, a hostile peer). Also for the token.
   */
  | { kind: 'trickle'; afterBytes: number; intervalMs: number; bytesPerTick?: number }
  /** 200 text/html: a login page, as when a proxy or SSO portal intercepts the API. */
  | { kind: 'html' }
  /** 200 with an <error> as the root element (PRA 25.x) or inside the list element. */
  | { kind: 'error-root' | 'error-in-list'; text: string }
  /** 200 labelled text/xml whose body is not XML at all. */
  | { kind: 'not-xml' }
  /** 200 with no body at all (a backup that came out empty). */
  | { kind: 'empty' };

export type Fault = FaultSpec & {
  /** How many requests it hits (default 1). */
  count?: number;
  /** Which endpoint consumes it (default 'reporting'). */
  endpoint?: FaultEndpoint;
};

export type FaultKind = FaultSpec['kind'];
export type FaultEndpoint = 'reporting' | 'token' | 'backup';

export class FaultQueue {
  private queue: Array<{ fault: Fault; left: number }> = [];

  push(faults: Fault[]): void {
    for (const fault of faults) {
      const left = fault.count ?? 1;
      if (left > 0) this.queue.push({ fault, left });
    }
  }

  /** Takes one use of the first fault for `endpoint`, if any. */
  take(endpoint: FaultEndpoint): FaultSpec | undefined {
    const i = this.queue.findIndex((q) => (q.fault.endpoint ?? 'reporting') === endpoint);
    if (i < 0) return undefined;
    const entry = this.queue[i]!;
    entry.left -= 1;
    if (entry.left <= 0) this.queue.splice(i, 1);
    return entry.fault;
  }

  pending(): Array<Fault & { remaining: number }> {
    return this.queue.map((q) => ({ ...q.fault, remaining: q.left }));
  }

  clear(): void {
    this.queue = [];
  }
}

/** The page a web login portal answers with: HTML where the client expects XML or JSON. */
export const LOGIN_PAGE_HTML = `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>Privileged Remote Access Login</title></head>
<body>
<form method="post" action="/login">
<label for="user">Username</label><input id="user" name="username" type="text">
<label for="pass">Password</label><input id="pass" name="password" type="password">
<button type="submit">Log In</button>
</form>
</body>
</html>
`;

/** Not XML, although labelled text/xml: what a crashing backend or a misrouted request may send. */
export const NOT_XML_BODY = 'Internal Server Error: report generation failed (code 0x80004005)\n';

export function statusPage(status: number): string {
  const reason: Record<number, string> = { 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout' };
  const text = `${status} ${reason[status] ?? 'Error'}`;
  return `<html><head><title>${text}</title></head><body><h1>${text}</h1></body></html>\n`;
}
