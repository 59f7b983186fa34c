// Security privileges: what a credential may do, the has-privileges API and the 403 messages.
//
// Documented behaviour relied on (Elasticsearch reference, "Security privileges", "Has privileges API",
// and the IndexPrivilege / ClusterPrivilegeResolver definitions those pages describe):
// - A privilege is a set of action names (e.g. `create_doc` = indices:data/write/index (op_type create) +
//   indices:data/write/bulk*). One privilege implies another when its action set contains the other's, so
//   `all`, `write`, `index` and `create` each imply `create_doc`; `create_index` does NOT imply
//   `auto_configure` (auto_configure also needs the auto mapping update that `write`/`manage`/`all` grant).
// - Index privileges are granted on index name patterns (`*` wildcards).
// - Has privileges: `GET|POST /_security/user/_has_privileges` with `{ cluster: [...], index: [{ names,
//   privileges }], application: [...] }` answers `{ username, has_all_requested, cluster: {priv: bool},
//   index: { name: { priv: bool } }, application: {} }`. A requested name that is itself a pattern is
//   granted only if every name it can match is covered.
// - A denied action answers 403 security_exception: "action [A] is unauthorized for user [U] with effective
//   roles [R], this action is granted by the cluster privileges [p1,p2,...]" (API keys: "for API key id [I]
//   of user [U]"; index actions add "on indices [X]" and say "index privileges"). The privileges are listed
//   from least to most powerful, as Elasticsearch sorts them.
// - The privileges of an API key or user are the role descriptor format: `{ cluster: [...], indices: [{ names,
//   privileges }] }`.

import { exception, type EsException } from './errors.ts';

export interface IndexGrant {
  names: string[];
  privileges: string[];
}

/** A role descriptor, as given to the create API key / put role APIs. */
export interface Privileges {
  cluster?: string[];
  indices?: IndexGrant[];
}

export const SUPERUSER: Privileges = { cluster: ['all'], indices: [{ names: ['*'], privileges: ['all'] }] };

/** Glob match with `*` only (the wildcard form of index patterns and action patterns). */
export function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*')) return pattern === value;
  // Compiled once per pattern: a bulk request checks every item's index against the key's patterns.
  let re = GLOBS.get(pattern);
  if (!re) {
    re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$');
    if (GLOBS.size > 1000) GLOBS.clear();
    GLOBS.set(pattern, re);
  }
  return re.test(value);
}

const GLOBS = new Map<string, RegExp>();

/**
 * Is every name matched by glob `inner` also matched by glob `outer`? (`*` only.) Exact for a single outer
 * pattern: `inner`'s wildcards can only be absorbed by a wildcard of `outer`.
 */
export function globCovers(outer: string, inner: string): boolean {
  const memo = new Map<string, boolean>();
  const go = (o: number, i: number): boolean => {
    const key = `${o},${i}`;
    const hit = memo.get(key);
    if (hit !== undefined) return hit;
    let r: boolean;
    if (o === outer.length) r = i === inner.length;
    else if (outer[o] === '*') r = go(o + 1, i) || (i < inner.length && go(o, i + 1));
    else r = i < inner.length && inner[i] !== '*' && inner[i] === outer[o] && go(o + 1, i + 1);
    memo.set(key, r);
    return r;
  };
  return go(0, 0);
}

// ---- index privileges (IndexPrivilege) -------------------------------------------------------------

const INDEX_PRIVILEGES: Record<string, string[]> = {
  none: [],
  all: ['indices:*', 'internal:transport/proxy/indices:*'],
  read: ['indices:data/read/*'],
  read_cross_cluster: ['internal:transport/proxy/indices:data/read/*', 'indices:admin/shards/search_shards'],
  create: ['indices:data/write/index*', 'indices:data/write/bulk*'],
  create_doc: ['indices:data/write/index', 'indices:data/write/index[*', 'indices:data/write/index:op_type/create', 'indices:data/write/bulk*'],
  index: ['indices:data/write/index*', 'indices:data/write/bulk*', 'indices:data/write/update*'],
  delete: ['indices:data/write/delete*', 'indices:data/write/bulk*'],
  write: ['indices:data/write/*', 'indices:admin/mapping/auto_put'],
  monitor: ['indices:monitor/*'],
  manage: ['indices:monitor/*', 'indices:admin/*', 'indices:data/read/field_caps*', 'indices:data/read/xpack/rollup/get/index/caps*'],
  create_index: ['indices:admin/create', 'indices:admin/auto_create', 'indices:admin/data_stream/create'],
  delete_index: ['indices:admin/delete', 'indices:admin/data_stream/delete'],
  view_index_metadata: [
    'indices:admin/aliases/get',
    'indices:admin/get',
    'indices:admin/mappings/fields/get*',
    'indices:admin/mappings/get',
    'indices:admin/shards/search_shards',
    'indices:admin/validate/query*',
    'indices:monitor/settings/get',
    'indices:admin/ilm/explain',
    'indices:admin/data_stream/get',
    'indices:admin/resolve/index',
    'indices:data/read/field_caps*',
    'indices:data/read/xpack/rollup/get/index/caps*',
    'indices:monitor/transform/checkpoint*',
  ],
  manage_follow_index: ['indices:admin/xpack/ccr/put_follow', 'indices:admin/xpack/ccr/unfollow', 'indices:admin/close*', 'indices:admin/data_stream/promote', 'indices:admin/rollover'],
  manage_leader_index: ['indices:admin/xpack/ccr/forget_follower*'],
  manage_ilm: ['indices:admin/ilm/*'],
  maintenance: ['indices:admin/refresh*', 'indices:admin/flush*', 'indices:admin/synced_flush', 'indices:admin/forcemerge*'],
  auto_configure: ['indices:admin/mapping/auto_put', 'indices:admin/auto_create'],
};

