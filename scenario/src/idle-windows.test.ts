import { describe, expect, it } from "vitest";
import { idleWindowsOf, type ModeSample } from "./idle-windows.ts";

const at = (copy: string, t: number, mode: ModeSample["mode"]): ModeSample => ({
  at: t,
  copy,
  mode,
});

describe("idle windows from the copies' health answers", () => {
  it("runs from the first fenced or idle answer to the next consuming one, per copy", () => {
    const windows = idleWindowsOf([
      at("a@n1", 0, "primary"),
      at("a@n1", 10, "fenced"),
      at("b@n2", 12, "shadow"),
      at("a@n1", 20, "fenced"),
      at("a@n1", 30, "primary"),
      at("b@n2", 40, "idle"),
      at("b@n2", 50, "idle"),
    ]);
    expect(windows).toEqual([
      { copy: "a@n1", from: 10, to: 30 },
      { copy: "b@n2", from: 40, to: 50 },
    ]);
  });

  it("makes no window of a single idle answer at the end, nor of consuming copies", () => {
    expect(idleWindowsOf([at("a@n1", 0, "primary"), at("a@n1", 10, "idle")])).toEqual([]);
    expect(idleWindowsOf([at("a@n1", 0, "shadow"), at("a@n1", 10, "primary")])).toEqual([]);
  });
});
