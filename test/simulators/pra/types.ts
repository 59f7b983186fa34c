// The simulator's data model: what a PRA appliance knows about an access session, in the terms of
// the AccessSession report (BeyondTrust "Download reports with AccessSession"; see
// /work/shared/reference/README.md). Times are Unix seconds (UTC), like the report's `timestamp`
// attributes. Field names are camelCase versions of the XML element names.

/** Unix time in seconds. */
export type UnixSeconds = number;

/** `<customer gsnumber>` of `<customer_list>`: the endpoint side of the session. */
export interface SimCustomer {
  gsnumber: string;
  username: string;
  /** As the appliance reports it: with the port (`4.231.237.19:61606`, `[2a01:…]:56722`) or `Unknown`. */
  publicIp: string;
  privateIp: string;
  hostname: string;
  os: string;
}

/** `<representative gsnumber id>` of `<rep_list>`: a user who took part in the session. */
export interface SimRepresentative {
  gsnumber: string;
  id: string;
  username: string;
  displayName: string;
  publicDisplayName: string;
  privateDisplayName: string;
  publicIp: string;
  privateIp: string;
  /** Absent from real cloud output for representatives; emitted only when set. */
  hostname?: string;
  os: string;
  sessionOwner: boolean;
  secondsInvolved: number;
  /** Emitted only when set (`<invited>` appears in some versions). */
  invited?: boolean;
}

/** `<performed_by>` / `<destination>`: who did or received an event. `type` is e.g. representative, customer, system. */
export interface SimParty {
  type: string;
  gsnumber: string;
  /** Element text (a display name, or e.g. `Pre-start Conference` for the system). */
  name: string;
}

export interface SimSystemInfoCategory {
  name: string;
  description: Array<{ name: string; label: string }>;
  rows: Array<Array<{ name: string; value: string }>>;
}

/** `<event timestamp event_type>` of `<session_details>`. */
export interface SimEvent {
  timestamp: UnixSeconds;
  eventType: string;
  performedBy?: SimParty;
  destination?: SimParty;
  /** `<data><value name value/></data>`. */
  data?: Array<{ name: string; value: string }>;
  /**
   * The event text (chat message, command…). The simulator emits it as `<body>` when XML can carry
   * it and as `<encoded_body>` (base64 of the UTF-8 bytes) when it holds characters XML 1.0 cannot
   * (control characters, lone surrogates), as the appliance does.
   */
  body?: string;
  filename?: string;
  filesize?: number;
  files?: Array<{ filename: string; filesize: number }>;
  systemInformation?: SimSystemInfoCategory[];
}

/**
 * Events produced on demand instead of held in memory, so that a test can serve a session of
 * hundreds of megabytes without the simulator holding it. `iterate()` must yield the same events,
 * in timestamp order, every time it is called.
 */
export interface LazyEvents {
  count: number;
  iterate(): Iterable<SimEvent>;
}

export interface SimSession {
  lsid: string;
  sessionType: string;
  lseq: number;
  startTime: UnixSeconds;
  /** null while in progress. A session whose end lies after the server's "now" is still in progress. */
  endTime: UnixSeconds | null;
  externalKey: string;
  customAttributes: Array<{ displayName: string; codeName: string; value: string }>;
  /** Chat transcript URLs are emitted for ended sessions when true. */
  hasChat: boolean;
  /** Screen recording URLs (and `has_recording="1"` in the listing) for ended sessions when true. */
  hasRecording: boolean;
  /** Number of command shell recordings (`<command_shell_recording instance>`), ended sessions only. */
  commandShellRecordings: number;
  /** Counters; derived from the visible File … events when left undefined. */
  fileTransferCount?: number;
  fileMoveCount?: number;
  fileDeleteCount?: number;
  primaryCustomer: { gsnumber: string; name: string };
  primaryRep: { gsnumber: string; id: string; name: string } | null;
  jumpGroup: { type: string; id: string; name: string };
  /** Sessions started through a Jump Client have no Jumpoint: the element is then left out. */
  jumpoint?: { id: string; name: string };
  customers: SimCustomer[];
  reps: SimRepresentative[];
  /** Kept in timestamp order. Events after the server's "now" are not visible yet. */
  events: SimEvent[];
  /** Bulk events served lazily, before `events` (which then holds only later, appended events). */
  lazyEvents?: LazyEvents;
}

/** What `addSession` accepts: anything left out gets a plausible default. */
export type SessionInput = Partial<SimSession> & { lsid: string; startTime: UnixSeconds };

export interface ApiAccountInput {
  clientId: string;
  clientSecret: string;
  /** Reporting API "Allow Access to Access Session Reports and Recordings" (default true). */
  permissions?: { reporting?: boolean; /** Backup API "Allow Access" (default true). */ backup?: boolean };
  disabled?: boolean;
}
