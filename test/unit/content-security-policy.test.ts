import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CONTENT_SECURITY_POLICY, HEADER_ONLY_CSP_DIRECTIVES, metaPolicy } from '../../shared/content-security-policy.ts';
import { UI_CSP } from '../../electron/engine/api/http-server.ts';
import { securityHeaders } from '../../electron/main/protocol.ts';

const INDEX_HTML = fileURLToPath(new URL('../../renderer/index.html', import.meta.url));
const directives = (policy: string) => policy.split(';').map((d) => d.trim().split(/\s+/)[0]!).filter(Boolean);

describe('the UI Content-Security-Policy', () => {
  it('the <meta> copy in index.html is the header policy without the header-only directives (browsers ignore those in a <meta> and log an error)', () => {
    const html = readFileSync(INDEX_HTML, 'utf8');
    const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"/i.exec(html);
    assert.ok(meta, 'index.html keeps a CSP <meta> as a second line of defence');
    assert.equal(meta[1], metaPolicy(CONTENT_SECURITY_POLICY));
    for (const name of HEADER_ONLY_CSP_DIRECTIVES) assert.ok(!directives(meta[1]!).includes(name), `${name} in the <meta>`);
  });

  it('both servers send the full policy, frame-ancestors included, as a header', () => {
    assert.ok(directives(CONTENT_SECURITY_POLICY).includes('frame-ancestors'));
    assert.equal(UI_CSP, CONTENT_SECURITY_POLICY, 'pra-ic ui');
    assert.equal(securityHeaders('text/html')['Content-Security-Policy'], CONTENT_SECURITY_POLICY, 'the app:// scheme');
  });
});
