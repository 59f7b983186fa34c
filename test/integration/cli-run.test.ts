import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/temp-dir.ts';
import { createManualClock, DEFAULT_CLIENT, generateCorpus, startPraSimulator, type PraSimulator } from '../simulators/pra/index.ts';
import { startElasticsearchSimulator, type ElasticsearchSimulator } from '../simulators/elasticsearch/index.ts';

const T = Math.floor(Date.now() / 1000 / 3600) * 3600;
const BIN = fileURLToPath(new URL('../../bin/pra-ic.js', import.meta.url));

describe('pra-ic run, status and sessions', () => {
  let pra: PraSimulator;
  let es: ElasticsearchSimulator;
  let dataDir: string;
  const cli = (args: string[], input?: string) => runCli(['--data-dir', dataDir, ...args], { input });

  before(async () => {
    const clock = createManualClock(T);
    pra = await startPraSimulator({ now: clock.now, sessions: generateCorpus({ seed: 3, from: T - 86_400, to: T - 3600, sessions: 40, inProgressShare: 0.2 }) });
    es = await startElasticsearchSimulator({
      users: [{ username: 'shipper', password: 'shipper-pw', privileges: { indices: [{ names: ['logs-beyondtrust_pra.access_session-*'], privileges: ['auto_configure', 'create_doc'] }] } }],
      integrationInstalled: true,
    });
    dataDir = tempDir();
    const add = await cli(['site', 'add', '--name', 'Sim', '--host', pra.host, '--client-id', DEFAULT_CLIENT.clientId, '--client-secret-stdin', '--ca-file', pra.caFile, '--interval', '2s', '--initial-interval', '2d'], DEFAULT_CLIENT.clientSecret);
    assert.equal(add.code, 0, add.stderr);
  });
  after(async () => {
    await pra.close();
    await es.close();
  });

  it('run --once without a destination stores and queues, and says how to set one', async () => {
    const r = await cli(['run', '--once']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Sim: ok — \d+ sessions read, \d+ new events, \d+ in progress followed/);
    assert.match(r.stdout, /No Elasticsearch destination yet/);
  });

  it('status --json reports the site caught up and the outbox pending', async () => {
    // "Caught up" allows two poll intervals since the last pass: with this suite's 2 s interval, a
    // busy machine's CLI start-up alone could exceed that. A minute says the same thing, robustly.
    const slower = await cli(['site', 'edit', 'Sim', '--interval', '1m']);
    assert.equal(slower.code, 0, slower.stderr);
    try {
      await statusIsCaughtUp();
    } finally {
      const back = await cli(['site', 'edit', 'Sim', '--interval', '2s']);
      assert.equal(back.code, 0, back.stderr);
    }
  });

  async function statusIsCaughtUp() {
    const r = await cli(['status', '--json']);
    const status = JSON.parse(r.stdout) as { sites: { state: string; sessionsStored: number; eventsStored: number; backfill: { progress: number } }[]; outbox: { pending: number } };
    assert.equal(status.sites[0]!.sessionsStored, 40);
    assert.equal(status.sites[0]!.backfill.progress, 1);
    assert.equal(status.outbox.pending, status.sites[0]!.eventsStored);
    const text = await cli(['status']);
    assert.match(text.stdout, /Sim\s+idle\s+100\.0 %/);
    assert.match(text.stdout, /Outbox \(Elasticsearch\): \d+ pending, 0 sent, 0 failed/);
  }

  it('sessions list filters by site, time and search, as a table and JSON', async () => {
    const all = JSON.parse((await cli(['sessions', 'list', '--json', '--limit', '1000'])).stdout) as { lsid: string; inProgress: boolean }[];
    assert.equal(all.length, 40);
    assert.ok(all.some((s) => s.inProgress));
    const one = JSON.parse((await cli(['sessions', 'list', '--json', '--search', all[0]!.lsid])).stdout) as { lsid: string }[];
    assert.deepEqual(one.map((s) => s.lsid), [all[0]!.lsid]);
    const none = await cli(['sessions', 'list', '--since', '1m']);
    assert.match(none.stdout, /No sessions match/);
    const bad = await cli(['sessions', 'list', '--since', 'soon']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stderr, /--since/);
  });

  it('run (scheduled) ships to Elasticsearch and stops cleanly on SIGTERM', async () => {
    const set = await cli(['destination', 'set', '--url', es.url, '--username', 'shipper', '--password-stdin'], 'shipper-pw');
    assert.equal(set.code, 0, set.stderr);
    const child = spawn(process.execPath, [BIN, '--data-dir', dataDir, 'run'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 60_000;
      while (es.count('logs-beyondtrust_pra.access_session-default') === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
      assert.ok(es.count('logs-beyondtrust_pra.access_session-default') > 0, `the background shipper delivered; stderr: ${stderr}`);
    } finally {
      child.kill('SIGTERM');
    }
    assert.equal(await exited, 0, stderr);
    assert.match(stderr, /Running on schedule[\s\S]*Stopping/);
  });
});
