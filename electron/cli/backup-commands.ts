import path from 'node:path';
import type { Command } from 'commander';
import { withEngine, type GlobalOptions } from './context.ts';
import { printJson } from './io.ts';

export function registerBackupCommands(program: Command, global: () => GlobalOptions) {
  const backup = program.command('backup').description("site backups (.nsb) into the archive folder (each site's schedule: pra-ic site edit SITE --backups daily)");

  backup
    .command('now')
    .argument('<site>', 'name or id')
    .description('take one backup of the site now into the archive folder (<dir>/<host>/backups/)')
    .option('--json', 'machine-readable output')
    .action(async (ref: string, o: { json?: boolean }) => {
      await withEngine(global(), async (engine) => {
        const site = engine.sites.getSite(ref);
        if (!o.json) process.stderr.write(`Taking a backup of “${site.name}”…\n`);
        const result = await engine.backupNow(site.id);
        const dir = engine.archiveDir()!;
        if (o.json) return printJson({ ...result, path: path.join(dir, ...result.file.split('/')) });
        process.stdout.write(`Backup of “${site.name}” saved: ${path.join(dir, ...result.file.split('/'))} (${result.bytes} bytes, SHA-256 ${result.sha256}).\n`);
        if (result.deleted.length) process.stdout.write(`${result.deleted.length} older backup(s) deleted to keep ${site.keepBackups}.\n`);
      });
    });
}
