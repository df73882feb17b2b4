import { describe, expect, it } from "vitest";
import { decideFence, FenceCost } from "./fence-cost.ts";

describe("fence cost", () => {
  it("estimates the replay time of the lag from the shadow's recent rate", () => {
    const cost = new FenceCost(1_000);
    cost.observe(0, 0);
    expect(cost.estimateMs(50)).toBe(Number.POSITIVE_INFINITY); // one reading: no rate yet
    cost.observe(500, 100);
    expect(cost.rate()).toBe(200);
    expect(cost.estimateMs(50)).toBe(250);
    // The window follows the rate down: 100 records in the last second, not 300 in 2 s.
    cost.observe(1_500, 300);
    cost.observe(2_500, 400);
    expect(cost.rate()).toBeCloseTo(100, 5);
    expect(cost.estimateMs(0)).toBe(0);
  });

  it("says Infinity for a shadow that does not move", () => {
    const cost = new FenceCost();
    cost.observe(0, 10);
    cost.observe(1_000, 10);
    expect(cost.estimateMs(5)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe("the fence decision", () => {
  const base = { threshold: 2, budgetMs: 150, stalled: false, maxExtraMs: 2_000 };

  it("fences within the record threshold, or when the replay fits the budget", () => {
    expect(decideFence({ ...base, lag: 2, estimateMs: 900 })).toMatchObject({ fence: true });
    expect(decideFence({ ...base, lag: 40, estimateMs: 120 })).toEqual({
      fence: true,
      forced: false,
      estimateMs: 120,
    });
    expect(decideFence({ ...base, lag: 40, estimateMs: 400 }).fence).toBe(false);
  });

  it("fences a stalled catch-up anyway when its cost is under the cap, and says so", () => {
    expect(decideFence({ ...base, lag: 41, estimateMs: 410, stalled: true })).toEqual({
      fence: true,
      forced: true,
      estimateMs: 410,
    });
    expect(decideFence({ ...base, lag: 900, estimateMs: 9_000, stalled: true }).fence).toBe(false);
    expect(
      decideFence({ ...base, lag: 41, estimateMs: 410, stalled: true, maxExtraMs: 0 }).fence,
    ).toBe(false);
  });
});
