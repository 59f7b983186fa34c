/** The configured PRA sites, their state at a glance, and the first-run walkthrough when there are none. */
import {
  Badge,
  Body1,
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
  Subtitle2,
  Table,
  TableBody,
  TableCell,
  TableHeader,
  TableHeaderCell,
  TableRow,
  Text,
  Tooltip,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { Add20Regular, ArrowSync20Regular, CheckmarkCircle20Filled, Delete20Regular, Edit20Regular, Play20Regular } from '@fluentui/react-icons';
import { useState } from 'react';
import type { SiteView } from '../../shared/contract.ts';
import type { SiteStatus } from '../../shared/status.ts';
import { describeUndelivered, undeliveredCount, type UndeliveredWork } from '../../shared/undelivered.ts';
import { useApi } from '../api/context.tsx';
import { errorMessage, toApiError } from '../api/errors.ts';
import { formatCount, formatDateTime, formatNextRun, formatRelative } from '../components/format.ts';
import { ErrorBar, Loading, Page, Section, TableScroll } from '../components/layout.tsx';
import { useNotify } from '../components/notify.tsx';
import { StateBadge } from '../components/state-badge.tsx';
import { useNow } from '../components/use-now.ts';

const useStyles = makeStyles({
  table: { minWidth: '640px', tableLayout: 'auto', '& th': { whiteSpace: 'nowrap' } },
  name: { fontWeight: tokens.fontWeightSemibold },
  host: { color: tokens.colorNeutralForeground2, whiteSpace: 'nowrap' },
  pushRight: { marginLeft: 'auto' },
  number: { textAlign: 'right', fontVariantNumeric: 'tabular-nums' },
  actionsCell: { width: '120px' },
  actions: { display: 'flex', gap: tokens.spacingHorizontalXXS, justifyContent: 'flex-end' },
  steps: {
    listStyleType: 'none',
    margin: 0,
    padding: 0,
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalL,
  },
  step: {
    display: 'grid',
    gridTemplateColumns: '32px minmax(0, 1fr)',
    columnGap: tokens.spacingHorizontalL,
    rowGap: tokens.spacingVerticalXS,
    alignItems: 'start',
  },
  number1: {
    width: '32px',
    height: '32px',
    borderRadius: tokens.borderRadiusCircular,
    backgroundColor: tokens.colorBrandBackground,
    color: tokens.colorNeutralForegroundOnBrand,
    display: 'flex',
    alignItems: 'center',
    justifyContent: 'center',
    fontWeight: tokens.fontWeightSemibold,
  },
  numberMuted: {
    backgroundColor: tokens.colorNeutralBackground5,
    color: tokens.colorNeutralForeground2,
  },
  stepBody: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalXS, alignItems: 'flex-start', minWidth: 0 },
  stepTitle: { display: 'flex', alignItems: 'center', gap: tokens.spacingHorizontalS, minHeight: '32px' },
  muted: { color: tokens.colorNeutralForeground2 },
  done: { color: tokens.colorPaletteGreenForeground1, display: 'flex' },
  confirm: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalM },
});

