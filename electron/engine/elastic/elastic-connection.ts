import { readFileSync } from 'node:fs';
import type { Client, ClientOptions } from '@elastic/elasticsearch';
import type { DestinationSettings } from '../../../shared/destination.ts';
import { defaultCertificates } from '../tls/trust-store.ts';
import { USER_AGENT } from '../version.ts';
import { DestinationError } from './destination-settings.ts';

let loading: Promise<typeof import('@elastic/elasticsearch')> | null = null;

/**
 * The client's module, loaded once, on first use: a process that only extracts (or has no
 * destination yet) never pays for it. Loading it takes the thread ~70 ms (bundled; ~150 ms from
 * node_modules). It is not loaded ahead as a run starts: there it held up the run's first requests
 * to the site, on the one thread everything waited for (bench phase 5, 8 alternating pairs twice:
 * medians 3.27 / 3.67 s with the early load, 3.06 / 3.44 s without). Loaded as the shipper's
 * client is made, once a report brings sessions (Shipper.prepare), it overlaps the store writer
 * thread parsing them, and the first batch finds the client ready.
 */
export function clientModule(): Promise<typeof import('@elastic/elasticsearch')> {
  // From node_modules, Node gives the CommonJS package's names; bundled (scripts/build-cli.ts), its
  // chunk has the package's exports as its default export only.
  type Module = typeof import('@elastic/elasticsearch');
  loading ??= import('@elastic/elasticsearch').then((mod: Module) => (typeof mod.Client === 'function' ? mod : (mod as unknown as { default: Module }).default));
  return loading;
}

/**
 * The official Elasticsearch client (@elastic/elasticsearch 8.x, which runs on Node 20), chosen
 * over a hand-made HTTP client because it already does the fiddly, security-relevant parts right:
 * Cloud ID decoding, API-key and basic auth, CA-fingerprint pinning, the `X-Elastic-Product`
 * check, compatibility headers. Its own retries are off (`maxRetries: 0`): the shipper decides
 * what to retry, item by item, against the durable outbox. (The client's bulk *helper* is not
 * used: it drops documents it cannot index, where the outbox must keep them with their reason.)
 */
export async function createElasticClient(
  settings: DestinationSettings,
  secrets: { apiKey: string | null; password: string | null },
  options: { requestTimeoutMs?: number } = {},
): Promise<Client> {
  const { Client } = await clientModule();
  const opts: ClientOptions = {
    maxRetries: 0,
    requestTimeout: options.requestTimeoutMs ?? 60_000,
    compression: false,
    headers: { 'user-agent': USER_AGENT },
  };
  if (settings.cloudId) opts.cloud = { id: settings.cloudId };
  else opts.node = settings.url!;
  if (settings.auth === 'api-key') {
    if (!secrets.apiKey) throw new DestinationError('No API key is stored for Elasticsearch: enter it in the destination settings.');
    opts.auth = { apiKey: secrets.apiKey };
  } else if (settings.auth === 'basic') {
    if (!secrets.password) throw new DestinationError('No password is stored for Elasticsearch: enter it in the destination settings.');
    opts.auth = { username: settings.username ?? '', password: secrets.password };
  }
  if (settings.caFile) {
    let ca: string;
    try {
      ca = readFileSync(settings.caFile, 'utf8');
    } catch (error) {
      throw new DestinationError(`Cannot read the CA file ${settings.caFile} (${(error as NodeJS.ErrnoException).code ?? 'error'}).`);
    }
    // Added to this computer's default trust (bundled roots, OS store, NODE_EXTRA_CA_CERTS), not
    // instead of it: an explicit `ca` list alone would drop NODE_EXTRA_CA_CERTS.
    opts.tls = { ca: [...defaultCertificates(), ca] };
  }
  if (settings.caFingerprint) opts.caFingerprint = settings.caFingerprint;
  return new Client(opts);
}

/** An error from the client in words an admin can act on. */
export function describeElasticError(error: unknown): string {
  const e = error as { name?: string; message?: string; meta?: { statusCode?: number; body?: unknown }; code?: string };
  const status = e.meta?.statusCode;
  const reason = errorReason(e.meta?.body);
  if (e.name === 'ProductNotSupportedError') return 'The server did not identify itself as Elasticsearch (no X-Elastic-Product header): check the URL.';
  if (status === 401) return `Elasticsearch rejected the credentials (HTTP 401)${reason ? `: ${reason}` : ''}. Check the API key or user name and password.`;
  if (status === 403) return `Elasticsearch refused the request (HTTP 403)${reason ? `: ${reason}` : ''}. The API key or user lacks a privilege.`;
  if (status === 413) {
    return 'Elasticsearch refused a request as too large (HTTP 413): its http.max_content_length, or the body limit of a proxy in front of it (nginx: client_max_body_size), is below the size of the requests. Requests are made smaller; a document too large on its own is kept as failed.';
  }
  if (status) return `Elasticsearch answered HTTP ${status}${reason ? `: ${reason}` : ''}.`;
  const cause = (error as { cause?: { code?: string } }).cause?.code ?? e.code;
  if (e.name === 'ConnectionError' || e.name === 'TimeoutError') {
    return `Elasticsearch cannot be reached (${e.message ?? cause ?? e.name}). Check the URL, the network and that the cluster is up.`;
  }
  return e.message ?? String(error);
}

/** HTTP 413: the request's body is larger than Elasticsearch (http.max_content_length) or a proxy in front of it accepts. */
export function isBodyTooLarge(error: unknown): boolean {
  return (error as { meta?: { statusCode?: number } } | null)?.meta?.statusCode === 413;
}

export function errorReason(body: unknown): string | null {
  const err = (body as { error?: unknown } | undefined)?.error;
  if (typeof err === 'string') return err;
  const reason = (err as { reason?: unknown; type?: unknown } | undefined)?.reason;
  const type = (err as { type?: unknown } | undefined)?.type;
  if (typeof reason === 'string') return typeof type === 'string' ? `${type}: ${reason}` : reason;
  return null;
}
