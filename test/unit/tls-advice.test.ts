import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { networkProblem } from '../../electron/engine/pra/http-failures.ts';
import { describeTlsProblem } from '../../electron/engine/pra/tls-trust.ts';

describe('TLS advice', () => {
  it('names the store of the operating system it runs on, and NODE_EXTRA_CA_CERTS', () => {
    const on = (platform: NodeJS.Platform) => describeTlsProblem('SELF_SIGNED_CERT_IN_CHAIN', 'pra.example.com', platform, true)!;
    assert.match(on('win32'), /install it in the Windows certificate store/);
    assert.match(on('darwin'), /install it in the macOS Keychain/);
    assert.match(on('linux'), /install it in the system CA store \(Debian\/Ubuntu: copy it as a \.crt file into \/usr\/local\/share\/ca-certificates\/ and run update-ca-certificates\)/);
    for (const platform of ['darwin', 'linux'] as const) assert.doesNotMatch(on(platform), /Windows/);
    for (const platform of ['win32', 'darwin', 'linux'] as const) assert.match(on(platform), /NODE_EXTRA_CA_CERTS environment variable\.$/);
    // A runtime that cannot read the OS store does not send the admin there.
    const unreadable = describeTlsProblem('UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'pra.example.com', 'darwin', false)!;
    assert.equal(unreadable, "pra.example.com presents a certificate from an issuer this computer does not trust. Add the issuing CA certificate as the site's CA file, or name its PEM file in the NODE_EXTRA_CA_CERTS environment variable.");
  });

  it('a TLS problem inside a sentence has no doubled full stop', () => {
    const sentence = `Could not reach pra.example.com: ${networkProblem({ code: 'CERT_HAS_EXPIRED' }, { host: 'pra.example.com', timeoutSeconds: 30 })}.`;
    assert.ok(!sentence.includes('..'), sentence);
    assert.match(sentence, /renewed \(\/appliance → Security → Certificates\)\.$/);
    const plain = `Could not reach x: ${networkProblem(new Error('socket hang up.'), { host: 'x', timeoutSeconds: 30 })}.`;
    assert.equal(plain, 'Could not reach x: socket hang up.');
  });
});
