/**
 * New / Edit site: the dialog of the BeyondTrust Integration Client, with the host normalised as it
 * is typed, every message by the field it concerns, and a Test that shows its steps live.
 */
import {
  Button,
  Dialog,
  DialogActions,
  DialogBody,
  DialogContent,
  DialogSurface,
  DialogTitle,
  Divider,
  Field,
  Input,
  Subtitle2,
  Switch,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { Info16Regular } from '@fluentui/react-icons';
import { useMemo, useRef, useState } from 'react';
import type { SiteView } from '../../shared/contract.ts';
import { normalizeSiteHost } from '../../shared/host.ts';
import { SITE_TEST_STEPS } from '../../shared/site-test.ts';
import { useApi } from '../api/context.tsx';
import { toApiError } from '../api/errors.ts';
import { useLiveTest } from '../components/live-test.ts';
import { SecretInput } from '../components/secret-input.tsx';
import { NotSavedBar, SaveButton, ScrolledTestVerdict, TestButton, fieldMessages, focusFirstError, onLeave, refusalByField, textBinding } from '../components/settings-form.tsx';
import { TestSteps } from '../components/test-steps.tsx';
import { ADVANCED_FIELD_IDS, AdvancedFields } from './site-advanced-fields.tsx';
import { BACKUP_FIELD_IDS, BackupFields } from './site-backup-fields.tsx';
import {
  ADVANCED_FIELDS,
  FORM_KEY,
  checkNewSite,
  checkSitePatch,
  checkTestDraft,
  emptySiteForm,
  issuesByField,
  requiredEmpty,
  siteFormFrom,
  type SiteFormErrors,
  type SiteFormField,
  type SiteFormValues,
} from './site-form.ts';

const useStyles = makeStyles({
  surface: {
    width: '640px',
    maxWidth: 'calc(100vw - 32px)',
  },
  form: {
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalM,
    paddingTop: tokens.spacingVerticalXS,
    paddingBottom: tokens.spacingVerticalS,
  },
  row: {
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fit, minmax(200px, 1fr))',
    gap: `${tokens.spacingVerticalM} ${tokens.spacingHorizontalL}`,
    alignItems: 'start',
  },
  switch: { marginLeft: `calc(-1 * ${tokens.spacingHorizontalS})` },
  testArea: {
    display: 'flex',
    flexDirection: 'column',
    gap: tokens.spacingVerticalM,
    marginTop: tokens.spacingVerticalS,
  },
  notice: { color: tokens.colorNeutralForeground2 },
});

export type SiteDialogTarget = { mode: 'new' } | { mode: 'edit'; site: SiteView };

export function SiteDialog({
  target,
  onClose,
  onSaved,
  archiveConfigured = null,
}: {
  target: SiteDialogTarget | null;
  onClose: () => void;
  onSaved: (site: SiteView, mode: 'new' | 'edit') => void;
  /** Whether an archive folder is set (backups go there); null when unknown. */
  archiveConfigured?: boolean | null;
}) {
  const styles = useStyles();
  return (
    <Dialog open={target !== null} onOpenChange={(_, data) => (data.open ? undefined : onClose())} modalType="modal">
      <DialogSurface className={styles.surface} data-testid="site-dialog" aria-describedby={undefined}>
        {target ? (
          <SiteForm
            key={target.mode === 'edit' ? `edit-${target.site.id}` : 'new'}
            target={target}
            onClose={onClose}
            onSaved={onSaved}
            archiveConfigured={archiveConfigured}
          />
        ) : null}
      </DialogSurface>
    </Dialog>
  );
}

const FIELD_IDS: Record<SiteFormField, string> = {
  name: 'site-name',
  host: 'site-host',
  clientId: 'site-client-id',
  clientSecret: 'site-client-secret',
  enabled: 'site-enabled',
  ...ADVANCED_FIELD_IDS,
  ...BACKUP_FIELD_IDS,
};

const FIELD_ORDER: SiteFormField[] = ['name', 'host', 'clientId', 'clientSecret', 'backupSchedule', 'keepBackups', 'backupPassword', ...ADVANCED_FIELDS];