/** Concrete index actions used to compare privileges (a finite stand-in for the action automata). */
const INDEX_ACTIONS = [
  'indices:data/read/search',
  'indices:data/read/get',
  'indices:data/read/field_caps',
  'indices:data/read/field_caps[index]',
  'indices:data/read/xpack/rollup/get/index/caps',
  'internal:transport/proxy/indices:data/read/search',
  'internal:transport/proxy/indices:admin/get',
  'indices:data/write/index',
  'indices:data/write/index[s]',
  'indices:data/write/index:op_type/create',
  'indices:data/write/index:op_type/index',
  'indices:data/write/bulk',
  'indices:data/write/bulk[s]',
  'indices:data/write/update',
  'indices:data/write/update/byquery',
  'indices:data/write/delete',
  'indices:data/write/delete/byquery',
  'indices:admin/mapping/auto_put',
  'indices:admin/mapping/put',
  'indices:admin/auto_create',
  'indices:admin/create',
  'indices:admin/data_stream/create',
  'indices:admin/delete',
  'indices:admin/data_stream/delete',
  'indices:admin/data_stream/get',
  'indices:admin/data_stream/promote',
  'indices:admin/get',
  'indices:admin/aliases/get',
  'indices:admin/mappings/get',
  'indices:admin/mappings/fields/get',
  'indices:admin/resolve/index',
  'indices:admin/shards/search_shards',
  'indices:admin/validate/query',
  'indices:admin/refresh',
  'indices:admin/refresh[s]',
  'indices:admin/flush',
  'indices:admin/synced_flush',
  'indices:admin/forcemerge',
  'indices:admin/rollover',
  'indices:admin/close',
  'indices:admin/settings/update',
  'indices:admin/ilm/explain',
  'indices:admin/ilm/remove_policy',
  'indices:admin/xpack/ccr/put_follow',
  'indices:admin/xpack/ccr/unfollow',
  'indices:admin/xpack/ccr/forget_follower',
  'indices:monitor/stats',
  'indices:monitor/settings/get',
  'indices:monitor/recovery',
  'indices:monitor/transform/checkpoint',
];

// ---- cluster privileges (ClusterPrivilegeResolver) -------------------------------------------------

interface ClusterPrivilege {
  include: string[];
  exclude?: string[];
}

const ALL_CLUSTER = ['cluster:*', 'indices:admin/template/*', 'indices:admin/index_template/*'];
const CLUSTER_PRIVILEGES: Record<string, ClusterPrivilege> = {
  none: { include: [] },
  all: { include: ALL_CLUSTER },
  manage: { include: ALL_CLUSTER, exclude: ['cluster:admin/xpack/security/*'] },
  monitor: { include: ['cluster:monitor/*', 'indices:admin/template/get', 'cluster:admin/component_template/get', 'indices:admin/index_template/get'] },
  manage_index_templates: { include: ['indices:admin/template/*', 'indices:admin/index_template/*', 'cluster:admin/component_template/*'] },
  manage_ingest_pipelines: { include: ['cluster:admin/ingest/pipeline/*'] },
  manage_pipeline: { include: ['cluster:admin/ingest/pipeline/*'] },
  read_pipeline: { include: ['cluster:admin/ingest/pipeline/get', 'cluster:admin/ingest/pipeline/simulate'] },
  manage_security: { include: ['cluster:admin/xpack/security/*'] },
  read_security: {
    include: [
      'cluster:admin/xpack/security/api_key/get',
      'cluster:admin/xpack/security/user/get',
      'cluster:admin/xpack/security/role/get',
      'cluster:admin/xpack/security/user/has_privileges',
    ],
  },
  manage_api_key: { include: ['cluster:admin/xpack/security/api_key/*'] },
  manage_own_api_key: {
    include: ['cluster:admin/xpack/security/api_key/create', 'cluster:admin/xpack/security/api_key/get', 'cluster:admin/xpack/security/api_key/invalidate'],
  },
  manage_ilm: { include: ['cluster:admin/ilm/*'] },
  read_ilm: { include: ['cluster:admin/ilm/get', 'cluster:admin/ilm/operation_mode/get'] },
  monitor_snapshot: { include: ['cluster:admin/snapshot/status*', 'cluster:admin/snapshot/get', 'cluster:admin/repository/get'] },
  create_snapshot: { include: ['cluster:admin/snapshot/create', 'cluster:admin/snapshot/status*', 'cluster:admin/snapshot/get', 'cluster:admin/repository/get'] },
  transport_client: { include: ['cluster:monitor/nodes/liveness', 'cluster:monitor/state'] },
};

