// What turns saxes's events into items: the interface the stream driver calls, and what both
// reports' handlers share (the root, `<error>`, skipping unknown elements, building small trees).
import type { SaxesTagPlain } from 'saxes';
import { finishErrorElement, wrongRootError, type ParseOptions } from './report-failures.ts';
import type { SaxSource } from './report-raw-text.ts';
import { makeElement, type XmlElement } from './xml-element.ts';

export interface Handler<T> {
  queue: T[];
  rootSeen: boolean;
  rootClosed: boolean;
  rootName: string | null;
  source: SaxSource;
  onOpen(tag: SaxesTagPlain): void;
  onClose(): void;
  onText(text: string): void;
  /**
   * The parser has read the text it was given: all of it, except a final carriage return or half
   * of a surrogate pair, which it keeps out of `chunk` and puts at the start of the next one.
   */
  afterWrite(): void;
}

/** What the element at the bottom of the capture stack is. */
export const CAPTURE_NONE = 0;
export const CAPTURE_HEADER = 1;
export const CAPTURE_ERROR = 3;

/** Root handling, `<error>` handling, skipping and tree capture shared by both reports. */
export abstract class BaseHandler<T> implements Handler<T> {
  queue: T[] = [];
  rootSeen = false;
  rootClosed = false;
  rootName: string | null = null;
  /** Depth of the element being read (root = 1). */
  protected depth = 0;
  /** Depth of the element being skipped with its descendants (0: none). */
  protected ignoreDepth = 0;
  /** The tree being built: its bottom is the captured element, its top the innermost open one. */
  protected readonly stack: XmlElement[] = [];
  protected capture = CAPTURE_NONE;
  source: SaxSource = { chunk: '', i: 0, state: 0, entityReturnState: undefined };

  constructor(
    private readonly expectedRoot: string,
    private readonly report: string,
    private readonly options: ParseOptions,
  ) {}

  abstract onOpen(tag: SaxesTagPlain): void;
  abstract onClose(): void;
  afterWrite(): void {}

  onText(text: string): void {
    const stack = this.stack;
    if (stack.length !== 0) stack[stack.length - 1]!.text += text;
  }

  /** Appends a child to the element being built; true when a tree is being built. */
  protected captureChild(name: string, tag: SaxesTagPlain): boolean {
    const stack = this.stack;
    const n = stack.length;
    if (n === 0) return false;
    const el = makeElement(name, tag.attributes);
    stack[n - 1]!.children.push(el);
    stack.push(el);
    return true;
  }

  protected startCapture(el: XmlElement, kind: number): void {
    this.stack.push(el);
    this.capture = kind;
  }

  protected openRoot(name: string, tag: SaxesTagPlain): void {
    this.rootSeen = true;
    this.rootName = name;
    if (name === this.expectedRoot) return;
    if (name === 'error') {
      this.startCapture(makeElement(name, tag.attributes), CAPTURE_ERROR);
      return;
    }
    throw wrongRootError(name, this.expectedRoot, this.report);
  }

  /** A complete `<error>`: "no data" is ignored, anything else is thrown. */
  protected finishError(el: XmlElement): void {
    finishErrorElement(el, this.options);
  }
}
