// One TLS context per trust (pra/tls-trust.ts): shared by the clients of the same CA file, a new one
// when the file's text changes, and the CA file's own errors as before.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { PraError } from '../../electron/engine/pra/errors.ts';
import { siteSecureContext } from '../../electron/engine/pra/tls-trust.ts';
import { makeTestPki } from '../support/certs.ts';
import { tempDir } from '../support/temp-dir.ts';

describe('siteSecureContext', () => {
  it('is shared while the trust is the same, and new when the CA file changes', async () => {
    const pki = await makeTestPki();
    assert.equal(siteSecureContext(null), siteSecureContext(null), 'the default trust: one context');
    const caFile = join(tempDir('pra-ctx-'), 'ca.pem');
    writeFileSync(caFile, pki.caPem);
    const a = siteSecureContext(caFile);
    assert.equal(siteSecureContext(caFile), a, 'the same file: the same context');
    assert.notEqual(a, siteSecureContext(null), 'a CA file is trusted in a context of its own');
    writeFileSync(caFile, pki.otherCaPem);
    const b = siteSecureContext(caFile);
    assert.notEqual(b, a, 'a file replaced on disk: a new context');
    writeFileSync(caFile, pki.caPem);
    assert.equal(siteSecureContext(caFile), a, 'its first text again: its first context');
  });

  it('a CA file that cannot be read or holds no certificate is still an error saying what to fix', () => {
    const dir = tempDir('pra-ctx-');
    assert.throws(() => siteSecureContext(join(dir, 'missing.pem')), (e: unknown) => e instanceof PraError && /Cannot read the CA file .*ENOENT/.test(e.message));
    const notPem = join(dir, 'ca.der');
    writeFileSync(notPem, Buffer.from([0x30, 0x82, 0x01, 0x0a]));
    assert.throws(() => siteSecureContext(notPem), /holds no PEM certificate/);
  });
});
