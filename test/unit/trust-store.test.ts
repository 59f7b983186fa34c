// The default trust lists each certificate once (trust-store.ts): Node's bundled roots, the
// system's bundle (which repeats most of them) and NODE_EXTRA_CA_CERTS, cut into certificates.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import tls from 'node:tls';
import { describe, it } from 'node:test';
import { defaultCertificates, distinctCertificates } from '../../electron/engine/tls/trust-store.ts';

const body = (pem: string) => pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
/** The same certificate with its base64 wrapped at another width (as bundles write it). */
function rewrapped(pem: string, width: number): string {
  const b64 = body(pem);
  const lines = b64.match(new RegExp(`.{1,${width}}`, 'g'))!;
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

describe('the default trust', () => {
  const [a, b, c] = tls.rootCertificates as [string, string, string];

  it('cuts PEM texts into certificates and keeps each once, first seen first', () => {
    const bundle = `# a comment\n${rewrapped(b, 76)}\n${rewrapped(a, 76)}${c}`;
    const out = distinctCertificates([a, b, bundle]);
    assert.deepEqual(out.map(body), [a, b, c].map(body));
    assert.equal(out[0], a, 'a certificate seen first is kept as written');
  });

  it('keeps a text with another kind of block, or with none, whole', () => {
    const trusted = `${c}\n-----BEGIN TRUSTED CERTIFICATE-----\n${body(a)}\n-----END TRUSTED CERTIFICATE-----\n`;
    const notPem = 'not a certificate';
    assert.deepEqual(distinctCertificates([a, trusted, notPem, notPem]), [a, trusted, notPem]);
  });

  it("holds every bundled root and the system bundle's own certificates, none twice", () => {
    const trust = defaultCertificates();
    const bodies = trust.map(body);
    assert.equal(new Set(bodies).size, bodies.length, 'a certificate listed twice');
    const held = new Set(bodies);
    for (const root of tls.rootCertificates) assert.ok(held.has(body(root)), 'a bundled root is missing');
    const bundleFile = '/etc/ssl/certs/ca-certificates.crt';
    if (process.platform === 'linux' && existsSync(bundleFile)) {
      const system = readFileSync(bundleFile, 'utf8').match(/-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g) ?? [];
      assert.ok(system.length > 0);
      for (const cert of system) assert.ok(held.has(body(cert)), 'a certificate of the system bundle is missing');
      assert.ok(trust.length < tls.rootCertificates.length + system.length, 'the certificates both hold are listed once');
    }
    // What TLS is given still makes a working context.
    assert.doesNotThrow(() => tls.createSecureContext({ ca: trust }));
  });
});
