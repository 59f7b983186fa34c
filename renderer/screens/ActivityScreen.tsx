/** The engine's log: the recent lines, then each new one as it is written; filter, then copy what is shown. */
import {
  Badge,
  Button,
  Caption1,
  Field,
  SearchBox,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  makeStyles,
  mergeClasses,
  tokens,
  type BadgeProps,
} from '@fluentui/react-components';
import { Copy20Regular, TextBulletListLtr20Regular } from '@fluentui/react-icons';
import { useMemo, useState } from 'react';
import type { LogLine } from '../../shared/status.ts';
import { useApi, useEngineEvents, useLoad } from '../api/context.tsx';
import { ChoiceField } from '../components/choice-field.tsx';
import { formatCount, formatDateTime, formatTimeOfDay } from '../components/format.ts';
import { EmptyState, ErrorBar, Loading, Page, Section, TableScroll } from '../components/layout.tsx';
import { useNotify } from '../components/notify.tsx';

const RECENT = 1000;
const KEEP = 5000;
const SHOWN = 1000;

const LEVELS = [
  { id: 'debug', label: 'All, with debug' },
  { id: 'info', label: 'Information and above' },
  { id: 'warn', label: 'Warnings and errors' },
  { id: 'error', label: 'Errors only' },
] as const;
type LevelId = (typeof LEVELS)[number]['id'];
const RANK: Record<LogLine['level'], number> = { debug: 0, info: 1, warn: 2, error: 3 };

const LEVEL_BADGE: Record<LogLine['level'], { label: string; color: BadgeProps['color'] }> = {
  debug: { label: 'Debug', color: 'subtle' },
  info: { label: 'Info', color: 'informative' },
  warn: { label: 'Warning', color: 'warning' },
  error: { label: 'Error', color: 'danger' },
};

const useStyles = makeStyles({
  filters: {
    display: 'grid',
    gridTemplateColumns: 'minmax(180px, 1fr) minmax(220px, 2fr)',
    gap: tokens.spacingHorizontalL,
    alignItems: 'end',
    '@media (max-width: 640px)': { gridTemplateColumns: 'minmax(0, 1fr)' },
  },
  dropdown: { minWidth: 0, width: '100%' },
  table: { minWidth: '680px', tableLayout: 'fixed' },
  time: { width: '104px', fontVariantNumeric: 'tabular-nums' },
  level: { width: '100px' },
  topic: { width: '120px', color: tokens.colorNeutralForeground2, overflowWrap: 'anywhere' },
  message: {
    fontFamily: tokens.fontFamilyMonospace,
    fontSize: tokens.fontSizeBase200,
    whiteSpace: 'pre-wrap',
    overflowWrap: 'anywhere',
  },
  footer: { display: 'flex', justifyContent: 'space-between', flexWrap: 'wrap', gap: tokens.spacingHorizontalM },
  muted: { color: tokens.colorNeutralForeground3 },
  search: { width: '100%', maxWidth: 'none' },
  cell: { verticalAlign: 'top', paddingTop: '7px', paddingBottom: '7px' },
});

export function lineText(line: LogLine): string {
  return `${line.time} ${line.level.toUpperCase().padEnd(5)} [${line.topic}] ${line.message}`;
}

async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // Clipboard API refused (no permission or no secure context): the classic way.
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand('copy');
  area.remove();
  if (!ok) throw new Error('The clipboard is not available.');
}

