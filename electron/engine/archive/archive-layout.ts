/**
 * Where a session's files go in the archive folder: the layout template (see DEFAULT_ARCHIVE_LAYOUT
 * in shared/archive.ts), made safe so that nothing a site sends — an lsid, an instance, a file
 * extension, a host with a port — can name a file outside the folder or a name Windows refuses.
 *
 * Every token's value is reduced to `[A-Za-z0-9._-]` (anything else becomes `_`), so no value can
 * hold a separator, and a value of only dots becomes `_`; the template's own literal segments are
 * checked when it is saved. The result is checked once more against the folder (defence in depth).
 */
import path from 'node:path';

export const LAYOUT_TOKENS = ['host', 'date', 'yyyy', 'mm', 'dd', 'lsid', 'site'] as const;
export type LayoutToken = (typeof LAYOUT_TOKENS)[number];

export interface LayoutValues {
  /** The site's host as configured (may carry `:port`). */
  host: string;
  /** The site's name. */
  site: string;
  lsid: string;
  /** The session's start, Unix seconds (UTC date); null → the date of 1970-01-01 is not used: `unknown-date`. */
  startTime: number | null;
}

/** Characters Windows forbids in a file name, and control characters. */
const WINDOWS_FORBIDDEN = /[<>:"|?*\\]/;
export const hasControlCharacter = (text: string) => [...text].some((c) => c.charCodeAt(0) < 0x20);
const RESERVED_WINDOWS_NAMES = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])(\..*)?$/i;

/** A value made safe to be one path segment: `[A-Za-z0-9._-]` only, never `.`/`..`/empty. */
export function safeSegment(value: string, maxLength = 120): string {
  let out = value.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, maxLength);
  if (/^\.*$/.test(out)) out = `_${out}`.replace(/\./g, '_');
  // Windows drops trailing dots and spaces: a name ending in one would change on disk.
  out = out.replace(/\.+$/, (dots) => '_'.repeat(dots.length));
  if (RESERVED_WINDOWS_NAMES.test(out)) out = `_${out}`;
  return out;
}

/** The site's host as a folder name: `:` (Windows forbids it) becomes `_`, as the issue specifies. */
export function hostSegment(host: string): string {
  return safeSegment(host.trim().toLowerCase());
}

/**
 * Checks a layout template; returns the problem in words, or null when it is fine. Rules: relative,
 * `/` separated, only known `{tokens}`, must hold `{lsid}` (two sessions must never share a folder:
 * an archived file is never overwritten), no empty, `.` or `..` segment, no character Windows
 * forbids in a name.
 */
export function layoutProblem(template: string): string | null {
  const t = template.trim();
  if (t === '') return 'The layout is empty: use e.g. {host}/{date}/{lsid}.';
  if (t.length > 512) return 'The layout is too long (at most 512 characters).';
  if (t.includes('\\')) return 'Separate the layout\'s folders with / (it works on Windows too).';
  if (t.startsWith('/') || /^[A-Za-z]:/.test(t)) return 'The layout is relative to the archive folder: it must not start with / or a drive letter.';
  const tokens = [...t.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!);
  const unknown = tokens.filter((x) => !(LAYOUT_TOKENS as readonly string[]).includes(x));
  if (unknown.length) return `Unknown layout token${unknown.length > 1 ? 's' : ''} ${unknown.map((x) => `{${x}}`).join(', ')}: use ${LAYOUT_TOKENS.map((x) => `{${x}}`).join(', ')}.`;
  if (!tokens.includes('lsid')) return 'The layout must contain {lsid}: each session needs a folder of its own.';
  for (const segment of t.split('/')) {
    if (segment === '' || segment === '.' || segment === '..') return `The layout has an empty, “.” or “..” folder name (“${t}”): that could leave the archive folder.`;
    const literal = segment.replace(/\{[^}]*\}/g, '');
    if (/[{}]/.test(literal)) return `Unbalanced { } in the layout segment “${segment}”.`;
    if (WINDOWS_FORBIDDEN.test(literal) || hasControlCharacter(literal)) return `The layout segment “${segment}” holds a character Windows does not allow in a folder name (< > : " | ? * \\).`;
    if (/[. ]$/.test(segment)) return `The layout segment “${segment}” ends with a dot or space, which Windows drops.`;
  }
  return null;
}

