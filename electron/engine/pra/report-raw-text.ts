// An element's XML text as the appliance sent it, copied from the text saxes is reading.
import type { SaxesTagPlain } from 'saxes';
import { openTagXml } from './xml-element.ts';

/**
 * What saxes is reading: the text of the current write (`chunk`) and the index just past the
 * character it read last (`i`). When an `opentag` or `closetag` event fires, `i` is just past the
 * tag's `>`.
 */
export interface SaxSource {
  readonly chunk: string;
  readonly i: number;
  /** What saxes is in the middle of reading at `i` (its S_… constants; saxes is pinned to 6.0.0). */
  readonly state: number;
  /** In an entity (S_ENTITY), the state it returns to: that of the text or attribute value it is in. */
  readonly entityReturnState: number | undefined;
}

/**
 * Whether saxes is inside a start tag: from its `<` (S_OPEN_WAKA) up to before its `>`
 * (S_OPEN_TAG … S_ATTRIB_VALUE_UNQUOTED), an entity in an attribute value included.
 */
function inStartTag({ state, entityReturnState }: SaxSource): boolean {
  const at = state === 14 /* S_ENTITY */ ? (entityReturnState ?? 0) : state;
  return at === 15 || (at >= 34 && at <= 42);
}

/**
 * The text of a start tag that the current write ends inside of (from its `<`), given that of the
 * write before; empty when the write does not end inside a tag.
 */
export function startTagTail(source: SaxSource, before: string): string {
  if (!inStartTag(source)) return '';
  const at = source.chunk.lastIndexOf('<');
  return at === -1 ? before + source.chunk : source.chunk.slice(at);
}

/**
 * The XML text of an element being read, exactly as the appliance sent it (start tag included),
 * copied from what saxes reads, whatever the chunking.
 *
 * Taking the start tag from the text rather than writing it again from its attributes also keeps
 * most events one slice of the write they came in: a string of two pieces is copied into one
 * (flattened) when it is handed to the store writer thread, which cost the benchmark's main
 * thread about a second per million events.
 */
export class RawText {
  /** The XML text so far, and where in the parser's current text the rest of it starts. */
  xml: string;
  start: number;
  readonly selfClosing: boolean;

  /** `tagHead`: the start tag's text from earlier writes (startTagTail), when it began in one. */
  constructor(tag: SaxesTagPlain, source: SaxSource, tagHead: string) {
    this.selfClosing = tag.isSelfClosing;
    // saxes has just read the tag's `>`. A `<` cannot occur inside a tag, so the last one before
    // is where the tag began, if it began in this write.
    const at = source.chunk.lastIndexOf('<', source.i - 1);
    if (at !== -1) {
      this.xml = '';
      this.start = at;
    } else if (tagHead !== '') {
      this.xml = tagHead;
      this.start = 0;
    } else {
      // Not expected (saxes read a tag whose `<` was seen nowhere): the same tag, written again.
      this.xml = openTagXml(tag.name, tag.attributes, tag.isSelfClosing);
      this.start = source.i;
      return;
    }
    if (this.selfClosing) this.xml += source.chunk.slice(this.start, source.i);
  }

  /** The write is over and the element goes on in the next one: keep what it has of this one. */
  carry(source: SaxSource): void {
    this.xml += source.chunk.slice(this.start);
    this.start = 0;
  }

  /** The text up to where saxes is (just past the tag it reported last). */
  upToHere(source: SaxSource): string {
    return this.selfClosing ? this.xml : this.xml + source.chunk.slice(this.start, source.i);
  }
}
