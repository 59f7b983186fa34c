/**
 * Undelivered work and the exit codes of `run --once` (issue 17, items 2, 9 and 11), against the
 * PRA and Elasticsearch simulators: `site remove` refuses while a site has undelivered events
 * (or discards them when told), `run --once` exits 3 when Elasticsearch rejected documents, and
 * `destination retry-failed` queues them again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../support/cli.ts';
import { tempDir } from '../support/temp-dir.ts';
import { createManualClock, DEFAULT_CLIENT, generateCorpus, startPraSimulator, type PraSimulator } from '../simulators/pra/index.ts';
import { startElasticsearchSimulator, type ElasticsearchSimulator } from '../simulators/elasticsearch/index.ts';

const T = Math.floor(Date.now() / 1000 / 3600) * 3600;
const STREAM = 'logs-beyondtrust_pra.access_session-default';

interface Status {
  sites: { name: string; eventsStored: number }[];
  outbox: { pending: number; sent: number; failed: number };
}

describe('undelivered events: site remove, run --once exit codes, retry-failed', () => {
  let pra: PraSimulator;
  let es: ElasticsearchSimulator;
  const dataDir = tempDir();
  const cli = (args: string[], input?: string) => runCli(['--data-dir', dataDir, ...args], { input });
  const status = async () => JSON.parse((await cli(['status', '--json'])).stdout) as Status;
  const addSite = (name: string) =>
    cli(['site', 'add', '--name', name, '--host', pra.host, '--client-id', DEFAULT_CLIENT.clientId, '--client-secret-stdin', '--ca-file', pra.caFile, '--interval', '2s', '--initial-interval', '2d'], DEFAULT_CLIENT.clientSecret);

  before(async () => {
    const clock = createManualClock(T);
    pra = await startPraSimulator({ now: clock.now, sessions: generateCorpus({ seed: 7, from: T - 86_400, to: T - 3600, sessions: 12, inProgressShare: 0 }) });
    es = await startElasticsearchSimulator({
      users: [{ username: 'shipper', password: 'shipper-pw', privileges: { indices: [{ names: ['logs-beyondtrust_pra.access_session-*'], privileges: ['auto_configure', 'create_doc'] }] } }],
      integrationInstalled: true,
    });
    for (const name of ['Main', 'Copy']) {
      const r = await addSite(name);
      assert.equal(r.code, 0, r.stderr);
    }
    const run = await cli(['run', '--once']);
    assert.equal(run.code, 0, run.stderr);
  });
  after(async () => {
    await pra.close();
    await es.close();
  });

  it('site remove refuses while events are undelivered, saying how many and how to go on', async () => {
    const before = await status();
    const copy = before.sites.find((s) => s.name === 'Copy')!;
    assert.ok(copy.eventsStored > 0);
    const r = await cli(['site', 'remove', 'Copy']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`Not removed: “Copy” still has ${copy.eventsStored.toLocaleString('en-US')} events not yet delivered \\(${copy.eventsStored.toLocaleString('en-US')} waiting to be sent to Elasticsearch\\)`));
    assert.match(r.stderr, /pra-ic run --once/);
    assert.match(r.stderr, /pra-ic site remove "Copy" --discard-pending/);
    assert.doesNotMatch(r.stdout, /Removed/);
    const after = await status();
    assert.deepEqual(after.sites.map((s) => s.name).sort(), ['Copy', 'Main']);
    assert.equal(after.outbox.pending, before.outbox.pending, 'nothing was discarded');
  });

  it('--discard-pending removes it with its undelivered events', async () => {
    const before = await status();
    const copy = before.sites.find((s) => s.name === 'Copy')!;
    const r = await cli(['site', 'remove', 'Copy', '--discard-pending']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Removed site “Copy”/);
    const after = await status();
    assert.deepEqual(after.sites.map((s) => s.name), ['Main']);
    assert.equal(after.outbox.pending, before.outbox.pending - copy.eventsStored);
  });

  it('run --once exits 3 when Elasticsearch rejected documents; retry-failed queues them again', async () => {
    const set = await cli(['destination', 'set', '--url', es.url, '--username', 'shipper', '--password-stdin'], 'shipper-pw');
    assert.equal(set.code, 0, set.stderr);
    // A mapping rejection of two events of the first bulk request (kept as failed until retried).
    await es.injectFaults([{ kind: 'item-400', match: (item) => item.position <= 2, count: 1 }]);
    const run = await cli(['run', '--once']);
    assert.equal(run.code, 3, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /Main: ok/);
    assert.match(run.stderr, /2 event\(s\) were rejected by Elasticsearch; see pra-ic status, fix the cause, then retry them with: pra-ic destination retry-failed/);
    const failed = await status();
    assert.equal(failed.outbox.failed, 2);
    assert.equal(failed.outbox.pending, 0);

    // The cause is fixed: retry them from the command line.
    es.clearFaults();
    const retry = await cli(['destination', 'retry-failed']);
    assert.equal(retry.code, 0, retry.stderr);
    assert.match(retry.stdout, /^2 failed event\(s\) queued again/);
    const queued = await status();
    assert.deepEqual([queued.outbox.failed, queued.outbox.pending], [0, 2]);
    const again = await cli(['run', '--once']);
    assert.equal(again.code, 0, again.stderr);
    const done = await status();
    assert.deepEqual([done.outbox.failed, done.outbox.pending], [0, 0]);
    assert.equal(es.count(STREAM), done.outbox.sent);
    assert.match((await cli(['destination', 'retry-failed'])).stdout, /No failed events/);
  });

  it('once everything is delivered, site remove needs no flag', async () => {
    const r = await cli(['site', 'remove', 'Main']);
    assert.equal(r.code, 0, r.stderr);
  });
});
