/**
 * Streaming parser of PRA reporting answers (`generate_report=AccessSession` and
 * `AccessSessionListing`).
 *
 * The parts, by what they read:
 *   report-stream.ts          the body → saxes → items, and whether it ended complete
 *   report-decoder.ts         bytes → text in the declared character encoding
 *   report-access-session.ts  `<session_list>`: sessions, events, session ends
 *   report-session-header.ts  a session's header: typed fields and XML text
 *   report-events.ts          an `<event>`: typed fields and XML text
 *   report-listing.ts         `<session_summary_list>`
 *   report-failures.ts        answers that are not a report, `<error>` and "no data"
 *   report-handler.ts, report-raw-text.ts, report-values.ts: what those share.
 *
 * Design:
 * - The body is consumed chunk by chunk: bytes are decoded with one streaming `TextDecoder` (so a
 *   multibyte UTF-8 character split across chunks is decoded correctly), the text is written to a
 *   `saxes` parser in slices of at most {@link MAX_SLICE}, and the items completed by each slice are
 *   yielded before the next slice is read. Nothing keeps the document: memory is bounded by the
 *   largest single `<event>` plus one session header (plus one slice), never by the report.
 * - saxes runs WITHOUT namespace processing (`xmlns: false`, about twice as fast as with it): the
 *   parser only looks at local names (`ns:session` → `session`) and drops `xmlns`/`xmlns:*`
 *   attributes, so the BeyondTrust namespace of any version (`…/sra/namespaces/API/reporting`,
 *   `…/namespaces/API/reporting`, the old bomgar.com one) or none at all are read alike.
 * - Sessions and events are kept as their XML text, copied from the text saxes reads (the start
 *   tag written again from its attributes, the rest as the appliance sent it): SessionHeader.xml
 *   is the `<session>` element minus `session_details`, SessionEvent.xml one `<event>`;
 *   {@link parseElementXml} reads either into a tree when the shipper needs one. Their typed fields
 *   are picked up on the way. A tree ({@link XmlElement}) is built only of the header's children
 *   that have typed fields (HEADER_FIELDS), and only until the header is emitted: a long session's
 *   other children (thousands of shell recordings, 5 MB of text) made a tree three times the size
 *   of their text. Elements the report does not define at those places (anything in
 *   `session_list` but `session`/`error`, anything in `session_details` but `event`) are skipped
 *   without building anything.
 * - Text in trees is raw: untrimmed, whitespace between elements included, CDATA merged, entities
 *   resolved. Typed fields are trimmed (except an event's `body`, which is content and kept as is).
 * - Items are yielded in document order: `session` when `<session_details>` opens (or at
 *   `</session>` when there is none), one `event` per `<event>` as soon as it closes, then
 *   `session-end`.
 * - Elements of a `<session>` AFTER its `session_details` (PRA's schema puts `session_details`
 *   last, so this is an anomaly): their text comes with `session-end` (`lateXml`), for the
 *   consumer to add to the header's text with {@link withLateContent} if it has not stored it yet;
 *   the header's typed fields describe what preceded `session_details`.
 *   The session's own character data after `session_details` opens (the indentation around it) is
 *   dropped, so a well-formed PRA report never changes a header after it was yielded. A second
 *   `session_details` in the same session continues the event ordinals.
 * - Failures: an `<error>` (root, or inside the list) throws {@link ReportError}, except PRA's
 *   localized "no data matches" text ({@link isNoDataText}), which just ends the report without
 *   items. An HTML page, a body that is not XML, an empty body, a wrong root, a declared encoding we
 *   cannot decode, or a body that ends before its root element closes throws
 *   {@link MalformedReportError}. Items completed before the failure have already been yielded (the
 *   consumer stores idempotently and advances its cursor only when the generator completes); the
 *   generator always throws at the point of failure, never ends as if the report were complete.
 *   An error of the body stream itself (network, TLS, timeout) propagates unchanged.
 */
import { AccessSessionHandler } from './report-access-session.ts';
import type { ParseOptions } from './report-failures.ts';
import { ListingHandler } from './report-listing.ts';
import { run, type ReportBody } from './report-stream.ts';
import type { ReportItem, SessionSummary } from './report-types.ts';

export { isNoDataText, NO_DATA_PHRASES } from './no-data-text.ts';
export { eventFieldsOf } from './report-events.ts';
export type { ParseOptions } from './report-failures.ts';
export { withLateContent } from './report-session-header.ts';
export { MAX_SLICE, type ReportBody } from './report-stream.ts';
export { parseTimestamp } from './report-values.ts';

/**
 * Parses an AccessSession report as it streams in. See the module comment for the items, the
 * memory bound and the failures.
 */
export function parseAccessSessionReport(body: ReportBody, options: ParseOptions = {}): AsyncGenerator<ReportItem> {
  return run(body, new AccessSessionHandler(options), { report: 'AccessSession', root: 'session_list' });
}

/** Parses an AccessSessionListing report (`<session_summary_list>`) as it streams in. */
export function parseAccessSessionListing(body: ReportBody, options: ParseOptions = {}): AsyncGenerator<SessionSummary> {
  return run(body, new ListingHandler(options), { report: 'AccessSessionListing', root: 'session_summary_list' });
}
