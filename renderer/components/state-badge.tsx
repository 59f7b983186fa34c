import { Badge, makeStyles, type BadgeProps } from '@fluentui/react-components';

const useStyles = makeStyles({ badge: { whiteSpace: 'nowrap', flexShrink: 0 } });
import type { SiteRunState } from '../../shared/status.ts';

const STATES: Record<SiteRunState, { label: string; color: BadgeProps['color']; appearance: BadgeProps['appearance'] }> = {
  waiting: { label: 'Not collected yet', color: 'informative', appearance: 'outline' },
  idle: { label: 'Up to date', color: 'success', appearance: 'tint' },
  running: { label: 'Running', color: 'brand', appearance: 'tint' },
  backfilling: { label: 'Catching up', color: 'brand', appearance: 'tint' },
  'needs-attention': { label: 'Needs attention', color: 'danger', appearance: 'filled' },
  disabled: { label: 'Disabled', color: 'subtle', appearance: 'outline' },
};

export function stateLabel(state: SiteRunState): string {
  return STATES[state].label;
}

/** A site's run state as a badge; `data-state` carries the raw state for tests. */
export function StateBadge({ state, testId }: { state: SiteRunState | null; testId?: string }) {
  const styles = useStyles();
  if (state === null) {
    return (
      <Badge className={styles.badge} appearance="outline" color="subtle" data-testid={testId} data-state="unknown">
        Not started
      </Badge>
    );
  }
  const s = STATES[state];
  return (
    <Badge className={styles.badge} appearance={s.appearance} color={s.color} data-testid={testId} data-state={state}>
      {s.label}
    </Badge>
  );
}
