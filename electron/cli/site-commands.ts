import type { Command } from 'commander';
import { normalizeSiteHost } from '../../shared/host.ts';
import type { Site } from '../../shared/models.ts';
import type { SitePatchRaw } from '../../shared/site-schema.ts';
import type { Engine } from '../engine/engine.ts';
import { describeUndelivered, type UndeliveredWork } from '../../shared/undelivered.ts';
import { withEngine, type GlobalOptions } from './context.ts';
import { printJson, printStep, readSecretsFromStdin, table, when } from './io.ts';

interface SiteOptions {
  name?: string;
  host?: string;
  clientId?: string;
  clientSecretStdin?: boolean;
  caFile?: string;
  initialInterval?: string;
  interval?: string;
  timeout?: string;
  proxy?: string;
  enable?: boolean;
  disable?: boolean;
  backups?: string;
  keepBackups?: string;
  backupPasswordStdin?: boolean;
  clearBackupPassword?: boolean;
}

function withSiteOptions(command: Command, requireAll: boolean): Command {
  const opt = (flags: string, description: string) => (requireAll ? command.requiredOption(flags, description) : command.option(flags, description));
  opt('--name <name>', 'a name for the site, unique (case-insensitive)');
  opt('--host <host>', 'the site without https://, e.g. access.example.com or access.example.com:8443');
  opt('--client-id <id>', "the API account's Client ID (/login → Management → API Configuration)");
  return command
    .option('--client-secret-stdin', "read the API account's Client Secret from standard input (never from an argument)")
    .option('--ca-file <file>', "a PEM file with the CA certificate to trust for this site, in addition to the system's")
    .option('--initial-interval <duration>', 'how far back the first run reaches, e.g. 24h, 7d (at most 90d)')
    .option('--interval <duration>', 'time between runs, e.g. 5m')
    .option('--timeout <duration>', 'HTTP timeout, e.g. 30s')
    .option('--proxy <url>', 'HTTP(S) proxy, e.g. http://proxy.example.com:3128')
    .option('--backups <schedule>', 'site backups (.nsb) into the archive folder: off, daily or weekly')
    .option('--keep-backups <n>', 'how many of the site\'s backups to keep (default 30); older ones are deleted once a newer one is complete')
    .option('--backup-password-stdin', 'read the backup password from standard input (after the client secret\'s line when both are read)');
}

/**
 * The secrets the options ask for, from standard input: with both flags, two lines (the client
 * secret, then the backup password).
 */
async function secretsFrom(o: SiteOptions, clientSecretPrompt: string): Promise<{ secret?: string; backupPassword?: string }> {
  const prompts = [...(o.clientSecretStdin ? [clientSecretPrompt] : []), ...(o.backupPasswordStdin ? ['Backup password: '] : [])];
  const values = await readSecretsFromStdin(prompts);
  return { secret: o.clientSecretStdin ? values[0] : undefined, backupPassword: o.backupPasswordStdin ? values[values.length - 1] : undefined };
}

function fieldsFrom(o: SiteOptions): SitePatchRaw {
  const fields: SitePatchRaw = {};
  if (o.name !== undefined) fields.name = o.name;
  if (o.host !== undefined) fields.host = o.host;
  if (o.clientId !== undefined) fields.clientId = o.clientId;
  if (o.caFile !== undefined) fields.caFile = o.caFile === '' ? null : o.caFile;
  if (o.initialInterval !== undefined) fields.initialIntervalSeconds = o.initialInterval;
  if (o.interval !== undefined) fields.pollIntervalSeconds = o.interval;
  if (o.timeout !== undefined) fields.timeoutSeconds = o.timeout;
  if (o.proxy !== undefined) fields.proxyUrl = o.proxy === '' ? null : o.proxy;
  if (o.enable) fields.enabled = true;
  if (o.disable) fields.enabled = false;
  // Passed on as typed: the site schema says what is wrong with a bad value.
  if (o.backups !== undefined) fields.backupSchedule = o.backups.trim().toLowerCase() as SitePatchRaw['backupSchedule'];
  if (o.keepBackups !== undefined) fields.keepBackups = (/^\s*\d+\s*$/.test(o.keepBackups) ? Number(o.keepBackups) : o.keepBackups) as number;
  return fields;
}

/** The host notice ("Removed https://…") the user should see when a pasted URL was normalised. */
function hostNotice(host: string | undefined) {
  if (host === undefined) return;
  const result = normalizeSiteHost(host);
  if (result.ok && result.notice) process.stderr.write(`${result.notice}\n`);
}


/** Two sites on one appliance double the API work: said, not refused (it may be meant, e.g. while moving). */
function sameHostWarning(engine: Engine, site: Site) {
  const others = engine.sites.sameHostSites(site);
  if (others.length === 0) return;
  process.stderr.write(
    `Warning: ${others.map((s) => `“${s.name}”`).join(', ')} already pull${others.length === 1 ? 's' : ''} from ${site.host}. ` +
      'Each site reads every session of the appliance, so this doubles the API calls counted against its limits (Elasticsearch still gets each event once). ' +
      `If it is the same site, remove one: pra-ic site remove "${site.name}"\n`,
  );
}

