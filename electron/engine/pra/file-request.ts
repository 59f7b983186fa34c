/**
 * One request whose answer is a file (a session recording), sent with node:https itself rather than
 * through got. A recording may be gigabytes: got's stream puts two more streams between the socket
 * and the reader (it `read()`s the response, joining buffered records into new buffers, and pushes
 * them into its own Duplex). Reading the same 256 MB recording and doing nothing else with it, that
 * took a third of the speed here (385 MB/s through got, 564 MB/s from the response, with more
 * garbage collections). Here the reader (download-body.ts) takes the response's own `data` events.
 *
 * What got did for these requests and is done here: the same agent (TLS trust, proxy tunnel,
 * `Connection: close`), the same User-Agent, the site's timeout as the socket's idle timeout up to
 * the answer's head (connect, TLS handshake, waiting for the head), abort by signal, no redirects.
 * In the body, the download's reader (download-body.ts) takes over from the idle timeout — the same
 * site timeout for silence, and a minimum throughput — without counting the time it keeps the
 * stream paused because the disk is behind, where an idle timeout would blame the site for a slow
 * archive folder. Not done: decompression — no Accept-Encoding is sent, so the appliance answers with
 * the file's own bytes (a recording or backup is compressed already). The caller's exchange loop
 * (pra-client.ts) adds the limiter, retries, 429s and re-authentication as for every request.
 */
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';

/** An answer's head, and its body as a stream for the caller to read or destroy. */
export interface StreamResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  request: Readable;
}

export interface FileRequest {
  url: string;
  agent: https.Agent;
  /** The form fields, sent as application/x-www-form-urlencoded. */
  form: Record<string, string>;
  headers: Record<string, string>;
  /** Idle timeout of the socket, from connecting to the answer's head. */
  timeoutMs: number;
  signal?: AbortSignal;
}

/** Resolves with the answer's head once it arrives; its body is `request` (the IncomingMessage), for the caller to read or destroy. */
export function sendFileRequest(options: FileRequest): Promise<StreamResponse> {
  const body = new URLSearchParams(options.form).toString();
  return new Promise((resolve, reject) => {
    const request = https.request(options.url, {
      method: 'POST',
      agent: options.agent,
      headers: {
        ...options.headers,
        'content-type': 'application/x-www-form-urlencoded',
        'content-length': String(Buffer.byteLength(body)),
      },
      timeout: options.timeoutMs,
      signal: options.signal,
    });
    request.on('timeout', () => {
      request.destroy(Object.assign(new Error(`Timeout: no data for ${options.timeoutMs} ms`), { code: 'ETIMEDOUT' }));
    });
    request.once('error', reject);
    request.once('response', (head: IncomingMessage) => {
      request.setTimeout(0);
      request.off('error', reject);
      // Errors after the head reach the body's reader through the response; keep one listener here so none goes unhandled.
      request.on('error', () => undefined);
      resolve({ statusCode: head.statusCode ?? 0, headers: head.headers, request: head });
    });
    request.end(body);
  });
}