export function SitesScreen({
  sites,
  loading,
  error,
  statuses,
  destinationConfigured,
  paused,
  onNew,
  onEdit,
  onOpenElastic,
  onRemoved,
  onReload,
}: {
  sites: SiteView[] | undefined;
  loading: boolean;
  error: string | null;
  statuses: SiteStatus[];
  destinationConfigured: boolean | null;
  paused: boolean;
  onNew: () => void;
  onEdit: (site: SiteView) => void;
  onOpenElastic: () => void;
  onRemoved: (id: number) => void;
  onReload: () => void;
}) {
  const api = useApi();
  const notify = useNotify();
  const [deleting, setDeleting] = useState<SiteView | null>(null);

  async function runNow(site: SiteView | null) {
    try {
      const { started } = await api.invoke('sites.runNow', site ? { id: site.id } : {});
      if (site) notify(started > 0 ? 'success' : 'info', started > 0 ? `Run started for ${site.name}` : `${site.name} is already running`);
      else notify('success', started === 1 ? 'Run started for 1 site' : `Run started for ${started} sites`);
    } catch (e) {
      notify('error', 'Could not start the run', errorMessage(e));
    }
  }

  const empty = sites !== undefined && sites.length === 0;
  return (
    <Page
      title="Sites"
      testId="sites-screen"
      description="The BeyondTrust PRA sites whose access sessions this computer collects and sends to Elastic."
      actions={
        empty ? undefined : (
          <>
            <Button icon={<ArrowSync20Regular />} onClick={() => void runNow(null)} disabled={!sites?.length} data-testid="sites-run-all">
              Run all now
            </Button>
            <Button appearance="primary" icon={<Add20Regular />} onClick={onNew} data-testid="sites-new">
              New site
            </Button>
          </>
        )
      }
    >
      {error ? <ErrorBar title="Can't load the sites" message={error} onRetry={onReload} /> : null}
      {!empty && destinationConfigured === false ? (
        <MessageBar intent="info" layout="multiline" data-testid="elastic-missing-banner">
          <MessageBarBody>
            <MessageBarTitle>Elastic isn't set up yet</MessageBarTitle>
            Sessions are collected and kept on this computer, and sent once the Elastic destination is set up.
          </MessageBarBody>
          <MessageBarActions>
            <Button onClick={onOpenElastic}>Set up Elastic</Button>
          </MessageBarActions>
        </MessageBar>
      ) : null}
      <SameHostWarning sites={sites ?? []} />
      {sites === undefined ? (
        loading ? <Loading label="Loading sites…" /> : null
      ) : empty ? (
        <FirstRun onNew={onNew} onOpenElastic={onOpenElastic} destinationConfigured={destinationConfigured === true} />
      ) : (
        <Section>
          <SitesTable sites={sites} statuses={statuses} paused={paused} onEdit={onEdit} onDelete={setDeleting} onRunNow={(s) => void runNow(s)} />
        </Section>
      )}
      <DeleteSiteDialog
        site={deleting}
        onClose={() => setDeleting(null)}
        onDeleted={(site) => {
          setDeleting(null);
          onRemoved(site.id);
          notify('success', `Deleted ${site.name}`);
        }}
      />
    </Page>
  );
}

/**
 * Sites that pull from one appliance (same host and port): each reads every session on its own,
 * which doubles the API calls counted against the account's limits (the events still reach Elastic
 * once: their ids are the same). Said, not refused: it may be meant for a while (a move, a test).
 */
function SameHostWarning({ sites }: { sites: SiteView[] }) {
  const byHost = new Map<string, SiteView[]>();
  for (const site of sites) {
    const key = site.host.toLowerCase();
    byHost.set(key, [...(byHost.get(key) ?? []), site]);
  }
  const shared = [...byHost.values()].filter((group) => group.length > 1);
  if (shared.length === 0) return null;
  return (
    <MessageBar intent="warning" layout="multiline" data-testid="same-host-warning">
      <MessageBarBody>
        <MessageBarTitle>Several sites pull from the same appliance</MessageBarTitle>
        {shared.map((group) => `${group.map((s) => s.name).join(' and ')} (${group[0]!.host})`).join('; ')}: each site reads every session
        again, which doubles the API calls counted against the API account's limits. Each event still reaches Elastic once. If they are
        the same site, delete one.
      </MessageBarBody>
    </MessageBar>
  );
}

