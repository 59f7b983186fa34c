import { lookup } from 'node:dns/promises';
import http from 'node:http';
import https from 'node:https';
import { isIP, type Socket } from 'node:net';
import tls, { type PeerCertificate, type TLSSocket } from 'node:tls';
import type { BackupSchedule } from '../../../shared/archive.ts';
import { SITE_TEST_STEPS, type SiteTestResult, type SiteTestStepResult } from '../../../shared/site-test.ts';
import { stepRunner } from '../step-runner.ts';
import { CredentialsRejectedError, PermissionDeniedError, PraError, ReportError } from './errors.ts';
import type { PraAccounts } from './pra-accounts.ts';
import { PraClient, REPORTING_PERMISSION, type PraClientOptions, type PraConnection } from './pra-client.ts';
import { networkProblem } from './http-failures.ts';
import { describeTlsProblem, siteSecureContext } from './tls-trust.ts';

/** Clock difference beyond which the clock step fails. */
const MAX_CLOCK_SKEW_SECONDS = 120;

/**
 * The site Test: each check in order, each reported (live, through `onStep`) with ok / failed, a
 * plain-language detail and its duration. After a failure the remaining checks are skipped: they
 * could only fail for the same reason. The secret is used, never echoed.
 */
export async function testSite(
  connection: PraConnection,
  secret: string,
  accounts: PraAccounts,
  options: {
    onStep?: (step: SiteTestStepResult) => void;
    client?: PraClientOptions;
    /**
     * The site's backups: when they are on, the last step checks that the account may take them
     * (see backupCheck, which the engine passes in: the backup module sits above this one).
     */
    backup?: { schedule: BackupSchedule; check: (client: PraClient) => Promise<string> };
  } = {},
): Promise<SiteTestResult> {
  const { hostname, port } = splitHost(connection.host);
  let client: PraClient | null = null;
  const steps = stepRunner(
    SITE_TEST_STEPS,
    (error) => (error instanceof PraError ? error.message : `Unexpected problem: ${(error as Error).message}`),
    options.onStep,
  );
  const run = steps.run;

  await run('dns', async () => {
    if (isIP(hostname)) return `${hostname} is an IP address: nothing to resolve.`;
    if (connection.proxyUrl) return `Resolved by the proxy ${new URL(connection.proxyUrl).host}.`;
    try {
      const addresses = await withTimeout(lookup(hostname, { all: true }), connection.timeoutSeconds, 'name resolution');
      return `${hostname} resolves to ${addresses.map((a) => a.address).join(', ')}.`;
    } catch (error) {
      if (error instanceof PraError) throw error;
      throw new PraError(`The name ${hostname} does not resolve (${(error as NodeJS.ErrnoException).code ?? 'error'}): check the site URL and this computer's DNS.`);
    }
  });

  await run('tls', () => checkTls(connection, hostname, port));

  await run('token', async () => {
    client = new PraClient(connection, async () => secret, accounts, options.client);
    try {
      const token = await client.freshToken();
      const minutes = Math.round((token.expiresAt - Date.now()) / 60_000);
      return `Client ID and secret accepted; the token is valid for ${minutes} minutes.`;
    } catch (error) {
      if (error instanceof CredentialsRejectedError) throw error;
      throw error instanceof PraError ? error : new PraError(String(error));
    }
  });

  await run('reporting', async () => {
    try {
      // A minimal AccessSession request (one second, ten years ago) that also learns how the site
      // words "no data" in its language.
      const learned = await client!.learnNoDataText();
      return `The API account may read access session reports (“${REPORTING_PERMISSION}”)${learned ? `. When nothing matches, the site says: “${learned}”` : ''}.`;
    } catch (error) {
      if (error instanceof ReportError && error.permissionDenied) {
        throw new PermissionDeniedError(`The API account lacks the Reporting API permission “${REPORTING_PERMISSION}”: grant it in /login → Management → API Configuration. The site said: ${error.text}`);
      }
      throw error;
    }
  });

  await run('clock', async () => {
    const observed = client?.lastServerDate;
    if (!observed) throw new PraError('The site sent no Date header, so its clock cannot be compared.');
    // The Date header has one-second resolution: differences within a second are noise.
    const skew = Math.round((observed.local - observed.server) / 1000);
    if (Math.abs(skew) <= 1) return 'This computer and the site agree on the time.';
    const words = `${Math.abs(skew)} s ${skew > 0 ? 'ahead of' : 'behind'} the site`;
    if (Math.abs(skew) > MAX_CLOCK_SKEW_SECONDS) {
      throw new PraError(`This computer's clock is ${words}. Report time windows are computed from this clock: synchronise it (Windows: Settings → Time & language → Sync now, or w32tm /resync).`);
    }
    return `This computer's clock is ${words}: close enough.`;
  });

  const backup = options.backup;
  if (!backup || backup.schedule === 'off') steps.skip('backup', 'Backups are off for this site: nothing to check.');
  else await run('backup', () => backup.check(client!));

  return steps.result();
}

