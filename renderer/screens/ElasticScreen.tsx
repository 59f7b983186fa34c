/** Where the sessions go: the Elasticsearch cluster, how to sign in and trust it, the namespace; Test and Save. */
import {
  Badge,
  Body1,
  Button,
  Field,
  Input,
  MessageBar,
  MessageBarActions,
  MessageBarBody,
  MessageBarTitle,
  Radio,
  RadioGroup,
  makeStyles,
  tokens,
} from '@fluentui/react-components';
import { CheckmarkCircle20Filled } from '@fluentui/react-icons';
import { useRef, useState } from 'react';
import type { ApiError } from '../../shared/contract.ts';
import { DESTINATION_TEST_STEPS, type DestinationView } from '../../shared/destination.ts';
import type { TestStep } from '../../shared/site-test.ts';
import { useApi } from '../api/context.tsx';
import { errorMessage, toApiError } from '../api/errors.ts';
import { ErrorBar, Loading, Page, Section } from '../components/layout.tsx';
import { useLiveTest } from '../components/live-test.ts';
import { useNotify } from '../components/notify.tsx';
import { SecretInput } from '../components/secret-input.tsx';
import {
  FIX_THE_FAILED_STEP,
  FormButtons,
  NotSavedBar,
  TestPanel,
  fieldMessages,
  focusFirstError,
  onLeave,
  refusalByField,
  textBinding,
  useFollowView,
  useSettingsFormStyles,
} from '../components/settings-form.tsx';
import {
  checkDestination,
  destinationFormFrom,
  destinationIssues,
  type DestinationErrors,
  type DestinationField,
  type DestinationFormValues,
} from './destination-form.ts';

/** What only this form has; the layout is the settings forms' (useSettingsFormStyles). */
const useStyles = makeStyles({
  adminKey: { marginTop: tokens.spacingVerticalS, maxWidth: '420px' },
  row: {
    display: 'grid',
    gridTemplateColumns: 'repeat(auto-fit, minmax(220px, 1fr))',
    gap: tokens.spacingHorizontalL,
  },
  radios: { marginLeft: `calc(-1 * ${tokens.spacingHorizontalS})` },
});

export function ElasticScreen({
  destination,
  loading,
  error,
  onReload,
  onSaved,
}: {
  destination: DestinationView | undefined;
  loading: boolean;
  error: string | null;
  onReload: () => void;
  onSaved: (view: DestinationView) => void;
}) {
  const description = 'Where the access sessions go: an Elasticsearch cluster with Elastic\'s BeyondTrust PRA integration.';
  if (!destination) {
    return (
      <Page title="Elastic" description={description} testId="elastic-screen">
        {error ? <ErrorBar title="Can't load the Elastic settings" message={error} onRetry={onReload} /> : loading ? <Loading label="Loading the Elastic settings…" /> : null}
      </Page>
    );
  }
  return <DestinationForm view={destination} description={description} onSaved={onSaved} />;
}

