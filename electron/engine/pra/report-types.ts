/** One participant of a session: a `<customer>` of `customer_list` or a `<representative>` of `rep_list`. */
export interface Participant {
  kind: 'customer' | 'representative';
  gsnumber: string;
  /** `id` attribute (representatives only). */
  id: string | null;
  username: string | null;
  displayName: string | null;
  publicIp: string | null;
  privateIp: string | null;
  hostname: string | null;
  os: string | null;
  sessionOwner: boolean | null;
  secondsInvolved: number | null;
}

/** Everything of a `<session>` except its events (`session_details`). */
export interface SessionHeader {
  /** `lsid` attribute; absent in some old outputs (then null). */
  lsid: string | null;
  sessionType: string | null;
  lseq: string | null;
  /** `start_time/@timestamp` (Unix seconds). */
  startTime: number | null;
  /** `end_time/@timestamp`; null while the session is still in progress (empty `end_time`). */
  endTime: number | null;
  /** `duration` as the appliance writes it (`HH:MM:SS`). */
  duration: string | null;
  externalKey: string | null;
  jumpGroup: { id: string | null; type: string | null; name: string } | null;
  jumpoint: { id: string | null; name: string } | null;
  primaryCustomer: { gsnumber: string | null; name: string } | null;
  primaryRep: { gsnumber: string | null; id: string | null; name: string } | null;
  fileTransferCount: number | null;
  fileMoveCount: number | null;
  fileDeleteCount: number | null;
  customAttributes: { codeName: string; displayName: string; value: string }[];
  customers: Participant[];
  reps: Participant[];
  /**
   * The `<session>` element as XML text without its `session_details`: its start tag written again
   * from its attributes, its content before `session_details` exactly as the appliance sent it,
   * then its end tag. `parseElementXml` (xml-element.ts) reads it into the tree Elastic's `message`
   * is built from.
   */
  xml: string;
}

/** One `<session_details>/<event>`. */
export interface SessionEvent {
  /** 0-based position of the event inside its session's `session_details`; stable across re-fetches
   *  because the appliance only ever appends events to a session. */
  ordinal: number;
  /** `@timestamp` as Unix seconds when it is numeric; ISO text (as in Elastic's mock) is converted. */
  timestamp: number | null;
  eventType: string;
  performedBy: { type: string | null; gsnumber: string | null; name: string } | null;
  destination: { type: string | null; gsnumber: string | null; name: string } | null;
  /** `body`, or `encoded_body` decoded from base64 when only that is present. */
  body: string | null;
  /**
   * The `<event>` element as XML text: its start tag written again from its attributes, then its
   * content and end tag exactly as the appliance sent them (prefixes, entities and whitespace
   * included). `parseElementXml` (xml-element.ts) reads it into the tree Elastic's `message` is built from.
   */
  xml: string;
}

/**
 * What the streaming parser yields, in document order:
 * `session` (once its header is complete, i.e. when `session_details` opens or the session closes),
 * then each `event`, then `session-end`.
 */
export type ReportItem =
  | { type: 'session'; header: SessionHeader }
  | { type: 'event'; lsid: string | null; event: SessionEvent }
  /** `lateXml`: the text of elements after `session_details`, an anomaly (see withLateContent); absent when there are none. */
  | { type: 'session-end'; lsid: string | null; eventCount: number; lateXml?: string };

/** One `<session_summary>` of an AccessSessionListing report. */
export interface SessionSummary {
  lsid: string;
  hasRecording: boolean;
}
