// A loopback Elasticsearch simulator for tests, written from Elasticsearch's documented behaviour (see the
// comment at the top of each module for the documented facts it relies on). It is not shaped around any
// client: talk to it with plain HTTP.
//
//   const es = await startElasticsearchSimulator({ apiKeys: [{ id: 'k1', key: 's3cret', privileges }] });
//   await fetch(`${es.url}/_bulk`, { method: 'POST', headers: { authorization: `ApiKey ${b64('k1:s3cret')}`,
//     'content-type': 'application/x-ndjson' }, body: '{"create":{"_index":"logs-x-default","_id":"1"}}\n{...}\n' });
//   es.documents('logs-x-default');  es.injectFaults([{ kind: 'status', status: 503, count: 2 }]);  await es.close();
//
// Modules: http.ts (size limit, media types, responses) · auth.ts (credentials, 401s, authenticate API) ·
// privileges.ts (privilege model, has_privileges, 403s) · ndjson.ts (strict bulk body parser) · bulk.ts
// (executing operations) · store.ts (templates, pipelines, indices, data streams, documents) · assets.ts (the
// integration's Fleet assets, built-in templates) · pipeline.ts (what the ingest pipelines do) · faults.ts
// (fault injection) · params.ts (query parameters) · filter-path.ts · json.ts (strict JSON) · listener.ts
// (HTTP/HTTPS listener, outages) · routes.ts (dispatch and endpoints) · kibana.ts (Fleet stub).

import { CredentialStore, type ApiKeyCredential, type UserCredential } from './auth.ts';
import { DEFAULT_INTEGRATION_VERSION, installBuiltinTemplates, installIntegration, integrationPipelineId, removeIntegration, TEMPLATE_NAME, type InstalledAsset } from './assets.ts';
import { FaultQueue, type Fault } from './faults.ts';
import { parseByteSize } from './http.ts';
import { startListener, type TlsOptions } from './listener.ts';
import { SUPERUSER, type Privileges } from './privileges.ts';
import { handler, type BulkRequestLog, type RequestLog, type SimState } from './routes.ts';
import { ClusterStore, type DataStreamState, type StoredDocument } from './store.ts';

export type { ApiKeyCredential, UserCredential } from './auth.ts';
export type { Fault, BulkItemView } from './faults.ts';
export type { Privileges, IndexGrant } from './privileges.ts';
export type { StoredDocument } from './store.ts';
export type { BulkRequestLog, RequestLog } from './routes.ts';
export type { InstalledAsset } from './assets.ts';
export type { TlsOptions } from './listener.ts';
export { integrationPipelineId, TEMPLATE_NAME as INTEGRATION_TEMPLATE_NAME, DEFAULT_INTEGRATION_VERSION } from './assets.ts';

export interface ElasticsearchSimulatorOptions {
  /** Reported version (root API); its major drives REST compatibility checks. Default "8.17.0". */
  version?: string;
  clusterName?: string;
  nodeName?: string;
  apiKeys?: ApiKeyCredential[];
  users?: UserCredential[];
  /** Accept requests without credentials as the anonymous user (true = superuser privileges). */
  anonymous?: boolean | Privileges;
  /** Serve HTTPS with this key and certificate (PEM). */
  tls?: TlsOptions;
  host?: string;
  port?: number;
  /** http.max_content_length: bytes or "100mb" (default). */
  maxContentLength?: number | string;
  /** Install the integration's assets at start (default false). */
  integrationInstalled?: boolean;
  /** Package version whose pipeline name is used (default 0.3.0). */
  integrationVersion?: string;
  /** The stack's built-in logs-*-* / metrics-*-* templates (default true, as in Elasticsearch 8). */
  builtinTemplates?: boolean;
  /**
   * Reject bulk action lines with more than one key or trailing data (default true: what 9.x does, and what
   * a correct client never sends). false = 8.x leniency: accepted, with a deprecation `Warning` header.
   */
  strictBulkActionLines?: boolean;
  /** Clock for backing index dates, event.ingested and expirations. */
  now?: () => Date;
  /**
   * Delay every `_bulk` answer by this many milliseconds (default 0), as the network round trip to a real
   * cluster does (tens of ms). The documents are indexed before the delay, as a real cluster has indexed
   * them before its answer travels back. Changeable later with `setBulkLatency`.
   */
  bulkLatencyMs?: number;
}

export interface DataStreamInfo {
  name: string;
  template: string;
  indices: string[];
  defaultPipeline: string | null;
}

export interface ElasticsearchSimulator {
  readonly url: string;
  readonly port: number;
  readonly version: string;
  close(): Promise<void>;

  /** Install (or upgrade) the integration's index template and versioned ingest pipeline. */
  installIntegrationAssets(version?: string): InstalledAsset[];
  removeIntegrationAssets(): void;
  integrationAssetsInstalled(): boolean;
  /** The installed integration version, or null. */
  integrationVersion(): string | null;

