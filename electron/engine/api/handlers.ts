import type { ApiErrorBody, Channel, ChannelInput, ChannelOutput, SiteView, UiEvent } from '../../../shared/contract.ts';
import { parseInput } from '../../../shared/contract.ts';
import type { SiteInputRaw, SitePatchRaw } from '../../../shared/site-schema.ts';
import type { SiteTestStepResult } from '../../../shared/site-test.ts';
import type { LogLine } from '../../../shared/status.ts';
import { ArchiveSettingsError } from '../archive/archive-settings.ts';
import { DestinationError } from '../elastic/destination-settings.ts';
import type { Engine } from '../engine.ts';
import { DataFolderInUseError } from '../lock/engine-lock.ts';
import { PraError } from '../pra/errors.ts';
import { DuplicateSiteNameError, SiteNotFoundError } from '../sites/site-repository.ts';
import { SiteHasUndeliveredError, SiteValidationError } from '../sites/site-service.ts';
import { VERSION } from '../version.ts';

type Handlers = { [C in Channel]: (input: ChannelInput<C>) => Promise<ChannelOutput<C>> };

/** Log lines kept for the UI's activity view when it opens. */
const RECENT_LOG_LINES = 2000;

/**
 * The contract's handlers, written once over the engine. Electron IPC (electron/main) and
 * `pra-ic ui` (api/http-server.ts) are only transports: both call `dispatch`, which validates the
 * payload against the contract's schema before a handler sees it and turns failures into an
 * `ApiErrorBody`. No handler returns a secret.
 */
export class ApiHandlers {
  private readonly handlers: Handlers;
  private readonly recentLog: LogLine[] = [];
  private readonly listeners = new Set<(event: UiEvent) => void>();

  /**
   * `beforeWork` runs before a channel that makes the engine pull from a site (Run now, Back up
   * now) and may refuse by throwing: `pra-ic ui --no-extract` takes the data folder's lock only
   * then, so a UI that only looks never blocks `pra-ic run`, and one that works never runs beside it.
   */
  constructor(
    private readonly engine: Engine,
    transport: 'electron' | 'browser',
    options: { beforeWork?: () => void } = {},
  ) {
    const beforeWork = options.beforeWork ?? (() => undefined);
    engine.onEvent((event) => {
      if (event.type === 'log') {
        this.recentLog.push(event.line);
        if (this.recentLog.length > RECENT_LOG_LINES) this.recentLog.splice(0, this.recentLog.length - RECENT_LOG_LINES);
      }
      this.publish(event);
    });
    const view = async (site: Awaited<ReturnType<Engine['addSite']>>): Promise<SiteView> => ({
      ...site,
      clientSecretStored: await engine.sites.hasClientSecret(site),
      backupPasswordStored: await engine.sites.hasBackupPassword(site),
    });
    this.handlers = {
      'app.info': async () => ({ version: VERSION, dataDir: engine.dataDir, installId: engine.installId, transport, paused: engine.scheduler.isPaused }),
      'sites.list': async () => Promise.all(engine.sites.listSites().map(view)),
      'sites.add': async ({ site, clientSecret, backupPassword }) => view(await engine.addSite(site as SiteInputRaw, clientSecret, backupPassword)),
      'sites.edit': async ({ id, patch, clientSecret, backupPassword, clearBackupPassword }) =>
        view(await engine.editSite(id, patch as SitePatchRaw, clientSecret ?? undefined, { password: backupPassword, clear: clearBackupPassword })),
      'sites.remove': async ({ id, discardPending }) => ({ id: (await engine.removeSite(id, { discardPending })).id }),
      'sites.test': async ({ testId, id, draft, clientSecret, backupPassword }) => {
        const onStep = (step: SiteTestStepResult) => this.publish({ type: 'test-step', testId, step });
        if (id !== undefined && !draft && !clientSecret && !backupPassword) return engine.testStoredSite(id, onStep);
        return engine.testSiteDraft(draft as SiteInputRaw | undefined, clientSecret, id, onStep, backupPassword);
      },
      'sites.runNow': async ({ id }) => {
        beforeWork();
        const ids = id === undefined ? engine.sites.listSites().filter((s) => s.enabled).map((s) => s.id) : [engine.sites.getSite(id).id];
        void engine.runNow(ids);
        return { started: ids.length };
      },
      'status.get': async () => {
        const { sites, outbox, outboxFailures, shippingError, archive, paused } = engine.status();
        return { sites, outbox, outboxFailures, shippingError, archive, paused };
      },
      'status.eventsPerHour': async ({ hours, siteId }) => engine.queries.eventsPerHour(hours, siteId),
      'sessions.list': async (query) => engine.queries.listSessions(query),
      'sessions.get': async ({ siteId, lsid }) => engine.queries.getSession(siteId, lsid),
      'destination.get': async () => engine.destinationView(),
      'destination.set': async ({ settings, apiKey, password }) => engine.setDestination(settings, apiKey, password),
      'destination.test': async ({ testId, draft, apiKey, password }) =>
        engine.testDestination(draft, { apiKey, password }, (step) => this.publish({ type: 'test-step', testId, step })),
      'destination.installAssets': async (admin) => engine.installAssets(admin),
      'outbox.retryFailed': async () => ({ retried: engine.retryFailed() }),
      'archive.get': async () => engine.archiveView(),
      'archive.set': async ({ settings }) => engine.setArchive(settings),
      'archive.test': async ({ testId, draft }) => engine.testArchive(draft, (step) => this.publish({ type: 'test-step', testId, step })),
      'archive.status': async () => engine.archiveStatus(),
      'archive.retryFailed': async () => ({ retried: engine.retryArchive() }),
      'archive.verify': async () => engine.verifyArchive(),
      'backup.now': async ({ siteId }) => {
        beforeWork();
        const { file, bytes } = await engine.backupNow(siteId);
        return { file, bytes };
      },
      'engine.setPaused': async ({ paused }) => {
        engine.setPaused(paused);
        return { paused };
      },
      'log.recent': async ({ limit }) => this.recentLog.slice(-(limit ?? 500)),
    };
  }