function SitesTable({
  sites,
  statuses,
  paused,
  onEdit,
  onDelete,
  onRunNow,
}: {
  sites: SiteView[];
  statuses: SiteStatus[];
  paused: boolean;
  onEdit: (site: SiteView) => void;
  onDelete: (site: SiteView) => void;
  onRunNow: (site: SiteView) => void;
}) {
  const styles = useStyles();
  const now = useNow();
  const byId = new Map(statuses.map((s) => [s.siteId, s]));
  return (
    <TableScroll>
      <Table aria-label="Sites" className={styles.table} data-testid="sites-table">
        <TableHeader>
          <TableRow>
            <TableHeaderCell>Name</TableHeaderCell>
            <TableHeaderCell>Site</TableHeaderCell>
            <TableHeaderCell>State</TableHeaderCell>
            <TableHeaderCell>Last success</TableHeaderCell>
            <TableHeaderCell>Next run</TableHeaderCell>
            <TableHeaderCell className={styles.number}>
              <span className={styles.pushRight}>Events stored</span>
            </TableHeaderCell>
            <TableHeaderCell className={styles.actionsCell}>
              <span className={styles.pushRight}>Actions</span>
            </TableHeaderCell>
          </TableRow>
        </TableHeader>
        <TableBody>
          {sites.map((site) => {
            const status = byId.get(site.id);
            const state = status?.state ?? (site.enabled ? null : 'disabled');
            return (
              <TableRow key={site.id} data-testid={`site-row-${site.id}`} data-site-name={site.name}>
                <TableCell>
                  <Text className={styles.name}>{site.name}</Text>
                </TableCell>
                <TableCell>
                  <Text className={styles.host}>{site.host}</Text>
                </TableCell>
                <TableCell>
                  <StateBadge state={state} testId={`site-state-${site.id}`} />
                </TableCell>
                <TableCell>
                  <span title={formatDateTime(status?.lastSuccessAt)}>{formatRelative(status?.lastSuccessAt, now)}</span>
                </TableCell>
                <TableCell>
                  <span title={formatDateTime(status?.nextRunAt)}>
                    {!site.enabled ? 'Off' : paused ? 'Paused' : formatNextRun(status?.nextRunAt, now)}
                  </span>
                </TableCell>
                <TableCell className={styles.number}>
                  <span data-testid={`site-events-${site.id}`}>
                    {formatCount(status?.eventsStored ?? 0)}
                  </span>
                </TableCell>
                <TableCell>
                  <div className={styles.actions}>
                    <Tooltip content={`Run ${site.name} now`} relationship="label">
                      <Button appearance="subtle" icon={<Play20Regular />} onClick={() => onRunNow(site)} disabled={!site.enabled} data-testid={`site-run-${site.id}`} />
                    </Tooltip>
                    <Tooltip content={`Edit ${site.name}`} relationship="label">
                      <Button appearance="subtle" icon={<Edit20Regular />} onClick={() => onEdit(site)} data-testid={`site-edit-${site.id}`} />
                    </Tooltip>
                    <Tooltip content={`Delete ${site.name}`} relationship="label">
                      <Button appearance="subtle" icon={<Delete20Regular />} onClick={() => onDelete(site)} data-testid={`site-delete-${site.id}`} />
                    </Tooltip>
                  </div>
                </TableCell>
              </TableRow>
            );
          })}
        </TableBody>
      </Table>
    </TableScroll>
  );
}

function FirstRun({ onNew, onOpenElastic, destinationConfigured }: { onNew: () => void; onOpenElastic: () => void; destinationConfigured: boolean }) {
  const styles = useStyles();
  return (
    <Section
      testId="first-run"
      title="Set up the integration client in three steps"
      description="No site yet. Once a site is added, its access sessions are collected in the background and sent to Elastic."
    >
      <ol className={styles.steps}>
        <li className={styles.step}>
          <span className={styles.number1} aria-hidden="true">1</span>
          <div className={styles.stepBody}>
            <div className={styles.stepTitle}>
              <Subtitle2 as="h4">Add your first site</Subtitle2>
            </div>
            <Body1 className={styles.muted}>
              You need the site's address and an API account with permission to read reports: in the site's /login, go to Management › API
              Configuration and copy its Client ID and Client secret.
            </Body1>
            <Button appearance="primary" icon={<Add20Regular />} onClick={onNew} data-testid="first-run-add-site">
              Add your first site
            </Button>
          </div>
        </li>
        <li className={styles.step}>
          <span className={`${styles.number1} ${styles.numberMuted}`} aria-hidden="true">2</span>
          <div className={styles.stepBody}>
            <div className={styles.stepTitle}>
              <Subtitle2 as="h4">Test it</Subtitle2>
            </div>
            <Body1 className={styles.muted}>
              In the site dialog, Test checks name resolution, the secure connection, the sign-in, the permission to read reports and the
              clock, and says what to fix if a step fails.
            </Body1>
          </div>
        </li>
        <li className={styles.step}>
          <span className={`${styles.number1} ${styles.numberMuted}`} aria-hidden="true">3</span>
          <div className={styles.stepBody}>
            <div className={styles.stepTitle}>
              <Subtitle2 as="h4">Set up Elastic</Subtitle2>
              {destinationConfigured ? (
                <Badge appearance="tint" color="success" icon={<CheckmarkCircle20Filled />}>
                  Done
                </Badge>
              ) : null}
            </div>
            <Body1 className={styles.muted}>
              Tell the client where to send the sessions: your Elasticsearch URL or Cloud ID and an API key. Test checks the permissions and
              the BeyondTrust PRA integration.
            </Body1>
            <Button onClick={onOpenElastic} data-testid="first-run-elastic">
              Set up Elastic
            </Button>
          </div>
        </li>
      </ol>
    </Section>
  );
}

