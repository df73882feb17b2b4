import type { PageRun } from "./pagemap.ts";

const PAGE_BYTES = 4096;

/** Where a page lies in the pages file, and how many pages of its run follow from it. */
export interface PageLocation {
  /** Byte offset of the page in pages-<id>.img. */
  offset: number;
  /** Pages from this one to the end of its run (this one included). */
  pagesLeft: number;
}

/**
 * The runs of a pagemap that are in the pages file, sorted by address, to find the run that
 * holds a page by binary search. A lazy-pages daemon asks for a few pages at a time (about 9 on
 * average for a 1 GB copy under load: 32,497 requests for 289,751 pages), and a 1 GB dump has
 * tens of thousands of runs: a scan of every run per request, in bigints, cost seconds.
 * Addresses are user-space, below 2^47, so they are exact as doubles.
 */
export class PageIndex {
  readonly #starts: Float64Array;
  readonly #pages: Float64Array;
  readonly #offsets: Float64Array;

  constructor(runs: readonly PageRun[]) {
    const present = runs
      .filter((r): r is PageRun & { offset: number } => r.offset !== undefined && r.pages > 0)
      .map((r) => ({ start: Number(r.vaddr), pages: r.pages, offset: r.offset }))
      .sort((a, b) => a.start - b.start);
    this.#starts = Float64Array.from(present, (r) => r.start);
    this.#pages = Float64Array.from(present, (r) => r.pages);
    this.#offsets = Float64Array.from(present, (r) => r.offset);
  }

  get runs(): number {
    return this.#starts.length;
  }

  /** The page at `vaddr` (page-aligned), or undefined when no run in the file holds it. */
  locate(vaddr: bigint): PageLocation | undefined {
    const address = Number(vaddr);
    // The last run that starts at or before the address.
    let low = 0;
    let high = this.#starts.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if ((this.#starts[middle] ?? 0) <= address) {
        found = middle;
        low = middle + 1;
      } else {
        high = middle - 1;
      }
    }
    if (found < 0) return undefined;
    const start = this.#starts[found] ?? 0;
    const pages = this.#pages[found] ?? 0;
    const skip = Math.floor((address - start) / PAGE_BYTES);
    if (skip >= pages) return undefined;
    return { offset: (this.#offsets[found] ?? 0) + skip * PAGE_BYTES, pagesLeft: pages - skip };
  }
}
