/**
 * The UI's Content-Security-Policy, one definition for both ways the renderer is served: the
 * Electron app:// scheme (electron/main/protocol.ts) and `pra-ic ui` (engine/api/http-server.ts)
 * send it as a response header. index.html repeats it in a <meta> as a second line of defence, but
 * a <meta> policy may not carry the directives that only work as a header (browsers ignore them
 * there and log a console error), so the meta holds `metaPolicy()` of it (a test checks both).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // Fluent UI inserts its styles at run time, hence 'unsafe-inline' for styles only.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
  "form-action 'none'",
].join('; ');

/** Directives a <meta http-equiv="Content-Security-Policy"> may not hold (CSP Level 3, §"delivery via meta"). */
export const HEADER_ONLY_CSP_DIRECTIVES: readonly string[] = ['frame-ancestors', 'report-uri', 'report-to', 'sandbox'];

/** `policy` without the header-only directives: what a <meta> tag may carry. */
export function metaPolicy(policy: string = CONTENT_SECURITY_POLICY): string {
  return policy
    .split(';')
    .map((d) => d.trim())
    .filter((d) => d !== '' && !HEADER_ONLY_CSP_DIRECTIVES.includes(d.split(/\s+/)[0]!.toLowerCase()))
    .join('; ');
}
