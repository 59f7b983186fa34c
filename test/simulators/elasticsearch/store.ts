// The simulated cluster's state: index templates, component templates, ingest pipelines, indices,
// data streams and the documents in them.
//
// Documented behaviour relied on (Elasticsearch reference, "Data streams", "Index templates"):
// - Writing to a name that does not exist auto-creates it: if the highest-priority composable index
//   template whose index_patterns match has a `data_stream` object, a data stream is created, else a
//   regular index (action.auto_create_index defaults to true).
// - A data stream's first backing index is `.ds-<data-stream>-<yyyy.MM.dd>-000001` (date of creation, UTC).
// - The template's (and its component templates') `index.default_pipeline` / `index.final_pipeline` settings
//   are copied to the backing index when it is created; later template changes do not touch it.
// - Elasticsearch 8 ships a built-in `logs` template (pattern `logs-*-*`, priority 100, data_stream {}), so a
//   `logs-<dataset>-<namespace>` name becomes a data stream even with no integration installed.
// - Document ids are unique per index (per backing index for a data stream); `_seq_no` counts per shard
//   (one shard here), `_primary_term` is 1, `_version` starts at 1.

import { randomBytes, randomUUID } from 'node:crypto';

import type { JsonObject, JsonValue } from './json.ts';
import { globMatch } from './privileges.ts';

export interface IndexTemplateBody {
  index_patterns: string[];
  priority?: number;
  composed_of?: string[];
  ignore_missing_component_templates?: string[];
  data_stream?: JsonObject;
  template?: { settings?: JsonObject; mappings?: JsonObject };
  version?: number;
  _meta?: JsonObject;
  allow_auto_create?: boolean;
}

export interface ComponentTemplateBody {
  template: { settings?: JsonObject; mappings?: JsonObject };
  version?: number;
  _meta?: JsonObject;
}

export interface PipelineBody {
  description?: string;
  processors: JsonValue[];
  on_failure?: JsonValue[];
  version?: number;
  _meta?: JsonObject;
}

export interface StoredDocument {
  _index: string;
  _id: string;
  _version: number;
  _seq_no: number;
  _primary_term: number;
  _source: JsonObject;
  /** The data stream the backing index belongs to, when it does. */
  data_stream?: string;
}

export interface IndexState {
  name: string;
  uuid: string;
  dataStream?: string;
  defaultPipeline?: string;
  finalPipeline?: string;
  docs: Map<string, StoredDocument>;
  nextSeqNo: number;
  creationDate: number;
}

export interface DataStreamState {
  name: string;
  template: string;
  indices: string[];
  generation: number;
}

function settingOf(settings: JsonObject | undefined, key: 'default_pipeline' | 'final_pipeline'): string | undefined {
  if (!settings) return undefined;
  const flat = settings[`index.${key}`];
  if (typeof flat === 'string') return flat;
  const nested = settings.index;
  if (nested && typeof nested === 'object' && !Array.isArray(nested)) {
    const v = (nested as JsonObject)[key];
    if (typeof v === 'string') return v;
  }
  return undefined;
}

/** Elasticsearch's auto-generated ids are 20 URL-safe base64 characters. */
export function autoId(): string {
  return randomBytes(15).toString('base64url');
}

function indexUuid(): string {
  return randomBytes(16).toString('base64url').slice(0, 22);
}

export class ClusterStore {
  readonly clusterUuid = randomUUID();
  readonly indexTemplates = new Map<string, IndexTemplateBody>();
  readonly componentTemplates = new Map<string, ComponentTemplateBody>();
  readonly pipelines = new Map<string, PipelineBody>();
  readonly indices = new Map<string, IndexState>();
  readonly dataStreams = new Map<string, DataStreamState>();

  constructor(readonly now: () => Date) {}

  /** The template Elasticsearch would apply to a new index or data stream called `name`. */
  matchTemplate(name: string): { name: string; body: IndexTemplateBody } | null {
    let best: { name: string; body: IndexTemplateBody } | null = null;
    for (const [tname, body] of this.indexTemplates) {
      if (!body.index_patterns.some((p) => globMatch(p, name))) continue;
      if (!best || (body.priority ?? 0) > (best.body.priority ?? 0)) best = { name: tname, body };
    }
    return best;
  }

