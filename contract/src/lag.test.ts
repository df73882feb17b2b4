import { describe, expect, it } from "vitest";
import { lagBehindSource } from "./lag.ts";

const at = (partition: number, offset: number) => ({ topic: "in", partition, offset });

describe("lagBehindSource", () => {
  it("sums, per partition, what the source processed that the shadow has not", () => {
    expect(lagBehindSource([at(0, 10), at(1, 5)], [at(0, 7), at(1, 5)])).toBe(3);
  });

  it("counts a partition the shadow has not reported as fully behind (offsets 0..n)", () => {
    expect(lagBehindSource([at(0, 4), at(1, 2)], [at(0, 4)])).toBe(3);
  });

  it("never goes negative where the shadow is ahead", () => {
    expect(lagBehindSource([at(0, 4), at(1, 2)], [at(0, 9), at(1, 1)])).toBe(1);
  });

  it("is 0 when the source has processed nothing, and tells topics apart", () => {
    expect(lagBehindSource([], [at(0, 9)])).toBe(0);
    expect(
      lagBehindSource(
        [{ topic: "a", partition: 0, offset: 3 }],
        [{ topic: "b", partition: 0, offset: 3 }],
      ),
    ).toBe(4);
  });
});
