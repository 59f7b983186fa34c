import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { defaultCertificates, osStoreName, systemStoreReadable } from '../tls/trust-store.ts';
import { PraError } from './errors.ts';

/**
 * The TLS context of a site's connections. What they trust: this computer's default trust
 * (tls/trust-store.ts: bundled roots, the OS store, NODE_EXTRA_CA_CERTS) plus the site's own CA
 * file, which is *added* and never replaces the default trust.
 *
 * Shared by every client that trusts the same: OpenSSL parses each of the ~150 certificates when a
 * context is built (~25 ms of CPU), and the app makes a client for every pass of every site, every
 * site test, archive pass and backup. Keyed by the CA file's text, read each time: a file replaced
 * on disk gets a context of its own. The default trust is read once per process
 * (tls/trust-store.ts), so it is not part of the key.
 */
export function siteSecureContext(caFile: string | null): tls.SecureContext {
  const own = caFile ? readCaFile(caFile) : '';
  let context = secureContexts.get(own);
  if (context === undefined) {
    // One per CA file in use: more means files keep changing; start over rather than grow.
    if (secureContexts.size >= MAX_SECURE_CONTEXTS) secureContexts.clear();
    context = tls.createSecureContext({ ca: own === '' ? defaultCertificates() : [...defaultCertificates(), own] });
    secureContexts.set(own, context);
  }
  return context;
}

const secureContexts = new Map<string, tls.SecureContext>();
const MAX_SECURE_CONTEXTS = 16;

/** The PEM text of a CA file setting, or a PraError saying what to fix. */
export function readCaFile(caFile: string): string {
  let pem: string;
  try {
    pem = readFileSync(caFile, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new PraError(`Cannot read the CA file ${caFile} (${code}). Choose a readable PEM file, or clear the CA file setting.`);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
    throw new PraError(`The CA file ${caFile} holds no PEM certificate ("-----BEGIN CERTIFICATE-----"). Export the CA certificate as Base-64 (PEM) and choose that file.`);
  }
  return pem;
}

/** The ways to make this computer trust a CA, as one clause. */
function trustAdvice(what: string, platform: NodeJS.Platform, storeReadable: boolean): string {
  const ways = [`add ${what} as the site's CA file`];
  if (storeReadable) ways.push(`install it in ${osStoreName(platform)}`);
  ways.push('name its PEM file in the NODE_EXTRA_CA_CERTS environment variable');
  const last = ways.pop()!;
  return `${ways.join(', ')}, or ${last}`;
}

/** Certificate problems in words an admin can act on. `null` when `code` is not a TLS verification error. */
export function describeTlsProblem(
  code: string | undefined,
  host: string,
  platform: NodeJS.Platform = process.platform,
  storeReadable: boolean = systemStoreReadable(),
): string | null {
  switch (code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN': {
      const advice = trustAdvice('its CA certificate', platform, storeReadable);
      return `${host} presents a self-signed certificate that this computer does not trust. ${advice[0]!.toUpperCase()}${advice.slice(1)}.`;
    }
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'CERT_UNTRUSTED': {
      const advice = trustAdvice('the issuing CA certificate', platform, storeReadable);
      return `${host} presents a certificate from an issuer this computer does not trust. ${advice[0]!.toUpperCase()}${advice.slice(1)}.`;
    }
    case 'CERT_HAS_EXPIRED':
      return `${host} presents an expired certificate. The appliance's certificate must be renewed (/appliance → Security → Certificates).`;
    case 'CERT_NOT_YET_VALID':
      return `${host} presents a certificate that is not valid yet. Check this computer's clock and the certificate's dates.`;
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `The certificate of ${host} is issued for another name. Use the site's name exactly as its certificate lists it.`;
    case 'CERT_REVOKED':
      return `The certificate of ${host} has been revoked.`;
    default:
      return null;
  }
}
