/** Installs fake-pra-ic.js in a page and talks to it from the test. */
import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import type { ApiErrorBody, Channel, ChannelInput, ChannelOutput, UiEvent } from '../../../shared/contract.ts';
import type { TestStep } from '../../../shared/site-test.ts';

const SOURCE = readFileSync(new URL('./fake-pra-ic.js', import.meta.url), 'utf8');

export type FakeAnswer<C extends Channel> = ChannelOutput<C> | { __error: ApiErrorBody };
export type FakeResponses = { [C in Channel]?: FakeAnswer<C> };

/** How a Test plays: each step is announced `running`, then reported with its final status. */
export interface FakeTestScript {
  ok: boolean;
  steps: TestStep[];
  stepDelayMs?: number;
  startDelayMs?: number;
  /** The Test call fails with this error after the steps. */
  error?: ApiErrorBody;
}

/** The channels whose calls play a Test (test-step events, then the result). */
export type TestChannel = 'sites.test' | 'destination.test' | 'archive.test';

export interface FakeConfig {
  responses: FakeResponses;
  tests?: Partial<Record<TestChannel, FakeTestScript>>;
  delayMs?: number;
}

export async function installFake(page: Page, config: FakeConfig): Promise<void> {
  await page.addInitScript({ content: `${SOURCE}\n;__installFakePraIc(${JSON.stringify(config)});` });
}

export async function calls<C extends Channel>(page: Page, channel: C): Promise<ChannelInput<C>[]> {
  return page.evaluate<ChannelInput<C>[]>(`globalThis.__fake.calls(${JSON.stringify(channel)})`);
}

export async function emit(page: Page, event: UiEvent): Promise<void> {
  await page.evaluate(`globalThis.__fake.emit(${JSON.stringify(event)})`);
}

export async function respond<C extends Channel>(page: Page, channel: C, answer: FakeAnswer<C>): Promise<void> {
  await page.evaluate(`globalThis.__fake.respond(${JSON.stringify(channel)}, ${JSON.stringify(answer)})`);
}

export async function script(page: Page, channel: TestChannel, test: FakeTestScript): Promise<void> {
  await page.evaluate(`globalThis.__fake.script(${JSON.stringify(channel)}, ${JSON.stringify(test)})`);
}
