/**
 * Generates big AccessSession reports as a stream of Buffers, never holding the document: each
 * session is rendered, encoded and cut into fixed-size chunks (so chunk boundaries fall anywhere,
 * including inside multibyte UTF-8 characters), and only the current chunk is kept.
 *
 * The content is deterministic, so tests know the exact counts and can check any item.
 */

export interface ReportGeneratorOptions {
  sessions: number;
  eventsPerSession: number;
  /** Size of every chunk but the last (default 64 KiB + 3, so boundaries drift across characters). */
  chunkBytes?: number;
  /** Default namespace of `session_list` (default: PRA cloud's). Empty string: no namespace. */
  namespace?: string;
}

export const PRA_NAMESPACE = 'http://www.beyondtrust.com/sra/namespaces/API/reporting';

/** Timestamp of the first session; session `s` starts at `BASE_TIME + s * 60`, its event `e` at `+ e`. */
export const BASE_TIME = 1_733_239_565;

export function lsidOf(session: number): string {
  return `s${session.toString(16).padStart(31, '0')}`;
}

/** The body of event `e` when it is not base64-encoded (entities and multibyte characters on purpose). */
export function eventBodyOf(session: number, e: number): string {
  return `Zürich → 東京 <${session}/${e}> & "ok" 🚀`;
}

export class ReportXmlGenerator {
  /** Bytes handed out so far. */
  bytesProduced = 0;
  /** Events rendered so far (incremented when an event's text is generated, before it is chunked). */
  eventsRendered = 0;

  private readonly chunkBytes: number;

  constructor(private readonly options: ReportGeneratorOptions) {
    this.chunkBytes = options.chunkBytes ?? 64 * 1024 + 3;
  }

  get totalEvents(): number {
    return this.options.sessions * this.options.eventsPerSession;
  }

  async *chunks(): AsyncGenerator<Buffer> {
    const size = this.chunkBytes;
    let carry: Buffer = Buffer.alloc(0);
    for (const text of this.pieces()) {
      let buf = Buffer.from(text, 'utf8');
      if (carry.length !== 0) buf = Buffer.concat([carry, buf]);
      let offset = 0;
      while (buf.length - offset >= size) {
        const chunk = buf.subarray(offset, offset + size);
        offset += size;
        this.bytesProduced += chunk.length;
        yield chunk;
      }
      carry = buf.subarray(offset);
    }
    if (carry.length !== 0) {
      this.bytesProduced += carry.length;
      yield carry;
    }
  }

  /** Text pieces of at most about 64 KiB: the document start, then sessions in batches of events. */
  private *pieces(): Generator<string> {
    const ns = this.options.namespace ?? PRA_NAMESPACE;
    yield `<?xml version="1.0" encoding="UTF-8"?>\n<session_list${ns === '' ? '' : ` xmlns="${ns}"`}>\n`;
    const perSession = this.options.eventsPerSession;
    for (let s = 0; s < this.options.sessions; s++) {
      let text = sessionHeader(s);
      for (let e = 0; e < perSession; e++) {
        text += event(s, e);
        this.eventsRendered++;
        if (text.length > 60_000) {
          yield text;
          text = '';
        }
      }
      yield `${text}</session_details>\n</session>\n`;
    }
    yield '</session_list>\n';
  }
}

function sessionHeader(s: number): string {
  const start = BASE_TIME + s * 60;
  return `<session lsid="${lsidOf(s)}">
<session_type>support</session_type>
<lseq>${s}</lseq>
<start_time timestamp="${start}">${new Date(start * 1000).toISOString()}</start_time>
<end_time timestamp="${start + 50}">${new Date((start + 50) * 1000).toISOString()}</end_time>
<duration>00:00:50</duration>
<external_key></external_key>
<custom_attributes><custom_attribute display_name="Priorität" code_name="priority">Hoch</custom_attribute></custom_attributes>
<file_transfer_count>${s % 7}</file_transfer_count>
<file_move_count>0</file_move_count>
<file_delete_count>1</file_delete_count>
<primary_customer gsnumber="22">Kundé ${s}</primary_customer>
<jump_group type="shared" id="1">Équipe ☃</jump_group>
<primary_rep gsnumber="21" id="1">Admin</primary_rep>
<customer_list>
<customer gsnumber="22"><username>user${s}</username><public_ip>4.231.237.19:61606</public_ip><private_ip>10.0.0.4</private_ip><hostname>host-${s}</hostname><os>Windows Server 2022</os></customer>
</customer_list>
<rep_list>
<representative gsnumber="21" id="1"><username>admin</username><display_name>Admin</display_name><public_ip>[2a01:e34::1]:56722</public_ip><private_ip>Unknown</private_ip><os>Unknown</os><session_owner>1</session_owner><seconds_involved>50</seconds_involved></representative>
</rep_list>
<session_details>
`;
}

function event(s: number, e: number): string {
  const ts = BASE_TIME + s * 60 + e;
  if (e % 10 === 9) {
    // encoded_body only (PRA uses it when the body holds characters XML cannot carry).
    return `<event timestamp="${ts}" event_type="Command Shell"><performed_by type="representative" gsnumber="21">Admin</performed_by><encoded_body>${Buffer.from(eventBodyOf(s, e)).toString('base64')}</encoded_body></event>\n`;
  }
  const body = e % 5 === 0 ? `<![CDATA[${eventBodyOf(s, e)}]]>` : escapeXml(eventBodyOf(s, e));
  return `<event timestamp="${ts}" event_type="Chat Message"><performed_by type="representative" gsnumber="21">Admin</performed_by><body>${body}</body></event>\n`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
