/**
 * The shared input checks of issue 17 (items 13–16): secrets (one check for standard input and the
 * contract), Cloud IDs decoded as the Elasticsearch client decodes them, site names compared with
 * Unicode case folding, and redaction that masks short secrets only as whole tokens.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { Logger } from '../../electron/engine/log/logger.ts';
import { redactSecrets } from '../../electron/engine/log/redact.ts';
import { validateDestination } from '../../electron/engine/elastic/destination-settings.ts';
import { parseCloudId } from '../../shared/cloud-id.ts';
import { parseInput } from '../../shared/contract.ts';
import { MAX_SECRET_LENGTH, secretProblem } from '../../shared/secret-input.ts';
import { siteNameKey } from '../../shared/site-schema.ts';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('secrets', () => {
  it('refuse control characters and absurd lengths, never quoting the secret', () => {
    for (const bad of ['abc\u0000def', 'abc\ndef', 'abc\tdef', 'abc\u007fdef', 'abc\u0085def', 'abc\u2028def']) {
      const problem = secretProblem(bad, 'The API key');
      assert.match(problem ?? '', /^The API key contains a line break, tab, NUL or other control character/, JSON.stringify(bad));
      assert.ok(!problem!.includes('abc'));
    }
    assert.match(secretProblem('x'.repeat(MAX_SECRET_LENGTH + 1), 'The password') ?? '', /too long \(4,097 characters; at most 4,096\)/);
    assert.equal(secretProblem('x'.repeat(MAX_SECRET_LENGTH), 'The password'), null);
    assert.equal(secretProblem('a good one\r\n', 'The password'), null, 'line breaks around it are dropped, spaces inside kept');
    assert.match(secretProblem(' \n', 'The password', { required: true }) ?? '', /is empty/);
    assert.equal(secretProblem('', 'The password'), null, 'empty is refused only where a secret is required');
  });

  it('are checked the same way through the contract', () => {
    const nul = parseInput('sites.add', { site: {}, clientSecret: 'abc\u0000def' });
    assert.equal(nul.ok, false);
    if (!nul.ok) assert.match(nul.error.message, /clientSecret: The secret contains a line break/);
    const long = parseInput('destination.set', { settings: {}, apiKey: 'k'.repeat(5000) });
    assert.equal(long.ok, false);
    assert.equal(parseInput('destination.set', { settings: {}, apiKey: 'id:key' }).ok, true);
    assert.equal(parseInput('sites.edit', { id: 1, patch: {}, clientSecret: null }).ok, true);
  });
});

describe('Cloud IDs', () => {
  it('refuses what does not decode to host$es-id[$kibana-id], saying what a Cloud ID looks like', () => {
    for (const bad of [':abc', `x:${b64('onlyhost')}`, `x:${b64('es.example.com$')}`, `x:${b64('$abc')}`, 'x:', 'noColon', `a:b:${b64('h.example.com$e')}`, 'x:@@@', `x:${b64('not a host$abc')}`, `x:${b64('h.example.com$a$b$c')}`]) {
      const parsed = parseCloudId(bad);
      assert.equal(parsed.ok, false, bad);
      if (!parsed.ok) assert.match(parsed.error, /A Cloud ID looks like deployment-name:base64-text/, bad);
      assert.throws(() => validateDestination({ cloudId: bad }), /Cloud ID/, bad);
    }
  });

  it('accepts real ones, as the client would connect to them', () => {
    const id = `my deployment:${b64('us-east-1.aws.found.io:443$4fa8821e75634032bed1cf22110e2f97$4fa8821e75634032bed1cf22110e2f96')}`;
    const parsed = parseCloudId(id);
    assert.ok(parsed.ok);
    assert.equal(parsed.cloudId.elasticsearchUrl, 'https://4fa8821e75634032bed1cf22110e2f97.us-east-1.aws.found.io:443');
    assert.equal(parsed.cloudId.kibanaId, '4fa8821e75634032bed1cf22110e2f96');
    // Unpadded and URL-safe base64, and no Kibana id.
    assert.ok(parseCloudId(`x:${b64('eu-west-1.aws.found.io$abc123').replace(/=+$/, '')}`).ok);
    assert.equal(validateDestination({ cloudId: id }).cloudId, id);
  });
});

describe('site names', () => {
  it('one key whatever the case or Unicode form', () => {
    const key = siteNameKey('Émile');
    for (const same of ['émile', 'ÉMILE', 'E\u0301mile', ' émile ', 'Ｅ\u0301mile']) assert.equal(siteNameKey(same), key, same);
    assert.equal(siteNameKey('Straße'), siteNameKey('STRASSE'));
    assert.equal(siteNameKey('ΟΔΟΣ'), siteNameKey('οδος'));
    assert.notEqual(siteNameKey('Emile'), key, 'an accent still makes another name');
  });
});

describe('redaction', () => {
  it('masks a short secret only as a whole token, a long one everywhere', () => {
    assert.equal(redactSecrets('Linux keychain: x rejected', ['x'], '[secret]'), 'Linux keychain: [secret] rejected');
    assert.equal(redactSecrets('token=ab1; tab1=ab1x', ['ab1'], '[s]'), 'token=[s]; tab1=ab1x');
    assert.equal(redactSecrets('key=LongSecret-123 and xLongSecret-123y', ['LongSecret-123'], '[s]'), 'key=[s] and x[s]y');
    assert.equal(redactSecrets('a.b+c? and a.b+c?', ['a.b+c?'], '[s]'), '[s] and [s]', 'regex characters are literal');
  });

  it('the log masks every secret it was given, in any length, without garbling words', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pra-ic-redact-'));
    const logger = new Logger(dir);
    logger.redact('z');
    logger.redact('p"w\\d');
    logger.info('test', 'Linux said z, then zebra, then p"w\\d');
    const line = readFileSync(path.join(dir, 'pra-ic.log'), 'utf8');
    const message = (JSON.parse(line) as { message: string }).message;
    assert.equal(message, 'Linux said [redacted], then zebra, then [redacted]');
  });
});