function SiteForm({
  target,
  onClose,
  onSaved,
  archiveConfigured,
}: {
  target: SiteDialogTarget;
  onClose: () => void;
  onSaved: (site: SiteView, mode: 'new' | 'edit') => void;
  archiveConfigured: boolean | null;
}) {
  const styles = useStyles();
  const api = useApi();
  const editing = target.mode === 'edit' ? target.site : null;
  const [values, setValues] = useState<SiteFormValues>(() => (editing ? siteFormFrom(editing) : emptySiteForm()));
  // The secret lives only in the (uncontrolled) password input and this ref: never in React state or the DOM.
  const secretInput = useRef<HTMLInputElement | null>(null);
  const [secretTyped, setSecretTyped] = useState(false);
  // The backup password, likewise: only in its input. On Edit, empty keeps the stored one.
  const backupPasswordInput = useRef<HTMLInputElement | null>(null);
  const [clearBackupPassword, setClearBackupPassword] = useState(false);
  /** Fields the user changed and then left: their messages show from then on. */
  const [touched, setTouched] = useState<Set<SiteFormField>>(() => new Set());
  const dirty = useRef<Set<SiteFormField>>(new Set());
  const [attempt, setAttempt] = useState<'none' | 'test' | 'save'>('none');
  const [serverErrors, setServerErrors] = useState<SiteFormErrors>({});
  const [general, setGeneral] = useState<string[]>([]);
  const [saving, setSaving] = useState(false);
  const [advancedOpen, setAdvancedOpen] = useState(false);
  const test = useLiveTest(SITE_TEST_STEPS);

  const hostCheck = useMemo(() => (values.host.trim() === '' ? null : normalizeSiteHost(values.host)), [values.host]);
  const checked = useMemo(() => (editing ? checkSitePatch(values) : checkNewSite(values)), [editing, values]);
  const secretRequired = !editing || !editing.clientSecretStored;
  const secretMissing = secretRequired && !secretTyped;
  const secretMessage = editing
    ? 'No client secret is stored for this site: enter the API account\'s Client secret.'
    : 'Enter the API account\'s Client secret (shown once, when the API account was created).';

  /** The message shown by a field: the engine's (until the field changes), else the schema's once it is due. */
  function messageFor(field: SiteFormField): string | undefined {
    if (serverErrors[field]) return serverErrors[field];
    if (field === 'clientSecret') {
      return secretMissing && (attempt !== 'none' || touched.has(field)) ? secretMessage : undefined;
    }
    const message = checked.ok ? undefined : checked.errors[field];
    if (!message) return undefined;
    if (attempt === 'save' || (attempt === 'test' && field !== 'name')) return message;
    // The host is checked live as it is typed; other fields once the user leaves them.
    if (field === 'host' && !requiredEmpty(values, field)) return message;
    return touched.has(field) ? message : undefined;
  }

  function change<K extends keyof SiteFormValues>(key: K, value: SiteFormValues[K]) {
    setValues((v) => ({ ...v, [key]: value }));
    const field = (Object.keys(FORM_KEY) as (keyof typeof FORM_KEY)[]).find((f) => FORM_KEY[f] === key);
    if (field) dirty.current.add(field);
    if (field && serverErrors[field]) setServerErrors(({ [field]: _dropped, ...rest }) => rest);
  }

  const leave = onLeave(touch);
  const text = textBinding(values, change, leave);

  function touch(field: SiteFormField) {
    if (!dirty.current.has(field)) return;
    setTouched((t) => (t.has(field) ? t : new Set(t).add(field)));
  }

  function focusFirst(errors: SiteFormErrors) {
    const first = focusFirstError(FIELD_ORDER, errors, (f) => FIELD_IDS[f]);
    if (first && ADVANCED_FIELDS.includes(first)) setAdvancedOpen(true);
  }

  function showApiError(error: { body: { message: string; issues?: { field: string | null; message: string }[] } }) {
    const { errors, general: rest } = refusalByField(error, issuesByField);
    setServerErrors(errors);
    setGeneral(rest);
    if (ADVANCED_FIELDS.some((f) => errors[f])) setAdvancedOpen(true);
    focusFirst(errors);
  }

  const secretValue = () => secretInput.current?.value.trim() ?? '';
  /** A password may begin or end with a space: it is sent exactly as typed (only an all-blank field counts as empty). */
  const backupPasswordValue = () => {
    const value = backupPasswordInput.current?.value ?? '';
    return clearBackupPassword || value.trim() === '' ? '' : value;
  };

  async function runTest() {
    setAttempt((a) => (a === 'save' ? a : 'test'));
    setGeneral([]);
    const draft = checkTestDraft(values);
    const errors: SiteFormErrors = draft.ok ? {} : { ...draft.errors };
    if (!editing && !secretTyped) errors.clientSecret = secretMessage;
    if (!draft.ok || errors.clientSecret) {
      focusFirst(errors);
      return;
    }
    const secret = secretValue();
    const backupPassword = backupPasswordValue();
    const outcome = await test.run((testId) =>
      api.invoke('sites.test', {
        testId,
        draft: draft.value,
        ...(editing ? { id: editing.id } : {}),
        ...(secret ? { clientSecret: secret } : {}),
        ...(backupPassword ? { backupPassword } : {}),
      }),
    );
    if (outcome instanceof Error) showApiError(outcome);
  }

  async function save() {
    setAttempt('save');
    setGeneral([]);
    if (!checked.ok || secretMissing) {
      focusFirst({ ...(checked.ok ? {} : checked.errors), ...(secretMissing ? { clientSecret: secretMessage } : {}) });
      if (!checked.ok && checked.general.length) setGeneral(checked.general);
      return;
    }
    const secret = secretValue();
    const backupPassword = backupPasswordValue();
    setSaving(true);
    try {
      // The backup password: typed = replace; empty = keep the stored one (null); "Remove" = clear it.
      const saved = editing
        ? await api.invoke('sites.edit', {
            id: editing.id,
            patch: checked.value,
            clientSecret: secret === '' ? null : secret,
            backupPassword: backupPassword === '' ? null : backupPassword,
            ...(clearBackupPassword ? { clearBackupPassword: true } : {}),
          })
        : await api.invoke('sites.add', { site: checked.value, clientSecret: secret, ...(backupPassword ? { backupPassword } : {}) });
      if (secretInput.current) secretInput.current.value = '';
      if (backupPasswordInput.current) backupPasswordInput.current.value = '';
      onSaved(saved, editing ? 'edit' : 'new');
    } catch (e) {
      showApiError(toApiError(e));
    } finally {
      setSaving(false);
    }
  }

  const advancedHasError = ADVANCED_FIELDS.some((f) => messageFor(f));
  const { message, state } = fieldMessages(messageFor, (field: SiteFormField) => `${FIELD_IDS[field]}-message`);

  const hostMessage = message('host');
  const hostNotice = !hostMessage && hostCheck?.ok && hostCheck.notice ? hostCheck.notice : null;

  const busy = saving || test.state.phase === 'running';
  const title = editing ? `Edit site “${editing.name}”` : 'New site';

  return (
    <form
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void save();
      }}
    >
      <DialogBody>
        <DialogTitle>{title}</DialogTitle>
        <DialogContent>
          <div className={styles.form}>
            <NotSavedBar messages={general} title={editing ? 'The site was not saved' : 'The site was not added'} testId="site-dialog-error" />
            <Field label="Name" required validationState={state('name')} validationMessage={message('name')} hint="How this site is shown here and in Elastic, e.g. Production.">
              <Input
                id={FIELD_IDS.name}
                data-testid={FIELD_IDS.name}
                {...text('name')}
                autoComplete="off"
              />
            </Field>
            <Field
              label="Site URL"
              required
              validationState={hostMessage ? 'error' : 'none'}
              validationMessageIcon={hostNotice ? <Info16Regular /> : undefined}
              validationMessage={hostMessage ?? (hostNotice ? <span className={styles.notice} data-testid="site-host-notice">{hostNotice}</span> : undefined)}
              hint="Without https://, e.g. access.example.com (add :port if the site uses another one)."
            >
              <Input
                id={FIELD_IDS.host}
                data-testid={FIELD_IDS.host}
                {...text('host')}
                placeholder="access.example.com"
                autoComplete="off"
                spellCheck={false}
              />
            </Field>
            <div className={styles.row}>
              <Field label="Client ID" required validationState={state('clientId')} validationMessage={message('clientId')}>
                <Input
                  id={FIELD_IDS.clientId}
                  data-testid={FIELD_IDS.clientId}
                  {...text('clientId')}
                  autoComplete="off"
                  spellCheck={false}
                />
              </Field>
              <Field
                label="Client secret"
                required={secretRequired}
                validationState={state('clientSecret')}
                validationMessage={message('clientSecret')}
                hint={editing?.clientSecretStored ? 'Type a new secret only to replace the stored one.' : undefined}
              >
                <SecretInput
                  id={FIELD_IDS.clientSecret}
                  data-testid={FIELD_IDS.clientSecret}
                  ref={secretInput}
                  placeholder={editing?.clientSecretStored ? 'Stored — leave empty to keep' : undefined}
                  onChange={(_, d) => {
                    const typed = d.value.trim() !== '';
                    dirty.current.add('clientSecret');
                    if (typed !== secretTyped) setSecretTyped(typed);
                    if (serverErrors.clientSecret) setServerErrors(({ clientSecret: _dropped, ...rest }) => rest);
                  }}
                  onBlur={leave('clientSecret')}
                  autoComplete="new-password"
                  spellCheck={false}
                />
              </Field>
            </div>
            <Switch
              className={styles.switch}
              id={FIELD_IDS.enabled}
              data-testid={FIELD_IDS.enabled}
              checked={values.enabled}
              onChange={(_, d) => change('enabled', d.checked)}
              label={values.enabled ? 'Collect sessions from this site' : 'Collection is turned off for this site'}
            />
            <BackupFields
              values={values}
              editing={editing}
              archiveConfigured={archiveConfigured}
              clear={clearBackupPassword}
              onClear={setClearBackupPassword}
              passwordRef={backupPasswordInput}
              change={change}
              leave={leave}
              message={message}
              state={state}
              onPasswordChange={() => {
                dirty.current.add('backupPassword');
                if (serverErrors.backupPassword) setServerErrors(({ backupPassword: _dropped, ...rest }) => rest);
              }}
            />
            <AdvancedFields
              values={values}
              open={advancedOpen || advancedHasError}
              onOpenChange={setAdvancedOpen}
              change={change}
              leave={leave}
              message={message}
              state={state}
            />
            {test.state.phase !== 'idle' ? (
              <div className={styles.testArea}>
                <Divider />
                <Subtitle2 as="h3">Connection test</Subtitle2>
                <TestSteps steps={test.state.steps} label="Site test steps" testId="site-test-steps" />
                <ScrolledTestVerdict
                  state={test.state}
                  testId="site-test-summary"
                  passed="Save the site to start collecting its sessions."
                  failed={failedStepText(test.state.result?.steps.find((s) => s.status === 'failed'))}
                  failedMultiline
                />
              </div>
            ) : null}
          </div>
        </DialogContent>
        <DialogActions position="start">
          <TestButton running={test.state.phase === 'running'} onClick={() => void runTest()} disabled={busy} testId="site-test-button" />
        </DialogActions>
        <DialogActions position="end">
          <Button onClick={onClose} data-testid="site-cancel-button">
            Cancel
          </Button>
          <SaveButton saving={saving} disabled={busy} testId="site-save-button" icon={false} />
        </DialogActions>
      </DialogBody>
    </form>
  );
}

/** A failed site test names the step that did not pass. */
function failedStepText(failed: { title: string } | undefined): string {
  return failed ? `“${failed.title}” did not pass: fix what it says above, then test again.` : 'See the steps above for what to fix.';
}
