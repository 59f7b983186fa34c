// Test certificates, made at test time with the `openssl` CLI (no certificate is committed, so none
// can expire in the repository). One small PKI per process is enough for every test: a CA, a server
// certificate it signed for 127.0.0.1/localhost, and the broken certificates that TLS failure tests
// need (self-signed, expired, wrong host name, signed by a CA nobody trusts).
//
// EC P-256 keys keep generation fast (a few milliseconds each, RSA would take far longer).
// `openssl` runs through spawnSync with an argument vector: no shell, so paths need no quoting.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A certificate with its private key, both as PEM text and as files (for APIs that want paths). */
export interface CertPair {
  certPem: string;
  keyPem: string;
  certFile: string;
  keyFile: string;
}

export interface TestPki {
  /** Temp directory holding every file below; removed when the process exits. */
  dir: string;
  /** The test CA: trust this (`ca: caPem` or a `caFile` setting) to accept `server`, `expired`, `wrongHost`. */
  caPem: string;
  caFile: string;
  /** CA-signed server certificate, SAN IP:127.0.0.1 and DNS:localhost, valid from yesterday for 825 days. */
  serverCertPem: string;
  serverKeyPem: string;
  serverCertFile: string;
  serverKeyFile: string;
  server: CertPair;
  /** Self-signed (no CA) certificate for 127.0.0.1/localhost: fails verification against `caPem`. */
  selfSigned: CertPair;
  /** CA-signed certificate for 127.0.0.1/localhost that expired in February 2020. */
  expired: CertPair;
  /** CA-signed, valid, but only for DNS:wrong.example.com: fails the host name check on 127.0.0.1. */
  wrongHost: CertPair;
  /** Valid for 127.0.0.1/localhost but signed by a second CA (`otherCaPem`) that the tests do not trust. */
  untrustedCa: CertPair;
  otherCaPem: string;
}

export interface TestPkiOptions {
  /** Make a new PKI instead of the per-process cached one. */
  fresh?: boolean;
}

let cached: Promise<TestPki> | undefined;

/** The per-process test PKI (made on first call, then shared). */
export async function makeTestPki(opts: TestPkiOptions = {}): Promise<TestPki> {
  if (opts.fresh) return buildPki();
  cached ??= buildPki();
  return cached;
}

const LOCAL_SANS = 'IP:127.0.0.1,DNS:localhost';

function openssl(args: string[], cwd: string): void {
  const run = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (run.error) throw new Error(`openssl could not start (is it installed?): ${run.error.message}`);
  if (run.status !== 0) {
    throw new Error(`openssl ${args.join(' ')} failed (${run.status}): ${run.stderr.trim()}`);
  }
}

/** YYYYMMDDHHMMSSZ, the date format of `openssl ca -startdate/-enddate`. */
function asn1Time(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, '').replace(/\.\d{3}Z$/, 'Z');
}

function newKey(dir: string, name: string): string {
  const file = join(dir, `${name}.key`);
  openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', file], dir);
  return file;
}

function pair(certFile: string, keyFile: string): CertPair {
  return { certFile, keyFile, certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
}

function makeCa(dir: string, name: string, commonName: string): CertPair {
  const keyFile = newKey(dir, name);
  const certFile = join(dir, `${name}.pem`);
  openssl([
    'req', '-x509', '-new', '-key', keyFile, '-subj', `/CN=${commonName}`, '-days', '3650', '-sha256',
    '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
    '-out', certFile,
  ], dir);
  return pair(certFile, keyFile);
}

/** A minimal `openssl ca` setup: unlike `x509 -req`, it can set any validity window (an expired one). */
function writeCaConfig(dir: string, ca: CertPair, name: string): string {
  const db = join(dir, `${name}-index.txt`);
  const serial = join(dir, `${name}-serial.txt`);
  writeFileSync(db, '');
  writeFileSync(serial, `${(Date.now() % 0xffffff).toString(16).padStart(6, '0')}01\n`);
  const config = join(dir, `${name}.cnf`);
  writeFileSync(config, [
    '[ ca ]',
    'default_ca = test_ca',
    '[ test_ca ]',
    `database = ${db}`,
    `serial = ${serial}`,
    `new_certs_dir = ${dir}`,
    `certificate = ${ca.certFile}`,
    `private_key = ${ca.keyFile}`,
    'default_md = sha256',
    'policy = any_policy',
    'unique_subject = no',
    'copy_extensions = none',
    '[ any_policy ]',
    'commonName = supplied',
    '[ local_server ]',
    `subjectAltName = ${LOCAL_SANS}`,
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature',
    'extendedKeyUsage = serverAuth',
    '[ wrong_host ]',
    'subjectAltName = DNS:wrong.example.com',
    'basicConstraints = critical,CA:FALSE',
    'keyUsage = critical,digitalSignature',
    'extendedKeyUsage = serverAuth',
    '',
  ].join('\n'));
  return config;
}

function signed(dir: string, config: string, name: string, commonName: string, profile: string, from: Date, to: Date): CertPair {
  const keyFile = newKey(dir, name);
  const csr = join(dir, `${name}.csr`);
  const certFile = join(dir, `${name}.pem`);
  openssl(['req', '-new', '-key', keyFile, '-subj', `/CN=${commonName}`, '-out', csr], dir);
  openssl([
    'ca', '-batch', '-notext', '-config', config, '-in', csr, '-out', certFile, '-extensions', profile,
    '-startdate', asn1Time(from), '-enddate', asn1Time(to),
  ], dir);
  return pair(certFile, keyFile);
}

async function buildPki(): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), 'pra-test-pki-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));

  const day = 24 * 3600 * 1000;
  const yesterday = new Date(Date.now() - day);
  const later = new Date(Date.now() + 825 * day);

  const ca = makeCa(dir, 'ca', 'PRA Simulator Test CA');
  const config = writeCaConfig(dir, ca, 'ca');
  const server = signed(dir, config, 'server', 'localhost', 'local_server', yesterday, later);
  const expired = signed(dir, config, 'expired', 'localhost', 'local_server', new Date('2020-01-01T00:00:00Z'), new Date('2020-02-01T00:00:00Z'));
  const wrongHost = signed(dir, config, 'wrong-host', 'wrong.example.com', 'wrong_host', yesterday, later);

  const otherCa = makeCa(dir, 'other-ca', 'Untrusted Test CA');
  const otherConfig = writeCaConfig(dir, otherCa, 'other-ca');
  const untrustedCa = signed(dir, otherConfig, 'untrusted', 'localhost', 'local_server', yesterday, later);

  const selfKey = newKey(dir, 'self-signed');
  const selfCert = join(dir, 'self-signed.pem');
  openssl([
    'req', '-x509', '-new', '-key', selfKey, '-subj', '/CN=localhost', '-days', '30', '-sha256',
    '-addext', `subjectAltName=${LOCAL_SANS}`,
    '-addext', 'basicConstraints=critical,CA:FALSE',
    '-addext', 'extendedKeyUsage=serverAuth',
    '-out', selfCert,
  ], dir);

  return {
    dir,
    caPem: ca.certPem,
    caFile: ca.certFile,
    serverCertPem: server.certPem,
    serverKeyPem: server.keyPem,
    serverCertFile: server.certFile,
    serverKeyFile: server.keyFile,
    server,
    selfSigned: pair(selfCert, selfKey),
    expired,
    wrongHost,
    untrustedCa,
    otherCaPem: otherCa.certPem,
  };
}
