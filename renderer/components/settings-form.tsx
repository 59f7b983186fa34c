/**
 * The pieces every settings form shares (the Elastic destination, the archive folder, a site's
 * dialog): the two-column page layout with the live Test beside the form, the "Not saved" bar, the
 * Test and Save buttons, the Test's verdict, and how a field shows its message. One place, so the
 * forms look and behave the same: a fix to one is a fix to all.
 */
import { Button, MessageBar, MessageBarBody, MessageBarTitle, makeStyles, tokens } from '@fluentui/react-components';
import { Beaker20Regular, Save20Regular } from '@fluentui/react-icons';
import { useEffect, useRef, useState, type FocusEvent, type ReactElement, type ReactNode } from 'react';
import { Section } from './layout.tsx';
import type { LiveTestState } from './live-test.ts';
import { TestSteps } from './test-steps.tsx';

/** The settings screens' layout: the form on the left, the Test and notes on the right (stacked when narrow). */
export const useSettingsFormStyles = makeStyles({
  layout: {
    display: 'grid',
    gridTemplateColumns: 'minmax(0, 3fr) minmax(280px, 2fr)',
    gap: tokens.spacingHorizontalL,
    alignItems: 'start',
    '@media (max-width: 960px)': { gridTemplateColumns: 'minmax(0, 1fr)' },
  },
  form: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalL, minWidth: 0 },
  group: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
  buttons: {
    display: 'flex',
    flexWrap: 'wrap',
    gap: tokens.spacingHorizontalS,
    justifyContent: 'flex-end',
    paddingTop: tokens.spacingVerticalS,
    borderTop: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
  },
  side: { position: 'sticky', top: '120px', display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalL },
  muted: { color: tokens.colorNeutralForeground2 },
  code: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200, overflowWrap: 'anywhere' },
});

/** What the engine refused that belongs to no single field, above the form. */
export function NotSavedBar({ messages, title = 'Not saved', testId }: { messages: string[]; title?: string; testId: string }) {
  if (messages.length === 0) return null;
  return (
    <MessageBar intent="error" layout="multiline" data-testid={testId}>
      <MessageBarBody>
        <MessageBarTitle>{title}</MessageBarTitle>
        {messages.join(' ')}
      </MessageBarBody>
    </MessageBar>
  );
}

export function TestButton({ running, disabled, onClick, testId }: { running: boolean; disabled: boolean; onClick: () => void; testId: string }) {
  return (
    <Button icon={<Beaker20Regular />} onClick={onClick} disabled={disabled} data-testid={testId}>
      {running ? 'Testing…' : 'Test'}
    </Button>
  );
}

/** The form's submit button (the form's onSubmit saves). The site dialog's has no icon. */
export function SaveButton({ saving, disabled, testId, icon = true }: { saving: boolean; disabled: boolean; testId: string; icon?: boolean }) {
  return (
    <Button appearance="primary" type="submit" icon={icon ? <Save20Regular /> : undefined} disabled={disabled} data-testid={testId}>
      {saving ? 'Saving…' : 'Save'}
    </Button>
  );
}

/**
 * The settings screens' button row under the form: what the screen adds first (e.g. Turn off, at
 * the left), then Test and Save. Test ids: `<prefix>-test-button`, `<prefix>-save-button`.
 */
export function FormButtons({
  prefix,
  testing,
  saving,
  onTest,
  children,
}: {
  prefix: string;
  testing: boolean;
  saving: boolean;
  onTest: () => void;
  children?: ReactNode;
}) {
  const styles = useSettingsFormStyles();
  const busy = saving || testing;
  return (
    <div className={styles.buttons}>
      {children}
      <TestButton running={testing} onClick={onTest} disabled={busy} testId={`${prefix}-test-button`} />
      <SaveButton saving={saving} disabled={busy} testId={`${prefix}-save-button`} />
    </div>
  );
}

/**
 * The Test's verdict once it ended: all passed, a step failed, or the test could not run at all.
 * `failed` null shows nothing for a failure (the caller shows its own fix instead).
 */
export function TestVerdict({
  state,
  testId,
  passed,
  failed,
  failedMultiline = false,
}: {
  state: LiveTestState;
  testId: string;
  passed: ReactNode;
  failed: ReactNode | null;
  failedMultiline?: boolean;
}) {
  if (state.phase === 'done' && state.result) {
    if (state.result.ok) {
      return (
        <MessageBar intent="success" data-testid={testId} data-result="ok">
          <MessageBarBody>
            <MessageBarTitle>All checks passed</MessageBarTitle>
            {passed}
          </MessageBarBody>
        </MessageBar>
      );
    }
    if (failed === null) return null;
    return (
      <MessageBar intent="error" layout={failedMultiline ? 'multiline' : undefined} data-testid={testId} data-result="failed">
        <MessageBarBody>
          <MessageBarTitle>The test failed</MessageBarTitle>
          {failed}
        </MessageBarBody>
      </MessageBar>
    );
  }
  if (state.phase === 'error' && state.error) {
    return (
      <MessageBar intent="error" layout="multiline" data-testid={testId} data-result="error">
        <MessageBarBody>
          <MessageBarTitle>The test could not run</MessageBarTitle>
          {state.error.body.message}
        </MessageBarBody>
      </MessageBar>
    );
  }
  return null;
}

