import type { Client } from '@elastic/elasticsearch';
import { errorReason } from './elastic-connection.ts';
import type { Batch } from './outbox-batches.ts';

/** Elasticsearch's answer to one `_bulk` request, item by item (positions of the batch). */
export interface BulkAnswer {
  /** Indexed now, or already there (409: delivered before, the `_id` is deterministic). */
  sent: number[];
  /** Throttled or failed on the server's side (429, 5xx): to be sent again. */
  retry: number[];
  /** Rejected (a 4xx other than 409: mapping, pipeline…), with Elasticsearch's reason. */
  failed: { position: number; reason: string }[];
}

/**
 * The batch's lines as one Buffer, sent as is (a string would be measured and encoded again by the
 * client; a Uint8Array that is not a Buffer would be serialised as an object). Lines read together
 * are views of one body, used without a copy.
 */
export function bodyOf(batch: Pick<Batch, 'lines' | 'bytes'>): Buffer {
  const lines = batch.lines;
  const first = lines[0];
  if (first === undefined) return Buffer.alloc(0);
  let contiguous = true;
  for (let i = 1; i < lines.length && contiguous; i++) {
    const previous = lines[i - 1]!;
    contiguous = lines[i]!.buffer === first.buffer && lines[i]!.byteOffset === previous.byteOffset + previous.byteLength;
  }
  if (contiguous) return Buffer.from(first.buffer, first.byteOffset, batch.bytes);
  return Buffer.concat(lines, batch.bytes);
}

interface BulkItemResult {
  status?: number;
  error?: unknown;
}

/**
 * Sends one prebuilt NDJSON body (the client does not serialise it again) and reads the answer
 * item by item. Only the fields read are asked for (`filter_path`), which keeps the answer to a
 * few bytes per item. Throws the client's error when the request as a whole failed.
 */
export async function sendBulk(client: Client, batch: Batch, signal?: AbortSignal): Promise<BulkAnswer> {
  const body = (await client.transport.request(
    {
      method: 'POST',
      path: '/_bulk',
      querystring: { filter_path: 'errors,items.*.status,items.*.error.type,items.*.error.reason' },
      bulkBody: bodyOf(batch),
    },
    { signal },
  )) as { errors?: boolean; items?: Record<string, BulkItemResult>[] };
  const items = body.items ?? [];
  const answer: BulkAnswer = { sent: [], retry: [], failed: [] };
  for (let i = 0; i < batch.ids.length; i++) {
    const item = items[i];
    // An item Elasticsearch did not answer for (should not happen) stays pending: sent again.
    if (item === undefined) {
      answer.retry.push(i);
      continue;
    }
    const result = item.create ?? Object.values(item)[0];
    const status = result?.status ?? 0;
    if (status === 200 || status === 201 || status === 409) answer.sent.push(i);
    else if (status === 429 || status >= 500 || status === 0) answer.retry.push(i);
    else answer.failed.push({ position: i, reason: `HTTP ${status}: ${errorReason({ error: result?.error }) ?? 'rejected'}` });
  }
  return answer;
}
