import { describe, expect, it } from "vitest";
import { samples, t0, view } from "./fixture.test-data.ts";
import { timelineOf } from "./from-view.ts";
import type { ProgressSample } from "./types.ts";

const sample = (at: number, instance: string, consuming: boolean): ProgressSample => ({
  at: t0 + at,
  instance,
  node: instance === "orders-0" ? "node-a" : "node-b",
  offsets: [],
  consuming,
});

describe("the longest stall on a migration's timeline", () => {
  it("is the checkpoint's freeze when nothing longer held the workload", () => {
    const timeline = timelineOf(view, samples());
    expect(timeline.stall).toEqual({
      ms: 250,
      from: t0 + 100,
      to: t0 + 350,
      phase: "1 checkpoint +100 ms",
      cause: "orders-0@node-a frozen for its checkpoint",
    });
  });

  it("counts a fenced copy as not consuming: a primary fenced 34 s is the stall", () => {
    const progress = [
      sample(3_000, "orders-0-shadow-1", true),
      sample(3_100, "orders-0", false),
      sample(3_300, "orders-0-shadow-1", false),
      sample(37_300, "orders-0-shadow-1", true),
    ];
    const timeline = timelineOf(view, { progress, lag: [] });
    expect(timeline.stall).toMatchObject({
      ms: 34_000,
      phase: "after +100 ms",
      cause: "no copy consuming: every copy fenced, idle or its input not ready",
    });
  });
});
