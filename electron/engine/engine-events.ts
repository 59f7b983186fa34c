/**
 * The engine's events (shared/status.ts's EngineEvent) and their pacing: who listens to what, and
 * how often the costly ones are computed. The outbox's and the archive's counts and a site's
 * counters are queries over all their rows, so they are published paced (PacedPublisher) and only
 * when somebody listens to them.
 */
import { EventEmitter } from 'node:events';
import type { ArchiveStatus } from '../../shared/archive.ts';
import type { EngineEvent, OutboxCounts, SiteStatus } from '../../shared/status.ts';
import { PacedPublisher } from './paced-publisher.ts';

/** The emitter's name for listeners of every event (the others listen by the event's type). */
const ANY_EVENT = Symbol('every engine event');

export interface EngineEventSources {
  /** False once the database is closed: a paced publish that comes later computes nothing. */
  isOpen(): boolean;
  archiveStatus(): ArchiveStatus;
  outboxCounts(): OutboxCounts;
  siteStatus(siteId: number): SiteStatus | null;
}

export class EngineEvents {
  private readonly emitter = new EventEmitter();

  constructor(private readonly sources: EngineEventSources) {}

  /**
   * Every event, or only those of `types`: what nobody listens to is not computed (the outbox's and
   * the archive's counts are queries over all their rows; `pra-ic run` prints only sites' status).
   */
  on(listener: (event: EngineEvent) => void, types?: readonly EngineEvent['type'][]): () => void {
    const names = types ?? [ANY_EVENT];
    for (const name of names) this.emitter.on(name, listener);
    return () => {
      for (const name of names) this.emitter.off(name, listener);
    };
  }

  emit(event: EngineEvent) {
    this.emitter.emit(ANY_EVENT, event);
    this.emitter.emit(event.type, event);
  }

  /** Whether anyone listens to events of this type. */
  private wants(type: EngineEvent['type']): boolean {
    return this.emitter.listenerCount(ANY_EVENT) + this.emitter.listenerCount(type) !== 0;
  }

  // The archive's status (counts are queries): paced like the outbox, during a backfill of recordings too.
  private readonly archivePacer = new PacedPublisher(() => {
    if (this.sources.isOpen()) this.emit({ type: 'archive', status: this.sources.archiveStatus() });
  });
  publishArchive() {
    if (this.wants('archive')) this.archivePacer.notify();
  }

  // Counting the outbox is a query over all its rows: paced (at most four times a second, and at
  // most 5 % of the time however large the outbox grows), with a trailing publish so that the final
  // counts arrive.
  private readonly outboxPacer = new PacedPublisher(() => {
    if (this.sources.isOpen()) this.emit({ type: 'outbox', counts: this.sources.outboxCounts() });
  });
  publishOutbox() {
    if (this.wants('outbox')) this.outboxPacer.notify();
  }

  // A site's status during a run, after each stretch of progress: paced like the outbox (its
  // counters read an index entry per session of the site). Starts, ends and edits are published at once.
  private readonly progressPacers = new Map<number, PacedPublisher>();
  publishProgress(siteId: number) {
    if (!this.wants('site-status')) return;
    let pacer = this.progressPacers.get(siteId);
    if (!pacer) {
      pacer = new PacedPublisher(() => {
        if (this.sources.isOpen()) this.publishSite(siteId);
      });
      this.progressPacers.set(siteId, pacer);
    }
    pacer.notify();
  }

  publishSite(siteId: number) {
    if (!this.wants('site-status')) return;
    const status = this.sources.siteStatus(siteId);
    if (status) this.emit({ type: 'site-status', status });
  }

  /** The site is gone: a paced publish of its status must not come after its removal. */
  forgetSite(siteId: number) {
    this.progressPacers.get(siteId)?.cancel();
    this.progressPacers.delete(siteId);
  }

  /** No publish after this (the engine closes after its last run and batch: nothing notifies any more). */
  cancel() {
    this.archivePacer.cancel();
    this.outboxPacer.cancel();
    for (const pacer of this.progressPacers.values()) pacer.cancel();
  }
}
