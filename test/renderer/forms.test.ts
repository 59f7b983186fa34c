/** The renderer's pure parts under plain Node: form checks, issue mapping, error normalisation. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ApiError } from '../../shared/contract.ts';
import { toApiError } from '../../renderer/api/errors.ts';
import { checkDestination, destinationFormFrom, destinationIssues } from '../../renderer/screens/destination-form.ts';
import { checkNewSite, checkSitePatch, checkTestDraft, emptySiteForm, issuesByField } from '../../renderer/screens/site-form.ts';

describe('site form', () => {
  test('a new site: the shared schema normalises the host and reads durations', () => {
    const checked = checkNewSite({ ...emptySiteForm(), name: ' Production ', host: 'https://Access.Example.com/login', clientId: 'abc', pollInterval: '10m' });
    assert.ok(checked.ok);
    assert.equal(checked.value.name, 'Production');
    assert.equal(checked.value.host, 'access.example.com');
    assert.equal(checked.value.pollIntervalSeconds, 600);
    assert.equal(checked.value.initialIntervalSeconds, 86_400);
    assert.equal(checked.value.proxyUrl, null);
  });

  test('messages land by field, without the label the field already shows', () => {
    const checked = checkNewSite({ ...emptySiteForm(), host: 'http://x', pollInterval: '5' });
    assert.ok(!checked.ok);
    assert.match(checked.errors.name!, /Enter a name/);
    assert.match(checked.errors.host!, /is not supported/);
    assert.match(checked.errors.clientId!, /Client ID/);
    assert.match(checked.errors.pollIntervalSeconds!, /^“5” has no unit/);
  });

  test('a Test needs no name, but checks one that is typed', () => {
    const unnamed = checkTestDraft({ ...emptySiteForm(), host: 'access.example.com', clientId: 'abc' });
    assert.ok(unnamed.ok);
    assert.equal('name' in unnamed.value, false);
    const digits = checkTestDraft({ ...emptySiteForm(), name: '123', host: 'access.example.com', clientId: 'abc' });
    assert.ok(!digits.ok);
    assert.ok(digits.errors.name);
    assert.ok(checkSitePatch({ ...emptySiteForm(), name: 'Lab', host: 'lab.example.com', clientId: 'x' }).ok);
  });

  test("the engine's issues: request paths, the secret, and the rest", () => {
    const { errors, general } = issuesByField([
      { field: 'site.host', message: 'Taken.' },
      { field: 'patch.pollIntervalSeconds', message: 'Poll interval: too short.' },
      { field: 'draft.clientId', message: 'Bad.' },
      { field: 'clientSecret', message: 'Too long.' },
      { field: null, message: 'Enter the client secret.' },
      { field: null, message: 'The keychain is locked.' },
      { field: 'site.colour', message: 'Unknown field.' },
    ]);
    assert.deepEqual(errors, { host: 'Taken.', pollIntervalSeconds: 'Too short.', clientId: 'Bad.', clientSecret: 'Too long.' });
    assert.deepEqual(general, ['The keychain is locked.', 'Unknown field.']);
  });
});

describe('destination form', () => {
  const none = { apiKeyTyped: false, passwordTyped: false };
  const stored = { apiKey: false, password: false };

  test('settings for each choice, and only those', () => {
    const values = { ...destinationFormFrom(undefined), url: ' https://es.example.com:9200 ', kibanaUrl: '' };
    const { settings, errors } = checkDestination(values, { apiKeyTyped: true, passwordTyped: false }, stored);
    assert.deepEqual(errors, {});
    assert.deepEqual(settings, { url: 'https://es.example.com:9200', cloudId: null, auth: 'api-key', username: null, caFile: null, caFingerprint: null, namespace: 'default', kibanaUrl: null });
  });

  test('what is missing or malformed, by field', () => {
    const values = { ...destinationFormFrom(undefined), target: 'cloud' as const, auth: 'basic' as const, trust: 'fingerprint' as const, caFingerprint: 'ab:cd', namespace: 'a-b' };
    const { errors } = checkDestination(values, none, stored);
    assert.deepEqual(Object.keys(errors).sort(), ['caFingerprint', 'cloudId', 'namespace', 'password', 'username']);
    assert.ok(!checkDestination({ ...destinationFormFrom(undefined), url: 'https://u:p@es:9200' }, none, { apiKey: true, password: false }).errors.apiKey);
    assert.match(checkDestination({ ...destinationFormFrom(undefined), url: 'https://u:p@es:9200' }, none, stored).errors.url!, /user name and password/);
  });

  test("the engine's issues by field", () => {
    assert.deepEqual(destinationIssues([{ field: 'settings.url', message: 'No.' }, { field: 'apiKey', message: 'Rejected.' }, { field: null, message: 'Other.' }]), {
      errors: { url: 'No.', apiKey: 'Rejected.' },
      general: ['Other.'],
    });
  });
});

describe('errors from the transports', () => {
  test('the preload carries the body as JSON in the message (contextBridge keeps only the message)', () => {
    const body = { code: 'invalid-input' as const, message: 'Invalid.', issues: [{ field: 'site.name', message: 'Taken.' }] };
    const error = toApiError(new Error(JSON.stringify(body)));
    assert.ok(error instanceof ApiError);
    assert.deepEqual(error.body, body);
  });

  test("ipcRenderer's prefix, plain objects with a body, and anything else", () => {
    assert.deepEqual(toApiError(new Error("Error invoking remote method 'pra:sites.list': Error: The database is locked.")).body, { code: 'failed', message: 'The database is locked.' });
    assert.deepEqual(toApiError({ body: { code: 'conflict', message: 'Busy.' } }).body, { code: 'conflict', message: 'Busy.' });
    assert.equal(toApiError('nope').body.message, 'nope');
    assert.equal(toApiError(undefined).body.code, 'failed');
    const same = new ApiError({ code: 'not-found', message: 'Gone.' });
    assert.equal(toApiError(same), same);
  });
});
