import { describe, expect, it } from "vitest";
import { checkStateModel, UnsupportedStateError } from "./state-model.ts";

describe("the state a service may keep across partitions", () => {
  it("accepts per-key or per-partition state, and order-independent state across partitions", () => {
    expect(checkStateModel("none")).toBe("none");
    expect(checkStateModel("commutative")).toBe("commutative");
  });

  it("refuses at start-up state whose value depends on the order between partitions, or none declared", () => {
    for (const declared of ["ordered", undefined, 3]) {
      expect(() => checkStateModel(declared)).toThrow(UnsupportedStateError);
    }
    expect(() => checkStateModel("ordered")).toThrow(/per key or per partition/);
  });
});
