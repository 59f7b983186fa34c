// Faults a test can inject into the `_bulk` endpoint, and the documented bodies they produce.
//
// - Item rejections (429 es_rejected_execution_exception): the write thread pool / indexing pressure limit
//   rejects a shard-level operation; the bulk answers 200 with `errors: true` and the rejected items at
//   status 429, the others indexed normally (bulk API: "the response contains ... the status of each
//   operation"; clients are told to retry 429 items with backoff).
// - Item mapping rejections (400 document_parsing_exception, `mapper_parsing_exception` before 8.8).
// - Whole-request failures: 429 es_rejected_execution_exception (coordinating indexing pressure),
//   503 (e.g. cluster_block_exception "blocked by: [SERVICE_UNAVAILABLE/2/no master];"), 502 from a
//   proxy in front of the cluster (not an Elasticsearch body), 500.
// - Slowness and outages (connection refused / reset).

import type { JsonObject } from './json.ts';
import { errorBody, exception, type EsErrorBody, type EsException } from './errors.ts';

/** What a match function sees of a bulk item. */
export interface BulkItemView {
  action: 'create' | 'index' | 'update' | 'delete';
  /** The target as written in the request (data stream or index name). */
  target: string;
  id: string | null;
  /**
   * The document: as sent for `reject-items` (the shard rejects before ingest ran there), after the ingest
   * pipelines for `item-400` (mapping happens last); null for delete/update or unparsable sources.
   */
  source: JsonObject | null;
  /** 1-based position of the item in its bulk request. */
  position: number;
}

export type Fault =
  | {
      kind: 'reject-items';
      /** Item status (default 429). */
      status?: number;
      /** How many bulk requests this applies to (default 1). */
      count?: number;
      /** Reject every Nth item of the bulk (positions N, 2N, ...); default 2. Ignored when `match` is given. */
      everyNth?: number;
      match?: (item: BulkItemView) => boolean;
    }
  | {
      kind: 'item-400';
      match?: (item: BulkItemView) => boolean;
      reason?: string;
      type?: 'document_parsing_exception' | 'mapper_parsing_exception';
      /** How many bulk requests this applies to (default: until cleared — a mapping conflict is permanent). */
      count?: number;
    }
  | {
      kind: 'status';
      status: 429 | 500 | 502 | 503;
      count?: number;
      /** Adds a Retry-After header (seconds). */
      retryAfter?: number;
    }
  | {
      kind: 'slow';
      delayMs: number;
      count?: number;
    }
  | {
      kind: 'down';
      /** `refuse` closes the listening socket (ECONNREFUSED); `reset` accepts and destroys each connection. */
      mode?: 'refuse' | 'reset';
    };

interface Armed {
  fault: Fault;
  remaining: number;
}

export class FaultQueue {
  private armed: Armed[] = [];

  add(faults: Fault[]): void {
    for (const fault of faults) {
      if (fault.kind === 'down') continue; // handled immediately by the simulator
      const remaining = fault.count ?? (fault.kind === 'item-400' ? Infinity : 1);
      this.armed.push({ fault, remaining });
    }
  }

  clear(): void {
    this.armed = [];
  }

  pending(): Fault[] {
    return this.armed.filter((a) => a.remaining > 0).map((a) => a.fault);
  }

  /** Takes the first armed fault of a kind for this bulk request, consuming one use. */
  take<K extends Fault['kind']>(kind: K): Extract<Fault, { kind: K }> | null {
    const a = this.armed.find((x) => x.fault.kind === kind && x.remaining > 0);
    if (!a) return null;
    a.remaining--;
    this.armed = this.armed.filter((x) => x.remaining > 0);
    return a.fault as Extract<Fault, { kind: K }>;
  }
}

/** Body and headers of a whole-request failure. */
export function statusFailure(fault: Extract<Fault, { kind: 'status' }>): { body: EsErrorBody | string; contentType: string; elastic: boolean; headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
  switch (fault.status) {
    case 429:
      return {
        body: errorBody(
          429,
          exception(
            'es_rejected_execution_exception',
            'rejected execution of coordinating operation [coordinating_and_primary_bytes=104857600, replica_bytes=0, all_bytes=104857600, ' +
              'coordinating_operation_bytes=5242880, max_coordinating_and_primary_bytes=107374182]',
          ),
        ),
        contentType: 'application/json',
        elastic: true,
        headers,
      };
    case 503:
      return {
        body: errorBody(503, exception('cluster_block_exception', 'blocked by: [SERVICE_UNAVAILABLE/2/no master];')),
        contentType: 'application/json',
        elastic: true,
        headers,
      };
    case 502:
      // A reverse proxy's answer (the cluster never saw the request): HTML, and no X-Elastic-Product.
      return {
        body: '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n',
        contentType: 'text/html',
        elastic: false,
        headers,
      };
    default:
      return {
        body: errorBody(500, exception('illegal_state_exception', 'simulated internal failure')),
        contentType: 'application/json',
        elastic: true,
        headers,
      };
  }
}

/** The item-level exception of a rejected shard operation. */
export function itemRejection(status: number, bytes: number): EsException {
  if (status === 429) {
    return exception(
      'es_rejected_execution_exception',
      `rejected execution of primary operation [coordinating_and_primary_bytes=0, replica_bytes=0, all_bytes=0, primary_operation_bytes=${bytes}, max_coordinating_and_primary_bytes=107374182]`,
    );
  }
  return exception('illegal_state_exception', `simulated item failure with status ${status}`);
}
