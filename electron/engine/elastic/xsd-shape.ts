/**
 * What Elastic's collector knows about the AccessSession report, as data.
 *
 * Elastic's `beyondtrust_pra` integration decodes the report with mito's `decode_xml` and the XSD
 * it ships (`access_session.xsd`, kept under the shared reference folder, not in this product).
 * From that XSD the decoder takes exactly two things:
 * - **plurality**: an element declared `maxOccurs="unbounded"` becomes a JSON array even when it
 *   occurs once (any element that occurs twice becomes an array anyway);
 * - **integer type**: the text of an element declared with an integer type (`xs:unsignedByte`,
 *   `xs:unsignedShort`, `xs:int`, …) becomes a JSON number when it parses as a base-10 int64;
 *   otherwise (`Unknown`, empty) it stays a string. Only elements WITHOUT attributes and without
 *   child elements are typed (an element with attributes becomes an object); attributes are never
 *   typed (`command_shell_recording/@instance` is `xs:unsignedByte` and stays the string `"0"`).
 *
 * Everything else is a string. This module writes that knowledge down by hand, per element path,
 * from `access_session.xsd` (read it there; the XSD is reference material and is not parsed at run
 * time). Paths start at `<session>` (whose children are the session header) and at `<event>`
 * (`session/session_details/event`).
 *
 * Where the XSD and the collector's observed output disagree, the observed output wins, because
 * that is what the integration's pipeline and dashboard were built against:
 * - `event/files/file/filesize` is `xs:unsignedShort` in the XSD, but the collector's message for
 *   the integration's own mock (`mock-response.message.json`, also `event.original` of
 *   `sample_event.json`) has `"filesize":"1024"` (a string) there, while `event/filesize` is the
 *   number `1024`. Cause (read in mito's `lib/xml/xml.go`, `Details`): the decoder records one
 *   parent per element NAME (`tree[e.Name.Local] = n.Local`), so of the two `filesize` declarations
 *   only one path gets the integer type, chosen by Go's map iteration order. We pin the observed
 *   choice. The ingest pipeline converts both to `long` (`convert_filesize_to_long`,
 *   `convert_files_file_filesize_to_long`), so either form indexes the same.
 * - The same name-keyed bookkeeping makes the collector's plurality of `row`, `field` and `value`
 *   unreliable (`data` and `field` are each declared twice). We follow the XSD for those: always
 *   arrays, as the integration's pipeline test (`pipeline-test-event.log`) shows them. An array of
 *   one object and a lone object are mapped identically by Elasticsearch.
 */

/** Type and plurality of one element at one path. */
export interface XsdNode {
  /** `maxOccurs="unbounded"`: always a JSON array, even with one occurrence. */
  readonly plural?: boolean;
  /** Integer XSD type: text that parses as a base-10 int64 becomes a JSON number. */
  readonly integer?: boolean;
  /** Child elements that are plural or integer, or have such descendants. Others are strings/objects. */
  readonly children?: Readonly<Record<string, XsdNode>>;
}

const plural: XsdNode = { plural: true };
const integer: XsdNode = { integer: true };

/** `session/customer_list/customer`: username, public_ip, private_ip, hostname, os are all strings. */
const CUSTOMER: XsdNode = { plural: true };

/** `session/rep_list/representative`. */
const REPRESENTATIVE: XsdNode = {
  plural: true,
  children: {
    session_owner: integer, // xs:unsignedByte
    seconds_involved: integer, // xs:unsignedShort
    invited: integer, // xs:unsignedByte
  },
};

/** `session/session_details/event`. */
export const EVENT_SHAPE: XsdNode = {
  plural: true,
  children: {
    // performed_by, destination: attributes only (gsnumber, type): objects of strings.
    // body, encoded_body, filename: xs:string.
    filesize: integer, // xs:unsignedByte (the observed collector output has a number here)
    files: {
      children: {
        file: {
          plural: true,
          // filename: xs:string. filesize: xs:unsignedShort in the XSD, but a STRING in the
          // collector's observed output (see the module comment); deliberately not typed here.
          children: {},
        },
      },
    },
    system_information: {
      children: {
        category: {
          plural: true,
          children: {
            description: { children: { field: plural } },
            data: { children: { row: { plural: true, children: { field: plural } } } },
          },
        },
      },
    },
    data: { children: { value: plural } }, // value: minOccurs="0" maxOccurs="unbounded", attributes name/value
  },
};

/** `session_list/session`. `session_type`, `lseq`, `duration`, the URLs and the times are strings. */
export const SESSION_SHAPE: XsdNode = {
  plural: true,
  children: {
    custom_attributes: { children: { custom_attribute: plural } },
    command_shell_recordings: { children: { command_shell_recording: plural } },
    file_transfer_count: integer, // xs:unsignedByte
    file_move_count: integer, // xs:unsignedByte
    file_delete_count: integer, // xs:unsignedByte
    customer_list: { children: { customer: CUSTOMER } },
    rep_list: { children: { representative: REPRESENTATIVE } },
    session_details: { children: { event: EVENT_SHAPE } },
  },
};

/** `session_list` itself (the root). */
export const SESSION_LIST_SHAPE: XsdNode = { children: { session: SESSION_SHAPE } };

/** The node of child `name` under `parent`; undefined means "a string or an object of strings". */
export function childShape(parent: XsdNode | undefined, name: string): XsdNode | undefined {
  const children = parent?.children;
  if (children === undefined || !Object.hasOwn(children, name)) return undefined;
  return children[name];
}