const CLUSTER_ACTIONS = [
  'cluster:monitor/main',
  'cluster:monitor/health',
  'cluster:monitor/state',
  'cluster:monitor/nodes/info',
  'cluster:monitor/nodes/liveness',
  'cluster:monitor/xpack/info',
  'indices:admin/index_template/get',
  'indices:admin/index_template/put',
  'indices:admin/template/get',
  'indices:admin/template/put',
  'cluster:admin/component_template/get',
  'cluster:admin/component_template/put',
  'cluster:admin/ingest/pipeline/get',
  'cluster:admin/ingest/pipeline/put',
  'cluster:admin/ingest/pipeline/delete',
  'cluster:admin/ingest/pipeline/simulate',
  'cluster:admin/xpack/security/api_key/create',
  'cluster:admin/xpack/security/api_key/get',
  'cluster:admin/xpack/security/api_key/invalidate',
  'cluster:admin/xpack/security/api_key/grant',
  'cluster:admin/xpack/security/user/get',
  'cluster:admin/xpack/security/user/put',
  'cluster:admin/xpack/security/role/get',
  'cluster:admin/xpack/security/role/put',
  'cluster:admin/xpack/security/user/has_privileges',
  'cluster:admin/ilm/get',
  'cluster:admin/ilm/put',
  'cluster:admin/ilm/operation_mode/get',
  'cluster:admin/snapshot/create',
  'cluster:admin/snapshot/get',
  'cluster:admin/snapshot/status',
  'cluster:admin/repository/get',
  'cluster:admin/settings/update',
  'cluster:admin/reroute',
];

// ---- action sets ----------------------------------------------------------------------------------

type Kind = 'cluster' | 'index';

function isActionPattern(p: string): boolean {
  return p.includes(':');
}

function actionsOf(kind: Kind, privilege: string): Set<string> {
  const universe = kind === 'cluster' ? CLUSTER_ACTIONS : INDEX_ACTIONS;
  let include: string[];
  let exclude: string[] = [];
  if (isActionPattern(privilege)) include = [privilege];
  else if (kind === 'cluster') {
    const def = CLUSTER_PRIVILEGES[privilege.toLowerCase()];
    if (!def) throw unknownPrivilege(kind, privilege);
    include = def.include;
    exclude = def.exclude ?? [];
  } else {
    const def = INDEX_PRIVILEGES[privilege.toLowerCase()];
    if (!def) throw unknownPrivilege(kind, privilege);
    include = def;
  }
  const out = new Set<string>();
  for (const a of universe) if (include.some((p) => globMatch(p, a)) && !exclude.some((p) => globMatch(p, a))) out.add(a);
  // a pattern over an action outside the universe still stands for itself
  if (isActionPattern(privilege) && !privilege.includes('*')) out.add(privilege);
  return out;
}

function grants(kind: Kind, held: string[], action: string): boolean {
  return held.some((p) => {
    if (isActionPattern(p)) return globMatch(p, action);
    const def = kind === 'cluster' ? CLUSTER_PRIVILEGES[p.toLowerCase()] : undefined;
    if (def) return def.include.some((x) => globMatch(x, action)) && !(def.exclude ?? []).some((x) => globMatch(x, action));
    const idx = kind === 'index' ? INDEX_PRIVILEGES[p.toLowerCase()] : undefined;
    return idx ? idx.some((x) => globMatch(x, action)) : false;
  });
}

