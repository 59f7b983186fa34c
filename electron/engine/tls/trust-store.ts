import { existsSync, readFileSync } from 'node:fs';
import tls from 'node:tls';

/**
 * The certificate authorities this computer trusts by default, for every TLS client of the engine
 * (PRA sites, Elasticsearch), all *added* together:
 * - Node's bundled roots;
 * - the operating system's store where the runtime can read it: Node's system-CA support (present
 *   in Electron's Node: the Windows store, the macOS Keychain), else on Linux the distribution's CA
 *   bundle file (/etc/ssl/certs/ca-certificates.crt on Debian, kept by update-ca-certificates);
 * - the certificates named by NODE_EXTRA_CA_CERTS, the usual way to give Node a private CA (Node
 *   adds them to its *default* trust only, which any explicit `ca` list replaces: so we add them).
 * A connection's own CA file comes on top (see pra/tls-trust.ts, elastic/elastic-connection.ts).
 */
let defaultTrust: string[] | null = null;

type GetCACertificates = (type: 'system' | 'extra' | 'bundled' | 'default') => string[];
const getCACertificates = (tls as unknown as { getCACertificates?: GetCACertificates }).getCACertificates;

/** The CA bundle files of the main Linux distributions (what OpenSSL itself reads there). */
const LINUX_CA_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/ca-bundle.pem', '/etc/ssl/cert.pem'];

function linuxBundle(): string | null {
  if (process.platform !== 'linux') return null;
  for (const file of LINUX_CA_BUNDLES) {
    try {
      if (existsSync(file)) return readFileSync(file, 'utf8');
    } catch {
      // unreadable: try the next one
    }
  }
  return null;
}

/** Whether this runtime reads the operating system's certificate store (so the advice to install a CA there is true). */
export function systemStoreReadable(): boolean {
  return typeof getCACertificates === 'function' || process.platform === 'linux';
}

function systemCertificates(): string[] {
  if (typeof getCACertificates === 'function') {
    try {
      return getCACertificates('system');
    } catch {
      return []; // The store can be unreadable (no permission, no store): the bundled roots still apply.
    }
  }
  const bundle = linuxBundle();
  return bundle ? [bundle] : [];
}

/** NODE_EXTRA_CA_CERTS, read as Node reads it (a PEM file of one or more certificates). */
export function extraCertificates(env: NodeJS.ProcessEnv = process.env): string[] {
  if (typeof getCACertificates === 'function' && env === process.env) {
    try {
      return getCACertificates('extra');
    } catch {
      // fall through to reading the file ourselves
    }
  }
  const file = env.NODE_EXTRA_CA_CERTS;
  if (!file) return [];
  try {
    const pem = readFileSync(file, 'utf8');
    return pem.includes('-----BEGIN CERTIFICATE-----') ? [pem] : [];
  } catch {
    return []; // Node itself warns at start when the file cannot be read.
  }
}

export function defaultCertificates(): string[] {
  defaultTrust ??= distinctCertificates([...tls.rootCertificates, ...systemCertificates(), ...extraCertificates()]);
  return defaultTrust;
}

/**
 * Each certificate once, in the order first seen: the PEM texts cut into single certificates and
 * compared by their base64 body (the same certificate is often written with other line breaks).
 * A Linux distribution's bundle repeats nearly all of Node's bundled roots (on Debian, 138 of its
 * 150), and OpenSSL reads every certificate of a `ca` list at each TLS client's creation: ~40 ms
 * of a run's start with them twice, ~20 ms once. A text with no certificate block, or with a block
 * of another kind, is kept as it is (TLS reads it, or reports on it, as before).
 */
export function distinctCertificates(pems: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const pem of pems) {
    // A text holding any other kind of block (e.g. OpenSSL's TRUSTED CERTIFICATE) is kept whole.
    const blocks = pem.replace(PEM_BLOCK, '').includes('-----BEGIN') ? null : pem.match(PEM_BLOCK);
    for (const block of blocks ?? [pem]) {
      const key = block.replace(PEM_NOISE, '');
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(block);
    }
  }
  return out;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[^-]*-----END CERTIFICATE-----/g;
const PEM_NOISE = /-----(BEGIN|END) CERTIFICATE-----|\s/g;

/** Where an admin installs a CA on this operating system so that this program trusts it. */
export function osStoreName(platform: NodeJS.Platform = process.platform): string {
  switch (platform) {
    case 'win32':
      return 'the Windows certificate store (Trusted Root Certification Authorities)';
    case 'darwin':
      return 'the macOS Keychain (System keychain, marked as trusted)';
    default:
      return 'the system CA store (Debian/Ubuntu: copy it as a .crt file into /usr/local/share/ca-certificates/ and run update-ca-certificates)';
  }
}
