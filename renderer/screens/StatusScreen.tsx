/** What the engine is doing: per site (state, backfill, runs, counters, last error), events per hour, the outbox. */
import {
  Button,
  Caption1,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
  ProgressBar,
  Subtitle2,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  Title2,
  makeStyles,
  mergeClasses,
  tokens,
} from '@fluentui/react-components';
import { ArrowClockwise20Regular, DataBarVertical20Regular } from '@fluentui/react-icons';
import { useEffect } from 'react';
import type { SiteStatus } from '../../shared/status.ts';
import { useApi, useLoad, type StatusState } from '../api/context.tsx';
import { errorMessage } from '../api/errors.ts';
import { EventsChart } from '../components/events-chart.tsx';
import { formatCount, formatDateTime, formatNextRun, formatPercent, formatRelative, formatShortDateTime } from '../components/format.ts';
import { EmptyState, ErrorBar, Loading, Page, Section, TableScroll } from '../components/layout.tsx';
import { useNotify } from '../components/notify.tsx';
import { StateBadge } from '../components/state-badge.tsx';
import { useNow } from '../components/use-now.ts';
import { ArchiveSummary } from './archive-status.tsx';

const CHART_HOURS = 72;

const useStyles = makeStyles({
  sites: {
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fill, minmax(min(100%, 380px), 1fr))',
    gap: tokens.spacingHorizontalL,
  },
  siteHeader: {
    display: 'flex',
    alignItems: 'flex-start',
    justifyContent: 'space-between',
    gap: tokens.spacingHorizontalM,
  },
  siteTitles: { display: 'flex', flexDirection: 'column', minWidth: 0 },
  host: { color: tokens.colorNeutralForeground3, overflowWrap: 'anywhere' },
  backfill: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXS },
  progressLine: {
    display: 'flex',
    justifyContent: 'space-between',
    alignItems: 'baseline',
    gap: tokens.spacingHorizontalS,
  },
  hint: { color: tokens.colorNeutralForeground2 },
  percent: { fontWeight: tokens.fontWeightSemibold, color: tokens.colorNeutralForeground1, fontVariantNumeric: 'tabular-nums' },
  facts: {
    display: 'grid',
    gridTemplateColumns: 'repeat(3, minmax(0, 1fr))',
    gap: `${tokens.spacingVerticalS} ${tokens.spacingHorizontalM}`,
    margin: 0,
  },
  fact: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXXS, minWidth: 0 },
  factLabel: { color: tokens.colorNeutralForeground3 },
  dtText: { fontSize: tokens.fontSizeBase200, lineHeight: tokens.lineHeightBase200 },
  factValue: { margin: 0, fontSize: tokens.fontSizeBase300, lineHeight: tokens.lineHeightBase300, fontVariantNumeric: 'tabular-nums', overflowWrap: 'anywhere' },
  counters: { borderTop: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`, paddingTop: tokens.spacingVerticalS },
  bottom: {
    display: 'grid',
    gridTemplateColumns: 'minmax(0, 2fr) minmax(300px, 1fr)',
    gap: tokens.spacingHorizontalL,
    alignItems: 'start',
    '@media (max-width: 960px)': { gridTemplateColumns: 'minmax(0, 1fr)' },
  },
  tiles: { display: 'grid', gridTemplateColumns: 'repeat(3, minmax(0, 1fr))', gap: tokens.spacingHorizontalM },
  tile: {
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalXXS,
    padding: `${tokens.spacingVerticalS} ${tokens.spacingHorizontalM}`,
    borderRadius: tokens.borderRadiusMedium,
    backgroundColor: tokens.colorNeutralBackground2,
    minWidth: 0,
  },
  tileValue: { fontVariantNumeric: 'tabular-nums' },
  tileDanger: { color: tokens.colorPaletteRedForeground1 },
  reason: { overflowWrap: 'anywhere' },
  eventCol: { width: '88px' },
  top: { verticalAlign: 'top', paddingTop: tokens.spacingVerticalS, paddingBottom: tokens.spacingVerticalS },
  mono: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200 },
});

export function StatusScreen({ status, onEditSite, onOpenArchive }: { status: StatusState; onEditSite: (siteId: number) => void; onOpenArchive?: () => void }) {
  const styles = useStyles();
  const api = useApi();
  const now = useNow();
  const chart = useLoad(() => api.invoke('status.eventsPerHour', { hours: CHART_HOURS }), [api]);
  // The chart is a summary: refreshed every minute rather than on every event.
  useEffect(() => {
    const timer = setInterval(chart.reload, 60_000);
    return () => clearInterval(timer);
  }, [chart.reload]);

  const engine = status.status;
  return (
    <Page
      title="Status"
      testId="status-screen"
      description="What each site's collection is doing, how many events arrive, and what is waiting to be sent to Elastic."
      actions={
        <Button
          icon={<ArrowClockwise20Regular />}
          onClick={() => {
            status.reload();
            chart.reload();
          }}
          data-testid="status-refresh"
        >
          Refresh
        </Button>
      }
    >
      {!engine ? (
        status.loading ? <Loading label="Loading the status…" /> : null
      ) : (
        <>
          {engine.sites.length === 0 ? (
            <Section>
              <EmptyState icon={<DataBarVertical20Regular />} title="No site yet" testId="status-empty">
                Add a site on the Sites tab: its progress and counters appear here.
              </EmptyState>
            </Section>
          ) : (
            <div className={styles.sites}>
              {engine.sites.map((site) => (
                <SiteCard key={site.siteId} site={site} now={now} paused={engine.paused} onEdit={() => onEditSite(site.siteId)} />
              ))}
            </div>
          )}
          <div className={styles.bottom}>
            <Section
              title="Events collected per hour"
              description={`Last ${CHART_HOURS} hours, all sites, by when the events were stored.`}
              testId="events-per-hour"
            >
              {chart.error ? (
                <ErrorBar message={chart.error} onRetry={chart.reload} />
              ) : chart.data ? (
                <EventsChart data={chart.data} hours={CHART_HOURS} now={now} testId="events-chart" />
              ) : (
                <Loading label="Loading the chart…" />
              )}
            </Section>
            <OutboxCard status={status} />
          </div>
          <ArchiveSummary status={engine.archive} onOpen={onOpenArchive} />
        </>
      )}
    </Page>
  );
}

function Fact({ label, value, title, testId }: { label: string; value: string; title?: string; testId?: string }) {
  const styles = useStyles();
  return (
    <div className={styles.fact}>
      <dt className={mergeClasses(styles.dtText, styles.factLabel)}>
        {label}
      </dt>
      <dd className={styles.factValue} title={title} data-testid={testId}>
        {value}
      </dd>
    </div>
  );
}

function SiteCard({ site, now, paused, onEdit }: { site: SiteStatus; now: number; paused: boolean; onEdit: () => void }) {
  const styles = useStyles();
  const backfill = site.backfill;
  const complete = backfill !== null && backfill.progress >= 1;
  return (
    <Section testId={`status-site-${site.siteId}`} dataAttributes={{ 'data-site-name': site.name, 'data-state': site.state }}>
      <div className={styles.siteHeader}>
        <div className={styles.siteTitles}>
          <Subtitle2 as="h3">{site.name}</Subtitle2>
          <Caption1 className={styles.host}>{site.host}</Caption1>
        </div>
        <StateBadge state={site.state} testId={`status-state-${site.siteId}`} />
      </div>
      <div className={styles.backfill}>
        <div className={styles.progressLine}>
          <Text id={`backfill-label-${site.siteId}`} weight="semibold">
            Backfill
          </Text>
          <Text className={styles.percent} data-testid={`backfill-percent-${site.siteId}`}>
            {backfill ? formatPercent(backfill.progress) : '—'}
          </Text>
        </div>
        <ProgressBar
          value={backfill ? Math.max(0, Math.min(1, backfill.progress)) : 0}
          max={1}
          thickness="large"
          color={complete ? 'success' : 'brand'}
          aria-labelledby={`backfill-label-${site.siteId}`}
          aria-valuetext={backfill ? formatPercent(backfill.progress) : 'Not started'}
          data-testid={`backfill-progress-${site.siteId}`}
        />
        <Caption1 className={styles.hint}>{backfillHint(site, now)}</Caption1>
      </div>
      <dl className={styles.facts}>
        <Fact label="Last run" value={formatRelative(site.lastRunAt, now)} title={formatDateTime(site.lastRunAt)} />
        <Fact label="Last success" value={formatRelative(site.lastSuccessAt, now)} title={formatDateTime(site.lastSuccessAt)} />
        <Fact label="Next run" value={site.state === 'disabled' ? 'Off' : paused ? 'Paused' : formatNextRun(site.nextRunAt, now)} title={formatDateTime(site.nextRunAt)} />
      </dl>
      <dl className={mergeClasses(styles.facts, styles.counters)}>
        <Fact label="Sessions stored" value={formatCount(site.sessionsStored)} testId={`status-sessions-${site.siteId}`} />
        <Fact label="Events stored" value={formatCount(site.eventsStored)} testId={`status-events-${site.siteId}`} />
        <Fact label="In progress" value={formatCount(site.sessionsFollowed)} testId={`status-followed-${site.siteId}`} />
      </dl>
      {site.needsAttention ? (
        <MessageBar intent="error" layout="multiline" data-testid={`status-attention-${site.siteId}`}>
          <MessageBarBody>
            <MessageBarTitle>Needs attention</MessageBarTitle>
            {site.needsAttention}
          </MessageBarBody>
          <MessageBarActions>
            <Button onClick={onEdit} aria-label={`Edit site ${site.name}`}>
              Edit site
            </Button>
          </MessageBarActions>
        </MessageBar>
      ) : site.lastError ? (
        <MessageBar intent="warning" layout="multiline" data-testid={`status-error-${site.siteId}`}>
          <MessageBarBody>
            <MessageBarTitle>Last run failed</MessageBarTitle>
            {site.lastError}
          </MessageBarBody>
        </MessageBar>
      ) : null}
    </Section>
  );
}

function backfillHint(site: SiteStatus, now: number): string {
  const b = site.backfill;
  if (!b) return 'The first run collects the sessions of the initial interval.';
  if (b.progress >= 1) return `Complete: everything since ${formatShortDateTime(b.from)} is collected; new sessions follow live.`;
  return `Covered up to ${formatShortDateTime(b.coveredUntil)} (${formatRelative(b.coveredUntil, now)}).`;
}

function OutboxCard({ status }: { status: StatusState }) {
  const styles = useStyles();
  const api = useApi();
  const notify = useNotify();
  const engine = status.status;
  if (!engine) return null;
  const { pending, sent, failed } = engine.outbox;

  async function retry() {
    try {
      const { retried } = await api.invoke('outbox.retryFailed', {});
      notify('success', retried === 1 ? 'Retrying 1 event' : `Retrying ${formatCount(retried)} events`);
      status.reload();
    } catch (e) {
      notify('error', 'Could not retry', errorMessage(e));
    }
  }

  return (
    <Section
      title="Sending to Elastic"
      description="Events wait in the outbox until Elasticsearch accepts them."
      testId="outbox"
      actions={
        <Button icon={<ArrowClockwise20Regular />} onClick={() => void retry()} disabled={failed === 0} data-testid="outbox-retry">
          Retry failed
        </Button>
      }
    >
      {engine.shippingError ? (
        <MessageBar intent="warning" layout="multiline" data-testid="outbox-shipping-error">
          <MessageBarBody>
            <MessageBarTitle>Sending is paused</MessageBarTitle>
            {engine.shippingError.message} (since {formatDateTime(engine.shippingError.since)}, last tried {formatDateTime(engine.shippingError.at)})
          </MessageBarBody>
        </MessageBar>
      ) : null}
      <div className={styles.tiles}>
        <div className={styles.tile}>
          <Caption1 className={styles.factLabel}>Waiting</Caption1>
          <Title2 as="p" className={styles.tileValue} data-testid="outbox-pending">
            {formatCount(pending)}
          </Title2>
        </div>
        <div className={styles.tile}>
          <Caption1 className={styles.factLabel}>Sent</Caption1>
          <Title2 as="p" className={styles.tileValue} data-testid="outbox-sent">
            {formatCount(sent)}
          </Title2>
        </div>
        <div className={styles.tile}>
          <Caption1 className={styles.factLabel}>Failed</Caption1>
          <Title2 as="p" className={mergeClasses(styles.tileValue, failed > 0 && styles.tileDanger)} data-testid="outbox-failed">
            {formatCount(failed)}
          </Title2>
        </div>
      </div>
      {engine.outboxFailures.length > 0 ? (
        <TableScroll>
          <Table size="small" aria-label="Latest delivery failures" data-testid="outbox-failures">
            <TableHeader>
              <TableRow>
                <TableHeaderCell className={styles.eventCol}>Event</TableHeaderCell>
                <TableHeaderCell>Why it failed</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {engine.outboxFailures.map((f) => (
                <TableRow key={f.eventId}>
                  <TableCell className={mergeClasses(styles.mono, styles.top)}>#{f.eventId}</TableCell>
                  <TableCell className={mergeClasses(styles.reason, styles.top)}>{f.reason}</TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableScroll>
      ) : failed === 0 ? (
        <Caption1 className={styles.factLabel}>No failed deliveries.</Caption1>
      ) : null}
    </Section>
  );
}
