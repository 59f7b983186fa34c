/** The local session store: filter by site, time and text; open a session to see who did what. */
import {
  Badge,
  Button,
  Caption1,
  Dropdown,
  DrawerBody,
  DrawerHeader,
  DrawerHeaderTitle,
  Field,
  Option,
  OverlayDrawer,
  SearchBox,
  Subtitle2,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  makeStyles,
  mergeClasses,
  tokens,
} from '@fluentui/react-components';
import { Dismiss24Regular, DocumentSearch20Regular } from '@fluentui/react-icons';
import { useEffect, useMemo, useState, type ReactNode } from 'react';
import type { SiteView } from '../../shared/contract.ts';
import type { SessionRow } from '../../shared/sessions.ts';
import { useApi, useLoad } from '../api/context.tsx';
import { ChoiceField } from '../components/choice-field.tsx';
import { formatCount, formatDateTime, formatShortDateTime } from '../components/format.ts';
import { EmptyState, ErrorBar, Loading, Page, Section, TableScroll } from '../components/layout.tsx';

const PAGE_SIZE = 200;

const RANGES = [
  { id: '24h', label: 'Last 24 hours', seconds: 86_400 },
  { id: '7d', label: 'Last 7 days', seconds: 7 * 86_400 },
  { id: '30d', label: 'Last 30 days', seconds: 30 * 86_400 },
  { id: 'all', label: 'All time', seconds: null },
] as const;
type RangeId = (typeof RANGES)[number]['id'];

const useStyles = makeStyles({
  filters: {
    display: 'grid',
    gridTemplateColumns: 'minmax(160px, 1fr) minmax(160px, 1fr) minmax(220px, 2fr)',
    gap: tokens.spacingHorizontalL,
    alignItems: 'end',
    '@media (max-width: 720px)': { gridTemplateColumns: 'minmax(0, 1fr)' },
  },
  dropdown: { minWidth: 0, width: '100%' },
  table: { minWidth: '820px', tableLayout: 'auto', '& th': { whiteSpace: 'nowrap' } },
  row: {
    cursor: 'pointer',
    ':focus-visible': { outline: `${tokens.strokeWidthThick} solid ${tokens.colorStrokeFocus2}`, outlineOffset: '-2px' },
  },
  mono: { fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200, overflowWrap: 'anywhere' },
  number: { textAlign: 'right', fontVariantNumeric: 'tabular-nums' },
  headerRight: { marginLeft: 'auto' },
  muted: { color: tokens.colorNeutralForeground3 },
  footer: { display: 'flex', justifyContent: 'space-between', alignItems: 'center', flexWrap: 'wrap', gap: tokens.spacingHorizontalM },
  drawerBody: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXL, paddingBottom: tokens.spacingVerticalXXL },
  summary: {
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fill, minmax(180px, 1fr))',
    gap: `${tokens.spacingVerticalM} ${tokens.spacingHorizontalL}`,
    margin: 0,
  },
  fact: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXXS, minWidth: 0 },
  dtText: { fontSize: tokens.fontSizeBase200, lineHeight: tokens.lineHeightBase200 },
  factValue: { margin: 0, fontSize: tokens.fontSizeBase300, lineHeight: tokens.lineHeightBase300, overflowWrap: 'anywhere' },
  body: { whiteSpace: 'pre-wrap', overflowWrap: 'anywhere', fontFamily: tokens.fontFamilyMonospace, fontSize: tokens.fontSizeBase200 },
  block: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
  cellTop: { verticalAlign: 'top' },
  colTime: { width: '96px' },
  colEvent: { width: '170px' },
  colBy: { width: '140px' },
  colDest: { width: '120px' },
  search: { width: '100%', maxWidth: 'none' },
  lsid: {
    display: 'inline-block',
    maxWidth: '14ch',
    overflow: 'hidden',
    textOverflow: 'ellipsis',
    whiteSpace: 'nowrap',
    verticalAlign: 'bottom',
    fontFamily: tokens.fontFamilyMonospace,
    fontSize: tokens.fontSizeBase200,
  },
  nowrap: { whiteSpace: 'nowrap' },
});