export function registerSiteCommands(program: Command, global: () => GlobalOptions) {
  const site = program.command('site').description('add, change, list, test and remove PRA sites');

  withSiteOptions(site.command('add').description('add a site; its client secret goes to the OS keychain'), true).action(async (o: SiteOptions) => {
    if (!o.clientSecretStdin) throw new Error('The client secret is read from standard input: add --client-secret-stdin and pipe it in (or type it when asked).');
    const { secret, backupPassword } = await secretsFrom(o, 'Client secret: ');
    hostNotice(o.host);
    await withEngine(global(), async (engine) => {
      const added = await engine.addSite(fieldsFrom(o) as Parameters<typeof engine.addSite>[0], secret!, backupPassword);
      process.stdout.write(`Added site “${added.name}” (${added.host}, id ${added.id}). Check it with: pra-ic site test "${added.name}"\n`);
      sameHostWarning(engine, added);
    });
  });

  withSiteOptions(site.command('edit').argument('<site>', 'name or id').description("change a site's settings; leave out --client-secret-stdin to keep the stored secret"), false)
    .option('--enable', 'enable the site')
    .option('--disable', 'disable the site (it is not extracted until enabled)')
    .option('--clear-backup-password', 'remove the stored backup password (backups are then taken without one)')
    .action(async (ref: string, o: SiteOptions) => {
      if (o.enable && o.disable) throw new Error('Give --enable or --disable, not both.');
      if (o.clearBackupPassword && o.backupPasswordStdin) throw new Error('Give either --backup-password-stdin or --clear-backup-password, not both.');
      const { secret, backupPassword } = await secretsFrom(o, 'New client secret: ');
      hostNotice(o.host);
      await withEngine(global(), async (engine) => {
        const edited = await engine.editSite(ref, fieldsFrom(o), secret, { password: backupPassword, clear: o.clearBackupPassword });
        const stored = [secret ? 'its new client secret' : '', backupPassword ? 'its new backup password' : ''].filter(Boolean).join(' and ');
        process.stdout.write(`Changed site “${edited.name}”${stored ? ` and stored ${stored}` : ''}${o.clearBackupPassword ? '; its backup password was removed' : ''}.\n`);
        if (o.host !== undefined) sameHostWarning(engine, edited);
      });
    });

  site
    .command('list')
    .description('list the sites')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      await withEngine(global(), async (engine) => {
        const sites = engine.sites.listSites();
        if (o.json) {
          const withSecret = await Promise.all(
            sites.map(async (s) => ({ ...s, clientSecretStored: await engine.sites.hasClientSecret(s), backupPasswordStored: await engine.sites.hasBackupPassword(s) })),
          );
          return printJson(withSecret);
        }
        if (sites.length === 0) return void process.stdout.write('No sites yet. Add one with: pra-ic site add --name NAME --host HOST --client-id ID --client-secret-stdin\n');
        process.stdout.write(
          `${table(
            ['ID', 'NAME', 'HOST', 'CLIENT ID', 'ENABLED', 'INTERVAL', 'UPDATED'],
            sites.map((s) => [String(s.id), s.name, s.host, s.clientId, s.enabled ? 'yes' : 'no', `${s.pollIntervalSeconds}s`, when(s.updatedAt)]),
          )}\n`,
        );
      });
    });

  site
    .command('remove')
    .argument('<site>', 'name or id')
    .description('remove a site, its secrets and its stored sessions (refused while some of its events are not delivered yet)')
    .option('--discard-pending', 'remove it even though some of its events have not been delivered to Elasticsearch: they are discarded')
    .action(async (ref: string, o: { discardPending?: boolean }) => {
      await withEngine(global(), async (engine) => {
        let removed;
        try {
          removed = await engine.removeSite(ref, { discardPending: o.discardPending });
        } catch (error) {
          // SiteHasUndeliveredError, by name: the engine's modules are loaded only when a command runs.
          if ((error as Error).name !== 'SiteHasUndeliveredError') throw error;
          const refused = error as Error & { siteName: string; work: UndeliveredWork };
          const failed = refused.work.parts.some((p) => p.kind === 'events-failed');
          throw new Error(
            `Not removed: “${refused.siteName}” still has ${describeUndelivered(refused.work)}. ` +
              `Deliver them first with: pra-ic run --once${failed ? ' (rejected ones: fix the cause shown by pra-ic status, then pra-ic destination retry-failed)' : ''}; ` +
              `or remove the site anyway, discarding them: pra-ic site remove "${refused.siteName}" --discard-pending`,
          );
        }
        process.stdout.write(`Removed site “${removed.name}” and its secrets.\n`);
      });
    });

  site
    .command('test')
    .argument('<site>', 'name or id')
    .description('check name resolution, TLS, credentials, reporting permission and clock, step by step')
    .option('--json', 'machine-readable output')
    .action(async (ref: string, o: { json?: boolean }) => {
      await withEngine(global(), async (engine) => {
        const result = await engine.testStoredSite(ref, o.json ? undefined : printStep);
        if (o.json) printJson(result);
        else process.stdout.write(result.ok ? 'All checks passed.\n' : 'The site is not ready: see the failed step above.\n');
        process.exitCode = result.ok ? 0 : 1;
      });
    });
}
