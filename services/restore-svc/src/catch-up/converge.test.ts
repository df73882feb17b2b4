import { describe, expect, it } from "vitest";
import { CatchUpConvergence } from "./converge.ts";

describe("catch-up auto-converge", () => {
  it("leaves a converging catch-up alone", () => {
    const c = new CatchUpConvergence({ windowMs: 1_000 });
    expect(c.observe(0, 1_000)).toBeUndefined();
    expect(c.observe(1_000, 800)).toBeUndefined();
    expect(c.observe(2_000, 600)).toBeUndefined();
    expect(c.cap).toBeUndefined();
  });

  it("caps the source one step per flat window, down to the last step", () => {
    const c = new CatchUpConvergence({ windowMs: 1_000 });
    c.observe(0, 1_000);
    expect(c.observe(500, 1_000)).toBeUndefined(); // the window is not over yet
    expect(c.observe(1_000, 950)).toBe(0.5); // shrank by less than a tenth
    expect(c.observe(2_000, 1_200)).toBe(0.35);
    expect(c.observe(3_000, 1_200)).toBe(0.25);
    expect(c.observe(4_000, 1_200)).toBeUndefined();
    expect(c.cap).toBe(0.25);
  });

  it("keeps the cap that made it converge", () => {
    const c = new CatchUpConvergence({ windowMs: 1_000, steps: [0.5, 0.2] });
    c.observe(0, 1_000);
    expect(c.observe(1_000, 1_000)).toBe(0.5);
    expect(c.observe(2_000, 500)).toBeUndefined();
    expect(c.cap).toBe(0.5);
  });

  it("does nothing when turned off", () => {
    const c = new CatchUpConvergence({ windowMs: 0 });
    c.observe(0, 1_000);
    expect(c.observe(10_000, 5_000)).toBeUndefined();
  });
});
