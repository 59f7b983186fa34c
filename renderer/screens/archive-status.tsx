/**
 * The archive's status, as the Archive screen shows it: a pause and its reason, a backfill's
 * progress, the counts (written, pending, expired on the appliance, failed, free space), the latest
 * failures with a retry, and each site's backups with "Back up now". Also the compact summary the
 * Status screen shows. The status comes from `archive.status` and stays live through `archive` events.
 */
import {
  Badge,
  Body1,
  Button,
  Caption1,
  MessageBar,
  MessageBarBody,
  MessageBarTitle,
  ProgressBar,
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
import { ArrowClockwise20Regular, ArrowDownload20Regular } from '@fluentui/react-icons';
import { useState } from 'react';
import type { ArchiveFailure, ArchiveKind, ArchiveStatus, SiteBackupStatus } from '../../shared/archive.ts';
import { useApi, useEngineEvents, useLoad } from '../api/context.tsx';
import { errorMessage } from '../api/errors.ts';
import { formatBytes, formatCount, formatDateTime, formatRelative } from '../components/format.ts';
import { Section, TableScroll } from '../components/layout.tsx';
import { useNotify } from '../components/notify.tsx';

const useStyles = makeStyles({
  tiles: { display: 'grid', gridTemplateColumns: 'repeat(auto-fit, minmax(150px, 1fr))', gap: tokens.spacingHorizontalM },
  tile: {
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalXXS,
    padding: `${tokens.spacingVerticalS} ${tokens.spacingHorizontalM}`,
    borderRadius: tokens.borderRadiusMedium,
    backgroundColor: tokens.colorNeutralBackground2,
    minWidth: 0,
  },
  label: { color: tokens.colorNeutralForeground3 },
  value: { fontVariantNumeric: 'tabular-nums', overflowWrap: 'anywhere' },
  danger: { color: tokens.colorPaletteRedForeground1 },
  progress: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXS },
  progressLine: { display: 'flex', justifyContent: 'space-between', alignItems: 'baseline', gap: tokens.spacingHorizontalS, flexWrap: 'wrap' },
  numbers: { fontVariantNumeric: 'tabular-nums', color: tokens.colorNeutralForeground2 },
  top: { verticalAlign: 'top', paddingTop: tokens.spacingVerticalS, paddingBottom: tokens.spacingVerticalS },
  mono: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200, overflowWrap: 'anywhere' },
  reason: { overflowWrap: 'anywhere' },
  cellStack: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXXS, minWidth: 0 },
  muted: { color: tokens.colorNeutralForeground3 },
  error: { color: tokens.colorPaletteRedForeground1, overflowWrap: 'anywhere' },
  siteCol: { width: '16%' },
  scheduleCol: { width: '15%' },
  lastCol: { width: '38%' },
  keptCol: { width: '8%' },
  nextCol: { width: '12%' },
  actionCol: { width: '150px' },
  summary: { display: 'flex', flexWrap: 'wrap', alignItems: 'baseline', gap: `${tokens.spacingVerticalXS} ${tokens.spacingHorizontalXL}` },
  summaryFact: { display: 'flex', gap: tokens.spacingHorizontalXS, alignItems: 'baseline' },
});

/** `archive.status`, then kept current by the engine's `archive` events. */
export function useArchiveStatus() {
  const api = useApi();
  const load = useLoad(() => api.invoke('archive.status', {}), [api]);
  useEngineEvents((event) => {
    if (event.type === 'archive') load.setData(() => event.status);
  });
  return load;
}

const KIND: Record<ArchiveKind, string> = {
  'session-xml': 'Session XML',
  recording: 'Recording',
  'shell-recording': 'Command-shell recording',
  backup: 'Site backup',
};

export function kindLabel(kind: ArchiveKind, instance: number | null): string {
  return kind === 'shell-recording' && instance !== null ? `${KIND[kind]} ${instance}` : KIND[kind];
}

/** The archive's state as a badge: archiving, paused or off. */
export function ArchiveStateBadge({ status, testId }: { status: ArchiveStatus; testId?: string }) {
  const [color, appearance, label] =
    status.state === 'paused'
      ? (['warning', 'filled', 'Paused'] as const)
      : status.state === 'ok'
        ? status.progress
          ? (['brand', 'tint', 'Downloading'] as const)
          : (['success', 'tint', 'Archiving'] as const)
        : (['informative', 'outline', 'Off'] as const);
  return (
    <Badge appearance={appearance} color={color} data-testid={testId} data-state={status.state}>
      {label}
    </Badge>
  );
}

