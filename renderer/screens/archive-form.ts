/**
 * The archive settings form: text as typed, checked here the way the engine will check it, and
 * turned into the settings `archive.set` / `archive.test` take. Pure: unit-tested under Node.
 */
import { DEFAULT_ARCHIVE_LAYOUT, type ArchiveSettings, type ArchiveView } from '../../shared/archive.ts';

export interface ArchiveFormValues {
  dir: string;
  layout: string;
  sessionXml: boolean;
  recordings: boolean;
  shellRecordings: boolean;
}

export type ArchiveField = 'dir' | 'layout' | 'kinds';
export type ArchiveErrors = Partial<Record<ArchiveField, string>>;

/** The tokens a layout may use (shared/archive.ts DEFAULT_ARCHIVE_LAYOUT). */
export const LAYOUT_TOKENS = ['host', 'date', 'yyyy', 'mm', 'dd', 'lsid', 'site'] as const;

/** An unconfigured archive starts with everything on (the issue: "each on by default when a folder is set"). */
export function archiveFormFrom(view: ArchiveView | undefined): ArchiveFormValues {
  const configured = view?.configured === true;
  return {
    dir: view?.dir ?? '',
    layout: view?.layout || DEFAULT_ARCHIVE_LAYOUT,
    sessionXml: configured ? view.sessionXml : true,
    recordings: configured ? view.recordings : true,
    shellRecordings: configured ? view.shellRecordings : true,
  };
}

/** `\\server\share`, `C:\…` or `/…`: the engine resolves nothing relative to its own working folder. */
function isAbsolute(dir: string): boolean {
  return /^\\\\[^\\/]+[\\/][^\\/]+/.test(dir) || /^[A-Za-z]:[\\/]/.test(dir) || dir.startsWith('/');
}

export function dirError(dir: string): string | null {
  if (dir === '') return 'Enter the archive folder, e.g. \\\\nas\\pra-archive or D:\\PRA archive.';
  if (/^\\\\[^\\/]*$/.test(dir) || /^\\\\[^\\/]+[\\/]?$/.test(dir)) return 'A network path needs a server and a share: \\\\server\\share, e.g. \\\\nas\\pra-archive.';
  if (!isAbsolute(dir)) return 'Enter a full path: a drive and folder (D:\\PRA archive) or a network share (\\\\nas\\pra-archive).';
  return null;
}

/** The engine's rules (electron/engine/archive/archive-layout.ts layoutProblem), said before Save. */
export function layoutError(layout: string): string | null {
  if (layout === '') return null; // the default
  if (layout.includes('\\')) return 'Separate the layout\'s folders with / (it works on Windows too).';
  if (/^(\/|[A-Za-z]:)/.test(layout)) return 'The layout is relative to the archive folder: it must not start with / or a drive letter.';
  const tokens = [...layout.matchAll(/\{([^}]*)\}/g)].map((m) => m[1]!);
  const unknown = tokens.find((t) => !(LAYOUT_TOKENS as readonly string[]).includes(t));
  if (unknown !== undefined) return `Unknown token {${unknown}}: use ${LAYOUT_TOKENS.map((t) => `{${t}}`).join(' ')}.`;
  if (!tokens.includes('lsid')) return 'The layout must contain {lsid}: each session needs a folder of its own.';
  if (layout.split('/').some((seg) => seg === '' || seg === '.' || seg === '..')) return 'The layout has an empty, “.” or “..” folder name: every file stays inside the archive folder.';
  return null;
}

export type CheckedArchive = { ok: true; settings: ArchiveSettings; errors: ArchiveErrors } | { ok: false; errors: ArchiveErrors };

export function checkArchive(values: ArchiveFormValues): CheckedArchive {
  const dir = values.dir.trim();
  const layout = values.layout.trim();
  const errors: ArchiveErrors = {};
  const d = dirError(dir);
  if (d) errors.dir = d;
  const l = layoutError(layout);
  if (l) errors.layout = l;
  if (!values.sessionXml && !values.recordings && !values.shellRecordings) {
    errors.kinds = 'Choose at least one kind of file to keep, or turn the archive off.';
  }
  if (Object.keys(errors).length) return { ok: false, errors };
  return {
    ok: true,
    errors,
    settings: {
      dir,
      layout: layout || DEFAULT_ARCHIVE_LAYOUT,
      sessionXml: values.sessionXml,
      recordings: values.recordings,
      shellRecordings: values.shellRecordings,
    },
  };
}

/** The engine's issues (`settings.dir`, `draft.layout`, …) by field; the rest is general. */
export function archiveIssues(issues: { field: string | null; message: string }[]): { errors: ArchiveErrors; general: string[] } {
  const errors: ArchiveErrors = {};
  const general: string[] = [];
  for (const issue of issues) {
    const part = issue.field?.split('.').pop();
    if (part === 'dir' || part === 'layout') errors[part] ??= issue.message;
    else if (part === 'sessionXml' || part === 'recordings' || part === 'shellRecordings') errors.kinds ??= issue.message;
    else general.push(issue.message);
  }
  return { errors, general };
}

/**
 * Where a session's recording would go, for the form to show as the user types: the folder's own
 * separator (a UNC or drive path gets backslashes), sample values for the tokens.
 */
export function layoutExample(dir: string, layout: string, sample = { host: 'access.example.com', site: 'Production', lsid: 'c5f29a41e1d94b7fa0c3', start: '2026-03-14T09:26:53Z' }): string {
  const date = sample.start.slice(0, 10);
  const [yyyy, mm, dd] = date.split('-') as [string, string, string];
  const values: Record<string, string> = { host: sample.host.replace(/:/g, '_'), date, yyyy, mm, dd, lsid: sample.lsid, site: sample.site };
  const relative = (layout.trim() || DEFAULT_ARCHIVE_LAYOUT).replace(/\{([^}]*)\}/g, (m, t: string) => values[t] ?? m);
  const root = dir.trim() || '\\\\nas\\pra-archive';
  const sep = root.startsWith('/') ? '/' : '\\';
  const joined = `${root.replace(/[\\/]+$/, '')}${sep}${relative.replace(/^[\\/]+/, '')}${sep}recording.flv`;
  return sep === '\\' ? joined.replace(/\//g, '\\') : joined.replace(/\\/g, '/');
}