  onEvent(listener: (event: UiEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private publish(event: UiEvent) {
    for (const listener of this.listeners) listener(event);
  }

  /** Validates and runs one call. Never throws: failures come back as `{ ok: false, error }`. */
  async dispatch(channel: string, payload: unknown): Promise<{ ok: true; result: unknown } | { ok: false; error: ApiErrorBody; status: number }> {
    if (!Object.prototype.hasOwnProperty.call(this.handlers, channel)) {
      return { ok: false, status: 404, error: { code: 'not-found', message: `Unknown channel “${channel}”.` } };
    }
    const parsed = parseInput(channel as Channel, payload);
    if (!parsed.ok) return { ok: false, status: 400, error: parsed.error };
    try {
      const handler = this.handlers[channel as Channel] as (input: unknown) => Promise<unknown>;
      return { ok: true, result: await handler(parsed.input) };
    } catch (error) {
      const body = toErrorBody(error);
      if (body.code === 'failed' && !(error instanceof PraError)) this.engine.logger.error('api', `${channel} failed: ${body.message}`);
      return { ok: false, status: body.code === 'invalid-input' ? 400 : body.code === 'not-found' ? 404 : body.code === 'conflict' ? 409 : 500, error: body };
    }
  }
}

export function toErrorBody(error: unknown): ApiErrorBody {
  if (error instanceof SiteValidationError) return { code: 'invalid-input', message: error.message, issues: error.issues };
  if (error instanceof DestinationError) return { code: 'invalid-input', message: error.message, issues: error.issues };
  if (error instanceof ArchiveSettingsError) return { code: 'invalid-input', message: error.message, issues: error.issues };
  if (error instanceof DuplicateSiteNameError) return { code: 'conflict', message: `${error.message}: choose another name.`, issues: [{ field: 'name', message: `${error.message}: choose another name.` }] };
  if (error instanceof SiteNotFoundError) return { code: 'not-found', message: error.message };
  if (error instanceof SiteHasUndeliveredError) return { code: 'conflict', message: error.message, undelivered: error.work };
  if (error instanceof DataFolderInUseError) return { code: 'conflict', message: error.message };
  return { code: 'failed', message: error instanceof Error ? error.message : String(error) };
}
