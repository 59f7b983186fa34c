// `npm run demo`: the product end to end without an appliance. A PRA simulator on 127.0.0.1 serves a
// few days of generated access sessions (some still in progress); the real `pra-ic` CLI configures
// a "Demo site" in a throw-away data directory (its client secret goes to the OS keychain), runs one
// extraction pass (`run --once`: a progress bar on a terminal, plain lines otherwise) and ships
// every event to an Elasticsearch simulator — or to your cluster when ELASTIC_URL and
// ELASTIC_API_KEY are set (optional: ELASTIC_CA_FILE, ELASTIC_NAMESPACE). Then it prints what
// arrived and how to look further. Non-interactive: nothing is ever asked (CI=true works).
//
// Linux without a D-Bus session bus has no Secret Service: the demo then relaunches itself inside
// a private one with an unlocked gnome-keyring (scripts/with-keyring.sh). On Windows and macOS the
// OS keychain just works. The demo's secrets are removed from the keychain when it ends.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'pra-ic.js');
const SELF = fileURLToPath(import.meta.url);
const DAY = 86_400;
const CLIENT = { clientId: 'demo-client', clientSecret: 'demo-client-secret-change-me' };
const ES_KEY = { id: 'demo-writer', key: 'demo-writer-key' };
const STREAM_PREFIX = 'logs-beyondtrust_pra.access_session-';

const out = (line = '') => process.stdout.write(`${line}\n`);

/** Runs `pra-ic` with the given arguments; `input` goes to its standard input, output is captured. */
function cli(args: string[], input = ''): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** Runs `pra-ic` on this terminal (its progress bar draws when stderr is a TTY). */
function cliOnTerminal(args: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
}

function must(step: string, result: { code: number | null; stdout: string; stderr: string }) {
  if (result.code !== 0) throw new Error(`${step} failed (exit ${result.code}):\n${result.stderr || result.stdout}`);
  return result;
}

