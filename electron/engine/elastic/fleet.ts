import got from 'got';
import type { DestinationSettings } from '../../../shared/destination.ts';
import { USER_AGENT } from '../version.ts';

/**
 * Installs Elastic's BeyondTrust PRA integration assets (index template, ingest pipeline,
 * dashboard) through Kibana's Fleet API: `POST /api/fleet/epm/packages/beyondtrust_pra`, with the
 * `kbn-xsrf` header Kibana requires, signed in with the destination's own credentials.
 */
export async function installIntegrationAssets(
  settings: DestinationSettings,
  secrets: { apiKey: string | null; password: string | null },
): Promise<{ ok: boolean; detail: string }> {
  if (!settings.kibanaUrl) {
    return { ok: false, detail: 'Give the Kibana URL in the destination settings, or install the assets in Kibana: Management → Integrations → BeyondTrust PRA → Settings → Install BeyondTrust PRA assets.' };
  }
  const headers: Record<string, string> = { 'kbn-xsrf': 'true', 'user-agent': USER_AGENT, 'content-type': 'application/json' };
  if (settings.auth === 'api-key' && secrets.apiKey) headers.authorization = `ApiKey ${secrets.apiKey}`;
  if (settings.auth === 'basic' && secrets.password) headers.authorization = `Basic ${Buffer.from(`${settings.username ?? ''}:${secrets.password}`).toString('base64')}`;
  try {
    const response = await got.post(`${settings.kibanaUrl}/api/fleet/epm/packages/beyondtrust_pra`, {
      headers,
      body: JSON.stringify({ force: false }),
      throwHttpErrors: false,
      timeout: { request: 120_000 },
      retry: { limit: 0 },
      responseType: 'text',
    });
    if (response.statusCode === 200) return { ok: true, detail: 'The BeyondTrust PRA integration is installed: index template, ingest pipeline and dashboard.' };
    let reason = '';
    try {
      reason = (JSON.parse(response.body) as { message?: string }).message ?? '';
    } catch {
      reason = response.body.slice(0, 200);
    }
    if (response.statusCode === 401) return { ok: false, detail: `Kibana rejected the credentials (HTTP 401). ${reason}` };
    if (response.statusCode === 403) return { ok: false, detail: `Kibana refused: installing integrations needs the Fleet/Integrations “all” privilege (HTTP 403). ${reason}` };
    return { ok: false, detail: `Kibana answered HTTP ${response.statusCode}: ${reason}` };
  } catch (error) {
    return { ok: false, detail: `Kibana cannot be reached at ${settings.kibanaUrl}: ${(error as Error).message}` };
  }
}
