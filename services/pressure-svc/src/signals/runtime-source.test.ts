import type { InstanceInfo } from "@shadow/runtime";
import { describe, expect, it } from "vitest";
import { servingCopies } from "./runtime-source.ts";

const instance = (name: string, over: Partial<InstanceInfo> = {}): InstanceInfo => ({
  instance: name,
  workload: "orders-0",
  node: "node-a",
  endpoint: "10.0.0.1:8080",
  state: "running",
  identity: {
    workload: "orders-0",
    instance: name,
    node: "node-a",
    role: "primary",
    incarnation: 0,
  },
  memory: { limitBytes: 256, usedBytes: 100 },
  ...over,
});

describe("the serving copy of each workload, from the runtime's instances", () => {
  it("takes the only running copy, or the primary while a migration runs two; never a stopped one", () => {
    const shadow = instance("orders-0-shadow-1", {
      node: "node-b",
      identity: {
        workload: "orders-0",
        instance: "orders-0-shadow-1",
        node: "node-b",
        role: "shadow",
        incarnation: 1,
      },
    });
    expect(servingCopies([instance("orders-0"), shadow]).map((w) => [w.instance, w.node])).toEqual([
      ["orders-0", "node-a"],
    ]);
    expect(
      servingCopies([instance("orders-0", { state: "stopped" }), shadow]).map((w) => w.instance),
    ).toEqual(["orders-0-shadow-1"]);
    expect(
      servingCopies([instance("orders-0", { labels: { "shadow.io/migrate": "never" } })])[0],
    ).toEqual({
      workload: "orders-0",
      instance: "orders-0",
      node: "node-a",
      memoryBytes: 256,
      usedBytes: 100,
      labels: { "shadow.io/migrate": "never" },
    });
  });
});