  /** Queue faults for the following `_bulk` requests (a `down` fault takes effect at once). */
  injectFaults(faults: Fault[]): Promise<void>;
  clearFaults(): void;
  pendingFaults(): Fault[];
  /** Refuse connections (`refuse`: nothing listens; `reset`: connections are accepted and dropped). */
  down(mode?: 'refuse' | 'reset'): Promise<void>;
  up(): Promise<void>;
  isDown(): boolean;

  /** Stored documents of a data stream / index / pattern (all when omitted), in write order. */
  documents(target?: string): StoredDocument[];
  count(target?: string): number;
  dataStreams(): DataStreamInfo[];
  readonly bulkRequests: readonly BulkRequestLog[];
  readonly requests: readonly RequestLog[];
  /** Delay of every following `_bulk` answer (see `bulkLatencyMs`). */
  setBulkLatency(ms: number): void;
  /** Forget documents, data streams, logs and faults (templates, pipelines and credentials stay). */
  reset(): void;

  addApiKey(key: ApiKeyCredential): void;
  invalidateApiKey(id: string): void;
  addUser(user: UserCredential): void;
  removeUser(username: string): void;
  /** The credential store (used by the Kibana stub to authenticate the same credentials). */
  readonly credentials: CredentialStore;
}

export async function startElasticsearchSimulator(options: ElasticsearchSimulatorOptions = {}): Promise<ElasticsearchSimulator> {
  const now = options.now ?? (() => new Date());
  const version = options.version ?? '8.17.0';
  const store = new ClusterStore(now);
  if (options.builtinTemplates !== false) installBuiltinTemplates(store);
  let installedVersion: string | null = null;
  const install = (v = options.integrationVersion ?? DEFAULT_INTEGRATION_VERSION): InstalledAsset[] => {
    installedVersion = v;
    return installIntegration(store, v);
  };
  if (options.integrationInstalled) install();

  const anonymous = options.anonymous === true ? SUPERUSER : options.anonymous ? options.anonymous : null;
  const creds = new CredentialStore(options.apiKeys ?? [], options.users ?? [], anonymous, () => now().getTime());
  const faults = new FaultQueue();
  const bulkRequests: BulkRequestLog[] = [];
  const requests: RequestLog[] = [];
  const state: SimState = {
    store,
    creds,
    faults,
    now,
    version,
    clusterName: options.clusterName ?? 'pra-simulator',
    nodeName: options.nodeName ?? 'es-sim-1',
    maxContentLength: parseByteSize(options.maxContentLength),
    strictBulk: options.strictBulkActionLines ?? true,
    bulkRequests,
    requests,
    bulkLatencyMs: options.bulkLatencyMs ?? 0,
  };
  const listener = await startListener(handler(state), { tls: options.tls, host: options.host, port: options.port });

  return {
    url: listener.url,
    port: listener.port,
    version,
    close: () => listener.close(),

    installIntegrationAssets: (v?: string) => install(v),
    removeIntegrationAssets() {
      installedVersion = null;
      removeIntegration(store);
    },
    integrationAssetsInstalled: () => store.indexTemplates.has(TEMPLATE_NAME) && installedVersion !== null && store.pipelines.has(integrationPipelineId(installedVersion)),
    integrationVersion: () => installedVersion,

    async injectFaults(list: Fault[]) {
      faults.add(list);
      const down = list.find((f): f is Extract<Fault, { kind: 'down' }> => f.kind === 'down');
      if (down) await listener.down(down.mode ?? 'refuse');
    },
    clearFaults: () => faults.clear(),
    pendingFaults: () => faults.pending(),
    down: (mode = 'refuse') => listener.down(mode),
    up: () => listener.up(),
    isDown: () => listener.state !== 'up',

    documents: (target?: string) => store.documents(target),
    count: (target?: string) => store.documents(target).length,
    dataStreams: () =>
      [...store.dataStreams.values()].map((d: DataStreamState) => ({
        name: d.name,
        template: d.template,
        indices: [...d.indices],
        defaultPipeline: store.indices.get(d.indices[d.indices.length - 1] as string)?.defaultPipeline ?? null,
      })),
    bulkRequests,
    requests,
    setBulkLatency(ms: number) {
      state.bulkLatencyMs = ms;
    },
    reset() {
      store.clearDocuments();
      bulkRequests.length = 0;
      requests.length = 0;
      faults.clear();
    },

    addApiKey: (key) => void creds.apiKeys.set(key.id, { ...key }),
    invalidateApiKey(id) {
      const k = creds.apiKeys.get(id);
      if (k) k.invalidated = true;
    },
    addUser: (user) => void creds.users.set(user.username, { ...user }),
    removeUser: (username) => void creds.users.delete(username),
    credentials: creds,
  };
}

export { startKibanaSimulator } from './kibana.ts';
export type { KibanaSimulator, KibanaSimulatorOptions } from './kibana.ts';
