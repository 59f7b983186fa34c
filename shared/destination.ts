/** The Elasticsearch destination as the CLI and the UI see it. Secrets are never part of it. */

export type ElasticAuth = 'api-key' | 'basic' | 'none';

export interface DestinationSettings {
  /** `http(s)://host:port`, or null when `cloudId` is used. */
  url: string | null;
  /** Elastic Cloud ID (`name:base64`), or null when `url` is used. */
  cloudId: string | null;
  auth: ElasticAuth;
  /** For basic auth. */
  username: string | null;
  /** A PEM file with the CA to trust, in addition to the system's. */
  caFile: string | null;
  /** SHA-256 fingerprint of the cluster's CA certificate (as Elasticsearch prints it at setup). */
  caFingerprint: string | null;
  /** Data stream namespace: documents go to `logs-beyondtrust_pra.access_session-<namespace>`. */
  namespace: string;
  /** Kibana URL, to install the integration's assets through Fleet. */
  kibanaUrl: string | null;
}

export interface DestinationView extends DestinationSettings {
  configured: boolean;
  apiKeyStored: boolean;
  passwordStored: boolean;
  dataStream: string;
}

export const DESTINATION_TEST_STEPS = [
  { id: 'reach', title: 'Reach the cluster' },
  { id: 'auth', title: 'Sign-in' },
  { id: 'privileges', title: 'Permission to write the data stream' },
  { id: 'assets', title: 'BeyondTrust PRA integration installed' },
] as const;

export type DestinationTestStepId = (typeof DESTINATION_TEST_STEPS)[number]['id'];