  /** index.default_pipeline / index.final_pipeline a template resolves to (component templates first, then its own). */
  templateSetting(body: IndexTemplateBody, key: 'default_pipeline' | 'final_pipeline'): string | undefined {
    let value: string | undefined;
    for (const c of body.composed_of ?? []) value = settingOf(this.componentTemplates.get(c)?.template.settings, key) ?? value;
    return settingOf(body.template?.settings, key) ?? value;
  }

  /** What a name resolves to for writing: an existing data stream, an existing index, or nothing yet. */
  resolve(name: string): { kind: 'data_stream'; ds: DataStreamState; write: IndexState } | { kind: 'index'; index: IndexState } | null {
    const ds = this.dataStreams.get(name);
    if (ds) return { kind: 'data_stream', ds, write: this.indices.get(ds.indices[ds.indices.length - 1] as string) as IndexState };
    const index = this.indices.get(name);
    if (index) return { kind: 'index', index };
    return null;
  }

  /** Would auto-creating `name` make a data stream? */
  wouldBeDataStream(name: string): boolean {
    const t = this.matchTemplate(name);
    return !!t && t.body.data_stream !== undefined;
  }

  private newIndex(name: string, settingsFrom: IndexTemplateBody | null, dataStream?: string): IndexState {
    const index: IndexState = {
      name,
      uuid: indexUuid(),
      docs: new Map(),
      nextSeqNo: 0,
      creationDate: this.now().getTime(),
    };
    if (dataStream) index.dataStream = dataStream;
    if (settingsFrom) {
      const dp = this.templateSetting(settingsFrom, 'default_pipeline');
      const fp = this.templateSetting(settingsFrom, 'final_pipeline');
      if (dp) index.defaultPipeline = dp;
      if (fp) index.finalPipeline = fp;
    }
    this.indices.set(name, index);
    return index;
  }

  /** Auto-create `name` as Elasticsearch would on a first write. */
  autoCreate(name: string): { kind: 'data_stream'; ds: DataStreamState; write: IndexState } | { kind: 'index'; index: IndexState } {
    const t = this.matchTemplate(name);
    if (t && t.body.data_stream !== undefined) {
      const d = this.now();
      const date = `${d.getUTCFullYear()}.${String(d.getUTCMonth() + 1).padStart(2, '0')}.${String(d.getUTCDate()).padStart(2, '0')}`;
      const backing = `.ds-${name}-${date}-000001`;
      const write = this.newIndex(backing, t.body, name);
      const ds: DataStreamState = { name, template: t.name, indices: [backing], generation: 1 };
      this.dataStreams.set(name, ds);
      return { kind: 'data_stream', ds, write };
    }
    return { kind: 'index', index: this.newIndex(name, t?.body ?? null) };
  }

  /** Every stored document of the indices a target names (data stream, index, or wildcard pattern), in write order. */
  documents(target?: string): StoredDocument[] {
    const names = new Set<string>();
    const add = (n: string): void => {
      const ds = this.dataStreams.get(n);
      if (ds) ds.indices.forEach((i) => names.add(i));
      else if (this.indices.has(n)) names.add(n);
    };
    if (target === undefined) for (const n of this.indices.keys()) names.add(n);
    else
      for (const part of target.split(',')) {
        if (part.includes('*')) {
          for (const n of this.dataStreams.keys()) if (globMatch(part, n)) add(n);
          for (const n of this.indices.keys()) if (globMatch(part, n) && !n.startsWith('.')) names.add(n);
        } else add(part);
      }
    const out: StoredDocument[] = [];
    for (const n of names) out.push(...(this.indices.get(n)?.docs.values() ?? []));
    return out.sort((a, b) => (a._index === b._index ? a._seq_no - b._seq_no : a._index < b._index ? -1 : 1));
  }

  clearDocuments(): void {
    this.indices.clear();
    this.dataStreams.clear();
  }
}
