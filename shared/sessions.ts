/** The local session store as the CLI and the UI browse it. */

export interface SessionListQuery {
  siteId?: number;
  /** Unix seconds: sessions that began at or after this. */
  since?: number;
  until?: number;
  /** Matches lsid, jump group, jumpoint, a participant's username / display name / host name. */
  search?: string;
  limit?: number;
  offset?: number;
}

export interface SessionRow {
  siteId: number;
  siteHost: string;
  lsid: string;
  sessionType: string | null;
  startTime: string | null;
  endTime: string | null;
  duration: string | null;
  jumpGroup: string | null;
  jumpoint: string | null;
  primaryCustomer: string | null;
  primaryRep: string | null;
  eventCount: number;
  inProgress: boolean;
}

export interface SessionEventRow {
  ordinal: number;
  time: string | null;
  eventType: string;
  performedBy: string | null;
  destination: string | null;
  body: string | null;
}

export interface SessionDetail extends SessionRow {
  participants: {
    kind: 'customer' | 'representative';
    gsnumber: string;
    username: string | null;
    displayName: string | null;
    hostname: string | null;
    publicIp: string | null;
    privateIp: string | null;
    os: string | null;
  }[];
  customAttributes: { codeName: string; displayName: string; value: string }[];
  events: SessionEventRow[];
}

/** Events collected per hour (by when they were stored), oldest first. */
export interface HourlyCount {
  hour: string;
  events: number;
}
