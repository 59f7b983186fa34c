import type { Command } from 'commander';
import type { DestinationSettings } from '../../shared/destination.ts';
import { withEngine, type GlobalOptions } from './context.ts';
import { printJson, printStep, readSecretFromStdin } from './io.ts';

interface SetOptions {
  url?: string;
  cloudId?: string;
  apiKeyStdin?: boolean;
  username?: string;
  passwordStdin?: boolean;
  namespace?: string;
  caFile?: string;
  caFingerprint?: string;
  kibanaUrl?: string;
}


export function registerDestinationCommands(program: Command, global: () => GlobalOptions) {
  const destination = program.command('destination').description('the Elasticsearch destination: set, show, test, install the integration assets');

  destination
    .command('set')
    .description('set where events go; secrets are read from standard input and kept in the OS keychain')
    .option('--url <url>', 'Elasticsearch URL, e.g. https://elastic.example.com:9200')
    .option('--cloud-id <id>', 'Elastic Cloud ID (instead of --url)')
    .option('--api-key-stdin', 'read the API key (encoded, or id:key) from standard input')
    .option('--username <user>', 'sign in with a user name …')
    .option('--password-stdin', '… and read its password from standard input')
    .option('--namespace <ns>', 'data stream namespace (default: default)')
    .option('--ca-file <file>', 'PEM file of the CA to trust')
    .option('--ca-fingerprint <sha256>', "SHA-256 fingerprint of the cluster's CA certificate")
    .option('--kibana-url <url>', 'Kibana URL, to install the integration assets through Fleet')
    .action(async (o: SetOptions) => {
      if (!o.url && !o.cloudId) throw new Error('Give --url URL or --cloud-id ID.');
      if (o.apiKeyStdin && (o.username || o.passwordStdin)) throw new Error('Use either --api-key-stdin or --username with --password-stdin, not both.');
      if (!o.apiKeyStdin && !o.username) throw new Error('Give --api-key-stdin (and pipe the API key in), or --username U --password-stdin.');
      if (o.username && !o.passwordStdin) throw new Error('With --username, add --password-stdin and pipe the password in.');
      const secret = o.apiKeyStdin ? await readSecretFromStdin('API key: ', 'The API key') : await readSecretFromStdin('Password: ', 'The password');
      const settings: Partial<DestinationSettings> = {
        url: o.url ?? null,
        cloudId: o.cloudId ?? null,
        auth: o.apiKeyStdin ? 'api-key' : 'basic',
        username: o.username ?? null,
        caFile: o.caFile ?? null,
        caFingerprint: o.caFingerprint ?? null,
        kibanaUrl: o.kibanaUrl ?? null,
      };
      if (o.namespace !== undefined) settings.namespace = o.namespace;
      await withEngine(global(), async (engine) => {
        const view = await engine.setDestination(settings, o.apiKeyStdin ? secret : undefined, o.apiKeyStdin ? undefined : secret);
        process.stdout.write(`Destination set: events go to ${view.dataStream} at ${view.cloudId ? `Cloud ID ${view.cloudId.split(':')[0]}` : view.url}. Check it with: pra-ic destination test\n`);
      });
    });

  destination
    .command('show')
    .description('show the destination settings (never the secrets)')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      await withEngine(global(), async (engine) => {
        const view = await engine.destinationView();
        if (o.json) return printJson(view);
        if (!view.configured) return void process.stdout.write('No destination yet. Set one with: pra-ic destination set --url URL --api-key-stdin\n');
        const lines = [
          ['Elasticsearch', view.cloudId ? `Cloud ID ${view.cloudId}` : view.url],
          ['Sign-in', view.auth === 'api-key' ? `API key (${view.apiKeyStored ? 'stored in the keychain' : 'MISSING'})` : view.auth === 'basic' ? `user ${view.username} (password ${view.passwordStored ? 'stored in the keychain' : 'MISSING'})` : 'none'],
          ['Data stream', view.dataStream],
          ['CA file', view.caFile ?? '-'],
          ['CA fingerprint', view.caFingerprint ?? '-'],
          ['Kibana', view.kibanaUrl ?? '-'],
        ];
        for (const [k, v] of lines) process.stdout.write(`${`${k}:`.padEnd(16)}${v}\n`);
      });
    });

  destination
    .command('test')
    .description('check reachability, sign-in, privileges and the integration assets, step by step')
    .option('--json', 'machine-readable output')
    .action(async (o: { json?: boolean }) => {
      await withEngine(global(), async (engine) => {
        if (!(await engine.destinationView()).configured) throw new Error('No destination yet. Set one with: pra-ic destination set …');
        const result = await engine.testDestination(undefined, {}, o.json ? undefined : printStep);
        if (o.json) printJson(result);
        else process.stdout.write(result.ok ? 'All checks passed.\n' : result.steps.some((s) => s.fix === 'install-assets') ? 'Install the assets with: pra-ic destination install-assets (needs --kibana-url), or in Kibana.\n' : 'The destination is not ready: see the failed step above.\n');
        process.exitCode = result.ok ? 0 : 1;
      });
    });

  destination
    .command('retry-failed')
    .description('queue the events Elasticsearch rejected (kept as failed) again, once their cause is fixed; the next run sends them')
    .action(async () => {
      await withEngine(global(), async (engine) => {
        const n = engine.retryFailed();
        process.stdout.write(
          n === 0
            ? 'No failed events: nothing to retry.\n'
            : `${n} failed event(s) queued again; they are sent by the running app or pra-ic run, or now with: pra-ic run --once\n`,
        );
      });
    });

  destination
    .command('install-assets')
    .description("install Elastic's BeyondTrust PRA integration assets through Kibana's Fleet API (needs --kibana-url set)")
    .option('--admin-api-key-stdin', "use this API key (from standard input) instead of the destination's: installing needs Kibana's Integrations privilege")
    .option('--admin-username <user>', '… or this user, with --admin-password-stdin')
    .option('--admin-password-stdin', "read the admin user's password from standard input")
    .action(async (o: { adminApiKeyStdin?: boolean; adminUsername?: string; adminPasswordStdin?: boolean }) => {
      const admin: { apiKey?: string; username?: string; password?: string } = {};
      if (o.adminApiKeyStdin) admin.apiKey = await readSecretFromStdin('Admin API key: ', 'The admin API key');
      else if (o.adminUsername) {
        if (!o.adminPasswordStdin) throw new Error('With --admin-username, add --admin-password-stdin and pipe the password in.');
        admin.username = o.adminUsername;
        admin.password = await readSecretFromStdin('Password: ', "The admin user's password");
      }
      await withEngine(global(), async (engine) => {
        const result = await engine.installAssets(admin);
        (result.ok ? process.stdout : process.stderr).write(`${result.detail}\n`);
        process.exitCode = result.ok ? 0 : 1;
      });
    });
}
