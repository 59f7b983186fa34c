/**
 * Runs a Test (a site's or the destination's) and follows its steps live: the engine pushes a
 * `test-step` event for each step as it starts and ends, tagged with the testId the UI chose.
 */
import { useCallback, useRef, useState } from 'react';
import type { ApiError, UiEvent } from '../../shared/contract.ts';
import type { TestResult, TestStep } from '../../shared/site-test.ts';
import { useEngineEvents } from '../api/context.tsx';
import { toApiError } from '../api/errors.ts';

/** A step as the UI shows it: not yet reached steps are `pending`. */
export interface ShownStep extends Omit<TestStep, 'status'> {
  status: TestStep['status'] | 'pending';
}

export interface LiveTestState {
  /** Idle before the first run. */
  phase: 'idle' | 'running' | 'done' | 'error';
  steps: ShownStep[];
  result: TestResult | null;
  error: ApiError | null;
}

function newTestId(): string {
  const c = globalThis.crypto;
  if (c && typeof c.randomUUID === 'function') return c.randomUUID();
  return `t${Date.now().toString(36)}${Math.random().toString(36).slice(2, 10)}`;
}

function pendingSteps(plan: readonly { id: string; title: string }[]): ShownStep[] {
  return plan.map((s) => ({ id: s.id, title: s.title, status: 'pending', detail: '', durationMs: 0 }));
}

function merge(steps: ShownStep[], step: TestStep): ShownStep[] {
  const index = steps.findIndex((s) => s.id === step.id);
  if (index === -1) return [...steps, step];
  const next = steps.slice();
  next[index] = step;
  return next;
}

export function useLiveTest(plan: readonly { id: string; title: string }[]) {
  const [state, setState] = useState<LiveTestState>({ phase: 'idle', steps: pendingSteps(plan), result: null, error: null });
  const current = useRef<string | null>(null);

  useEngineEvents((event: UiEvent) => {
    if (event.type !== 'test-step' || event.testId !== current.current) return;
    setState((s) => (s.phase === 'running' ? { ...s, steps: merge(s.steps, event.step) } : s));
  });

  const run = useCallback(
    async (start: (testId: string) => Promise<TestResult>): Promise<TestResult | ApiError> => {
      const testId = newTestId();
      current.current = testId;
      setState({ phase: 'running', steps: pendingSteps(plan), result: null, error: null });
      try {
        const result = await start(testId);
        if (current.current !== testId) return result;
        setState((s) => ({
          phase: 'done',
          steps: result.steps.reduce(merge, s.steps).map((x) => (x.status === 'pending' || x.status === 'running' ? { ...x, status: 'skipped' } : x)),
          result,
          error: null,
        }));
        return result;
      } catch (e) {
        const error = toApiError(e);
        if (current.current === testId) setState((s) => ({ ...s, phase: 'error', error }));
        return error;
      } finally {
        if (current.current === testId) current.current = null;
      }
    },
    [plan],
  );

  const reset = useCallback(() => {
    current.current = null;
    setState({ phase: 'idle', steps: pendingSteps(plan), result: null, error: null });
  }, [plan]);

  return { state, run, reset };
}