export function PausedBar({ status }: { status: ArchiveStatus }) {
  if (status.state !== 'paused') return null;
  return (
    <MessageBar intent="warning" layout="multiline" data-testid="archive-paused">
      <MessageBarBody>
        <MessageBarTitle>The archive is paused</MessageBarTitle>
        <span data-testid="archive-paused-reason">{status.pausedReason ?? 'The archive folder cannot be written.'}</span> Nothing already archived is
        touched, and it resumes by itself once the folder is back. Sessions keep going to Elastic meanwhile.
      </MessageBarBody>
    </MessageBar>
  );
}

function Tile({ label, value, sub, danger, testId }: { label: string; value: string; sub?: string; danger?: boolean; testId: string }) {
  const styles = useStyles();
  return (
    <div className={styles.tile}>
      <Caption1 className={styles.label}>{label}</Caption1>
      <Title2 as="p" className={mergeClasses(styles.value, danger && styles.danger)} data-testid={testId}>
        {value}
      </Title2>
      {sub ? <Caption1 className={styles.label} data-testid={`${testId}-sub`}>{sub}</Caption1> : null}
    </div>
  );
}

function Progress({ progress }: { progress: NonNullable<ArchiveStatus['progress']> }) {
  const styles = useStyles();
  const share = progress.total > 0 ? Math.min(1, progress.done / progress.total) : 0;
  // The engine counts a pass in sessions (each has one to many files), and the bytes it wrote.
  const text = `${formatCount(progress.done)} of ${formatCount(progress.total)} sessions · ${formatBytes(progress.bytes)}`;
  return (
    <div className={styles.progress} data-testid="archive-progress">
      <div className={styles.progressLine}>
        <Text id="archive-progress-label" weight="semibold">
          Archiving ended sessions and their recordings
        </Text>
        <Text className={styles.numbers} data-testid="archive-progress-text">
          {text}
        </Text>
      </div>
      <ProgressBar value={share} max={1} thickness="large" aria-labelledby="archive-progress-label" aria-valuetext={text} data-testid="archive-progress-bar" />
    </div>
  );
}

/** Counts, progress and the latest failures with Retry. */
export function ArchiveCounts({ status, onChanged }: { status: ArchiveStatus; onChanged: () => void }) {
  const styles = useStyles();
  const api = useApi();
  const notify = useNotify();
  const [retrying, setRetrying] = useState(false);

  async function retry() {
    setRetrying(true);
    try {
      const { retried } = await api.invoke('archive.retryFailed', {});
      notify('success', retried === 1 ? 'Retrying 1 file' : `Retrying ${formatCount(retried)} files`, 'They are tried again in the next pass.');
      onChanged();
    } catch (e) {
      notify('error', 'Could not retry', errorMessage(e));
    } finally {
      setRetrying(false);
    }
  }

  return (
    <Section
      title="Archived files"
      description={status.dir ? <span className={styles.mono} data-testid="archive-status-dir">{status.dir}</span> : undefined}
      testId="archive-counts"
      actions={
        <Button icon={<ArrowClockwise20Regular />} onClick={() => void retry()} disabled={status.failed === 0 || retrying} data-testid="archive-retry">
          {retrying ? 'Retrying…' : 'Retry failed'}
        </Button>
      }
    >
      {status.progress ? <Progress progress={status.progress} /> : null}
      <div className={styles.tiles}>
        <Tile label="Files written" value={formatCount(status.written.files)} sub={formatBytes(status.written.bytes)} testId="archive-written" />
        <Tile label="Pending" value={formatCount(status.pending)} sub="Sessions with files still to archive" testId="archive-pending" />
        <Tile label="Expired on the appliance" value={formatCount(status.expired)} sub="Gone before they were archived" testId="archive-expired" />
        <Tile label="Failed" value={formatCount(status.failed)} danger={status.failed > 0} testId="archive-failed" />
        <Tile label="Free space" value={status.freeBytes === null ? 'Unknown' : formatBytes(status.freeBytes)} testId="archive-free" />
      </div>
      {status.failures.length > 0 ? <Failures failures={status.failures} /> : status.failed === 0 ? <Caption1 className={styles.muted}>No failed files.</Caption1> : null}
    </Section>
  );
}

