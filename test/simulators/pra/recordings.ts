// Session recordings and command-shell recordings through the reporting API:
//   generate_report=AccessSessionRecording&lsid=…            the screen recording
//   generate_report=CommandShellRecording&lsid=…&instance=N  command-shell recording N
// (report names from BeyondTrust's Reporting API page; `lsid` as the session reports take it,
// `instance` as the AccessSession report numbers `command_shell_recording` elements, from 0).
//
// Which recordings exist: an ENDED session with `hasRecording` has a screen recording, one with
// `commandShellRecordings: n` has instances 0…n-1 (the same rule as the AccessSession report's URLs).
// Answers:
//   - the file: deterministic bytes per (lsid, instance) — a seeded 256 KiB block, stamped with its
//     block number, made on the fly, so a recording of gigabytes costs no memory and little CPU
//     (a memcpy per block) — with Content-Length, and by default `Content-Type: video/x-flv` with a
//     Content-Disposition file name for screen recordings, `application/octet-stream` without a
//     name for shell recordings (exercising both ways of telling the file type);
//   - expired (as the appliance does after 90 days): HTTP 200 text/xml
//     `<error>This recording has expired and can no longer be viewed or downloaded.</error>`;
//   - no such recording / missing parameter: HTTP 200 with another `<error>` (the appliance's way).
// Faults from the queue apply as to reports: `slow` delays the head, `truncate` sends N bytes then
// destroys the socket (a Content-Length mismatch), `stall-body` stops sending, `trickle` sends N
// bytes and then the rest a few bytes at a time, `html` a login page.
import { createHash } from 'node:crypto';
import { errorDocument } from './report-xml.ts';
import type { BodyCut } from './body-sink.ts';
import { respond, writeHead, XML_TYPE, type Exchange } from './http-exchange.ts';
import { createPrng } from './prng.ts';
import { isEndedAt } from './session-store.ts';
import type { SimState } from './sim-state.ts';
import type { SimSession } from './types.ts';

export const EXPIRED_RECORDING_TEXT = 'This recording has expired and can no longer be viewed or downloaded.';
export const NO_RECORDING_TEXT = 'No recording exists for the specified session.';
export const RECORDING_REPORTS = ['AccessSessionRecording', 'CommandShellRecording'] as const;

const BLOCK = 256 * 1024;

export interface RecordingSpec {
  /** Size in bytes (default: 1–96 KiB, derived from the lsid and instance). */
  bytes?: number;
  /** The appliance has deleted it (older than its retention). */
  expired?: boolean;
  /** Content-Type header; null sends none. */
  contentType?: string | null;
  /** File name in Content-Disposition; null sends no Content-Disposition. */
  fileName?: string | null;
  /** Chunked (no Content-Length). */
  chunked?: boolean;
  /** A slow download: the body trickles at this rate, in 16 KiB pieces (a slow link, not a stall). */
  bytesPerSecond?: number;
}

function keyOf(lsid: string, instance: number | null): string {
  return `${lsid}#${instance ?? 'screen'}`;
}

/** Per-recording settings; everything not set follows the defaults above. */
export class RecordingCatalog {
  private readonly specs = new Map<string, RecordingSpec>();
  /** Files answered in full (200 with the whole body written), per `lsid#instance`. */
  readonly served = new Map<string, number>();

  set(lsid: string, instance: number | null, spec: RecordingSpec): void {
    this.specs.set(keyOf(lsid, instance), { ...this.specs.get(keyOf(lsid, instance)), ...spec });
  }

  spec(lsid: string, instance: number | null): Required<Pick<RecordingSpec, 'bytes' | 'expired' | 'chunked'>> & RecordingSpec {
    const spec = this.specs.get(keyOf(lsid, instance)) ?? {};
    return {
      ...spec,
      bytes: spec.bytes ?? defaultRecordingSize(lsid, instance),
      expired: spec.expired ?? false,
      chunked: spec.chunked ?? false,
    };
  }

  servedCount(lsid: string, instance: number | null): number {
    return this.served.get(keyOf(lsid, instance)) ?? 0;
  }
}

export function defaultRecordingSize(lsid: string, instance: number | null): number {
  return createPrng(`size/${keyOf(lsid, instance)}`).int(1024, 96 * 1024);
}

const baseBlocks = new Map<string, Buffer>();

/** The seeded 256 KiB block of a recording (a few are cached: a test serves many small ones). */
function baseBlock(lsid: string, instance: number | null): Buffer {
  const key = keyOf(lsid, instance);
  let block = baseBlocks.get(key);
  if (block) return block;
  block = Buffer.allocUnsafe(BLOCK);
  const prng = createPrng(`bytes/${key}`);
  for (let i = 0; i < BLOCK; i += 4) block.writeUInt32LE((prng.next() * 0x100000000) >>> 0, i);
  if (baseBlocks.size >= 64) baseBlocks.delete(baseBlocks.keys().next().value!);
  baseBlocks.set(key, block);
  return block;
}

/**
 * The recording's bytes, block by block: block i is the base block with i stamped into bytes 16–19;
 * block 0 starts with an FLV header ("FLV", version 1, audio+video, header size 9).
 */
