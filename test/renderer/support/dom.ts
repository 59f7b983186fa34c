/**
 * The little of the DOM that functions run in the page (page.waitForFunction) use. The tests are
 * type-checked with Node's libraries only, so these stand in for lib.dom's types.
 */
export interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
}

export interface PageGlobals {
  document: {
    querySelectorAll(selector: string): ArrayLike<PageElement>;
    documentElement: { scrollWidth: number; clientWidth: number };
  };
}

