import type { Command } from 'commander';
import type { ArchiveStatus, ArchiveView } from '../../shared/archive.ts';
import { formatBytes } from '../engine/archive/archive-folder.ts';
import { withEngine, type GlobalOptions } from './context.ts';
import { printJson, printStep } from './io.ts';

/** `pra-ic archive …`: the archive folder (session XML, recordings, command-shell recordings). */
export function registerArchiveCommands(program: Command, global: () => GlobalOptions) {
  const archive = program
    .command('archive')
    .description('the archive folder: session XML, session recordings and command-shell recordings kept after the appliance deletes them');

  archive
    .command('set')
    .description('set the archive folder and what goes there (each kind is on unless turned off here)')
    .requiredOption('--dir <dir>', 'absolute folder, or a UNC path (\\\\nas\\pra-archive) on Windows; not a mapped drive letter')
    .option('--layout <template>', 'where a session\'s files go below the folder, default {host}/{date}/{lsid} (tokens: {host} {date} {yyyy} {mm} {dd} {lsid} {site})')
    .option('--no-session-xml', 'do not archive session XML')
    .option('--no-recordings', 'do not archive screen recordings')
    .option('--no-shell-recordings', 'do not archive command-shell recordings')
    .option('--json', 'machine-readable output')
    .action(async (o: { dir: string; layout?: string; sessionXml: boolean; recordings: boolean; shellRecordings: boolean; json?: boolean }) => {
      await withEngine(global(), async (engine) => {
        const view = engine.setArchive({ dir: o.dir, layout: o.layout, sessionXml: o.sessionXml, recordings: o.recordings, shellRecordings: o.shellRecordings });
        if (o.json) return printJson(view);
        printView(view);
        process.stdout.write('Check it with: pra-ic archive test\n');
      });
    });

  archive
    .command('show')
    .description('the archive settings and status')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      await withEngine(global(), async (engine) => {
        const view = engine.archiveView();
        const status = await engine.archiveStatus();
        if (o.json) return printJson({ ...view, status });
        printView(view);
        if (view.configured) printStatus(status);
      });
    });

  archive
    .command('off')
    .description('stop archiving (files already archived stay where they are)')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      await withEngine(global(), async (engine) => {
        const view = engine.setArchive({ dir: null });
        if (o.json) return printJson(view);
        process.stdout.write('Archive off. Files already archived are left as they are.\n');
      });
    });

  archive
    .command('test')
    .description('the folder exists or can be created, is writable, and its free space')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      await withEngine(global(), async (engine) => {
        const result = await engine.testArchive(undefined, o.json ? undefined : printStep);
        if (o.json) printJson(result);
        else process.stdout.write(result.ok ? 'Archive folder test passed.\n' : 'Archive folder test FAILED.\n');
        process.exitCode = result.ok ? 0 : 1;
      });
    });

  archive
    .command('verify')
    .description('every archived file (backups included) is on disk with its recorded size and SHA-256; exit 1 on any problem')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      await withEngine(global(), async (engine) => {
        const result = await engine.verifyArchive();
        if (o.json) printJson(result);
        else {
          for (const p of result.problems) {
            const what = p.problem === 'missing' ? 'MISSING' : p.problem === 'size' ? `SIZE ${p.found} bytes, recorded ${p.expected}` : `SHA-256 ${p.found ?? 'unreadable'}, recorded ${p.expected}`;
            process.stdout.write(`${what}  ${p.path}\n`);
          }
          process.stdout.write(`${result.ok} of ${result.checked} archived file(s) intact${result.problems.length ? `; ${result.problems.length} problem(s)` : ''}.\n`);
        }
        process.exitCode = result.problems.length === 0 ? 0 : 1;
      });
    });
}

function printView(view: ArchiveView) {
  if (!view.configured) {
    process.stdout.write('No archive folder is set. Set one with: pra-ic archive set --dir DIR\n');
    return;
  }
  const kinds = [view.sessionXml && 'session XML', view.recordings && 'recordings', view.shellRecordings && 'command-shell recordings'].filter(Boolean);
  process.stdout.write(`Archive folder: ${view.dir}\nLayout:         ${view.layout}/…\nArchives:       ${kinds.length ? kinds.join(', ') : 'nothing (every kind is off)'}\n`);
}

/** The archive's counts in a few lines (also used by `pra-ic status`). */
export function printStatus(s: ArchiveStatus) {
  if (s.state === 'off') {
    process.stdout.write('\nArchive: off.\n');
    return;
  }
  process.stdout.write(
    `\nArchive (${s.dir}): ${s.state === 'paused' ? 'PAUSED' : 'ok'}; ${s.written.files} file(s), ${formatBytes(s.written.bytes)} written; ` +
      `${s.pending} session(s) pending; ${s.expired} recording(s) expired on the appliance; ${s.failed} failed` +
      `${s.freeBytes !== null ? `; ${formatBytes(s.freeBytes)} free` : ''}.\n`,
  );
  if (s.pausedReason) process.stdout.write(`  ${s.pausedReason}\n`);
  for (const f of s.failures.slice(0, 10)) {
    process.stdout.write(`  failed ${f.kind}${f.instance !== null ? ` ${f.instance}` : ''} of ${f.lsid} (${f.siteName}, ${f.attempts} attempt(s)): ${f.reason}\n`);
  }
}
