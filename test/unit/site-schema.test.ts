import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_INITIAL_INTERVAL,
  DEFAULT_POLL_INTERVAL,
  DEFAULT_TIMEOUT,
  MIN_POLL_INTERVAL_APP,
  formatSiteIssues,
  siteInputSchema,
  siteIssues,
  sitePatchSchema,
  type SiteInputRaw,
} from '../../shared/site-schema.ts';

const base: SiteInputRaw = { name: 'Production', host: 'access.example.com', clientId: 'abc123' };
const schema = siteInputSchema();

/** The messages of a failed parse (asserting that it failed). */
function errors(input: unknown, s: { safeParse(v: unknown): { success: boolean; error?: unknown } } = schema): string[] {
  const result = s.safeParse(input);
  assert.equal(result.success, false, `expected ${JSON.stringify(input)} to be refused`);
  return siteIssues(result.error as never).map((i) => i.message);
}

function one(input: unknown, s?: Parameters<typeof errors>[1]): string {
  const list = errors(input, s);
  assert.equal(list.length, 1, list.join('\n'));
  return list[0]!;
}

describe('siteInputSchema', () => {
  it('fills in the defaults', () => {
    assert.deepEqual(schema.parse(base), {
      name: 'Production',
      host: 'access.example.com',
      clientId: 'abc123',
      enabled: true,
      initialIntervalSeconds: DEFAULT_INITIAL_INTERVAL,
      pollIntervalSeconds: DEFAULT_POLL_INTERVAL,
      timeoutSeconds: DEFAULT_TIMEOUT,
      caFile: null,
      proxyUrl: null,
      backupSchedule: 'off',
      keepBackups: 30,
    });
    assert.equal(DEFAULT_INITIAL_INTERVAL, 86_400);
    assert.equal(DEFAULT_POLL_INTERVAL, 300);
    assert.equal(DEFAULT_TIMEOUT, 30);
    assert.equal(MIN_POLL_INTERVAL_APP, 30);
  });

  it('trims and normalises', () => {
    const out = schema.parse({
      name: '  Production  ',
      host: 'https://Access.Example.com/login',
      clientId: ' abc123\n',
      enabled: false,
      initialIntervalSeconds: '7d',
      pollIntervalSeconds: '1m30s',
      timeoutSeconds: 60,
      caFile: ' /etc/pra/ca.pem ',
      proxyUrl: 'http://Proxy.Example.com:3128/',
    });
    assert.equal(out.name, 'Production');
    assert.equal(out.host, 'access.example.com');
    assert.equal(out.clientId, 'abc123');
    assert.equal(out.enabled, false);
    assert.equal(out.initialIntervalSeconds, 604_800);
    assert.equal(out.pollIntervalSeconds, 90);
    assert.equal(out.timeoutSeconds, 60);
    assert.equal(out.caFile, '/etc/pra/ca.pem');
    assert.equal(out.proxyUrl, 'http://proxy.example.com:3128');
  });

  it('empty caFile / proxyUrl mean none', () => {
    const out = schema.parse({ ...base, caFile: '  ', proxyUrl: '' });
    assert.equal(out.caFile, null);
    assert.equal(out.proxyUrl, null);
    assert.equal(schema.parse({ ...base, caFile: null, proxyUrl: null }).proxyUrl, null);
  });

  it('name: required, at most 100 characters, not only digits', () => {
    assert.match(one({ ...base, name: '   ' }), /Enter a name for the site, e\.g\. Production/);
    assert.match(one({ ...base, name: undefined }), /Enter a name/);
    assert.equal(schema.parse({ ...base, name: 'x'.repeat(100) }).name.length, 100);
    assert.match(one({ ...base, name: 'x'.repeat(101) }), /at most 100 characters/);
    assert.match(one({ ...base, name: '42' }), /only digits/);
    assert.match(one({ ...base, name: 'a\nb' }), /control characters/);
  });

  it('host: through normalizeSiteHost, with its message', () => {
    assert.match(one({ ...base, host: 'http://access.example.com' }), /only served over HTTPS.*access\.example\.com/);
    assert.match(one({ ...base, host: '' }), /access\.example\.com/);
    assert.match(one({ ...base, host: 'access.example.com:0' }), /out of range/);
    assert.match(one({ ...base, host: undefined }), /host name, e\.g\. access\.example\.com/);
  });

  it('clientId: non-empty, no whitespace', () => {
    assert.match(one({ ...base, clientId: '' }), /Client ID/);
    assert.match(one({ ...base, clientId: ' \t' }), /Client ID/);
    assert.match(one({ ...base, clientId: 'abc 123' }), /Client ID must not contain spaces/);
    assert.match(one({ ...base, clientId: 42 }), /Client ID/);
  });

  it('enabled must be a boolean', () => {
    assert.match(one({ ...base, enabled: 'yes' }), /Enabled must be true or false/);
  });

  it('initial interval: 60s to 90 days', () => {
    assert.equal(schema.parse({ ...base, initialIntervalSeconds: 60 }).initialIntervalSeconds, 60);
    assert.equal(schema.parse({ ...base, initialIntervalSeconds: '90d' }).initialIntervalSeconds, 7_776_000);
    assert.match(one({ ...base, initialIntervalSeconds: 59 }), /Initial interval must be at least 1m \(from 1m to 90d\)/);
    assert.match(one({ ...base, initialIntervalSeconds: '91d' }), /Initial interval must be at most 90d/);
    assert.match(one({ ...base, initialIntervalSeconds: 'soon' }), /Initial interval: .*Use a number followed by s, m, h or d, e\.g\. 24h/);
    assert.match(one({ ...base, initialIntervalSeconds: 1.5 }), /whole number of seconds/);
    assert.match(one({ ...base, initialIntervalSeconds: true }), /Initial interval must be a duration such as 24h/);
  });

  it('poll interval: at least 30s in the app; lower only through the factory', () => {
    assert.equal(schema.parse({ ...base, pollIntervalSeconds: 30 }).pollIntervalSeconds, 30);
    assert.match(one({ ...base, pollIntervalSeconds: 29 }), /Poll interval must be at least 30s/);
    assert.match(one({ ...base, pollIntervalSeconds: '2d' }), /Poll interval must be at most 1d/);
    const fast = siteInputSchema({ minPollSeconds: 1 });
    assert.equal(fast.parse({ ...base, pollIntervalSeconds: 1 }).pollIntervalSeconds, 1);
    assert.match(one({ ...base, pollIntervalSeconds: 0 }, fast), /at least 1s/);
    assert.throws(() => siteInputSchema({ minPollSeconds: 0 }), RangeError);
  });

  it('timeout: 1s to 600s', () => {
    assert.equal(schema.parse({ ...base, timeoutSeconds: '10m' }).timeoutSeconds, 600);
    assert.match(one({ ...base, timeoutSeconds: 0 }), /Timeout must be at least 1s/);
    assert.match(one({ ...base, timeoutSeconds: 601 }), /Timeout must be at most 10m/);
  });

  it('backups: off, daily or weekly; keep 1 to 1000 (default 30)', () => {
    assert.equal(schema.parse({ ...base, backupSchedule: 'weekly' }).backupSchedule, 'weekly');
    assert.match(one({ ...base, backupSchedule: 'hourly' }), /Backups must be off, daily or weekly/);
    assert.equal(schema.parse({ ...base, keepBackups: 1000 }).keepBackups, 1000);
    assert.match(one({ ...base, keepBackups: 0 }), /at least 1 \(default 30\)/);
    assert.match(one({ ...base, keepBackups: 1001 }), /at most 1000/);
    assert.match(one({ ...base, keepBackups: 2.5 }), /whole number/);
  });

  it('proxyUrl: http(s) only, no credentials (never repeated), no path', () => {
    assert.equal(schema.parse({ ...base, proxyUrl: 'https://proxy.example.com' }).proxyUrl, 'https://proxy.example.com');
    const creds = one({ ...base, proxyUrl: 'http://bob:s3cret@proxy.example.com:3128' });
    assert.match(creds, /Remove the user name and password from the proxy URL/);
    assert.match(creds, /http:\/\/proxy\.example\.com:3128/);
    assert.doesNotMatch(creds, /s3cret|bob/);
    assert.match(one({ ...base, proxyUrl: 'socks5://proxy.example.com:1080' }), /must start with http:\/\/ or https:\/\//);
    assert.match(one({ ...base, proxyUrl: 'proxy.example.com:3128' }), /must start with http:\/\/ or https:\/\//);
    assert.match(one({ ...base, proxyUrl: 'not a url' }), /not a valid URL/);
    assert.match(one({ ...base, proxyUrl: 'http://proxy.example.com:3128/path' }), /without a path/);
    const bad = one({ ...base, proxyUrl: 'http://bob:se cret@proxy' });
    assert.doesNotMatch(bad, /se cret/);
  });

  it('caFile: a path or none', () => {
    assert.match(one({ ...base, caFile: 42 }), /CA certificate file/);
    assert.match(one({ ...base, caFile: 'a\nb' }), /control characters/);
  });

  it('several problems are all reported, each naming its field', () => {
    const result = schema.safeParse({ name: '', host: 'http://x', clientId: '', pollIntervalSeconds: 1 });
    assert.equal(result.success, false);
    const issues = siteIssues(result.error!);
    assert.deepEqual(issues.map((i) => i.field).sort(), ['clientId', 'host', 'name', 'pollIntervalSeconds']);
    const text = formatSiteIssues(result.error!);
    assert.equal(text.split('\n').length, 4);
  });

  it('not an object', () => {
    assert.match(one('Production'), /must be an object/);
    assert.match(one(null), /must be an object/);
  });

  it('secrets are not part of a site', () => {
    const out = schema.parse({ ...base, clientSecret: 'hunter2' } as SiteInputRaw);
    assert.equal('clientSecret' in out, false);
  });
});

describe('sitePatchSchema', () => {
  const patch = sitePatchSchema();

  it('empty patch: no change, no defaults', () => {
    assert.deepEqual(patch.parse({}), {});
  });

  it('only the given fields, validated the same way', () => {
    assert.deepEqual(patch.parse({ host: 'https://access.example.com:8443/', pollIntervalSeconds: '10m' }), {
      host: 'access.example.com:8443',
      pollIntervalSeconds: 600,
    });
    assert.match(one({ pollIntervalSeconds: 10 }, patch), /Poll interval must be at least 30s/);
    assert.match(one({ name: '' }, patch), /Enter a name/);
  });

  it('null clears caFile and proxyUrl', () => {
    assert.deepEqual(patch.parse({ caFile: null, proxyUrl: '' }), { caFile: null, proxyUrl: null });
  });

  it('ignores the read-only fields of a whole Site', () => {
    assert.deepEqual(patch.parse({ id: 3, createdAt: 'x', enabled: false }), { enabled: false });
  });

  it('honours minPollSeconds', () => {
    assert.deepEqual(sitePatchSchema({ minPollSeconds: 1 }).parse({ pollIntervalSeconds: 2 }), { pollIntervalSeconds: 2 });
  });
});
