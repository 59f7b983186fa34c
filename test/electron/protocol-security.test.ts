// app://bundle/ (electron/main/protocol.ts) and the shell's hardening (electron/main/security.ts),
// with Electron's objects stubbed: no way out of the bundle folder, the CSP on every answer,
// navigation / new windows / webviews refused, every permission denied.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { APP_ENTRY_URL, APP_SCHEME_PRIVILEGES, createBundleHandler, isInside, resolveBundlePath } from '../../electron/main/protocol.ts';
import { CONTENT_SECURITY_POLICY, denyAllPermissions, hardenWebContents, SECURE_WEB_PREFERENCES } from '../../electron/main/security.ts';
import { tempDir } from '../support/temp-dir.ts';

describe('app:// bundle paths', () => {
  // POSIX rules here on every OS (the next test applies the Windows ones).
  const posix = path.posix;
  const root = '/opt/app/resources/app.asar/out/renderer';

  it('maps bundle URLs to files under the root; "/" means index.html', () => {
    assert.deepEqual(resolveBundlePath(root, APP_ENTRY_URL, posix), { ok: true, file: `${root}/index.html` });
    assert.deepEqual(resolveBundlePath(root, 'app://bundle/', posix), { ok: true, file: `${root}/index.html` });
    assert.deepEqual(resolveBundlePath(root, 'app://bundle/assets/index-abc.js?v=1#x', posix), { ok: true, file: `${root}/assets/index-abc.js` });
    assert.deepEqual(resolveBundlePath(root, 'app://bundle/assets/a%20b.png', posix), { ok: true, file: `${root}/assets/a b.png` });
  });

  it('plain dot segments are resolved by the URL parser itself: they stay inside the bundle', () => {
    for (const url of ['app://bundle/../../../etc/passwd', 'app://bundle/%2e%2e/%2e%2e/etc/passwd', 'app://bundle/assets/./../../x']) {
      const r = resolveBundlePath(root, url, posix);
      assert.ok(!r.ok || isInside(root, r.file, posix), `${url} → ${JSON.stringify(r)}`);
    }
  });

  it('refuses every encoded way out of the bundle folder', () => {
    for (const url of [
      'app://bundle/assets/..%2f..%2f..%2fsettings.db',
      'app://bundle/..%2F..%2Fmain/index.js',
      'app://bundle/%2e%2e%5c%2e%2e%5cwindows%5cwin.ini',
      'app://bundle/assets%5c..%5c..%5cmain%5cindex.js',
      'app://bundle/C:/Windows/win.ini',
      'app://bundle/C%3A%5CWindows%5Cwin.ini',
      'app://bundle/index.html::$DATA',
      'app://bundle/index.html%00.png',
      'app://bundle/%E0%A4%A',
    ]) {
      const r = resolveBundlePath(root, url, posix);
      assert.equal(r.ok, false, url);
      if (!r.ok) assert.ok([400, 403].includes(r.status), `${url}: ${r.status}`);
    }
  });

  it('refuses other hosts and schemes', () => {
    for (const url of ['app://evil/index.html', 'app://bundle.evil/index.html', 'https://bundle/index.html', 'file:///etc/passwd']) {
      assert.deepEqual(resolveBundlePath(root, url, posix).ok, false, url);
    }
  });

  it('holds with Windows path rules too', () => {
    const winRoot = 'C:\\Program Files\\PRA Integration Client\\resources\\app.asar\\out\\renderer';
    assert.deepEqual(resolveBundlePath(winRoot, 'app://bundle/assets/x.js', path.win32), { ok: true, file: `${winRoot}\\assets\\x.js` });
    for (const url of ['app://bundle/..%5C..%5Cmain%5Cindex.js', 'app://bundle/..%2F..%2Fmain', 'app://bundle/C:%5Cx', 'app://bundle/C:/x']) {
      assert.equal(resolveBundlePath(winRoot, url, path.win32).ok, false, url);
    }
    // A UNC-looking path stays inside the root: it is only a file name there.
    const unc = resolveBundlePath(winRoot, 'app://bundle///server/share/x', path.win32);
    assert.ok(!unc.ok || unc.file.startsWith(winRoot), JSON.stringify(unc));
  });
});

