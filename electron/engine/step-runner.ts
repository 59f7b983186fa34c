import type { TestResult, TestStep } from '../../shared/site-test.ts';

/** A step failure that carries a fix the UI can offer (e.g. installing the integration's assets). */
export class StepFailure extends Error {
  constructor(
    message: string,
    readonly fix?: TestStep['fix'],
  ) {
    super(message);
  }
}

/**
 * Runs the checks of a Test in order, reporting each live (`running`, then ok / failed) with its
 * duration. After a failure the remaining checks are skipped: they could only fail for the same
 * reason. `describe` turns an error into the plain-language detail shown to the admin.
 */
export function stepRunner<Id extends string>(
  catalogue: readonly { id: Id; title: string }[],
  describe: (error: unknown) => string,
  onStep?: (step: TestStep<Id>) => void,
) {
  const steps: TestStep<Id>[] = [];
  let failed: string | null = null;
  return {
    async run(id: Id, check: () => Promise<string>) {
      const title = catalogue.find((s) => s.id === id)!.title;
      let step: TestStep<Id>;
      if (failed) {
        step = { id, title, status: 'skipped', detail: `Not run: fix “${failed}” first.`, durationMs: 0 };
      } else {
        onStep?.({ id, title, status: 'running', detail: '', durationMs: 0 });
        const started = performance.now();
        try {
          step = { id, title, status: 'ok', detail: await check(), durationMs: Math.round(performance.now() - started) };
        } catch (error) {
          failed = title;
          step = { id, title, status: 'failed', detail: describe(error), durationMs: Math.round(performance.now() - started) };
          if (error instanceof StepFailure && error.fix) step.fix = error.fix;
        }
      }
      steps.push(step);
      onStep?.(step);
    },
    /** A check that does not apply (e.g. backups are off): `skipped` with the reason, not a failure. */
    skip(id: Id, detail: string) {
      const title = catalogue.find((s) => s.id === id)!.title;
      const step: TestStep<Id> = { id, title, status: 'skipped', detail: failed ? `Not run: fix “${failed}” first.` : detail, durationMs: 0 };
      steps.push(step);
      onStep?.(step);
    },
    result(): TestResult<Id> {
      // Steps are skipped after a failure, or because they do not apply: only a failure fails the Test.
      return { ok: steps.length > 0 && steps.every((s) => s.status !== 'failed'), steps };
    },
  };
}
