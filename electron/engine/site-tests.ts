/**
 * The Test button of a site: a stored site as it is saved, or the New/Edit dialog's unsaved values
 * over it. Each step's result goes to `onStep` as it ends (pra/site-test.ts runs them); the outcome
 * is logged, and a stored site that passes no longer needs attention.
 */
import type { SiteInputRaw } from '../../shared/site-schema.ts';
import type { SiteTestResult, SiteTestStepResult } from '../../shared/site-test.ts';
import { backupPermissionCheck } from './backup/backup-request.ts';
import type { Scheduler } from './extract/scheduler.ts';
import type { Logger } from './log/logger.ts';
import type { PraAccounts } from './pra/pra-accounts.ts';
import type { RetryPolicy } from './pra/pra-client.ts';
import { testSite } from './pra/site-test.ts';
import { cleanBackupPassword, SiteValidationError, type SiteRef, type SiteService } from './sites/site-service.ts';
import type { SessionStore } from './store/session-store.ts';
import { USER_AGENT } from './version.ts';

export interface SiteTestsDeps {
  sites: SiteService;
  accounts: PraAccounts;
  logger: Logger;
  store: SessionStore;
  scheduler: Scheduler;
  praRetry?: Partial<RetryPolicy>;
}

export class SiteTests {
  constructor(private readonly deps: SiteTestsDeps) {}

  /** Tests a stored site; a success clears "needs attention" and lets the schedule resume. */
  async testStored(ref: SiteRef, onStep?: (step: SiteTestStepResult) => void): Promise<SiteTestResult> {
    const site = this.deps.sites.getSite(ref);
    const secret = await this.deps.sites.getClientSecret(site);
    if (!secret) throw new SiteValidationError(`No client secret is stored for “${site.name}”: edit the site and enter it.`);
    const backup = { schedule: site.backupSchedule, check: backupPermissionCheck(await this.deps.sites.getBackupPassword(site)) };
    const result = await testSite(site, secret, this.deps.accounts, { onStep, backup, client: { retry: this.deps.praRetry, userAgent: USER_AGENT } });
    this.deps.logger.info('site', `Test of “${site.name}”: ${result.ok ? 'passed' : `failed at “${result.steps.find((s) => s.status === 'failed')?.title}”`}.`, { siteId: site.id });
    if (result.ok && this.deps.store.siteState(site.id)?.needsAttention) {
      this.deps.store.setNeedsAttention(site.id, null);
      this.deps.scheduler.reschedule(site.id);
    }
    return result;
  }

  /**
   * Tests the New/Edit dialog's unsaved values: `draft` over the stored site `id` (if any), with the
   * typed secret or, when none was typed, the stored one.
   */
  async testDraft(
    draft: SiteInputRaw | undefined,
    clientSecret: string | undefined,
    id: number | undefined,
    onStep?: (step: SiteTestStepResult) => void,
    backupPassword?: string,
  ): Promise<SiteTestResult> {
    const stored = id === undefined ? null : this.deps.sites.getSite(id);
    const typedPassword = cleanBackupPassword(backupPassword);
    if (stored && !draft && !clientSecret && typedPassword === null) return this.testStored(stored.id, onStep);
    // A Test needs no name: the dialog may be tested before one is typed.
    const merged: Record<string, unknown> = { ...(stored ?? {}), ...(draft ?? {}) };
    if (typeof merged.name !== 'string' || merged.name.trim() === '') merged.name = 'Unsaved site';
    const schemas = await this.deps.sites.siteSchemas();
    const parsed = schemas.input.safeParse(merged);
    if (!parsed.success) throw schemas.invalid(parsed.error);
    const secret = clientSecret?.trim() || (stored ? await this.deps.sites.getClientSecret(stored) : null);
    if (!secret) throw new SiteValidationError('Enter the Client Secret to test the site.', [{ field: null, message: 'Enter the Client Secret to test the site.' }]);
    this.deps.logger.redact(secret);
    this.deps.logger.redact(typedPassword);
    // The typed backup password, else the stored one of the site being edited.
    const password = typedPassword ?? (stored ? await this.deps.sites.getBackupPassword(stored) : null);
    const backup = { schedule: parsed.data.backupSchedule, check: backupPermissionCheck(password) };
    const result = await testSite(parsed.data, secret, this.deps.accounts, { onStep, backup, client: { retry: this.deps.praRetry, userAgent: USER_AGENT } });
    this.deps.logger.info('site', `Test of ${parsed.data.host}: ${result.ok ? 'passed' : `failed at “${result.steps.find((s) => s.status === 'failed')?.title}”`}.`, stored ? { siteId: stored.id } : {});
    return result;
  }
}
