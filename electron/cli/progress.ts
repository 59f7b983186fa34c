import type { EngineEvent, SiteStatus } from '../../shared/status.ts';

/**
 * Shows extraction progress: on a terminal one redrawn bar per site, otherwise plain lines
 * (at most one per site every few seconds, so a log file stays readable).
 */
export function progressPrinter(stream: NodeJS.WriteStream = process.stderr) {
  const tty = stream.isTTY === true;
  const latest = new Map<number, SiteStatus>();
  const lastPlain = new Map<number, number>();
  let drawnLines = 0;

  const bar = (share: number, width = 24) => {
    const filled = Math.round(share * width);
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  };
  const describe = (s: SiteStatus) => {
    const pct = s.backfill ? `${(s.backfill.progress * 100).toFixed(1).padStart(5)} %` : '   -  ';
    return `${s.name.padEnd(20).slice(0, 20)} ${tty ? `${bar(s.backfill?.progress ?? 0)} ` : ''}${pct}  ${s.state.padEnd(11)} ${s.sessionsStored} sessions, ${s.eventsStored} events`;
  };

  const redraw = () => {
    if (drawnLines > 0) stream.write(`\x1b[${drawnLines}A`);
    const lines = [...latest.values()].map(describe);
    for (const line of lines) stream.write(`\x1b[2K${line}\n`);
    drawnLines = lines.length;
  };

  return {
    onEvent(event: EngineEvent) {
      if (event.type !== 'site-status') return;
      const s = event.status;
      latest.set(s.siteId, s);
      if (tty) return redraw();
      const now = Date.now();
      if (s.state === 'running' || s.state === 'backfilling') {
        if (now - (lastPlain.get(s.siteId) ?? 0) < 3000) return;
      }
      lastPlain.set(s.siteId, now);
      stream.write(`${new Date().toISOString()} ${describe(s)}\n`);
    },
  };
}
