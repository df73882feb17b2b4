import type { V1Pod } from "@kubernetes/client-node";
import { describe, expect, test } from "vitest";
import { toInstanceInfo } from "./pod-instance.ts";

const pod = (labels: Record<string, string>, annotations: Record<string, string>): V1Pod => ({
  metadata: {
    name: "orders-0",
    labels: { "shadow.io/workload": "orders", ...labels },
    annotations: { "shadow.io/note": "not an opt-out", ...annotations },
  },
  spec: { nodeName: "kube-a", containers: [] },
  status: { phase: "Running" },
});

describe("a pod as an instance", () => {
  test("carries its labels and the opt-outs it has as annotations, a label winning", () => {
    const annotated = toInstanceInfo(
      pod({}, { "shadow.io/migrate": "never", "karpenter.sh/do-not-disrupt": "true" }),
    );
    expect(annotated?.labels).toEqual({
      "shadow.io/workload": "orders",
      "shadow.io/migrate": "never",
      "karpenter.sh/do-not-disrupt": "true",
    });
    const both = toInstanceInfo(
      pod({ "shadow.io/migrate": "always" }, { "shadow.io/migrate": "never" }),
    );
    expect(both?.labels?.["shadow.io/migrate"]).toBe("always");
  });
});
