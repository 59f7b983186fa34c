/**
 * The archive folder: what the appliance deletes after 90 days (session XML, recordings,
 * command-shell recordings) and the sites' backups, kept in a folder for years. Its status (counts,
 * a pause, a backfill's progress, failures with a retry, each site's backups), then its settings
 * with a live Test, Save and Turn off.
 */
import {
  Body1,
  Button,
  Checkbox,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Field,
  Input,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { Power20Regular } from '@fluentui/react-icons';
import { useState } from 'react';
import { ARCHIVE_TEST_STEPS, DEFAULT_ARCHIVE_LAYOUT, type ArchiveView } from '../../shared/archive.ts';
import { useApi } from '../api/context.tsx';
import { errorMessage, toApiError } from '../api/errors.ts';
import { ErrorBar, Loading, Page, Section } from '../components/layout.tsx';
import { useLiveTest } from '../components/live-test.ts';
import { useNotify } from '../components/notify.tsx';
import { FormButtons, NotSavedBar, TestPanel, fieldMessages, focusFirstError, onLeave, refusalByField, textBinding, useFollowView, useSettingsFormStyles } from '../components/settings-form.tsx';
import { archiveFormFrom, archiveIssues, checkArchive, layoutExample, type ArchiveErrors, type ArchiveField, type ArchiveFormValues } from './archive-form.ts';
import { ArchiveCounts, ArchiveStateBadge, BackupsTable, PausedBar, useArchiveStatus } from './archive-status.tsx';
import { ArchiveVerify } from './archive-verify.tsx';

/** What only this form has; the layout is the settings forms' (useSettingsFormStyles). */
const useStyles = makeStyles({
  checks: { display: 'flex', flexDirection: 'column', marginLeft: `calc(-1 * ${tokens.spacingHorizontalS})` },
  off: { marginRight: 'auto' },
});

const DESCRIPTION =
  'The appliance deletes session data and recordings after 90 days at most. The archive keeps each ended session\'s XML, its recordings and the sites\' backups in a folder, for as long as you keep it.';

export function ArchiveScreen({
  view,
  loading,
  error,
  onReload,
  onSaved,
}: {
  view: ArchiveView | undefined;
  loading: boolean;
  error: string | null;
  onReload: () => void;
  onSaved: (view: ArchiveView) => void;
}) {
  const status = useArchiveStatus();
  const archive = status.data;
  const backups = archive ? <BackupsTable backups={archive.backups} configured={archive.state !== 'off'} onChanged={status.reload} /> : null;
  // At work, what it is doing comes first; when off, the folder to set.
  const working = archive !== undefined && archive.state !== 'off';
  return (
    <Page title="Archive" description={DESCRIPTION} testId="archive-screen" actions={archive ? <ArchiveStateBadge status={archive} testId="archive-state" /> : undefined}>
      {status.error ? <ErrorBar title="Can't load the archive's status" message={status.error} onRetry={status.reload} /> : null}
      {archive ? <PausedBar status={archive} /> : null}
      {working ? <ArchiveCounts status={archive} onChanged={status.reload} /> : null}
      {working ? backups : null}
      {working ? <ArchiveVerify /> : null}
      {!view ? (
        error ? <ErrorBar title="Can't load the archive settings" message={error} onRetry={onReload} /> : loading ? <Loading label="Loading the archive settings…" /> : null
      ) : (
        <ArchiveForm
          view={view}
          onSaved={(saved) => {
            onSaved(saved);
            status.reload();
          }}
        />
      )}
      {working ? null : backups}
    </Page>
  );
}

function ArchiveForm({ view, onSaved }: { view: ArchiveView; onSaved: (view: ArchiveView) => void }) {
  const styles = { ...useSettingsFormStyles(), ...useStyles() };
  const api = useApi();
  const notify = useNotify();
  const [values, setValues] = useState<ArchiveFormValues>(() => archiveFormFrom(view));
  const [attempted, setAttempted] = useState(false);
  const [touched, setTouched] = useState<Set<ArchiveField>>(() => new Set());
  const [serverErrors, setServerErrors] = useState<ArchiveErrors>({});
  const [general, setGeneral] = useState<string[]>([]);
  const [saving, setSaving] = useState(false);
  const [confirmOff, setConfirmOff] = useState(false);
  const test = useLiveTest(ARCHIVE_TEST_STEPS);

  useFollowView(view, (next) => setValues(archiveFormFrom(next)));

  const checked = checkArchive(values);
  const messageFor = (field: ArchiveField): string | undefined => {
    if (serverErrors[field]) return serverErrors[field];
    const text = checked.errors[field];
    return text && (attempted || touched.has(field)) ? text : undefined;
  };
  const { message, state } = fieldMessages(messageFor, (field: ArchiveField) => `archive-${field}-message`);
  const leave = onLeave((field: ArchiveField) => setTouched((t) => (t.has(field) ? t : new Set(t).add(field))));
  const text = textBinding(values, change, leave);

  function change<K extends keyof ArchiveFormValues>(key: K, value: ArchiveFormValues[K]) {
    setValues((v) => ({ ...v, [key]: value }));
    const field: ArchiveField = key === 'dir' || key === 'layout' ? key : 'kinds';
    if (serverErrors[field]) setServerErrors(({ [field]: _dropped, ...rest }) => rest);
  }

  function showApiError(e: unknown) {
    const { errors, general: rest } = refusalByField(toApiError(e), archiveIssues);
    setServerErrors(errors);
    setGeneral(rest);
  }

  function firstError(): boolean {
    return focusFirstError(['dir', 'layout', 'kinds'] as const, checked.errors, (f) => `archive-${f}`) !== undefined;
  }

  async function runTest() {
    setAttempted(true);
    setGeneral([]);
    if (firstError() || !checked.ok) return;
    const outcome = await test.run((testId) => api.invoke('archive.test', { testId, draft: checked.settings }));
    if (outcome instanceof Error) showApiError(outcome);
  }

  async function save() {
    setAttempted(true);
    setGeneral([]);
    if (firstError() || !checked.ok) return;
    setSaving(true);
    try {
      const saved = await api.invoke('archive.set', { settings: checked.settings });
      onSaved(saved);
      notify('success', 'Archive saved', view.configured ? undefined : 'Ended sessions and their recordings are archived from the next pass.');
    } catch (e) {
      showApiError(e);
    } finally {
      setSaving(false);
    }
  }

  async function turnOff() {
    setConfirmOff(false);
    setSaving(true);
    try {
      const saved = await api.invoke('archive.set', { settings: { dir: null } });
      onSaved(saved);
      test.reset();
      notify('info', 'Archive turned off', 'Nothing in the folder was touched.');
    } catch (e) {
      notify('error', 'Could not turn the archive off', errorMessage(e));
    } finally {
      setSaving(false);
    }
  }

  const busy = saving || test.state.phase === 'running';
  return (
    <div className={styles.layout}>
      <form
        noValidate
        className={styles.form}
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
        aria-label="Archive settings"
      >
        <NotSavedBar messages={general} testId="archive-error" />
        <Section title="Archive folder" description="Several sites share it: each site's files go below its own host name.">
          <div className={styles.group}>
            <Field
              label="Folder"
              required
              validationState={state('dir')}
              validationMessage={message('dir')}
              hint={
                <span data-testid="archive-dir-hint">
                  A local folder or a network share as a UNC path, e.g. <span className={styles.code}>\\nas\pra-archive</span>. Not a mapped drive letter
                  such as Z:\ — the background service and other logon sessions don't see drives mapped by a user.
                </span>
              }
            >
              <Input
                id="archive-dir"
                data-testid="archive-dir"
                {...text('dir')}
                placeholder="\\nas\pra-archive"
                spellCheck={false}
              />
            </Field>
            <Field
              label="Layout of a session's files"
              validationState={state('layout')}
              validationMessage={message('layout')}
              hint={
                <span>
                  Default <span className={styles.code}>{DEFAULT_ARCHIVE_LAYOUT}</span>. Tokens: <span className={styles.code}>{'{host} {date} {yyyy} {mm} {dd} {lsid} {site}'}</span>.
                  Example: <span className={styles.code} data-testid="archive-layout-example">{layoutExample(values.dir, values.layout)}</span>
                </span>
              }
            >
              <Input
                id="archive-layout"
                data-testid="archive-layout"
                {...text('layout')}
                placeholder={DEFAULT_ARCHIVE_LAYOUT}
                spellCheck={false}
              />
            </Field>
          </div>
        </Section>
        <Section title="What to keep" description="For every session that has ended; sessions still in progress are archived when they end.">
          <Field validationState={state('kinds')} validationMessage={message('kinds')}>
            <div className={styles.checks} role="group" aria-label="What to keep" id="archive-kinds">
              <Checkbox
                checked={values.sessionXml}
                onChange={(_, d) => change('sessionXml', d.checked === true)}
                label="Session XML: the session and every event, as the appliance sent them"
                data-testid="archive-session-xml"
              />
              <Checkbox
                checked={values.recordings}
                onChange={(_, d) => change('recordings', d.checked === true)}
                label="Session recordings (screen)"
                data-testid="archive-recordings"
              />
              <Checkbox
                checked={values.shellRecordings}
                onChange={(_, d) => change('shellRecordings', d.checked === true)}
                label="Command-shell recordings"
                data-testid="archive-shell-recordings"
              />
            </div>
          </Field>
        </Section>
        <FormButtons prefix="archive" testing={test.state.phase === 'running'} saving={saving} onTest={() => void runTest()}>
          {view.configured ? (
            <Button className={styles.off} icon={<Power20Regular />} onClick={() => setConfirmOff(true)} disabled={busy} data-testid="archive-off-button">
              Turn off
            </Button>
          ) : null}
        </FormButtons>
      </form>
      <div className={styles.side}>
        <TestPanel
          title="Folder test"
          idleDescription="Checks the folder before you save it: that it exists or can be created, can be written, and has room."
          state={test.state}
          stepsLabel="Archive test steps"
          prefix="archive"
          passed="Save to archive into this folder."
        />
        <Section title="What goes where" headingLevel="h4">
          <Body1 className={styles.muted}>
            In each session's folder: <span className={styles.code}>session.xml</span>, <span className={styles.code}>recording.&lt;ext&gt;</span> and{' '}
            <span className={styles.code}>shell-&lt;instance&gt;.&lt;ext&gt;</span>. Site backups go to <span className={styles.code}>&lt;host&gt;/backups/</span>. A file
            is written under a temporary name and renamed once complete; it is never overwritten.
          </Body1>
        </Section>
      </div>
      <Dialog open={confirmOff} onOpenChange={(_, d) => setConfirmOff(d.open)}>
        <DialogSurface aria-describedby={undefined} data-testid="archive-off-dialog">
          <DialogBody>
            <DialogTitle>Turn the archive off?</DialogTitle>
            <DialogContent>Nothing is added to the folder from now on, and nothing already in it is touched or deleted.</DialogContent>
            <DialogActions>
              <Button onClick={() => setConfirmOff(false)}>Cancel</Button>
              <Button appearance="primary" onClick={() => void turnOff()} data-testid="archive-off-confirm">
                Turn off
              </Button>
            </DialogActions>
          </DialogBody>
        </DialogSurface>
      </Dialog>
    </div>
  );
}
