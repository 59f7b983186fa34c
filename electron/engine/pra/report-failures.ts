/**
 * When an answer is not a report, and PRA's "no data": the failures the parser tells the user
 * about (see report-parser.ts's module comment), each with what to check. Decided from the first
 * characters of the body (an HTML page, JSON, anything not XML), its root element, an `<error>`
 * element, or how the body ended.
 */
import { MalformedReportError, ReportError } from './errors.ts';
import { isNoDataText, isPermissionDeniedText } from './no-data-text.ts';
import type { XmlElement } from './xml-element.ts';

export interface ParseOptions {
  /**
   * Texts this site is known to answer when nothing matches (learned by asking it for a window in
   * which no session can exist; see PraClient.learnNoDataText), in addition to {@link isNoDataText}.
   */
  isNoData?: (text: string) => boolean;
}

const HTML_START = /^\s*(?:<\?xml[^>]*>\s*)?(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b/i;
/** Root elements that mean "an HTML page" even without `<html>` (hand-written error pages). */
const HTML_ROOTS = new Set(['html', 'head', 'body', 'title', 'h1', 'p', 'div', 'center', 'pre']);

export function htmlPageError(): MalformedReportError {
  return new MalformedReportError(
    'The site answered with an HTML page instead of a report (a proxy or login page?). Check the site address, and any proxy or single sign-on between this computer and the site.',
  );
}

/** A short, printable, quoted excerpt for an error message. */
function snippet(text: string): string {
  const cleaned = text.slice(0, 60).replace(/\p{Cc}+/gu, ' ').trim();
  return JSON.stringify(text.length > 60 ? `${cleaned}…` : cleaned);
}

/** An HTML page or a non-XML body, recognised from its first characters; null if it starts like XML. */
export function notXmlError(head: string, report: string): MalformedReportError | null {
  if (HTML_START.test(head)) return htmlPageError();
  const start = head.replace(/^\s+/, '');
  if (start.length !== 0 && start[0] !== '<') {
    const looksJson = start[0] === '{' || start[0] === '[';
    return new MalformedReportError(
      `The site answered with ${looksJson ? 'JSON' : 'something that is not XML'} instead of an ${report} report (it begins with ${snippet(start)}). Check the site address and any proxy between this computer and the site.`,
    );
  }
  return null;
}

/** The body had nothing but whitespace. */
export function emptyBodyError(report: string): MalformedReportError {
  return new MalformedReportError(`The site answered with an empty body instead of an ${report} report.`);
}

/** The body ended before its root element opened, and what came looked like XML. */
export function endedBeforeRootError(report: string): MalformedReportError {
  return new MalformedReportError(
    `The ${report} report from the site ended before its first element (the connection was probably cut). The partial answer is not accepted; try again.`,
  );
}

/** The body ended before its root element closed. */
export function truncatedReportError(report: string, root: string): MalformedReportError {
  return new MalformedReportError(
    `The ${report} report from the site ended before it was complete (the connection was probably cut, or the site stopped while sending): <${root}> was never closed. The partial report is not accepted; try again.`,
  );
}

/** saxes found the body not well-formed (`err`, its plain Error). */
export function notWellFormedError(report: string, err: Error): MalformedReportError {
  return new MalformedReportError(
    `The ${report} report from the site is not well-formed XML (${err.message}). It may have been damaged on the way; try again, and if it keeps happening check any proxy between this computer and the site.`,
    { cause: err },
  );
}

/** A root element that is neither the report's nor `<error>`. */
export function wrongRootError(name: string, expectedRoot: string, report: string): MalformedReportError {
  if (HTML_ROOTS.has(name.toLowerCase())) return htmlPageError();
  return new MalformedReportError(
    `The site answered with a <${name}> document instead of an ${report} report (<${expectedRoot}>): either the request asked for another report, or something between this computer and the site answered instead of it.`,
  );
}

/** A complete `<error>`: "no data" is ignored, anything else is thrown. */
export function finishErrorElement(el: XmlElement, options: ParseOptions): void {
  const text = textContent(el).trim();
  if (isNoDataText(text) || options.isNoData?.(text)) return;
  const code = el.attrs.code ?? '';
  const permissionDenied = isPermissionDeniedText(text) || /permission|denied|forbidden|unauthori[sz]ed|not_?allowed/i.test(code);
  throw new ReportError(text, permissionDenied);
}

/** All character data of an element and its descendants, in document order. */
function textContent(el: XmlElement): string {
  if (el.children.length === 0) return el.text;
  // The tree keeps an element's own text apart from its children's: own text first, then each child's.
  let out = el.text;
  for (const child of el.children) out += textContent(child);
  return out;
}
