import { hostname } from 'node:os';
import type Database from 'better-sqlite3';
import type { Client } from '@elastic/elasticsearch';
import type { DestinationSettings } from '../../../shared/destination.ts';
import type { Logger } from '../log/logger.ts';
import { sleep } from '../pra/rate-limiter.ts';
import type { SessionEvent } from '../pra/report-types.ts';
import { parseElementXml } from '../pra/xml-element.ts';
import { storedXml } from '../store/session-store.ts';
import { VERSION } from '../version.ts';
import { documentId } from './document-id.ts';
import { buildDocument, dataStreamName } from './document.ts';
import type { MessageSession } from './message.ts';
import type { DestinationStore } from './destination-settings.ts';
import { createElasticClient, describeElasticError, errorReason } from './elastic-connection.ts';

export const SHIP_LIMITS = {
  /** Documents per `_bulk` request … */
  maxDocs: 500,
  /** … and bytes (Elastic recommends bulk requests of a few MB; the default http.max_content_length is 100 MB). */
  maxBytes: 5 * 1024 * 1024,
  /** Backoff after a failed request or throttled items. */
  minBackoffMs: 1000,
  maxBackoffMs: 60_000,
};

export interface ShipOutcome {
  sent: number;
  failed: number;
  retried: number;
}

interface OutboxRow {
  event_id: number;
  site_id: number;
  lsid: string;
  ordinal: number;
  timestamp: number | null;
  xml: string;
  host_name: string;
  start_time: number | null;
}

/**
 * Drains the outbox into Elasticsearch. Events leave in the order they were stored; an event is
 * marked sent only after Elasticsearch acknowledged it (`created`, or `409` = a document with its
 * deterministic `_id` already exists: delivered before). Throttled and server-side failures are
 * retried with backoff; rejections (mapping, pipeline: a 400 on the item) are marked failed with
 * their reason, shown in status and retryable by the user. Nothing is dropped silently.
 */
export class Shipper {
  private client: Client | null = null;
  private clientKey = '';
  private backoffMs = 0;
  private wakeUp: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private abort = new AbortController();
  private readonly selectBatch;
  private readonly selectHeader;
  private readonly marks;
  lastError: string | null = null;

  constructor(
    private readonly db: Database.Database,
    private readonly destination: DestinationStore,
    private readonly logger: Logger,
    private readonly context: { installId: string; limits?: Partial<typeof SHIP_LIMITS>; onChange?: () => void },
  ) {
    // Events without their session's header: a header can be large (thousands of shell
    // recordings) and is read once per session and batch below, not once per event.
    this.selectBatch = db.prepare(`
      SELECT o.event_id, s.site_id, s.lsid, e.ordinal, e.timestamp, e.xml, s.host_name, s.start_time
      FROM outbox o
      JOIN events e ON e.id = o.event_id
      JOIN sessions s ON s.id = e.session_id
      WHERE o.destination = 'elastic' AND o.state = 'pending'
      ORDER BY o.event_id
      LIMIT ?`);
    this.selectHeader = db.prepare('SELECT header_xml FROM sessions WHERE site_id = ? AND lsid = ?').pluck();
    this.marks = {
      markSent: db.prepare(`UPDATE outbox SET state = 'sent', attempts = attempts + 1, last_error = NULL, updated_at = ? WHERE destination = 'elastic' AND event_id = ?`),
      markFailed: db.prepare(`UPDATE outbox SET state = 'failed', attempts = attempts + 1, last_error = ?, updated_at = ? WHERE destination = 'elastic' AND event_id = ?`),
      markRetry: db.prepare(`UPDATE outbox SET attempts = attempts + 1, updated_at = ? WHERE destination = 'elastic' AND event_id = ?`),
    };
  }

  private get limits() {
    return { ...SHIP_LIMITS, ...this.context.limits };
  }

  /** Whether a destination is configured (nothing ships before). */
  get configured() {
    return this.destination.get() !== null;
  }

  /** Starts shipping in the background, concurrently with extraction. */
  start() {
    if (this.loop) return;
    this.abort = new AbortController();
    this.loop = this.runLoop(this.abort.signal);
  }

