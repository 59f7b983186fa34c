/**
 * Tells the shell when a site *enters* "needs attention" (its secret was rejected, its API account
 * lost the reporting permission, …), so it can raise one OS notification per incident instead of
 * one per status event. Pure.
 */
import type { UiEvent } from '../../shared/contract.ts';
import type { SiteStatus } from '../../shared/status.ts';

export interface AttentionNotice {
  siteId: number;
  name: string;
  /** Why the site stopped, in the engine's words. */
  reason: string;
}

export class AttentionWatcher {
  /** siteId → name of the sites needing attention now. */
  private readonly current = new Map<number, string>();

  constructor(private readonly onEnter: (notice: AttentionNotice) => void) {}

  /** Takes the state at start-up as known: the window shows those sites, no notification. */
  prime(sites: readonly SiteStatus[]): void {
    this.current.clear();
    for (const site of sites) if (site.state === 'needs-attention') this.current.set(site.siteId, site.name);
  }

  handle(event: UiEvent): void {
    if (event.type === 'site-removed') {
      this.current.delete(event.siteId);
      return;
    }
    if (event.type !== 'site-status') return;
    const { status } = event;
    if (status.state !== 'needs-attention') {
      this.current.delete(status.siteId);
      return;
    }
    if (this.current.has(status.siteId)) return;
    this.current.set(status.siteId, status.name);
    this.onEnter({ siteId: status.siteId, name: status.name, reason: status.needsAttention ?? status.lastError ?? 'Extraction stopped.' });
  }

  get count(): number {
    return this.current.size;
  }

  names(): string[] {
    return [...this.current.values()];
  }
}

/** The OS notification for a site that needs attention. */
export function attentionNotification(notice: AttentionNotice): { title: string; body: string } {
  return {
    title: `Site “${notice.name}” needs attention`,
    body: `${notice.reason}\nOpen PRA Integration Client to fix it: collection from this site is paused until then.`,
  };
}

/**
 * Tells the shell when the archive *enters* the paused state (its folder is full or unreachable),
 * so it raises one OS notification per incident; resuming (by itself, once the folder takes files
 * again) re-arms it. Pure.
 */
export class ArchivePauseWatcher {
  private paused = false;

  constructor(private readonly onPause: (reason: string) => void) {}

  /** Takes the state at start-up as known: no notification for a pause the window already shows. */
  prime(status: { state: string } | undefined): void {
    this.paused = status?.state === 'paused';
  }

  handle(event: UiEvent): void {
    if (event.type !== 'archive') return;
    const paused = event.status.state === 'paused';
    if (paused && !this.paused) this.onPause(event.status.pausedReason ?? 'The archive folder cannot take files.');
    this.paused = paused;
  }
}

/** The OS notification for a paused archive. */
export function archivePausedNotification(reason: string): { title: string; body: string } {
  return {
    title: 'Archive paused',
    body: `${reason}\nSession XML and recordings are archived again as soon as the folder takes files; shipping to Elasticsearch goes on.`,
  };
}
