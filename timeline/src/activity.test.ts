import { describe, expect, it } from "vitest";
import { binActivity } from "./activity.ts";
import type { ProgressSample } from "./types.ts";

const at = (
  ms: number,
  offsets: [number, number][],
  instance = "w-0",
  node = "node-a",
): ProgressSample => ({
  at: 1_000_000 + ms,
  instance,
  node,
  offsets: offsets.map(([partition, offset]) => ({ topic: "in", partition, offset })),
});
const axis = { start: 1_000_000, end: 1_000_000 + 1000, binMs: 100 };

describe("a copy's activity from its progress samples", () => {
  it("counts the offsets each partition advanced between two answers, in the bins between them", () => {
    const counts = binActivity(
      [
        at(0, [
          [0, 10],
          [1, 20],
        ]),
        at(100, [
          [0, 13],
          [1, 22],
        ]),
        at(200, [
          [0, 13],
          [1, 22],
        ]),
      ],
      axis,
    );
    expect(counts.slice(0, 3)).toEqual([5, 0, 0]);
    expect(counts).toHaveLength(10);
  });

  it("spreads a difference over a longer gap between answers in proportion to the time", () => {
    const counts = binActivity([at(50, [[0, 0]]), at(250, [[0, 40]])], axis);
    expect(counts.slice(0, 3)).toEqual([10, 20, 10]);
  });

  it("counts nothing for a partition the earlier sample did not report (a restored copy's offsets at its dump)", () => {
    const counts = binActivity(
      [
        at(0, [[0, 5]]),
        at(100, [
          [0, 6],
          [1, 900],
        ]),
        at(200, [
          [0, 6],
          [1, 904],
        ]),
      ],
      axis,
    );
    expect(counts.slice(0, 2)).toEqual([1, 4]);
  });

  it("shows a freeze as a gap: the late answer after the thaw carries the offsets from before it", () => {
    // Answers every 100 ms, then one only 300 ms later (frozen), with no progress in between.
    const counts = binActivity(
      [at(0, [[0, 0]]), at(100, [[0, 10]]), at(400, [[0, 10]]), at(500, [[0, 30]])],
      axis,
    );
    expect(counts.slice(0, 5)).toEqual([10, 0, 0, 0, 20]);
  });

  it("keeps what falls outside the axis out of it, and takes samples in any order", () => {
    const counts = binActivity([at(950, [[0, 0]]), at(-50, [[0, 0]]), at(1050, [[0, 10]])], axis);
    expect(counts[9]).toBeCloseTo(5);
    expect(counts.reduce((a, b) => a + b, 0)).toBeCloseTo(5);
  });
});
