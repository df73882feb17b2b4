import { describe, expect, it } from "vitest";
import { minBatchOf } from "./generator.ts";

describe("the load generator's batch threshold", () => {
  it("sends every message alone at the paper's rates (10 to 120 msg/s), whatever the linger", () => {
    for (const rate of [10, 20, 40, 60, 80, 100, 120]) expect(minBatchOf(rate, 5)).toBe(1);
    expect(minBatchOf(199, 5)).toBe(1);
  });

  it("waits for a linger's worth of messages at high rates", () => {
    expect(minBatchOf(400, 5)).toBe(2);
    expect(minBatchOf(4_000, 5)).toBe(20);
    expect(minBatchOf(10_000, 5)).toBe(50);
    expect(minBatchOf(10_000, 0)).toBe(1);
  });
});