async function demo() {
  const started = Date.now();
  const { generateCorpus, startPraSimulator } = await import('../test/simulators/pra/index.ts');
  const realCluster = process.env.ELASTIC_URL && process.env.ELASTIC_API_KEY ? { url: process.env.ELASTIC_URL, apiKey: process.env.ELASTIC_API_KEY } : null;
  const dataDir = mkdtempSync(join(tmpdir(), 'pra-ic-demo-'));
  const now = Math.floor(Date.now() / 1000);
  const pra = relative(process.cwd(), BIN) || BIN;
  const command = `node ${pra} --data-dir ${dataDir}`;

  out('PRA Integration Client demo — no appliance needed');
  out();
  // Three days of sessions on the simulator's (real) clock; the latest ones are still in progress.
  const corpus = [
    ...generateCorpus({ seed: 'demo', from: now - 3 * DAY, to: now - 2 * 3600, sessions: 540, inProgressShare: 0.03 }),
    ...generateCorpus({ seed: 'demo-recent', from: now - 2 * 3600, to: now - 5 * 60, sessions: 60, inProgressShare: 0.5 }),
  ];
  const inProgress = corpus.filter((s) => s.endTime === null || s.endTime > now).length;
  const sim = await startPraSimulator({ sessions: corpus, clients: [CLIENT] });
  out(`• PRA simulator on https://${sim.host}: ${corpus.length} access sessions of the last 3 days, ${inProgress} still in progress.`);

  let es: Awaited<ReturnType<typeof import('../test/simulators/elasticsearch/index.ts')['startElasticsearchSimulator']>> | null = null;
  let destination: { url: string; apiKey: string; caFile?: string; namespace: string };
  if (realCluster) {
    destination = { ...realCluster, caFile: process.env.ELASTIC_CA_FILE || undefined, namespace: process.env.ELASTIC_NAMESPACE || 'default' };
    out(`• Elasticsearch: your cluster at ${realCluster.url} (ELASTIC_URL), data stream ${STREAM_PREFIX}${destination.namespace}.`);
  } else {
    const { startElasticsearchSimulator } = await import('../test/simulators/elasticsearch/index.ts');
    es = await startElasticsearchSimulator({
      apiKeys: [{ id: ES_KEY.id, key: ES_KEY.key, privileges: { cluster: ['monitor'], indices: [{ names: [`${STREAM_PREFIX}*`], privileges: ['auto_configure', 'create_doc'] }] } }],
      integrationInstalled: true,
    });
    destination = { url: es.url, apiKey: `${ES_KEY.id}:${ES_KEY.key}`, namespace: 'default' };
    out(`• Elasticsearch simulator on ${es.url}, with the BeyondTrust PRA integration's assets installed (set ELASTIC_URL and ELASTIC_API_KEY to ship to your cluster instead).`);
  }
  out(`• Data directory (throw-away): ${dataDir}`);
  out();

  try {
    out('$ pra-ic site add --name "Demo site" … --client-secret-stdin');
    const added = must('site add', await cli(['--data-dir', dataDir, 'site', 'add', '--name', 'Demo site', '--host', sim.host, '--client-id', CLIENT.clientId,
      '--client-secret-stdin', '--ca-file', sim.caFile, '--initial-interval', '3d', '--interval', '5m'], CLIENT.clientSecret));
    out(added.stdout.trimEnd());
    out('$ pra-ic destination set --url … --api-key-stdin');
    const destArgs = ['--data-dir', dataDir, 'destination', 'set', '--url', destination.url, '--api-key-stdin', '--namespace', destination.namespace];
    if (destination.caFile) destArgs.push('--ca-file', destination.caFile);
    out(must('destination set', await cli(destArgs, destination.apiKey)).stdout.trimEnd());
    if (realCluster) {
      out('$ pra-ic destination test');
      const tested = await cli(['--data-dir', dataDir, 'destination', 'test']);
      out((tested.stdout + tested.stderr).trimEnd());
    }
    out();

    out('$ pra-ic run --once');
    const runStarted = Date.now();
    const code = await cliOnTerminal(['--data-dir', dataDir, 'run', '--once']);
    const runMs = Date.now() - runStarted;
    out();

    const status = JSON.parse(must('status', await cli(['--data-dir', dataDir, 'status', '--json'])).stdout) as {
      sites: { name: string; sessionsStored: number; eventsStored: number; sessionsFollowed: number; lastError: string | null }[];
      outbox: { pending: number; sent: number; failed: number };
    };
    const site = status.sites[0]!;
    out(`What arrived (${(runMs / 1000).toFixed(1)} s for extraction and shipping, ${((Date.now() - started) / 1000).toFixed(1)} s for the whole demo):`);
    out(`  sessions stored        ${site.sessionsStored} (of ${corpus.length} on the site), ${site.sessionsFollowed} in progress, followed until they end`);
    out(`  events stored          ${site.eventsStored}`);
    out(`  outbox                 ${status.outbox.sent} sent, ${status.outbox.pending} pending, ${status.outbox.failed} failed`);
    if (es) {
      const stream = `${STREAM_PREFIX}${destination.namespace}`;
      const docs = es.documents(stream);
      const errors = docs.filter((d) => JSON.stringify(d._source).includes('pipeline_error')).length;
      out(`  documents indexed      ${docs.length} in ${stream} (simulated cluster; ${errors} with ingest pipeline errors)`);
    } else out(`  documents indexed      ${status.outbox.sent} acknowledged by ${destination.url} (look for them in Kibana: data stream ${STREAM_PREFIX}${destination.namespace})`);
    out(`  data directory         ${dataDir}`);
    if (code !== 0 || site.lastError) out(`  the run reported a problem (exit ${code}${site.lastError ? `: ${site.lastError}` : ''})`);
    out();
    out('Look further (the PRA simulator is gone once the demo ends; the stored data stays):');
    out(`  ${command} status`);
    out(`  ${command} sessions list --limit 10`);
    out(`  ${command} sessions list --search "Finance"`);
    out(`  ${command} ui          (the app's UI in a browser)`);
    out(`Remove it with: rm -rf ${dataDir}`);
    const listed = await cli(['--data-dir', dataDir, 'sessions', 'list', '--limit', '5']);
    out();
    out(`$ pra-ic sessions list --limit 5`);
    out(listed.stdout.trimEnd());
    process.exitCode = code === 0 ? 0 : 1;
  } finally {
    await forgetDemoSecrets(dataDir);
    await sim.close();
    await es?.close();
  }
}

/** The demo's data directory is throw-away: its secrets do not stay in the OS keychain. */
async function forgetDemoSecrets(dataDir: string) {
  try {
    const { openSettingsDatabase } = await import('../electron/engine/settings-db.ts');
    const { KeytarSecretStore } = await import('../electron/engine/secrets/keytar-secret-store.ts');
    const database = openSettingsDatabase(dataDir);
    try {
      const secrets = new KeytarSecretStore();
      for (const account of await secrets.accounts(`${database.installId}/`)) await secrets.delete(account);
    } finally {
      database.close();
    }
  } catch (error) {
    process.stderr.write(`Could not remove the demo's secrets from the keychain: ${(error as Error).message}\n`);
  }
}

if (process.platform === 'linux' && !process.env.DBUS_SESSION_BUS_ADDRESS && !process.env.PRA_IC_KEYRING_RELAUNCHED) {
  // No session bus, so no Secret Service for the keychain: run inside a private one.
  const run = spawnSync(join(ROOT, 'scripts', 'with-keyring.sh'), [process.execPath, '--import', 'tsx', SELF, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, PRA_IC_KEYRING_RELAUNCHED: '1' },
  });
  process.exitCode = run.status ?? 1;
} else {
  await demo().catch((error: unknown) => {
    process.stderr.write(`demo: ${(error as Error).message}\n`);
    process.exitCode = 1;
  });
}
