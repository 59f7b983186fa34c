// Everything the endpoints share: accounts, limiter, fault queue, session store, request log, and
// the settings a test may change while the simulator runs.
import type { ApiAccounts } from './api-accounts.ts';
import type { FaultQueue } from './faults.ts';
import type { SiteLocale } from './no-data-texts.ts';
import type { RateLimiter } from './rate-limits.ts';
import type { RecordingCatalog } from './recordings.ts';
import type { RenderCache } from './report-xml.ts';
import type { RequestLog } from './request-log.ts';
import type { SessionStore } from './session-store.ts';

export interface SiteSettings {
  locale: SiteLocale;
  namespace: string | null;
  /** Where <error> goes: the root element (PRA 25.x) or inside the list element. */
  errorPlacement: 'root' | 'in-list';
  /** "No data" as a localized <error> (what the field shows) or as an empty list element. */
  noData: 'error' | 'empty-list';
  inProgressEndTime: 'empty' | 'omitted';
  siteHostname: string;
  renderCache: RenderCache | undefined;
}

export interface SimState {
  accounts: ApiAccounts;
  limiter: RateLimiter;
  faults: FaultQueue;
  store: SessionStore;
  log: RequestLog;
  /** Recordings' sizes, expiry and headers (recordings.ts). */
  recordings: RecordingCatalog;
  site: SiteSettings;
  /** Server clock, ms since the epoch. */
  serverNowMs(): number;
}