export function ActivityScreen() {
  const styles = useStyles();
  const api = useApi();
  const notify = useNotify();
  const [level, setLevel] = useState<LevelId>('info');
  const [text, setText] = useState('');
  const [live, setLive] = useState<LogLine[]>([]);
  const recent = useLoad(() => api.invoke('log.recent', { limit: RECENT }), [api]);

  useEngineEvents((event) => {
    if (event.type === 'log') setLive((lines) => (lines.length >= KEEP ? [...lines.slice(-KEEP + 1), event.line] : [...lines, event.line]));
  });

  const all = useMemo(() => [...(recent.data ?? []), ...live].slice(-KEEP), [recent.data, live]);
  const visible = useMemo(() => {
    const needle = text.trim().toLowerCase();
    const min = RANK[level];
    return all
      .filter((l) => RANK[l.level] >= min && (!needle || `${l.topic} ${l.message}`.toLowerCase().includes(needle)))
      .reverse();
  }, [all, level, text]);
  const shown = visible.slice(0, SHOWN);

  async function copy() {
    try {
      // Oldest first, like a log file.
      await copyText([...shown].reverse().map(lineText).join('\n'));
      notify('success', shown.length === 1 ? 'Copied 1 line' : `Copied ${formatCount(shown.length)} lines`);
    } catch (e) {
      notify('error', 'Could not copy', e instanceof Error ? e.message : String(e));
    }
  }

  return (
    <Page
      title="Activity"
      testId="activity-screen"
      description="What the engine has been doing, newest first: runs, deliveries to Elastic, and any problem it met."
      actions={
        <Button icon={<Copy20Regular />} onClick={() => void copy()} disabled={shown.length === 0} data-testid="activity-copy">
          Copy
        </Button>
      }
    >
      <Section>
        <div className={styles.filters}>
          <ChoiceField label="Level" choices={LEVELS} value={level} onChange={setLevel} className={styles.dropdown} testId="activity-level" />
          <Field label="Filter">
            <SearchBox className={styles.search} value={text} onChange={(_, d) => setText(d.value)} placeholder="Words in the topic or message" data-testid="activity-filter" />
          </Field>
        </div>
        {recent.error ? <ErrorBar title="Can't load the activity" message={recent.error} onRetry={recent.reload} /> : null}
        {recent.loading && !recent.data ? (
          <Loading label="Loading the activity…" />
        ) : shown.length === 0 ? (
          <EmptyState icon={<TextBulletListLtr20Regular />} title={all.length === 0 ? 'Nothing logged yet' : 'No line matches'} testId="activity-empty">
            {all.length === 0 ? 'Lines appear here as the engine works.' : 'Choose another level or change the filter.'}
          </EmptyState>
        ) : (
          <>
            <TableScroll>
              <Table size="small" aria-label="Activity" className={styles.table} data-testid="activity-table">
                <TableHeader>
                  <TableRow>
                    <TableHeaderCell className={styles.time}>Time</TableHeaderCell>
                    <TableHeaderCell className={styles.level}>Level</TableHeaderCell>
                    <TableHeaderCell className={styles.topic}>Topic</TableHeaderCell>
                    <TableHeaderCell>Message</TableHeaderCell>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {shown.map((line, i) => (
                    <TableRow key={`${line.time}-${i}`} data-testid="activity-line" data-level={line.level}>
                      <TableCell className={mergeClasses(styles.cell, styles.time)} title={formatDateTime(line.time)}>
                        {formatTimeOfDay(line.time)}
                      </TableCell>
                      <TableCell className={mergeClasses(styles.cell, styles.level)}>
                        <Badge appearance="tint" color={LEVEL_BADGE[line.level].color} size="small">
                          {LEVEL_BADGE[line.level].label}
                        </Badge>
                      </TableCell>
                      <TableCell className={mergeClasses(styles.cell, styles.topic)}>{line.topic}</TableCell>
                      <TableCell className={mergeClasses(styles.cell, styles.message)}>{line.message}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            </TableScroll>
            <Caption1 className={styles.muted} data-testid="activity-count">
              {visible.length > SHOWN
                ? `Showing the newest ${formatCount(SHOWN)} of ${formatCount(visible.length)} matching lines.`
                : `${formatCount(visible.length)} of ${formatCount(all.length)} lines.`}
            </Caption1>
          </>
        )}
      </Section>
    </Page>
  );
}