/** The session's folder, relative to the archive folder, with `/` separators. */
export function sessionFolder(template: string, values: LayoutValues): string {
  const date = values.startTime === null ? null : new Date(values.startTime * 1000).toISOString().slice(0, 10);
  const byToken: Record<LayoutToken, string> = {
    host: hostSegment(values.host),
    site: safeSegment(values.site),
    lsid: safeSegment(values.lsid),
    date: date ?? 'unknown-date',
    yyyy: date?.slice(0, 4) ?? 'unknown',
    mm: date?.slice(5, 7) ?? 'unknown',
    dd: date?.slice(8, 10) ?? 'unknown',
  };
  const rendered = template
    .trim()
    .split('/')
    .map((segment) => safeSegment(segment.replace(/\{([^}]*)\}/g, (_, token: string) => byToken[token as LayoutToken] ?? '_'), 200))
    .join('/');
  return rendered;
}

/** File names inside a session's folder. */
export const SESSION_XML_FILE = 'session.xml';
export function recordingFile(ext: string): string {
  return `recording.${ext}`;
}
export function shellRecordingFile(instance: number, ext: string): string {
  return `shell-${instance}.${ext}`;
}

/**
 * The absolute path of `relative` in the archive folder `dir`; throws when it would leave the
 * folder (it cannot, given sessionFolder's segments: this is the last line of defence).
 */
export function resolveInArchive(dir: string, relative: string): string {
  const pathApi = isWindowsPath(dir) ? path.win32 : path;
  const full = pathApi.resolve(dir, ...relative.split('/'));
  const back = pathApi.relative(pathApi.resolve(dir), full);
  if (back === '' || back.startsWith('..') || pathApi.isAbsolute(back)) throw new Error(`Refusing to write outside the archive folder: ${relative}`);
  return full;
}

function isWindowsPath(dir: string) {
  return process.platform === 'win32' || /^\\\\/.test(dir);
}

const KNOWN_TYPES: Record<string, string> = {
  'video/x-flv': 'flv',
  'video/flv': 'flv',
  'video/mp4': 'mp4',
  'video/webm': 'webm',
  'video/x-matroska': 'mkv',
  'text/plain': 'txt',
  'text/html': 'html',
  'application/zip': 'zip',
  'application/gzip': 'gz',
  'application/json': 'json',
};

/**
 * The recording's extension from the response: the file name of `Content-Disposition` (RFC 6266:
 * `filename*=UTF-8''…` preferred over `filename=`), else a known `Content-Type`, else `flv` (what the
 * Integration Client saved recordings as). Reduced to 1–10 letters and digits, lower case.
 */
export function extensionFromResponse(contentDisposition: string | undefined, contentType: string | undefined): string {
  const fromName = dispositionFileName(contentDisposition);
  if (fromName) {
    const ext = /\.([A-Za-z0-9]{1,10})$/.exec(fromName)?.[1];
    if (ext) return ext.toLowerCase();
  }
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type && KNOWN_TYPES[type]) return KNOWN_TYPES[type]!;
  return 'flv';
}

export function dispositionFileName(header: string | undefined): string | null {
  if (!header) return null;
  const star = /filename\*\s*=\s*([^;]+)/i.exec(header)?.[1]?.trim();
  if (star) {
    const value = star.replace(/^[A-Za-z0-9-]*'[^']*'/, '').replace(/^"|"$/g, '');
    try {
      return decodeURIComponent(value);
    } catch {
      return value;
    }
  }
  const plain = /filename\s*=\s*("((?:[^"\\]|\\.)*)"|[^;]+)/i.exec(header);
  if (!plain) return null;
  return (plain[2] ?? plain[1] ?? '').replace(/\\(.)/g, '$1').trim() || null;
}
