/** The steps of a Test as they run: a status icon, the title, what was found, how long it took. */
import { Body1, Caption1, Spinner, makeStyles, mergeClasses, tokens } from '@fluentui/react-components';
import { CheckmarkCircle20Filled, Circle20Regular, DismissCircle20Filled, SubtractCircle20Regular } from '@fluentui/react-icons';
import { formatMs } from './format.ts';
import type { ShownStep } from './live-test.ts';

const useStyles = makeStyles({
  list: {
    listStyleType: 'none',
    margin: 0,
    padding: 0,
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalS,
  },
  step: {
    display: 'grid',
    gridTemplateColumns: '20px minmax(0, 1fr) auto',
    columnGap: tokens.spacingHorizontalM,
    rowGap: tokens.spacingVerticalXXS,
    alignItems: 'start',
  },
  icon: { display: 'flex', alignItems: 'center', height: '20px', paddingTop: '1px' },
  ok: { color: tokens.colorPaletteGreenForeground1 },
  failed: { color: tokens.colorPaletteRedForeground1 },
  muted: { color: tokens.colorNeutralForeground3 },
  title: { fontWeight: tokens.fontWeightSemibold },
  pendingTitle: { color: tokens.colorNeutralForeground3, fontWeight: tokens.fontWeightRegular },
  detail: {
    gridColumn: '2 / 4',
    color: tokens.colorNeutralForeground2,
    whiteSpace: 'pre-wrap',
    overflowWrap: 'anywhere',
  },
  failedDetail: { color: tokens.colorNeutralForeground1 },
  duration: { color: tokens.colorNeutralForeground3, whiteSpace: 'nowrap' },
});

const STATUS_TEXT: Record<ShownStep['status'], string> = {
  pending: 'Not run yet',
  running: 'Running',
  ok: 'Passed',
  failed: 'Failed',
  skipped: 'Skipped',
};

function StepIcon({ status }: { status: ShownStep['status'] }) {
  const styles = useStyles();
  switch (status) {
    case 'ok':
      return <CheckmarkCircle20Filled className={styles.ok} />;
    case 'failed':
      return <DismissCircle20Filled className={styles.failed} />;
    case 'running':
      return <Spinner size="extra-tiny" />;
    case 'skipped':
      return <SubtractCircle20Regular className={styles.muted} />;
    default:
      return <Circle20Regular className={styles.muted} />;
  }
}

export function TestSteps({ steps, label, testId }: { steps: ShownStep[]; label: string; testId: string }) {
  const styles = useStyles();
  return (
    <ol className={styles.list} aria-label={label} aria-live="polite" data-testid={testId}>
      {steps.map((step) => (
        <li key={step.id} className={styles.step} data-testid={`test-step-${step.id}`} data-status={step.status}>
          <span className={styles.icon} role="img" aria-label={STATUS_TEXT[step.status]}>
            <StepIcon status={step.status} />
          </span>
          <Body1 className={mergeClasses(styles.title, step.status === 'pending' && styles.pendingTitle)}>{step.title}</Body1>
          <Caption1 className={styles.duration}>
            {step.status === 'ok' || step.status === 'failed' ? formatMs(step.durationMs) : step.status === 'running' ? 'Running…' : ''}
          </Caption1>
          {step.detail ? (
            <Body1 className={mergeClasses(styles.detail, step.status === 'failed' && styles.failedDetail)} data-testid={`test-step-${step.id}-detail`}>
              {step.detail}
            </Body1>
          ) : null}
        </li>
      ))}
    </ol>
  );
}
