import { InvalidArgumentError, type Command } from 'commander';
import { parseDuration } from '../../shared/durations.ts';
import { openLockedEngine, withEngine, type GlobalOptions } from './context.ts';
import { printStatus as printArchiveStatus } from './archive-commands.ts';
import { EXIT } from './exit-codes.ts';
import { printJson, table, when } from './io.ts';
import { progressPrinter } from './progress.ts';

/** The most `sessions list` shows at once (the contract's limit for the UI too). */
const MAX_LIST_LIMIT = 1000;

/** `--limit`: a whole number in range; "abc", "-1", "1e9" or "2.5" are refused, not misread. */
function parseLimit(value: string): number {
  const text = value.trim();
  const n = /^\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_LIST_LIMIT) {
    throw new InvalidArgumentError(`give a whole number from 1 to ${MAX_LIST_LIMIT}, e.g. --limit 50 (got “${value}”).`);
  }
  return n;
}

export function registerRunCommands(program: Command, global: () => GlobalOptions) {
  program
    .command('run')
    .description('extract every enabled site on its schedule until Ctrl-C (SIGINT/SIGTERM)')
    .option('--once', 'one full pass (every site caught up to now), then exit: 0 if all went well, 1 if a site failed or shipping stopped, 3 if Elasticsearch rejected documents')
    .option('--site <site>', 'only this site (name or id)')
    .option('--wait', 'if another process (the app, pra-ic run or ui) is using the data folder, wait for it to end instead of refusing (exit 75)')
    .action(async (o: { once?: boolean; site?: string; wait?: boolean }) => {
      if (o.site !== undefined && !o.once) throw new Error('--site goes with --once; without it every enabled site runs on its schedule.');
      const { engine, close } = await openLockedEngine(global(), { wait: o.wait, extracts: true });
      const printer = progressPrinter();
      // Only what it prints: the outbox's and the archive's counts are not computed for it.
      const unsubscribe = engine.onEvent((e) => printer.onEvent(e), ['site-status']);
      try {
        const siteIds = o.site ? [engine.sites.getSite(o.site).id] : undefined;
        if (o.once) {
          const { sites: outcomes, shipping, archive, backups } = await engine.runOnce(siteIds);
          if (outcomes.length === 0) process.stderr.write('No enabled site to run. Add one with: pra-ic site add …\n');
          for (const outcome of outcomes) {
            const site = engine.sites.findSite(outcome.siteId);
            if (outcome.ok) {
              const r = outcome.result!;
              process.stdout.write(`${site?.name}: ok — ${r.sessionsSeen} sessions read, ${r.eventsAdded} new events, ${r.followed} in progress followed.\n`);
            } else {
              process.stderr.write(`${site?.name}: FAILED — ${outcome.error}${outcome.needsAttention ? ' (needs attention: edit or test the site to resume)' : ''}\n`);
            }
          }
          if (shipping) {
            const outbox = engine.queries.outboxCounts();
            process.stdout.write(`Elasticsearch: ${shipping.sent} event(s) delivered this run; outbox ${outbox.pending} pending, ${outbox.sent} sent, ${outbox.failed} failed.\n`);
            if (shipping.gaveUp) process.stderr.write(`Shipping stopped: ${shipping.gaveUp} The ${outbox.pending} pending event(s) stay queued for the next run.\n`);
            if (outbox.failed > 0) process.stderr.write(`${outbox.failed} event(s) were rejected by Elasticsearch; see pra-ic status, fix the cause, then retry them with: pra-ic destination retry-failed\n`);
          } else process.stdout.write('No Elasticsearch destination yet: events are stored locally and queued. Set one with: pra-ic destination set …\n');
          for (const b of backups) {
            if (b.ok) process.stdout.write(`${b.siteName}: backup saved — ${b.result!.file} (${b.result!.bytes} bytes).\n`);
            else process.stderr.write(`${b.siteName}: backup FAILED — ${b.error}\n`);
          }
          // The archive: expired recordings are not failures; a failed file or a paused archive is.
          if (archive) {
            process.stdout.write(`Archive: ${archive.files} file(s), ${archive.bytes} bytes written this run; ${archive.expired} recording(s) expired on the appliance.\n`);
            if (archive.failed) process.stderr.write(`Archive: ${archive.failed} file(s) failed (retried later); see pra-ic archive show.\n`);
            if (archive.paused) process.stderr.write(`Archive paused: ${archive.paused}\n`);
          }
          const archiveOk = !archive || (archive.failed === 0 && archive.paused === null);
          // Failed sites, stopped shipping, a failed archive or backup first (work is left), then rejected documents (exit codes: README).
          const rejected = shipping ? engine.queries.outboxCounts().failed : 0;
          const allOk = outcomes.every((x) => x.ok) && !shipping?.gaveUp && archiveOk && backups.every((b) => b.ok);
          process.exitCode = !allOk ? EXIT.ERROR : rejected > 0 ? EXIT.REJECTED : EXIT.OK;
          return;
        }
        engine.start();
        process.stderr.write('Running on schedule. Stop with Ctrl-C.\n');
        await new Promise<void>((resolve) => {
          const stop = () => resolve();
          process.once('SIGINT', stop);
          process.once('SIGTERM', stop);
        });
        process.stderr.write('Stopping: finishing what is in flight…\n');
      } finally {
        unsubscribe();
        await close();
      }
    });

  program
    .command('status')
    .description('per-site state, progress, last error, and the outbox')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      await withEngine(global(), async (engine) => {
        const status = engine.status();
        if (o.json) return printJson(status);
        if (status.sites.length === 0) process.stdout.write('No sites yet.\n');
        else {
          process.stdout.write(
            `${table(
              ['SITE', 'STATE', 'BACKFILL', 'LAST SUCCESS', 'SESSIONS', 'EVENTS', 'FOLLOWED'],
              status.sites.map((s) => [
                s.name,
                s.state,
                s.backfill ? `${(s.backfill.progress * 100).toFixed(1)} %` : '-',
                when(s.lastSuccessAt),
                String(s.sessionsStored),
                String(s.eventsStored),
                String(s.sessionsFollowed),
              ]),
            )}\n`,
          );
          for (const s of status.sites) {
            if (s.needsAttention) process.stdout.write(`\n${s.name} needs attention: ${s.needsAttention}\n`);
            else if (s.lastError) process.stdout.write(`\n${s.name}, last error: ${s.lastError}\n`);
          }
        }
        const { pending, sent, failed } = status.outbox;
        process.stdout.write(`\nOutbox (Elasticsearch): ${pending} pending, ${sent} sent, ${failed} failed.\n`);
        if (status.shippingError) process.stdout.write(`Shipping error (since ${when(status.shippingError.since)}, last ${when(status.shippingError.at)}): ${status.shippingError.message}\n`);
        for (const f of status.outboxFailures) process.stdout.write(`  failed event ${f.eventId}: ${f.reason}\n`);
        printArchiveStatus(status.archive);
      });
    });

  program
    .command('retention')
    .argument('[days]', 'keep sessions this many days after they ended (0 = forever); without it, show the setting')
    .description('local retention of the session store (default 90 days); undelivered and in-progress sessions are never removed')
    .action(async (days?: string) => {
      await withEngine(global(), async (engine) => {
        if (days !== undefined) {
          if (!/^\d+$/.test(days)) throw new Error('Give the retention as a whole number of days, e.g. 90 (0 keeps everything).');
          engine.retentionDays = Number(days);
          const removed = engine.prune();
          process.stdout.write(`Retention set to ${Number(days) === 0 ? 'forever' : `${days} days`}${removed ? `; ${removed} expired session(s) removed` : ''}.\n`);
        } else {
          const d = engine.retentionDays;
          process.stdout.write(d === 0 ? 'Sessions are kept forever.\n' : `Sessions are kept ${d} days after they ended.\n`);
        }
      });
    });

  const sessions = program.command('sessions').description('browse the local session store');
  sessions
    .command('list')
    .description('sessions, newest first')
    .option('--site <site>', 'only this site (name or id)')
    .option('--since <duration>', 'only sessions that began within this long, e.g. 24h, 7d')
    .option('--search <text>', 'lsid, jump group, jumpoint or participant contains this')
    .option('--limit <n>', `at most this many, 1 to ${MAX_LIST_LIMIT} (default 100)`, parseLimit)
    .option('--json', 'machine-readable output')
    .action(async (o: { site?: string; since?: string; search?: string; limit?: number; json?: boolean }) => {
      await withEngine(global(), async (engine) => {
        const siteId = o.site ? engine.sites.getSite(o.site).id : undefined;
        let since: number | undefined;
        if (o.since) {
          const parsed = parseDuration(o.since);
          if (!parsed.ok) throw new Error(`--since: ${parsed.error}`);
          since = Math.floor(Date.now() / 1000) - parsed.seconds;
        }
        const rows = engine.queries.listSessions({ siteId, since, search: o.search, limit: o.limit });
        if (o.json) return printJson(rows);
        if (rows.length === 0) return void process.stdout.write('No sessions match.\n');
        process.stdout.write(
          `${table(
            ['START', 'END', 'LSID', 'JUMP GROUP', 'REP', 'CUSTOMER', 'EVENTS'],
            rows.map((r) => [when(r.startTime), r.inProgress ? 'in progress' : when(r.endTime), r.lsid, r.jumpGroup ?? '-', r.primaryRep ?? '-', r.primaryCustomer ?? '-', String(r.eventCount)]),
          )}\n`,
        );
      });
    });
}
