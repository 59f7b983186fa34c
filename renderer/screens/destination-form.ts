/**
 * The Elastic destination form: text as typed, checked here the way the engine will check it, and
 * turned into the settings `destination.set` / `destination.test` take. Secrets are not part of it.
 */
import type { DestinationSettings, DestinationView, ElasticAuth } from '../../shared/destination.ts';

export interface DestinationFormValues {
  target: 'url' | 'cloud';
  url: string;
  cloudId: string;
  auth: ElasticAuth;
  username: string;
  trust: 'system' | 'file' | 'fingerprint';
  caFile: string;
  caFingerprint: string;
  namespace: string;
  kibanaUrl: string;
}

export type DestinationField = 'url' | 'cloudId' | 'auth' | 'username' | 'apiKey' | 'password' | 'caFile' | 'caFingerprint' | 'namespace' | 'kibanaUrl';
export type DestinationErrors = Partial<Record<DestinationField, string>>;

const FIELDS = new Set<string>(['url', 'cloudId', 'auth', 'username', 'apiKey', 'password', 'caFile', 'caFingerprint', 'namespace', 'kibanaUrl']);

export function destinationFormFrom(view: DestinationView | undefined): DestinationFormValues {
  return {
    target: view?.cloudId ? 'cloud' : 'url',
    url: view?.url ?? '',
    cloudId: view?.cloudId ?? '',
    auth: view?.auth ?? 'api-key',
    username: view?.username ?? '',
    trust: view?.caFingerprint ? 'fingerprint' : view?.caFile ? 'file' : 'system',
    caFile: view?.caFile ?? '',
    caFingerprint: view?.caFingerprint ?? '',
    namespace: view?.namespace ?? 'default',
    kibanaUrl: view?.kibanaUrl ?? '',
  };
}

function httpUrl(text: string, what: string, example: string): string | null {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `${what} must be a full URL, e.g. ${example}.`;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `${what} must start with https:// (or http://), e.g. ${example}.`;
  if (url.username || url.password) return `Remove the user name and password from the ${what.toLowerCase()}: enter them under Sign-in.`;
  return null;
}

/** Data stream namespaces: lowercase, no "-" (it separates the parts of the data stream's name), at most 100 bytes. */
function namespaceError(text: string): string | null {
  if (text === '') return 'Enter a namespace, e.g. default or production.';
  if (text !== text.toLowerCase()) return 'The namespace must be lowercase.';
  if (text.includes('-')) return 'The namespace can\'t contain “-”: use “_” instead, e.g. site_a.';
  if (/[\\/*?"<>|,#:\s]/.test(text)) return 'The namespace can\'t contain spaces or any of \\ / * ? " < > | , # :';
  if (new TextEncoder().encode(text).length > 100) return 'The namespace is too long (at most 100 bytes).';
  return null;
}

const FINGERPRINT = /^([0-9a-f]{2}:?){31}[0-9a-f]{2}$/i;

export interface DestinationSecrets {
  apiKeyTyped: boolean;
  passwordTyped: boolean;
}

/** Checks the form; `secrets` says which secret inputs have text, `stored` what the engine keeps. */
export function checkDestination(
  values: DestinationFormValues,
  secrets: DestinationSecrets,
  stored: { apiKey: boolean; password: boolean },
): { settings: DestinationSettings; errors: DestinationErrors } {
  const errors: DestinationErrors = {};
  const url = values.url.trim();
  const cloudId = values.cloudId.trim();
  if (values.target === 'url') {
    if (url === '') errors.url = 'Enter the Elasticsearch URL, e.g. https://elastic.example.com:9200.';
    else {
      const problem = httpUrl(url, 'The Elasticsearch URL', 'https://elastic.example.com:9200');
      if (problem) errors.url = problem;
    }
  } else if (cloudId === '') {
    errors.cloudId = 'Paste the Cloud ID from the deployment\'s page in Elastic Cloud.';
  } else if (!/^[^:\s]*:[A-Za-z0-9+/=_-]+$/.test(cloudId)) {
    errors.cloudId = 'That is not a Cloud ID: it looks like name:base64text. Copy it again from the deployment\'s page in Elastic Cloud.';
  }
  if (values.auth === 'api-key' && !secrets.apiKeyTyped && !stored.apiKey) {
    errors.apiKey = 'Enter an API key (its encoded form, as Kibana shows it once when the key is created).';
  }
  if (values.auth === 'basic') {
    if (values.username.trim() === '') errors.username = 'Enter the user name.';
    if (!secrets.passwordTyped && !stored.password) errors.password = 'Enter the password.';
  }
  if (values.trust === 'file' && values.caFile.trim() === '') errors.caFile = 'Enter the path of the CA certificate (PEM file), or choose another trust option.';
  if (values.trust === 'fingerprint') {
    const fp = values.caFingerprint.trim();
    if (fp === '') errors.caFingerprint = 'Enter the CA fingerprint, or choose another trust option.';
    else if (!FINGERPRINT.test(fp)) errors.caFingerprint = 'A CA fingerprint is 64 hexadecimal digits (SHA-256), with or without “:” between pairs.';
  }
  const namespace = values.namespace.trim();
  const nsError = namespaceError(namespace);
  if (nsError) errors.namespace = nsError;
  const kibana = values.kibanaUrl.trim();
  if (kibana !== '') {
    const problem = httpUrl(kibana, 'The Kibana URL', 'https://kibana.example.com:5601');
    if (problem) errors.kibanaUrl = problem;
  }
  return {
    errors,
    settings: {
      url: values.target === 'url' ? url || null : null,
      cloudId: values.target === 'cloud' ? cloudId || null : null,
      auth: values.auth,
      username: values.auth === 'basic' ? values.username.trim() || null : null,
      caFile: values.trust === 'file' ? values.caFile.trim() || null : null,
      caFingerprint: values.trust === 'fingerprint' ? values.caFingerprint.trim() || null : null,
      namespace,
      kibanaUrl: kibana || null,
    },
  };
}

/** The engine's issues (`settings.url`, `apiKey`, …) by field; the rest as general messages. */
export function destinationIssues(issues: { field: string | null; message: string }[]): { errors: DestinationErrors; general: string[] } {
  const errors: DestinationErrors = {};
  const general: string[] = [];
  for (const issue of issues) {
    const field = issue.field?.split('.').find((p) => FIELDS.has(p)) as DestinationField | undefined;
    if (field) errors[field] ??= issue.message;
    else general.push(issue.message);
  }
  return { errors, general };
}