  async stop() {
    this.abort.abort(new Error('stopping'));
    this.wakeUp?.();
    await this.loop;
    this.loop = null;
  }

  /** New events were stored, or settings changed: ship now instead of at the next poll. */
  notify() {
    this.wakeUp?.();
  }

  /** Settings changed: the next request uses a new client. */
  reset() {
    void this.client?.close();
    this.client = null;
    this.clientKey = '';
    this.backoffMs = 0;
    this.notify();
  }

  private async runLoop(signal: AbortSignal) {
    while (!signal.aborted) {
      let more = false;
      try {
        if (this.configured) more = await this.shipBatch(signal).then((o) => o !== null);
      } catch (error) {
        if (signal.aborted) break;
        this.noteFailure(error);
      }
      if (signal.aborted) break;
      const wait = this.backoffMs > 0 ? this.backoffMs : more ? 0 : 5000;
      if (wait > 0) await this.sleepOrWake(wait, this.backoffMs === 0);
    }
  }

  private sleepOrWake(ms: number, wakeable: boolean) {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = wakeable ? done : null;
      if (!wakeable) this.abort.signal.addEventListener('abort', done, { once: true });
    });
  }

  /**
   * Ships until the outbox holds no pending event (failed ones stay for the user), or gives up
   * after `maxFailures` consecutive failed attempts (Elasticsearch down): the events stay queued.
   */
  async drain(options: { signal?: AbortSignal; maxFailures?: number } = {}): Promise<ShipOutcome & { gaveUp: string | null }> {
    const total: ShipOutcome & { gaveUp: string | null } = { sent: 0, failed: 0, retried: 0, gaveUp: null };
    let failures = 0;
    for (;;) {
      options.signal?.throwIfAborted();
      try {
        const outcome = await this.shipBatch(options.signal);
        if (outcome === null) return total;
        total.sent += outcome.sent;
        total.failed += outcome.failed;
        total.retried += outcome.retried;
        failures = outcome.retried > 0 ? failures + 1 : 0;
      } catch (error) {
        if (options.signal?.aborted) throw error;
        failures++;
        this.noteFailure(error);
      }
      if (failures >= (options.maxFailures ?? 8)) {
        total.gaveUp = this.lastError ?? 'Elasticsearch kept refusing documents.';
        return total;
      }
      if (this.backoffMs > 0) await sleep(this.backoffMs, options.signal);
    }
  }

  private noteFailure(error: unknown) {
    const message = describeElasticError(error);
    if (message !== this.lastError) this.logger.warn('ship', `Shipping to Elasticsearch paused: ${message} Events stay queued and are sent when it works again.`);
    this.lastError = message;
    this.growBackoff();
    this.context.onChange?.();
  }

  private growBackoff() {
    const { minBackoffMs, maxBackoffMs } = this.limits;
    const next = this.backoffMs === 0 ? minBackoffMs : Math.min(maxBackoffMs, this.backoffMs * 2);
    this.backoffMs = Math.round(next / 2 + (Math.random() * next) / 2);
  }

  private async getClient(settings: DestinationSettings): Promise<Client> {
    const key = JSON.stringify(settings);
    if (!this.client || key !== this.clientKey) {
      await this.client?.close();
      this.client = await createElasticClient(settings, await this.destination.credentials());
      this.clientKey = key;
    }
    return this.client;
  }

  /** One `_bulk` request of the oldest pending events; null when there is nothing to ship. */
  async shipBatch(signal?: AbortSignal): Promise<ShipOutcome | null> {
    const settings = this.destination.get();
    if (!settings) return null;
    const limits = this.limits;
    const index = dataStreamName(settings.namespace);
    const agent = { name: hostname(), version: VERSION, installId: this.context.installId };
    const headers = new Map<string, MessageSession>();
    const operations: object[] = [];
    const batch: number[] = [];
    const unbuildable: { eventId: number; reason: string }[] = [];
    let bytes = 0;
    let any = false;
    // Rows are read one at a time and reading stops at the byte budget, so a batch of large
    // documents never loads more events than it can send.
    for (const row of this.selectBatch.iterate(limits.maxDocs) as IterableIterator<OutboxRow>) {
      any = true;
      const key = `${row.site_id}\n${row.lsid}`;
      let header = headers.get(key);
      if (!header) {
        const tree = parseElementXml(storedXml(this.selectHeader.get(row.site_id, row.lsid) as string));
        header = { lsid: tree.attrs.lsid || null, startTime: row.start_time, tree };
        headers.set(key, header);
      }
      const event = { ordinal: row.ordinal, timestamp: row.timestamp, xml: storedXml(row.xml) } as SessionEvent;
      let doc: object;
      try {
        doc = buildDocument(header, event, { namespace: settings.namespace, agent, siteHost: row.host_name, syntheticLsid: row.lsid });
      } catch (error) {
        unbuildable.push({ eventId: row.event_id, reason: `Could not build the document: ${(error as Error).message}` });
        continue;
      }
      const action = { create: { _index: index, _id: documentId({ siteHost: row.host_name, lsid: row.lsid, ordinal: row.ordinal }) } };
      const size = JSON.stringify(action).length + JSON.stringify(doc).length + 2;
      if (batch.length > 0 && bytes + size > limits.maxBytes) break;
      operations.push(action, doc);
      batch.push(row.event_id);
      bytes += size;
    }
    if (!any) return null;
    if (unbuildable.length) this.mark([], unbuildable, []);
    if (batch.length === 0) return { sent: 0, failed: unbuildable.length, retried: 0 };

    const client = await this.getClient(settings);
    const response = await client.bulk({ operations }, { signal });
    const sent: number[] = [];
    const failed: { eventId: number; reason: string }[] = [...unbuildable];
    const retry: number[] = [];
    response.items.forEach((item, i) => {
      const result = item.create ?? Object.values(item)[0];
      const eventId = batch[i]!;
      const status = result?.status ?? 0;
      if (status === 200 || status === 201 || status === 409) sent.push(eventId);
      else if (status === 429 || status >= 500) retry.push(eventId);
      else failed.push({ eventId, reason: `HTTP ${status}: ${errorReason({ error: result?.error }) ?? 'rejected'}` });
    });
    // Items Elasticsearch did not answer for (should not happen) stay pending.
    this.mark(sent, failed.slice(unbuildable.length), retry);
    if (failed.length > unbuildable.length) {
      this.logger.error('ship', `Elasticsearch rejected ${failed.length - unbuildable.length} document(s): ${failed[unbuildable.length]!.reason}. They are kept as failed; fix the cause (mapping, pipeline) and retry them.`);
    }
    if (retry.length > 0) {
      this.lastError = `Elasticsearch is busy: ${retry.length} document(s) throttled (HTTP 429/5xx), retried with backoff.`;
      this.growBackoff();
    } else {
      this.backoffMs = 0;
      this.lastError = null;
    }
    this.context.onChange?.();
    return { sent: sent.length, failed: failed.length, retried: retry.length };
  }

  /** Records Elasticsearch's answers, in one transaction. */
  private mark(sent: number[], failed: { eventId: number; reason: string }[], retry: number[]) {
    const now = Math.floor(Date.now() / 1000);
    const { markSent, markFailed, markRetry } = this.marks;
    this.db
      .transaction(() => {
        for (const id of sent) markSent.run(now, id);
        for (const f of failed) markFailed.run(f.reason, now, f.eventId);
        for (const id of retry) markRetry.run(now, id);
      })
      .immediate();
  }

  /** The user fixed the cause: failed events go back to pending. */
  retryFailed(): number {
    const result = this.db.prepare(`UPDATE outbox SET state = 'pending', last_error = NULL, updated_at = ? WHERE destination = 'elastic' AND state = 'failed'`).run(Math.floor(Date.now() / 1000));
    this.notify();
    return result.changes;
  }

  recentFailures(limit = 5): { eventId: number; reason: string }[] {
    return this.db
      .prepare(`SELECT event_id AS eventId, last_error AS reason FROM outbox WHERE destination = 'elastic' AND state = 'failed' ORDER BY updated_at DESC, event_id DESC LIMIT ?`)
      .all(limit) as { eventId: number; reason: string }[];
  }
}
