// A small Kibana stub: the Fleet "EPM" (Elastic Package Manager) endpoints that install Elastic's
// BeyondTrust PRA integration into the Elasticsearch simulator, and the status API.
//
// Documented behaviour relied on (Kibana API reference, Fleet > "Install package from registry",
// "Get a package", "Delete a package"; Kibana "API conventions"):
// - `POST /api/fleet/epm/packages/{pkgName}[/{pkgVersion}]`, optional body `{ force, ignore_constraints }`,
//   answers 200 `{ items: [{ id, type }...], _meta: { install_source: "registry", name } }`.
// - `GET /api/fleet/epm/packages/{pkgName}[/{pkgVersion}]` answers `{ item: { name, version, title, status:
//   "installed" | "not_installed", installationInfo? }, metadata }`.
// - `DELETE /api/fleet/epm/packages/{pkgName}/{pkgVersion}` uninstalls and answers `{ items: [...] }`.
// - Every request that is not GET/HEAD must carry `kbn-xsrf` (any value): else 400
//   `{"statusCode":400,"error":"Bad Request","message":"Request must contain a kbn-xsrf header."}`;
//   the check runs after authentication.
// - Kibana authenticates with Elasticsearch's credentials (Basic or ApiKey); none or bad: 401
//   `{"statusCode":401,"error":"Unauthorized","message":"Unauthorized"}`. Fleet routes need Kibana
//   privileges (integrations all); without them: 403.
// - `GET /api/status` answers 200 `{ name, uuid, version: { number, ... }, status: { overall: { level } } }`
//   to an authenticated caller (401 without credentials, status.allowAnonymous being false by default).
// Kibana's answers are Boom errors `{ statusCode, error, message }` and carry no X-Elastic-Product.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

import type { Identity } from './auth.ts';
import { PACKAGE_NAME, DEFAULT_INTEGRATION_VERSION, type InstalledAsset } from './assets.ts';
import type { ElasticsearchSimulator } from './index.ts';
import { startListener, type TlsOptions } from './listener.ts';

export interface KibanaSimulatorOptions {
  elasticsearch: ElasticsearchSimulator;
  /** Reported Kibana version (default: the Elasticsearch simulator's). */
  version?: string;
  /** Package versions the "registry" offers (default ["0.3.0"]); the last is the latest. */
  availableVersions?: string[];
  /** May this caller install/remove integrations? Default: superusers (cluster privilege `all`). */
  canManageIntegrations?: (identity: Identity) => boolean;
  tls?: TlsOptions;
  host?: string;
  port?: number;
}

export interface KibanaRequestLog {
  at: Date;
  method: string;
  path: string;
  status: number;
}

