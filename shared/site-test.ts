/** The steps of a site's Test (CLI `pra-ic site test` and the dialog's Test button), in order. */
export const SITE_TEST_STEPS = [
  { id: 'dns', title: 'Name resolution' },
  { id: 'tls', title: 'Secure connection (TLS)' },
  { id: 'token', title: 'Sign-in with client ID and secret' },
  { id: 'reporting', title: 'Permission to read access session reports' },
  { id: 'clock', title: 'Clock agreement with the site' },
] as const;

export type SiteTestStepId = (typeof SITE_TEST_STEPS)[number]['id'];

export interface SiteTestStepResult {
  id: SiteTestStepId;
  title: string;
  status: 'running' | 'ok' | 'failed' | 'skipped';
  /** Plain language: what was found, or what is wrong and what to do. Never a secret. */
  detail: string;
  durationMs: number;
}

export interface SiteTestResult {
  ok: boolean;
  steps: SiteTestStepResult[];
}
