import { describe, expect, it } from "vitest";
import { condition } from "../policy/fixtures.ts";
import { keyOf, toAnnounce } from "./announce.ts";

describe("which conditions the watcher announces", () => {
  const a = condition("node-a", "drain");
  const b = condition("node-b", "memory");
  it("announces a condition when it begins, again after the resync, and at once after a migration off its node ended", () => {
    expect(toAnnounce([a, b], new Map(), new Set(), 0, 30_000)).toEqual([a, b]);
    const last = new Map([
      [keyOf(a), 0],
      [keyOf(b), 0],
    ]);
    expect(toAnnounce([a, b], last, new Set(), 10_000, 30_000)).toEqual([]);
    expect(toAnnounce([a, b], last, new Set(["node-a"]), 10_000, 30_000)).toEqual([a]);
    expect(toAnnounce([a, b], last, new Set(), 30_000, 30_000)).toEqual([a, b]);
  });
});