export function SessionsScreen({ sites }: { sites: SiteView[] }) {
  const styles = useStyles();
  const api = useApi();
  const [siteId, setSiteId] = useState<number | null>(null);
  const [range, setRange] = useState<RangeId>('7d');
  const [search, setSearch] = useState('');
  const [query, setQuery] = useState('');
  const [limit, setLimit] = useState(PAGE_SIZE);
  const [open, setOpen] = useState<SessionRow | null>(null);

  // Searching as the user types, once they pause.
  useEffect(() => {
    const timer = setTimeout(() => setQuery(search.trim()), 250);
    return () => clearTimeout(timer);
  }, [search]);
  useEffect(() => setLimit(PAGE_SIZE), [siteId, range, query]);

  const since = useMemo(() => {
    const seconds = RANGES.find((r) => r.id === range)?.seconds ?? null;
    return seconds === null ? undefined : Math.floor(Date.now() / 1000) - seconds;
  }, [range]);

  const list = useLoad(
    () =>
      api.invoke('sessions.list', {
        ...(siteId !== null ? { siteId } : {}),
        ...(since !== undefined ? { since } : {}),
        ...(query ? { search: query } : {}),
        limit,
      }),
    [api, siteId, since, query, limit],
  );

  const rows = list.data ?? [];
  const siteName = (row: SessionRow) => sites.find((s) => s.id === row.siteId)?.name ?? row.siteHost;
  const showSite = siteId === null && sites.length > 1;
  const siteLabel = siteId === null ? 'All sites' : (sites.find((s) => s.id === siteId)?.name ?? 'All sites');

  return (
    <Page title="Sessions" testId="sessions-screen" description="Access sessions stored on this computer, as collected from the sites.">
      <Section>
        <div className={styles.filters}>
          <Field label="Site">
            <Dropdown
              className={styles.dropdown}
              value={siteLabel}
              selectedOptions={[siteId === null ? 'all' : String(siteId)]}
              onOptionSelect={(_, d) => setSiteId(d.optionValue === 'all' || !d.optionValue ? null : Number(d.optionValue))}
              data-testid="sessions-site"
            >
              <Option value="all">All sites</Option>
              {sites.map((s) => (
                <Option key={s.id} value={String(s.id)}>
                  {s.name}
                </Option>
              ))}
            </Dropdown>
          </Field>
          <ChoiceField label="Started" choices={RANGES} value={range} onChange={setRange} className={styles.dropdown} testId="sessions-range" />
          <Field label="Search">
            <SearchBox
              value={search}
              onChange={(_, d) => setSearch(d.value)}
              placeholder="User, host name, jump group or session ID"
              className={styles.search}
              data-testid="sessions-search"
            />
          </Field>
        </div>
        {list.error ? <ErrorBar title="Can't load the sessions" message={list.error} onRetry={list.reload} /> : null}
        {list.data === undefined ? (
          list.loading ? <Loading label="Loading sessions…" /> : null
        ) : rows.length === 0 ? (
          <EmptyState icon={<DocumentSearch20Regular />} title="No session matches" testId="sessions-empty">
            {query || siteId !== null || range !== 'all'
              ? 'Try another site, a longer time range or other search words.'
              : 'Sessions appear here once a site has been collected.'}
          </EmptyState>
        ) : (
          <>
            <TableScroll>
              <Table aria-label="Sessions" className={styles.table} data-testid="sessions-table">
                <TableHeader>
                  <TableRow>
                    <TableHeaderCell>Start</TableHeaderCell>
                    <TableHeaderCell>End</TableHeaderCell>
                    {showSite ? <TableHeaderCell>Site</TableHeaderCell> : null}
                    <TableHeaderCell>Session ID</TableHeaderCell>
                    <TableHeaderCell>Jump group</TableHeaderCell>
                    <TableHeaderCell>Representative</TableHeaderCell>
                    <TableHeaderCell>Customer</TableHeaderCell>
                    <TableHeaderCell>
                      <span className={styles.headerRight}>Events</span>
                    </TableHeaderCell>
                  </TableRow>
                </TableHeader>
                <TableBody>
                  {rows.map((row) => (
                    <TableRow
                      key={`${row.siteId}:${row.lsid}`}
                      className={styles.row}
                      tabIndex={0}
                      onClick={() => setOpen(row)}
                      onKeyDown={(e) => {
                        if (e.key === 'Enter' || e.key === ' ') {
                          e.preventDefault();
                          setOpen(row);
                        }
                      }}
                      aria-label={`Session ${row.lsid}, started ${formatDateTime(row.startTime)}`}
                      data-testid="session-row"
                      data-lsid={row.lsid}
                    >
                      <TableCell className={styles.nowrap} title={formatDateTime(row.startTime)}>
                        {formatShortDateTime(row.startTime)}
                      </TableCell>
                      <TableCell className={styles.nowrap} title={formatDateTime(row.endTime)}>
                        {row.inProgress || !row.endTime ? (
                          <Badge appearance="tint" color="brand">
                            In progress
                          </Badge>
                        ) : (
                          formatShortDateTime(row.endTime)
                        )}
                      </TableCell>
                      {showSite ? <TableCell className={styles.nowrap} title={row.siteHost}>{siteName(row)}</TableCell> : null}
                      <TableCell>
                        <span className={styles.lsid} title={row.lsid}>
                          {row.lsid}
                        </span>
                      </TableCell>
                      <TableCell>{row.jumpGroup ?? '—'}</TableCell>
                      <TableCell>{row.primaryRep ?? '—'}</TableCell>
                      <TableCell>{row.primaryCustomer ?? '—'}</TableCell>
                      <TableCell className={styles.number}>{formatCount(row.eventCount)}</TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            </TableScroll>
            <div className={styles.footer}>
              <Caption1 className={styles.muted} data-testid="sessions-count">
                {rows.length === 1 ? '1 session' : `${formatCount(rows.length)} sessions`}
                {rows.length >= limit ? ' shown (there are more)' : ''}
              </Caption1>
              {rows.length >= limit ? (
                <Button onClick={() => setLimit((l) => Math.min(1000, l + PAGE_SIZE))} disabled={limit >= 1000 || list.loading}>
                  Show more
                </Button>
              ) : null}
            </div>
          </>
        )}
      </Section>
      <SessionDrawer row={open} onClose={() => setOpen(null)} />
    </Page>
  );
}

function Fact({ label, children }: { label: string; children: ReactNode }) {
  const styles = useStyles();
  return (
    <div className={styles.fact}>
      <dt className={mergeClasses(styles.dtText, styles.muted)}>
        {label}
      </dt>
      <dd className={styles.factValue}>
        {children}
      </dd>
    </div>
  );
}

function SessionDrawer({ row, onClose }: { row: SessionRow | null; onClose: () => void }) {
  return (
    <OverlayDrawer
      open={row !== null}
      onOpenChange={(_, d) => (d.open ? undefined : onClose())}
      position="end"
      size="large"
      data-testid="session-drawer"
      aria-label={row ? `Session ${row.lsid}` : 'Session'}
    >
      {row ? <SessionDetailView key={`${row.siteId}:${row.lsid}`} row={row} onClose={onClose} /> : null}
    </OverlayDrawer>
  );
}

function SessionDetailView({ row, onClose }: { row: SessionRow; onClose: () => void }) {
  const styles = useStyles();
  const api = useApi();
  const detail = useLoad(() => api.invoke('sessions.get', { siteId: row.siteId, lsid: row.lsid }), [api, row.siteId, row.lsid]);
  const d = detail.data;
  return (
    <>
      <DrawerHeader>
        <DrawerHeaderTitle
          action={<Button appearance="subtle" aria-label="Close" icon={<Dismiss24Regular />} onClick={onClose} data-testid="session-drawer-close" />}
        >
          Session <span className={styles.mono}>{row.lsid}</span>
        </DrawerHeaderTitle>
      </DrawerHeader>
      <DrawerBody className={styles.drawerBody}>
        <dl className={styles.summary}>
          <Fact label="Site">{row.siteHost}</Fact>
          <Fact label="Type">{row.sessionType ?? '—'}</Fact>
          <Fact label="Start">{formatDateTime(row.startTime)}</Fact>
          <Fact label="End">{row.inProgress || !row.endTime ? 'In progress' : formatDateTime(row.endTime)}</Fact>
          <Fact label="Duration">{row.duration ?? '—'}</Fact>
          <Fact label="Jump group">{row.jumpGroup ?? '—'}</Fact>
          <Fact label="Jumpoint">{row.jumpoint ?? '—'}</Fact>
          <Fact label="Events">{formatCount(row.eventCount)}</Fact>
        </dl>
        {detail.error ? <ErrorBar title="Can't load the session" message={detail.error} onRetry={detail.reload} /> : null}
        {detail.loading && !d ? <Loading label="Loading the session…" /> : null}
        {!detail.loading && detail.data === null ? (
          <EmptyState title="This session is no longer stored">It may have been removed with its site.</EmptyState>
        ) : null}
        {d ? (
          <>
            <div className={styles.block}>
              <Subtitle2 as="h3">Participants</Subtitle2>
              {d.participants.length === 0 ? (
                <Caption1 className={styles.muted}>None recorded.</Caption1>
              ) : (
                <TableScroll>
                  <Table size="small" aria-label="Participants" data-testid="session-participants">
                    <TableHeader>
                      <TableRow>
                        <TableHeaderCell>Role</TableHeaderCell>
                        <TableHeaderCell>Name</TableHeaderCell>
                        <TableHeaderCell>User name</TableHeaderCell>
                        <TableHeaderCell>Host</TableHeaderCell>
                        <TableHeaderCell>Addresses</TableHeaderCell>
                        <TableHeaderCell>OS</TableHeaderCell>
                      </TableRow>
                    </TableHeader>
                    <TableBody>
                      {d.participants.map((p) => (
                        <TableRow key={`${p.kind}:${p.gsnumber}`}>
                          <TableCell>{p.kind === 'representative' ? 'Representative' : 'Customer'}</TableCell>
                          <TableCell>{p.displayName ?? '—'}</TableCell>
                          <TableCell>{p.username ?? '—'}</TableCell>
                          <TableCell>{p.hostname ?? '—'}</TableCell>
                          <TableCell>{[p.publicIp, p.privateIp].filter(Boolean).join(', ') || '—'}</TableCell>
                          <TableCell>{p.os ?? '—'}</TableCell>
                        </TableRow>
                      ))}
                    </TableBody>
                  </Table>
                </TableScroll>
              )}
            </div>
            {d.customAttributes.length > 0 ? (
              <div className={styles.block}>
                <Subtitle2 as="h3">Custom attributes</Subtitle2>
                <dl className={styles.summary} data-testid="session-attributes">
                  {d.customAttributes.map((a) => (
                    <Fact key={a.codeName} label={a.displayName || a.codeName}>
                      {a.value || '—'}
                    </Fact>
                  ))}
                </dl>
              </div>
            ) : null}
            <div className={styles.block}>
              <Subtitle2 as="h3">Events</Subtitle2>
              {d.events.length === 0 ? (
                <Caption1 className={styles.muted}>No events stored for this session.</Caption1>
              ) : (
                <TableScroll>
                  <Table size="small" aria-label="Session events" data-testid="session-events">
                    <TableHeader>
                      <TableRow>
                        <TableHeaderCell className={styles.colTime}>Time</TableHeaderCell>
                        <TableHeaderCell className={styles.colEvent}>Event</TableHeaderCell>
                        <TableHeaderCell className={styles.colBy}>Performed by</TableHeaderCell>
                        <TableHeaderCell className={styles.colDest}>Destination</TableHeaderCell>
                        <TableHeaderCell>Details</TableHeaderCell>
                      </TableRow>
                    </TableHeader>
                    <TableBody>
                      {d.events.map((e) => (
                        <TableRow key={e.ordinal} data-testid="session-event">
                          <TableCell className={styles.cellTop} title={formatDateTime(e.time)}>
                            {e.time ? new Date(e.time).toLocaleTimeString() : '—'}
                          </TableCell>
                          <TableCell className={styles.cellTop}>{e.eventType}</TableCell>
                          <TableCell className={styles.cellTop}>{e.performedBy ?? '—'}</TableCell>
                          <TableCell className={styles.cellTop}>{e.destination ?? '—'}</TableCell>
                          <TableCell className={styles.cellTop}>
                            {e.body ? <span className={styles.body}>{e.body}</span> : <span className={styles.muted}>—</span>}
                          </TableCell>
                        </TableRow>
                      ))}
                    </TableBody>
                  </Table>
                </TableScroll>
              )}
            </div>
          </>
        ) : null}
      </DrawerBody>
    </>
  );
}