function DeleteSiteDialog({ site, onClose, onDeleted }: { site: SiteView | null; onClose: () => void; onDeleted: (site: SiteView) => void }) {
  const styles = useStyles();
  const api = useApi();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // The engine refused: the site still has undelivered events. Deleting again discards them.
  const [undelivered, setUndelivered] = useState<UndeliveredWork | null>(null);
  const shown = site;

  function close() {
    setError(null);
    setUndelivered(null);
    onClose();
  }

  async function remove(discardPending: boolean) {
    if (!shown) return;
    setBusy(true);
    setError(null);
    try {
      await api.invoke('sites.remove', discardPending ? { id: shown.id, discardPending: true } : { id: shown.id });
      setUndelivered(null);
      onDeleted(shown);
    } catch (e) {
      const refused = toApiError(e).body.undelivered;
      if (refused && !discardPending) setUndelivered(refused);
      else setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  const discard = undelivered !== null;
  return (
    <Dialog
      open={site !== null}
      onOpenChange={(_, d) => {
        if (!d.open) close();
      }}
      modalType="alert"
    >
      <DialogSurface data-testid="delete-site-dialog">
        <DialogBody>
          <DialogTitle>Delete {shown ? `“${shown.name}”` : 'site'}?</DialogTitle>
          <DialogContent className={styles.confirm}>
            <Body1 as="p">
              The site {shown?.host ?? ''} and its stored client secret are removed from this computer, and its sessions are no longer
              collected. What was already sent to Elastic stays there. A site whose events are not all delivered yet is not deleted
              unless you choose to discard them.
            </Body1>
            {undelivered ? (
              <MessageBar intent="warning" layout="multiline" data-testid="delete-site-undelivered">
                <MessageBarBody>
                  <MessageBarTitle>Not everything of this site has been delivered</MessageBarTitle>
                  {shown?.name} still has {describeUndelivered(undelivered)}. Deleting it now discards them: they are never delivered. To
                  keep them, cancel, and delete the site once Status shows them delivered (rejected events: fix the cause, then Retry
                  failed).
                </MessageBarBody>
              </MessageBar>
            ) : null}
            {error ? (
              <MessageBar intent="error" layout="multiline">
                <MessageBarBody>{error}</MessageBarBody>
              </MessageBar>
            ) : null}
          </DialogContent>
          <DialogActions>
            <Button onClick={close} data-testid="delete-site-cancel">
              Cancel
            </Button>
            {discard ? (
              <Button appearance="primary" onClick={() => void remove(true)} disabled={busy} data-testid="delete-site-discard">
                {busy ? 'Deleting…' : `Delete and discard ${undeliveredCount(undelivered)}`}
              </Button>
            ) : (
              <Button appearance="primary" onClick={() => void remove(false)} disabled={busy} data-testid="delete-site-confirm">
                {busy ? 'Deleting…' : 'Delete'}
              </Button>
            )}
          </DialogActions>
        </DialogBody>
      </DialogSurface>
    </Dialog>
  );
}
