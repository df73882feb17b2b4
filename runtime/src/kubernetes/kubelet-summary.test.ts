import type { V1Node } from "@kubernetes/client-node";
import { describe, expect, test } from "vitest";
import { type KubeletSummary, NodeSummaries, summaryPressure } from "./kubelet-summary.ts";
import { toNodeInfo } from "./nodes.ts";

// A summary as a kubelet of 1.37 gives it (trimmed to the node's memory), with and without PSI.
const withPsi: KubeletSummary = {
  node: {
    memory: {
      availableBytes: 6 * 2 ** 30,
      workingSetBytes: 2 * 2 ** 30,
      psi: { some: { avg10: 12.5, avg60: 4.25 }, full: { avg10: 3.5, avg60: 1 } },
    },
  },
};
const withoutPsi: KubeletSummary = {
  node: { memory: { availableBytes: 3 * 2 ** 30, workingSetBytes: 2 ** 30 } },
};

describe("a node's pressure", () => {
  test("gives a node's working set against what it has, and its memory PSI where reported", () => {
    expect(summaryPressure(withPsi)).toEqual({
      memoryUsage: { usedBytes: 2 * 2 ** 30, limitBytes: 8 * 2 ** 30 },
      memoryPsi: { some: { avg10: 12.5, avg60: 4.25 }, full: { avg10: 3.5, avg60: 1 } },
      memoryPsiAvg10: 12.5,
    });
    expect(summaryPressure(withoutPsi)).toEqual({
      memoryUsage: { usedBytes: 2 ** 30, limitBytes: 4 * 2 ** 30 },
    });
    expect(summaryPressure({ node: {} })).toEqual({});
  });

  test("is read once per interval per node, and a node whose kubelet fails has no figures until it answers", async () => {
    let clock = 0;
    const reads: string[] = [];
    let failing = new Set<string>();
    const summaries = new NodeSummaries(
      async (node) => {
        reads.push(node);
        if (failing.has(node)) throw new Error("no answer");
        return withoutPsi;
      },
      10_000,
      () => clock,
    );
    const first = await summaries.pressure(["a", "b"]);
    expect(first.get("a")?.memoryUsage?.usedBytes).toBe(2 ** 30);
    clock = 9_999;
    await summaries.pressure(["a", "b"]);
    expect(reads).toEqual(["a", "b"]);
    clock = 10_000;
    failing = new Set(["b"]);
    const later = await summaries.pressure(["a", "b"]);
    expect(reads).toEqual(["a", "b", "a", "b"]);
    expect(later.get("b")).toEqual({});
    // Not asked again before its interval, then asked and answered.
    clock = 15_000;
    await summaries.pressure(["b"]);
    expect(reads).toHaveLength(4);
    failing = new Set();
    clock = 20_000;
    expect((await summaries.pressure(["b"])).get("b")?.memoryUsage).toBeDefined();
  });

  test("fills the node's pressure beside the conditions the kubelet sets", () => {
    const node: V1Node = {
      metadata: { name: "kube-a" },
      status: {
        conditions: [
          { type: "Ready", status: "True" },
          { type: "MemoryPressure", status: "True" },
        ],
      },
    };
    const info = toNodeInfo(node, [], summaryPressure(withPsi));
    expect(info.pressure).toMatchObject({
      memory: true,
      disk: false,
      memoryUsage: { usedBytes: 2 * 2 ** 30, limitBytes: 8 * 2 ** 30 },
      memoryPsiAvg10: 12.5,
    });
    expect(toNodeInfo(node, []).pressure.memoryUsage).toBeUndefined();
  });

  test("counts a user's NoSchedule or NoExecute taint as a cordon, not a condition's", () => {
    const tainted = (key: string, effect: string): V1Node => ({
      metadata: { name: "kube-a" },
      spec: { taints: [{ key, effect }] },
    });
    expect(toNodeInfo(tainted("maintenance", "NoExecute"), []).pressure.cordoned).toBe(true);
    expect(toNodeInfo(tainted("dedicated", "NoSchedule"), []).pressure.cordoned).toBe(true);
    expect(toNodeInfo(tainted("dedicated", "PreferNoSchedule"), []).pressure.cordoned).toBe(false);
    expect(
      toNodeInfo(tainted("node.kubernetes.io/not-ready", "NoSchedule"), []).pressure.cordoned,
    ).toBe(false);
    expect(
      toNodeInfo(tainted("node.kubernetes.io/memory-pressure", "NoSchedule"), []).pressure.cordoned,
    ).toBe(false);
    expect(
      toNodeInfo(tainted("node.kubernetes.io/unschedulable", "NoSchedule"), []).pressure.cordoned,
    ).toBe(true);
  });
});
