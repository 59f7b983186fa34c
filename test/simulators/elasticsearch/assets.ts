// The Elasticsearch assets that installing Elastic's "BeyondTrust PRA" integration (package
// `beyondtrust_pra`) puts in the cluster, and the stack's own built-in `logs` template.
//
// How Fleet names them (Kibana Fleet source, common/services/datastream_es_name.ts, and the installed
// assets of any integration):
// - index template `<type>-<dataset>`            → `logs-beyondtrust_pra.access_session`,
//   index_patterns [`<type>-<dataset>-*`], data_stream {}, priority 200, composed of
//   `<type>-<dataset>@package` (mappings + `index.default_pipeline`) and the `@custom` hooks;
// - ingest pipeline `<type>-<dataset>-<package version>` (getPipelineNameForDatastream)
//                                                → `logs-beyondtrust_pra.access_session-0.3.0`;
//   the version is in the name, so upgrading the package installs a new pipeline and repoints the
//   template's default_pipeline; `<type>-<dataset>@custom` is the user's hook;
// - `.fleet_final_pipeline-1` as `index.final_pipeline` (adds event.ingested, event.agent_id_status).
// The pipeline bodies below are abbreviated (descriptive processors only); what the simulator *does*
// with a document is in pipeline.ts, written from /work/shared/reference/elastic-integration/ingest_pipeline-default.yml.

import { globMatch } from './privileges.ts';
import type { ClusterStore, ComponentTemplateBody, IndexTemplateBody, PipelineBody } from './store.ts';

export const PACKAGE_NAME = 'beyondtrust_pra';
export const DATASET = 'beyondtrust_pra.access_session';
export const TEMPLATE_NAME = `logs-${DATASET}`;
export const DEFAULT_INTEGRATION_VERSION = '0.3.0';
export const FLEET_FINAL_PIPELINE = '.fleet_final_pipeline-1';

/** The versioned pipeline id Fleet gives the data stream's default pipeline. */
export function integrationPipelineId(version: string): string {
  return `logs-${DATASET}-${version}`;
}

export interface InstalledAsset {
  id: string;
  type: 'index_template' | 'component_template' | 'ingest_pipeline';
}

const fleetMeta = { package: { name: PACKAGE_NAME }, managed_by: 'fleet', managed: true };