function subset(a: Set<string>, b: Set<string>): boolean {
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** Does holding `held` imply `wanted`? (Union of the held action sets contains the wanted set.) */
export function implies(kind: Kind, held: string[], wanted: string): boolean {
  const want = actionsOf(kind, wanted);
  if (want.size === 0) return wanted.toLowerCase() === 'none';
  const have = new Set<string>();
  for (const h of held) {
    try {
      for (const a of actionsOf(kind, h)) have.add(a);
    } catch {
      // a credential configured with an unknown privilege simply grants nothing for it
    }
  }
  return subset(want, have);
}

export class UnknownPrivilegeError extends Error {
  constructor(readonly body: EsException) {
    super(String(body.reason));
  }
}

function unknownPrivilege(kind: Kind, name: string): UnknownPrivilegeError {
  const names = Object.keys(kind === 'cluster' ? CLUSTER_PRIVILEGES : INDEX_PRIVILEGES).join(',');
  const reason =
    kind === 'cluster'
      ? `unknown cluster privilege [${name}]. a privilege must be either one of the predefined cluster privilege names [${names}] or a pattern over one of the available cluster actions`
      : `unknown index privilege [${name}]. a privilege must be either one of the predefined fixed indices privileges [${names}] or a pattern over one of the available index actions`;
  return new UnknownPrivilegeError(exception('illegal_argument_exception', reason));
}

/**
 * Names of the privileges that grant `action`, least powerful first (Elasticsearch sorts by how many other
 * privileges contain each one, then by name).
 */
export function privilegesThatGrant(kind: Kind, action: string): string[] {
  const table = kind === 'cluster' ? Object.keys(CLUSTER_PRIVILEGES) : Object.keys(INDEX_PRIVILEGES);
  const sets = new Map(table.map((n) => [n, actionsOf(kind, n)] as const));
  const supersets = (n: string): number => {
    const s = sets.get(n) as Set<string>;
    let count = 0;
    for (const [m, t] of sets) if (m !== n && s.size > 0 && subset(s, t)) count++;
    return count;
  };
  return table
    .filter((n) => grants(kind, [n], action))
    .sort((a, b) => supersets(b) - supersets(a) || (a < b ? -1 : a > b ? 1 : 0));
}

// ---- checks against a credential -----------------------------------------------------------------------

export function clusterAllows(p: Privileges, action: string): boolean {
  return grants('cluster', p.cluster ?? [], action);
}

export function indexAllows(p: Privileges, index: string, action: string): boolean {
  return (p.indices ?? []).some((g) => g.names.some((n) => globMatch(n, index)) && grants('index', g.privileges, action));
}

export interface HasPrivilegesRequest {
  cluster?: string[];
  index?: Array<{ names: string[] | string; privileges: string[]; allow_restricted_indices?: boolean }>;
  application?: unknown[];
}

export interface HasPrivilegesResponse {
  username: string;
  has_all_requested: boolean;
  cluster: Record<string, boolean>;
  index: Record<string, Record<string, boolean>>;
  application: Record<string, never>;
}

/** Evaluates a has-privileges request against a credential's privileges (throws UnknownPrivilegeError). */
export function hasPrivileges(username: string, p: Privileges, req: HasPrivilegesRequest): HasPrivilegesResponse {
  const out: HasPrivilegesResponse = { username, has_all_requested: true, cluster: {}, index: {}, application: {} };
  for (const priv of req.cluster ?? []) {
    const ok = implies('cluster', p.cluster ?? [], priv);
    out.cluster[priv] = ok;
    if (!ok) out.has_all_requested = false;
  }
  for (const entry of req.index ?? []) {
    const names = Array.isArray(entry.names) ? entry.names : [entry.names];
    for (const name of names) {
      const held = (p.indices ?? []).filter((g) => g.names.some((n) => globCovers(n, name))).flatMap((g) => g.privileges);
      const result = (out.index[name] ??= {});
      for (const priv of entry.privileges) {
        const ok = implies('index', held, priv);
        result[priv] = ok;
        if (!ok) out.has_all_requested = false;
      }
    }
  }
  return out;
}

/** Who is asking, as Elasticsearch names them in a 403. */
export interface Principal {
  username: string;
  roles: string[];
  apiKeyId?: string;
}

function subject(who: Principal): string {
  return who.apiKeyId !== undefined
    ? `API key id [${who.apiKeyId}] of user [${who.username}]`
    : `user [${who.username}] with effective roles [${who.roles.join(',')}]`;
}

export function unauthorizedCluster(who: Principal, action: string): EsException {
  return exception(
    'security_exception',
    `action [${action}] is unauthorized for ${subject(who)}, this action is granted by the cluster privileges [${privilegesThatGrant('cluster', action).join(',')}]`,
  );
}

export function unauthorizedIndex(who: Principal, action: string, index: string): EsException {
  return exception(
    'security_exception',
    `action [${action}] is unauthorized for ${subject(who)} on indices [${index}], this action is granted by the index privileges [${privilegesThatGrant('index', action).join(',')}]`,
  );
}