function Failures({ failures }: { failures: ArchiveFailure[] }) {
  const styles = useStyles();
  const now = Date.now();
  return (
    <TableScroll>
      <Table size="small" aria-label="Latest archive failures" data-testid="archive-failures">
        <TableHeader>
          <TableRow>
            <TableHeaderCell>File</TableHeaderCell>
            <TableHeaderCell>Why it failed</TableHeaderCell>
            <TableHeaderCell>Next try</TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {failures.map((f, i) => (
            <TableRow key={`${f.siteId}-${f.kind}-${f.lsid ?? ''}-${f.instance ?? ''}-${i}`} data-testid="archive-failure">
              <TableCell className={styles.top}>
                <div className={styles.cellStack}>
                  <Body1>
                    {kindLabel(f.kind, f.instance)} · {f.siteName}
                  </Body1>
                  {f.lsid ? <Caption1 className={mergeClasses(styles.mono, styles.muted)}>{f.lsid}</Caption1> : null}
                </div>
              </TableCell>
              <TableCell className={mergeClasses(styles.top, styles.reason)}>{f.reason}</TableCell>
              <TableCell className={styles.top}>
                <div className={styles.cellStack}>
                  <Body1 title={formatDateTime(f.nextAttemptAt)}>{f.nextAttemptAt ? formatRelative(f.nextAttemptAt, now) : 'After Retry'}</Body1>
                  <Caption1 className={styles.muted}>{f.attempts === 1 ? '1 attempt' : `${formatCount(f.attempts)} attempts`}</Caption1>
                </div>
              </TableCell>
            </TableRow>
          ))}
        </TableBody>
      </Table>
    </TableScroll>
  );
}

const SCHEDULE_LABEL = { off: 'Off', daily: 'Daily', weekly: 'Weekly' } as const;

