import type { Client } from '@elastic/elasticsearch';
import { DESTINATION_TEST_STEPS, type DestinationSettings, type DestinationTestStepId } from '../../../shared/destination.ts';
import type { TestResult, TestStep } from '../../../shared/site-test.ts';
import { DATASET, dataStreamName } from './document.ts';
import { createElasticClient, describeElasticError } from './elastic-connection.ts';
import { StepFailure, stepRunner } from '../step-runner.ts';

/** The integration's index template; its ingest pipeline is `logs-beyondtrust_pra.access_session-<package version>`. */
export const INTEGRATION_TEMPLATE = `logs-${DATASET}`;
export const INTEGRATION_PIPELINE_PATTERN = `logs-${DATASET}-*`;
/** What a shipping credential needs on the data stream (what Fleet grants its own outputs). */
export const REQUIRED_INDEX_PRIVILEGES = ['auto_configure', 'create_doc'];

export const INSTALL_ASSETS_HOWTO =
  'Install them in Kibana: Management → Integrations → BeyondTrust PRA → Settings → Install BeyondTrust PRA assets. ' +
  'Or give the Kibana URL here and use “Install the integration’s assets”.';

/**
 * The destination Test, step by step like the site Test: reach the cluster (product header,
 * version), authenticate, privileges to create documents in the data stream, and whether the
 * integration's index template and ingest pipeline are installed.
 */
export async function testDestination(
  settings: DestinationSettings,
  secrets: { apiKey: string | null; password: string | null },
  onStep?: (step: TestStep<DestinationTestStepId>) => void,
): Promise<TestResult<DestinationTestStepId>> {
  let client: Client | null = null;
  let username = '';
  const dataStream = dataStreamName(settings.namespace);
  const steps = stepRunner(DESTINATION_TEST_STEPS, (error) => (error instanceof StepFailure ? error.message : describeElasticError(error)), onStep);
  const run = steps.run;

  await run('reach', async () => {
    // The root endpoint needs the `monitor` privilege on some clusters; a 401/403 there still proves
    // the cluster is reachable and is Elasticsearch (the client checked its product header).
    client = await createElasticClient(settings, secrets, { requestTimeoutMs: 15_000 });
    try {
      const info = await client.info();
      return `Elasticsearch ${info.version.number} (cluster “${info.cluster_name}”).`;
    } catch (error) {
      const status = (error as { meta?: { statusCode?: number } }).meta?.statusCode;
      if (status === 401 || status === 403) return 'Elasticsearch answers (its version is not visible to this credential).';
      throw error;
    }
  });

  await run('auth', async () => {
    if (settings.auth === 'none') return 'No credentials configured: the cluster must accept anonymous writes.';
    const me = await client!.security.authenticate();
    username = me.username;
    const how = me.api_key ? `API key “${me.api_key.name ?? me.api_key.id}”` : `user ${me.username}`;
    return `Signed in as ${how}.`;
  });

  await run('privileges', async () => {
    if (settings.auth === 'none') return 'Not checked (no credentials).';
    const answer = await client!.security.hasPrivileges({ index: [{ names: [dataStream], privileges: REQUIRED_INDEX_PRIVILEGES }] });
    const granted = answer.index[dataStream] ?? {};
    const missing = REQUIRED_INDEX_PRIVILEGES.filter((p) => granted[p] !== true);
    if (missing.length === 0) return `${username || 'The credential'} may create documents in ${dataStream}.`;
    throw new StepFailure(
      `The credential lacks the index privilege(s) ${missing.join(', ')} on ${dataStream}. Grant ${REQUIRED_INDEX_PRIVILEGES.join(' and ')} on logs-beyondtrust_pra.access_session-* to its role or API key.`,
    );
  });

  await run('assets', async () => {
    // A shipping credential (create_doc) may not be allowed to read templates or pipelines: a 403
    // means "cannot tell", which is reported as such rather than as missing assets.
    const statusOf = (error: unknown) => (error as { meta?: { statusCode?: number } }).meta?.statusCode;
    let template: boolean | null;
    try {
      template = await client!.indices.existsIndexTemplate({ name: INTEGRATION_TEMPLATE });
    } catch (error) {
      if (statusOf(error) !== 403) throw error;
      template = null;
    }
    let pipelines: string[] | null;
    try {
      pipelines = Object.keys(await client!.ingest.getPipeline({ id: INTEGRATION_PIPELINE_PATTERN }));
    } catch (error) {
      if (statusOf(error) === 404) pipelines = [];
      else if (statusOf(error) === 403) pipelines = null;
      else throw error;
    }
    const missing = [template === false ? `index template ${INTEGRATION_TEMPLATE}` : null, pipelines?.length === 0 ? `ingest pipeline ${INTEGRATION_PIPELINE_PATTERN}` : null].filter(Boolean);
    if (missing.length) {
      throw new StepFailure(`The BeyondTrust PRA integration's assets are missing (${missing.join(', ')}): documents would not be parsed for the dashboard. ${INSTALL_ASSETS_HOWTO}`, 'install-assets');
    }
    if (template === null && pipelines === null) {
      return 'Not verifiable with this credential (it may not read index templates or ingest pipelines). Make sure the BeyondTrust PRA integration is installed in Kibana.';
    }
    if (pipelines === null) return `Index template ${INTEGRATION_TEMPLATE} installed (its ingest pipeline is not visible to this credential).`;
    return `Index template and ingest pipeline installed (${pipelines.sort().at(-1)}).`;
  });

  await (client as Client | null)?.close();
  return steps.result();
}