export function* recordingChunks(lsid: string, instance: number | null, size: number): Generator<Buffer> {
  const base = baseBlock(lsid, instance);
  for (let offset = 0, i = 0; offset < size; offset += BLOCK, i++) {
    const n = Math.min(BLOCK, size - offset);
    const chunk = Buffer.allocUnsafe(n);
    base.copy(chunk, 0, 0, n);
    if (n >= 20) chunk.writeUInt32LE(i, 16);
    if (i === 0) Buffer.from([0x46, 0x4c, 0x56, 0x01, 0x05, 0, 0, 0, 9]).copy(chunk, 0, 0, Math.min(9, n));
    yield chunk;
  }
}

/** SHA-256 (hex) of what the simulator serves for a recording. */
export function recordingSha256(lsid: string, instance: number | null, size: number): string {
  const hash = createHash('sha256');
  for (const chunk of recordingChunks(lsid, instance, size)) hash.update(chunk);
  return hash.digest('hex');
}

export function isRecordingReport(report: string | undefined): boolean {
  return (RECORDING_REPORTS as readonly string[]).includes(report ?? '');
}

/** Does the session have this recording (as the AccessSession report lists it)? */
export function hasRecording(session: SimSession | undefined, instance: number | null, now: number): session is SimSession {
  if (!session || !isEndedAt(session, now)) return false;
  return instance === null ? session.hasRecording : instance >= 0 && instance < session.commandShellRecordings;
}

export async function handleRecording(ex: Exchange, state: SimState, params: Record<string, string>, cut: BodyCut | undefined): Promise<void> {
  const report = params.generate_report!;
  const ns = state.site.namespace;
  const error = (text: string, outcome: string) => {
    ex.entry.outcome = outcome;
    return respond(ex, 200, { 'Content-Type': XML_TYPE }, errorDocument('session_list', text, 'root', ns), cut);
  };
  const lsid = (params.lsid ?? '').trim();
  if (lsid === '') return error('Missing required parameter: lsid.', 'parameter-error');
  let instance: number | null = null;
  if (report === 'CommandShellRecording') {
    if (!/^\d+$/.test((params.instance ?? '').trim())) return error('Missing or invalid parameter: instance.', 'parameter-error');
    instance = Number(params.instance);
  }
  const now = Math.floor(state.serverNowMs() / 1000);
  if (!hasRecording(state.store.get(lsid), instance, now)) return error(NO_RECORDING_TEXT, 'no-recording');
  const spec = state.recordings.spec(lsid, instance);
  if (spec.expired) return error(EXPIRED_RECORDING_TEXT, 'recording-expired');

  const headers: Record<string, string> = {};
  const contentType = spec.contentType !== undefined ? spec.contentType : instance === null ? 'video/x-flv' : 'application/octet-stream';
  if (contentType !== null) headers['Content-Type'] = contentType;
  const fileName = spec.fileName !== undefined ? spec.fileName : instance === null ? `${lsid}.flv` : null;
  if (fileName !== null) headers['Content-Disposition'] = `attachment; filename="${fileName}"`;
  if (!spec.chunked) headers['Content-Length'] = String(spec.bytes);
  ex.entry.outcome = 'recording';
  writeHead(ex, 200, headers);
  const res = ex.res;
  let sent = 0;
  for (const chunk of recordingChunks(lsid, instance, spec.bytes)) {
    if (res.destroyed) return;
    let piece = chunk;
    if (cut?.mode === 'trickle' && sent + piece.length > cut.afterBytes) {
      // trickle: the rest of the body `bytesPerTick` per `intervalMs`, until done or the client left.
      const fast = Math.max(0, cut.afterBytes - sent);
      if (fast) await write(res, piece.subarray(0, fast));
      for (let at = fast; at < piece.length && !res.destroyed; at += cut.bytesPerTick) {
        await new Promise((r) => setTimeout(r, cut.intervalMs));
        if (res.destroyed) return;
        if (!res.write(piece.subarray(at, at + cut.bytesPerTick))) await drained(res);
      }
      sent += piece.length;
      ex.entry.bytes = sent;
      continue;
    }
    if (cut && cut.mode !== 'trickle' && sent + piece.length >= cut.afterBytes) {
      piece = piece.subarray(0, Math.max(0, cut.afterBytes - sent));
      if (piece.length) await write(res, piece);
      ex.entry.bytes = sent + piece.length;
      // truncate: the connection dies mid-body; stall: the body stops, the connection stays open.
      if (cut.mode === 'truncate') res.socket?.destroy();
      return;
    }
    sent += piece.length;
    if (spec.bytesPerSecond) {
      for (let at = 0; at < piece.length && !res.destroyed; at += 16 * 1024) {
        const slice = piece.subarray(at, at + 16 * 1024);
        if (!res.write(slice)) await drained(res);
        await new Promise((r) => setTimeout(r, (slice.length / spec.bytesPerSecond!) * 1000));
      }
      continue;
    }
    if (!res.write(piece)) await drained(res);
  }
  ex.entry.bytes = sent;
  if (cut && cut.mode !== 'trickle') {
    if (cut.mode === 'truncate') res.socket?.destroy();
    return;
  }
  await new Promise<void>((resolve) => res.end(resolve));
  ex.entry.completed = true;
  const key = keyOf(lsid, instance);
  state.recordings.served.set(key, (state.recordings.served.get(key) ?? 0) + 1);
}

function write(res: Exchange['res'], chunk: Buffer): Promise<void> {
  return new Promise((resolve) => {
    res.write(chunk, () => resolve());
    res.once('close', () => resolve());
  });
}

function drained(res: Exchange['res']): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}
