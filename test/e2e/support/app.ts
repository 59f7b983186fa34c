/**
 * The app in real Chromium, opened the way an admin opens it: the URL `pra-ic ui` printed (with its
 * token). Every `/api/invoke/*` request and answer of the page is recorded, so tests can check what
 * crossed the wire (and that no secret ever came back).
 */
import assert from 'node:assert/strict';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { HTTP_INVOKE_PATH, HTTP_SESSION_STORAGE_KEY } from '../../../shared/http-transport.ts';
import { DESKTOP, screenshot, watchErrors } from '../../renderer/support/browser.ts';

/** Generous: other test files share the machine's two cores. */
export const UI_TIMEOUT_MS = 20_000;

/** Console noise that is not an app error. */
/** Console noise that is not an app error (none: the CSP <meta> no longer carries frame-ancestors). */
const IGNORED: RegExp[] = [];

export interface ApiExchange {
  channel: string;
  status: number;
  /** The JSON the page sent. */
  input: unknown;
  /** The raw answer body. */
  body: string;
}

export interface OpenedApp {
  page: Page;
  context: BrowserContext;
  /** Uncaught exceptions and console errors of the page so far. */
  readonly errors: string[];
  /** Every API call the page made so far, with its answer (after `settled()`). */
  readonly api: ApiExchange[];
  /** Waits until every answer seen so far has been read. */
  settled(): Promise<void>;
  /** The `Authorization` header value the page sends (its session credential, kept in the tab). */
  authorization(): Promise<string>;
  /** Inputs of the calls to `channel` so far. */
  calls(channel: string): Promise<unknown[]>;
  close(): Promise<void>;
}

export async function openApp(browser: Browser, url: string): Promise<OpenedApp> {
  const context = await browser.newContext({ ...DESKTOP });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = await context.newPage();
  const raw = watchErrors(page);
  const exchanges: ApiExchange[] = [];
  const reading = new Set<Promise<void>>();
  page.on('response', (response) => {
    const path = new URL(response.url()).pathname;
    if (!path.startsWith(HTTP_INVOKE_PATH)) return;
    const request = response.request();
    let input: unknown = null;
    try {
      input = request.postDataJSON();
    } catch {
      input = request.postData();
    }
    const entry: ApiExchange = { channel: decodeURIComponent(path.slice(HTTP_INVOKE_PATH.length)), status: response.status(), input, body: '' };
    exchanges.push(entry);
    const read = response
      .text()
      .then((body) => {
        entry.body = body;
      })
      .catch((error: unknown) => {
        entry.body = `<unreadable: ${(error as Error).message}>`;
      })
      .finally(() => reading.delete(read));
    reading.add(read);
  });
  const first = await page.goto(url);
  assert.equal(first?.status(), 200, 'the page loads with the printed URL');
  await page.getByTestId('app-title').waitFor();
  const app: OpenedApp = {
    page,
    context,
    get errors() {
      return raw.filter((e) => !IGNORED.some((re) => re.test(e)));
    },
    get api() {
      return exchanges;
    },
    async settled() {
      while (reading.size) await Promise.all([...reading]);
    },
    async authorization() {
      // The page trades the address's token for a session in the background, independently of
      // drawing itself: on a busy machine the title can be up before the exchange has answered.
      const read = `sessionStorage.getItem(${JSON.stringify(HTTP_SESSION_STORAGE_KEY)})`;
      await page.waitForFunction(`${read} !== null`, undefined, { timeout: 15_000 }).catch(() => undefined);
      const session = await page.evaluate<string | null>(read);
      assert.ok(session, 'the page traded the token for a session');
      return `Bearer ${session}`;
    },
    async calls(channel) {
      await app.settled();
      return exchanges.filter((e) => e.channel === channel).map((e) => e.input);
    },
    close: () => context.close(),
  };
  return app;
}

/** Saves test-results/screenshots/e2e-<name>.png. */
export function shot(page: Page, name: string, fullPage = true): Promise<void> {
  return screenshot(page, `e2e-${name}`, fullPage);
}

/** An element by test id whose data attribute has a value, e.g. the Test step `token` that failed. */
export function withData(scope: Page | Locator, testId: string, data: Record<string, string>): Locator {
  const attributes = Object.entries(data)
    .map(([k, v]) => `[data-${k}="${v}"]`)
    .join('');
  return scope.locator(`[data-testid="${testId}"]${attributes}`);
}

/** The status of each Test step, in order: `{ dns: 'ok', tls: 'ok', … }`. */
export async function stepStatuses(scope: Page | Locator, ids: readonly string[]): Promise<Record<string, string | null>> {
  const out: Record<string, string | null> = {};
  for (const id of ids) out[id] = await scope.getByTestId(`test-step-${id}`).getAttribute('data-status');
  return out;
}

/**
 * Everything the page holds: its HTML (text and attributes), the web storage, the cookies scripts
 * see and, with `inputs`, every input's current value (a password input holds what was typed into
 * it until the dialog clears it: that value is not in the HTML).
 */
export async function pageText(page: Page, options: { inputs: boolean }): Promise<string> {
  const html = await page.content();
  const values = await page.evaluate<string>(
    `[JSON.stringify(Object.entries(localStorage)), JSON.stringify(Object.entries(sessionStorage)), document.cookie, ${
      options.inputs ? `...Array.from(document.querySelectorAll('input, textarea')).map((e) => e.value)` : ''
    }].join('\\n')`,
  );
  return `${html}\n${values}`;
}

/**
 * No secret in the page's HTML, storage or script-visible cookies (nor, with `inputs`, in any
 * input), nor in any API answer the page received.
 */
export async function assertNoSecretLeft(app: OpenedApp, secrets: string[], where: string, options = { inputs: true }): Promise<void> {
  const text = await pageText(app.page, options);
  await app.settled();
  for (const secret of secrets) {
    assert.ok(!text.includes(secret), `${where}: the page holds a secret`);
    for (const exchange of app.api) assert.ok(!exchange.body.includes(secret), `${where}: the answer to ${exchange.channel} carries a secret`);
  }
}

export const SITE_STEPS = ['dns', 'tls', 'token', 'reporting', 'clock'] as const;
export const ELASTIC_STEPS = ['reach', 'auth', 'privileges', 'assets'] as const;