/** Installs (or upgrades to) the integration's template, component templates and pipelines. */
export function installIntegration(store: ClusterStore, version: string): InstalledAsset[] {
  const pipelineId = integrationPipelineId(version);
  // an upgrade replaces the previous version's pipeline
  for (const id of [...store.pipelines.keys()]) if (id.startsWith(`logs-${DATASET}-`) && id !== pipelineId) store.pipelines.delete(id);

  const packageComponent: ComponentTemplateBody = {
    template: {
      settings: { index: { default_pipeline: pipelineId, mapping: { total_fields: { limit: 1000 } } } },
      mappings: {
        dynamic: false,
        properties: {
          '@timestamp': { type: 'date' },
          data_stream: {
            properties: {
              type: { type: 'constant_keyword' },
              dataset: { type: 'constant_keyword' },
              namespace: { type: 'constant_keyword' },
            },
          },
          event: { properties: { module: { type: 'constant_keyword', value: PACKAGE_NAME }, dataset: { type: 'constant_keyword', value: DATASET } } },
        },
      },
    },
    _meta: fleetMeta,
  };
  store.componentTemplates.set(`${TEMPLATE_NAME}@package`, packageComponent);
  store.componentTemplates.set('.fleet_agent_id_verification-1', {
    template: { settings: { index: { final_pipeline: FLEET_FINAL_PIPELINE } }, mappings: { properties: { event: { properties: { agent_id_status: { type: 'keyword', ignore_above: 1024 } } } } } },
    _meta: fleetMeta,
  });
  const template: IndexTemplateBody = {
    index_patterns: [`${TEMPLATE_NAME}-*`],
    template: { settings: {}, mappings: { _meta: fleetMeta } },
    composed_of: [
      'logs@mappings',
      'logs@settings',
      `${TEMPLATE_NAME}@package`,
      'logs@custom',
      `logs-${PACKAGE_NAME}@custom`,
      `${TEMPLATE_NAME}@custom`,
      'ecs@mappings',
      '.fleet_globals-1',
      '.fleet_agent_id_verification-1',
    ],
    priority: 200,
    _meta: fleetMeta,
    data_stream: { hidden: false, allow_custom_routing: false },
    ignore_missing_component_templates: ['logs@custom', `logs-${PACKAGE_NAME}@custom`, `${TEMPLATE_NAME}@custom`],
  };
  store.indexTemplates.set(TEMPLATE_NAME, template);

  const pipeline: PipelineBody = {
    description: 'Pipeline for processing access session logs.',
    processors: [
      { set: { field: 'ecs.version', tag: 'set_ecs_version', value: '8.17.0' } },
      { rename: { field: 'message', tag: 'rename_message_to_event_original', target_field: 'event.original', ignore_missing: true, if: 'ctx.event?.original == null' } },
      { json: { field: 'event.original', tag: 'json_event_original', target_field: 'json' } },
      { set: { field: 'event.kind', tag: 'set_event_kind', value: 'event' } },
      { date: { field: 'json.timestamp', tag: 'date_timestamp', target_field: 'beyondtrust_pra.access_session.timestamp', formats: ['ISO8601'] } },
      { set: { field: '@timestamp', tag: 'set_@timestamp_from_access_session_timestamp', copy_from: 'beyondtrust_pra.access_session.timestamp', ignore_empty_value: true } },
      { remove: { field: 'json', tag: 'remove_json', ignore_missing: true } },
      { set: { field: 'event.kind', tag: 'set_pipeline_error_into_event_kind', value: 'pipeline_error', if: 'ctx.error?.message != null' } },
      { pipeline: { name: 'global@custom', ignore_missing_pipeline: true, description: "[Fleet] Global pipeline for all data streams" } },
      { pipeline: { name: 'logs@custom', ignore_missing_pipeline: true } },
      { pipeline: { name: `logs-${PACKAGE_NAME}@custom`, ignore_missing_pipeline: true } },
      { pipeline: { name: `${TEMPLATE_NAME}@custom`, ignore_missing_pipeline: true } },
    ],
    on_failure: [
      { append: { field: 'error.message', value: 'Processor {{{_ingest.on_failure_processor_type}}} with tag {{{_ingest.on_failure_processor_tag}}} in pipeline {{{_ingest.on_failure_pipeline}}} failed with message: {{{_ingest.on_failure_message}}}' } },
      { set: { field: 'event.kind', tag: 'set_pipeline_error_to_event_kind', value: 'pipeline_error' } },
      { append: { field: 'tags', value: 'preserve_original_event', allow_duplicates: false } },
    ],
    _meta: fleetMeta,
  };
  store.pipelines.set(pipelineId, pipeline);
  store.pipelines.set(FLEET_FINAL_PIPELINE, {
    version: 4,
    description: 'Final pipeline for processing all incoming Fleet Agent documents.',
    processors: [
      { set: { description: 'Add time when event was ingested (and remove sub-seconds to improve storage efficiency)', tag: 'truncate-subseconds-event-ingested', field: 'event.ingested', copy_from: '_ingest.timestamp' } },
      { script: { description: 'Add event.agent_id_status based on the API key metadata and the agent.id contained in the event', tag: 'agent-id-status' } },
      { remove: { field: '_security', ignore_missing: true } },
    ],
    _meta: { managed_by: 'fleet', managed: true },
  });

  // Fleet then updates the settings of the current write index of every existing data stream the template
  // covers (its "update current write indices" step), so data streams created before the install — e.g. by the
  // built-in `logs` template — start using the pipeline without a rollover.
  for (const ds of store.dataStreams.values()) {
    if (!template.index_patterns.some((p) => globMatch(p, ds.name))) continue;
    const write = store.indices.get(ds.indices[ds.indices.length - 1] as string);
    if (!write) continue;
    write.defaultPipeline = pipelineId;
    write.finalPipeline = FLEET_FINAL_PIPELINE;
  }

  return [
    { id: TEMPLATE_NAME, type: 'index_template' },
    { id: `${TEMPLATE_NAME}@package`, type: 'component_template' },
    { id: pipelineId, type: 'ingest_pipeline' },
  ];
}

/** Uninstalling the package deletes its template, component templates and versioned pipeline (data streams stay). */
export function removeIntegration(store: ClusterStore): void {
  store.indexTemplates.delete(TEMPLATE_NAME);
  store.componentTemplates.delete(`${TEMPLATE_NAME}@package`);
  for (const id of [...store.pipelines.keys()]) if (id.startsWith(`logs-${DATASET}-`)) store.pipelines.delete(id);
}

/** The stack's built-in templates for the data stream naming scheme (Elasticsearch 8, stack.templates.enabled). */
export function installBuiltinTemplates(store: ClusterStore): void {
  store.indexTemplates.set('logs', {
    index_patterns: ['logs-*-*'],
    composed_of: ['logs@mappings', 'logs@settings', 'logs@custom', 'ecs@mappings'],
    ignore_missing_component_templates: ['logs@custom'],
    priority: 100,
    version: 12,
    data_stream: { hidden: false, allow_custom_routing: false },
    allow_auto_create: true,
    _meta: { description: 'default logs template installed by x-pack', managed: true },
  });
  store.indexTemplates.set('metrics', {
    index_patterns: ['metrics-*-*'],
    composed_of: ['metrics@mappings', 'data-streams@mappings', 'metrics@settings', 'metrics@custom', 'ecs@mappings'],
    ignore_missing_component_templates: ['metrics@custom'],
    priority: 100,
    version: 12,
    data_stream: { hidden: false, allow_custom_routing: false },
    allow_auto_create: true,
    _meta: { description: 'default metrics template installed by x-pack', managed: true },
  });
}
