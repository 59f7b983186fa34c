import { readFileSync } from 'node:fs';
import tls from 'node:tls';
import { PraError } from './errors.ts';

/**
 * Which certificate authorities a site's TLS connection trusts: Node's bundled roots, plus the
 * operating system's store where the runtime can read it (Node's system-CA support, present in
 * Electron's Node, so a site behind an internal CA installed on the workstation just works), plus
 * the site's own CA file. The CA file is *added*: it never replaces the default trust.
 */
let defaultTrust: string[] | null = null;

function systemCertificates(): string[] {
  const getCACertificates = (tls as unknown as { getCACertificates?: (type: string) => string[] }).getCACertificates;
  if (typeof getCACertificates !== 'function') return [];
  try {
    return getCACertificates('system');
  } catch {
    return []; // The store can be unreadable (no permission, no store): the bundled roots still apply.
  }
}

export function defaultCertificates(): string[] {
  defaultTrust ??= [...new Set([...tls.rootCertificates, ...systemCertificates()])];
  return defaultTrust;
}

export function trustedCertificates(caFile: string | null): string[] {
  if (!caFile) return defaultCertificates();
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
  return [...defaultCertificates(), pem];
}

/** Certificate problems in words an admin can act on. `null` when `code` is not a TLS verification error. */
export function describeTlsProblem(code: string | undefined, host: string): string | null {
  switch (code) {
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
      return `${host} presents a self-signed certificate that this computer does not trust. Add its CA certificate as the site's CA file, or install it in the Windows certificate store.`;
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY':
    case 'UNABLE_TO_GET_ISSUER_CERT':
    case 'CERT_UNTRUSTED':
      return `${host} presents a certificate from an issuer this computer does not trust. Add the issuing CA certificate as the site's CA file, or install it in the Windows certificate store.`;
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
