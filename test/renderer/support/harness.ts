/** One browser and one server per test file; each test opens its own context (viewport, scale, colour scheme). */
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { DESKTOP, launchChromium, watchErrors } from './browser.ts';
import { buildRenderer, serveStatic, type StaticServer } from './build.ts';
import { installFake, type FakeConfig } from './fake-api.ts';

export interface Harness {
  open(config: FakeConfig, options?: { context?: BrowserContextOptions; screen?: string }): Promise<Opened>;
  close(): Promise<void>;
}

export interface Opened {
  page: Page;
  context: BrowserContext;
  /** Uncaught exceptions and console errors seen so far. */
  errors: string[];
}

/** Console noise that is not an app error. */
/** Console noise that is not an app error (none: the CSP <meta> no longer carries frame-ancestors). */
const IGNORED: RegExp[] = [];

export async function startHarness(): Promise<Harness> {
  const dir = await buildRenderer();
  const server: StaticServer = await serveStatic(dir);
  const browser: Browser = await launchChromium();
  const contexts = new Set<BrowserContext>();
  return {
    async open(config, options = {}) {
      const context = await browser.newContext({ ...DESKTOP, ...options.context });
      contexts.add(context);
      context.setDefaultTimeout(10_000);
      const page = await context.newPage();
      const raw = watchErrors(page);
      await installFake(page, config);
      await page.goto(`${server.url}${options.screen ? `#/${options.screen}` : ''}`);
      await page.getByTestId('app-title').waitFor();
      return {
        page,
        context,
        get errors() {
          return raw.filter((e) => !IGNORED.some((re) => re.test(e)));
        },
      };
    },
    async close() {
      for (const c of contexts) await c.close().catch(() => {});
      await browser.close();
      await server.close();
    },
  };
}