function DestinationForm({ view, description, onSaved }: { view: DestinationView; description: string; onSaved: (view: DestinationView) => void }) {
  const styles = { ...useSettingsFormStyles(), ...useStyles() };
  const api = useApi();
  const notify = useNotify();
  const [values, setValues] = useState<DestinationFormValues>(() => destinationFormFrom(view));
  const apiKeyInput = useRef<HTMLInputElement | null>(null);
  const passwordInput = useRef<HTMLInputElement | null>(null);
  const [typed, setTyped] = useState({ apiKeyTyped: false, passwordTyped: false });
  const [attempted, setAttempted] = useState(false);
  const [touched, setTouched] = useState<Set<DestinationField>>(() => new Set());
  const dirty = useRef<Set<string>>(new Set());
  const [serverErrors, setServerErrors] = useState<DestinationErrors>({});
  const [general, setGeneral] = useState<string[]>([]);
  const [saving, setSaving] = useState(false);
  const adminKeyInput = useRef<HTMLInputElement>(null);
  const [install, setInstall] = useState<{ busy: boolean; result: { ok: boolean; detail: string } | null }>({ busy: false, result: null });
  const test = useLiveTest(DESTINATION_TEST_STEPS);

  useFollowView(view, (next) => setValues(destinationFormFrom(next)));

  const stored = { apiKey: view.apiKeyStored, password: view.passwordStored };
  const checked = checkDestination(values, typed, stored);

  function messageFor(field: DestinationField): string | undefined {
    if (serverErrors[field]) return serverErrors[field];
    const text = checked.errors[field];
    return text && (attempted || touched.has(field)) ? text : undefined;
  }
  const { message, state } = fieldMessages(messageFor, (field: DestinationField) => `elastic-${field}-message`);
  const leave = onLeave((field: DestinationField) => touch(field));
  const text = textBinding(values, change, leave);

  /** A field's message shows once the user changed it and left it (or tried to test or save). */
  const touch = (field: DestinationField) => {
    if (dirty.current.has(field)) setTouched((t) => (t.has(field) ? t : new Set(t).add(field)));
  };

  function change<K extends keyof DestinationFormValues>(key: K, value: DestinationFormValues[K]) {
    setValues((v) => ({ ...v, [key]: value }));
    dirty.current.add(key);
    if (serverErrors[key as DestinationField]) setServerErrors(({ [key as DestinationField]: _dropped, ...rest }) => rest);
  }

  function showApiError(error: ApiError) {
    const { errors, general: rest } = refusalByField(error, destinationIssues);
    setServerErrors(errors);
    setGeneral(rest);
  }

  const secret = (input: HTMLInputElement | null) => input?.value.trim() ?? '';

  function firstError(): boolean {
    const order: DestinationField[] = ['url', 'cloudId', 'username', 'apiKey', 'password', 'caFile', 'caFingerprint', 'namespace', 'kibanaUrl'];
    return focusFirstError(order, checked.errors, (f) => `elastic-${f}`) !== undefined;
  }

  async function runTest() {
    setAttempted(true);
    setGeneral([]);
    setInstall({ busy: false, result: null });
    if (firstError()) return;
    const apiKey = values.auth === 'api-key' ? secret(apiKeyInput.current) : '';
    const password = values.auth === 'basic' ? secret(passwordInput.current) : '';
    const outcome = await test.run((testId) =>
      api.invoke('destination.test', {
        testId,
        draft: checked.settings,
        ...(apiKey ? { apiKey } : {}),
        ...(password ? { password } : {}),
      }),
    );
    if (outcome instanceof Error) showApiError(outcome);
  }

  async function save() {
    setAttempted(true);
    setGeneral([]);
    if (firstError()) return;
    const apiKey = values.auth === 'api-key' ? secret(apiKeyInput.current) : '';
    const password = values.auth === 'basic' ? secret(passwordInput.current) : '';
    setSaving(true);
    try {
      // The engine reads a secret left out as "keep the stored one" and `null` as "clear it": an
      // empty field of the chosen sign-in keeps its stored secret; the other method's is cleared.
      const saved = await api.invoke('destination.set', {
        settings: checked.settings,
        apiKey: apiKey || (values.auth === 'api-key' ? undefined : null),
        password: password || (values.auth === 'basic' ? undefined : null),
      });
      for (const input of [apiKeyInput.current, passwordInput.current]) if (input) input.value = '';
      setTyped({ apiKeyTyped: false, passwordTyped: false });
      setAttempted(false);
      setTouched(new Set());
      dirty.current.clear();
      onSaved(saved);
      notify('success', 'Elastic destination saved', `Sessions go to ${saved.dataStream}.`);
    } catch (e) {
      showApiError(toApiError(e));
    } finally {
      setSaving(false);
    }
  }

  async function installAssets() {
    setInstall({ busy: true, result: null });
    try {
      // Installing needs Kibana's Integrations privilege, which a shipping key should not have: an
      // admin key may be given for this one call (read from the field, sent once, never stored).
      const adminKey = adminKeyInput.current?.value.trim() ?? '';
      const result = await api.invoke('destination.installAssets', adminKey ? { apiKey: adminKey } : {});
      if (adminKeyInput.current) adminKeyInput.current.value = '';
      setInstall({ busy: false, result });
    } catch (e) {
      setInstall({ busy: false, result: { ok: false, detail: errorMessage(e) } });
    }
  }

  const dataStream = `logs-beyondtrust_pra.access_session-${values.namespace.trim() || 'default'}`;
  const assetsStep = test.state.steps.find((s) => s.id === 'assets' && s.status === 'failed' && (s as TestStep).fix === 'install-assets');

  return (
    <Page
      title="Elastic"
      description={description}
      testId="elastic-screen"
      actions={
        view.configured ? (
          <Badge appearance="tint" color="success" icon={<CheckmarkCircle20Filled />} data-testid="elastic-configured">
            Set up
          </Badge>
        ) : (
          <Badge appearance="outline" color="warning" data-testid="elastic-configured">
            Not set up yet
          </Badge>
        )
      }
    >
      <div className={styles.layout}>
        <form
          noValidate
          className={styles.form}
          onSubmit={(e) => {
            e.preventDefault();
            void save();
          }}
        >
          <NotSavedBar messages={general} testId="elastic-error" />
          <Section title="Cluster" description="The Elasticsearch cluster that receives the sessions.">
            <div className={styles.group}>
              <RadioGroup
                className={styles.radios}
                layout="horizontal"
                value={values.target}
                onChange={(_, d) => change('target', d.value as DestinationFormValues['target'])}
                aria-label="Connect with"
                data-testid="elastic-target"
              >
                <Radio value="url" label="URL" data-testid="elastic-target-url" />
                <Radio value="cloud" label="Cloud ID (Elastic Cloud)" data-testid="elastic-target-cloud" />
              </RadioGroup>
              {values.target === 'url' ? (
                <Field label="Elasticsearch URL" required validationState={state('url')} validationMessage={message('url')} hint="Including the port, e.g. https://elastic.example.com:9200.">
                  <Input
                    id="elastic-url"
                    data-testid="elastic-url"
                    {...text('url')}
                    placeholder="https://elastic.example.com:9200"
                    spellCheck={false}
                  />
                </Field>
              ) : (
                <Field label="Cloud ID" required validationState={state('cloudId')} validationMessage={message('cloudId')} hint="From the deployment's page in Elastic Cloud.">
                  <Input
                    id="elastic-cloudId"
                    data-testid="elastic-cloud-id"
                    {...text('cloudId')}
                    spellCheck={false}
                  />
                </Field>
              )}
            </div>
          </Section>
          <Section title="Sign-in" description="An API key that may write the BeyondTrust PRA data stream is best.">
            <div className={styles.group}>
              <RadioGroup
                className={styles.radios}
                layout="horizontal"
                value={values.auth}
                onChange={(_, d) => change('auth', d.value as DestinationFormValues['auth'])}
                aria-label="Sign in with"
                data-testid="elastic-auth"
              >
                <Radio value="api-key" label="API key" data-testid="elastic-auth-api-key" />
                <Radio value="basic" label="User name and password" data-testid="elastic-auth-basic" />
                <Radio value="none" label="None" data-testid="elastic-auth-none" />
              </RadioGroup>
              {values.auth === 'api-key' ? (
                <Field
                  label="API key"
                  required={!view.apiKeyStored}
                  validationState={state('apiKey')}
                  validationMessage={message('apiKey')}
                  hint={view.apiKeyStored ? 'Type a new key only to replace the stored one.' : 'The encoded key, as Kibana shows it once when the key is created.'}
                >
                  <SecretInput
                    id="elastic-apiKey"
                    data-testid="elastic-api-key"
                    ref={apiKeyInput}
                    placeholder={view.apiKeyStored ? 'Stored — leave empty to keep' : undefined}
                    onChange={(_, d) => {
                      const now = d.value.trim() !== '';
                      dirty.current.add('apiKey');
                      if (now !== typed.apiKeyTyped) setTyped((t) => ({ ...t, apiKeyTyped: now }));
                      if (serverErrors.apiKey) setServerErrors(({ apiKey: _dropped, ...rest }) => rest);
                    }}
                    onBlur={leave('apiKey')}
                    autoComplete="new-password"
                    spellCheck={false}
                  />
                </Field>
              ) : null}
              {values.auth === 'basic' ? (
                <div className={styles.row}>
                  <Field label="User name" required validationState={state('username')} validationMessage={message('username')}>
                    <Input
                      id="elastic-username"
                      data-testid="elastic-username"
                      {...text('username')}
                      autoComplete="off"
                      spellCheck={false}
                    />
                  </Field>
                  <Field label="Password" required={!view.passwordStored} validationState={state('password')} validationMessage={message('password')}>
                    <SecretInput
                      id="elastic-password"
                      data-testid="elastic-password"
                      ref={passwordInput}
                      placeholder={view.passwordStored ? 'Stored — leave empty to keep' : undefined}
                      onChange={(_, d) => {
                        const now = d.value.trim() !== '';
                        dirty.current.add('password');
                        if (now !== typed.passwordTyped) setTyped((t) => ({ ...t, passwordTyped: now }));
                        if (serverErrors.password) setServerErrors(({ password: _dropped, ...rest }) => rest);
                      }}
                      onBlur={leave('password')}
                      autoComplete="new-password"
                    />
                  </Field>
                </div>
              ) : null}
              {values.auth === 'none' ? (
                <Body1 className={styles.muted}>Only for a cluster without security: every request is sent without credentials.</Body1>
              ) : null}
            </div>
          </Section>
          <Section title="Certificate trust" description="How this computer trusts the cluster's TLS certificate.">
            <div className={styles.group}>
              <RadioGroup
                className={styles.radios}
                value={values.trust}
                onChange={(_, d) => change('trust', d.value as DestinationFormValues['trust'])}
                aria-label="Trust the certificate by"
                data-testid="elastic-trust"
              >
                <Radio value="system" label="The certificates Windows trusts" data-testid="elastic-trust-system" />
                <Radio value="file" label="A CA certificate file (PEM)" data-testid="elastic-trust-file" />
                <Radio value="fingerprint" label="The CA's fingerprint (as Elasticsearch prints it at setup)" data-testid="elastic-trust-fingerprint" />
              </RadioGroup>
              {values.trust === 'file' ? (
                <Field label="CA certificate file" required validationState={state('caFile')} validationMessage={message('caFile')}>
                  <Input
                    id="elastic-caFile"
                    data-testid="elastic-ca-file"
                    {...text('caFile')}
                    placeholder="C:\ProgramData\Elastic\http_ca.crt"
                    spellCheck={false}
                  />
                </Field>
              ) : null}
              {values.trust === 'fingerprint' ? (
                <Field label="CA fingerprint (SHA-256)" required validationState={state('caFingerprint')} validationMessage={message('caFingerprint')}>
                  <Input
                    id="elastic-caFingerprint"
                    data-testid="elastic-ca-fingerprint"
                    {...text('caFingerprint')}
                    spellCheck={false}
                  />
                </Field>
              ) : null}
            </div>
          </Section>
          <Section title="Data stream and Kibana">
            <div className={styles.row}>
              <Field
                label="Namespace"
                required
                validationState={state('namespace')}
                validationMessage={message('namespace')}
                hint={<span className={styles.code} data-testid="elastic-data-stream">{dataStream}</span>}
              >
                <Input
                  id="elastic-namespace"
                  data-testid="elastic-namespace"
                  {...text('namespace')}
                  spellCheck={false}
                />
              </Field>
              <Field
                label="Kibana URL (optional)"
                validationState={state('kibanaUrl')}
                validationMessage={message('kibanaUrl')}
                hint="To install the integration's assets through Fleet."
              >
                <Input
                  id="elastic-kibanaUrl"
                  data-testid="elastic-kibana-url"
                  {...text('kibanaUrl')}
                  placeholder="https://kibana.example.com:5601"
                  spellCheck={false}
                />
              </Field>
            </div>
          </Section>
          <FormButtons prefix="elastic" testing={test.state.phase === 'running'} saving={saving} onTest={() => void runTest()} />
        </form>
        <div className={styles.side}>
          <TestPanel
            title="Connection test"
            idleDescription="Checks these settings before you save them."
            state={test.state}
            stepsLabel="Elastic test steps"
            prefix="elastic"
            passed="Save to send the sessions to this cluster."
            failed={assetsStep ? null : FIX_THE_FAILED_STEP}
          >
            {assetsStep && test.state.phase === 'done' && !install.result?.ok ? (
              <MessageBar intent="warning" layout="multiline" data-testid="elastic-assets-fix">
                <MessageBarBody>
                  <MessageBarTitle>The BeyondTrust PRA integration isn't installed</MessageBarTitle>
                  The client can install its assets through Kibana{view.configured ? '' : ' once the settings are saved'}, or you can follow the steps
                  above by hand.
                  <Field
                    className={styles.adminKey}
                    label="Kibana admin API key (optional)"
                    hint="Installing needs Kibana's Integrations privilege. This key is used for this install only and never stored; leave it empty to use the destination's credentials."
                  >
                    <SecretInput id="elastic-admin-api-key" data-testid="elastic-admin-api-key" ref={adminKeyInput} autoComplete="new-password" spellCheck={false} />
                  </Field>
                </MessageBarBody>
                <MessageBarActions>
                  <Button onClick={() => void installAssets()} disabled={install.busy || !view.configured} data-testid="elastic-install-assets">
                    {install.busy ? 'Installing…' : "Install the integration's assets"}
                  </Button>
                </MessageBarActions>
              </MessageBar>
            ) : null}
            {install.result ? (
              <MessageBar intent={install.result.ok ? 'success' : 'error'} layout="multiline" data-testid="elastic-install-result" data-result={install.result.ok ? 'ok' : 'failed'}>
                <MessageBarBody>
                  <MessageBarTitle>{install.result.ok ? 'Assets installed' : 'The assets were not installed'}</MessageBarTitle>
                  {install.result.detail}
                </MessageBarBody>
              </MessageBar>
            ) : null}
          </TestPanel>
          <Section title="Where the sessions go" headingLevel="h4">
            <Body1 className={styles.muted}>
              Each access session event becomes a document in the data stream <span className={styles.code}>{view.configured ? view.dataStream : dataStream}</span>,
              where Elastic's BeyondTrust PRA integration parses it and its dashboards show it.
            </Body1>
          </Section>
        </div>
      </div>
    </Page>
  );
}
