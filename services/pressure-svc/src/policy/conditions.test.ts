import { describe, expect, it } from "vitest";
import { noConditions, observe } from "./conditions.ts";
import { policyConfig } from "./config.ts";
import { MiB, node, snapshot } from "./fixtures.ts";

const limit = 1_000 * MiB;
const config = policyConfig({ holdMs: 15_000, clearMs: 30_000 });

/** node-a's memory at each look, 5 s apart; what the watcher sees began and ended. */
function looks(fractions: number[], psi?: { some: number; full: number }[]) {
  let state = noConditions;
  return fractions.map((f, i) => {
    const p = psi?.[i];
    const a = node("node-a", {
      memory: { usedBytes: f * limit, limitBytes: limit },
      ...(p
        ? { psi: { some: { avg10: p.some, avg60: 0 }, full: { avg10: p.full, avg60: 0 } } }
        : {}),
    });
    const seen = observe(state, snapshot(new Date(i * 5_000), [a], []), config);
    state = seen.state;
    return {
      active: seen.active.map((c) => c.kind).join(","),
      began: seen.began.map((c) => c.kind).join(","),
      ended: seen.ended.map((c) => c.kind).join(","),
    };
  });
}

describe("the hysteresis of a node's pressure", () => {
  it("begins once the figure held above the high mark for the hold, and clears only after the low mark held", () => {
    const seen = looks([0.9, 0.9, 0.9, 0.9, 0.8, 0.9, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7]);
    // 0 s, 5 s, 10 s above: the hold is not over; at 15 s it is.
    expect(seen.slice(0, 4).map((s) => s.began)).toEqual(["", "", "", "memory"]);
    // Between the marks (0.8) nothing changes; back above (0.9) it is still the same condition.
    expect(seen.slice(4, 6).map((s) => s.active)).toEqual(["memory", "memory"]);
    expect(seen.slice(4, 6).map((s) => s.began)).toEqual(["", ""]);
    // Below the low mark from 30 s: cleared once it held 30 s, at 60 s.
    expect(seen.slice(6, 12).map((s) => s.active)).toEqual(Array(6).fill("memory"));
    expect(seen[12]).toEqual({ active: "", began: "", ended: "memory" });
  });

  it("a dip below the high mark restarts the hold", () => {
    const seen = looks([0.9, 0.9, 0.8, 0.9, 0.9, 0.9, 0.9]);
    expect(seen.map((s) => s.began).join("|")).toBe("||||||memory");
  });

  it("PSI: `some` or `full` above its high mark counts, and both must be low to clear", () => {
    const quiet = { some: 0, full: 0 };
    const seen = looks(Array(12).fill(0.1), [
      ...Array(4).fill({ some: 1, full: 8 }),
      ...Array(6).fill({ some: 2, full: 2 }),
      ...Array(2).fill(quiet),
    ]);
    expect(seen[3]?.began).toBe("psi");
    // full 2 is above its low mark (1): no clearing while it stays there.
    expect(seen.slice(4, 10).every((s) => s.active === "psi")).toBe(true);
    expect(seen[11]?.active).toBe("psi");
  });

  it("a cordon and a drain hold as long as they are set; a drain supersedes the cordon", () => {
    let state = noConditions;
    const kinds = [
      node("node-a", { cordoned: true }),
      node("node-a", { cordoned: true, draining: true }),
      node("node-a"),
    ].map((a, i) => {
      const seen = observe(state, snapshot(new Date(i * 1_000), [a], []), config);
      state = seen.state;
      return [seen.began.map((c) => c.kind), seen.ended.map((c) => c.kind)];
    });
    expect(kinds).toEqual([
      [["cordon"], []],
      [["drain"], ["cordon"]],
      [[], ["drain"]],
    ]);
  });

  it("looks only at the nodes it is given, when it is given some", () => {
    const seen = observe(
      noConditions,
      snapshot(
        new Date(0),
        [node("node-a", { draining: true }), node("node-b", { draining: true })],
        [],
      ),
      policyConfig({ nodes: ["node-b"] }),
    );
    expect(seen.active.map((c) => c.node)).toEqual(["node-b"]);
  });
});