/** Each site's backups: schedule, the newest one, how many are kept, and Back up now. */
export function BackupsTable({ backups, configured, onChanged }: { backups: SiteBackupStatus[]; configured: boolean; onChanged: () => void }) {
  const styles = useStyles();
  const api = useApi();
  const notify = useNotify();
  const [busy, setBusy] = useState<Set<number>>(() => new Set());
  const now = Date.now();

  async function backUp(site: SiteBackupStatus) {
    setBusy((b) => new Set(b).add(site.siteId));
    try {
      const result = await api.invoke('backup.now', { siteId: site.siteId });
      notify('success', `Backed up ${site.siteName}`, `${result.file} (${formatBytes(result.bytes)})`);
      onChanged();
    } catch (e) {
      notify('error', `Could not back up ${site.siteName}`, errorMessage(e));
      onChanged();
    } finally {
      setBusy((b) => {
        const next = new Set(b);
        next.delete(site.siteId);
        return next;
      });
    }
  }

  return (
    <Section
      title="Site backups"
      description="Each site's .nsb backups, taken on the schedule set in the site's dialog. Restore one in /login → Management → Software Management → Backup Settings."
      testId="archive-backups"
    >
      {backups.length === 0 ? (
        <Caption1 className={styles.muted} data-testid="archive-backups-empty">
          No site backups yet: choose daily or weekly backups in a site's dialog.
        </Caption1>
      ) : (
        <TableScroll>
          <Table size="small" aria-label="Site backups" data-testid="archive-backups-table">
            <TableHeader>
              <TableRow>
                <TableHeaderCell className={styles.siteCol}>Site</TableHeaderCell>
                <TableHeaderCell className={styles.scheduleCol}>Schedule</TableHeaderCell>
                <TableHeaderCell className={styles.lastCol}>Last backup</TableHeaderCell>
                <TableHeaderCell className={styles.keptCol}>Kept</TableHeaderCell>
                <TableHeaderCell className={styles.nextCol}>Next</TableHeaderCell>
                <TableHeaderCell className={styles.actionCol}>Action</TableHeaderCell>
              </TableRow>
            </TableHeader>
            <TableBody>
              {backups.map((b) => (
                <TableRow key={b.siteId} data-testid={`archive-backup-${b.siteId}`} data-site-name={b.siteName}>
                  <TableCell className={styles.top}>
                    <Text weight="semibold">{b.siteName}</Text>
                  </TableCell>
                  <TableCell className={styles.top}>{b.schedule === 'off' ? 'Off' : `${SCHEDULE_LABEL[b.schedule]}, keep ${formatCount(b.keep)}`}</TableCell>
                  <TableCell className={styles.top}>
                    <div className={styles.cellStack}>
                      <Body1 title={formatDateTime(b.lastBackupAt)} data-testid={`archive-backup-last-${b.siteId}`}>
                        {formatRelative(b.lastBackupAt, now)}
                      </Body1>
                      {b.lastFile ? <Caption1 className={mergeClasses(styles.mono, styles.muted)}>{b.lastFile}</Caption1> : null}
                      {b.lastError ? (
                        <Caption1 className={styles.error} data-testid={`archive-backup-error-${b.siteId}`}>
                          {b.lastError}
                        </Caption1>
                      ) : null}
                    </div>
                  </TableCell>
                  <TableCell className={styles.top} data-testid={`archive-backup-kept-${b.siteId}`}>
                    {formatCount(b.kept)}
                  </TableCell>
                  <TableCell className={styles.top} title={formatDateTime(b.nextDueAt)}>
                    {b.schedule === 'off' ? '—' : b.nextDueAt ? (Date.parse(b.nextDueAt) <= now ? 'Due now' : formatRelative(b.nextDueAt, now)) : '—'}
                  </TableCell>
                  <TableCell className={styles.top}>
                    <Button
                      size="small"
                      icon={<ArrowDownload20Regular />}
                      onClick={() => void backUp(b)}
                      disabled={!configured || busy.has(b.siteId)}
                      aria-label={`Back up ${b.siteName} now`}
                      data-testid={`archive-backup-now-${b.siteId}`}
                    >
                      {busy.has(b.siteId) ? 'Backing up…' : 'Back up now'}
                    </Button>
                  </TableCell>
                </TableRow>
              ))}
            </TableBody>
          </Table>
        </TableScroll>
      )}
    </Section>
  );
}

/** The Status screen's one-card summary of the archive. */
export function ArchiveSummary({ status, onOpen }: { status: ArchiveStatus | undefined; onOpen?: () => void }) {
  const styles = useStyles();
  if (!status) return null;
  const fact = (label: string, value: string, testId: string, danger = false) => (
    <span className={styles.summaryFact}>
      <Caption1 className={styles.label}>{label}</Caption1>
      <Text weight="semibold" className={mergeClasses(styles.value, danger && styles.danger)} data-testid={testId}>
        {value}
      </Text>
    </span>
  );
  return (
    <Section
      title="Archive"
      description={status.state === 'off' ? 'Off: no archive folder is set. Recordings and session data stay on the appliance only (90 days at most).' : undefined}
      testId="status-archive"
      actions={
        <>
          <ArchiveStateBadge status={status} testId="status-archive-state" />
          {onOpen ? (
            <Button size="small" onClick={onOpen} data-testid="status-archive-open">
              {status.state === 'off' ? 'Set up' : 'Open'}
            </Button>
          ) : null}
        </>
      }
    >
      {status.state === 'off' ? null : (
        <>
          {status.state === 'paused' ? (
            <Caption1 className={styles.error} data-testid="status-archive-paused">
              Paused: {status.pausedReason ?? 'the archive folder cannot be written.'}
            </Caption1>
          ) : null}
          {status.progress ? <Progress progress={status.progress} /> : null}
          <div className={styles.summary}>
            {fact('Written', `${formatCount(status.written.files)} files · ${formatBytes(status.written.bytes)}`, 'status-archive-written')}
            {fact('Pending', formatCount(status.pending), 'status-archive-pending')}
            {fact('Expired on the appliance', formatCount(status.expired), 'status-archive-expired')}
            {fact('Failed', formatCount(status.failed), 'status-archive-failed', status.failed > 0)}
            {fact('Free space', status.freeBytes === null ? 'Unknown' : formatBytes(status.freeBytes), 'status-archive-free')}
          </div>
        </>
      )}
    </Section>
  );
}
