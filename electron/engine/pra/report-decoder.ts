// The body's bytes → text, in the character encoding the report declares (see BodyDecoder).
import { TextDecoder } from 'node:util';
import { MalformedReportError } from './errors.ts';

/** Most bytes held back to choose the character encoding (BOM, or the XML declaration's `encoding`). */
const SNIFF_BYTES = 512;

/**
 * Bytes → text with one streaming decoder, so characters split across chunks survive. The encoding
 * is UTF-8 unless the first bytes say otherwise: a UTF-16 BOM or `<?` pattern, or the XML
 * declaration's `encoding` (PRA always sends UTF-8; the rest is cheap insurance).
 */
export class BodyDecoder {
  private decoder: TextDecoder | null = null;
  private held: Uint8Array[] = [];
  private heldLength = 0;

  decode(bytes: Uint8Array): string {
    if (this.decoder !== null) return this.decoder.decode(bytes, { stream: true });
    this.held.push(bytes);
    this.heldLength += bytes.length;
    return this.canDecide() ? this.start() : '';
  }

  /** Enough bytes to choose: the XML declaration is complete, or there is none, or SNIFF_BYTES are in. */
  private canDecide(): boolean {
    if (this.heldLength >= SNIFF_BYTES) return true;
    if (this.held.length > 1) this.held = [Buffer.concat(this.held)];
    const b = this.held[0]!;
    if (b.length < 4) return false;
    const start = b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf ? 3 : 0;
    const declaration = [0x3c, 0x3f, 0x78, 0x6d, 0x6c]; // "<?xml"
    for (let i = 0; i < declaration.length; i++) {
      if (start + i >= b.length) return false; // too short to tell
      if (b[start + i] !== declaration[i]) return true; // no declaration (or UTF-16, which has a BOM or NULs)
    }
    return Buffer.from(b.buffer, b.byteOffset, b.length).includes('?>');
  }

  /** The text of whatever is still held back (incomplete characters are replaced); resets the decoder. */
  pending(): string {
    if (this.decoder !== null) return this.decoder.decode();
    return this.heldLength === 0 ? '' : this.start() + this.flush();
  }

  private flush(): string {
    return this.decoder?.decode() ?? '';
  }

  private start(): string {
    const bytes = this.held.length === 1 ? this.held[0]! : Buffer.concat(this.held);
    this.held = [];
    this.heldLength = 0;
    this.decoder = new TextDecoder(detectEncoding(bytes));
    return this.decoder.decode(bytes, { stream: true });
  }
}

function detectEncoding(b: Uint8Array): string {
  if (b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return 'utf-8';
  if (b[0] === 0xff && b[1] === 0xfe) return 'utf-16le';
  if (b[0] === 0xfe && b[1] === 0xff) return 'utf-16be';
  if (b[0] === 0x3c && b[1] === 0x00 && b[2] === 0x3f && b[3] === 0x00) return 'utf-16le';
  if (b[0] === 0x00 && b[1] === 0x3c && b[2] === 0x00 && b[3] === 0x3f) return 'utf-16be';
  const head = Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, SNIFF_BYTES)).toString('latin1');
  const declared = /^\s*<\?xml\s[^>]*?\bencoding\s*=\s*["']([A-Za-z][\w.:-]*)["']/.exec(head)?.[1];
  if (declared === undefined) return 'utf-8';
  let encoding: string;
  try {
    encoding = new TextDecoder(declared).encoding;
  } catch {
    throw new MalformedReportError(`The report declares the character encoding "${declared}", which this program cannot read.`);
  }
  // A UTF-16 label on ASCII-compatible bytes is a lie: the bytes win.
  return encoding.startsWith('utf-16') ? 'utf-8' : encoding;
}

// ---------------------------------------------------------------------------------------------
// Handlers: saxes events → trees and items
// ---------------------------------------------------------------------------------------------
