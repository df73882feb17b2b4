import type { V1Node } from "@kubernetes/client-node";
import { describe, expect, it } from "vitest";
import { DRAINING_TAINT, isDraining, markedSpec } from "./node-marks.ts";
import { toNodeInfo } from "./nodes.ts";

const node = (spec: V1Node["spec"] = {}): V1Node => ({ metadata: { name: "kube-a" }, spec });
const foreign = { key: "dedicated", value: "db", effect: "NoSchedule" };

describe("a node's marks on Kubernetes", () => {
  it("cordons with spec.unschedulable and keeps the node's other taints", () => {
    expect(markedSpec(node({ taints: [foreign] }), { cordoned: true })).toEqual({
      unschedulable: true,
      taints: [foreign],
    });
  });

  it("drains with the draining taint, cordoned too, and says so in the node's pressure", () => {
    const spec = markedSpec(node({ taints: [foreign] }), { cordoned: true, draining: true });
    expect(spec.unschedulable).toBe(true);
    expect(spec.taints.map((t) => t.key)).toEqual(["dedicated", DRAINING_TAINT]);
    const drained = node(spec);
    expect(isDraining(drained)).toBe(true);
    expect(toNodeInfo(drained, []).pressure).toMatchObject({ cordoned: true, draining: true });
  });

  it("ends a drain when the cordon ends, and leaves a mark not named as it is", () => {
    const draining = node({
      unschedulable: true,
      taints: [{ key: DRAINING_TAINT, effect: "NoSchedule" }],
    });
    expect(markedSpec(draining, { cordoned: false })).toEqual({ unschedulable: false, taints: [] });
    expect(markedSpec(draining, {})).toMatchObject({ unschedulable: true });
    expect(isDraining(node(markedSpec(draining, {})))).toBe(true);
  });
});
