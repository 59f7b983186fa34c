/** A step of a Test (a site's or the Elastic destination's), reported live as it runs. */
export interface TestStep<Id extends string = string> {
  id: Id;
  title: string;
  status: 'running' | 'ok' | 'failed' | 'skipped';
  /** Plain language: what was found, or what is wrong and what to do. Never a secret. */
  detail: string;
  durationMs: number;
  /** A fix the UI can offer as a button (e.g. install the integration's assets). */
  fix?: 'install-assets';
}

export interface TestResult<Id extends string = string> {
  ok: boolean;
  steps: TestStep<Id>[];
}

/** The steps of a site's Test (CLI `pra-ic site test` and the dialog's Test button), in order. */
export const SITE_TEST_STEPS = [
  { id: 'dns', title: 'Name resolution' },
  { id: 'tls', title: 'Secure connection (TLS)' },
  { id: 'token', title: 'Sign-in with client ID and secret' },
  { id: 'reporting', title: 'Permission to read access session reports' },
  { id: 'clock', title: 'Clock agreement with the site' },
  /** Only when the site's backups are on (else `skipped`): may the API account take site backups? */
  { id: 'backup', title: 'Permission to take site backups' },
] as const;

export type SiteTestStepId = (typeof SITE_TEST_STEPS)[number]['id'];
export type SiteTestStepResult = TestStep<SiteTestStepId>;
export type SiteTestResult = TestResult<SiteTestStepId>;
