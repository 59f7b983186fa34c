/**
 * A namespace-free XML element as the report parser keeps it.
 *
 * Reports are parsed into this small tree (per session header and per event, never the whole
 * document) so that Elastic's `message` can be rebuilt later from what the session store holds,
 * without asking the appliance again.
 */
export interface XmlElement {
  /** Local name: any namespace prefix is dropped (PRA changed its namespace between versions). */
  name: string;
  /** Attributes by local name (`xmlns` declarations are not kept). */
  attrs: Record<string, string>;
  /** Child elements in document order. */
  children: XmlElement[];
  /** Character data directly inside this element (CDATA included), concatenated, untrimmed. */
  text: string;
}
