// The AccessSessionListing report (`<session_summary_list>`): one summary per session, no tree.
import type { SaxesTagPlain } from 'saxes';
import type { ParseOptions } from './report-failures.ts';
import { BaseHandler, CAPTURE_ERROR, CAPTURE_NONE } from './report-handler.ts';
import type { SessionSummary } from './report-types.ts';
import { nonEmpty, parseBoolean } from './report-values.ts';
import { copyAttrs, localName, makeElement } from './xml-element.ts';

export class ListingHandler extends BaseHandler<SessionSummary> {
  constructor(options: ParseOptions) {
    super('session_summary_list', 'AccessSessionListing', options);
  }

  onOpen(tag: SaxesTagPlain): void {
    const d = ++this.depth;
    const name = localName(tag.name);
    if (this.captureChild(name, tag)) return;
    if (this.ignoreDepth !== 0) return;
    if (d === 1) {
      this.openRoot(name, tag);
      return;
    }
    if (d === 2 && name === 'error') {
      this.startCapture(makeElement(name, tag.attributes), CAPTURE_ERROR);
      return;
    }
    if (d === 2 && name === 'session_summary') {
      const attrs = copyAttrs(tag.attributes);
      const lsid = nonEmpty(attrs.lsid);
      // A summary without lsid cannot be fetched: skipped rather than failing the whole listing.
      if (lsid !== null) this.queue.push({ lsid, hasRecording: parseBoolean(attrs.has_recording) === true });
    }
    this.ignoreDepth = d;
  }

  onClose(): void {
    const d = this.depth--;
    const stack = this.stack;
    if (stack.length !== 0) {
      const el = stack.pop()!;
      if (stack.length === 0) {
        this.capture = CAPTURE_NONE;
        if (d === 1) this.rootClosed = true;
        this.finishError(el);
      }
      return;
    }
    if (this.ignoreDepth !== 0) {
      if (d === this.ignoreDepth) this.ignoreDepth = 0;
      return;
    }
    if (d === 1) this.rootClosed = true;
  }
}