describe('app:// handler', () => {
  const root = tempDir();
  mkdirSync(path.join(root, 'renderer', 'assets'), { recursive: true });
  writeFileSync(path.join(root, 'renderer', 'index.html'), '<!doctype html><title>x</title>');
  writeFileSync(path.join(root, 'renderer', 'assets', 'app.js'), 'console.log(1)');
  writeFileSync(path.join(root, 'secret.txt'), 'outside the bundle');
  const refused: string[] = [];
  const handler = createBundleHandler({ root: path.join(root, 'renderer'), onRefused: (url, reason) => refused.push(`${url} ${reason}`) });

  it('serves the bundle with its type, the CSP and nosniff', async () => {
    const page = await handler(new Request(APP_ENTRY_URL));
    assert.equal(page.status, 200);
    assert.equal(page.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(page.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
    assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(await page.text(), '<!doctype html><title>x</title>');
    const script = await handler(new Request('app://bundle/assets/app.js'));
    assert.equal(script.headers.get('content-type'), 'text/javascript; charset=utf-8');
    assert.equal(script.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
  });

  it('answers 404 for a missing file, 403 for a way out, 405 for other methods — all with the CSP', async () => {
    const missing = await handler(new Request('app://bundle/nope.js'));
    assert.equal(missing.status, 404);
    const out = await handler(new Request('app://bundle/..%2fsecret.txt'));
    assert.equal(out.status, 403);
    assert.ok(!(await out.text()).includes('outside the bundle'));
    const post = await handler(new Request(APP_ENTRY_URL, { method: 'POST', body: 'x' }));
    assert.equal(post.status, 405);
    for (const r of [missing, out, post]) assert.equal(r.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
    assert.equal(refused.length, 1);
  });

  it('a directory is not a file', async () => {
    assert.equal((await handler(new Request('app://bundle/assets'))).status, 404);
  });
});

describe('security settings', () => {
  it('web preferences follow the checklist', () => {
    assert.equal(SECURE_WEB_PREFERENCES.contextIsolation, true);
    assert.equal(SECURE_WEB_PREFERENCES.sandbox, true);
    assert.equal(SECURE_WEB_PREFERENCES.nodeIntegration, false);
    assert.equal(SECURE_WEB_PREFERENCES.nodeIntegrationInSubFrames, false);
    assert.equal(SECURE_WEB_PREFERENCES.webSecurity, true);
    assert.equal(SECURE_WEB_PREFERENCES.allowRunningInsecureContent, false);
    assert.equal(SECURE_WEB_PREFERENCES.webviewTag, false);
    assert.equal(SECURE_WEB_PREFERENCES.experimentalFeatures, false);
  });

  it('the scheme is standard and secure, without CSP bypass or service workers', () => {
    assert.equal(APP_SCHEME_PRIVILEGES.standard, true);
    assert.equal(APP_SCHEME_PRIVILEGES.secure, true);
    assert.equal(APP_SCHEME_PRIVILEGES.bypassCSP, false);
    assert.equal(APP_SCHEME_PRIVILEGES.allowServiceWorkers, false);
  });

  it('the CSP allows scripts from the bundle only', () => {
    const directives = new Map(CONTENT_SECURITY_POLICY.split(';').map((d) => d.trim().split(/\s+/)).map(([name, ...values]) => [name!, values]));
    assert.deepEqual(directives.get('script-src'), ["'self'"]);
    assert.deepEqual(directives.get('default-src'), ["'self'"]);
    assert.deepEqual(directives.get('object-src'), ["'none'"]);
    assert.deepEqual(directives.get('frame-ancestors'), ["'none'"]);
    assert.ok(!CONTENT_SECURITY_POLICY.includes('unsafe-eval'));
    assert.ok(!/https?:|\*/.test(CONTENT_SECURITY_POLICY), 'no remote origin anywhere');
  });

  it('navigation, redirects, new windows and webviews are refused; in-page navigation is not', () => {
    const handlers = new Map<string, (...args: never[]) => void>();
    let openHandler: ((details: { url: string }) => { action: 'deny' }) | null = null;
    const refused: string[] = [];
    hardenWebContents(
      {
        on: (event, listener) => handlers.set(event, listener),
        setWindowOpenHandler: (handler) => {
          openHandler = handler;
        },
      },
      (what, url) => refused.push(`${what} ${url}`),
    );
    const fire = (name: string, event: object, url?: string) => {
      let prevented = false;
      const e = { ...event, preventDefault: () => (prevented = true) };
      (handlers.get(name) as unknown as (e: object, url?: string) => void)(e, url);
      return prevented;
    };
    assert.equal(fire('will-navigate', { url: 'https://evil.example/' }, 'https://evil.example/'), true);
    assert.equal(fire('will-frame-navigate', { url: 'file:///etc/passwd', isSameDocument: false }), true);
    assert.equal(fire('will-redirect', { url: 'https://evil.example/' }, 'https://evil.example/'), true);
    assert.equal(fire('will-attach-webview', {}), true);
    assert.equal(fire('will-frame-navigate', { url: 'app://bundle/index.html#/status', isSameDocument: true }), false);
    assert.deepEqual(openHandler!({ url: 'https://evil.example/' }), { action: 'deny' });
    assert.equal(refused.length, 5);
  });

  it('every permission request and check is denied', () => {
    let request: ((wc: unknown, permission: string, callback: (granted: boolean) => void, details: unknown) => void) | null = null;
    let check: ((wc: unknown, permission: string, origin: string, details: unknown) => boolean) | null = null;
    let device: ((details: unknown) => boolean) | null = null;
    denyAllPermissions({
      setPermissionRequestHandler: (h) => {
        request = h;
      },
      setPermissionCheckHandler: (h) => {
        check = h;
      },
      setDevicePermissionHandler: (h) => {
        device = h;
      },
    });
    for (const permission of ['media', 'geolocation', 'notifications', 'clipboard-read', 'clipboard-sanitized-write', 'openExternal', 'hid', 'fullscreen']) {
      let granted: boolean | null = null;
      request!({}, permission, (g) => (granted = g), {});
      assert.equal(granted, false, permission);
      assert.equal(check!({}, permission, 'app://bundle', {}), false, permission);
    }
    assert.equal(device!({}), false);
  });
});