/** The generic failure text: fix the failed step, then test again. */
export const FIX_THE_FAILED_STEP = 'Fix what the failed step says, then test again.';

/**
 * The Test panel beside a settings form: what the test checks (before the first run), its steps as
 * they run, the verdict, and anything the screen adds below (e.g. a fix it offers).
 */
export function TestPanel({
  title,
  idleDescription,
  state,
  stepsLabel,
  prefix,
  passed,
  failed = FIX_THE_FAILED_STEP,
  children,
}: {
  title: string;
  idleDescription: string;
  state: LiveTestState;
  stepsLabel: string;
  /** The panel's test ids: `<prefix>-test-panel`, `<prefix>-test-steps`, `<prefix>-test-summary`. */
  prefix: string;
  passed: ReactNode;
  failed?: ReactNode | null;
  children?: ReactNode;
}) {
  return (
    <Section title={title} description={state.phase === 'idle' ? idleDescription : undefined} testId={`${prefix}-test-panel`}>
      <TestSteps steps={state.steps} label={stepsLabel} testId={`${prefix}-test-steps`} />
      <TestVerdict state={state} testId={`${prefix}-test-summary`} passed={passed} failed={failed} />
      {children}
    </Section>
  );
}

/** The verdict of a test at the end of a long form (a dialog): brought into view when it arrives. */
export function ScrolledTestVerdict(props: Parameters<typeof TestVerdict>[0]) {
  const ref = useRef<HTMLDivElement | null>(null);
  const phase = props.state.phase;
  useEffect(() => {
    if (phase === 'done' || phase === 'error') ref.current?.scrollIntoView({ block: 'nearest' });
  }, [phase]);
  return (
    <div ref={ref} aria-live="polite">
      <TestVerdict {...props} />
    </div>
  );
}

/**
 * How a form's fields show their messages: `message(field)` for a Field's validationMessage (with
 * a test id, so tests find it), `state(field)` for its validationState. `messageFor` decides which
 * message is due (the engine's, or the form's own once the field was left or a Test/Save tried).
 */
export function fieldMessages<F extends string>(messageFor: (field: F) => string | undefined, testIdOf: (field: F) => string) {
  return {
    message: (field: F): ReactElement | undefined => {
      const text = messageFor(field);
      return text ? <span data-testid={testIdOf(field)}>{text}</span> : undefined;
    },
    state: (field: F): 'error' | 'none' => (messageFor(field) ? 'error' : 'none'),
  };
}

/**
 * Leaving a field shows its message — unless focus goes to a button: the message appearing would
 * move the button away under the pointer between mouse down and up, and the click would be lost.
 * (Test and Save check every field anyway.)
 */
export function onLeave<F extends string>(touch: (field: F) => void) {
  return (field: F) => (event: FocusEvent<HTMLElement>) => {
    if (event.relatedTarget instanceof HTMLButtonElement) return;
    touch(field);
  };
}

/**
 * Follows the stored settings: a save elsewhere (the CLI, another window) or the first load brings
 * a new `view`, and `reset` puts its values into the form (during render, as React advises for
 * state derived from a prop).
 */
export function useFollowView<V>(view: V, reset: (view: V) => void): void {
  const [seen, setSeen] = useState(view);
  if (view !== seen) {
    setSeen(view);
    reset(view);
  }
}

/** The keys of a form's values that hold text. */
type TextKey<V> = { [K in keyof V]: V[K] extends string ? K : never }[keyof V];

/**
 * Binds a text Input to a form value of the same name as its field: `<Input {...text('dir')} />`
 * gives it the value, a change that updates the form, and a blur that shows the field's message.
 */
export function textBinding<V, F extends string>(
  values: V,
  change: <K extends keyof V>(key: K, value: V[K]) => void,
  leave: (field: F) => (event: FocusEvent<HTMLElement>) => void,
) {
  return <K extends TextKey<V> & F>(key: K) => ({
    value: values[key] as string,
    onChange: (_: unknown, data: { value: string }) => change(key, data.value as V[K]),
    onBlur: leave(key),
  });
}

/** Focuses the first field, in the form's order, that has a message (after this render); returns it. */
export function focusFirstError<F extends string>(order: readonly F[], errors: Partial<Record<F, string>>, idOf: (field: F) => string): F | undefined {
  const first = order.find((f) => errors[f]);
  if (first) setTimeout(() => document.getElementById(idOf(first))?.focus(), 0);
  return first;
}

type Issues = { field: string | null; message: string }[];

/**
 * The engine's refusal, split by the form's fields (`byField`); what belongs to none goes to the
 * form's bar, and a refusal with no issues at all shows its message there.
 */
export function refusalByField<E>(error: { body: { message: string; issues?: Issues } }, byField: (issues: Issues) => { errors: E; general: string[] }) {
  const { errors, general } = byField(error.body.issues ?? []);
  if (Object.keys(errors as object).length === 0 && general.length === 0) general.push(error.body.message);
  return { errors, general };
}
