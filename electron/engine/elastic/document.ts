/**
 * The Elasticsearch document (`_source`) of one session event, for the data stream of Elastic's
 * `beyondtrust_pra` integration: `logs-beyondtrust_pra.access_session-<namespace>`.
 *
 * What Elastic's collector (the integration's CEL input run by Elastic Agent/Filebeat) puts in a
 * document before the ingest pipeline runs, and what we put instead:
 * - `message`: the event as JSON text (see `message.ts`). The pipeline renames it to
 *   `event.original`, parses it and maps it to ECS; it is the only field the pipeline reads.
 * - `@timestamp`: Filebeat stamps the fetch time; the pipeline then overwrites it with the event's
 *   `timestamp` when that parses as ISO 8601. We send the event's own time, so the document is
 *   right even when the pipeline cannot parse the appliance's value.
 * - `data_stream.{type,dataset,namespace}` and `event.dataset`: as Elastic Agent sets them; they must
 *   match the data stream the document is written to (constant_keyword fields of the template).
 * - `input.type: "cel"` and `tags: ["forwarded", "beyondtrust_pra-access_session"]`: the integration's
 *   input type and default tags (`data_stream-manifest.yml`), which dashboards and users filter on.
 *   The `forwarded` tag is why the collector sends no `host.*` of the collecting machine; neither do we.
 * - `agent`: honest: this program's name, type, version and install id. We do not pretend to be
 *   Filebeat or Elastic Agent (no `elastic_agent.*`, no `agent.ephemeral_id`).
 * - `observer.hostname`: the PRA site the event came from (lowercased host). The pipeline sets
 *   `observer.vendor/product/type` (BeyondTrust, Privileged Remote Access, Proxy) and leaves this
 *   field alone; without it, events of several sites could not be told apart.
 * - No `ecs.version`: the pipeline's first processor sets it (`set_ecs_version`), unconditionally,
 *   to the ECS version its mappings follow; the collector does not send one either.
 */
import type { SessionEvent } from '../pra/report-types.ts';
import { buildMessage, encodeMessage, type MessageSession } from './message.ts';

/** The integration's data stream dataset. */
export const DATASET = 'beyondtrust_pra.access_session';
/** The integration's default tags, in its order. */
export const INTEGRATION_TAGS: readonly string[] = Object.freeze(['forwarded', 'beyondtrust_pra-access_session']);
/** `agent.type` of our documents. */
export const AGENT_TYPE = 'pra-integration-client';
/** Longest namespace Elastic accepts, in UTF-8 bytes (Fleet's `isValidNamespace`). */
export const MAX_NAMESPACE_BYTES = 100;

export interface DocumentContext {
  /** Data stream namespace, e.g. `default` (see {@link namespaceError}). */
  namespace: string;
  agent: {
    /** `agent.name`: what the user calls this collector (e.g. the machine's name). */
    name: string;
    /** `agent.version`: this program's version. */
    version: string;
    /** `agent.id`: the installation's id (never part of `_id`, see `document-id.ts`). */
    installId: string;
  };
  /** The PRA site's host name, as configured (without `https://`). */
  siteHost: string;
  /** Passed to `buildMessage` for a session without `lsid` (see `MessageOptions.syntheticLsid`). */
  syntheticLsid?: string;
}

export interface ElasticDocument {
  '@timestamp': string;
  message: string;
  data_stream: { type: 'logs'; dataset: typeof DATASET; namespace: string };
  event: { dataset: typeof DATASET };
  input: { type: 'cel' };
  tags: string[];
  agent: { name: string; type: typeof AGENT_TYPE; version: string; id: string };
  observer: { hostname: string };
}

/**
 * The `_source` of one event. `@timestamp` is the event's time, or its session's start time when
 * the event's `timestamp` could not be read; throws when neither is known, and when the namespace
 * is invalid.
 */
export function buildDocument(header: MessageSession, event: SessionEvent, context: DocumentContext): ElasticDocument {
  assertValidNamespace(context.namespace);
  const seconds = event.timestamp ?? header.startTime;
  if (seconds === null) {
    throw new TypeError(
      `buildDocument: event ${event.ordinal} of session ${header.lsid ?? '(no lsid)'} has no readable timestamp, nor has its session a start time.`,
    );
  }
  const messageOptions = context.syntheticLsid === undefined ? {} : { syntheticLsid: context.syntheticLsid };
  return {
    '@timestamp': new Date(seconds * 1000).toISOString(),
    message: encodeMessage(buildMessage(header, event, messageOptions)),
    data_stream: { type: 'logs', dataset: DATASET, namespace: context.namespace },
    event: { dataset: DATASET },
    input: { type: 'cel' },
    tags: [...INTEGRATION_TAGS],
    agent: { name: context.agent.name, type: AGENT_TYPE, version: context.agent.version, id: context.agent.installId },
    observer: { hostname: context.siteHost.trim().toLowerCase() },
  };
}

/** `logs-beyondtrust_pra.access_session-<namespace>`; throws when the namespace is invalid. */
export function dataStreamName(namespace: string): string {
  assertValidNamespace(namespace);
  return `logs-${DATASET}-${namespace}`;
}

/** Characters Elastic refuses in a namespace (Fleet's `INVALID_NAMESPACE_CHARACTERS`). */
const INVALID_NAMESPACE_CHARACTERS = /[*\\/?"<>|\s,#:-]/u;

/**
 * Why `namespace` cannot be a data stream namespace, as a sentence for the user; null when it can.
 * Elastic's rules (Fleet's `isValidNamespace`; the namespace ends up in index names): not empty,
 * lowercase, none of `* \ / ? " < > | , # : -` nor white space, at most 100 bytes of UTF-8.
 */
export function namespaceError(namespace: string): string | null {
  if (typeof namespace !== 'string' || namespace.trim() === '') {
    return 'The data stream namespace is empty. Use e.g. "default" or a short lowercase name such as "production".';
  }
  const shown = JSON.stringify(namespace.length > 40 ? `${namespace.slice(0, 40)}…` : namespace);
  if (namespace !== namespace.toLowerCase()) {
    return `The data stream namespace ${shown} must be lowercase (it becomes part of an Elasticsearch index name).`;
  }
  const bad = INVALID_NAMESPACE_CHARACTERS.exec(namespace);
  if (bad !== null) {
    const what = /\s/u.test(bad[0]) ? 'spaces or other white space' : `"${bad[0]}"`;
    return `The data stream namespace ${shown} must not contain ${what}. Elastic refuses - \\ / * ? " < > | , # : and white space; use letters, digits, "_" or "." (e.g. "production" or "site_a").`;
  }
  if (Buffer.byteLength(namespace, 'utf8') > MAX_NAMESPACE_BYTES) {
    return `The data stream namespace ${shown} is too long: Elastic accepts at most ${MAX_NAMESPACE_BYTES} bytes.`;
  }
  return null;
}

/** Throws a `RangeError` carrying {@link namespaceError}'s sentence when the namespace is invalid. */
export function assertValidNamespace(namespace: string): void {
  const error = namespaceError(namespace);
  if (error !== null) throw new RangeError(error);
}
