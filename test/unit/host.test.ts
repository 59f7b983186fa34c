import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeSiteHost } from '../../shared/host.ts';

function accepted(input: string) {
  const result = normalizeSiteHost(input);
  assert.ok(result.ok, `expected ${JSON.stringify(input)} to be accepted, got: ${result.ok ? '' : result.error}`);
  return result;
}

function refused(input: string) {
  const result = normalizeSiteHost(input);
  assert.ok(!result.ok, `expected ${JSON.stringify(input)} to be refused, got host ${result.ok ? result.host : ''}`);
  // Every refusal shows what to type.
  assert.match(result.error, /e\.g\./, `no example in: ${result.error}`);
  assert.match(result.error, /access\.example\.com/, `no host example in: ${result.error}`);
  return result.error;
}

describe('normalizeSiteHost: accepted as typed', () => {
  const cases: [string, string][] = [
    ['access.example.com', 'access.example.com'],
    ['access.example.com:8443', 'access.example.com:8443'],
    ['10.0.0.5', '10.0.0.5'],
    ['10.0.0.5:8443', '10.0.0.5:8443'],
    ['[2001:db8::1]', '[2001:db8::1]'],
    ['[2001:db8::1]:8443', '[2001:db8::1]:8443'],
    ['[::1]', '[::1]'],
    ['localhost', 'localhost'],
    ['pra-01.corp.example.com:1', 'pra-01.corp.example.com:1'],
    ['a.example.com:65535', 'a.example.com:65535'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
  ];
  for (const [input, host] of cases) {
    it(input, () => {
      const result = accepted(input);
      assert.equal(result.host, host);
      assert.equal(result.notice, null);
    });
  }

  it('lowercases the host name without a notice', () => {
    assert.deepEqual(normalizeSiteHost('Access.Example.COM:8443'), { ok: true, host: 'access.example.com:8443', notice: null });
    assert.deepEqual(normalizeSiteHost('[2001:DB8::1]'), { ok: true, host: '[2001:db8::1]', notice: null });
  });

  it('trims surrounding whitespace', () => {
    assert.deepEqual(normalizeSiteHost('  access.example.com \n'), { ok: true, host: 'access.example.com', notice: null });
    assert.deepEqual(normalizeSiteHost('\t10.0.0.5:8443 '), { ok: true, host: '10.0.0.5:8443', notice: null });
  });

  it('accepts a label of 63 characters and a name of 253', () => {
    const label = 'a'.repeat(63);
    assert.equal(accepted(`${label}.example.com`).host, `${label}.example.com`);
    const long = `${'a'.repeat(61)}.${'b'.repeat(61)}.${'c'.repeat(61)}.${'d'.repeat(61)}.abcde`;
    assert.equal(long.length, 253);
    assert.equal(accepted(long).host, long);
  });
});

describe('normalizeSiteHost: pasted URLs are reduced to the host, with a notice', () => {
  it('https:// and a path', () => {
    assert.deepEqual(normalizeSiteHost('https://access.example.com/login'), {
      ok: true,
      host: 'access.example.com',
      notice: 'Removed “https://” and “/login”: the site is access.example.com',
    });
  });

  it('https:// and a trailing slash', () => {
    const result = accepted('https://access.example.com/');
    assert.equal(result.host, 'access.example.com');
    assert.equal(result.notice, 'Removed “https://” and the trailing “/”: the site is access.example.com');
  });

  it('https:// alone', () => {
    const result = accepted('https://access.example.com');
    assert.equal(result.host, 'access.example.com');
    assert.equal(result.notice, 'Removed “https://”: the site is access.example.com');
  });

  it('path, query and fragment', () => {
    const result = accepted('https://Access.Example.com/login/index.ns?redirect=1#top');
    assert.equal(result.host, 'access.example.com');
    assert.match(result.notice!, /“https:\/\/”/);
    assert.match(result.notice!, /“\/login\/index\.ns\?redirect=1#top”/);
    assert.match(result.notice!, /the site is access\.example\.com$/);
  });

  it('a query or fragment without a path', () => {
    assert.equal(accepted('https://access.example.com?x=1').host, 'access.example.com');
    assert.equal(accepted('https://access.example.com#x').host, 'access.example.com');
  });

  it('the default port :443 is removed, another port kept', () => {
    const withDefault = accepted('https://access.example.com:443/login');
    assert.equal(withDefault.host, 'access.example.com');
    assert.equal(withDefault.notice, 'Removed “https://”, the default port “:443” and “/login”: the site is access.example.com');
    assert.equal(accepted('access.example.com:443').notice, 'Removed the default port “:443”: the site is access.example.com');
    const other = accepted('https://access.example.com:8443/login');
    assert.equal(other.host, 'access.example.com:8443');
    assert.equal(other.notice, 'Removed “https://” and “/login”: the site is access.example.com:8443');
  });

  it('an upper-case scheme', () => {
    assert.equal(accepted('HTTPS://ACCESS.EXAMPLE.COM').host, 'access.example.com');
  });

  it('IP literals in URLs', () => {
    assert.equal(accepted('https://10.0.0.5:8443/login').host, '10.0.0.5:8443');
    assert.equal(accepted('https://[2001:db8::1]:8443/login').host, '[2001:db8::1]:8443');
    assert.equal(accepted('https://[2001:db8::1]:443/').host, '[2001:db8::1]');
  });

  it('a path without a scheme', () => {
    const result = accepted('access.example.com/login');
    assert.equal(result.host, 'access.example.com');
    assert.equal(result.notice, 'Removed “/login”: the site is access.example.com');
  });

  it('the trailing dot of a fully qualified name', () => {
    const result = accepted('access.example.com.');
    assert.equal(result.host, 'access.example.com');
    assert.match(result.notice!, /trailing “\.”/);
  });

  it('IPv6 written out in full is compressed', () => {
    const result = accepted('[2001:0DB8:0:0:0:0:0:1]:8443');
    assert.equal(result.host, '[2001:db8::1]:8443');
    assert.match(result.notice!, /\[2001:db8::1\]/);
  });

  it('an international name becomes its xn-- form', () => {
    const result = accepted('bücher.example');
    assert.equal(result.host, 'xn--bcher-kva.example');
    assert.notEqual(result.notice, null);
  });

  it('a very long path is shortened in the notice', () => {
    const result = accepted(`https://access.example.com/${'x'.repeat(500)}`);
    assert.ok(result.notice!.length < 200);
  });
});

describe('normalizeSiteHost: refused with what to type', () => {
  it('http:// — the API is HTTPS only', () => {
    const error = refused('http://access.example.com');
    assert.match(error, /“http:\/\/”/);
    assert.match(error, /only served over HTTPS/);
  });

  it('ftp:// and other schemes', () => {
    for (const input of ['ftp://access.example.com', 'wss://access.example.com/', 'HTTP://access.example.com']) {
      const error = refused(input);
      assert.match(error, /only served over HTTPS/);
    }
    assert.match(refused('ftp://access.example.com'), /“ftp:\/\/”/);
  });

  it('credentials in the URL, without repeating them', () => {
    for (const input of [
      'https://admin:hunter2@access.example.com',
      'admin:hunter2@access.example.com',
      'https://admin@access.example.com/login',
      'https://admin:hun/ter2@access.example.com',
    ]) {
      const error = refused(input);
      assert.match(error, /user name and password/);
      assert.doesNotMatch(error, /hunter2|hun\/ter2|admin/);
    }
  });

  it('spaces inside', () => {
    for (const input of ['access example.com', 'access.example.com :8443', 'https://access.example.com/my login']) {
      assert.match(refused(input), /spaces/);
    }
  });

  it('empty', () => {
    for (const input of ['', '   ', '\n']) assert.match(refused(input), /empty/);
    assert.match(refused('https://'), /no host name/);
    assert.match(refused('https:///login'), /no host name/);
  });

  it('invalid ports', () => {
    assert.match(refused('access.example.com:0'), /port 0 is out of range.*1 to 65535/);
    assert.match(refused('access.example.com:65536'), /port 65536 is out of range/);
    assert.match(refused('access.example.com:99999999999'), /out of range/);
    assert.match(refused('access.example.com:https'), /not a number/);
    assert.match(refused('access.example.com:-1'), /not a number/);
    assert.match(refused('access.example.com:'), /port after “:” is missing/);
    assert.match(refused('[2001:db8::1]:0'), /out of range.*\[2001:db8::1\]:8443/);
    assert.match(refused('10.0.0.5:70000'), /out of range/);
  });

  it('unbracketed IPv6', () => {
    for (const input of ['2001:db8::1', '::1', '2001:db8::1:8443', 'fe80::1%eth0']) {
      const error = refused(input);
      assert.match(error, /square brackets/);
      assert.match(error, /\[2001:db8::1\]/);
    }
  });

  it('invalid IPv6 in brackets', () => {
    assert.match(refused('[2001:db8::1'), /closing “\]”/);
    assert.match(refused('[1:2:3:4:5:6:7:8:9]'), /not a valid IPv6/);
    assert.match(refused('[2001:db8:::1]'), /not a valid IPv6/);
    assert.match(refused('[1::2::3]'), /not a valid IPv6/);
    assert.match(refused('[12345::1]'), /not a valid IPv6/);
    assert.match(refused('[access.example.com]'), /not a valid IPv6/);
    assert.match(refused('[]'), /not a valid IPv6/);
    assert.match(refused('[fe80::1%eth0]'), /zone/);
    assert.match(refused('[::1]8443'), /Only “:port”/);
  });

  it('invalid host-name labels', () => {
    assert.match(refused('access_point.example.com'), /underscore/);
    assert.match(refused('-access.example.com'), /“-access” starts or ends with “-”/);
    assert.match(refused('access-.example.com'), /“access-” starts or ends with “-”/);
    assert.match(refused(`${'a'.repeat(64)}.example.com`), /too long \(64 characters.*at most 63/);
    const tooLong = `${'a'.repeat(62)}.${'b'.repeat(62)}.${'c'.repeat(62)}.${'d'.repeat(62)}.com`;
    assert.ok(tooLong.length > 253);
    assert.match(refused(tooLong), /too long \(\d+ characters; at most 253\)/);
    assert.match(refused('access..example.com'), /empty part/);
    assert.match(refused('.example.com'), /empty part/);
    assert.match(refused('*.example.com'), /“\*”/);
    assert.match(refused('access!.example.com'), /“!”/);
    assert.match(refused('example.123'), /last part/);
  });

  it('invalid bare IPv4', () => {
    for (const input of ['999.1.1.1', '256.0.0.1', '1.2.3', '1.2.3.4.5', '010.0.0.5', '10.0.0.256:8443']) {
      const error = refused(input);
      assert.match(error, /not a valid IPv4 address/);
      assert.match(error, /10\.0\.0\.5/);
    }
  });

  it('a backslash or stray bracket', () => {
    refused('access.example.com\\login');
    refused('access.example.com]');
  });
});
