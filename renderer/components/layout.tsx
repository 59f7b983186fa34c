/** The building blocks every screen shares, so spacing and headings line up across the app. */
import {
  Body1,
  Button,
  Caption1,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
  Spinner,
  Subtitle2,
  Title3,
  makeStyles,
  mergeClasses,
  tokens,
} from '@fluentui/react-components';
import type { ReactNode } from 'react';

const useStyles = makeStyles({
  page: {
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalL,
    minWidth: 0,
  },
  pageHeader: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'flex-end',
    justifyContent: 'space-between',
    columnGap: tokens.spacingHorizontalL,
    rowGap: tokens.spacingVerticalS,
  },
  pageTitles: {
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalXXS,
    minWidth: 0,
    flex: '1 1 320px',
  },
  description: {
    color: tokens.colorNeutralForeground2,
    maxWidth: '72ch',
  },
  actions: {
    display: 'flex',
    flexWrap: 'wrap',
    gap: tokens.spacingHorizontalS,
    alignItems: 'center',
  },
  section: {
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalM,
    padding: `${tokens.spacingVerticalL} ${tokens.spacingHorizontalXL}`,
    backgroundColor: tokens.colorNeutralBackground1,
    borderRadius: tokens.borderRadiusLarge,
    boxShadow: tokens.shadow2,
    minWidth: 0,
  },
  sectionHeader: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    justifyContent: 'space-between',
    gap: tokens.spacingHorizontalM,
  },
  sectionTitles: {
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalXXS,
    minWidth: 0,
  },
  empty: {
    display: 'flex',
    flexDirection: 'column',
    alignItems: 'center',
    textAlign: 'center',
    gap: tokens.spacingVerticalS,
    padding: `${tokens.spacingVerticalXXL} ${tokens.spacingHorizontalL}`,
    color: tokens.colorNeutralForeground2,
  },
  emptyText: {
    fontSize: tokens.fontSizeBase300,
    lineHeight: tokens.lineHeightBase300,
    maxWidth: '60ch',
  },
  emptyIcon: {
    fontSize: '32px',
    color: tokens.colorNeutralForeground3,
    display: 'flex',
  },
  loading: {
    padding: tokens.spacingVerticalXXL,
    display: 'flex',
    justifyContent: 'center',
  },
  tableScroll: {
    overflowX: 'auto',
    minWidth: 0,
  },
});

export function Page({
  title,
  description,
  actions,
  children,
  testId,
}: {
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  testId?: string;
}) {
  const styles = useStyles();
  return (
    <section className={styles.page} aria-labelledby={testId ? `${testId}-title` : undefined} data-testid={testId}>
      <div className={styles.pageHeader}>
        <div className={styles.pageTitles}>
          <Title3 as="h2" id={testId ? `${testId}-title` : undefined}>
            {title}
          </Title3>
          {description ? <Body1 className={styles.description}>{description}</Body1> : null}
        </div>
        {actions ? <div className={styles.actions}>{actions}</div> : null}
      </div>
      {children}
    </section>
  );
}

export function Section({
  title,
  description,
  actions,
  children,
  className,
  testId,
  dataAttributes,
  headingLevel = 'h3',
}: {
  title?: ReactNode;
  description?: ReactNode;
  actions?: ReactNode;
  children?: ReactNode;
  className?: string;
  testId?: string;
  /** Extra `data-*` attributes (hooks for tests), e.g. { 'data-site-name': 'Production' }. */
  dataAttributes?: Record<`data-${string}`, string>;
  headingLevel?: 'h3' | 'h4';
}) {
  const styles = useStyles();
  return (
    <div className={mergeClasses(styles.section, className)} data-testid={testId} {...dataAttributes}>
      {title || actions ? (
        <div className={styles.sectionHeader}>
          <div className={styles.sectionTitles}>
            {title ? <Subtitle2 as={headingLevel}>{title}</Subtitle2> : null}
            {description ? <Caption1 className={styles.description}>{description}</Caption1> : null}
          </div>
          {actions ? <div className={styles.actions}>{actions}</div> : null}
        </div>
      ) : null}
      {children}
    </div>
  );
}

export function EmptyState({ icon, title, children, testId }: { icon?: ReactNode; title: string; children?: ReactNode; testId?: string }) {
  const styles = useStyles();
  return (
    <div className={styles.empty} data-testid={testId}>
      {icon ? <span className={styles.emptyIcon} aria-hidden="true">{icon}</span> : null}
      <Subtitle2 as="p">{title}</Subtitle2>
      {children ? <div className={styles.emptyText}>{children}</div> : null}
    </div>
  );
}

export function Loading({ label }: { label: string }) {
  const styles = useStyles();
  return (
    <div className={styles.loading}>
      <Spinner size="small" label={label} />
    </div>
  );
}

export function ErrorBar({ title, message, onRetry }: { title?: string; message: string; onRetry?: () => void }) {
  return (
    <MessageBar intent="error" layout="multiline">
      <MessageBarBody>
        {title ? <MessageBarTitle>{title}</MessageBarTitle> : null}
        {message}
      </MessageBarBody>
      {onRetry ? (
        <MessageBarActions>
          <Button onClick={onRetry}>Try again</Button>
        </MessageBarActions>
      ) : null}
    </MessageBar>
  );
}

/** Lets a wide table scroll sideways inside its card instead of widening the page. */
export function TableScroll({ children, label }: { children: ReactNode; label?: string }) {
  const styles = useStyles();
  return (
    <div className={styles.tableScroll} role={label ? 'region' : undefined} aria-label={label} tabIndex={label ? 0 : undefined}>
      {children}
    </div>
  );
}
