/**
 * A private CA given to Node the usual way, NODE_EXTRA_CA_CERTS, is trusted for Elasticsearch too,
 * also when the destination has a CA file of its own (an explicit `ca` list replaces Node's
 * default trust, NODE_EXTRA_CA_CERTS included, unless the client adds it back). Node reads the
 * variable at process start, so each case runs in a fresh child process.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startElasticsearchSimulator, type ElasticsearchSimulator } from '../simulators/elasticsearch/index.ts';
import { makeTestPki, type TestPki } from '../support/certs.ts';

const CONNECTION = fileURLToPath(new URL('../../electron/engine/elastic/elastic-connection.ts', import.meta.url));

describe('Elasticsearch over TLS with NODE_EXTRA_CA_CERTS (child processes)', () => {
  let es: ElasticsearchSimulator;
  let pki: TestPki;
  let otherCaFile = '';

  before(async () => {
    pki = await makeTestPki();
    es = await startElasticsearchSimulator({ tls: { key: pki.serverKeyPem, cert: pki.serverCertPem }, anonymous: true });
    otherCaFile = `${pki.dir}/elastic-other-ca.pem`;
    writeFileSync(otherCaFile, pki.otherCaPem);
  });
  after(() => es?.close());

  /** `GET /` through the engine's client from a fresh process; prints "ok" or the error in words. */
  function infoFromChild(extraCa: string | undefined, caFile: string | null): Promise<string> {
    const settings = { url: es.url, cloudId: null, auth: 'none', username: null, caFile, caFingerprint: null, namespace: 'default', kibanaUrl: null };
    const script = `
      import { createElasticClient, describeElasticError } from ${JSON.stringify(CONNECTION)};
      const client = await createElasticClient(${JSON.stringify(settings)}, { apiKey: null, password: null });
      await client.info().then(() => console.log('ok'), (e) => console.log(describeElasticError(e)));
      await client.close();
    `;
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    if (extraCa) env.NODE_EXTRA_CA_CERTS = extraCa;
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', reject);
      child.on('close', () => resolve(out.trim() || `no output; stderr: ${err}`));
    });
  }

  it('trusted through NODE_EXTRA_CA_CERTS, with or without a destination CA file of another CA', { timeout: 60_000 }, async () => {
    assert.match(es.url, /^https:/);
    assert.notEqual(await infoFromChild(undefined, otherCaFile), 'ok', 'the control: the other CA alone does not vouch for the server');
    assert.equal(await infoFromChild(pki.caFile, null), 'ok');
    assert.equal(await infoFromChild(pki.caFile, otherCaFile), 'ok', 'the CA file adds to the trust, it does not replace NODE_EXTRA_CA_CERTS');
  });
});
