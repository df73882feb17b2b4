import { describe, expect, it } from "vitest";
import { PageIndex } from "./page-index.ts";
import type { PageRun } from "./pagemap.ts";

const PAGE = 4096;
const base = 0x7f00_0000_0000n;
const at = (page: number) => base + BigInt(page * PAGE);

/** Runs in the order CRIU may write them; one not in the file (in the parent image). */
const runs: PageRun[] = [
  { vaddr: at(100), pages: 3, offset: 2 * PAGE, lazy: true },
  { vaddr: at(0), pages: 2, offset: 0, lazy: true },
  { vaddr: at(50), pages: 4, offset: undefined, lazy: false },
  { vaddr: at(200), pages: 1, offset: 5 * PAGE, lazy: true },
];

describe("the page index of a pagemap", () => {
  const index = new PageIndex(runs);

  it("finds each page of a run in the file, with its offset and the pages left in its run", () => {
    expect(index.runs).toBe(3);
    expect(index.locate(at(0))).toEqual({ offset: 0, pagesLeft: 2 });
    expect(index.locate(at(1))).toEqual({ offset: PAGE, pagesLeft: 1 });
    expect(index.locate(at(100))).toEqual({ offset: 2 * PAGE, pagesLeft: 3 });
    expect(index.locate(at(102))).toEqual({ offset: 4 * PAGE, pagesLeft: 1 });
    expect(index.locate(at(200))).toEqual({ offset: 5 * PAGE, pagesLeft: 1 });
  });

  it("has no page between runs, before the first, after the last, or of a run not in the file", () => {
    for (const page of [2, 51, 99, 103, 201]) expect(index.locate(at(page))).toBeUndefined();
    expect(index.locate(base - BigInt(PAGE))).toBeUndefined();
  });

  it("answers as a scan of every run does, for every page of a large map", () => {
    const many: PageRun[] = [];
    let offset = 0;
    for (let i = 0; i < 1_000; i++) {
      const pages = 1 + (i % 7);
      many.push({ vaddr: at(i * 10), pages, offset, lazy: true });
      offset += pages * PAGE;
    }
    const big = new PageIndex(many);
    for (let page = 0; page < 10_000; page += 3) {
      const scan = many.find(
        (r) => at(page) >= r.vaddr && at(page) < r.vaddr + BigInt(r.pages * PAGE),
      );
      const expected = scan
        ? {
            offset: (scan.offset ?? 0) + Number(at(page) - scan.vaddr),
            pagesLeft: scan.pages - Number(at(page) - scan.vaddr) / PAGE,
          }
        : undefined;
      expect(big.locate(at(page))).toEqual(expected);
    }
  });
});
