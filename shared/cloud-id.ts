/**
 * An Elastic Cloud ID: `<deployment name>:<base64 of "host$es-uuid$kibana-uuid">`, e.g.
 * `prod:dXMtZWFzdC0xLmF3cy5mb3VuZC5pbyRhYmMxMjMkZGVmNDU2` ("us-east-1.aws.found.io$abc123$def456").
 * The @elastic/elasticsearch client splits it on ':' (exactly two parts), decodes the second and
 * connects to https://<es-uuid>.<host>; it only checks that the first two `$` parts are non-empty,
 * so garbage (":abc", base64 of "onlyhost" or "es.example.com$") reached it. This decodes and
 * checks it the way it will be used, and says what a Cloud ID looks like. Pure: runs in the renderer too.
 */

export const CLOUD_ID_SHAPE = 'deployment-name:base64-text, as the deployment page of the Elastic Cloud console shows it (it decodes to host$elasticsearch-id$kibana-id)';

export interface CloudId {
  name: string;
  /** The cloud's host, with an optional :port. */
  host: string;
  esId: string;
  kibanaId: string | null;
  /** Where the client connects: https://<esId>.<host>. */
  elasticsearchUrl: string;
}

// Base64, standard or URL-safe alphabet, padded or not (the console shows standard, padded).
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

function decodeBase64(text: string): string | null {
  if (!BASE64.test(text) || text.replace(/=+$/, '').length % 4 === 1) return null;
  const standard = text.replace(/-/g, '+').replace(/_/g, '/');
  try {
    // atob exists in Node and browsers; it rejects what is not base64.
    const binary = atob(standard.padEnd(Math.ceil(standard.length / 4) * 4, '='));
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(binary, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

function validHost(host: string): boolean {
  const m = /^([^:]+)(?::(\d{1,5}))?$/.exec(host);
  if (!m) return false;
  if (m[2] !== undefined && (Number(m[2]) < 1 || Number(m[2]) > 65_535)) return false;
  const labels = m[1]!.split('.');
  return labels.length >= 2 && labels.every((l) => LABEL.test(l));
}

/** The decoded Cloud ID, or the reason it is not one (which never quotes more than its name). */
export function parseCloudId(value: string): { ok: true; cloudId: CloudId } | { ok: false; error: string } {
  const fail = (why: string) => ({ ok: false as const, error: `The Cloud ID${why.startsWith("'") ? '' : ' '}${why}. A Cloud ID looks like ${CLOUD_ID_SHAPE}.` });
  const text = value.trim();
  const parts = text.split(':');
  if (parts.length !== 2) return fail(parts.length < 2 ? 'has no ":" between the deployment name and the encoded part' : 'has more than one ":"');
  const [name, encoded] = parts as [string, string];
  if (name.trim() === '') return fail('has no deployment name before the ":"');
  if (encoded === '') return fail('has nothing after the ":"');
  const decoded = decodeBase64(encoded);
  if (decoded === null) return fail('\'s part after the ":" is not base64 text');
  const fields = decoded.split('$');
  const [host = '', esId = '', kibanaId] = fields;
  if (fields.length < 2 || host === '' || esId === '') return fail('\'s part after the ":" does not decode to host$elasticsearch-id$kibana-id');
  if (fields.length > 3) return fail('\'s part after the ":" decodes to more than three "$"-separated parts');
  if (!validHost(host)) return fail('decodes to a host that is not a host name');
  if (!LABEL.test(esId) || (kibanaId !== undefined && kibanaId !== '' && !LABEL.test(kibanaId))) return fail('decodes to deployment ids that are not plain letters and digits');
  return { ok: true, cloudId: { name, host, esId, kibanaId: kibanaId || null, elasticsearchUrl: `https://${esId}.${host}` } };
}
