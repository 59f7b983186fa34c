/**
 * The app shell: title, navigation, the engine's pause switch and version, the banners that need
 * the admin (a site that needs attention, a lost connection), and the screen of the selected tab.
 */
import {
  Badge,
  Button,
  Caption1,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
  Tab,
  TabList,
  Title3,
  Tooltip,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import {
  Archive20Regular,
  CloudArrowUp20Regular,
  DataBarVertical20Regular,
  DocumentSearch20Regular,
  Pause20Regular,
  Play20Regular,
  Server20Regular,
  ShieldKeyhole24Filled,
  TextBulletListLtr20Regular,
} from '@fluentui/react-icons';
import { useCallback, useEffect, useState, type ReactElement } from 'react';
import type { SiteView } from '../shared/contract.ts';
import { useApi, useConnection, useEngineEvents, useLoad, useStatus } from './api/context.tsx';
import { errorMessage } from './api/errors.ts';
import { ErrorBar } from './components/layout.tsx';
import { AppToaster, useNotify } from './components/notify.tsx';
import { ActivityScreen } from './screens/ActivityScreen.tsx';
import { ArchiveScreen } from './screens/ArchiveScreen.tsx';
import { ElasticScreen } from './screens/ElasticScreen.tsx';
import { SessionsScreen } from './screens/SessionsScreen.tsx';
import { SiteDialog, type SiteDialogTarget } from './screens/SiteDialog.tsx';
import { SitesScreen } from './screens/SitesScreen.tsx';
import { StatusScreen } from './screens/StatusScreen.tsx';

type ScreenId = 'sites' | 'elastic' | 'archive' | 'status' | 'sessions' | 'activity';

const SCREENS: { id: ScreenId; label: string; icon: ReactElement }[] = [
  { id: 'sites', label: 'Sites', icon: <Server20Regular /> },
  { id: 'elastic', label: 'Elastic', icon: <CloudArrowUp20Regular /> },
  { id: 'archive', label: 'Archive', icon: <Archive20Regular /> },
  { id: 'status', label: 'Status', icon: <DataBarVertical20Regular /> },
  { id: 'sessions', label: 'Sessions', icon: <DocumentSearch20Regular /> },
  { id: 'activity', label: 'Activity', icon: <TextBulletListLtr20Regular /> },
];

function screenFromHash(): ScreenId {
  const id = window.location.hash.replace(/^#\/?/, '');
  return SCREENS.some((s) => s.id === id) ? (id as ScreenId) : 'sites';
}

/** The selected tab, kept in the address's hash (#/status) so a reload stays on it. */
function useScreen(): [ScreenId, (id: ScreenId) => void] {
  const [screen, setScreen] = useState<ScreenId>(screenFromHash);
  useEffect(() => {
    const onHash = () => setScreen(screenFromHash());
    window.addEventListener('hashchange', onHash);
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const select = useCallback((id: ScreenId) => {
    setScreen(id);
    const url = new URL(window.location.href);
    url.hash = `/${id}`;
    window.history.replaceState(window.history.state, '', url.pathname + url.search + url.hash);
  }, []);
  return [screen, select];
}

const useStyles = makeStyles({
  shell: {
    minHeight: '100vh',
    display: 'flex',
    flexDirection: 'column',
    backgroundColor: tokens.colorNeutralBackground2,
    color: tokens.colorNeutralForeground1,
  },
  top: {
    backgroundColor: tokens.colorNeutralBackground1,
    borderBottom: `${tokens.strokeWidthThin} solid ${tokens.colorNeutralStroke2}`,
    position: 'sticky',
    top: 0,
    zIndex: 1,
  },
  header: {
    display: 'flex',
    flexWrap: 'wrap',
    alignItems: 'center',
    justifyContent: 'space-between',
    columnGap: tokens.spacingHorizontalL,
    rowGap: tokens.spacingVerticalS,
    padding: `${tokens.spacingVerticalM} ${tokens.spacingHorizontalXXL} 0`,
    maxWidth: '1280px',
    margin: '0 auto',
    boxSizing: 'border-box',
    width: '100%',
  },
  brand: {
    display: 'flex',
    alignItems: 'center',
    gap: tokens.spacingHorizontalS,
    minWidth: 0,
  },
  brandIcon: { color: tokens.colorBrandForeground1, display: 'flex', flexShrink: 0 },
  engine: {
    display: 'flex',
    alignItems: 'center',
    flexWrap: 'wrap',
    gap: tokens.spacingHorizontalM,
  },
  version: { color: tokens.colorNeutralForeground3 },
  nav: {
    maxWidth: '1280px',
    margin: '0 auto',
    boxSizing: 'border-box',
    width: '100%',
    padding: `${tokens.spacingVerticalXS} ${tokens.spacingHorizontalL} 0`,
    overflowX: 'auto',
  },
  main: {
    flex: 1,
    width: '100%',
    maxWidth: '1280px',
    margin: '0 auto',
    boxSizing: 'border-box',
    padding: `${tokens.spacingVerticalXL} ${tokens.spacingHorizontalXXL} ${tokens.spacingVerticalXXXL}`,
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalL,
    minWidth: 0,
  },
  banners: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
});

export function App() {
  const styles = useStyles();
  const api = useApi();
  const notify = useNotify();
  const connection = useConnection();
  const status = useStatus();
  const info = useLoad(() => api.invoke('app.info', {}), [api]);
  const sites = useLoad(() => api.invoke('sites.list', {}), [api]);
  const destination = useLoad(() => api.invoke('destination.get', {}), [api]);
  const archive = useLoad(() => api.invoke('archive.get', {}), [api]);
  const [screen, setScreen] = useScreen();
  const [dialog, setDialog] = useState<SiteDialogTarget | null>(null);
  const [pausing, setPausing] = useState(false);

  // A site added or removed elsewhere (the CLI, another window) shows up here too.
  useEngineEvents((event) => {
    if (event.type === 'site-status' && sites.data && !sites.data.some((s) => s.id === event.status.siteId)) sites.reload();
    if (event.type === 'site-removed') sites.setData((list) => list?.filter((s) => s.id !== event.siteId));
  });

  const openEdit = useCallback(
    async (siteId: number) => {
      let site = sites.data?.find((s) => s.id === siteId);
      if (!site) {
        try {
          const list = await api.invoke('sites.list', {});
          sites.setData(() => list);
          site = list.find((s) => s.id === siteId);
        } catch (e) {
          notify('error', "Can't open the site", errorMessage(e));
          return;
        }
      }
      if (site) setDialog({ mode: 'edit', site });
    },
    [api, notify, sites],
  );

  const paused = status.status?.paused ?? info.data?.paused ?? false;
  async function togglePause() {
    setPausing(true);
    try {
      const result = await api.invoke('engine.setPaused', { paused: !paused });
      status.update((s) => ({ ...s, paused: result.paused }));
      info.setData((i) => (i ? { ...i, paused: result.paused } : i));
      notify('info', result.paused ? 'Collection paused' : 'Collection resumed');
    } catch (e) {
      notify('error', paused ? 'Could not resume' : 'Could not pause', errorMessage(e));
    } finally {
      setPausing(false);
    }
  }

  const attention = (status.status?.sites ?? []).filter((s) => s.state === 'needs-attention' || s.needsAttention);

  function onSaved(site: SiteView, mode: 'new' | 'edit') {
    setDialog(null);
    sites.setData((list) => (mode === 'new' ? [...(list ?? []), site] : (list ?? []).map((s) => (s.id === site.id ? site : s))));
    status.reload();
    notify('success', mode === 'new' ? `Added ${site.name}` : `Saved ${site.name}`, mode === 'new' ? 'Its sessions are collected from now on.' : undefined);
  }

  let content: ReactElement;
  switch (screen) {
    case 'elastic':
      content = <ElasticScreen destination={destination.data} loading={destination.loading} error={destination.error} onReload={destination.reload} onSaved={(d) => destination.setData(() => d)} />;
      break;
    case 'archive':
      content = <ArchiveScreen view={archive.data} loading={archive.loading} error={archive.error} onReload={archive.reload} onSaved={(a) => archive.setData(() => a)} />;
      break;
    case 'status':
      content = <StatusScreen status={status} onEditSite={(id) => void openEdit(id)} onOpenArchive={() => setScreen('archive')} />;
      break;
    case 'sessions':
      content = <SessionsScreen sites={sites.data ?? []} />;
      break;
    case 'activity':
      content = <ActivityScreen />;
      break;
    default:
      content = (
        <SitesScreen
          sites={sites.data}
          loading={sites.loading}
          error={sites.error}
          statuses={status.status?.sites ?? []}
          destinationConfigured={destination.data ? destination.data.configured : null}
          paused={paused}
          onNew={() => setDialog({ mode: 'new' })}
          onEdit={(site) => setDialog({ mode: 'edit', site })}
          onOpenElastic={() => setScreen('elastic')}
          onRemoved={(id) => {
            sites.setData((list) => list?.filter((s) => s.id !== id));
            status.update((s) => ({ ...s, sites: s.sites.filter((x) => x.siteId !== id) }));
          }}
          onReload={sites.reload}
        />
      );
  }

  return (
    <div className={styles.shell}>
      <div className={styles.top}>
        <header className={styles.header}>
          <div className={styles.brand}>
            <span className={styles.brandIcon} aria-hidden="true">
              <ShieldKeyhole24Filled />
            </span>
            <Title3 as="h1" data-testid="app-title">
              PRA Integration Client
            </Title3>
          </div>
          <div className={styles.engine}>
            {paused ? (
              <Badge appearance="tint" color="warning" data-testid="engine-paused-badge">
                Paused
              </Badge>
            ) : null}
            <Tooltip content={paused ? 'Resume collecting from every site' : 'Stop collecting from every site until you resume'} relationship="description">
              <Button
                appearance="subtle"
                icon={paused ? <Play20Regular /> : <Pause20Regular />}
                onClick={() => void togglePause()}
                disabled={pausing || (!status.status && !info.data)}
                data-testid="engine-pause-toggle"
                aria-pressed={paused}
              >
                {paused ? 'Resume' : 'Pause'}
              </Button>
            </Tooltip>
            <Caption1 className={styles.version} data-testid="app-version">
              {info.data ? `Version ${info.data.version}` : ''}
            </Caption1>
          </div>
        </header>
        <nav className={styles.nav} aria-label="Main">
          <TabList selectedValue={screen} onTabSelect={(_, d) => setScreen(d.value as ScreenId)} data-testid="main-nav">
            {SCREENS.map((s) => (
              <Tab key={s.id} value={s.id} icon={s.icon} data-testid={`nav-${s.id}`}>
                {s.label}
              </Tab>
            ))}
          </TabList>
        </nav>
      </div>
      <main className={styles.main}>
        {connection === 'reconnecting' || status.error || attention.length > 0 || paused ? (
          <div className={styles.banners} role="region" aria-label="Alerts">
            {connection === 'reconnecting' ? (
              <MessageBar intent="warning" data-testid="connection-banner">
                <MessageBarBody>
                  <MessageBarTitle>Reconnecting to the engine…</MessageBarTitle>
                  Live updates resume as soon as it answers again.
                </MessageBarBody>
              </MessageBar>
            ) : null}
            {status.error ? <ErrorBar title="Can't load the engine's status" message={status.error} onRetry={status.reload} /> : null}
            {attention.map((s) => (
              <MessageBar key={s.siteId} intent="error" layout="multiline" data-testid="needs-attention-banner" data-site-id={s.siteId} data-site-name={s.name}>
                <MessageBarBody>
                  <MessageBarTitle>{s.name} needs attention</MessageBarTitle>
                  {s.needsAttention ?? s.lastError ?? 'Collection stopped for this site.'} Collection resumes after the site is edited or passes
                  its Test.
                </MessageBarBody>
                <MessageBarActions>
                  <Button onClick={() => void openEdit(s.siteId)} aria-label={`Edit site ${s.name}`} data-testid={`needs-attention-edit-${s.siteId}`}>
                    Edit site
                  </Button>
                </MessageBarActions>
              </MessageBar>
            ))}
            {paused ? (
              <MessageBar intent="warning" data-testid="paused-banner">
                <MessageBarBody>
                  <MessageBarTitle>Collection is paused</MessageBarTitle>
                  No site is polled until you resume.
                </MessageBarBody>
                <MessageBarActions>
                  <Button onClick={() => void togglePause()} disabled={pausing}>
                    Resume
                  </Button>
                </MessageBarActions>
              </MessageBar>
            ) : null}
          </div>
        ) : null}
        {content}
      </main>
      <SiteDialog target={dialog} onClose={() => setDialog(null)} onSaved={onSaved} archiveConfigured={archive.data ? archive.data.configured : null} />
      <AppToaster />
    </div>
  );
}
