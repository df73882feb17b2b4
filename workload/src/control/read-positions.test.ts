import { describe, expect, it } from "vitest";
import { ReadPositions } from "./read-positions.ts";

describe("a control reader's own positions", () => {
  it("resumes each partition after the last event it handled, not where the log ends", () => {
    const positions = new ReadPositions();
    positions.startAt([
      { partition: 0, offset: "40" },
      { partition: 1, offset: "7" },
    ]);
    // FenceRequested at 40 handled; the coordinator dies before its commit lands. Whatever
    // the log's end is at the next join, partition 0 resumes at 41, and FencePassed is read.
    positions.handled(0, "40");
    expect(positions.resumeAt()).toEqual([
      { partition: 0, offset: "41" },
      { partition: 1, offset: "7" },
    ]);
  });

  it("never moves back: a redelivered event read again leaves the position where it was", () => {
    const positions = new ReadPositions();
    positions.startAt([{ partition: 0, offset: "0" }]);
    positions.handled(0, "5");
    positions.handled(0, "3");
    expect(positions.resumeAt()).toEqual([{ partition: 0, offset: "6" }]);
  });

  it("keeps what was read over a later start for the same partition", () => {
    const positions = new ReadPositions();
    positions.handled(2, "99");
    positions.startAt([{ partition: 2, offset: "10" }]);
    expect(positions.resumeAt()).toEqual([{ partition: 2, offset: "100" }]);
  });
});