export interface KibanaSimulator {
  readonly url: string;
  readonly port: number;
  readonly requests: readonly KibanaRequestLog[];
  down(mode?: 'refuse' | 'reset'): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

const PACKAGE_TITLE = 'BeyondTrust PRA';
const DASHBOARD_ID = 'beyondtrust_pra-access-session-overview';

function boom(status: number, message: string): Record<string, unknown> {
  const error = { 400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed' }[status] ?? 'Error';
  return { statusCode: status, error, message };
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export async function startKibanaSimulator(options: KibanaSimulatorOptions): Promise<KibanaSimulator> {
  const es = options.elasticsearch;
  const version = options.version ?? es.version;
  const versions = options.availableVersions ?? [DEFAULT_INTEGRATION_VERSION];
  const latest = versions[versions.length - 1] as string;
  const uuid = randomUUID();
  const canManage = options.canManageIntegrations ?? ((id: Identity) => (id.privileges.cluster ?? []).includes('all'));
  const requests: KibanaRequestLog[] = [];

  const installedAssets = (v: string): Array<InstalledAsset | { id: string; type: 'dashboard' }> => [
    { id: DASHBOARD_ID, type: 'dashboard' },
    { id: `logs-${PACKAGE_NAME}.access_session`, type: 'index_template' },
    { id: `logs-${PACKAGE_NAME}.access_session@package`, type: 'component_template' },
    { id: `logs-${PACKAGE_NAME}.access_session-${v}`, type: 'ingest_pipeline' },
  ];

  const packageInfo = (v: string): Record<string, unknown> => {
    const installed = es.integrationVersion();
    const item: Record<string, unknown> = {
      name: PACKAGE_NAME,
      title: PACKAGE_TITLE,
      version: v,
      description: 'Collect logs from BeyondTrust PRA with Elastic Agent.',
      type: 'integration',
      format_version: '3.3.0',
      data_streams: [{ type: 'logs', dataset: `${PACKAGE_NAME}.access_session`, title: 'Access Session' }],
      latestVersion: latest,
      status: installed ? 'installed' : 'not_installed',
    };
    if (installed) {
      item.installationInfo = {
        type: 'epm-packages',
        name: PACKAGE_NAME,
        version: installed,
        install_status: 'installed',
        install_source: 'registry',
        installed_es: installedAssets(installed).filter((a) => a.type !== 'dashboard'),
        installed_kibana: [{ id: DASHBOARD_ID, type: 'dashboard' }],
      };
    }
    return { item, metadata: { has_policies: false } };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = new URL(req.url ?? '/', 'http://kibana');
    const log: KibanaRequestLog = { at: new Date(), method, path: url.pathname, status: 0 };
    requests.push(log);
    const body = await readAll(req);
    const send = (status: number, payload: unknown): void => {
      const text = JSON.stringify(payload);
      res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), 'kbn-name': 'kibana' });
      res.end(text);
      log.status = status;
    };

    const auth = es.credentials.authenticate(req);
    if (!auth.ok) return send(401, boom(401, 'Unauthorized'));
    const identity = auth.identity;
    if (method !== 'GET' && method !== 'HEAD' && req.headers['kbn-xsrf'] === undefined) {
      return send(400, boom(400, 'Request must contain a kbn-xsrf header.'));
    }

    if (url.pathname === '/api/status') {
      if (method !== 'GET') return send(404, boom(404, 'Not Found'));
      return send(200, {
        name: 'kibana',
        uuid,
        version: { number: version, build_hash: '0000000000000000000000000000000000000000', build_number: 1, build_snapshot: false, build_flavor: 'traditional' },
        status: {
          overall: { level: 'available', summary: 'All services and plugins are available' },
          core: { elasticsearch: { level: 'available', summary: 'Elasticsearch is available' }, savedObjects: { level: 'available', summary: 'SavedObjects service has completed migrations and is available' } },
          plugins: {},
        },
        metrics: { last_updated: new Date().toISOString(), collection_interval_in_millis: 5000 },
      });
    }

    const m = /^\/api\/fleet\/epm\/packages\/([^/]+)(?:\/([^/]+))?\/?$/.exec(url.pathname);
    if (!m) return send(404, boom(404, 'Not Found'));
    const name = decodeURIComponent(m[1] as string);
    const wanted = m[2] !== undefined ? decodeURIComponent(m[2]) : undefined;
    if (name !== PACKAGE_NAME) return send(404, boom(404, `[${name}] package not found in registry`));
    const v = wanted ?? latest;
    if (!versions.includes(v)) return send(404, boom(404, `[${name}-${v}] package not found in registry`));

    if (method === 'GET') return send(200, packageInfo(v));
    if (!canManage(identity)) {
      return send(403, boom(403, `API [${method} ${url.pathname}] is unauthorized for user, this action is granted by the Kibana privileges [integrations-all]`));
    }
    if (method === 'POST') {
      if (body.length) {
        try {
          JSON.parse(body.toString('utf8'));
        } catch {
          return send(400, boom(400, 'Invalid request payload JSON format'));
        }
      }
      es.installIntegrationAssets(v);
      return send(200, { items: installedAssets(v), _meta: { install_source: 'registry', name: PACKAGE_NAME } });
    }
    if (method === 'DELETE') {
      const installed = es.integrationVersion();
      if (!installed) return send(400, boom(400, `${name} is not installed`));
      es.removeIntegrationAssets();
      return send(200, { items: installedAssets(installed) });
    }
    return send(404, boom(404, 'Not Found'));
  };

  const listener = await startListener(
    (req, res) =>
      void handle(req, res).catch(() => {
        if (!res.headersSent) res.writeHead(500);
        res.end();
      }),
    { tls: options.tls, host: options.host, port: options.port },
  );
  return {
    url: listener.url,
    port: listener.port,
    requests,
    down: (mode) => listener.down(mode),
    up: () => listener.up(),
    close: () => listener.close(),
  };
}