export function splitHost(host: string): { hostname: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(host);
  if (bracketed) return { hostname: bracketed[1]!, port: Number(bracketed[2] ?? 443) };
  const [hostname, port] = host.split(':');
  return { hostname: hostname!, port: Number(port ?? 443) };
}

/**
 * Connects without verifying first, so that a failure can still name the certificate's subject,
 * issuer and dates; then verifies the chain and the name as the API client will.
 */
async function checkTls(connection: PraConnection, hostname: string, port: number): Promise<string> {
  const secureContext = siteSecureContext(connection.caFile);
  const socket = connection.proxyUrl ? await tunnel(connection.proxyUrl, hostname, port, connection.timeoutSeconds) : undefined;
  let pending: TLSSocket | undefined;
  const secure = await withTimeout(
    new Promise<TLSSocket>((resolve, reject) => {
      pending = tls.connect({ host: hostname, port, socket, secureContext, rejectUnauthorized: false, servername: isIP(hostname) ? undefined : hostname });
      pending.once('secureConnect', () => resolve(pending!));
      pending.once('error', reject);
    }),
    connection.timeoutSeconds,
    'the TLS handshake',
  ).catch((error: unknown) => {
    // A port that accepts TCP but never completes the handshake: close the connection, or it
    // stays open (and keeps the CLI from exiting, and leaks a socket per Test in the app).
    pending?.destroy();
    socket?.destroy();
    if (error instanceof PraError) throw error;
    throw new PraError(`Could not open a secure connection to ${connection.host}: ${networkProblem(error, connection)}.`);
  });
  try {
    const cert = secure.getPeerCertificate();
    const about = describeCertificate(cert);
    const chainProblem = secure.authorized ? null : String(secure.authorizationError);
    const nameProblem = tls.checkServerIdentity(hostname, cert);
    const code = chainProblem ?? (nameProblem ? 'ERR_TLS_CERT_ALTNAME_INVALID' : null);
    if (code) {
      throw new PraError(`${describeTlsProblem(code, connection.host) ?? `The certificate of ${connection.host} is not trusted (${code}).`} Certificate: ${about}.`);
    }
    return `${secure.getProtocol() ?? 'TLS'}; certificate ${about}.`;
  } finally {
    secure.destroy();
  }
}

function describeCertificate(cert: PeerCertificate): string {
  const name = (dn: Record<string, unknown> | undefined) =>
    dn ? Object.entries(dn).map(([k, v]) => `${k}=${Array.isArray(v) ? v.join('+') : String(v)}`).join(', ') : 'unknown';
  return `subject ${name(cert.subject as unknown as Record<string, unknown>)}; issuer ${name(cert.issuer as unknown as Record<string, unknown>)}; valid ${cert.valid_from} to ${cert.valid_to}`;
}

/** An HTTP CONNECT tunnel through the proxy, as the API client's proxy agent opens one. */
function tunnel(proxyUrl: string, hostname: string, port: number, timeoutSeconds: number): Promise<Socket> {
  const proxy = new URL(proxyUrl);
  const request = (proxy.protocol === 'https:' ? https : http).request({
    host: proxy.hostname,
    port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80),
    method: 'CONNECT',
    path: `${hostname.includes(':') ? `[${hostname}]` : hostname}:${port}`,
    headers: { host: `${hostname}:${port}` },
  });
  return withTimeout(
    new Promise<Socket>((resolve, reject) => {
      request.once('connect', (response, socket) => {
        if (response.statusCode === 200) resolve(socket);
        else {
          socket.destroy();
          reject(new PraError(`The proxy ${proxy.host} refused to connect to ${hostname}:${port} (HTTP ${response.statusCode}).`));
        }
      });
      request.once('error', (error) => reject(new PraError(`Could not reach the proxy ${proxy.host}: ${(error as NodeJS.ErrnoException).code ?? error.message}.`)));
      request.end();
    }),
    timeoutSeconds,
    'the proxy',
  ).catch((error: unknown) => {
    request.destroy(); // a proxy that never answers: close the connection to it
    throw error;
  });
}

function withTimeout<T>(promise: Promise<T>, seconds: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new PraError(`No answer from ${what} within ${seconds} s.`)), seconds * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
